"""The ``bandwidth`` policy: per-interface reservable bandwidth, kept on a :class:`~admission.ledger.Ledger`.

Each interface may give out ``bandwidth_bps * fraction`` (its own
``max_reservable``, or ``max_fraction`` for all when given; RFC 2205 leaves
the limit to local policy, and IOS XR's default is 75%).  SE sharers count
once at their largest; preemption follows hold priority (RFC 3209 section 4.7).
Refusal is 1/2 "Requested bandwidth unavailable" (RFC 2205 appendix B).

This is the same admission rule as the engine's built-in
:class:`rsvp.engine.admission.BandwidthPolicy`, made pluggable, with a ledger
that :class:`~admission.quasar.QuasarAdmission` extends with CPU and memory.
"""

from __future__ import annotations

from collections.abc import Mapping

from rsvp.engine.admission import ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, Rejected, Request
from rsvp.engine.config import Interface

from .ledger import Claim, Ledger


def bandwidth(interface: str) -> str:
    """The ledger resource of an interface's reservable bandwidth (bits/s)."""
    return f"bandwidth:{interface}"


class BandwidthAdmission:
    """Satisfies :class:`rsvp.engine.admission.Admission`."""

    def __init__(self, interfaces: tuple[Interface, ...], max_fraction: float | None = None) -> None:
        if max_fraction is not None and not 0 <= max_fraction <= 1:
            raise ValueError(f"max_fraction must be within [0, 1], not {max_fraction}")
        self.interfaces = {i.name: i for i in interfaces}
        self.ledger = Ledger(self._capacities(max_fraction), shared=self._shared())

    def _capacities(self, max_fraction: float | None) -> dict[str, float]:
        return {bandwidth(i.name): i.bandwidth_bps * (i.max_reservable if max_fraction is None else max_fraction)
                for i in self.interfaces.values()}

    def _shared(self) -> set[str]:
        return {bandwidth(name) for name in self.interfaces}

    def _amounts(self, request: Request) -> Mapping[str, float] | Rejected:
        """What ``request`` needs, per ledger resource, or why it cannot be had at all."""
        return {bandwidth(request.interface): request.bandwidth_bps}

    def _claim(self, request: Request) -> Claim | Rejected:
        if request.interface not in self.interfaces:
            return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, f"no RSVP interface {request.interface}")
        amounts = self._amounts(request)
        if isinstance(amounts, Rejected):
            return amounts
        return Claim(request.key, amounts, request.share_key, request.hold_priority)

    def _refusal(self, request: Request, claim: Claim, short: Mapping[str, float]) -> Rejected:
        """The answer to a claim the ledger is ``short`` of."""
        resource = bandwidth(request.interface)
        free = self.ledger.capacity(resource) - self.ledger.usage(resource, (request.key,))
        return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE,
                        f"{request.bandwidth_bps:.0f} b/s requested on {request.interface}, {free:.0f} b/s free")

    def admit(self, request: Request) -> Rejected | None:
        claim = self._claim(request)
        if isinstance(claim, Rejected):
            return claim
        short = self.ledger.add(claim)
        return self._refusal(request, claim, short) if short else None

    def release(self, key: object) -> None:
        self.ledger.remove(key)

    def preemptable(self, request: Request) -> list[object]:
        claim = self._claim(request)
        return [] if isinstance(claim, Rejected) else self.ledger.preemption(claim, request.setup_priority)

    def reserved_bps(self, interface: str) -> float:
        return self.ledger.used(bandwidth(interface))
