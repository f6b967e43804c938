"""``python -m evaluation``: run the experiments (root), write CSVs, tables and plots; see docs/evaluation.md."""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys
import time

from evaluation.experiments import (
    EXPERIMENTS,
    ISOLATION_LEVELS,
    LAYOUTS,
    REPEAT,
    Run,
    isolation,
    kept_fraction,
)
from evaluation.report import remove_runs, write_all, write_run
from evaluation.testbed import MODES, PER_PACKET_COST_S, ROOT


def describe(run: Run) -> str:
    parts = []
    for result in run.flows:
        s = result.stats
        kept = f" kept {kept_fraction(result):.2f}" if result.flow.reserved_bps else ""
        parts.append(f"{result.flow.name} {s.offered_bps / 1e6:.2f}->{s.throughput_bps / 1e6:.2f}M{kept} "
                     f"loss {s.loss:.3f} p50 {s.p50_ms:.2f} p99 {s.p99_ms:.2f} ms")
    return f"{run.name}: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation",
                                     description="QuaSAR evaluation: overhead, QoS vs best effort, isolation "
                                                 "(root; builds and removes its own namespaces and rsvpd processes)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "evaluation",
                        help="results directory (default: docs/evaluation)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of traffic per run (default 3)")
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"runs of each configuration (default {REPEAT})")
    parser.add_argument("--only", choices=sorted(EXPERIMENTS), action="append",
                        help="run only this experiment (repeatable; default: all)")
    parser.add_argument("--layout", choices=sorted(LAYOUTS), action="append",
                        help="isolation: only this layout (repeatable; default: both)")
    parser.add_argument("--level", choices=[str(level) for level in ISOLATION_LEVELS], action="append",
                        help="isolation: only this load level, idle or the misbehaving flow's multiple (repeatable; "
                             "default: all)")
    parser.add_argument("--mode", choices=MODES, action="append",
                        help="only this router (repeatable; default: each experiment's own)")
    parser.add_argument("--per-packet-cost", type=float, default=PER_PACKET_COST_S, metavar="SECONDS",
                        help=f"the router rsvpd's [admission] options.per_packet_cost_s (default {PER_PACKET_COST_S})")
    parser.add_argument("--parent-cpu-shares", type=int, metavar="N",
                        help="quasar: set the cpu.shares of the cgroup holding every routelet to N (default: leave "
                             "the glue's default, 1024; the CPU admission hands out, 1.5 CPUs, is 153600)")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: remake summary, aggregates, tables and plots from OUT/runs")
    args = parser.parse_args(argv)
    if args.report_only:
        write_all(args.out)
        print(f"report remade in {args.out}")
        return 0
    if os.geteuid() != 0:
        parser.error("needs root (network namespaces, tc, cgroups, raw sockets)")
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"Python {platform.python_version()}; load average {os.getloadavg()}", flush=True)
    began = time.monotonic()

    def progress(run: Run) -> None:
        write_run(run, args.out)
        print(f"[{time.monotonic() - began:6.1f} s] {describe(run)}", flush=True)

    options = {"per_packet_cost_s": args.per_packet_cost, "repeat": args.repeat, "progress": progress,
               "parent_cpu_shares": args.parent_cpu_shares}
    if args.mode:
        options["modes"] = tuple(args.mode)
    for name in args.only or list(EXPERIMENTS):
        if name == "isolation":
            layouts = tuple(args.layout or LAYOUTS)
            for layout in layouts:
                for mode in options.get("modes", MODES):
                    remove_runs(args.out, f"isolation-{layout}-{mode}")
            levels = tuple(level if level == "idle" else int(level) for level in args.level or ISOLATION_LEVELS)
            isolation(args.duration, layouts=layouts, levels=levels, **options)
        else:
            for mode in options.get("modes", ("quasar", "kernel")):
                remove_runs(args.out, f"{name}-{mode}")
            EXPERIMENTS[name](args.duration, **options)
    write_all(args.out)
    print(f"results in {args.out} ({time.monotonic() - began:.0f} s; load average {os.getloadavg()})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
