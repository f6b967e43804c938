"""Admission control as the engine sees it: a small request/answer interface.

The engine asks before it reserves on an outgoing interface; the policy
answers with a handle or with the RFC 2205 ERROR_SPEC (code, value) to send.
:class:`BandwidthPolicy` is the simple built-in; the QuaSAR policies (CPU and
memory as well as bandwidth) implement the same interface in ``admission/``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Protocol

from .flowspecs import Spec

if TYPE_CHECKING:  # config imports the overload settings, which import this module's error codes
    from .config import Interface

ADMISSION_FAILURE = 1  # RFC 2205 appendix B
BANDWIDTH_UNAVAILABLE = 2  # error value under code 1


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One reservation on ``interface``; ``share_key`` groups reservations that share bandwidth
    (the senders of one SE-style session, RFC 3209 section 2.5), None for a distinct (FF) one.

    ``spec`` is the Int-serv request behind ``bandwidth_bps`` (token bucket r, b, p, m, M and, for
    Guaranteed service, R and S; bytes/s and bytes as on the wire, RFC 2210): policies that share
    more than bandwidth (CPU, memory: ``admission.quasar``) read it.  ``key`` identifies the
    reservation (for RSVP-TE an :class:`~rsvp.engine.state.LspKey`: session and sender).
    """

    key: object
    interface: str
    bandwidth_bps: float
    setup_priority: int = 7
    hold_priority: int = 0
    share_key: object | None = None
    spec: Spec | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Rejected:
    error_code: int
    error_value: int
    reason: str


class Admission(Protocol):
    def admit(self, request: Request) -> Rejected | None:
        """Reserve (or resize the reservation under ``request.key``); None when admitted."""

    def release(self, key: object) -> None:
        """Give back what ``key`` holds (nothing if it holds nothing)."""

    def preemptable(self, request: Request) -> list[object]:
        """Keys whose preemption would let ``request`` in: holding priority numerically above its
        setup priority (RFC 3209 section 4.7), lowest priority first; [] if that cannot make room."""

    def reserved_bps(self, interface: str) -> float: ...


class BandwidthPolicy:
    """Per-interface reservable bandwidth: ``bandwidth_bps * max_reservable`` of each interface.

    Reservations sharing a ``share_key`` on an interface count once, at their
    largest (SE style: a make-before-break LSP shares with the old one).
    Accounting is incremental: admitting or releasing costs O(size of the
    sharing group), whatever the number of reservations.
    """

    def __init__(self, interfaces: tuple[Interface, ...]) -> None:
        self._capacity = {i.name: i.bandwidth_bps * i.max_reservable for i in interfaces}
        self._held: dict[object, Request] = {}
        self._used: dict[str, float] = dict.fromkeys(self._capacity, 0.0)
        # per interface: SE share key -> the one Request sharing it, or {key: bandwidth} when several do
        self._groups: dict[str, dict[object, Request | dict[object, float]]] = {i.name: {} for i in interfaces}
        self._holding: dict[tuple[str, int], dict[object, None]] = {}  # (interface, hold priority) -> keys

    def _add(self, request: Request) -> None:
        self._held[request.key] = request
        self._holding.setdefault((request.interface, request.hold_priority), {})[request.key] = None
        if request.share_key is None:
            self._used[request.interface] += request.bandwidth_bps
            return
        groups = self._groups[request.interface]
        group = groups.get(request.share_key)
        if group is None:  # a group of one is its request: no dict per reservation
            groups[request.share_key] = request
            self._used[request.interface] += request.bandwidth_bps
            return
        if isinstance(group, Request):
            group = groups[request.share_key] = {group.key: group.bandwidth_bps}
        before = max(group.values())
        group[request.key] = request.bandwidth_bps
        self._used[request.interface] += max(group.values()) - before

    def _remove(self, key: object) -> Request | None:
        request = self._held.pop(key, None)
        if request is None:
            return None
        holders = self._holding[(request.interface, request.hold_priority)]
        del holders[key]
        if not holders:
            del self._holding[(request.interface, request.hold_priority)]
        if request.share_key is None:
            self._used[request.interface] -= request.bandwidth_bps
            return request
        groups = self._groups[request.interface]
        group = groups[request.share_key]
        if isinstance(group, Request):
            del groups[request.share_key]
            self._used[request.interface] -= request.bandwidth_bps
            return request
        before = max(group.values())
        del group[key]
        self._used[request.interface] -= before - max(group.values())
        if len(group) == 1:
            groups[request.share_key] = self._held[next(iter(group))]
        return request

    def admit(self, request: Request) -> Rejected | None:
        capacity = self._capacity.get(request.interface)
        if capacity is None:
            return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, f"no RSVP interface {request.interface}")
        old = self._remove(request.key)
        self._add(request)
        if self._used[request.interface] <= capacity + 1e-6:
            return None
        self._remove(request.key)
        if old is not None:
            self._add(old)
        free = capacity - self._used[request.interface]
        return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE,
                        f"{request.bandwidth_bps:.0f} b/s requested on {request.interface}, {free:.0f} b/s free")

    def release(self, key: object) -> None:
        self._remove(key)

    def preemptable(self, request: Request) -> list[object]:
        capacity = self._capacity.get(request.interface)
        if capacity is None:
            return []
        weaker = []  # lowest priority first (priorities 0-7, RFC 3209 section 4.7); only those levels are read
        for priority in range(7, request.setup_priority, -1):
            level = [self._held[k] for k in self._holding.get((request.interface, priority), ()) if k != request.key]
            weaker.extend(sorted(level, key=lambda r: -r.bandwidth_bps))
        if not weaker:
            return []
        old = self._remove(request.key)
        taken: list[Request] = []
        for victim in weaker:
            self._add(request)
            fits = self._used[request.interface] <= capacity + 1e-6
            self._remove(request.key)
            if fits:
                break
            taken.append(victim)
            self._remove(victim.key)
        else:
            self._add(request)
            fits = self._used[request.interface] <= capacity + 1e-6
            self._remove(request.key)
        for victim in taken:  # this was a trial: put everything back
            self._add(victim)
        if old is not None:
            self._add(old)
        return [victim.key for victim in taken] if fits and taken else []

    def reserved_bps(self, interface: str) -> float:
        return self._used.get(interface, 0.0)
