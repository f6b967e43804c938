"""Admission control as the engine sees it: a small request/answer interface.

The engine asks before it reserves on an outgoing interface; the policy
answers with a handle or with the RFC 2205 ERROR_SPEC (code, value) to send.
:class:`BandwidthPolicy` is the simple built-in; the QuaSAR policies (CPU and
memory as well as bandwidth) implement the same interface in ``admission/``.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from .config import Interface

ADMISSION_FAILURE = 1  # RFC 2205 appendix B
BANDWIDTH_UNAVAILABLE = 2  # error value under code 1


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One reservation on ``interface``; ``share_key`` groups reservations that share bandwidth
    (the senders of one SE-style session, RFC 3209 section 2.5), None for a distinct (FF) one."""

    key: object
    interface: str
    bandwidth_bps: float
    setup_priority: int = 7
    hold_priority: int = 0
    share_key: object | None = None


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

    def reserved_bps(self, interface: str) -> float: ...


class BandwidthPolicy:
    """Per-interface reservable bandwidth: ``bandwidth_bps * max_reservable`` of each interface.

    Reservations sharing a ``share_key`` on an interface count once, at their
    largest (SE style: a make-before-break LSP shares with the old one).
    """

    def __init__(self, interfaces: tuple[Interface, ...]) -> None:
        self._capacity = {i.name: i.bandwidth_bps * i.max_reservable for i in interfaces}
        self._held: dict[object, Request] = {}

    def _usage(self, interface: str, without: object = None, extra: Request | None = None) -> float:
        groups: dict[object, float] = {}
        held = [r for k, r in self._held.items() if r.interface == interface and k != without]
        if extra is not None:
            held.append(extra)
        for index, request in enumerate(held):
            group = ("shared", request.share_key) if request.share_key is not None else ("own", index)
            groups[group] = max(groups.get(group, 0.0), request.bandwidth_bps)
        return sum(groups.values())

    def admit(self, request: Request) -> Rejected | None:
        capacity = self._capacity.get(request.interface)
        if capacity is None:
            return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, f"no RSVP interface {request.interface}")
        if self._usage(request.interface, request.key, request) > capacity + 1e-6:
            free = capacity - self._usage(request.interface, request.key)
            return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE,
                            f"{request.bandwidth_bps:.0f} b/s requested on {request.interface}, {free:.0f} b/s free")
        self._held[request.key] = request
        return None

    def release(self, key: object) -> None:
        self._held.pop(key, None)

    def reserved_bps(self, interface: str) -> float:
        return self._usage(interface)
