"""The isolation property on real namespaces (root): a short run of experiment 3, shared NIC, 5x.

QuaSAR mode signals the four reserved flows with rsvpd (the sender's rsvpd heads one tunnel per flow,
the router's runs the quasar policy and the netns glue, the receivers' are egresses) and sends each
flow with the label its LSP got; the baseline is the kernel router (one FIFO per NIC)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from evaluation.experiments import isolation, kept_fraction, well_behaved

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
