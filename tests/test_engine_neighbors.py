"""Engine wiring of issue 4 on a line of nodes: bundling, state limits, Srefresh, drop counters."""

from __future__ import annotations

import dataclasses
import random

from rsvp.engine import Node, Tunnel, TunnelAdded, TunnelRemoved
from rsvp.engine.bundle import BundleConfig
from rsvp.engine.integrity import Key
from rsvp.wire import ClassNum, MsgType, decode

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
