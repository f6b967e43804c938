"""How long rsvpd takes over each datagram, by message type: the operator's view of a hop's delay.

Two times per datagram, from the kernel's receive timestamp (SO_TIMESTAMPNS on
the raw socket) and the wall clock:

* wait: from the kernel's receipt to the engine taking the datagram (waking
  the daemon, and any datagrams queued before it);
* handling: from then until the engine's actions for it were performed (its
  messages handed to the kernel, forwarding entries installed when the backend
  does not block).

Kept as cumulative histograms with fixed buckets (cheap enough for every
datagram: a bisect and two additions) and exported as Prometheus histograms
and in ``rsvpctl show counters``.  A receive time later than the clock (the
clock stepped back) is not counted.
"""

from __future__ import annotations

import bisect
import dataclasses

BUCKETS_S = (50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3, 100e-3, 1.0)
"""Upper bounds of the histogram buckets, seconds (then +Inf)."""


@dataclasses.dataclass(slots=True)
class Histogram:
    counts: list[int] = dataclasses.field(default_factory=lambda: [0] * (len(BUCKETS_S) + 1))  # per bucket
    total_s: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS_S, seconds)] += 1
        self.total_s += seconds

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound, observations at or below it) per bucket, Prometheus style ("+Inf" last)."""
        out, running = [], 0
        for bound, n in zip((*(repr(b) for b in BUCKETS_S), "+Inf"), self.counts):
            running += n
            out.append((bound, running))
        return out


class Latencies:
    """Wait and handling histograms per message type name ("PATH", "RESV", "BUNDLE", ...)."""

    def __init__(self) -> None:
        self.wait: dict[str, Histogram] = {}
        self.handling: dict[str, Histogram] = {}

    def observe(self, kind: str, received_ns: int, taken_ns: int, done_ns: int) -> None:
        """One datagram: kernel receive time, when the engine took it, when its actions were done (ns)."""
        if received_ns > taken_ns:
            return
        wait = self.wait.get(kind)
        if wait is None:
            wait = self.wait[kind] = Histogram()
            self.handling[kind] = Histogram()
        wait.observe((taken_ns - received_ns) / 1e9)
        self.handling[kind].observe((done_ns - taken_ns) / 1e9)

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Per type: count, mean wait and mean handling in microseconds (for ``show counters``)."""
        return {kind: {"count": wait.count, "wait_mean_us": round(wait.total_s / wait.count * 1e6, 1),
                       "handling_mean_us": round(self.handling[kind].total_s / wait.count * 1e6, 1)}
                for kind, wait in sorted(self.wait.items()) if wait.count}
