"""The isolation property on real namespaces (root): a short run of experiment 3, shared NIC, 5x."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from evaluation.experiments import isolation, kept_fraction, well_behaved

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("tc") is None
    or subprocess.run(["ip", "netns", "list"], check=False, capture_output=True).returncode != 0,
    reason="the evaluation testbed needs root, iproute2 (ip, tc) and network namespaces")


def namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    return {line.split()[0] for line in listed.splitlines() if line.startswith("ev")}


def test_reserved_flows_keep_their_rate_against_a_flow_at_5x_only_with_routelets():
    before = namespaces()
    quasar, baseline = isolation(2.0, layouts=("shared",), levels=(5,))
    assert (quasar.mode, baseline.mode) == ("quasar", "baseline")
    kept = {run.mode: [round(kept_fraction(r), 3) for r in well_behaved(run)] for run in (quasar, baseline)}
    assert min(kept["quasar"]) >= 0.9, kept
    assert min(kept["baseline"]) < 0.9, kept  # else the experiment does not load the router enough
    assert namespaces() <= before  # the testbeds removed what they made
