"""The isolation property on real namespaces (root): a short run of experiment 3, shared NIC, 5x.

QuaSAR mode signals the four reserved flows with rsvpd (the sender's rsvpd heads one tunnel per flow,
the router's runs the quasar policy and the netns glue, the receivers' are egresses) and sends each
flow with the label its LSP got; the baseline is the kernel router (one FIFO per NIC)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from array import array

import pytest

from evaluation.experiments import isolation, kept_fraction, well_behaved
from evaluation.testbed import ROOT
from evaluation.traffic import RECORD_FIELDS

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("tc") is None or shutil.which("nsenter") is None
    or subprocess.run(["ip", "netns", "list"], check=False, capture_output=True).returncode != 0,
    reason="the evaluation testbed needs root, iproute2 (ip, tc), nsenter and network namespaces")


def namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    return {line.split()[0] for line in listed.splitlines() if line.startswith(("ev", "qrl-"))}


def test_reserved_flows_keep_their_rate_against_a_flow_at_5x_only_with_routelets():
    before = namespaces()
    quasar, kernel = isolation(2.0, layouts=("shared",), levels=(5,), modes=("quasar", "kernel"), repeat=1)
    assert (quasar.mode, kernel.mode) == ("quasar", "kernel")
    kept = {run.mode: [round(kept_fraction(r), 3) for r in well_behaved(run)] for run in (quasar, kernel)}
    assert min(kept["quasar"]) >= 0.9, kept
    assert min(kept["kernel"]) < 0.9, kept  # else the experiment does not load the router enough
    bad = next(r for r in quasar.flows if r.flow.name == "m")
    assert bad.stats.offered_bps > 4 * bad.flow.reserved_bps  # m really offered about 5x its reservation
    assert namespaces() <= before  # the testbeds, the router's rsvpd and its routelets left nothing behind


def test_sink_takes_the_kernels_receive_time_between_send_and_read(tmp_path):
    """The sink's receive time is the kernel's timestamp of the frame at its interface: after the probe's
    send time, before the sink read it, and every probe has one."""
    ns = f"evsink{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        run = lambda *args: subprocess.run(["ip", "-n", ns, *args], check=True)  # noqa: E731
        run("link", "add", "name", "tx0", "type", "veth", "peer", "name", "rx0")
        for device in ("tx0", "rx0", "lo"):
            run("link", "set", device, "up")
        traffic = ["ip", "netns", "exec", ns, sys.executable, "-m", "evaluation.traffic"]
        start = time.monotonic() + 2.0
        out = tmp_path / "records.bin"
        sink = subprocess.Popen([*traffic, "sink", "rx0", "--until", f"{start + 10:.6f}", "--out", str(out)],
                                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        sent = json.loads(subprocess.run([*traffic, "send", "tx0", "--dst-mac", "02:00:00:00:00:02", "--flow", "7",
                                          "--dst-ip", "10.1.1.1", "--rate-pps", "1000", "--duration", "0.2",
                                          "--start-at", f"{start:.6f}"], cwd=ROOT, check=True, capture_output=True,
                                         text=True).stdout)
        time.sleep(0.2)
        summary = json.loads(sink.communicate(timeout=15)[0])
        raw = array("q", out.read_bytes())
        records = [tuple(raw[i:i + len(RECORD_FIELDS)]) for i in range(0, len(raw), len(RECORD_FIELDS))]
        assert sent["sent"] == 200 and summary["untimed"] == 0 and len(records) == summary["records"] == 200
        for flow, _, send_ns, recv_ns, length, read_ns in records:
            assert flow == 7 and length == 500 and send_ns < recv_ns <= read_ns
        assert max(r[3] - r[2] for r in records) < 100_000_000  # same clock: a veth hop, not a clock offset
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
