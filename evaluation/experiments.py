"""The three experiments of the seed proposal (section 4), each run on QuaSAR and on the baseline.

Sized for a small shared machine (2 vCPUs; a routelet forwarder manages about
100,000 frames/s per core): egress NICs of ``LINK_BPS`` (20 Mbit/s), reserved
flows of 2 Mbit/s, runs of a few seconds.

1. ``overhead``: best effort alone through each router at rising rates, on
   NICs of 1 Gbit/s (so the router, not the link, is measured).
2. ``qos_vs_best_effort``: one reserved flow at its rate against best effort
   from none up to 1.5 times the NIC.
3. ``isolation``: three well-behaved reserved flows, best effort at half the
   NIC, and a fourth reserved flow (small frames: many packets per bit) at
   1x, 2x, 5x and 10x its reservation, with its egress shared with the others
   ("shared") or on the other NIC ("separate", where what it can take from
   the others is CPU).  Level "idle" is the unloaded reference: no best
   effort, every reserved flow at its rate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from evaluation.testbed import MODES, Flow, FlowResult, Testbed

LINK_BPS = 20e6
OVERHEAD_LINK_BPS = 1e9
RESERVED_BPS = 2e6
WELL_BEHAVED = [Flow(i, f"r{i}", 1, 500, RESERVED_BPS) for i in (1, 2, 3)]
BEST_EFFORT = Flow(9, "be", 1, 500)
OVERHEAD_PPS = (2_000, 10_000, 30_000)
BEST_EFFORT_BPS = (0.0, 10e6, 30e6)
ISOLATION_LEVELS = ("idle", 1, 2, 5, 10)
LAYOUTS = {"shared": 1, "separate": 2}


def misbehaving(layout: str) -> Flow:
    return Flow(4, "m", LAYOUTS[layout], 100, RESERVED_BPS)


@dataclasses.dataclass
class Run:
    experiment: str
    mode: str
    layout: str
    level: str  # offered load label: pps, best-effort bits/s, or the misbehaving flow's multiple
    flows: list[FlowResult]

    @property
    def name(self) -> str:
        return "-".join(part for part in (self.experiment, self.layout, self.mode, self.level) if part != "-")


Progress = Callable[[Run], None]


def _quiet(_: Run) -> None:
    pass


def overhead(duration_s: float, modes=MODES, progress: Progress = _quiet, **testbed) -> list[Run]:
    runs = []
    for mode in modes:
        with Testbed(mode, [*WELL_BEHAVED, BEST_EFFORT], OVERHEAD_LINK_BPS, **testbed) as bed:
            for pps in OVERHEAD_PPS:
                run = Run("overhead", mode, "-", str(pps), bed.run([(BEST_EFFORT, pps * 8 * BEST_EFFORT.size)],
                                                                   duration_s))
                progress(run)
                runs.append(run)
    return runs


def qos_vs_best_effort(duration_s: float, modes=MODES, progress: Progress = _quiet, **testbed) -> list[Run]:
    runs = []
    reserved = WELL_BEHAVED[0]
    for mode in modes:
        with Testbed(mode, [reserved, BEST_EFFORT], LINK_BPS, **testbed) as bed:
            for be_bps in BEST_EFFORT_BPS:
                loads = [(reserved, RESERVED_BPS)] + ([(BEST_EFFORT, be_bps)] if be_bps else [])
                run = Run("qos", mode, "-", f"{be_bps / 1e6:g}M", bed.run(loads, duration_s))
                progress(run)
                runs.append(run)
    return runs


def isolation_loads(layout: str, level: str | int) -> list[tuple[Flow, float]]:
    bad = misbehaving(layout)
    loads = [(flow, RESERVED_BPS) for flow in WELL_BEHAVED]
    if level == "idle":
        return loads + [(bad, RESERVED_BPS)]
    return loads + [(BEST_EFFORT, LINK_BPS / 2), (bad, RESERVED_BPS * int(level))]


def isolation(duration_s: float, layouts=tuple(LAYOUTS), levels=ISOLATION_LEVELS, modes=MODES,
              progress: Progress = _quiet, **testbed) -> list[Run]:
    runs = []
    for layout in layouts:
        for mode in modes:
            with Testbed(mode, [*WELL_BEHAVED, misbehaving(layout), BEST_EFFORT], LINK_BPS, **testbed) as bed:
                for level in levels:
                    run = Run("isolation", mode, layout, f"{level}x" if level != "idle" else "idle",
                              bed.run(isolation_loads(layout, level), duration_s))
                    progress(run)
                    runs.append(run)
    return runs


def kept_fraction(result: FlowResult) -> float:
    """Throughput over the flow's reservation."""
    return result.stats.throughput_bps / result.flow.reserved_bps


def well_behaved(run: Run) -> list[FlowResult]:
    return [r for r in run.flows if r.flow in WELL_BEHAVED]


EXPERIMENTS = {"overhead": overhead, "qos": qos_vs_best_effort, "isolation": isolation}
