"""``rsvpd demo``: four routers in one process, no root, over the real codec and engines.

The network runs in the simulator (:mod:`rsvp.sim`: every message is encoded,
carried as bytes and decoded) with the daemon's admission and routelet
choices: ``[admission] policy`` by name (:func:`rsvp.daemon.policies.make_admission`)
and the routelet backend's table.  Story, in simulated seconds on a line
A-B-C-D whose B-C link has 100 Mb/s:

* t=0: ``bronze`` (50 Mb/s, priorities 7/7) and ``silver`` (40 Mb/s, 4/0) come up;
* t=1: ``bulk`` (30 Mb/s, 7/0) is refused at B for lack of bandwidth (error 1/2,
  RFC 2205 appendix B) and keeps retrying;
* t=2: ``gold`` (50 Mb/s, 0/0) preempts ``bronze`` at B (error 12, RFC 3209
  section 4.7.1 priorities).
"""

from __future__ import annotations

import random
import time
from typing import Any

from rsvp.ctl import tables
from rsvp.engine import Node
from rsvp.engine.config import NodeConfig
from rsvp.engine.routing import Routes
from rsvp.sim import Simulation, loads, summary

from .performers import routelet_row
from .policies import CountingAdmission, ledger, make_admission

SCENARIO = """
description = "rsvpd demo: admission refusal and preemption on a 100 Mb/s link"
duration_s = 6
seed = 11
refresh_s = 30

[[node]]
name = "A"
router_id = "192.0.2.1"
[[node]]
name = "B"
router_id = "192.0.2.2"
[[node]]
name = "C"
router_id = "192.0.2.3"
[[node]]
name = "D"
router_id = "192.0.2.4"

[[link]]
a = "A"
b = "B"
delay_ms = 1
bandwidth_bps = 1e9
[[link]]
a = "B"
b = "C"
delay_ms = 2
bandwidth_bps = 100e6
[[link]]
a = "C"
b = "D"
delay_ms = 1
bandwidth_bps = 1e9

[[lsp]]
name = "bronze"
head = "A"
tail = "D"
bandwidth_bps = 50e6
ero = ["B", "C", "D"]
setup_priority = 7
hold_priority = 7
[[lsp]]
name = "silver"
head = "A"
tail = "D"
bandwidth_bps = 40e6
ero = ["B", "C", "D"]
setup_priority = 4
hold_priority = 0
[[lsp]]
name = "bulk"
head = "A"
tail = "D"
bandwidth_bps = 30e6
ero = ["B", "C", "D"]
setup_priority = 7
hold_priority = 0
[[lsp]]
name = "gold"
head = "A"
tail = "D"
bandwidth_bps = 50e6
ero = ["B", "C", "D"]
setup_priority = 0
hold_priority = 0

[[event]]
at_s = 1
action = "add-lsp"
target = "bulk"
[[event]]
at_s = 2
action = "add-lsp"
target = "gold"
"""


def run(policy: str = "bandwidth") -> dict[str, Any]:
    """Run the story; the LSP, routelet, ledger and admission tables as JSON-able data."""
    scenario = loads(SCENARIO)
    names = {n.router_id: n.name for n in scenario.nodes}
    admissions: dict[str, CountingAdmission] = {}

    def factory(config: NodeConfig, routes: Routes, rng: random.Random) -> Node:
        admission = admissions[names[config.router_id]] = make_admission(policy, config.interfaces)
        return Node(config, routes, rng, admission)

    started = time.perf_counter()
    sim = Simulation(scenario, node_factory=factory)
    history = _watch(sim, scenario.nodes[0].name)
    result = summary(sim)
    priorities = {l.name: (l.setup_priority, l.hold_priority, l.bandwidth_bps) for l in scenario.lsps}
    return {
        "simulated_s": result["time_s"],
        "wall_s": round(time.perf_counter() - started, 3),
        "policy": policy,
        "history": history,
        "lsps": [{"name": name, "setup_priority": priorities[name][0], "hold_priority": priorities[name][1],
                  "bandwidth_bps": priorities[name][2], **lsp} for name, lsp in result["lsps"].items()],
        # the simulator performs InstallLabel/RemoveLabel itself: its forwarding table is the routelet table
        "routelets": {name: [routelet_row(handle, action, "none") for handle, action in sorted(node.forwarding.items())]
                      for name, node in sim.nodes.items()},
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
    routelet_rows = [["router", "in", "out", "interface", "next hop", "bandwidth"]]
    for router, entries in result["routelets"].items():
        routelet_rows.extend([router, tables.cell(r["in_label"]), tables.cell(r["out_label"]),
                              tables.cell(r["out_interface"]), tables.cell(r["next_hop"]),
                              tables.rate(r["bandwidth_bps"])] for r in entries)
    ledger_rows = [["router", "interface", "bandwidth", "reservable", "reserved", "free", "admission answers"]]
    for router, entries in result["ledger"].items():
        answers = " ".join(f"{k}:{v}" for k, v in sorted(result["admission"][router].items())) or "-"
        ledger_rows.extend([router if i == 0 else "", r["interface"], tables.rate(r["bandwidth_bps"]),
                            tables.rate(r["reservable_bps"]), tables.rate(r["reserved_bps"]),
                            tables.rate(r["free_bps"]), answers if i == 0 else ""] for i, r in enumerate(entries))
    heading = (f"QuaSAR-RSVP demo: routers A-B-C-D, B-C has 100 Mb/s; admission {result['policy']!r}, "
               f"routelets 'none'; {result['simulated_s']:g} s simulated in {result['wall_s']:g} s")
    return "\n\n".join([heading, "What the head saw", tables.grid(history_rows), "LSPs at the end",
                        tables.grid(rows), "Routelets", tables.grid(routelet_rows),
                        "Ledger", tables.grid(ledger_rows)]) + "\n"
