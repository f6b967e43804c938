"""The send path of a node: piggy-backed acks, signing, bundling and pacing (RFC 2961, RFC 2747, RFC 8370).

Theory of operation
-------------------
The node hands every datagram it sends to :meth:`Outbox.send` as bytes without
INTEGRITY (the bytes it keeps for refreshes).  On the way out:

1. acks owed to the neighbour (:meth:`~rsvp.engine.reliable.Reliable.take_acks`)
   are spliced in after the common header (RFC 2961 section 4.6: they may ride
   on any message to it), so the cached bytes stay ack-free;
2. the :class:`~rsvp.engine.integrity.IntegrityGuard` signs the datagram, which
   puts INTEGRITY first (RFC 2747 section 4.1); a datagram with no usable key is
   dropped and counted, never sent unauthenticated;
3. messages without Router Alert to a refresh-reduction capable neighbour wait up
   to the bundling window for company (RFC 2961 section 3.3);
4. the :class:`~rsvp.engine.budget.Pacer` releases them per interface at its rate,
   most urgent first.

Everything is released by :meth:`Outbox.flush`, which the node calls at the end of
every ``handle`` and ``on_timer``; :meth:`Outbox.next_deadline` says when queued
messages are next due.
"""

from __future__ import annotations

import collections
from ipaddress import IPv4Address

from rsvp.wire import MsgType

from .actions import Action, Send
from .budget import (
    PRIORITY_HELLO_ACK,
    PRIORITY_REFRESH,
    PRIORITY_TEAR_ERROR,
    PRIORITY_TRIGGER,
    Pacer,
)
from .bundle import Bundler, frame
from .integrity import IntegrityGuard
from .reliable import Reliable

_ACK_BYTES = 12
_SIGNATURE_ROOM = 64  # INTEGRITY with the longest digest (HMAC-SHA-256: 20 + 32 bytes), rounded up
_NO_ACKS = frozenset({MsgType.HELLO, MsgType.BUNDLE, MsgType.INTEGRITY_CHALLENGE, MsgType.INTEGRITY_RESPONSE})
_URGENCY = {MsgType.HELLO: PRIORITY_HELLO_ACK, MsgType.ACK: PRIORITY_HELLO_ACK,
            MsgType.INTEGRITY_CHALLENGE: PRIORITY_HELLO_ACK, MsgType.INTEGRITY_RESPONSE: PRIORITY_HELLO_ACK,
            MsgType.PATH_TEAR: PRIORITY_TEAR_ERROR, MsgType.RESV_TEAR: PRIORITY_TEAR_ERROR,
            MsgType.PATH_ERR: PRIORITY_TEAR_ERROR, MsgType.RESV_ERR: PRIORITY_TEAR_ERROR,
            MsgType.SREFRESH: PRIORITY_REFRESH}


class Outbox:
    """Each part is optional (None: off).  ``counters`` is the node's, for drops and what was sent."""

    def __init__(self, counters: collections.Counter[str], reliable: Reliable | None,
                 guard: IntegrityGuard | None, bundler: Bundler | None, pacer: Pacer | None,
                 datagram_bytes: int) -> None:
        self.counters = counters
        self.reliable = reliable
        self.guard = guard
        self.bundler = bundler
        self.pacer = pacer
        self._ack_room = datagram_bytes - (_SIGNATURE_ROOM if guard is not None else 0)
        self._ready: list[Action] = []

    def send(self, data: bytes, interface: str, destination: IPv4Address, now: float,
             router_alert: bool = False, refresh: bool = False) -> None:
        """Queue ``data`` for ``destination`` out of ``interface``; ``refresh``: pace it last."""
        msg_type = data[1]
        reliable = self.reliable
        if reliable is not None and msg_type not in _NO_ACKS:
            acks = reliable.take_acks(destination, (self._ack_room - len(data)) // _ACK_BYTES)
            if acks:
                data = frame(msg_type, data[0] & 0x0F, data[4], b"".join(a.encode() for a in acks) + data[8:])
        if self.guard is not None:
            signed = self.guard.sign(data, interface, destination, now)
            if signed is None:
                self.counters["drop: no integrity key valid to send with"] += 1
                return
            data = signed
        if self.bundler is not None and not router_alert and msg_type != MsgType.HELLO \
                and reliable is not None and reliable.capable(destination):
            for bundled in self.bundler.add(destination, interface, None, data, now):
                self._pace(Send(bundled.data, interface, destination), now, PRIORITY_TRIGGER)
            return
        priority = PRIORITY_REFRESH if refresh else _URGENCY.get(msg_type, PRIORITY_TRIGGER)
        self._pace(Send(data, interface, destination, router_alert), now, priority)

    def _pace(self, send: Send, now: float, priority: int) -> None:
        if self.pacer is None:
            self._ready.append(send)
        elif not self.pacer.enqueue(send, send.interface, now, priority):
            self.counters["drop: output queue full"] += 1

    def flush(self, now: float, out: list[Action]) -> None:
        """Append to ``out`` whatever may go out by ``now``."""
        if self.bundler is not None:
            for bundled in self.bundler.due(now):
                self._pace(Send(bundled.data, bundled.interface, bundled.neighbor), now, PRIORITY_TRIGGER)
        if self.pacer is not None:
            self._ready.extend(send for _, send in self.pacer.due(now))  # type: ignore[misc]
        out.extend(self._ready)
        self._ready.clear()

    def next_deadline(self) -> float | None:
        deadlines = [d for d in (self.bundler.next_deadline() if self.bundler else None,
                                 self.pacer.next_deadline() if self.pacer else None) if d is not None]
        return min(deadlines) if deadlines else None
