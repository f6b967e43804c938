"""The ``quasar`` policy: bandwidth plus the router's CPU and memory, one routelet per reservation.

QuaSAR gives each admitted flow a routelet with a fixed share of the router
(seed proposal, section 4).  From the Int-serv request (token bucket r, b, p,
m, M in bytes/s and bytes; Guaranteed RSpec R, S, RFC 2210-2212) this policy
derives the routelet's :class:`~admission.shares.Shares` and holds them on the
ledger:

=====================  ===============================================================  ==========
share                  formula                                                           unit
=====================  ===============================================================  ==========
bandwidth              ``request.bandwidth_bps`` (= 8 R for Guaranteed, 8 r for          bits/s
                       Controlled-Load: what the engine asks for)
policed unit m'        ``max(m, min_unit_floor_bytes)`` (RSVP-TE heads send m = 0)       bytes
sustained rate         ``max(r, R)`` (the rate the routelet must forward at)              bytes/s
peak rate p'           ``max(min(p, line rate / 8), max(r, R))``                          bytes/s
cpu_sustained          ``max(r, R) / m' * per_packet_cost_s``                            CPUs
cpu_peak               ``p' / m' * per_packet_cost_s``                                   CPUs
queue                  ``ceil(b) + M`` (a full burst plus the packet in service)         bytes
memory                 ``queue + routelet_footprint_bytes``                              bytes
=====================  ===============================================================  ==========

Ledger capacities: each interface ``bandwidth_bps * max_reservable`` (or
``max_fraction``), CPU ``cpus * max_cpu_fraction`` (the rest stays with the
best-effort router in dom0 and with signalling), memory ``memory_bytes``.
CPU is admitted on ``cpu_sustained`` (the guarantee the scheduler weight
gives); ``cpu_peak`` only caps the routelet, for isolation.  SE sharers
(RFC 3209 section 2.5) count once at their largest for bandwidth and CPU
(their traffic together stays within one reservation) but each holds its own
memory (each has its own routelet).

Refusals (RFC 2205 appendix B): a bad TSpec/FlowSpec or an unoffered service
21/x and an M above ``mtu_bytes`` 1/3 (see :func:`admission.intserv.check`);
no bandwidth 1/2; no CPU or no memory also 1/2 "Requested bandwidth
unavailable", because RFC 2205 has no code for other resources and the CPU
and memory are what the requested rate costs (the reason text names the
resource); a Guaranteed request whose delay bound cannot be kept 1/1.

Delay: a capped routelet may wait, throttled, for the rest of a CPU period,
so its actual D term is ``period - quota`` microseconds (CFS bandwidth control;
a Xen cap throttles the same way per accounting period) and its C term its M.
The node exports ``exported_c_bytes`` and ``exported_d_us`` (RFC 2212
"Exported Information"; default the MTU and one full period, which covers any
cap).  A Guaranteed request is refused with 1/1 when what this hop adds beyond
its export, (C - C_exp)/R + (D - D_exp), exceeds the request's slack S.

A request without an Int-serv spec is admitted on bandwidth alone and gets no
:class:`Shares` (``shares(key)`` is None).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping
from typing import Any

from rsvp.engine.admission import ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, Rejected, Request
from rsvp.engine.config import Interface
from rsvp.engine.flowspecs import CONTROLLED_LOAD, GUARANTEED, Spec

from . import intserv
from .bandwidth import BandwidthAdmission, bandwidth
from .ledger import Claim
from .shares import CGROUP_CPU_PERIOD_US, Shares

CPU = "cpu"  # ledger resource: fractions of one CPU
MEMORY = "memory"  # ledger resource: bytes

# Measured: `python -m benchmarks.bench_forwarder` (root) puts the built-in netns forwarder at 8-11 us of
# CPU per packet over a veth in bursts, system calls included (BENCHMARKS.md); the larger figure is the
# default.  A flow slow enough that every packet wakes the forwarder costs 40-73 us a packet
# (`--gap 0.001`): pass that for such flows, or a routelet is throttled by its own CPU cap (the
# evaluation does, docs/evaluation.md).  A Click or ClickOS routelet should pass its own measured figure.
PER_PACKET_COST_S = 11e-6
# Measured: an idle forwarder process holds about 14 MB (RSS); 16 MiB leaves the headroom a cgroup
# memory limit needs (a limit below the current usage is refused by the kernel).
ROUTELET_FOOTPRINT_BYTES = 16 << 20
DEFAULT_MIN_UNIT_FLOOR_BYTES = 64  # smallest frame of RFC 2544 benchmarks: floor for m (TE heads send 0)
DEFAULT_MAX_CPU_FRACTION = 0.75
DEFAULT_MTU_BYTES = 1500
SERVICE_NAMES = {"controlled-load": CONTROLLED_LOAD, "guaranteed": GUARANTEED}


class QuasarAdmission(BandwidthAdmission):
    """Satisfies :class:`rsvp.engine.admission.Admission`; adds :meth:`shares` and :meth:`snapshot`."""

    def __init__(self, interfaces: tuple[Interface, ...], *, cpus: float = 1.0, memory_bytes: int = 1 << 30,
                 per_packet_cost_s: float = PER_PACKET_COST_S,
                 routelet_footprint_bytes: int = ROUTELET_FOOTPRINT_BYTES,
                 max_cpu_fraction: float = DEFAULT_MAX_CPU_FRACTION, max_fraction: float | None = None,
                 min_unit_floor_bytes: int = DEFAULT_MIN_UNIT_FLOOR_BYTES, mtu_bytes: int = DEFAULT_MTU_BYTES,
                 services: Collection[str] = tuple(SERVICE_NAMES),
                 exported_c_bytes: float | None = None, exported_d_us: float = CGROUP_CPU_PERIOD_US) -> None:
        unknown = set(services) - SERVICE_NAMES.keys()
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}; known: {sorted(SERVICE_NAMES)}")
        for name, value in (("cpus", cpus), ("memory_bytes", memory_bytes), ("per_packet_cost_s", per_packet_cost_s),
                            ("routelet_footprint_bytes", routelet_footprint_bytes),
                            ("min_unit_floor_bytes", min_unit_floor_bytes), ("mtu_bytes", mtu_bytes),
                            ("exported_d_us", exported_d_us)):
            if not 0 <= value < math.inf:
                raise ValueError(f"{name} must be finite and >= 0, not {value}")
        if not 0 <= max_cpu_fraction <= 1:
            raise ValueError(f"max_cpu_fraction must be within [0, 1], not {max_cpu_fraction}")
        self.cpu_capacity = cpus * max_cpu_fraction
        self.memory_bytes = memory_bytes
        self.per_packet_cost_s = per_packet_cost_s
        self.routelet_footprint_bytes = routelet_footprint_bytes
        self.min_unit_floor_bytes = max(1, min_unit_floor_bytes)
        self.mtu_bytes = mtu_bytes
        self.services = frozenset(SERVICE_NAMES[s] for s in services)
        self.exported = intserv.ErrorTerms(mtu_bytes if exported_c_bytes is None else exported_c_bytes, exported_d_us)
        self._held: dict[object, tuple[Request, Shares | None]] = {}
        super().__init__(interfaces, max_fraction)

    def _capacities(self, max_fraction: float | None) -> dict[str, float]:
        return {**super()._capacities(max_fraction), CPU: self.cpu_capacity, MEMORY: self.memory_bytes}

    def _shared(self) -> set[str]:
        return super()._shared() | {CPU}

    # -- the mapping --------------------------------------------------------------------------
    def shares_for(self, spec: Spec, interface: Interface, bandwidth_bps: float) -> Shares:
        """The routelet partition for ``spec`` forwarded out of ``interface`` (formulas: module doc)."""
        unit = max(spec.min_unit, self.min_unit_floor_bytes)
        rate = max(spec.rate, spec.rspec_rate)
        peak = max(min(spec.peak, interface.bandwidth_bps / 8), rate)
        queue = math.ceil(spec.bucket) + spec.max_packet
        return Shares(bandwidth_bps=bandwidth_bps, burst_bytes=math.ceil(spec.bucket), peak_bps=spec.peak * 8,
                      max_packet_bytes=spec.max_packet, cpu_sustained=rate / unit * self.per_packet_cost_s,
                      cpu_peak=peak / unit * self.per_packet_cost_s, queue_bytes=queue,
                      memory_bytes=queue + self.routelet_footprint_bytes)

    def error_terms(self, spec: Spec, shares: Shares) -> intserv.ErrorTerms:
        """This hop's actual C (the flow's M) and D (``period - quota``: the wait of a throttled routelet)."""
        return intserv.ErrorTerms(spec.max_packet, shares.cgroup_cpu_period_us - min(
            shares.cgroup_cpu_quota_us, shares.cgroup_cpu_period_us))

    def _amounts(self, request: Request) -> Mapping[str, float] | Rejected:
        amounts = {bandwidth(request.interface): request.bandwidth_bps}
        spec = request.spec
        if spec is None:
            return amounts
        refused = intserv.check(spec, self.mtu_bytes, self.services)
        if refused is not None:
            return refused
        shares = self.shares_for(spec, self.interfaces[request.interface], request.bandwidth_bps)
        if spec.service == GUARANTEED:
            actual = self.error_terms(spec, shares)
            needed = intserv.slack_needed(spec, actual, self.exported)
            if needed > spec.slack:
                return Rejected(ADMISSION_FAILURE, intserv.DELAY_BOUND,
                                f"this hop adds {needed:.0f} us beyond its exported error terms (D {actual.d_us:.0f} "
                                f"us with a {shares.xen_cap_pct}% CPU cap), slack is {spec.slack:.0f} us")
        return {**amounts, CPU: shares.cpu_sustained, MEMORY: shares.memory_bytes}

    # -- the Admission interface --------------------------------------------------------------
    def _refusal(self, request: Request, claim: Claim, short: Mapping[str, float]) -> Rejected:
        if bandwidth(request.interface) in short:
            return super()._refusal(request, claim, short)
        resource, unit = (CPU, "of a CPU") if CPU in short else (MEMORY, "bytes")
        free = self.ledger.capacity(resource) - self.ledger.usage(resource, (request.key,))
        return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE,
                        f"{resource}: {claim.amounts[resource]:.4g} {unit} needed, {free:.4g} {unit} free")

    def admit(self, request: Request) -> Rejected | None:
        rejected = super().admit(request)
        if rejected is None:
            spec = request.spec
            self._held[request.key] = (request, None if spec is None else
                                       self.shares_for(spec, self.interfaces[request.interface], request.bandwidth_bps))
        return rejected

    def release(self, key: object) -> None:
        super().release(key)
        self._held.pop(key, None)

    def shares(self, key: object) -> Shares | None:
        """The partition admitted under ``key`` (None if it holds none, or was admitted without a spec)."""
        held = self._held.get(key)
        return None if held is None else held[1]

    def snapshot(self) -> dict[str, Any]:
        """The ledger as JSON-able data: capacities and use, and one record per reservation."""
        return {
            "interfaces": {name: {"capacity_bps": self.ledger.capacity(bandwidth(name)),
                                  "used_bps": self.ledger.used(bandwidth(name))} for name in self.interfaces},
            "cpu": {"capacity": self.ledger.capacity(CPU), "used": self.ledger.used(CPU)},
            "memory": {"capacity_bytes": self.ledger.capacity(MEMORY), "used_bytes": self.ledger.used(MEMORY)},
            "reservations": [_record(request, shares) for request, shares in self._held.values()],
        }


def _record(request: Request, shares: Shares | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "key": str(request.key), "interface": request.interface, "bandwidth_bps": request.bandwidth_bps,
        "setup_priority": request.setup_priority, "hold_priority": request.hold_priority,
        "share_key": None if request.share_key is None else str(request.share_key),
        "spec": None if request.spec is None else request.spec.describe(), "shares": None,
    }
    if shares is not None:
        fields = dataclasses.asdict(shares)
        fields["peak_bps"] = None if shares.peak_bps == math.inf else shares.peak_bps
        record["shares"] = {**fields, "xen_weight": shares.xen_weight, "xen_cap_pct": shares.xen_cap_pct,
                            "cgroup_cpu_quota_us": shares.cgroup_cpu_quota_us,
                            "cgroup_cpu_period_us": shares.cgroup_cpu_period_us,
                            "cgroup_cpu_shares": shares.cgroup_cpu_shares,
                            "cgroup_cpu_weight": shares.cgroup_cpu_weight}
    return record
