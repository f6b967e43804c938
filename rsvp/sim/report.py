"""The final state of a run as plain data (JSON-able), and as readable tables.

Per LSP: its state and reason from the head's snapshot, the path (router ids,
from the head's recorded route), and the labels hop by hop from each node's
snapshot along that path.  Per node: state block counts and messages sent and
received by type.  Per link: what the link did to the messages it carried.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from itertools import pairwise
from typing import Any

from .network import Simulation


def summary(sim: Simulation) -> dict[str, Any]:
    """Everything a run ends with; the same scenario and seed always give the same dict."""
    snapshots = {name: node.engine.snapshot() for name, node in sim.nodes.items() if node.engine is not None}
    return {
        "time_s": round(sim.now, 9),
        "seed": sim.scenario.seed,
        "lsps": {lsp.name: _lsp(sim, lsp.name, snapshots) for lsp in sim.scenario.lsps},
        "nodes": {name: _node(sim, name, snapshots.get(name)) for name in sim.nodes},
        "links": {_link_name(sim, i): _link(sim, i) for i in range(len(sim.links))},
        "sim": dict(sorted(sim.counters.items())),
    }


def _lsp(sim: Simulation, name: str, snapshots: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec = sim.scenario.lsp(name)
    out: dict[str, Any] = {"head": spec.head, "tail": spec.tail, "state": "down", "path": [], "labels": [],
                           "reason": None, "labels_consistent": None, "hops": []}
    if name not in sim.active_lsps:
        out["reason"] = "deleted" if name in sim.deleted_lsps else "not added yet"
        return out
    head = snapshots.get(spec.head)
    record = None if head is None else next(
        (l for l in head["lsps"] if l.get("name") == name and l.get("role") == "ingress"), None
    )
    if record is None:
        out["reason"] = "head not running" if head is None else "unknown to the head"
        return out
    out["state"] = record.get("state", "down")
    out["reason"] = record.get("reason")
    nodes = _path_nodes(sim, spec.head, record.get("record_route") or [])
    out["path"] = [str(sim.nodes[n].config.router_id) if n in sim.nodes else n for n in nodes]
    if out["state"] == "up":
        hops = [_hop(sim, n, record, snapshots, spec.head) for n in nodes if n in sim.nodes]
        out["labels"] = [hop["in_label"] for hop in hops[1:]]
        out["labels_consistent"] = all(a["out_label"] == b["in_label"] for a, b in pairwise(hops))
        out["hops"] = hops
    return out


def _path_nodes(sim: Simulation, head: str, record_route: list[str]) -> list[str]:
    """Node names along a recorded route, starting at the head, consecutive repeats folded.

    An address no node owns stays as it is (the engine recorded something outside the topology).
    """
    nodes = [head]
    for text in record_route:
        name = sim.topology.owner.get(IPv4Address(text), text)
        if name != nodes[-1]:
            nodes.append(name)
    return nodes


def _hop(sim: Simulation, name: str, ingress: dict[str, Any], snapshots: dict[str, dict[str, Any]],
         head: str) -> dict[str, Any]:
    """This LSP's record at node ``name``: matched on destination, tunnel id and LSP id (and sender when several)."""
    hop: dict[str, Any] = {"node": name, "role": None, "state": None, "in_label": None, "out_label": None}
    snapshot = snapshots.get(name)
    if snapshot is None:
        return hop
    key = (ingress.get("destination"), ingress.get("tunnel_id"), ingress.get("lsp_id"))
    found = [l for l in snapshot["lsps"] if (l.get("destination"), l.get("tunnel_id"), l.get("lsp_id")) == key]
    if len(found) > 1:
        sender = str(sim.scenario.node(head).router_id)
        found = [l for l in found if l.get("name") == ingress.get("name") or sender in str(l.get("name", ""))]
    if found:
        record = found[0]
        hop.update(role=record.get("role"), state=record.get("state"), in_label=record.get("in_label"),
                   out_label=record.get("out_label"))
    return hop


def _node(sim: Simulation, name: str, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    node = sim.nodes[name]
    return {
        "router_id": str(node.config.router_id),
        "running": node.alive,
        "restarts": node.restarts,
        "psb_count": snapshot.get("psb_count", 0) if snapshot else 0,
        "rsb_count": snapshot.get("rsb_count", 0) if snapshot else 0,
        "forwarding_entries": len(node.forwarding),
        "sent": dict(sorted(node.sent.items())),
        "received": dict(sorted(node.received.items())),
        "sim_counters": dict(sorted(node.counters.items())),
        "engine_counters": dict(snapshot.get("counters", {})) if snapshot else {},
    }


def _link_name(sim: Simulation, index: int) -> str:
    spec = sim.scenario.links[index]
    same = [i for i, l in enumerate(sim.scenario.links) if {l.a, l.b} == {spec.a, spec.b}]
    return spec.label if len(same) == 1 else f"{spec.label}#{same.index(index) + 1}"


def _link(sim: Simulation, index: int) -> dict[str, Any]:
    link = sim.links[index]
    return {"up": link.up, **dict(sorted(link.counters.items()))}


# --- text --------------------------------------------------------------------------------


def tables(result: dict[str, Any], sim: Simulation) -> str:
    """The summary as aligned text tables."""
    names = {str(n.router_id): n.name for n in sim.scenario.nodes}
    lsp_rows = [["LSP", "head", "tail", "state", "path", "labels", "reason"]]
    for name, lsp in result["lsps"].items():
        path = " > ".join(names.get(r, r) for r in lsp["path"]) or "-"
        labels = " ".join(str(l) for l in lsp["labels"]) or "-"
        if lsp.get("labels_consistent") is False:
            labels += " (INCONSISTENT)"
        lsp_rows.append([name, lsp["head"], lsp["tail"], lsp["state"], path, labels, lsp["reason"] or ""])
    node_rows = [["node", "router id", "running", "PSB", "RSB", "FIB", "sent", "received"]]
    for name, node in result["nodes"].items():
        node_rows.append([
            name, node["router_id"], "yes" if node["running"] else "NO", str(node["psb_count"]),
            str(node["rsb_count"]), str(node["forwarding_entries"]), _by_type(node["sent"]),
            _by_type(node["received"]),
        ])
    link_rows = [["link", "up", "offered", "delivered", "lost", "dup", "reord", "corrupt", "down-drop"]]
    for name, link in result["links"].items():
        link_rows.append([
            name, "yes" if link["up"] else "NO", *(str(link.get(k, 0)) for k in (
                "offered", "delivered", "lost", "duplicated", "reordered", "corrupted", "dropped_link_down")),
        ])
    counters = ", ".join(f"{k}={v}" for k, v in result["sim"].items()) or "-"
    parts = [
        f"t = {result['time_s']:g} s, seed {result['seed']}",
        "", _table(lsp_rows), "", _table(node_rows), "", _table(link_rows), "", f"simulator: {counters}",
    ]
    return "\n".join(parts) + "\n"


def _by_type(counts: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in counts.items()) or "-"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
