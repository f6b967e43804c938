"""Readable text tables of what rsvpd (and ``rsvpd demo``) report: one function per view."""

from __future__ import annotations

from typing import Any


def grid(rows: list[list[str]]) -> str:
    """Left-aligned columns under a dashed rule; the first row is the heading."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def rate(bps: float | None) -> str:
    """Bits per second, short: 10M, 1.5G, 640k."""
    if bps is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(bps) >= size:
            return f"{bps / size:.4g}{unit}"
    return f"{bps:.4g}"


def cell(value: Any) -> str:
    return "-" if value is None or value == [] else str(value)


NON_RSVP_MARK = "*"
NON_RSVP_NOTE = f"{NON_RSVP_MARK} the Path crossed a non-RSVP hop (IP TTL != Send_TTL, RFC 2205 section 3.8)"


def lsps(items: list[dict[str, Any]]) -> str:
    """The LSP table; an LSP whose Path crossed a non-RSVP hop has its name marked, with a note below.
    The last column: why a down LSP is down, else the last Notify PathErr its head heard."""
    rows = [["name", "role", "state", "destination", "in", "out", "bandwidth", "record route", "reason/notice"]]
    for l in items:
        name = l["name"] + (NON_RSVP_MARK if l.get("non_rsvp_hop") else "")
        rows.append([name, l["role"], l["state"], l["destination"], cell(l["in_label"]), cell(l["out_label"]),
                     rate(l["bandwidth_bps"]), " ".join(l["record_route"]) or "-",
                     cell(l.get("reason") or l.get("notice"))])
    note = "\n" + NON_RSVP_NOTE if any(l.get("non_rsvp_hop") for l in items) else ""
    return grid(rows) + note


def sessions(items: list[dict[str, Any]]) -> str:
    rows = [["session", "style", "senders", "reservations", "receiver"]]
    for s in items:
        rows.append([f"{s['destination']}/{s['protocol_id']}/{s['destination_port']}", cell(s["style"]),
                     str(len(s["senders"])), str(len(s["reservations"])), "yes" if s.get("receiver") else "no"])
    return grid(rows)


def neighbors(items: list[dict[str, Any]]) -> str:
    rows = [["neighbor", "sent", "received"]]
    for n in items:
        by = {"sent": [], "received": []}
        for name, count in n["counters"].items():
            direction, _, kind = name.partition(" ")
            by.setdefault(direction, []).append(f"{kind}:{count}")
        rows.append([n["address"], " ".join(by["sent"]) or "-", " ".join(by["received"]) or "-"])
    return grid(rows)


def routelets(items: list[dict[str, Any]]) -> str:
    rows = [["handle", "backend", "in", "out", "interface", "next hop", "bandwidth"]]
    for r in items:
        rows.append([str(r["handle"]), r["backend"], cell(r["in_label"]), cell(r["out_label"]),
                     cell(r["out_interface"]), cell(r["next_hop"]), rate(r["bandwidth_bps"])])
    return grid(rows)


def ledger(items: dict[str, list[dict[str, Any]]]) -> str:
    rows = [["interface", "bandwidth", "reservable", "reserved", "free"]]
    for r in items["bandwidth"]:
        rows.append([r["interface"], rate(r["bandwidth_bps"]), rate(r["reservable_bps"]), rate(r["reserved_bps"]),
                     rate(r["free_bps"])])
    if not items["router"]:
        return grid(rows)
    router = [["resource", "capacity", "used", "free"]]
    for r in items["router"]:
        scale = r["unit"] if r["unit"] != "bytes" else "MiB"
        divide = 1 << 20 if r["unit"] == "bytes" else 1
        router.append([r["resource"], *(f"{v / divide:.3g} {scale}" for v in
                                        (r["capacity"], r["used"], r["capacity"] - r["used"]))])
    return grid(rows) + "\n\n" + grid(router)


def counters(groups: dict[str, dict[str, Any]]) -> str:
    """Engine, transport and admission counters; per message type, the daemon's mean wait and handling."""
    rows = [["source", "counter", "value"]]
    for source, values in groups.items():
        for name, value in values.items():
            if isinstance(value, dict):  # latency: {"count", "wait_mean_us", "handling_mean_us"}
                value = f"{value['count']} handled, mean wait {value['wait_mean_us']:g} us, " \
                        f"handling {value['handling_mean_us']:g} us"
            rows.append([source, name, str(value)])
    return grid(rows)


VIEWS = {"lsps": lsps, "sessions": sessions, "neighbors": neighbors, "routelets": routelets, "ledger": ledger,
         "counters": counters}
