"""Scenario files: topology, LSPs and timed events, read from TOML and checked strictly.

Every problem is a :class:`ScenarioError` naming the offending key (for
example ``link[2].delay_ms``), so a typo never silently becomes a default.
See ``python -m rsvp.sim --help`` for the file format.
"""

from __future__ import annotations

import dataclasses
import math
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from rsvp.settings import KeyedError, parse_toml, read_toml

LINK_ACTIONS = ("link-down", "link-up")
NODE_ACTIONS = ("kill", "restart")
LSP_ACTIONS = ("delete-lsp", "add-lsp")
ACTIONS = LINK_ACTIONS + NODE_ACTIONS + LSP_ACTIONS
LOOSE_PREFIX = "loose:"


class ScenarioError(KeyedError):
    """An invalid scenario file (``key`` e.g. ``node[0].router_id``)."""


@dataclasses.dataclass(frozen=True, slots=True)
class NodeSpec:
    """``integrity_key``: this node's RFC 2747 secret on all its links (over a link's and the file's)."""

    name: str
    router_id: IPv4Address
    integrity_key: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class LinkSpec:
    """A point-to-point link.  Probabilities are per message; ``reorder_ms`` bounds a reordered one's extra delay."""

    a: str
    b: str
    delay_ms: float
    bandwidth_bps: float
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_ms: float | None = None
    corrupt: float = 0.0
    integrity_key: str | None = None  # both ends' secret on this link, over the file's

    @property
    def label(self) -> str:
        return f"{self.a}-{self.b}"


@dataclasses.dataclass(frozen=True, slots=True)
class EroSpec:
    """One ERO entry as written: a node name or an address (``10.0.1.2``, ``10.0.1.0/30``), strict or loose."""

    target: str
    loose: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class LspSpec:
    name: str
    head: str
    tail: str
    bandwidth_bps: float
    ero: tuple[EroSpec, ...] = ()
    setup_priority: int = 7
    hold_priority: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class EventSpec:
    at_s: float
    action: str
    target: str


@dataclasses.dataclass(frozen=True, slots=True)
class Scenario:
    nodes: tuple[NodeSpec, ...]
    links: tuple[LinkSpec, ...]
    lsps: tuple[LspSpec, ...]
    events: tuple[EventSpec, ...]
    duration_s: float
    seed: int = 1
    refresh_s: float = 30.0
    keep_multiplier: int = 3
    description: str = ""
    refresh_reduction: bool = True
    hello: bool = True
    hello_interval_s: float = 5.0
    hello_misses: float = 3.5
    integrity_key: str | None = None  # every node's secret unless a node or link says otherwise

    def secret(self, node: str, link: int) -> str | None:
        """The integrity secret ``node`` uses on link ``link``: its own, else the link's, else the file's."""
        return self.node(node).integrity_key or self.links[link].integrity_key or self.integrity_key

    def node(self, name: str) -> NodeSpec:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def lsp(self, name: str) -> LspSpec:
        for lsp in self.lsps:
            if lsp.name == name:
                return lsp
        raise KeyError(name)

    def links_named(self, target: str) -> tuple[int, ...]:
        """Indexes of the links an event target ``a-b`` (either order) means; empty if none."""
        names = {n.name for n in self.nodes}
        found: set[int] = set()
        for cut in (i for i, ch in enumerate(target) if ch == "-"):
            a, b = target[:cut], target[cut + 1 :]
            if a in names and b in names:
                found.update(i for i, l in enumerate(self.links) if {l.a, l.b} == {a, b} and a != b)
        return tuple(sorted(found))

    def starts_active(self, lsp: str) -> bool:
        """An LSP is set up at time 0 unless the first event naming it is ``add-lsp``."""
        for event in sorted(self.events, key=lambda e: e.at_s):
            if event.action in LSP_ACTIONS and event.target == lsp:
                return event.action != "add-lsp"
        return True

    def with_overrides(self, *, seed: int | None = None, duration_s: float | None = None) -> Scenario:
        changes: dict[str, Any] = {}
        if seed is not None:
            changes["seed"] = seed
        if duration_s is not None:
            changes["duration_s"] = duration_s
        return dataclasses.replace(self, **changes)


# --- reading -----------------------------------------------------------------------------


def load(path: str | Path) -> Scenario:
    """Read and check a scenario file."""
    return from_dict(read_toml(path, ScenarioError))


def loads(text: str) -> Scenario:
    return from_dict(parse_toml(text, ScenarioError))


_TOP = {"duration_s", "seed", "refresh_s", "keep_multiplier", "description", "node", "link", "lsp", "event",
        "refresh_reduction", "hello", "hello_interval_s", "hello_misses", "integrity_key"}


def from_dict(data: dict[str, Any]) -> Scenario:
    """Check a parsed TOML document and build the :class:`Scenario`."""
    _known_keys(data, _TOP, None)
    nodes = tuple(_node(t, f"node[{i}]") for i, t in enumerate(_tables(data, "node", required=True)))
    _unique([n.name for n in nodes], "node", "name")
    _unique([n.router_id for n in nodes], "node", "router_id")
    names = {n.name for n in nodes}
    links = tuple(_link(t, f"link[{i}]", names) for i, t in enumerate(_tables(data, "link")))
    if len(links) > 0xFFFF:
        raise ScenarioError("link", f"{len(links)} links; at most 65535 fit the 10.x.y.0/30 address plan")
    lsps = tuple(_lsp(t, f"lsp[{i}]", names) for i, t in enumerate(_tables(data, "lsp")))
    _unique([l.name for l in lsps], "lsp", "name")
    duration = _number(data, "duration_s", None, required=True, minimum=0.0)
    scenario = Scenario(
        nodes=nodes,
        links=links,
        lsps=lsps,
        events=(),
        duration_s=duration,
        seed=_integer(data, "seed", None, default=1),
        refresh_s=_number(data, "refresh_s", None, default=30.0, minimum=0.0, exclusive=True),
        keep_multiplier=_integer(data, "keep_multiplier", None, default=3, minimum=1),
        description=_string(data, "description", None, default=""),
        refresh_reduction=_boolean(data, "refresh_reduction", None, default=True),
        hello=_boolean(data, "hello", None, default=True),
        hello_interval_s=_number(data, "hello_interval_s", None, default=5.0, minimum=0.0, exclusive=True),
        hello_misses=_number(data, "hello_misses", None, default=3.5, minimum=1.0),
        integrity_key=_secret(data, None),
    )
    events = tuple(_event(t, f"event[{i}]", scenario) for i, t in enumerate(_tables(data, "event")))
    scenario = dataclasses.replace(scenario, events=events)
    _check_addresses(scenario)
    return scenario


def _node(table: dict[str, Any], where: str) -> NodeSpec:
    _known_keys(table, {"name", "router_id", "integrity_key"}, where)
    name = _name(table, where)
    return NodeSpec(name, _address(table, "router_id", where), _secret(table, where))


def _link(table: dict[str, Any], where: str, names: set[str]) -> LinkSpec:
    keys = {"a", "b", "delay_ms", "bandwidth_bps", "loss", "duplicate", "reorder", "reorder_ms", "corrupt",
            "integrity_key"}
    _known_keys(table, keys, where)
    a = _node_ref(table, "a", where, names)
    b = _node_ref(table, "b", where, names)
    if a == b:
        raise ScenarioError(f"{where}.b", f"a link needs two different nodes, both ends are {a!r}")
    reorder_ms = table.get("reorder_ms")
    return LinkSpec(
        a=a,
        b=b,
        delay_ms=_number(table, "delay_ms", where, required=True, minimum=0.0),
        bandwidth_bps=_number(table, "bandwidth_bps", where, required=True, minimum=0.0, exclusive=True),
        loss=_probability(table, "loss", where),
        duplicate=_probability(table, "duplicate", where),
        reorder=_probability(table, "reorder", where),
        reorder_ms=None if reorder_ms is None else _number(table, "reorder_ms", where, minimum=0.0),
        corrupt=_probability(table, "corrupt", where),
        integrity_key=_secret(table, where),
    )


def _lsp(table: dict[str, Any], where: str, names: set[str]) -> LspSpec:
    keys = {"name", "head", "tail", "bandwidth_bps", "ero", "setup_priority", "hold_priority"}
    _known_keys(table, keys, where)
    name = _name(table, where)
    head = _node_ref(table, "head", where, names)
    tail = _node_ref(table, "tail", where, names)
    if head == tail:
        raise ScenarioError(f"{where}.tail", f"the tail is the head ({head!r})")
    ero_raw = table.get("ero", [])
    if not isinstance(ero_raw, list):
        raise ScenarioError(f"{where}.ero", "must be a list of node names or addresses")
    ero = tuple(_ero_hop(item, f"{where}.ero[{i}]", names) for i, item in enumerate(ero_raw))
    return LspSpec(
        name=name,
        head=head,
        tail=tail,
        bandwidth_bps=_number(table, "bandwidth_bps", where, required=True, minimum=0.0),
        ero=ero,
        setup_priority=_integer(table, "setup_priority", where, default=7, minimum=0, maximum=7),
        hold_priority=_integer(table, "hold_priority", where, default=0, minimum=0, maximum=7),
    )


def _ero_hop(item: Any, where: str, names: set[str]) -> EroSpec:
    if not isinstance(item, str) or not item:
        raise ScenarioError(where, f"must be a node name or an address, not {item!r}")
    loose = item.startswith(LOOSE_PREFIX)
    target = item[len(LOOSE_PREFIX) :] if loose else item
    if target not in names:
        try:
            IPv4Network(target, strict=True)
        except ValueError:
            raise ScenarioError(where, f"{target!r} is neither a node name nor an IPv4 address or prefix") from None
    return EroSpec(target, loose)


def _event(table: dict[str, Any], where: str, scenario: Scenario) -> EventSpec:
    _known_keys(table, {"at_s", "action", "target"}, where)
    at_s = _number(table, "at_s", where, required=True, minimum=0.0)
    if at_s > scenario.duration_s:
        raise ScenarioError(f"{where}.at_s", f"{at_s} is after the end of the run (duration_s = {scenario.duration_s})")
    action = _string(table, "action", where, required=True)
    if action not in ACTIONS:
        raise ScenarioError(f"{where}.action", f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    target = _string(table, "target", where, required=True)
    if action in LINK_ACTIONS and not scenario.links_named(target):
        raise ScenarioError(f"{where}.target", f"no link {target!r} (write a link as 'a-b' with two node names)")
    if action in NODE_ACTIONS and target not in {n.name for n in scenario.nodes}:
        raise ScenarioError(f"{where}.target", f"unknown node {target!r}")
    if action in LSP_ACTIONS and target not in {l.name for l in scenario.lsps}:
        raise ScenarioError(f"{where}.target", f"unknown lsp {target!r} (an add-lsp target is declared as [[lsp]])")
    return EventSpec(at_s, action, target)


def _check_addresses(scenario: Scenario) -> None:
    from .topology import link_addresses  # the address plan lives with the topology

    plan: dict[IPv4Address, str] = {}
    for i, link in enumerate(scenario.links):
        for address in link_addresses(i):
            plan[address] = f"link[{i}]"
    for i, node in enumerate(scenario.nodes):
        if node.router_id in plan:
            raise ScenarioError(f"node[{i}].router_id", f"{node.router_id} is the address of {plan[node.router_id]}")


# --- field helpers -------------------------------------------------------------------------

_MISSING = object()


def _key(where: str | None, key: str) -> str:
    return f"{where}.{key}" if where else key


def _known_keys(table: dict[str, Any], allowed: set[str], where: str | None) -> None:
    for key in table:
        if key not in allowed:
            raise ScenarioError(_key(where, key), f"unknown key; allowed here: {', '.join(sorted(allowed))}")


def _tables(data: dict[str, Any], key: str, required: bool = False) -> list[dict[str, Any]]:
    value = data.get(key, _MISSING)
    if value is _MISSING:
        if required:
            raise ScenarioError(key, f"missing: the file needs at least one [[{key}]] table")
        return []
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ScenarioError(key, f"must be an array of tables, written [[{key}]]")
    return value


def _get(table: dict[str, Any], key: str, where: str | None, required: bool, default: Any) -> Any:
    if key in table:
        return table[key]
    if required:
        raise ScenarioError(_key(where, key), "missing")
    return default


def _number(
    table: dict[str, Any], key: str, where: str | None, *, required: bool = False, default: float = 0.0,
    minimum: float | None = None, exclusive: bool = False,
) -> float:
    value = _get(table, key, where, required, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScenarioError(_key(where, key), f"must be a finite number, not {value!r}")
    if minimum is not None and (value < minimum or (exclusive and value == minimum)):
        raise ScenarioError(_key(where, key), f"must be {'>' if exclusive else '>='} {minimum:g}, not {value!r}")
    return float(value)


def _integer(
    table: dict[str, Any], key: str, where: str | None, *, default: int, minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    value = _get(table, key, where, False, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(_key(where, key), f"must be an integer, not {value!r}")
    if minimum is not None and value < minimum:
        raise ScenarioError(_key(where, key), f"must be >= {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ScenarioError(_key(where, key), f"must be in [{minimum}, {maximum}], not {value}")
    return value


def _probability(table: dict[str, Any], key: str, where: str) -> float:
    value = _number(table, key, where, minimum=0.0)
    if value > 1.0:
        raise ScenarioError(_key(where, key), f"is a probability, must be in [0, 1], not {value!r}")
    return value


def _string(table: dict[str, Any], key: str, where: str | None, *, required: bool = False, default: str = "") -> str:
    value = _get(table, key, where, required, default)
    if not isinstance(value, str):
        raise ScenarioError(_key(where, key), f"must be a string, not {value!r}")
    return value


def _boolean(table: dict[str, Any], key: str, where: str | None, *, default: bool) -> bool:
    value = _get(table, key, where, False, default)
    if not isinstance(value, bool):
        raise ScenarioError(_key(where, key), f"must be true or false, not {value!r}")
    return value


def _secret(table: dict[str, Any], where: str | None) -> str | None:
    """An optional ``integrity_key``: a non-empty string."""
    if "integrity_key" not in table:
        return None
    value = _string(table, "integrity_key", where)
    if not value:
        raise ScenarioError(_key(where, "integrity_key"), "must be a non-empty secret")
    return value


def _name(table: dict[str, Any], where: str) -> str:
    name = _string(table, "name", where, required=True)
    if not name or not all(ch.isalnum() or ch in "_-." for ch in name):
        raise ScenarioError(f"{where}.name", f"{name!r}: use letters, digits, '_', '-' and '.'")
    return name


def _node_ref(table: dict[str, Any], key: str, where: str, names: set[str]) -> str:
    name = _string(table, key, where, required=True)
    if name not in names:
        raise ScenarioError(f"{where}.{key}", f"unknown node {name!r}")
    return name


def _address(table: dict[str, Any], key: str, where: str) -> IPv4Address:
    text = _string(table, key, where, required=True)
    try:
        return IPv4Address(text)
    except ValueError:
        raise ScenarioError(f"{where}.{key}", f"{text!r} is not an IPv4 address") from None


def _unique(values: list[Any], table: str, key: str) -> None:
    seen: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            raise ScenarioError(f"{table}[{i}].{key}", f"{value} repeats {table}[{seen[value]}].{key}")
        seen[value] = i
