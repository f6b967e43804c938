"""The state of classic RSVP sessions (RFC 2205 section 3.1, RFC 2209): path state per sender (PSB),
reservation state per next hop (RSB), admitted traffic control (TCSB), blockade state and what was
sent upstream, grouped per session.  :mod:`rsvp.engine.intserv` keeps and processes it.
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address
from typing import Any, Protocol

from rsvp.wire import Message
from rsvp.wire.objects import core

from .events import ReservationRequested
from .flowspecs import Spec
from .routing import Route

SessionId = tuple[IPv4Address, int, int]  # destination, protocol id, destination port (RFC 2205 section 1)
Sender = tuple[IPv4Address, int]  # source address and port
RsbKey = tuple[IPv4Address | None, str | None, Sender | None]  # next hop, outgoing interface, FF sender
TcKey = tuple[str, Sender | None]  # outgoing interface, FF sender
PhopKey = tuple[IPv4Address, str]  # previous hop, incoming interface


class MulticastRoutes(Protocol):
    """What a routes object may add for multicast sessions: the outgoing routes (next hops on each
    outgoing interface) of ``group`` traffic from ``source`` arriving on ``in_interface``."""

    def multicast_routes(self, source: IPv4Address, group: IPv4Address,
                         in_interface: str | None) -> tuple[Route, ...]: ...


@dataclasses.dataclass(slots=True, eq=False)
class Psb:
    """Path state of one sender (RFC 2205 section 3.1.1); ``phop`` None: a local sender."""

    sender: Sender
    template: core.SenderTemplateIPv4
    tspec: Any
    adspec: Any = None
    phop: IPv4Address | None = None
    lih: int = 0
    in_interface: str | None = None
    routes: tuple[Route, ...] = ()
    out_interfaces: frozenset[str] = frozenset()
    forward: tuple[Any, ...] = ()  # unknown 11bbbbbb objects to pass on (RFC 2205 section 3.10)
    paths: dict[str, Message] = dataclasses.field(default_factory=dict)  # the Path sent on each interface
    error: str | None = None  # local senders: the last PathErr

    @property
    def local(self) -> bool:
        return self.phop is None


@dataclasses.dataclass(slots=True, eq=False)
class Rsb:
    """Reservation state from one next hop (RFC 2209); ``nhop`` None: the local receiver."""

    nhop: IPv4Address | None
    interface: str | None
    style: int
    filters: frozenset[Sender]  # empty for WF
    spec: Spec
    confirm: Any = None  # RESV_CONFIRM still to be forwarded or answered
    lih: int = 0
    forward: tuple[Any, ...] = ()


@dataclasses.dataclass(slots=True, eq=False)
class Tcsb:
    """An admitted traffic control reservation: the merged flowspec and the filters it covers."""

    spec: Spec
    filters: frozenset[Sender]


@dataclasses.dataclass(slots=True, eq=False)
class SentResv:
    """The last Resv (without RESV_CONFIRM) sent to one previous hop, and the senders it stands for."""

    message: Message
    style: int
    wanted: frozenset[Sender]
    spec: Spec
    lih: int


@dataclasses.dataclass(slots=True, eq=False)
class Receiver:
    """The local receiver's request and what came back for it."""

    request: ReservationRequested
    style: int
    spec: Spec
    confirmations: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    conflict: str | None = None


@dataclasses.dataclass(slots=True, eq=False)
class Session:
    key: SessionId
    session: core.SessionIPv4
    psbs: dict[Sender, Psb] = dataclasses.field(default_factory=dict)
    rsbs: dict[RsbKey, Rsb] = dataclasses.field(default_factory=dict)
    tcsbs: dict[TcKey, Tcsb] = dataclasses.field(default_factory=dict)
    bsbs: dict[tuple[str, Any], Spec] = dataclasses.field(default_factory=dict)
    sent: dict[PhopKey, SentResv] = dataclasses.field(default_factory=dict)
    receiver: Receiver | None = None
    resv_timer: bool = False

    @property
    def multicast(self) -> bool:
        return self.key[0].is_multicast

    def style(self, local: bool = True) -> int | None:
        """The session's reservation style: all its RSBs have the same one (RFC 2205 section 3.1.2)."""
        for key, rsb in self.rsbs.items():
            if local or key[0] is not None:
                return rsb.style
        return None
