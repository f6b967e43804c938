"""The evaluation's report (runs written and read back, spread over repetitions, tables), the shared
forwarder's dispatch by label and the TSpec the evaluation expects rsvpd to signal (no root needed)."""

from __future__ import annotations

import json
import math
import time
from ipaddress import IPv4Address
from typing import ClassVar

import pytest

from admission.quasar import QuasarAdmission
from evaluation.experiments import RESERVED_BPS, Run
from evaluation.report import aggregate, load_runs, markdown, write_run
from evaluation.shared_forwarder import SharedForwarder
from evaluation.stats import FlowStats
from evaluation.testbed import Flow, FlowResult, head_spec
from quasar_glue.forwarder import PACKET_OUTGOING
from quasar_glue.graph import ForwardingGraph
from quasar_glue.mpls import LabelEntry
from rsvp.engine.config import Interface


def result(name: str, flow_id: int, throughput_bps: float, p99_ms: float, reserved: float | None = RESERVED_BPS,
           latencies=(0.1, 0.2, 0.3)) -> FlowResult:
    stats = FlowStats(flow_id, 100, 99, 2e6, throughput_bps, 0.01, 0.2, p99_ms, p99_ms + 1, 0.05, p99_ms + 0.5)
    return FlowResult(Flow(flow_id, name, 1, 500, reserved), stats, [1e6, 2e6], list(latencies),
                      {"late_start_s": 0.001})


def isolation_run(repeat: int, kept: float, p99: float) -> Run:
    flows = [result("r1", 1, RESERVED_BPS, 0.5), result("r2", 2, kept * RESERVED_BPS, p99),
             result("r3", 3, RESERVED_BPS, 0.4), result("be", 9, 1e7, 0.3, None),
             result("m", 4, RESERVED_BPS, 900.0)]
    return Run("isolation", "quasar", "separate", "10x", flows, repeat)


def test_runs_read_back_and_spread_over_repetitions(tmp_path):
    for repeat, (kept, p99) in enumerate([(0.90, 4.0), (1.00, 1.0), (0.95, 10.0)], 1):
        write_run(isolation_run(repeat, kept, p99), tmp_path)
    runs = load_runs(tmp_path)
    assert sorted(r.repeat for r in runs) == [1, 2, 3]
    first = next(r for r in runs if r.repeat == 1)
    assert [f.flow for f in first.flows] == [f.flow for f in isolation_run(1, 0.9, 4.0).flows]
    assert first.flows[1].stats.throughput_bps == pytest.approx(0.9 * RESERVED_BPS)
    assert first.flows[0].latencies_ms[0] == 0.1 and first.flows[0].latencies_ms[-1] == 0.3  # quantiles
    groups = aggregate(runs)
    kept = groups[("isolation", "separate", "quasar", "10x")]["worst_kept"]
    assert (kept.mean, kept.low, kept.high) == (pytest.approx(0.95), pytest.approx(0.90), pytest.approx(1.0))
    assert kept.sd == pytest.approx(0.05)
    p99 = groups[("isolation", "separate", "quasar", "10x")]["worst_p99_ms"]
    assert (p99.mean, p99.low, p99.high) == (pytest.approx(5.0), 1.0, 10.0)
    table = markdown(groups)
    assert "| quasar | 0.95 (0.90-1.00) |" in table and "| quasar | 5.00 (1.00-10.00) |" in table


def test_head_spec_is_what_the_router_admits_for_a_tunnel():
    spec = head_spec(2e6)
    assert (spec.rate, spec.bucket, spec.peak, spec.min_unit, spec.max_packet) == (250_000, 250_000, 250_000, 0,
                                                                                   1500)
    admission = QuasarAdmission((Interface("o", IPv4Address("10.0.0.1"), 20e6, 24),), cpus=2,
                                per_packet_cost_s=60e-6)
    shares = admission.shares_for(spec, admission.interfaces["o"], 2e6)
    assert shares.cpu_peak == pytest.approx(250_000 / 64 * 60e-6)  # m = 0 floored at 64 bytes
    assert shares.burst_bytes == 250_000 and shares.queue_bytes == 251_500


class FakeSocket:
    def __init__(self, frames):
        self.frames, self.sent = list(frames), []

    def recvfrom(self, _size):
        if not self.frames:
            raise BlockingIOError
        return self.frames.pop(0)

    def send(self, frame):
        self.sent.append(bytes(frame))


def labelled(label: int, size: int = 100) -> bytes:
    return bytes(12) + b"\x88\x47" + LabelEntry(label, 0, True, 64).pack() + bytes(size - 18)


def graph(in_label: int, out_label: int, rate: float, burst: int) -> dict:
    return json.loads(ForwardingGraph(in_label, out_label, rate, burst, 10_000, math.inf, 1514,
                                      "02:00:00:00:00:01", "02:00:00:00:00:02").to_json())


def test_shared_forwarder_dispatches_by_label_and_polices_each_flow():
    forwarder = SharedForwarder.__new__(SharedForwarder)
    forwarder.pipelines, forwarder.idle_drops, forwarder.pipeline = {}, 0, None
    reply = forwarder.control(json.dumps({"op": "load", "graphs": [graph(16, 100, 8e3, 200), graph(17, 101, 8e6,
                                                                                                  10_000)]}))
    assert reply == {"ok": True}
    frames = [(labelled(16), ("eth0", 0, 0)), (labelled(16), ("eth0", 0, 0)), (labelled(16), ("eth0", 0, 0)),
              (labelled(17), ("eth0", 0, 0)), (labelled(18), ("eth0", 0, 0)),
              (labelled(17), ("eth0", 0, PACKET_OUTGOING))]
    forwarder.sock = FakeSocket(frames)
    now = time.monotonic()  # the pipelines' buckets started full at load
    forwarder._drain_socket(now)
    stats = forwarder.control(json.dumps({"op": "stats"}))
    assert stats["unmatched"] == 1  # label 18: no flow
    assert stats["flows"]["16"]["rx"] == 3 and stats["flows"]["16"]["policed"] == 1  # 200-byte bucket: two fit
    assert stats["flows"]["17"]["rx"] == 1 and stats["flows"]["17"]["policed"] == 0  # its own outgoing frame skipped
    sent = [frame for p in forwarder.pipelines.values() for frame in p.ready(now)]
    assert sorted(LabelEntry.unpack(f, 14).label for f in sent) == [100, 100, 101]  # swapped per flow


class CapturingSocket:
    sent: ClassVar[list[bytes]] = []

    def __init__(self, *args):
        pass

    def setsockopt(self, *args):
        pass

    def bind(self, *args):
        pass

    def send(self, frame):
        CapturingSocket.sent.append(bytes(frame))

    def close(self):
        pass


def test_a_flow_shared_by_senders_numbers_its_packets_apart(monkeypatch):
    from evaluation import traffic
    from evaluation.traffic import MAGIC, PROBE, build_frame

    monkeypatch.setattr(traffic.socket, "socket", CapturingSocket)
    CapturingSocket.sent = []
    frame, offset = build_frame(100, "02:00:00:00:00:02", "02:00:00:00:00:01", 1001, "10.0.0.1", "10.0.0.9", 1)
    summary = traffic.send("s0", frame, offset, 4, 1000.0, time.monotonic(), 0.01, stride=3, phase=1)
    assert summary["sent"] == 10
    probes = [PROBE.unpack_from(f, offset) for f in CapturingSocket.sent]
    assert [(m, flow) for m, flow, _, _ in probes] == [(MAGIC, 4)] * 10
    assert [seq for _, _, seq, _ in probes] == list(range(1, 30, 3))  # 1, 4, ..., 28: the others' are 0, 2 mod 3
