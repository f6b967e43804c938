"""What one admitted reservation is given: its routelet's partition of the router.

Computed by a policy (``admission.quasar``) from the Int-serv request and
realised by a routelet backend (``quasar_glue``).  Units: bits/s, bytes, and
fractions of one CPU.

The CPU fractions become scheduler knobs through the derived properties below:

* the *sustained* fraction (packet rate r/m times the per-packet cost) is a
  proportional weight, so a routelet is guaranteed at least that share when
  the CPU is contended;
* the *peak* fraction (packet rate p/m times the per-packet cost) is a hard
  cap, so a routelet can never take more than its peak share (the isolation
  QuaSAR is for).

Weights are relative, so each scheduler's scale is fixed by one constant:
one whole CPU is worth 100 times the scheduler's default weight (Xen credit
256, cgroup v1 ``cpu.shares`` 1024, cgroup v2 ``cpu.weight`` 100).  A
default-weight domain or group is thus treated as a claimant of 1% of a CPU,
and a routelet needing 1/1000 of a CPU still gets a weight well above the
minimum of 1 (weights below it are clamped, never rounded to 0).
"""

from __future__ import annotations

import dataclasses
import math

XEN_WEIGHT_PER_CPU = 25_600  # 100 x the credit scheduler's default weight 256
XEN_WEIGHT_RANGE = (1, 65_535)  # xl sched-credit -w
CGROUP_CPU_PERIOD_US = 100_000  # the kernel's default cfs_period_us / cpu.max period
CGROUP_MIN_QUOTA_US = 1_000  # the kernel refuses a smaller cfs_quota_us / cpu.max quota
CGROUP_SHARES_PER_CPU = 102_400  # 100 x cgroup v1's default cpu.shares 1024
CGROUP_SHARES_RANGE = (2, 262_144)
CGROUP_WEIGHT_PER_CPU = 10_000  # 100 x cgroup v2's default cpu.weight 100
CGROUP_WEIGHT_RANGE = (1, 10_000)


def _clamp(value: float, bounds: tuple[int, int]) -> int:
    return min(max(round(value), bounds[0]), bounds[1])


@dataclasses.dataclass(frozen=True, slots=True)
class Shares:
    """One routelet's resources.  The CPU fractions must be finite and >= 0 (a policy bounds an
    unlimited peak p by the interface's line rate)."""

    bandwidth_bps: float  # reserved rate on the egress interface: R (Guaranteed) or r (Controlled-Load)
    burst_bytes: int  # token bucket depth b
    peak_bps: float  # p (math.inf when the TSpec gives none)
    max_packet_bytes: int  # M
    cpu_sustained: float  # fraction of one CPU at the sustained packet rate r/m
    cpu_peak: float  # fraction of one CPU at the peak packet rate p/m (the cap)
    queue_bytes: int  # queue that absorbs a full burst
    memory_bytes: int  # queue plus the routelet's fixed footprint

    def __post_init__(self) -> None:
        for name in ("cpu_sustained", "cpu_peak"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ValueError(f"{name} must be a finite fraction >= 0, not {value}")

    @property
    def xen_weight(self) -> int:
        """Xen credit scheduler weight: ``cpu_sustained * 25600`` rounded, clamped to 1..65535."""
        return _clamp(self.cpu_sustained * XEN_WEIGHT_PER_CPU, XEN_WEIGHT_RANGE)

    @property
    def xen_cap_pct(self) -> int:
        """Xen credit scheduler cap in percent of one CPU: ``ceil(cpu_peak * 100)``, at least 1
        (Xen reads 0 as "uncapped", which a capped routelet must never be given)."""
        return max(1, math.ceil(self.cpu_peak * 100 - 1e-9))

    @property
    def cgroup_cpu_period_us(self) -> int:
        """CFS bandwidth period (cgroup v1 ``cpu.cfs_period_us``, v2 second field of ``cpu.max``)."""
        return CGROUP_CPU_PERIOD_US

    @property
    def cgroup_cpu_quota_us(self) -> int:
        """CFS quota per period: ``ceil(cpu_peak * period)``, at least the kernel's minimum 1000 us."""
        return max(CGROUP_MIN_QUOTA_US, math.ceil(self.cpu_peak * CGROUP_CPU_PERIOD_US - 1e-6))

    @property
    def cgroup_cpu_shares(self) -> int:
        """cgroup v1 ``cpu.shares``: ``cpu_sustained * 102400`` rounded, clamped to 2..262144."""
        return _clamp(self.cpu_sustained * CGROUP_SHARES_PER_CPU, CGROUP_SHARES_RANGE)

    @property
    def cgroup_cpu_weight(self) -> int:
        """cgroup v2 ``cpu.weight``: ``cpu_sustained * 10000`` rounded, clamped to 1..10000."""
        return _clamp(self.cpu_sustained * CGROUP_WEIGHT_PER_CPU, CGROUP_WEIGHT_RANGE)
