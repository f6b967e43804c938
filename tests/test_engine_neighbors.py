"""Engine wiring of issue 4 on a line of nodes: bundling, state limits, Srefresh, drop counters."""

from __future__ import annotations

import dataclasses
import random
from ipaddress import IPv4Address

import pytest

from rsvp.engine import Node, PacketReceived, Send, Tunnel, TunnelAdded, TunnelRemoved
from rsvp.engine.bundle import BundleConfig, unbundle
from rsvp.engine.integrity import Key
from rsvp.wire import ClassNum, Message, MsgType, decode, encode
from rsvp.wire.objects.refresh import ACK_DESIRED, MessageIdAck

from .engine_harness import Line


def tunnel(line: Line, tail: int, tunnel_id: int = 1) -> Tunnel:
    return Tunnel(f"t{tunnel_id}", line.address(tail), 1e6, tunnel_id=tunnel_id)


def test_bundles_carry_messages_to_capable_neighbours_and_are_unbundled():
    line = Line(3, bundle=BundleConfig(delay_s=0.04))
    sent: list[int] = []
    perform = line._perform

    def record(index, actions):
        sent.extend(a.data[1] for a in actions if hasattr(a, "data"))
        perform(index, actions)

    line._perform = record
    for i in range(1, 4):
        line.handle(0, TunnelAdded(tunnel(line, 2, i)))
    line.run(5.0)
    assert MsgType.BUNDLE in sent  # the Resvs (no Router Alert) travel upstream together
    assert all(r["state"] == "up" for r in line.lsps(0))


def test_state_limit_per_neighbour_refuses_with_policy_error():
    line = Line(3, max_state_per_neighbor=1)
    line.handle(0, TunnelAdded(tunnel(line, 2, 1)))
    line.handle(0, TunnelAdded(tunnel(line, 2, 2)))
    line.run(0.5)
    states = {r["name"]: (r["state"], r["reason"]) for r in line.lsps(0)}
    assert states["t1"] == ("up", None)
    assert states["t2"][0] == "down" and states["t2"][1].startswith("PathErr 2/4"), states
    assert line.nodes[1].counters["state limit reached"] >= 1


def test_srefresh_replaces_per_lsp_refreshes_and_snapshot_shows_neighbours():
    line = Line(3)
    for i in range(1, 21):
        line.handle(0, TunnelAdded(tunnel(line, 2, i)))
    line.run(300.0)  # ten refresh periods
    transit = line.nodes[1]
    assert transit.counters["received PATH"] == 20 and transit.counters["sent PATH"] == 20
    assert transit.counters["received SREFRESH"] <= 2 * 2 * 300 / 15  # one per neighbour per R, not 20
    peer = transit.snapshot()["peers"]["10.0.0.1"]
    assert peer["hello"] == "up" and peer["refresh_reduction_capable"] and peer["awaiting_ack"] == 0
    assert peer["installed_in"] == 20 and peer["epoch"] == line.nodes[0].reliable.epoch
    assert all(r["state"] == "up" for r in line.lsps(0))


def test_tears_are_acknowledged_and_not_retransmitted():
    """RFC 2961 section 4: every message sent with ACK_Desired is acknowledged, tears included."""
    line = Line(3)
    line.handle(0, TunnelAdded(tunnel(line, 2, 1)))
    line.run(1.0)
    line.handle(0, TunnelRemoved("t1"))
    line.run(10.0)  # well past the rapid retransmissions (0.5, 1, 2 s)
    for index in (0, 1):  # the head's PathTear to 1, and 1's to 2
        assert line.nodes[index].counters["sent PATH_TEAR"] == 1, line.nodes[index].counters
        assert all(peer["awaiting_ack"] == 0 for peer in line.nodes[index].snapshot()["peers"].values())


def test_integrity_sequence_numbers_are_wall_time_across_a_restart():
    """RFC 2747 section 3.2: sequence numbers keep increasing across restarts, whatever clock the node is
    handed; the node turns its ``now`` into wall time with ``wall_clock_offset_s``."""
    line = Line(2)
    keyed = dataclasses.replace(line.nodes[0].config, integrity_by_interface=(("down", (Key(1, b"k" * 16),)),))
    sequences = []
    for wall_offset in (1.7e9, 1.7e9 + 60):  # a restart a minute later, its own clock starting again at 0
        node = Node(dataclasses.replace(keyed, wall_clock_offset_s=wall_offset), line.nodes[0].routes,
                    random.Random(1))
        sends = [a for a in node.handle(TunnelAdded(tunnel(line, 1)), 0.0) if hasattr(a, "data")]
        sequences.append(decode(sends[0].data).find(ClassNum.INTEGRITY).sequence_number)
    assert sequences[0] >> 32 == 1_700_000_000 and sequences[1] > sequences[0]


# --- reliable delivery of PathErr and ResvErr (RFC 2961 section 4) ---------------------------------

def _refusing_line(**options) -> Line:
    """n0 - n1 - n2 where n1 cannot admit 10 Mb/s on its downstream link: every Resv of the tunnel makes
    n1 send ResvErr 1/2 to n2 and PathErr 1/2 to n0 (the head then retries with back-off)."""
    line = Line(3, **options)
    line.nodes[1].admission._capacity["down"] = 1e6
    return line


def _record(line: Line, lose=lambda index, message: False) -> list[tuple[float, int, Message, bytes]]:
    """Every message a node sends, as (time, node index, decoded message, datagram); ``lose(index, message)``
    True drops the datagram on its link."""
    sent: list[tuple[float, int, Message, bytes]] = []
    perform = line._perform

    def record(index, actions):
        kept = []
        for action in actions:
            if isinstance(action, Send):
                messages = unbundle(action.message)
                sent.extend((line.now, index, m, action.data) for m in messages)
                if any(lose(index, m) for m in messages):
                    continue
            kept.append(action)
        perform(index, kept)

    line._perform = record
    return sent


def _mid(message: Message) -> tuple[int, int, int] | None:
    """(epoch, id, flags) of a message's MESSAGE_ID."""
    mid = message.find(ClassNum.MESSAGE_ID)
    return None if mid is None else (mid.epoch, mid.message_id, mid.flags)


def _acked(sent, index: int, mid: tuple[int, int, int]) -> list[float]:
    """When node ``index`` sent a MESSAGE_ID_ACK for ``mid`` (in an Ack message or piggy-backed)."""
    return [t for t, i, m, _ in sent if i == index
            for o in m.objects if type(o) is MessageIdAck and (o.epoch, o.message_id) == mid[:2]]


def _bare(message: Message) -> bytes:
    """The message as cached for retransmission: without the ACKs the outbox splices in per datagram."""
    return encode(dataclasses.replace(message, objects=tuple(
        o for o in message.objects if o.class_num != ClassNum.MESSAGE_ID_ACK)))


@pytest.mark.parametrize("kind, neighbour", [(MsgType.PATH_ERR, 0), (MsgType.RESV_ERR, 2)])
def test_errors_to_a_capable_neighbour_are_retransmitted_until_acknowledged(kind, neighbour):
    """PathErr upstream and ResvErr downstream carry a MESSAGE_ID with ACK_Desired; the first copy is lost,
    the same message goes again after Rf = 0.5 s, the neighbour processes and acknowledges it, and it is
    not sent a third time."""
    line = _refusing_line()
    lost: list[Message] = []

    def lose_first(index, message):
        if index == 1 and message.msg_type == kind and not lost:
            lost.append(message)
            return True
        return False

    sent = _record(line, lose_first)
    line.handle(0, TunnelAdded(Tunnel("t1", line.address(2), 10e6, tunnel_id=1)))
    line.run(10.0)
    errors = [(t, m) for t, i, m, _ in sent if i == 1 and m.msg_type == kind]
    first_at, first = errors[0]
    assert first is lost[0]
    mid = _mid(first)
    assert mid is not None and mid[0] == line.nodes[1].reliable.epoch and mid[2] & ACK_DESIRED
    copies = [(t, m) for t, m in errors if _mid(m) == mid]
    assert [round(t - first_at, 6) for t, _ in copies] == [0.0, 0.5]  # lost, resent once, then acked
    assert _bare(copies[1][1]) == _bare(first)
    acks = _acked(sent, neighbour, mid)
    assert len(acks) == 1 and first_at + 0.5 < acks[0] < first_at + 1.5
    ids = {_mid(m) for _, m in errors}
    assert len(ids) > 1  # the head retried: each new error has a new id, sent once (nothing else lost)
    assert len(errors) == len(ids) + 1 and line.nodes[1].counters["reliable delivery failed"] == 0
    assert line.nodes[neighbour].counters[f"received {first.name}"] == len(ids)  # each arrived exactly once
    peer = line.nodes[1].snapshot()["peers"]["10.0.0.1" if neighbour == 0 else "10.0.1.2"]
    assert peer["summarised_out"] == 0 and peer["awaiting_ack"] == 0  # errors are no state: no Srefresh
    if kind == MsgType.PATH_ERR:
        assert line.lsps(0)[0]["reason"] == "PathErr 1/2 from 10.0.0.2"


def test_an_error_never_acknowledged_is_given_up_without_touching_the_lsp():
    """Rl = 3 transmissions (0, 0.5, 1.5 s) of a PathErr whose every copy is lost, then DeliveryFailed: counted,
    no more copies, and the transit keeps its path state (the error is about no state it refreshes)."""
    line = _refusing_line()
    first: list[tuple[int, int, int] | None] = []

    def lose_every_copy(index, message):
        if index == 1 and message.msg_type == MsgType.PATH_ERR:
            first[:] = first or [_mid(message)]
            return _mid(message) == first[0]
        return False

    sent = _record(line, lose_every_copy)
    line.handle(0, TunnelAdded(Tunnel("t1", line.address(2), 10e6, tunnel_id=1)))
    line.run(10.0)
    copies = [t for t, i, m, _ in sent if i == 1 and m.msg_type == MsgType.PATH_ERR and _mid(m) == first[0]]
    assert [round(t - copies[0], 6) for t in copies] == [0.0, 0.5, 1.5]
    transit = line.nodes[1]
    assert transit.counters["reliable delivery failed"] == 1
    assert transit.reliable.awaiting_by_neighbor()[IPv4Address("10.0.0.1")] == 0
    assert [r["role"] for r in line.lsps(1)] == ["transit"] and line.lsps(0)[0]["state"] == "down"


def test_errors_to_a_neighbour_without_refresh_reduction_carry_no_message_id():
    """The head does not speak RFC 2961: PathErr to it goes as before (no MESSAGE_ID, a lost one is not
    resent), while the ResvErr to the capable egress still asks for an ACK."""
    line = _refusing_line()
    line.nodes[0] = Node(dataclasses.replace(line.nodes[0].config, refresh_reduction=False), line.routes[0],
                         random.Random(7))
    sent = _record(line, lambda index, message: index == 1 and message.msg_type == MsgType.PATH_ERR)
    line.handle(0, TunnelAdded(Tunnel("t1", line.address(2), 10e6, tunnel_id=1)))
    line.run(0.9)  # the lost PathErr is not resent: the head hears nothing and does not retry
    path_errs = [m for t, i, m, _ in sent if i == 1 and m.msg_type == MsgType.PATH_ERR]
    resv_errs = [m for t, i, m, _ in sent if i == 1 and m.msg_type == MsgType.RESV_ERR]
    assert len(path_errs) == 1 and _mid(path_errs[0]) is None
    assert len(resv_errs) == 1 and _mid(resv_errs[0]) is not None
    assert line.nodes[1].reliable.awaiting_by_neighbor()[IPv4Address("10.0.0.1")] == 0
    assert line.nodes[1].counters["retransmitted"] == 0


def test_a_retransmitted_error_is_acknowledged_again_but_acted_on_once():
    """RFC 2961 section 4: the receiver acknowledges a PathErr carrying a MESSAGE_ID; the same one again
    (its ACK was lost) is acknowledged again but does not take the head down a second time."""
    line = _refusing_line()
    sent = _record(line)
    line.handle(0, TunnelAdded(Tunnel("t1", line.address(2), 10e6, tunnel_id=1)))
    line.run(0.4)
    head = line.nodes[0]
    [(_, _, error, data)] = [s for s in sent if s[1] == 1 and s[2].msg_type == MsgType.PATH_ERR]
    mid = _mid(error)
    assert len(_acked(sent, 0, mid)) == 1 and head.counters["ingress LSP down"] == 1
    line.handle(0, PacketReceived(data, "down", IPv4Address("10.0.0.2")))  # the copy whose ACK was lost
    line.run(0.8)  # before the head's retry (1 s after the first PathErr)
    assert len(_acked(sent, 0, mid)) == 2
    assert head.counters["ingress LSP down"] == 1 and head.counters["received PATH_ERR"] == 2
    assert head.counters["drop: tear or error already processed (retransmission)"] == 1
