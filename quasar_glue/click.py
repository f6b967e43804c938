"""Render a :class:`~quasar_glue.graph.ForwardingGraph` as a user-level Click configuration.

Standard Click 2.1 elements only (mainline Click has no MPLS element, see
``reference/quasar-glue.md`` section 2.2), so:

* the label is matched with ``Classifier`` on Ethernet offsets 14-16
  (label and S bit of the top entry, RFC 3032 section 2.1) and frames whose
  TTL is 0 or 1 are not classified as the flow;
* the swap is one ``StoreData`` of the whole entry per incoming TTL value,
  chosen by a 254-way ``Classifier`` on the TTL octet: this is how the TTL is
  decremented without a custom element.  It writes TC = 0, where the built-in
  forwarder keeps the incoming TC;
* a push routes the IPv4 packet (``DecIPTTL``) and prepends an entry with TTL
  255 (``Unstrip`` + ``StoreData`` + ``EtherEncap``); a pop strips the entry
  and routes the IPv4 packet under it.

Element names are stable (``pol``, ``q``, ``shp``, ``excess``, ``other``) so
a ControlSocket client can read counters and write ``shp.rate`` live.
"""

from __future__ import annotations

import math

from quasar_glue.graph import ForwardingGraph
from quasar_glue.mpls import ETH_P_MPLS_UC, PUSH_TTL, LabelEntry

MIN_FRAME_BYTES = 64  # Click's Queue counts packets: capacity = queue bytes / smallest frame


def _hex(data: bytes) -> str:
    return "\\<" + " ".join(f"{octet:02x}" for octet in data) + ">"


def _label_pattern(label: int, bottom_only: bool) -> str:
    value, mask = label << 4 | bottom_only, 0xFFFFF0 | bottom_only
    return f"14/{value:06x}%{mask:06x}"


def _bps(rate_bps: float) -> str:
    return f"{rate_bps / 8:.0f}Bps"


def live_values(graph: ForwardingGraph) -> dict[str, str]:
    """The writable handlers of ``graph``'s configuration and their values (``q.capacity``,
    ``pol.rate`` and ``shp.rate`` when policed and shaped): what changes live without a hot-swap."""
    values = {"q.capacity": str(max(1, math.ceil(graph.queue_bytes / MIN_FRAME_BYTES)))}
    if graph.police_rate_bps != math.inf:
        values["pol.rate"] = _bps(graph.police_rate_bps)
    if graph.shape_rate_bps != math.inf:
        values["shp.rate"] = _bps(graph.shape_rate_bps)
    return values


def idle(name: str = "routelet") -> str:
    """The configuration of an idle routelet: forwards nothing, holds no queue."""
    return f"// {name}: idle\nIdle;\n"


def render(graph: ForwardingGraph, name: str = "routelet") -> str:
    """The Click configuration of ``graph``; ``name`` only labels the comment line."""
    src, dst, dev = graph.src_mac, graph.dst_mac, graph.device
    values = live_values(graph)
    lines = [
        f"// {name}: {graph.operation} {graph.in_label} -> {graph.out_label}",
        f"src :: FromDevice({dev}, METHOD LINUX, PROMISC true, SNIFFER false);",
        f"q :: Queue({values['q.capacity']});",
        f"out :: ToDevice({dev}, METHOD LINUX);",
        "other :: Counter -> Discard;",
    ]
    if graph.operation == "push":
        lines.append("cl :: Classifier(12/0800, -);")
    else:
        ttl_ok = "!17/00 !17/01"
        lines.append(f"cl :: Classifier(12/{ETH_P_MPLS_UC:04x} {_label_pattern(graph.in_label, True)} {ttl_ok}, -);")
    lines.append("src -> cl; cl[1] -> other;")
    if graph.police_rate_bps == math.inf:
        lines.append("pol :: Null;")
    else:
        lines.append(
            f"pol :: BandwidthRatedSplitter({values['pol.rate']}, BURST_BYTES {graph.police_burst_bytes});"
        )
        lines.append("excess :: Counter -> Discard; pol[1] -> excess;")
    lines.append("cl[0] -> pol;")
    if graph.operation == "swap":
        ttls = range(2, 256)
        lines.append("ttl :: Classifier(" + ", ".join(f"17/{t:02x}" for t in ttls) + ");")
        lines.append(f"mac :: EtherRewrite({src}, {dst}); pol[0] -> ttl; mac -> q;")
        head = _hex(LabelEntry(graph.out_label, 0, True, 0).pack()[:3])[:-1]  # label, TC, S: all but the TTL
        lines.extend(f"ttl[{port}] -> StoreData(14, {head} {t - 1:02x}>) -> mac;" for port, t in enumerate(ttls))
    elif graph.operation == "push":
        entry = LabelEntry(graph.out_label, 0, True, PUSH_TTL).pack()
        lines.append(
            f"pol[0] -> Strip(14) -> CheckIPHeader -> DecIPTTL -> Unstrip(4) -> StoreData(0, {_hex(entry)})"
            f" -> EtherEncap(0x{ETH_P_MPLS_UC:04x}, {src}, {dst}) -> q;"
        )
    else:
        lines.append(f"pol[0] -> Strip(18) -> CheckIPHeader -> DecIPTTL -> EtherEncap(0x0800, {src}, {dst}) -> q;")
    if graph.shape_rate_bps == math.inf:
        lines.append("q -> out;")
    else:
        lines.append(f"shp :: BandwidthShaper({values['shp.rate']}); q -> shp -> out;")
    return "\n".join(lines) + "\n"
