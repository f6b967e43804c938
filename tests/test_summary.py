"""Srefresh packing and recognition (RFC 2961 section 5), Bundles (section 3), and tshark on what we build."""

from __future__ import annotations

import random
import subprocess
from ipaddress import IPv4Address

import pytest

from conformance import tshark
from conformance.vectors import Capture, Frame, write
from rsvp.engine.bundle import BundleConfig, Bundler, SendBundled, unbundle
from rsvp.engine.hello import Hellos
from rsvp.engine.reliable import Reliable, ReliableConfig, SendSrefresh
from rsvp.engine.summary import SummaryIn, SummaryOut, ids_per_srefresh
from rsvp.wire import Message, MsgType, decode, encode
from rsvp.wire.objects.refresh import MessageIdList
from rsvp.wire.objects.te import HelloRequest

N = IPv4Address("10.0.0.2")


def test_srefresh_fills_the_mtu_exactly():
    capacity = ids_per_srefresh(1500 - 20)
    assert capacity == 366  # (1480 - 8 header - 4 object header - 4 epoch) / 4
    out = SummaryOut(capacity)
    for i in range(1, 2 * capacity + 2):
        out.add(i, i)
    messages = out.messages(7)
    assert [len(data) for _, data in messages] == [1480, 1480, 20]
    for message, data in messages:
        assert decode(data) == message and encode(message) == data
    too_big = Message(MsgType.SREFRESH, (MessageIdList(7, tuple(range(capacity + 1))),))
    assert len(encode(too_big)) == 1484


def test_unchanged_chunks_keep_their_bytes_and_a_removal_touches_one_chunk():
    out = SummaryOut(4)
    for i in range(1, 13):
        out.add(i, f"s{i}")
    before = [data for _, data in out.messages(1)]
    assert [data for _, data in out.messages(1)] == before and out.messages(1)[0][1] is before[0]
    assert out.remove(6) == "s6" and out.remove(6) is None and out.key(7) == "s7"
    after = [data for _, data in out.messages(1)]
    assert after[0] is before[0] and after[2] is before[2] and after[1] != before[1]
    assert decode(after[1]).objects[0].message_ids == (5, 7, 8)


def test_thinned_chunks_merge():
    out = SummaryOut(4)
    for i in range(1, 9):
        out.add(i, i)
    for i in (2, 3, 4, 6, 7):
        out.remove(i)
    [(message, _)] = out.messages(1)
    assert message.objects[0].message_ids == (1, 5, 8)
    assert out.remove(8) == 8 and out.key(5) == 5


def test_identical_chunk_refreshes_all_its_states_at_once():
    sin = SummaryIn()
    for i in range(1, 367):
        sin.install(i)
    data = encode(Message(MsgType.SREFRESH, (MessageIdList(1, tuple(range(1, 367))),)))
    assert sin.repeat(data, 5.0) is None  # never seen: decode it
    assert sin.refresh(data, decode(data).objects[0].message_ids, 10.0) == set()
    assert sin.repeat(bytes(data), 40.0) == 366  # equal bytes: one dict lookup, ids not looked at
    assert sin.refreshed_at(1) == sin.refreshed_at(366) == 40.0 and sin.refreshed_at(999) is None


def test_chunk_with_unknown_ids_is_rechecked_until_they_are_installed():
    sin = SummaryIn()
    sin.install(1)
    chunk = MessageIdList(1, (1, 2))
    assert sin.refresh(chunk, chunk.message_ids, 0.0) == {2}
    sin.install(2)
    assert sin.refresh(chunk, chunk.message_ids, 30.0) == set() and sin.refreshed_at(2) == 30.0


def test_a_chunk_that_comes_back_refreshes_the_ids_a_later_chunk_had_taken():
    """The neighbour's summary changes and changes back (an LSP added, then refused): the ids the second
    chunk took over are refreshed again by the first one's return, not left on the second's old time."""
    sin = SummaryIn()
    for i in (1, 2, 3, 4):
        sin.install(i)
    before, during = MessageIdList(1, (1, 2, 3)), MessageIdList(1, (1, 2, 3, 4))
    assert sin.refresh(before, before.message_ids, 0.0) == set()
    assert sin.refresh(during, during.message_ids, 30.0) == set()
    sin.forget(4)
    assert sin.repeat(before, 60.0) is None  # no longer all its own: processed in full
    assert sin.refresh(before, before.message_ids, 60.0) == set()
    assert [sin.refreshed_at(i) for i in (1, 2, 3)] == [60.0] * 3
    assert sin.repeat(before, 90.0) == 3 and sin.refreshed_at(1) == 90.0


def test_srefresh_round_trip_between_two_nodes_over_bytes():
    tx, rx = Reliable(3, ReliableConfig()), Reliable(4)
    tx.observe(N, 0x01)
    for i in range(1000):
        mid = tx.trigger(MsgType.RESV, N, i, 0.0)
        rx.received_id(N, mid, None)
        rx.install(N, mid)
    sends = [o for o in tx.due(30.0) if isinstance(o, SendSrefresh)]
    assert len(sends) == 3 and all(len(s.data) <= 1480 for s in sends)
    assert [rx.repeated_srefresh(N, s.data, 30.0) for s in sends] == [None] * 3
    assert sum(rx.received_srefresh(N, decode(s.data), 30.0, s.data) for s in sends) == 1000
    assert rx.refreshed_at(N, 500) == 30.0 and rx.take_acks(N, 10) == ()
    again = [o for o in tx.due(60.0) if isinstance(o, SendSrefresh)]
    assert [rx.repeated_srefresh(N, s.data, 60.0) for s in again] == [366, 366, 268]
    assert rx.refreshed_at(N, 1) == 60.0


# --- Bundle ------------------------------------------------------------------------------------


def hello_message(i: int) -> tuple[Message, bytes]:
    message = Message(MsgType.HELLO, (HelloRequest(i, 0),), flags=1, send_ttl=1)
    return message, encode(message)


def test_bundle_window_and_mtu():
    bundler = Bundler(BundleConfig(delay_s=0.04, mtu=20 + 8 + 3 * 20))  # room for three 20-byte Hellos
    for i in range(1, 4):
        assert bundler.add(N, "eth0", *hello_message(i), 0.0) == []
    [full] = bundler.add(N, "eth0", *hello_message(4), 0.01)  # the fourth does not fit: flush the three
    bundle = decode(full.data)
    assert bundle.msg_type == MsgType.BUNDLE and len(full.data) == 68
    assert [m.objects[0].src_instance for m in unbundle(bundle)] == [1, 2, 3]
    assert bundler.next_deadline() == pytest.approx(0.05)
    [lone] = bundler.due(0.05)
    assert lone == SendBundled(N, "eth0", *hello_message(4))  # a queue of one goes out as itself


def test_unbundle_uses_the_bundle_send_ttl():
    bundle = Message(MsgType.BUNDLE, sub_messages=(hello_message(1)[0], hello_message(2)[0]), send_ttl=9)
    assert [m.send_ttl for m in unbundle(decode(encode(bundle)))] == [9, 9]
    assert unbundle(hello_message(1)[0]) == (hello_message(1)[0],)


# --- tshark ------------------------------------------------------------------------------------


def test_tshark_decodes_our_srefresh_ack_hello_and_bundle(tmp_path):
    program = tshark.find()
    if program is None:
        pytest.skip("tshark not installed")
    tx = Reliable(0xABCDE, ReliableConfig())
    tx.observe(N, 0x01)
    for i in range(400):
        tx.trigger(MsgType.PATH, N, i, 0.0)
    tx.ack(N, tx.trigger(MsgType.RESV, N, "r", 0.0), 0.0)
    outputs = tx.due(30.0)
    hello = Hellos(0x1234, random.Random(0))
    hello.add_neighbor(N, "eth0", 0.0)
    hello_data = encode(hello.due(0.0)[0].message(flags=1))
    bundle = encode(Message(MsgType.BUNDLE, sub_messages=(decode(hello_data), decode(hello_data))))
    datas = [o.data for o in outputs] + [hello_data, bundle]
    path = write(Capture("ours.pcap", "Srefresh, Ack, Hello, Bundle", tuple(
        Frame(data, "10.0.0.1", str(N), router_alert=False) for data in datas)), str(tmp_path))
    text = subprocess.run([program, "-n", "-r", path, "-V"], check=True, capture_output=True, text=True, timeout=120).stdout
    assert "Malformed" not in text and "Expert Info (Error" not in text and "incorrect" not in text
    for name in ("SREFRESH", "ACK", "HELLO", "BUNDLE"):
        assert name in text.upper()
    assert text.count("Message-ID:") >= 400  # the MESSAGE_ID LIST entries are dissected one by one
