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
packet rates           ``lambda_r = max(r, R) / m'``, ``lambda_p = p' / m'``              packets/s
cpu_sustained          ``load(lambda_r)`` (= ``lambda_r * c(lambda_r)``)                  CPUs
cpu_peak               ``load(lambda_p)``                                                CPUs
queue                  ``ceil(b) + M`` (a full burst plus the packet in service)         bytes
memory                 ``queue + routelet_footprint_bytes``                              bytes
=====================  ===============================================================  ==========

CPU per packet (:class:`PacketCost`): a forwarder's cost per packet depends on
the packet rate.  A slow flow's every packet wakes the forwarder from sleep,
with cold caches; a fast flow's packets queue while it works and are handled
several per wake-up.  ``python -m benchmarks.bench_forwarder --sweep`` feeds
the built-in forwarder evenly spaced frames at a list of rates and measures
its CPU time per packet (seconds) against the rate (packets/s): from about
250 us at 10-20 packets/s (one wake-up each) through 58 us at 1,000 and
30 us at 15,000 to 11 us in bursts (about 250 packets a wake-up).  The model
is those points, ``(lambda_i, c_i)`` with ``c_i`` non-increasing and
``lambda_i * c_i`` non-decreasing (``cost_table``), and the batched cost
``c_b`` (``per_packet_batched_s``):

* the CPU load ``load(lambda)`` (fractions of one CPU) is piecewise linear in
  ``lambda`` through ``(0, 0)`` and ``(lambda_i, lambda_i * c_i)``, and beyond
  the last point grows by ``c_b`` per extra packet/s;
* the cost per packet is ``c(lambda) = load(lambda) / lambda``: ``c_1`` (every
  packet a wake-up) up to ``lambda_1``, falling monotonically between the
  points, and tending to ``c_b`` as ``lambda`` grows.

In formulas, with ``L_i = lambda_i * c_i``::

    load(lambda) = lambda * c_1                                         lambda <= lambda_1
                 = L_i + (lambda - lambda_i) * (L_i+1 - L_i) / (lambda_i+1 - lambda_i)
                                                                        lambda_i <= lambda <= lambda_i+1
                 = L_n + (lambda - lambda_n) * c_b                      lambda >= lambda_n

Interpolating the load, not the cost, keeps both monotone: a larger rate never
costs less CPU in all, nor more per packet.  ``per_packet_cost_s`` (when
given) replaces the model with one cost at every rate, ``load = lambda * c``.

The packet rate is counted in units of m', the minimum policed unit with a
floor: a packet smaller than m is counted as m against the token bucket (RFC
2210), so ``r / m'`` bounds a conforming flow's packet rate; RSVP-TE heads
send m = 0, so m' is at least ``min_unit_floor_bytes`` (64, the smallest
Ethernet frame and RFC 2544 frame size).

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
import itertools
import math
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
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

# Measured: `python -m benchmarks.bench_forwarder --sweep --repeat 3` (root; BENCHMARKS.md): the built-in
# netns forwarder's CPU time per packet (s) at evenly spaced packet rates (packets/s, as achieved), medians
# of three rounds, system calls included; and in bursts of 200 frames (about 250 packets a wake-up).  A
# Click or ClickOS routelet should be measured and configured with its own table.
DEFAULT_COST_TABLE: tuple[tuple[float, float], ...] = (
    (10, 258e-6), (20, 248e-6), (50, 212e-6), (100, 172e-6), (200, 150e-6), (500, 77.6e-6), (1000, 57.6e-6),
    (2000, 51.5e-6), (4618, 46.1e-6), (8320, 33.1e-6), (14380, 30.4e-6), (29056, 29.0e-6))
PER_PACKET_BATCHED_S = 11.3e-6
# Measured: an idle forwarder process holds about 14 MB (RSS); 16 MiB leaves the headroom a cgroup
# memory limit needs (a limit below the current usage is refused by the kernel).
ROUTELET_FOOTPRINT_BYTES = 16 << 20
DEFAULT_MIN_UNIT_FLOOR_BYTES = 64  # smallest frame of RFC 2544 benchmarks: floor for m (TE heads send 0)
DEFAULT_MAX_CPU_FRACTION = 0.75
DEFAULT_MTU_BYTES = 1500
SERVICE_NAMES = {"controlled-load": CONTROLLED_LOAD, "guaranteed": GUARANTEED}


class PacketCost:
    """CPU cost of forwarding packets as a function of the packet rate (formulas: module doc).

    ``points``: measured ``(rate, cost)`` pairs, packets/s and seconds of CPU per packet, rates
    increasing and positive, costs finite, >= 0 and non-increasing, ``rate * cost`` non-decreasing;
    ``batched_s``: the cost of each packet beyond the last point (at most the last point's cost).
    """

    __slots__ = ("points", "batched_s", "_rates", "_loads")

    def __init__(self, points: Sequence[Sequence[float]], batched_s: float) -> None:
        pairs = tuple((float(rate), float(cost)) for rate, cost in points)
        if not pairs:
            raise ValueError("cost_table needs at least one (rate, cost) point")
        for rate, cost in pairs:
            if not (0 < rate < math.inf and 0 <= cost < math.inf):
                raise ValueError(f"cost_table point ({rate}, {cost}) needs a finite rate > 0 and cost >= 0")
        for (rate0, cost0), (rate1, cost1) in itertools.pairwise(pairs):
            if rate1 <= rate0:
                raise ValueError(f"cost_table rates must increase: {rate1} after {rate0}")
            if cost1 > cost0:
                raise ValueError(f"cost_table costs must not rise with the rate: {cost1} at {rate1} after "
                                 f"{cost0} at {rate0}")
            if rate1 * cost1 < rate0 * cost0:
                raise ValueError(f"cost_table load rate*cost must not fall with the rate: {rate1 * cost1:.4g} "
                                 f"at {rate1} after {rate0 * cost0:.4g} at {rate0}")
        if not 0 <= batched_s <= pairs[-1][1]:
            raise ValueError(f"per_packet_batched_s must be within [0, {pairs[-1][1]}] (the last point's cost), "
                             f"not {batched_s}")
        self.points, self.batched_s = pairs, float(batched_s)
        self._rates = [rate for rate, _ in pairs]
        self._loads = [rate * cost for rate, cost in pairs]

    @classmethod
    def constant(cls, cost_s: float) -> PacketCost:
        """``cost_s`` per packet at every rate."""
        return cls(((1.0, cost_s),), cost_s)

    def load(self, rate_pps: float) -> float:
        """CPU (fractions of one CPU) to forward ``rate_pps`` packets/s; 0 for no packets."""
        if rate_pps <= 0:
            return 0.0
        rates, loads = self._rates, self._loads
        i = bisect_right(rates, rate_pps)
        if i == len(rates):
            return loads[-1] + (rate_pps - rates[-1]) * self.batched_s
        rate0, load0 = (0.0, 0.0) if i == 0 else (rates[i - 1], loads[i - 1])
        # each step is monotone in rate_pps under rounding; the clamp keeps segment ends in order too
        return min(loads[i], max(load0, load0 + (rate_pps - rate0) * (loads[i] - load0) / (rates[i] - rate0)))

    def cost(self, rate_pps: float) -> float:
        """CPU seconds per packet at ``rate_pps`` packets/s (the first point's cost at or below its rate)."""
        return self.points[0][1] if rate_pps <= self._rates[0] else self.load(rate_pps) / rate_pps

    def __repr__(self) -> str:
        return f"PacketCost({list(self.points)!r}, batched_s={self.batched_s!r})"


class QuasarAdmission(BandwidthAdmission):
    """Satisfies :class:`rsvp.engine.admission.Admission`; adds :meth:`shares` and :meth:`snapshot`."""

    def __init__(self, interfaces: tuple[Interface, ...], *, cpus: float = 1.0, memory_bytes: int = 1 << 30,
                 per_packet_cost_s: float | None = None,
                 cost_table: Sequence[Sequence[float]] = DEFAULT_COST_TABLE,
                 per_packet_batched_s: float = PER_PACKET_BATCHED_S,
                 routelet_footprint_bytes: int = ROUTELET_FOOTPRINT_BYTES,
                 max_cpu_fraction: float = DEFAULT_MAX_CPU_FRACTION, max_fraction: float | None = None,
                 min_unit_floor_bytes: int = DEFAULT_MIN_UNIT_FLOOR_BYTES, mtu_bytes: int = DEFAULT_MTU_BYTES,
                 services: Collection[str] = tuple(SERVICE_NAMES),
                 exported_c_bytes: float | None = None, exported_d_us: float = CGROUP_CPU_PERIOD_US) -> None:
        unknown = set(services) - SERVICE_NAMES.keys()
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}; known: {sorted(SERVICE_NAMES)}")
        for name, value in (("cpus", cpus), ("memory_bytes", memory_bytes),
                            ("per_packet_cost_s", 0 if per_packet_cost_s is None else per_packet_cost_s),
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
        self.packet_cost = (PacketCost(cost_table, per_packet_batched_s) if per_packet_cost_s is None
                            else PacketCost.constant(per_packet_cost_s))  # one cost at every rate, as before
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
                      max_packet_bytes=spec.max_packet, cpu_sustained=self.cpu_load(rate / unit),
                      cpu_peak=self.cpu_load(peak / unit), queue_bytes=queue,
                      memory_bytes=queue + self.routelet_footprint_bytes)

    def cpu_load(self, rate_pps: float) -> float:
        """Fractions of one CPU a routelet needs to forward ``rate_pps`` packets/s."""
        return self.packet_cost.load(rate_pps)

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
