"""The three experiments of the seed proposal (section 4), each run on QuaSAR and on baselines.

Sized for a small shared machine (2 vCPUs): egress NICs of ``LINK_BPS``
(20 Mbit/s), reserved flows of 2 Mbit/s, runs of a few seconds, each level
repeated ``repeat`` times on the same testbed (levels interleaved, so a slow
moment of the machine hits one repetition, not one level).

1. ``overhead``: best effort alone through each router at rising rates, on
   NICs of 1 Gbit/s (so the router, not the link, is measured); QuaSAR
   against the kernel router.
2. ``qos``: one reserved flow at its rate against best effort from none up
   to 1.5 times the NIC; QuaSAR against the kernel router.
3. ``isolation``: three well-behaved reserved flows, best effort at half the
   NIC, and a fourth reserved flow m (64-byte frames, the smallest: the
   packet rate its reservation's CPU share was sized for at 1x, since the
   head signals m = 0 and admission floors it at 64 bytes) at 1x, 2x, 5x,
   10x (the target) and 20x (78,000 frames/s, past what one user-space
   forwarder takes here beside the traffic generator) its reservation, with its egress shared with the others ("shared":
   the NIC is contended; baseline the kernel router's FIFO) or on the other
   NIC ("separate": what m can take from the others is CPU; baseline one
   shared user-space forwarder).  Every layout runs all three modes.  Level
   "idle" is the unloaded reference: no best effort, every reserved flow at
   its rate.
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
ISOLATION_LEVELS = ("idle", 1, 2, 5, 10, 20)
LAYOUTS = {"shared": 1, "separate": 2}
BASELINE = {"overhead": "kernel", "qos": "kernel", "shared": "kernel", "separate": "userspace"}
TWO_MODES = ("quasar", "kernel")
REPEAT = 3


def misbehaving(layout: str) -> Flow:
    return Flow(4, "m", LAYOUTS[layout], 64, RESERVED_BPS)


@dataclasses.dataclass
class Run:
    experiment: str
    mode: str
    layout: str
    level: str  # offered load label: pps, best-effort bits/s, or the misbehaving flow's multiple
    flows: list[FlowResult]
    repeat: int = 1

    @property
    def name(self) -> str:
        parts = (self.experiment, self.layout, self.mode, self.level, f"r{self.repeat}")
        return "-".join(part for part in parts if part != "-")


Progress = Callable[[Run], None]


def _quiet(_: Run) -> None:
    pass


def overhead(duration_s: float, modes=TWO_MODES, progress: Progress = _quiet, repeat: int = REPEAT,
             **testbed) -> list[Run]:
    runs = []
    for mode in modes:
        with Testbed(mode, [*WELL_BEHAVED, BEST_EFFORT], OVERHEAD_LINK_BPS, **testbed) as bed:
            for index in range(1, repeat + 1):
                for pps in OVERHEAD_PPS:
                    run = Run("overhead", mode, "-", str(pps),
                              bed.run([(BEST_EFFORT, pps * 8 * BEST_EFFORT.size)], duration_s), index)
                    progress(run)
                    runs.append(run)
    return runs


def qos_vs_best_effort(duration_s: float, modes=TWO_MODES, progress: Progress = _quiet, repeat: int = REPEAT,
                       **testbed) -> list[Run]:
    runs = []
    reserved = WELL_BEHAVED[0]
    for mode in modes:
        with Testbed(mode, [reserved, BEST_EFFORT], LINK_BPS, **testbed) as bed:
            for index in range(1, repeat + 1):
                for be_bps in BEST_EFFORT_BPS:
                    loads = [(reserved, RESERVED_BPS)] + ([(BEST_EFFORT, be_bps)] if be_bps else [])
                    run = Run("qos", mode, "-", f"{be_bps / 1e6:g}M", bed.run(loads, duration_s), index)
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
              progress: Progress = _quiet, repeat: int = REPEAT, **testbed) -> list[Run]:
    runs = []
    for layout in layouts:
        for mode in modes:
            with Testbed(mode, [*WELL_BEHAVED, misbehaving(layout), BEST_EFFORT], LINK_BPS, **testbed) as bed:
                for index in range(1, repeat + 1):
                    for level in levels:
                        run = Run("isolation", mode, layout, f"{level}x" if level != "idle" else "idle",
                                  bed.run(isolation_loads(layout, level), duration_s), index)
                        progress(run)
                        runs.append(run)
    return runs


def kept_fraction(result: FlowResult) -> float:
    """Throughput over the flow's reservation."""
    return result.stats.throughput_bps / result.flow.reserved_bps


def well_behaved(run: Run) -> list[FlowResult]:
    return [r for r in run.flows if r.flow in WELL_BEHAVED]


EXPERIMENTS = {"overhead": overhead, "qos": qos_vs_best_effort, "isolation": isolation}
