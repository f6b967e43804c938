"""What the sink's records say about one flow: throughput, loss, one-way latency, jitter.

Definitions (the unit tests compute them by hand):

* throughput: bytes of distinct probes received, sent within the send
  window, times 8, over the window's length;
* loss: 1 - distinct probes received / probes sent;
* latency: receive minus send time of each distinct probe, receive being
  when the frame reached the receiver's interface (the kernel's timestamp);
  percentiles by nearest rank (the smallest value with at least p% of
  samples at or below it);
* read latency (``read_p99_ms``): the same to when the sink process read the
  frame, which adds the sink's own scheduling delay;
* jitter: the RFC 3550 (section 6.4.1) interarrival jitter after the last
  packet, in arrival order: J += (|D| - J) / 16, D the difference of two
  consecutive packets' transit times.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence

Record = tuple[int, int, int, int, int, int]  # flow, seq, send_ns, recv_ns, length, read_ns (evaluation.traffic)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def rfc3550_jitter(transits: Sequence[float]) -> float:
    jitter = 0.0
    for previous, current in itertools.pairwise(transits):
        jitter += (abs(current - previous) - jitter) / 16
    return jitter


def distinct(records: Sequence[Record]) -> list[Record]:
    """First arrival of each sequence number, in arrival order."""
    seen: set[int] = set()
    kept = []
    for record in records:
        if record[1] not in seen:
            seen.add(record[1])
            kept.append(record)
    return kept


@dataclasses.dataclass(frozen=True, slots=True)
class FlowStats:
    flow: int
    sent: int
    received: int
    offered_bps: float
    throughput_bps: float
    loss: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    jitter_ms: float
    read_p99_ms: float


def flow_stats(flow: int, records: Sequence[Record], sent: int, offered_bps: float, start_ns: int,
               window_s: float) -> FlowStats:
    """Statistics of one flow's records (arrival order) for a send window from ``start_ns``."""
    kept = distinct(records)
    end_ns = start_ns + window_s * 1e9
    in_window = sum(r[4] for r in kept if start_ns <= r[2] < end_ns)
    latencies = [(r[3] - r[2]) / 1e6 for r in kept]
    return FlowStats(flow=flow, sent=sent, received=len(kept), offered_bps=offered_bps,
                     throughput_bps=in_window * 8 / window_s, loss=1 - len(kept) / sent if sent else math.nan,
                     p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99),
                     max_ms=max(latencies, default=math.nan), jitter_ms=rfc3550_jitter(latencies),
                     read_p99_ms=percentile([(r[5] - r[2]) / 1e6 for r in kept], 99))


def throughput_series(records: Sequence[Record], start_ns: int, bin_s: float, bins: int) -> list[float]:
    """Received bits/s per ``bin_s`` bin of receive time from ``start_ns`` (distinct probes)."""
    totals = [0] * bins
    for record in distinct(records):
        index = int((record[3] - start_ns) / (bin_s * 1e9))
        if 0 <= index < bins:
            totals[index] += record[4]
    return [total * 8 / bin_s for total in totals]
