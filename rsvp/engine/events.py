"""Engine inputs: facts that happened, in the past tense (DESIGN.md conventions).

The daemon, the simulator and the tests turn I/O and operator commands into
these and hand them to :meth:`rsvp.engine.Node.handle` with the current time.
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address

from rsvp.wire import Message

from .config import FlowRequest, IntServSession, TrafficSpec, Tunnel


@dataclasses.dataclass(frozen=True, slots=True)
class PacketReceived:
    """An RSVP datagram (the IP payload, common header first) arrived on ``interface`` from IP source
    ``source``: what a daemon or simulator hands over.  The node decodes it itself, so it can verify
    integrity first and recognise a refresh by its bytes; a datagram that does not decode is counted
    and dropped.  ``ip_ttl`` as in :class:`MessageReceived`."""

    data: bytes
    interface: str
    source: IPv4Address
    ip_ttl: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class MessageReceived:
    """A decoded RSVP message arrived on ``interface`` from IP source ``source``.

    ``ip_ttl`` is the received IP TTL (compared with Send_TTL to detect non-RSVP
    hops, RFC 2205 section 3.8), None when unknown.
    """

    message: Message
    interface: str
    source: IPv4Address
    ip_ttl: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class TunnelAdded:
    """The operator configured a new ingress tunnel (or changed one: same name)."""

    tunnel: Tunnel


@dataclasses.dataclass(frozen=True, slots=True)
class TunnelRemoved:
    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class LabelInstalled:
    """The forwarding entry asked for by an :class:`~rsvp.engine.actions.InstallLabel` is in place."""

    handle: int


@dataclasses.dataclass(frozen=True, slots=True)
class LabelInstallFailed:
    """The forwarding entry could not be realised; nothing of it is left in place.

    ``error_code``/``error_value``: the RFC 2205 appendix B error the
    reservation fails with, by default 22 "Traffic Control System error"
    (the value is system-specific: :mod:`quasar_glue.model` lists the
    glue's); a performer may answer 21/x "Traffic Control error" instead.
    """

    handle: int
    reason: str
    error_code: int = 22
    error_value: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class LinkDown:
    interface: str


@dataclasses.dataclass(frozen=True, slots=True)
class LinkUp:
    interface: str


@dataclasses.dataclass(frozen=True, slots=True)
class ShutdownRequested:
    """The node is being stopped gracefully: it tears down every LSP it takes part in (PathTear
    downstream, ResvTear upstream, RFC 2205 section 3.1.5), releases their reservations, labels and
    forwarding entries, and accepts no new Path, so its neighbours hold no state for it."""


# --- Int-serv hosts (RFC 2205 sessions, C-Type 1): the local application's requests -----------------


@dataclasses.dataclass(frozen=True, slots=True)
class SenderAdded:
    """A local application starts sending to ``session`` from ``source_port`` (the router id is the
    source address): the node originates Paths for it (changed ``tspec``: same event again)."""

    session: IntServSession
    source_port: int
    tspec: TrafficSpec


@dataclasses.dataclass(frozen=True, slots=True)
class SenderRemoved:
    session: IntServSession
    source_port: int


@dataclasses.dataclass(frozen=True, slots=True)
class ReservationRequested:
    """A local receiver asks for a reservation in ``session`` (a new request replaces the old one).

    ``style`` is "FF", "SE" or "WF".  ``senders`` limits FF and SE to those
    (address, port) senders; None means every sender whose Path reaches this
    node.  ``confirm`` asks for a ResvConf (RFC 2205 section 2.6).
    """

    session: IntServSession
    style: str
    flowspec: FlowRequest
    senders: tuple[tuple[IPv4Address, int], ...] | None = None
    confirm: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class ReservationRemoved:
    session: IntServSession


IntServEvent = SenderAdded | SenderRemoved | ReservationRequested | ReservationRemoved
Event = (PacketReceived | MessageReceived | TunnelAdded | TunnelRemoved | LabelInstalled | LabelInstallFailed | LinkDown | LinkUp
         | ShutdownRequested | IntServEvent)
