"""Results on disk: CSVs per run, then, from every run on disk, the summary, the aggregates over
repetitions (mean, min, max, sd), the markdown tables and the PNG plots (matplotlib, no display).

Per run ``runs/<name>.csv`` (per-flow statistics), ``runs/<name>-series.csv``
(throughput per bin) and ``runs/<name>-latency.csv`` (201 latency quantiles
per flow, enough for the CDF plots).  :func:`write_all` reads them all back,
so experiments run in separate invocations (``--only``, ``--layout``) end up
in one report.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import pathlib
import statistics
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from evaluation.experiments import (
    BASELINE,
    ISOLATION_LEVELS,
    OVERHEAD_PPS,
    Run,
    kept_fraction,
)
from evaluation.stats import FlowStats
from evaluation.testbed import BIN_S, MODES, Flow, FlowResult

STAT_FIELDS = [f.name for f in dataclasses.fields(FlowStats)]
COLUMNS = ["experiment", "layout", "mode", "level", "repeat", "name", "egress", "reserved_bps", "size",
           "late_start_s", *STAT_FIELDS, "kept_fraction"]
QUANTILES = [i / 2 for i in range(201)]  # 0, 0.5, ..., 100 percent
WELL_BEHAVED_NAMES = ("r1", "r2", "r3")
LEVELS = [f"{x}x" if x != "idle" else "idle" for x in ISOLATION_LEVELS]
STYLE = {"quasar": ("tab:blue", "-"), "userspace": ("tab:orange", "--"), "kernel": ("tab:green", ":")}


def rows(run: Run) -> list[dict]:
    out = []
    for result in run.flows:
        reserved = result.flow.reserved_bps
        out.append({"experiment": run.experiment, "layout": run.layout, "mode": run.mode, "level": run.level,
                    "repeat": run.repeat, "name": result.flow.name, "egress": result.flow.egress,
                    "reserved_bps": reserved or "", "size": result.flow.size,
                    "late_start_s": round(result.sender.get("late_start_s", 0.0), 3),
                    **dataclasses.asdict(result.stats), "kept_fraction": kept_fraction(result) if reserved else ""})
    return out


def write_run(run: Run, directory: pathlib.Path) -> None:
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
    with open(runs / f"{run.name}-latency.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["percent", *(r.flow.name for r in run.flows)])
        columns = [_quantiles(r.latencies_ms) for r in run.flows]
        for q, values in zip(QUANTILES, zip(*columns)):
            writer.writerow([q, *values])


def _quantiles(samples: list[float]) -> list[float]:
    """Nearest-rank percentiles at QUANTILES (evaluation.stats.percentile; 0 is the minimum)."""
    ordered = sorted(samples)
    if not ordered:
        return [math.nan] * len(QUANTILES)
    return [round(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)], 4) for q in QUANTILES]


def remove_runs(directory: pathlib.Path, prefix: str) -> None:
    """Delete the run files whose names start with ``prefix`` (before they are made again)."""
    for path in (directory / "runs").glob(f"{prefix}-*.csv"):
        path.unlink()


def _number(text: str) -> float:
    return math.nan if text in ("", "nan") else float(text)


def load_runs(directory: pathlib.Path) -> list[Run]:
    """Every run on disk, rebuilt from its CSVs (latency samples are the stored quantiles)."""
    runs = []
    for path in sorted((directory / "runs").glob("*.csv")):
        if path.stem.endswith(("-series", "-latency")):
            continue
        with open(path, newline="") as file:
            table = list(csv.DictReader(file))
        with open(path.with_name(f"{path.stem}-series.csv"), newline="") as file:
            series = list(csv.DictReader(file))
        with open(path.with_name(f"{path.stem}-latency.csv"), newline="") as file:
            quantiles = list(csv.DictReader(file))
        flows = []
        for row in table:
            stats = FlowStats(**{f: (int(row[f]) if f in ("flow", "sent", "received")
                                     else _number(row.get(f, "nan")))  # read_p99_ms: not in runs before it
                                 for f in STAT_FIELDS})
            flow = Flow(stats.flow, row["name"], int(row["egress"]), int(row["size"]),
                        float(row["reserved_bps"]) if row["reserved_bps"] else None)
            flows.append(FlowResult(flow, stats, [float(s[flow.name]) for s in series],
                                    [v for v in (_number(q[flow.name]) for q in quantiles) if not math.isnan(v)],
                                    {"late_start_s": float(row["late_start_s"])}))
        first = table[0]
        runs.append(Run(first["experiment"], first["mode"], first["layout"], first["level"], flows,
                        int(first["repeat"])))
    return runs


# -- aggregates ------------------------------------------------------------------------------------

def _well_behaved(run: Run) -> list[FlowResult]:
    return [r for r in run.flows if r.flow.name in WELL_BEHAVED_NAMES]


def _flow(run: Run, name: str) -> FlowResult | None:
    return next((r for r in run.flows if r.flow.name == name), None)


def metrics(run: Run) -> dict[str, float]:
    """What the tables show of one run."""
    if run.experiment == "overhead":
        be = _flow(run, "be").stats
        return {"be_mbps": be.throughput_bps / 1e6, "be_loss": be.loss, "be_p50_ms": be.p50_ms,
                "be_p99_ms": be.p99_ms}
    if run.experiment == "qos":
        r1, be = _flow(run, "r1"), _flow(run, "be")
        out = {"r1_kept": kept_fraction(r1), "r1_p50_ms": r1.stats.p50_ms, "r1_p99_ms": r1.stats.p99_ms}
        if be is not None:
            out |= {"be_mbps": be.stats.throughput_bps / 1e6, "be_loss": be.stats.loss}
        return out
    good, bad = _well_behaved(run), _flow(run, "m")
    return {"worst_kept": min(kept_fraction(r) for r in good), "worst_p99_ms": max(r.stats.p99_ms for r in good),
            "worst_p50_ms": max(r.stats.p50_ms for r in good), "worst_loss": max(r.stats.loss for r in good),
            "worst_read_p99_ms": max(r.stats.read_p99_ms for r in good),
            "m_offered_mbps": bad.stats.offered_bps / 1e6, "m_mbps": bad.stats.throughput_bps / 1e6}


@dataclasses.dataclass
class Spread:
    values: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def sd(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def text(self, digits: int = 2) -> str:
        if len(self.values) == 1:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f})"


def aggregate(runs: list[Run]) -> dict[tuple[str, str, str, str], dict[str, Spread]]:
    """(experiment, layout, mode, level) -> metric -> its values over the repetitions."""
    groups: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        for metric, value in metrics(run).items():
            groups[(run.experiment, run.layout, run.mode, run.level)][metric].append(value)
    return {key: {m: Spread(v) for m, v in values.items()} for key, values in groups.items()}


def write_aggregate(groups: dict, directory: pathlib.Path) -> None:
    with open(directory / "aggregate.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["experiment", "layout", "mode", "level", "metric", "n", "mean", "min", "max", "sd"])
        for (experiment, layout, mode, level), values in sorted(groups.items()):
            for metric, spread in values.items():
                writer.writerow([experiment, layout, mode, level, metric, len(spread.values),
                                 *(round(x, 5) for x in (spread.mean, spread.low, spread.high, spread.sd))])


def _digits(value: float) -> int:
    return 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0


def markdown(groups: dict) -> str:
    """The tables of docs/evaluation.md: mean (min-max) over the repetitions."""
    out = []
    modes = lambda experiment, layout: [m for m in MODES if any(k[:3] == (experiment, layout, m) for k in groups)]
    overhead = [k for k in groups if k[0] == "overhead"]
    if overhead:
        out += ["### overhead: best effort received (Mbit/s), loss, p50 / p99 latency (ms)", "",
                "| offered | " + " | ".join(modes("overhead", "-")) + " |",
                "|---|" + "---|" * len(modes("overhead", "-"))]
        for pps in OVERHEAD_PPS:
            cells = []
            for mode in modes("overhead", "-"):
                g = groups.get(("overhead", "-", mode, str(pps)))
                cells.append("-" if g is None else f"{g['be_mbps'].text(1)}, loss {g['be_loss'].text(3)}, "
                             f"{g['be_p50_ms'].text()} / {g['be_p99_ms'].text()}")
            out.append(f"| {pps:,} pps | " + " | ".join(cells) + " |")
        out.append("")
    qos = sorted({k[3] for k in groups if k[0] == "qos"}, key=lambda level: float(level[:-1]))
    if qos:
        out += ["### qos: r1 kept, p50 / p99 (ms); best effort received (Mbit/s), loss", "",
                "| best effort | " + " | ".join(modes("qos", "-")) + " |", "|---|" + "---|" * len(modes("qos", "-"))]
        for level in qos:
            cells = []
            for mode in modes("qos", "-"):
                g = groups.get(("qos", "-", mode, level))
                if g is None:
                    cells.append("-")
                    continue
                text = f"{g['r1_kept'].text()}, {g['r1_p50_ms'].text(_digits(g['r1_p50_ms'].mean))} / " \
                       f"{g['r1_p99_ms'].text(_digits(g['r1_p99_ms'].mean))}"
                if "be_mbps" in g:
                    text += f"; be {g['be_mbps'].text(1)}, loss {g['be_loss'].text()}"
                cells.append(text)
            out.append(f"| {level} | " + " | ".join(cells) + " |")
        out.append("")
    for layout in ("shared", "separate"):
        present = [level for level in LEVELS if any(k[:2] == ("isolation", layout) and k[3] == level for k in groups)]
        if not present:
            continue
        for metric, title in (("worst_kept", "worst well-behaved received / reserved"),
                              ("worst_p99_ms", "worst well-behaved p99 latency (ms)"),
                              ("worst_p50_ms", "worst well-behaved p50 latency (ms)"),
                              ("worst_read_p99_ms", "worst well-behaved p99 latency to the sink's read (ms)")):
            out += [f"### isolation, {layout} NIC: {title}", "", "| mode | " + " | ".join(present) + " |",
                    "|---|" + "---|" * len(present)]
            for mode in modes("isolation", layout):
                cells = []
                for level in present:
                    g = groups.get(("isolation", layout, mode, level))
                    cells.append("-" if g is None else g[metric].text(_digits(g[metric].mean)))
                label = f"{mode} (baseline)" if BASELINE[layout] == mode else mode
                out.append(f"| {label} | " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


def write_summary(runs: list[Run], directory: pathlib.Path) -> None:
    with open(directory / "summary.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        for run in runs:
            writer.writerows(rows(run))


# -- plots -----------------------------------------------------------------------------------------

def _save(figure, path: pathlib.Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _yerr(spreads: list[Spread]) -> list[list[float]]:
    """Error bars from the mean down to the lowest and up to the highest repetition."""
    return [[max(0.0, s.mean - s.low) for s in spreads], [max(0.0, s.high - s.mean) for s in spreads]]


def _errorbar(axes, xs, spreads: list[Spread], mode: str, marker: str, label: str) -> None:
    color, line = STYLE[mode]
    axes.errorbar(xs, [s.mean for s in spreads], yerr=_yerr(spreads),
                  fmt=marker, linestyle=line, color=color, capsize=3, label=label)


def plot_overhead(groups: dict, directory: pathlib.Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for mode in MODES:
        mine = [groups[k] for pps in OVERHEAD_PPS if (k := ("overhead", "-", mode, str(pps))) in groups]
        if not mine:
            continue
        offered = [pps * 8 * 500 / 1e6 for pps in OVERHEAD_PPS][:len(mine)]
        _errorbar(left, offered, [g["be_mbps"] for g in mine], mode, "o", mode)
        _errorbar(right, offered, [g["be_p50_ms"] for g in mine], mode, "o", f"{mode} p50")
        _errorbar(right, offered, [g["be_p99_ms"] for g in mine], mode, "s", f"{mode} p99")
    left.set(xlabel="offered best effort (Mbit/s)", ylabel="received (Mbit/s)", title="1. overhead: throughput")
    right.set(xlabel="offered best effort (Mbit/s)", ylabel="one-way latency (ms)", yscale="log",
              title="1. overhead: latency (mean, min-max)")
    left.legend()
    right.legend(fontsize=7)
    _save(figure, directory / "overhead.png")


def plot_cdfs(runs: list[Run], directory: pathlib.Path, experiment: str, level: str, name: str,
              layout: str = "-") -> None:
    figure, axes = plt.subplots(figsize=(6.5, 4))
    for run in runs:
        if (run.experiment, run.level, run.layout, run.repeat) != (experiment, level, layout, 1):
            continue
        for result in run.flows:
            samples = sorted(result.latencies_ms)
            if samples and result.flow.name != "be":
                axes.plot(samples, [(i + 1) / len(samples) for i in range(len(samples))],
                          label=f"{run.mode} {result.flow.name}", color=STYLE[run.mode][0],
                          linestyle=STYLE[run.mode][1], alpha=0.4 if result.flow.name == "m" else 1.0)
    axes.set(xlabel="one-way latency (ms)", ylabel="fraction of packets", xscale="log",
             title=f"latency CDF: {experiment} {layout if layout != '-' else ''} {level} (repetition 1)")
    axes.legend(fontsize=6, ncol=2)
    _save(figure, directory / name)


def plot_series(run: Run, directory: pathlib.Path) -> None:
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for result in run.flows:
        axes.plot([i * BIN_S for i in range(len(result.series_bps))], [v / 1e6 for v in result.series_bps],
                  label=result.flow.name)
    axes.set(xlabel="time (s)", ylabel="received (Mbit/s)", title=f"throughput over time: {run.name}")
    axes.legend(fontsize=7)
    _save(figure, directory / f"series-{run.name.removesuffix('-r1')}.png")


def plot_isolation(groups: dict, directory: pathlib.Path) -> None:
    layouts = [l for l in ("shared", "separate") if any(k[:2] == ("isolation", l) for k in groups)]
    figure, grid = plt.subplots(2, len(layouts), figsize=(6 * len(layouts), 7.5), squeeze=False)
    for column, layout in enumerate(layouts):
        modes = [m for m in MODES if any(k[:3] == ("isolation", layout, m) for k in groups)]
        width = 0.8 / len(modes)
        for i, mode in enumerate(modes):
            shown = [level for level in LEVELS if ("isolation", layout, mode, level) in groups]
            xs = [LEVELS.index(level) + (i - (len(modes) - 1) / 2) * width for level in shown]
            for row, metric in ((0, "worst_kept"), (1, "worst_p99_ms")):
                spreads = [groups[("isolation", layout, mode, level)][metric] for level in shown]
                label = f"{mode} (baseline)" if BASELINE[layout] == mode else mode
                grid[row][column].bar(xs, [s.mean for s in spreads], width, color=STYLE[mode][0], label=label,
                                      yerr=_yerr(spreads),
                                      capsize=2)
        grid[0][column].axhline(0.95, color="k", linewidth=0.8, linestyle=":")
        grid[0][column].set(title=f"3. isolation, {layout} NIC (mean, min-max)",
                            ylabel="worst well-behaved: received / reserved", xticks=range(len(LEVELS)),
                            xticklabels=LEVELS, ylim=(0, 1.15))
        grid[1][column].set(ylabel="worst well-behaved p99 latency (ms)", yscale="log", xticks=range(len(LEVELS)),
                            xticklabels=LEVELS, xlabel="misbehaving flow's offered load / its reservation")
        grid[0][column].legend(fontsize=8, loc="lower left")
    _save(figure, directory / "isolation.png")


def write_all(directory: pathlib.Path) -> dict:
    """Summary, aggregates, tables and plots of every run under ``directory/runs``."""
    directory.mkdir(parents=True, exist_ok=True)
    runs = load_runs(directory)
    groups = aggregate(runs)
    write_summary(runs, directory)
    write_aggregate(groups, directory)
    (directory / "tables.md").write_text(markdown(groups) + "\n")
    for stale in directory.glob("*.png"):
        stale.unlink()
    experiments = {r.experiment for r in runs}
    if "overhead" in experiments:
        plot_overhead(groups, directory)
    if "qos" in experiments:
        heaviest = max((r.level for r in runs if r.experiment == "qos"), key=lambda level: float(level[:-1]))
        plot_cdfs(runs, directory, "qos", heaviest, "qos-cdf.png")
    if "isolation" in experiments:
        plot_isolation(groups, directory)
        for layout in sorted({r.layout for r in runs if r.experiment == "isolation"}):
            plot_cdfs(runs, directory, "isolation", "10x", f"isolation-{layout}-cdf.png", layout)
        for run in runs:
            if run.experiment == "isolation" and run.level == "10x" and run.repeat == 1:
                plot_series(run, directory)
    return groups
