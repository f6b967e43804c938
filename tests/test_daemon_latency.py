"""rsvpd's per-datagram wait and handling times: histograms, their Prometheus exposition, the table."""

from __future__ import annotations

from collections import Counter

from prometheus_client import generate_latest

from rsvp.ctl import tables
from rsvp.daemon.latency import BUCKETS_S, Latencies
from rsvp.daemon.metrics import registry_for

US = 1_000


def test_times_fall_in_their_buckets_and_a_clock_step_back_is_not_counted():
    latencies = Latencies()
    latencies.observe("PATH", 0, 80 * US, 380 * US)  # waited 80 us, handled in 300 us
    latencies.observe("PATH", 1_000 * US, 1_600 * US, 3_600 * US)  # 600 us, 2 ms
    latencies.observe("RESV", 0, 40 * US, 45 * US)
    latencies.observe("RESV", 10 * US, 5 * US, 6 * US)  # received "after" it was taken: not counted
    wait = dict(latencies.wait["PATH"].cumulative())
    assert wait[repr(50e-6)] == 0 and wait[repr(100e-6)] == 1 and wait[repr(500e-6)] == 1 and wait[repr(1e-3)] == 2
    handling = dict(latencies.handling["PATH"].cumulative())
    assert handling[repr(200e-6)] == 0 and handling[repr(500e-6)] == 1 and handling[repr(2e-3)] == 2
    assert handling["+Inf"] == 2 and len(handling) == len(BUCKETS_S) + 1
    assert latencies.snapshot() == {"PATH": {"count": 2, "wait_mean_us": 340.0, "handling_mean_us": 1150.0},
                                    "RESV": {"count": 1, "wait_mean_us": 40.0, "handling_mean_us": 5.0}}
    assert "2 handled, mean wait 340 us, handling 1150 us" in tables.counters({"latency": latencies.snapshot()})


def test_histograms_are_exported_to_prometheus():
    latencies = Latencies()
    latencies.observe("PATH", 0, 80 * US, 380 * US)
    state = {"snapshot": {"lsps": [], "psb_count": 0, "rsb_count": 0, "counters": {}}, "transport": Counter(),
             "admission": Counter(), "routelets": [], "latency": latencies}
    text = generate_latest(registry_for(lambda: state)).decode()
    assert 'rsvp_message_wait_seconds_bucket{le="0.0001",type="PATH"} 1.0' in text
    assert 'rsvp_message_wait_seconds_bucket{le="5e-05",type="PATH"} 0.0' in text
    assert 'rsvp_message_handling_seconds_count{type="PATH"} 1.0' in text
    assert 'rsvp_message_handling_seconds_sum{type="PATH"} 0.0003' in text
