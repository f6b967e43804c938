"""Results on disk: one CSV per run, a summary CSV, and the PNG plots (matplotlib, no display)."""

from __future__ import annotations

import csv
import dataclasses
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from evaluation.experiments import ISOLATION_LEVELS, Run, kept_fraction, well_behaved
from evaluation.stats import FlowStats
from evaluation.testbed import BIN_S

STAT_FIELDS = [f.name for f in dataclasses.fields(FlowStats)]
COLUMNS = ["experiment", "layout", "mode", "level", "name", "reserved_bps", "size", "late_start_s", *STAT_FIELDS,
           "kept_fraction"]


def rows(run: Run) -> list[dict]:
    out = []
    for result in run.flows:
        reserved = result.flow.reserved_bps
        out.append({"experiment": run.experiment, "layout": run.layout, "mode": run.mode, "level": run.level,
                    "name": result.flow.name, "reserved_bps": reserved or "", "size": result.flow.size,
                    "late_start_s": round(result.sender["late_start_s"], 3),
                    **dataclasses.asdict(result.stats), "kept_fraction": kept_fraction(result) if reserved else ""})
    return out


def write_run(run: Run, directory: pathlib.Path) -> None:
    """``runs/<name>.csv``: per-flow statistics; ``runs/<name>-series.csv``: throughput per bin."""
    runs = directory / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    with open(runs / f"{run.name}.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows(run))
    with open(runs / f"{run.name}-series.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["t_s", *(r.flow.name for r in run.flows)])
        for index, values in enumerate(zip(*(r.series_bps for r in run.flows))):
            writer.writerow([round(index * BIN_S, 3), *values])


def write_summary(runs: list[Run], directory: pathlib.Path) -> None:
    with open(directory / "summary.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        for run in runs:
            writer.writerows(rows(run))


def _save(figure, path: pathlib.Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_overhead(runs: list[Run], directory: pathlib.Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for mode in ("quasar", "baseline"):
        mine = [r for r in runs if r.experiment == "overhead" and r.mode == mode]
        offered = [r.flows[0].stats.offered_bps / 1e6 for r in mine]
        left.plot(offered, [r.flows[0].stats.throughput_bps / 1e6 for r in mine], "o-", label=mode)
        right.plot(offered, [r.flows[0].stats.p50_ms for r in mine], "o-", label=f"{mode} p50")
        right.plot(offered, [r.flows[0].stats.p99_ms for r in mine], "s--", label=f"{mode} p99")
    left.set(xlabel="offered best effort (Mbit/s)", ylabel="received (Mbit/s)", title="1. overhead: throughput")
    right.set(xlabel="offered best effort (Mbit/s)", ylabel="one-way latency (ms)", yscale="log",
              title="1. overhead: latency")
    left.legend()
    right.legend()
    _save(figure, directory / "overhead.png")


def plot_cdfs(runs: list[Run], directory: pathlib.Path, experiment: str, level: str, name: str,
              layout: str = "-") -> None:
    figure, axes = plt.subplots(figsize=(6, 4))
    for run in runs:
        if (run.experiment, run.level, run.layout) != (experiment, level, layout):
            continue
        for result in run.flows:
            samples = sorted(result.latencies_ms)
            if samples:
                axes.plot(samples, [(i + 1) / len(samples) for i in range(len(samples))],
                          label=f"{run.mode} {result.flow.name}", linestyle="-" if run.mode == "quasar" else "--")
    axes.set(xlabel="one-way latency (ms)", ylabel="fraction of packets", xscale="log",
             title=f"latency CDF: {experiment} {layout} {level}")
    axes.legend(fontsize=7)
    _save(figure, directory / name)


def plot_series(run: Run, directory: pathlib.Path) -> None:
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for result in run.flows:
        axes.plot([i * BIN_S for i in range(len(result.series_bps))], [v / 1e6 for v in result.series_bps],
                  label=result.flow.name)
    axes.set(xlabel="time (s)", ylabel="received (Mbit/s)", title=f"throughput over time: {run.name}")
    axes.legend(fontsize=7)
    _save(figure, directory / f"series-{run.name}.png")


def plot_isolation(runs: list[Run], directory: pathlib.Path) -> None:
    layouts = sorted({r.layout for r in runs if r.experiment == "isolation"})
    figure, grid = plt.subplots(2, len(layouts), figsize=(5.5 * len(layouts), 7), squeeze=False)
    levels = [f"{x}x" if x != "idle" else "idle" for x in ISOLATION_LEVELS]
    width = 0.38
    for column, layout in enumerate(layouts):
        for offset, mode in ((-width / 2, "quasar"), (width / 2, "baseline")):
            mine = {r.level: r for r in runs if (r.experiment, r.layout, r.mode) == ("isolation", layout, mode)}
            shown = [level for level in levels if level in mine]
            xs = [levels.index(level) + offset for level in shown]
            grid[0][column].bar(xs, [min(kept_fraction(f) for f in well_behaved(mine[level])) for level in shown],
                                width, label=mode)
            grid[1][column].bar(xs, [max(f.stats.p99_ms for f in well_behaved(mine[level])) for level in shown],
                                width, label=mode)
        grid[0][column].axhline(0.95, color="k", linewidth=0.8, linestyle=":")
        grid[0][column].set(title=f"3. isolation, {layout} NIC", ylabel="worst well-behaved: received / reserved",
                            xticks=range(len(levels)), xticklabels=levels, ylim=(0, 1.1))
        grid[1][column].set(ylabel="worst well-behaved p99 latency (ms)", yscale="log", xticks=range(len(levels)),
                            xticklabels=levels, xlabel="misbehaving flow's offered load / its reservation")
        grid[0][column].legend()
    _save(figure, directory / "isolation.png")


def write_all(runs: list[Run], directory: pathlib.Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_summary(runs, directory)
    experiments = {r.experiment for r in runs}
    if "overhead" in experiments:
        plot_overhead(runs, directory)
    if "qos" in experiments:
        heaviest = max((r.level for r in runs if r.experiment == "qos"), key=lambda level: float(level[:-1]))
        plot_cdfs(runs, directory, "qos", heaviest, "qos-cdf.png")
    if "isolation" in experiments:
        plot_isolation(runs, directory)
        for layout in sorted({r.layout for r in runs if r.experiment == "isolation"}):
            plot_cdfs(runs, directory, "isolation", "10x", f"isolation-{layout}-cdf.png", layout)
        for run in runs:
            if run.experiment == "isolation" and run.level == "10x":
                plot_series(run, directory)
