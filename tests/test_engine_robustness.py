"""The engine never raises because of what a peer sent (DESIGN.md rule 2).

Messages that pass grammar validation but mix object variants the engine does
not expect (other SESSION / FILTER_SPEC C-Types, odd flowspecs, labels of other
kinds, unknown objects) are fed to every node of a small line, in any order,
interleaved with timers; the node must answer with actions or counted drops.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvp.engine import MessageReceived, Tunnel, TunnelAdded
from rsvp.wire import Message, MsgType, validate
from rsvp.wire.errors import MalformedMessage

from .engine_harness import Line
from .strategies import STRATEGIES

_TYPES = [MsgType.PATH, MsgType.RESV, MsgType.PATH_TEAR, MsgType.RESV_TEAR, MsgType.PATH_ERR, MsgType.RESV_ERR,
          MsgType.RESV_CONF, MsgType.HELLO, MsgType.ACK, MsgType.SREFRESH, MsgType.NOTIFY]
_CLASSES = {}
for _cls, _strategy in STRATEGIES.items():
    _CLASSES.setdefault(_cls.class_num, []).append(_strategy)


def _of(class_num: int) -> st.SearchStrategy:
    return st.one_of(*_CLASSES[class_num])


# Mostly the objects the engine acts on, some of every other kind.
_objects = st.one_of(
    *(_of(n) for n in (1, 3, 5, 6, 8, 9, 10, 11, 12, 16, 19, 20, 21, 207, 22, 15)),
    st.one_of(*STRATEGIES.values()),
)


@st.composite
def _messages(draw) -> Message:
    msg_type = draw(st.sampled_from(_TYPES))
    objects = draw(st.lists(_objects, min_size=1, max_size=10))
    return Message(msg_type, tuple(objects))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["up", "down"]), _messages(),
                          st.sampled_from([0.0, 1.0, 100.0])), min_size=1, max_size=8))
def test_any_valid_message_is_handled_without_raising(deliveries):
    line = Line(3)
    line.handle(0, TunnelAdded(Tunnel("t", line.address(2), 1e6, tunnel_id=1)))
    line.run(0.5)
    for node, interface, message, wait in deliveries:
        try:
            validate(message)
        except MalformedMessage:
            pass  # the engine must cope with invalid ones too: it validates and counts them
        if interface not in [i.name for i in line.nodes[node].config.interfaces]:
            interface = line.nodes[node].config.interfaces[0].name
        line.handle(node, MessageReceived(message, interface, IPv4Address("10.0.0.1")))
        line.run(line.now + wait)


def _real_messages() -> list[tuple[int, str, Message]]:
    """(receiving node, interface, message) for every message a working LSP exchanges."""
    line = Line(3)
    seen: list[tuple[int, str, Message]] = []
    original = line._perform

    def record(index, actions):
        for action in actions:
            if hasattr(action, "message"):
                peer = index + 1 if action.interface == "down" else index - 1
                seen.append((peer, "up" if action.interface == "down" else "down", action.message))
        original(index, actions)

    line._perform = record
    line.handle(0, TunnelAdded(Tunnel("t", line.address(2), 1e6, tunnel_id=1)))
    line.run(40.0)
    return seen


_REAL = _real_messages()


@st.composite
def _mutated(draw) -> tuple[int, str, Message]:
    node, interface, message = draw(st.sampled_from(_REAL))
    objects = list(message.objects)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(objects) - 1))
        action = draw(st.sampled_from(["swap", "drop", "add"]))
        if action == "swap" and objects[index].class_num in _CLASSES:
            objects[index] = draw(_of(objects[index].class_num))
        elif action == "drop" and len(objects) > 1:
            del objects[index]
        else:
            objects.insert(index, draw(_objects))
    return node, interface, Message(message.msg_type, tuple(objects))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_mutated(), st.sampled_from([0.0, 0.5, 50.0])), min_size=1, max_size=6))
def test_mutations_of_real_messages_are_handled_without_raising(deliveries):
    line = Line(3)
    line.handle(0, TunnelAdded(Tunnel("t", line.address(2), 1e6, tunnel_id=1)))
    line.run(0.5)
    for (node, interface, message), wait in deliveries:
        source = IPv4Address("10.0.0.1") if interface == "up" else IPv4Address("10.0.1.2")
        line.handle(node, MessageReceived(message, interface, source))
        line.run(line.now + wait)
    line.run(line.now + 400.0)  # and the line heals: the configured LSP is up again
    assert line.lsps(0)[0]["state"] == "up"
