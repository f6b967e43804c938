"""The kernel's IPv4 main routing table as the engine's ``Routes`` (RFC 3209 section 4.3.4 next hops).

:func:`read_kernel` takes a snapshot with pyroute2 (links, addresses, routes);
:class:`KernelRoutes` answers the engine from the latest snapshot and bumps
``version`` whenever a new snapshot differs, so the engine re-resolves next
hops on its next refresh.  Only RSVP interfaces (those in the configuration)
that are up are ever returned: a route through another interface is, for RSVP,
no route.  The runner re-reads the kernel when rtnetlink announces a change
(and every 30 s regardless) and turns an RSVP interface going down or up into
``LinkDown``/``LinkUp``.
"""

from __future__ import annotations

import dataclasses
import socket
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from pyroute2 import IPRoute

from rsvp.engine.routing import Route

MAIN_TABLE = 254
RTN_UNICAST = 1
IFF_UP = 0x1


@dataclasses.dataclass(frozen=True, slots=True)
class KernelRoute:
    destination: IPv4Network
    interface: str
    gateway: IPv4Address | None  # None: directly connected


@dataclasses.dataclass(frozen=True, slots=True)
class KernelState:
    """What the kernel said: interface name -> (ifindex, up), first IPv4 address per interface, unicast routes."""

    links: dict[str, tuple[int, bool]]
    addresses: dict[str, IPv4Interface]
    routes: tuple[KernelRoute, ...]


def read_kernel(ipr: IPRoute) -> KernelState:
    """One snapshot of links, IPv4 addresses and the main table's unicast routes (single-path ones)."""
    names, links = {}, {}
    for link in ipr.get_links():
        name = link.get("ifname")
        names[link["index"]] = name
        links[name] = (link["index"], bool(link["flags"] & IFF_UP) and link.get("operstate") in ("UP", "UNKNOWN"))
    addresses: dict[str, IPv4Interface] = {}
    for entry in ipr.get_addr(family=socket.AF_INET):
        name = names.get(entry["index"])
        if name is not None and name not in addresses:
            addresses[name] = IPv4Interface(f"{entry.get('address')}/{entry['prefixlen']}")
    routes = []
    for entry in ipr.get_routes(family=socket.AF_INET, table=MAIN_TABLE):
        name = names.get(entry.get("oif"))
        if entry["type"] != RTN_UNICAST or name is None:
            continue
        gateway = entry.get("gateway")
        routes.append(KernelRoute(IPv4Network(f"{entry.get('dst') or '0.0.0.0'}/{entry['dst_len']}"), name,
                                  IPv4Address(gateway) if gateway else None))
    return KernelState(links, addresses, tuple(routes))


class KernelRoutes:
    """``Routes`` over a :class:`KernelState`, restricted to the RSVP interfaces ``rsvp_interfaces``."""

    def __init__(self, rsvp_interfaces: frozenset[str], state: KernelState) -> None:
        self.rsvp_interfaces = rsvp_interfaces
        self.version = 0
        self.state = state
        self._install(state)

    def update(self, state: KernelState) -> bool:
        """Take a new snapshot; True (and a new ``version``) if it differs from the last."""
        if state == self.state:
            return False
        self.state = state
        self.version += 1
        self._install(state)
        return True

    def up(self, interface: str) -> bool:
        link = self.state.links.get(interface)
        return link is not None and link[1]

    def _install(self, state: KernelState) -> None:
        usable = [r for r in state.routes if r.interface in self.rsvp_interfaces and self.up(r.interface)]
        self._routes = sorted(usable, key=lambda r: -r.destination.prefixlen)
        self._connected = [(a.network, name) for name, a in state.addresses.items()
                           if name in self.rsvp_interfaces and self.up(name)]
        self._memo: dict[IPv4Address, Route | None] = {}

    def adjacent(self, address: IPv4Address) -> Route | None:
        for network, name in self._connected:
            if address in network:
                return Route(name, address)
        for route in self._routes:
            if route.gateway is None and address in route.destination:
                return Route(route.interface, address)
        return None

    def route(self, destination: IPv4Address) -> Route | None:
        try:
            return self._memo[destination]
        except KeyError:
            pass
        found = None
        for route in self._routes:
            if destination in route.destination:
                found = Route(route.interface, route.gateway or destination)
                break
        self._memo[destination] = found
        return found
