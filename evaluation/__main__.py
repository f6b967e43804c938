"""``python -m evaluation``: run the experiments (root), write CSVs and plots; see docs/evaluation.md."""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys

from evaluation.experiments import EXPERIMENTS, Run, kept_fraction
from evaluation.report import write_all, write_run
from evaluation.testbed import PER_PACKET_COST_S, ROOT


def describe(run: Run) -> str:
    parts = []
    for result in run.flows:
        s = result.stats
        kept = f" kept {kept_fraction(result):.2f}" if result.flow.reserved_bps else ""
        parts.append(f"{result.flow.name} {s.throughput_bps / 1e6:.2f}M{kept} loss {s.loss:.2f} "
                     f"p50 {s.p50_ms:.2f} p99 {s.p99_ms:.2f} ms")
    return f"{run.name}: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation",
                                     description="QuaSAR evaluation: overhead, QoS vs best effort, isolation "
                                                 "(root; builds and removes its own namespaces)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "evaluation",
                        help="results directory (default: docs/evaluation)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of traffic per run (default 3)")
    parser.add_argument("--only", choices=sorted(EXPERIMENTS), action="append",
                        help="run only this experiment (repeatable; default: all)")
    parser.add_argument("--per-packet-cost", type=float, default=PER_PACKET_COST_S, metavar="SECONDS",
                        help=f"admission's per_packet_cost_s for the routelets' CPU shares (default {PER_PACKET_COST_S})")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("needs root (network namespaces, tc, cgroups)")
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"Python {platform.python_version()}", flush=True)

    def progress(run: Run) -> None:
        write_run(run, args.out)
        print(describe(run), flush=True)

    runs = []
    for name in args.only or list(EXPERIMENTS):
        runs += EXPERIMENTS[name](args.duration, progress=progress, per_packet_cost_s=args.per_packet_cost)
    write_all(runs, args.out)
    print(f"results in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
