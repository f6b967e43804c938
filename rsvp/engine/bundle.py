"""Bundle messages (RFC 2961 section 3): several messages to one neighbour in one datagram.

Theory of operation
-------------------
:class:`Bundler` queues messages per (neighbour, interface).  The first one
queued opens a window of ``delay_s`` (trigger messages SHOULD be delayed
minimally, section 3.3, so one short window serves all, which also keeps the
order of messages about the same state).  The queue goes out when the window
closes or when the next message would push the Bundle past the link MTU.  A
queue of one message goes out as that message; a message too big for any
Bundle goes out alone at once.  The engine bundles only to neighbours that set
the Refresh-Reduction-Capable flag (section 3.3) and sends Bundles without
Router Alert.  A Bundle's bytes are the queued bytes as given, so each bundled
message keeps its own INTEGRITY object (section 3.2); the engine hands over
bytes only (``message`` None), tests may give the messages too.

:func:`unbundle` gives back the sub-messages of a received Bundle, each with
the Bundle's Send_TTL, to be processed as if received alone (section 3.4).
"""

from __future__ import annotations

import dataclasses
import struct
from ipaddress import IPv4Address

from rsvp.wire import Message, MsgType
from rsvp.wire.checksum import internet_checksum
from rsvp.wire.message import REFRESH_REDUCTION_CAPABLE

from .reliable import IP_HEADER_BYTES
from .timers import TimerHeap

_HEADER_BYTES = 8
_HEADER = struct.Struct(">BBHBBH")


def frame(msg_type: int, flags: int, send_ttl: int, body: bytes) -> bytes:
    """An RSVP message from its objects' bytes: common header with length and checksum (RFC 2205 3.1.1)."""
    length = _HEADER_BYTES + len(body)
    head = _HEADER.pack(0x10 | flags, msg_type, 0, send_ttl, 0, length)
    return head[:2] + internet_checksum(head + body).to_bytes(2, "big") + head[4:] + body


@dataclasses.dataclass(frozen=True, slots=True)
class BundleConfig:
    """``delay_s``: the bundling window (Extreme SLX's default bundle-send-delay is 40 ms)."""

    delay_s: float = 0.04
    mtu: int = 1500
    reserved_bytes: int = 0  # room kept free for an INTEGRITY object on the Bundle

    @property
    def datagram_bytes(self) -> int:
        return self.mtu - IP_HEADER_BYTES - self.reserved_bytes


@dataclasses.dataclass(frozen=True, slots=True)
class SendBundled:
    """Send ``data`` (a Bundle, or a lone message) to ``neighbor`` out of ``interface``; ``message``
    is its decoded form when every queued message was given as one."""

    neighbor: IPv4Address
    interface: str
    message: Message | None
    data: bytes


@dataclasses.dataclass(slots=True, eq=False)
class _Queue:
    messages: list[tuple[Message | None, bytes]] = dataclasses.field(default_factory=list)
    size: int = _HEADER_BYTES


class Bundler:
    def __init__(self, config: BundleConfig = BundleConfig()) -> None:
        self.config = config
        self._queues: dict[tuple[IPv4Address, str], _Queue] = {}
        self._timers = TimerHeap()

    def add(self, neighbor: IPv4Address, interface: str, message: Message | None, data: bytes,
            now: float) -> list[SendBundled]:
        """Queue ``message`` (encoded as ``data``); returns what must go out at once to respect the MTU."""
        out: list[SendBundled] = []
        key = (neighbor, interface)
        limit = self.config.datagram_bytes
        if _HEADER_BYTES + len(data) > limit:  # can never be bundled
            out.append(SendBundled(neighbor, interface, message, data))
            return out
        queue = self._queues.get(key)
        if queue is not None and queue.size + len(data) > limit:
            self._flush(key, out)
            queue = None
        if queue is None:
            queue = self._queues[key] = _Queue()
            self._timers.schedule(key, now + self.config.delay_s)
        queue.messages.append((message, data))
        queue.size += len(data)
        return out

    def due(self, now: float) -> list[SendBundled]:
        out: list[SendBundled] = []
        for key in self._timers.pop_due(now):
            self._flush(key, out)
        return out

    def next_deadline(self) -> float | None:
        return self._timers.next_deadline()

    def _flush(self, key: tuple[IPv4Address, str], out: list[SendBundled]) -> None:
        queue = self._queues.pop(key)
        self._timers.cancel(key)
        if len(queue.messages) == 1:
            message, data = queue.messages[0]
        else:
            subs = tuple(m for m, _ in queue.messages)
            message = None if None in subs else Message(MsgType.BUNDLE, sub_messages=subs,  # type: ignore[arg-type]
                                                        flags=REFRESH_REDUCTION_CAPABLE)
            data = frame(MsgType.BUNDLE, REFRESH_REDUCTION_CAPABLE, 255, b"".join(d for _, d in queue.messages))
        out.append(SendBundled(*key, message, data))


def unbundle(message: Message) -> tuple[Message, ...]:
    """The messages to process: a Bundle's sub-messages with its Send_TTL (section 3.4), else ``message``."""
    if message.msg_type != MsgType.BUNDLE:
        return (message,)
    return tuple(dataclasses.replace(sub, send_ttl=message.send_ttl) for sub in message.sub_messages)
