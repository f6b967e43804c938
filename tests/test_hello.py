"""Hello (RFC 3209 section 5): instances, REQUEST/ACK, restart and failure detection."""

from __future__ import annotations

import random
from ipaddress import IPv4Address

from rsvp.engine.hello import (
    HelloConfig,
    Hellos,
    NeighborDown,
    NeighborRestarted,
    NeighborUp,
    SendHello,
)
from rsvp.wire import MsgType, decode, encode
from rsvp.wire.objects.te import HelloAck, HelloRequest

A, B = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")


def pair(config: HelloConfig | None = None) -> tuple[Hellos, Hellos]:
    config = config or HelloConfig()
    a, b = Hellos(111, random.Random(1), config), Hellos(222, random.Random(2), config)
    a.add_neighbor(B, "a-b", 0.0)
    b.add_neighbor(A, "b-a", 0.0)
    return a, b


def sends(outputs) -> list[SendHello]:
    return [o for o in outputs if isinstance(o, SendHello)]


def deliver(receiver: Hellos, source: IPv4Address, interface: str, outputs, now: float) -> list:
    """Carry every Hello in ``outputs`` over real bytes to ``receiver``."""
    result = []
    for send in sends(outputs):
        message = decode(encode(send.message()))
        assert message.msg_type == MsgType.HELLO and message.send_ttl == 1
        result += receiver.received(message.objects[0], source, interface, now)
    return result


def test_first_request_carries_zero_dst_and_is_answered_with_reflected_instances():
    a, b = pair()
    [request] = a.due(0.0)
    assert request == SendHello(B, "a-b", HelloRequest(111, 0))
    answer = b.received(request.hello, A, "b-a", 0.0)
    assert NeighborUp(A, "b-a") in answer
    assert SendHello(A, "b-a", HelloAck(222, 111)) in answer
    assert deliver(a, B, "a-b", answer, 0.01) == [NeighborUp(B, "a-b")]
    assert a.snapshot()["neighbors"]["10.0.0.2"]["dst_instance"] == 222


def test_request_suppressed_when_neighbour_requested_within_the_interval():
    _, b = pair()
    b.received(HelloRequest(111, 0), A, "b-a", 0.0)
    b.due(0.0)  # b's own first REQUEST: a REQUEST from A came within the interval
    assert b.counters["HELLO REQUEST suppressed"] == 1
    assert b.next_deadline() == 5.0


def test_silent_neighbour_is_down_after_interval_times_misses():
    a, b = pair()
    deliver(a, B, "a-b", b.received(a.due(0.0)[0].hello, A, "b-a", 0.0), 0.0)
    t, down = 0.0, []
    while not down:  # b is gone: a keeps requesting, hears nothing
        t = a.next_deadline()
        down = [o for o in a.due(t) if isinstance(o, NeighborDown)]
    assert t == 17.5 and down[0].neighbor == B  # 3.5 intervals of 5 s after the last instance value
    request = sends(a.due(a.next_deadline()))[0].hello
    assert request.dst_instance == 0 and request.src_instance not in (0, 111)  # re-initiated, new instance


def test_neighbour_restart_detected_by_changed_src_instance():
    a, b = pair()
    deliver(a, B, "a-b", b.received(a.due(0.0)[0].hello, A, "b-a", 0.0), 0.0)
    b2 = Hellos(333, random.Random(3))  # b restarts: new instance, no state
    b2.add_neighbor(A, "b-a", 1.0)
    outputs = deliver(a, B, "a-b", b2.due(1.0), 1.0)
    assert NeighborRestarted(B, "a-b") in outputs
    [ack] = sends(outputs)
    assert ack.hello.dst_instance == 333 and ack.hello.src_instance == 111  # ours stays (no restart ping-pong)
    assert a.snapshot()["neighbors"]["10.0.0.2"]["state"] == "up"


def test_ack_reflecting_a_wrong_instance_means_communication_lost():
    a, b = pair()
    deliver(a, B, "a-b", b.received(a.due(0.0)[0].hello, A, "b-a", 0.0), 0.0)
    [down] = a.received(HelloAck(222, 999), B, "a-b", 1.0)
    assert isinstance(down, NeighborDown) and "Dst_Instance" in down.reason
    assert a.received(HelloAck(222, 111), B, "a-b", 1.1) == []  # stale ACK to the old instance: ignored


def test_zero_src_instance_means_communication_lost():
    a, b = pair()
    deliver(a, B, "a-b", b.received(a.due(0.0)[0].hello, A, "b-a", 0.0), 0.0)
    outputs = a.received(HelloRequest(0, 111), B, "a-b", 1.0)
    assert isinstance(outputs[0], NeighborDown)
    assert sends(outputs)[0].hello.dst_instance == 0  # still answered (MUST), with no value of theirs


def test_request_with_wrong_nonzero_dst_tolerated_for_misses_intervals():
    a, b = pair()
    deliver(a, B, "a-b", b.received(a.due(0.0)[0].hello, A, "b-a", 0.0), 0.0)
    for t in (5.0, 10.0, 15.0, 20.0):
        assert not [o for o in a.received(HelloRequest(222, 4242), B, "a-b", t) if isinstance(o, NeighborDown)]
    assert [o for o in a.received(HelloRequest(222, 4242), B, "a-b", 22.5) if isinstance(o, NeighborDown)]


def test_unknown_neighbour_request_answered_and_learned_ack_dropped():
    hellos = Hellos(7, random.Random(0))
    stranger = IPv4Address("192.0.2.9")
    outputs = hellos.received(HelloRequest(55, 0), stranger, "eth0", 0.0)
    assert SendHello(stranger, "eth0", HelloAck(7, 55)) in outputs
    assert hellos.snapshot()["neighbors"]["192.0.2.9"]["learned"] is True
    assert hellos.received(HelloAck(1, 7), IPv4Address("192.0.2.10"), "eth0", 0.0) == []
    assert hellos.counters["Hello from unknown neighbour"] == 2


def test_unknown_neighbour_answered_without_state_when_not_learning():
    hellos = Hellos(7, random.Random(0), HelloConfig(learn=False))
    outputs = hellos.received(HelloRequest(55, 0), A, "eth0", 0.0)
    assert outputs == [SendHello(A, "eth0", HelloAck(7, 55))] and hellos.neighbors == {}


def test_garbage_object_is_counted_not_raised():
    hellos = Hellos(7, random.Random(0))
    assert hellos.received(object(), A, "eth0", 0.0) == []
    assert hellos.counters["drop: Hello without a HELLO REQUEST or ACK"] == 1


def test_removed_neighbour_has_no_timers():
    a, _ = pair()
    a.remove_neighbor(B)
    assert a.next_deadline() is None and a.due(100.0) == []
