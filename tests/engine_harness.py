"""A minimal in-process network of engines for the engine's unit tests (the full simulator is rsvp.sim).

Nodes in a line ``n0 - n1 - ... - n{k-1}``; link i joins n_i (10.0.i.1) and
n_{i+1} (10.0.i.2).  Messages cross as encoded bytes, delivered in order after
``delay`` seconds; InstallLabel is answered at once, with a failure (22/7) where ``fail_installs`` holds
its handle or its (node index, handle).
Keyword ``options`` go to every node's :class:`~rsvp.engine.NodeConfig` (``refresh_reduction=False``
for tests about standard refresh).
"""

from __future__ import annotations

import heapq
import itertools
import random
from ipaddress import IPv4Address, IPv4Network

from rsvp.engine import (
    InstallLabel, Interface, LabelInstalled, LabelInstallFailed, LinkDown, Node, NodeConfig, PacketReceived,
    RemoveLabel, Route, Send, StaticRoutes,
)


class _Network:
    """Time, the in-flight queue and the run loop shared by :class:`Line` and :class:`Tree`.

    Queue items are (node, event) for install answers, or (peer, interface,
    source, bytes, link) for messages, dropped when the link is down on arrival.
    """

    def __init__(self, delay: float) -> None:
        self.now = 0.0
        self.delay = delay
        self.queue: list = []
        self.order = itertools.count()
        self.down: set[int] = set()
        self.last_loss = float("-inf")  # when a message was last lost on a down link
        self.nodes: list[Node] = []

    def handle(self, index: int, event) -> None:
        self._perform(index, self.nodes[index].handle(event, self.now))

    def _push(self, when: float, item) -> None:
        heapq.heappush(self.queue, (when, next(self.order), item))

    def run(self, until: float) -> None:
        """Deliver messages and fire timers in time order up to ``until``."""
        while True:
            deadlines = [(d, i) for i, n in enumerate(self.nodes) if (d := n.next_deadline()) is not None]
            timer = min(deadlines) if deadlines else (float("inf"), -1)
            message_at = self.queue[0][0] if self.queue else float("inf")
            when = min(timer[0], message_at)
            if when > until:
                self.now = until
                return
            self.now = when
            if message_at <= timer[0]:
                _, _, item = heapq.heappop(self.queue)
                if len(item) == 2:
                    self.handle(*item)
                    continue
                peer, interface, source, raw, link = item
                if link in self.down:  # the link failed while the message was on it
                    self.last_loss = self.now
                else:
                    self.handle(peer, PacketReceived(raw, interface, source))
            else:
                self._perform(timer[1], self.nodes[timer[1]].on_timer(self.now))


class Line(_Network):
    def __init__(self, size: int, bandwidth_bps: float = 1e9, delay: float = 0.001, seed: int = 1,
                 refresh_s: float = 30.0, **options) -> None:
        super().__init__(delay)
        self.installed: dict[int, dict[int, InstallLabel]] = {}
        self.fail_installs: set[int | tuple[int, int]] = set()
        self.routes: list[StaticRoutes] = []
        for index in range(size):
            interfaces = []
            if index > 0:
                interfaces.append(Interface("up", IPv4Address(f"10.0.{index - 1}.2"), bandwidth_bps))
            if index < size - 1:
                interfaces.append(Interface("down", IPv4Address(f"10.0.{index}.1"), bandwidth_bps))
            table = {}
            for other in range(size):
                if other == index:
                    continue
                side = "down" if other > index else "up"
                hop = IPv4Address(f"10.0.{index}.2") if other > index else IPv4Address(f"10.0.{index - 1}.1")
                table[IPv4Network(f"192.168.0.{other}/32")] = Route(side, hop)
                for link in range(size - 1):
                    if (link >= index) == (other > index) and link != index and link != index - 1:
                        table[IPv4Network(f"10.0.{link}.0/30")] = Route(side, hop)
            routes = StaticRoutes(tuple(interfaces), table)
            config = NodeConfig(IPv4Address(f"192.168.0.{index}"), tuple(interfaces), refresh_s=refresh_s, **options)
            self.nodes.append(Node(config, routes, random.Random(seed * 100 + index)))
            self.routes.append(routes)
            self.installed[index] = {}

    def address(self, index: int) -> IPv4Address:
        return self.nodes[index].config.router_id

    def _perform(self, index: int, actions) -> None:
        for action in actions:
            if isinstance(action, Send):
                link = index if action.interface == "down" else index - 1
                if link in self.down:
                    self.last_loss = self.now
                    continue
                peer = index + 1 if action.interface == "down" else index - 1
                interface = "up" if action.interface == "down" else "down"
                source = self.nodes[index].config.interface(action.interface).address
                self._push(self.now + self.delay, (peer, interface, source, action.data, link))
            elif isinstance(action, InstallLabel):
                if action.handle in self.fail_installs or (index, action.handle) in self.fail_installs:
                    self._push(self.now, (index, LabelInstallFailed(action.handle, "planted failure", 22, 7)))
                else:
                    self.installed[index][action.handle] = action
                    self._push(self.now, (index, LabelInstalled(action.handle)))
            elif isinstance(action, RemoveLabel):
                self.installed[index].pop(action.handle, None)

    def restart(self, index: int) -> None:
        """Node ``index`` restarts: a fresh engine (new Hello instance and RFC 2961 epoch), no state, no
        forwarding entries; counted as a loss for the invariants that wait for quiet."""
        old = self.nodes[index]
        self.nodes[index] = Node(old.config, old.routes, random.Random(old.rng.getrandbits(64)))
        self.installed[index] = {}
        self.last_loss = self.now

    def link_down(self, link: int) -> None:
        self.down.add(link)
        self.handle(link, LinkDown("down"))
        self.handle(link + 1, LinkDown("up"))

    def lsps(self, index: int) -> list[dict]:
        return self.nodes[index].snapshot()["lsps"]


class TreeRoutes(StaticRoutes):
    """Static unicast routes plus multicast routes for a loop-free topology: a group's traffic leaves
    towards every member, except back where it came from (what ``multicast_routes`` answers)."""

    def __init__(self, interfaces, table, members: dict, router_ids: dict, index: int) -> None:
        super().__init__(interfaces, table)
        self.members, self.router_ids, self.index = members, router_ids, index

    def multicast_routes(self, source, group, in_interface):
        found = {}
        for member in self.members.get(group, ()):
            if member == self.index:
                continue
            route = self.route(self.router_ids[member])
            if route is not None and route.interface != in_interface:
                found[route.interface] = route
        return tuple(found.values())


class Tree(_Network):
    """Nodes joined by point-to-point links ``edges`` (pairs of node indices, no loops), for Int-serv
    tests with several senders and receivers: link k = (a, b) gives a 10.1.k.1 on interface "to<b>"
    and b 10.1.k.2 on "to<a>"; node i is 192.168.0.i.  ``groups`` maps a multicast group address to
    the indices of its member nodes.  Same delivery and timer rules as :class:`Line`."""

    def __init__(self, edges, bandwidth_bps: float = 1e9, delay: float = 0.001, seed: int = 1,
                 refresh_s: float = 30.0, **options) -> None:
        super().__init__(delay)
        self.edges = list(edges)
        self.misaddressed = 0
        self.groups: dict[IPv4Address, set[int]] = {}
        size = 1 + max(max(e) for e in self.edges)
        self.router_ids = {i: IPv4Address(f"192.168.0.{i}") for i in range(size)}
        self.links: dict[tuple[int, int], int] = {}
        interfaces: dict[int, list[Interface]] = {i: [] for i in range(size)}
        neighbours: dict[int, list[int]] = {i: [] for i in range(size)}
        for k, (a, b) in enumerate(self.edges):
            self.links[(a, b)] = self.links[(b, a)] = k
            interfaces[a].append(Interface(f"to{b}", IPv4Address(f"10.1.{k}.1"), bandwidth_bps))
            interfaces[b].append(Interface(f"to{a}", IPv4Address(f"10.1.{k}.2"), bandwidth_bps))
            neighbours[a].append(b)
            neighbours[b].append(a)
        self.routes: list[TreeRoutes] = []
        for index in range(size):
            first_hop = {index: None}
            frontier = [index]
            while frontier:  # breadth first: the first hop towards every other node
                nxt = []
                for here in frontier:
                    for there in neighbours[here]:
                        if there not in first_hop:
                            first_hop[there] = there if here == index else first_hop[here]
                            nxt.append(there)
                frontier = nxt
            table = {}
            for other, hop in first_hop.items():
                if hop is None:
                    continue
                route = Route(f"to{hop}", self.peer_address(index, hop))
                table[IPv4Network(f"{self.router_ids[other]}/32")] = route
                for k, (a, b) in enumerate(self.edges):
                    if other in (a, b) and index not in (a, b):
                        table.setdefault(IPv4Network(f"10.1.{k}.0/30"), route)
            routes = TreeRoutes(tuple(interfaces[index]), table, self.groups, self.router_ids, index)
            config = NodeConfig(self.router_ids[index], tuple(interfaces[index]), refresh_s=refresh_s, **options)
            self.nodes.append(Node(config, routes, random.Random(seed * 100 + index)))
            self.routes.append(routes)

    def peer_address(self, index: int, peer: int) -> IPv4Address:
        """The address of ``peer`` on its link with ``index``."""
        k = self.links[(index, peer)]
        return IPv4Address(f"10.1.{k}.{2 if self.edges[k][1] == peer else 1}")

    def address(self, index: int) -> IPv4Address:
        return self.router_ids[index]

    def _perform(self, index: int, actions) -> None:
        for action in actions:
            if not isinstance(action, Send):
                continue
            peer = int(action.interface.removeprefix("to"))
            link = self.links[(index, peer)]
            if action.destination != self.peer_address(index, peer):
                self.misaddressed += 1
            if link in self.down:
                continue
            source = self.nodes[index].config.interface(action.interface).address
            self._push(self.now + self.delay, (peer, f"to{index}", source, action.data, link))

    def sessions(self, index: int) -> list[dict]:
        return self.nodes[index].snapshot()["sessions"]

    def reserved(self, index: int, peer: int) -> float:
        """Bandwidth admitted on ``index``'s interface towards ``peer``."""
        return self.nodes[index].admission.reserved_bps(f"to{peer}")
