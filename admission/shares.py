"""What one admitted reservation is given: its routelet's partition of the router.

Computed by a policy (``admission.quasar``) from the Int-serv request and
realised by a routelet backend (``quasar_glue``).  Units: bits/s, bytes, and
fractions of one CPU.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Shares:
    bandwidth_bps: float  # reserved rate on the egress interface: R (Guaranteed) or r (Controlled-Load)
    burst_bytes: int  # token bucket depth b
    peak_bps: float  # p (math.inf when the TSpec gives none)
    max_packet_bytes: int  # M
    cpu_sustained: float  # fraction of one CPU at the sustained packet rate r/m
    cpu_peak: float  # fraction of one CPU at the peak packet rate p/m (the cap)
    queue_bytes: int  # queue that absorbs a full burst
    memory_bytes: int  # queue plus the routelet's fixed footprint
