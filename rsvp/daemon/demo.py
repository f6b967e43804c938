"""``rsvpd demo``: four QuaSAR routers in one process, no root, over the real codec and engines.

The network runs in the simulator (:mod:`rsvp.sim`: every message is encoded,
carried as bytes and decoded) with the daemon's admission and routelet
choices: an admission policy by name (:func:`rsvp.daemon.policies.make_admission`;
default ``quasar``: bandwidth, CPU and memory shares) and a routelet backend
(default ``libvirt`` on the embedded ``test:///default`` driver: one domain
per reservation, sized by its shares; the test driver records but does not
enforce them, see docs/routelets.md).  Each engine's forwarding actions are
performed by the backend at once (:class:`RouteletNode`); the simulator
carries the messages.  Story, in simulated seconds on a line A-B-C-D whose
B-C link has 100 Mb/s, routers of 4 CPUs and 4 GiB:

* t=0: ``bronze`` (50 Mb/s, priorities 7/7) and ``silver`` (40 Mb/s, 4/0) come up;
* t=1: ``bulk`` (30 Mb/s, 7/0) is refused at B for lack of bandwidth (error 1/2,
  RFC 2205 appendix B) and keeps retrying;
* t=2: ``gold`` (50 Mb/s, 0/0) preempts ``bronze`` at B (error 12, RFC 3209
  section 4.7.1 priorities).
"""

from __future__ import annotations

import random
import secrets
import time
from pathlib import Path
from typing import Any

from quasar_glue import GlueConfig
from rsvp.ctl import tables
from rsvp.engine import InstallLabel, LabelInstalled, Node, RemoveLabel
from rsvp.engine.actions import Action
from rsvp.engine.config import NodeConfig
from rsvp.engine.routing import Routes
from rsvp.sim import Simulation, loads, summary
from rsvp.sim.topology import Topology

from .performers import NoRoutelets, RouteletBackend, Routelets
from .policies import CountingAdmission, ledger, make_admission

ROUTER_RESOURCES = {"quasar": {"cpus": 8.0, "memory_bytes": 4 << 30}}  # policy options of the demo's routers

SCENARIO = Path(__file__).with_name("demo.toml")  # the story as a simulator scenario


class RouteletNode:
    """An engine whose forwarding actions a routelet backend performs at once, answering the engine
    (LabelInstalled / LabelInstallFailed) before its messages leave: what rsvpd's runner does, without
    threads, for the simulator."""

    def __init__(self, node: Node, backend: RouteletBackend) -> None:
        self.node, self.backend = node, backend

    def handle(self, event: Any, now: float) -> list[Action]:
        return self._perform(self.node.handle(event, now), now)

    def on_timer(self, now: float) -> list[Action]:
        return self._perform(self.node.on_timer(now), now)

    def next_deadline(self) -> float | None:
        return self.node.next_deadline()

    def snapshot(self) -> dict[str, Any]:
        return self.node.snapshot()

    def _perform(self, actions: list[Action], now: float) -> list[Action]:
        out, pending = [], list(actions)
        while pending:
            action = pending.pop(0)
            if isinstance(action, InstallLabel):
                answer = self.backend.install(action) or LabelInstalled(action.handle)
                pending.extend(self.node.handle(answer, now))
            elif isinstance(action, RemoveLabel):
                self.backend.remove(action.handle)
            else:
                out.append(action)
        return out


def run(policy: str = "quasar", glue: str = "libvirt") -> dict[str, Any]:
    """Run the story; the LSP, routelet, ledger and admission tables as JSON-able data.  Routelets are
    released at the end (libvirt: the demo's domains are destroyed and undefined)."""
    scenario = loads(SCENARIO.read_text())
    names = {n.router_id: n.name for n in scenario.nodes}
    admissions: dict[str, CountingAdmission] = {}
    backends: dict[str, RouteletBackend] = {}
    tag = secrets.token_hex(2)
    # simulated links have no link layer: every address gets a locally administered MAC (IEEE 802 U/L bit)
    neighbours = {str(port.address): "02:00:" + ":".join(f"{b:02x}" for b in port.address.packed)
                  for ports in Topology(scenario).ports.values() for port in ports}
    neighbours["dom0"] = "02:00:00:00:00:01"

    def factory(config: NodeConfig, routes: Routes, rng: random.Random) -> RouteletNode:
        name = names[config.router_id]
        admission = admissions[name] = make_admission(policy, config.interfaces, ROUTER_RESOURCES.get(policy))
        backends[name] = NoRoutelets() if glue == "none" else Routelets(GlueConfig(
            backend=glue, pool_size=1, name_prefix=f"demo{tag}{name}",
            interfaces=tuple(i.name for i in config.interfaces), static_neighbours=neighbours), admission)
        return RouteletNode(Node(config, routes, rng, admission), backends[name])

    started = time.perf_counter()
    try:
        sim = Simulation(scenario, node_factory=factory)
        history = _watch(sim, scenario.nodes[0].name)
        result = summary(sim)
        routelets = {name: [r for r in backend.routelets() if r.get("handle") is not None]
                     for name, backend in backends.items()}
    finally:
        for backend in backends.values():
            backend.close()
    priorities = {l.name: (l.setup_priority, l.hold_priority, l.bandwidth_bps) for l in scenario.lsps}
    return {
        "simulated_s": result["time_s"],
        "wall_s": round(time.perf_counter() - started, 3),
        "policy": policy,
        "glue": glue,
        "history": history,
        "lsps": [{"name": name, "setup_priority": priorities[name][0], "hold_priority": priorities[name][1],
                  "bandwidth_bps": priorities[name][2], **lsp} for name, lsp in result["lsps"].items()],
        "routelets": routelets,
        "ledger": {name: ledger(node.config.interfaces, admissions[name]) for name, node in sim.nodes.items()},
        "admission": {name: dict(admission.results) for name, admission in admissions.items()},
    }


def _watch(sim: Simulation, head: str, step_s: float = 0.05) -> list[dict[str, Any]]:
    """Run to the end in steps, noting each change of the head's LSPs (state, reason) with its time."""
    seen: dict[str, tuple[str, str | None]] = {}
    history = []
    while not sim.finished:
        sim.run(until=min(sim.now + step_s, sim.scenario.duration_s))
        for lsp in sim.nodes[head].engine.snapshot()["lsps"]:  # type: ignore[union-attr]
            now = (lsp["state"], lsp["reason"])
            if lsp["role"] == "ingress" and seen.get(lsp["name"]) != now:
                seen[lsp["name"]] = now
                history.append({"time_s": round(sim.now, 3), "lsp": lsp["name"], "state": now[0], "reason": now[1]})
    return history


def render(result: dict[str, Any]) -> str:
    names = {"192.0.2.1": "A", "192.0.2.2": "B", "192.0.2.3": "C", "192.0.2.4": "D"}
    rows = [["LSP", "bandwidth", "setup/hold", "state", "path", "labels", "reason"]]
    for lsp in result["lsps"]:
        rows.append([lsp["name"], tables.rate(lsp["bandwidth_bps"]), f"{lsp['setup_priority']}/{lsp['hold_priority']}",
                     lsp["state"], " > ".join(names.get(r, r) for r in lsp["path"]) or "-",
                     " ".join(map(str, lsp["labels"])) or "-", lsp["reason"] or ""])
    history_rows = [["t (s)", "LSP", "state", "reason"]]
    history_rows.extend([f"{h['time_s']:.2f}", h["lsp"], h["state"], h["reason"] or ""] for h in result["history"])
    routelet_rows = [["router", "routelet", "in", "out", "interface", "bandwidth", "CPUs share / cap", "memory"]]
    for router, entries in result["routelets"].items():
        for r in entries:
            shares = r.get("shares") or {}
            cpu = f"{shares['cpu_sustained']:.2f} / {shares['cpu_peak']:.2f}" if shares else "-"
            memory = f"{shares['memory_bytes'] / (1 << 20):.1f} MiB" if shares else "-"
            routelet_rows.append([router, r.get("name", str(r["handle"])), tables.cell(r["in_label"]),
                                  tables.cell(r["out_label"]), tables.cell(r["out_interface"]),
                                  tables.rate(r["bandwidth_bps"]), cpu, memory])
    ledger_rows = [["router", "resource", "capacity", "reserved", "free", "admission answers"]]
    for router, entries in result["ledger"].items():
        answers = " ".join(f"{k}:{v}" for k, v in sorted(result["admission"][router].items())) or "-"
        rows_of = [[f"bandwidth {r['interface']}", tables.rate(r["reservable_bps"]), tables.rate(r["reserved_bps"]),
                    tables.rate(r["free_bps"])] for r in entries["bandwidth"]]
        rows_of += [[r["resource"], *(_amount(v, r["unit"]) for v in (r["capacity"], r["used"],
                                                                       r["capacity"] - r["used"]))]
                    for r in entries["router"]]
        ledger_rows.extend([router if i == 0 else "", *row, answers if i == 0 else ""] for i, row in enumerate(rows_of))
    heading = (f"QuaSAR-RSVP demo: routers A-B-C-D, B-C has 100 Mb/s; admission {result['policy']!r}, "
               f"routelets {result['glue']!r}; {result['simulated_s']:g} s simulated in {result['wall_s']:g} s")
    return "\n\n".join([heading, "What the head saw", tables.grid(history_rows), "LSPs at the end",
                        tables.grid(rows), "Routelets", tables.grid(routelet_rows),
                        "Ledger", tables.grid(ledger_rows)]) + "\n"


def _amount(value: float, unit: str) -> str:
    return f"{value / (1 << 20):.1f} MiB" if unit == "bytes" else f"{value:.3g} {unit}"
