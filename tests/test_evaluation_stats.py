"""The evaluation's statistics and frames, against hand-computed values (no root needed)."""

from __future__ import annotations

import math
import struct

import pytest

from evaluation.stats import flow_stats, percentile, rfc3550_jitter, throughput_series
from evaluation.traffic import MAGIC, PROBE, build_frame, min_frame, probe_offset
from quasar_glue.mpls import LabelEntry
from rsvp.wire.checksum import internet_checksum

MS = 1_000_000
# flow, seq, send_ns, recv_ns, length, read_ns: seq 4 lost, seq 1 duplicated, seq 2 overtaken by seq 3
RECORDS = [(1, 0, 0, 1 * MS, 100, 2 * MS), (1, 1, 10 * MS, 13 * MS, 100, 13 * MS),
           (1, 1, 10 * MS, 14 * MS, 100, 15 * MS), (1, 3, 30 * MS, 32 * MS, 100, 40 * MS),
           (1, 2, 20 * MS, 26 * MS, 100, 40 * MS)]


def test_flow_stats_by_hand():
    stats = flow_stats(1, RECORDS, sent=5, offered_bps=1.0, start_ns=0, window_s=0.025)
    assert stats.received == 4 and stats.loss == pytest.approx(0.2)
    assert stats.throughput_bps == pytest.approx(300 * 8 / 0.025)  # seqs 0, 1, 2 sent within 25 ms
    # latencies in arrival order 1, 3, 2, 6 ms; sorted 1, 2, 3, 6
    assert (stats.p50_ms, stats.p99_ms, stats.max_ms) == (2.0, 6.0, 6.0)
    assert stats.read_p99_ms == 20.0  # read latencies 2, 3, 10, 20 ms (the sink read seqs 3 and 2 late)
    j = 2 / 16
    j += (1 - j) / 16
    j += (4 - j) / 16
    assert stats.jitter_ms == pytest.approx(j) == pytest.approx(0.418457031)


def test_percentile_nearest_rank_and_empty():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0 and math.isnan(percentile([], 50))
    assert rfc3550_jitter([5.0]) == 0.0


def test_throughput_series_bins_receive_times():
    series = throughput_series(RECORDS, start_ns=0, bin_s=0.01, bins=4)
    assert series == [80_000.0, 80_000.0, 80_000.0, 80_000.0]  # one distinct 100-byte frame per 10 ms bin
    assert throughput_series(RECORDS, start_ns=0, bin_s=0.02, bins=1) == [80_000.0]  # only recv 1 ms and 13 ms


@pytest.mark.parametrize("label", [None, 1001])
def test_frames_carry_a_probe_at_the_exact_size(label):
    frame, offset = build_frame(200, "02:00:00:00:00:02", "02:00:00:00:00:01", label, "10.0.0.1", "10.0.0.9", 40001)
    assert len(frame) == 200
    ip_at = 14 if label is None else 18
    assert internet_checksum(bytes(frame[ip_at:ip_at + 20])) == 0
    assert struct.unpack_from("!H", frame, ip_at + 2)[0] == 200 - ip_at
    if label is not None:
        assert LabelEntry.unpack(frame, 14) == LabelEntry(label, 0, True, 64)
    PROBE.pack_into(frame, offset, MAGIC, 3, 7, 123)
    assert probe_offset(frame, len(frame)) == offset
    assert PROBE.unpack_from(frame, offset) == (MAGIC, 3, 7, 123)
    assert probe_offset(frame, offset + 4) is None  # truncated
    with pytest.raises(ValueError):
        build_frame(min_frame(label is not None) - 1, "02:00:00:00:00:02", "02:00:00:00:00:01", label,
                    "10.0.0.1", "10.0.0.9", 1)
