"""Refresh reduction (RFC 2961): MESSAGE_ID, retransmission, ACK/NACK, ordering, capability."""

from __future__ import annotations

import itertools
import random
from ipaddress import IPv4Address

import pytest

from rsvp.engine.reliable import (
    CapabilityLost,
    DeliveryFailed,
    Nacked,
    Reliable,
    ReliableConfig,
    Retransmit,
    SendAck,
    SendSrefresh,
    Verdict,
    older,
)
from rsvp.wire import Message, MsgType, decode, encode
from rsvp.wire.objects.refresh import (
    MessageId,
    MessageIdAck,
    MessageIdList,
    MessageIdNack,
)

N = IPv4Address("10.0.0.2")
CAPABLE = 0x01


def sender(**config) -> Reliable:
    reliable = Reliable(0x123456, ReliableConfig(**config))
    reliable.observe(N, CAPABLE)
    return reliable


def run(reliable: Reliable, until: float) -> list[tuple[float, object]]:
    """Every output of ``due`` up to ``until``, with its time."""
    seen = []
    while (t := reliable.next_deadline()) is not None and t <= until:
        seen += [(t, o) for o in reliable.due(t)]
    return seen


def test_no_message_id_for_a_neighbour_not_known_capable():
    reliable = Reliable(1)
    assert reliable.trigger(MsgType.PATH, N, "lsp", 0.0) is None
    assert Reliable(1, ReliableConfig(assume_capable=True)).trigger(MsgType.PATH, N, "lsp", 0.0) is not None


def test_trigger_ids_increase_and_ask_for_an_ack():
    reliable = sender()
    first = reliable.trigger(MsgType.PATH, N, "a", 0.0)
    second = reliable.trigger(MsgType.RESV, N, "b", 0.0)
    assert first == MessageId(0x123456, 1, flags=0x01) and second.message_id == 2 and second.ack_desired


def test_retransmission_waits_half_one_two_seconds_then_gives_up():
    reliable = sender()
    mid = reliable.trigger(MsgType.PATH, N, "lsp", 0.0)
    reliable.sent(N, mid, "bytes", 0.0)
    outputs = [(t, o) for t, o in run(reliable, 10.0) if not isinstance(o, SendSrefresh)]
    assert outputs == [
        (0.5, Retransmit(N, "lsp", 1, "bytes")),  # transmission 2 after Rf
        (1.5, Retransmit(N, "lsp", 1, "bytes")),  # transmission 3 after 2 Rf
        (3.5, DeliveryFailed(N, "lsp", 1)),  # Rl = 3 transmissions, then the 4 Rf wait ends
    ]


def test_ack_stops_retransmission():
    reliable = sender()
    mid = reliable.trigger(MsgType.PATH, N, "lsp", 0.0)
    reliable.sent(N, mid, "bytes", 0.0)
    assert [o for _, o in run(reliable, 0.6)] == [Retransmit(N, "lsp", 1, "bytes")]
    ack = decode(encode(Message(MsgType.ACK, (MessageIdAck(0x123456, 1),))))
    assert reliable.received_acks(N, ack) == []
    assert not [o for _, o in run(reliable, 10.0) if not isinstance(o, SendSrefresh)]


def test_ack_of_another_epoch_is_ignored():
    reliable = sender()
    reliable.sent(N, reliable.trigger(MsgType.PATH, N, "lsp", 0.0), None, 0.0)
    reliable.received_acks(N, Message(MsgType.ACK, (MessageIdAck(0x654321, 1),)))
    assert reliable.snapshot()["awaiting_ack"] == 1


def test_ack_owed_goes_piggy_back_when_a_message_leaves_in_time():
    reliable = sender()
    reliable.ack(N, MessageId(77, 9, flags=0x01), 0.0)
    reliable.ack(N, MessageId(77, 10), 0.0)  # no ACK_Desired: no ACK (section 4.6)
    assert reliable.take_acks(N, 8) == (MessageIdAck(77, 9),)
    assert run(reliable, 5.0) == []


def test_ack_owed_goes_in_an_ack_message_after_the_delay():
    reliable = sender()
    reliable.ack(N, MessageId(77, 9, flags=0x01), 0.0)
    [(t, send)] = run(reliable, 5.0)
    assert t == 0.2 and isinstance(send, SendAck)
    assert decode(send.data) == Message(MsgType.ACK, (MessageIdAck(77, 9),), flags=CAPABLE)


def test_many_acks_split_into_ack_messages_within_the_mtu():
    reliable = sender(mtu=200)  # (200 - 20 - 8) // 12 = 14 ACK objects per message
    for i in range(30):
        reliable.ack(N, MessageId(77, i, flags=0x01), 0.0)
    sends = [o for _, o in run(reliable, 1.0)]
    assert [len(decode(s.data).objects) for s in sends] == [14, 14, 2]
    assert all(len(s.data) <= 180 for s in sends)


def test_receiver_classifies_new_refresh_and_out_of_order():
    r = Reliable(1)
    assert r.received_id(N, MessageId(5, 10), None) is Verdict.NEW
    r.install(N, MessageId(5, 10))
    assert r.received_id(N, MessageId(5, 10), 10) is Verdict.REFRESH
    assert r.received_id(N, MessageId(5, 12), 10) is Verdict.NEW
    r.install(N, MessageId(5, 12), replaces=10)
    assert r.received_id(N, MessageId(5, 11), 12) is Verdict.OUT_OF_ORDER  # older than the state's id
    assert r.received_id(N, MessageId(5, 11), None) is Verdict.NEW  # no state: never out of order
    assert r.received_id(N, MessageId(5, 3), 99) is Verdict.NEW  # 99 is not installed state


def test_epoch_change_is_never_out_of_order_and_forgets_old_ids():
    r = Reliable(1)
    r.received_id(N, MessageId(5, 1000), None)
    r.install(N, MessageId(5, 1000))
    assert r.received_id(N, MessageId(6, 1), 1000) is Verdict.NEW
    assert r.received_id(N, MessageId(6, 1000), 1000) is Verdict.NEW  # an old-epoch id is no match
    assert r.counters["neighbour epoch changed"] == 1


def test_wrapping_ids_compare_as_the_rfc_says():
    assert older(0xFFFFFFFF, 1) and not older(1, 0xFFFFFFFF) and older(5, 6) and not older(6, 6)


def test_srefresh_of_unknown_id_owes_a_nack_and_the_sender_resends_that_state():
    tx, rx = sender(), Reliable(2)
    mids = [tx.trigger(MsgType.PATH, N, f"lsp{i}", 0.0) for i in range(3)]
    for mid in mids:
        rx.received_id(N, mid, None)
    rx.install(N, mids[0])
    rx.install(N, mids[2])  # the Path with id 2 was lost
    [(t, srefresh)] = [x for x in run(tx, 31.0) if isinstance(x[1], SendSrefresh)]
    assert t == 30.0
    assert rx.received_srefresh(N, decode(srefresh.data), t) == 2
    [(t_ack, ack)] = run(rx, 40.0)
    assert t_ack == pytest.approx(30.2)
    assert decode(ack.data).objects == (MessageIdNack(0x123456, 2),)
    assert tx.received_acks(N, decode(ack.data)) == [Nacked(N, "lsp1", 2)]


def test_srefresh_of_another_epoch_nacks_every_id():
    rx = Reliable(2)
    rx.received_id(N, MessageId(5, 1), None)
    rx.received_srefresh(N, Message(MsgType.SREFRESH, (MessageIdList(6, (1, 2)),)), 0.0)
    assert rx.take_acks(N, 10) == (MessageIdNack(6, 1), MessageIdNack(6, 2))


def test_withdrawn_state_is_neither_retransmitted_nor_summarised():
    reliable = sender()
    mid = reliable.trigger(MsgType.RESV, N, "lsp", 0.0)
    reliable.sent(N, mid, None, 0.0)
    reliable.withdraw(N, mid.message_id)
    assert run(reliable, 100.0) == []


def test_tear_is_retransmitted_but_not_summarised():
    reliable = sender()
    mid = reliable.trigger(MsgType.PATH_TEAR, N, "lsp", 0.0)
    reliable.sent(N, mid, "tear", 0.0)
    assert [type(o) for _, o in run(reliable, 100.0)] == [Retransmit, Retransmit, DeliveryFailed]


def test_a_tear_or_error_id_seen_again_is_a_duplicate_for_a_refresh_period():
    receiver = Reliable(7, ReliableConfig(srefresh_interval_s=30.0))
    error = MessageId(0x42, 9, flags=0x01)
    assert not receiver.duplicate(N, error, 0.0)
    assert receiver.duplicate(N, error, 1.5)  # the retransmission of a message whose ACK was lost
    assert not receiver.duplicate(N, MessageId(0x43, 9, flags=0x01), 2.0)  # the neighbour restarted: new epoch
    assert not receiver.duplicate(IPv4Address("10.0.0.6"), error, 2.0)  # another neighbour's id
    assert not receiver.duplicate(N, MessageId(0x42, 9), 3.0)  # no ACK_Desired: never retransmitted
    assert not receiver.duplicate(N, error, 31.0)  # forgotten after R


def test_capability_loss_hands_back_summarised_state():
    reliable = sender()
    reliable.trigger(MsgType.PATH, N, "a", 0.0)
    reliable.trigger(MsgType.RESV, N, "b", 0.0)
    assert reliable.observe(N, CAPABLE) == []
    assert reliable.observe(N, 0) == [CapabilityLost(N, ("a", "b"))]
    assert not reliable.capable(N) and reliable.trigger(MsgType.PATH, N, "c", 1.0) is None
    assert not [o for _, o in run(reliable, 100.0) if isinstance(o, SendSrefresh)]


def test_srefresh_repeats_the_same_bytes_and_jitters_with_an_rng():
    reliable = Reliable(9, ReliableConfig(), random.Random(4))
    reliable.observe(N, CAPABLE)
    reliable.trigger(MsgType.PATH, N, "a", 0.0)
    rounds = [o for _, o in run(reliable, 200.0) if isinstance(o, SendSrefresh)]
    assert len(rounds) > 4 and all(r.data is rounds[0].data for r in rounds)
    times = [t for t, o in run(reliable, 400.0) if isinstance(o, SendSrefresh)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(15.0 <= g <= 45.0 for g in gaps) and len(set(gaps)) > 1
