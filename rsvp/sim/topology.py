"""The simulated network's addressing, node configs, ERO resolution and shortest-path routes.

Address plan: link ``i`` (0-based, file order) is the /30 ``10.<n // 256>.<n % 256>.0``
with ``n = i + 1``; its ``a`` end is ``.1`` and its ``b`` end ``.2``.  The
interface towards peer ``p`` is ``to-p`` (``to-p.2``, ``to-p.3`` ... for parallel
links).  Router ids are loopbacks: every node gets a /32 route to every other
node's router id and interface addresses, next hop the neighbour's address on
the first link of a shortest path (hop count; ties go to the lower link index,
then the lower node in file order).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from ipaddress import IPv4Address, IPv4Network

from rsvp.engine.config import EroHop, Interface, NodeConfig, Tunnel
from rsvp.engine.integrity import Key
from rsvp.engine.routing import Route, StaticRoutes

from .scenario import LspSpec, Scenario, ScenarioError


def link_addresses(index: int) -> tuple[IPv4Address, IPv4Address]:
    """The (a end, b end) addresses of link ``index``."""
    n = index + 1
    base = IPv4Address(f"10.{n >> 8}.{n & 0xFF}.0")
    return base + 1, base + 2


@dataclasses.dataclass(frozen=True, slots=True)
class Port:
    """One end of a link as seen from its node: the local interface and the peer's."""

    link: int
    interface: str
    address: IPv4Address
    peer: str
    peer_interface: str
    peer_address: IPv4Address


def integrity_key(secret: str) -> Key:
    """A scenario's ``integrity_key``: key id 1, HMAC-SHA-256 (RFC 2747 section 2.1 allows any keyed digest)."""
    return Key(1, secret.encode(), "hmac-sha256")


class Topology:
    """Static facts derived from a scenario: ports per node, address owners, node configs."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.order = {n.name: i for i, n in enumerate(scenario.nodes)}
        self.ports: dict[str, list[Port]] = {n.name: [] for n in scenario.nodes}
        names: dict[int, tuple[str, str]] = {}
        used: dict[str, set[str]] = {n.name: set() for n in scenario.nodes}
        for i, link in enumerate(scenario.links):
            names[i] = (_interface_name(used[link.a], link.b), _interface_name(used[link.b], link.a))
        for i, link in enumerate(scenario.links):
            addr_a, addr_b = link_addresses(i)
            if_a, if_b = names[i]
            self.ports[link.a].append(Port(i, if_a, addr_a, link.b, if_b, addr_b))
            self.ports[link.b].append(Port(i, if_b, addr_b, link.a, if_a, addr_a))
        self.owner: dict[IPv4Address, str] = {n.router_id: n.name for n in scenario.nodes}
        for node, ports in self.ports.items():
            for port in ports:
                self.owner[port.address] = node

    def port(self, node: str, interface: str) -> Port | None:
        for port in self.ports[node]:
            if port.interface == interface:
                return port
        return None

    def node_config(self, name: str) -> NodeConfig:
        spec = self.scenario.node(name)
        interfaces = tuple(
            Interface(p.interface, p.address, self.scenario.links[p.link].bandwidth_bps, 30) for p in self.ports[name]
        )
        scenario = self.scenario
        secrets = ((p.interface, scenario.secret(name, p.link)) for p in self.ports[name])
        return NodeConfig(
            router_id=spec.router_id,
            interfaces=interfaces,
            refresh_s=scenario.refresh_s,
            keep_multiplier=scenario.keep_multiplier,
            refresh_reduction=scenario.refresh_reduction,
            hello=scenario.hello,
            hello_interval_s=scenario.hello_interval_s,
            hello_misses=scenario.hello_misses,
            integrity_by_interface=tuple((interface, (integrity_key(secret),)) for interface, secret in secrets
                                         if secret is not None),
        )

    def tunnel(self, lsp: LspSpec) -> Tunnel:
        """The ingress tunnel for ``lsp``: tunnel ids count 1, 2, ... per head in file order."""
        same_head = [l.name for l in self.scenario.lsps if l.head == lsp.head]
        return Tunnel(
            name=lsp.name,
            destination=self.scenario.node(lsp.tail).router_id,
            bandwidth_bps=lsp.bandwidth_bps,
            tunnel_id=same_head.index(lsp.name) + 1,
            ero=self.ero(lsp),
            setup_priority=lsp.setup_priority,
            hold_priority=lsp.hold_priority,
        )

    def ero(self, lsp: LspSpec) -> tuple[EroHop, ...]:
        """Resolve node names: strict -> the node's address on the link from the previous hop; loose -> router id."""
        where = f"lsp {lsp.name!r} ero"
        hops: list[EroHop] = []
        previous: str | None = lsp.head
        for i, entry in enumerate(lsp.ero):
            if entry.target in self.order:
                node = entry.target
                if entry.loose or node == previous:
                    address = self.scenario.node(node).router_id
                elif previous is None:
                    raise ScenarioError(
                        f"{where}[{i}]", f"strict hop {node!r} follows an address no node owns; give an address"
                    )
                else:
                    port = next((p for p in self.ports[previous] if p.peer == node), None)
                    if port is None:
                        raise ScenarioError(f"{where}[{i}]", f"strict hop {node!r} has no link from {previous!r}")
                    address = port.peer_address
                hops.append(EroHop(address, 32, entry.loose))
                previous = node
            else:
                network = IPv4Network(entry.target)
                hops.append(EroHop(network.network_address, network.prefixlen, entry.loose))
                previous = self.owner.get(network.network_address) if network.prefixlen == 32 else None
        return tuple(hops)

    def check(self) -> None:
        """Resolve every LSP's ERO now, so a bad one is an error before the run starts."""
        for lsp in self.scenario.lsps:
            self.ero(lsp)


def _interface_name(used: set[str], peer: str) -> str:
    name, n = f"to-{peer}", 1
    while name in used:
        n += 1
        name = f"to-{peer}.{n}"
    used.add(name)
    return name


def first_hops(topology: Topology, source: str, up_links: set[int], alive: set[str]) -> dict[str, Port]:
    """Breadth-first search from ``source``: for each reachable node, the port of the first hop towards it.

    Only links in ``up_links`` and nodes in ``alive`` carry traffic (the source
    itself need not be alive).  Ports are tried in link order, so ties resolve
    deterministically.
    """
    found: dict[str, Port] = {}
    queue: deque[tuple[str, Port | None]] = deque([(source, None)])
    seen = {source}
    while queue:
        node, first = queue.popleft()
        for port in topology.ports[node]:
            if port.link not in up_links or port.peer in seen or port.peer not in alive:
                continue
            seen.add(port.peer)
            hop = first or port
            found[port.peer] = hop
            queue.append((port.peer, hop))
    return found


def routing_table(topology: Topology, source: str, up_links: set[int], alive: set[str]) -> StaticRoutes:
    """``source``'s table: host routes to every reachable node's router id and interface addresses."""
    config_interfaces = topology.node_config(source).interfaces
    routes: dict[IPv4Network, Route] = {}
    for node, port in first_hops(topology, source, up_links, alive).items():
        hop = Route(port.interface, port.peer_address)
        routes[IPv4Network(topology.scenario.node(node).router_id)] = hop
        for far in topology.ports[node]:
            routes.setdefault(IPv4Network(far.address), hop)
    table = StaticRoutes(config_interfaces, routes)
    for port in topology.ports[source]:
        if port.link not in up_links:
            table.set_link(port.interface, False)
    return table


class SwappableRoutes:
    """A :class:`~rsvp.engine.routing.Routes` whose table the simulator replaces when the topology changes.

    Answers are memoised per table (a table is never changed once installed here).
    """

    def __init__(self, table: StaticRoutes) -> None:
        self.version = 0
        self.table = table

    @property
    def table(self) -> StaticRoutes:
        return self._table

    @table.setter
    def table(self, table: StaticRoutes) -> None:
        self._table = table
        self.version += 1
        self._routes: dict[IPv4Address, Route | None] = {}
        self._adjacent: dict[IPv4Address, Route | None] = {}

    def route(self, destination: IPv4Address) -> Route | None:
        try:
            return self._routes[destination]
        except KeyError:
            found = self._routes[destination] = self._table.route(destination)
            return found

    def adjacent(self, address: IPv4Address) -> Route | None:
        try:
            return self._adjacent[address]
        except KeyError:
            found = self._adjacent[address] = self._table.adjacent(address)
            return found
