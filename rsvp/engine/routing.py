"""The routing-table interface the engine resolves next hops through (RFC 3209 section 4.3.4)."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv4Network
from typing import Protocol

from .config import Interface


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    interface: str
    next_hop: IPv4Address


class Routes(Protocol):
    """What the engine needs from a routing table.

    ``version`` must change whenever an answer may have changed; the engine
    then re-resolves next hops on the next refresh instead of trusting what it
    resolved before.
    """

    version: int

    def route(self, destination: IPv4Address) -> Route | None:
        """Longest-prefix match towards ``destination``; None if unreachable."""

    def adjacent(self, address: IPv4Address) -> Route | None:
        """The interface on which ``address`` is directly reachable (a strict ERO hop), or None."""


class StaticRoutes:
    """A static table: connected subnets of the interfaces plus configured prefixes."""

    def __init__(self, interfaces: tuple[Interface, ...], routes: dict[IPv4Network, Route] | None = None) -> None:
        self._connected = [(i.network, i.name) for i in interfaces]
        self._routes = sorted((routes or {}).items(), key=lambda item: -item[0].prefixlen)
        self._up = {i.name for i in interfaces}
        self.version = 0

    def set_link(self, interface: str, up: bool) -> None:
        (self._up.add if up else self._up.discard)(interface)
        self.version += 1

    def adjacent(self, address: IPv4Address) -> Route | None:
        for network, name in self._connected:
            if address in network and name in self._up:
                return Route(name, address)
        return None

    def route(self, destination: IPv4Address) -> Route | None:
        direct = self.adjacent(destination)
        if direct is not None:
            return direct
        for network, route in self._routes:
            if destination in network and route.interface in self._up:
                return route
        return None
