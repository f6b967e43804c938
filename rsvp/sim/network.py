"""A deterministic discrete-event network of RSVP engines over real encoded bytes.

Theory of operation: everything that will happen is an entry in one
:class:`~rsvp.sim.agenda.Agenda`, ordered by simulated time then by when it
was scheduled.  Popping an entry advances ``now`` and runs it:

* ``deliver``: bytes reach the far end of a link; they are decoded there (a
  failure is counted, never raised) and handed to the node as
  ``PacketReceived`` (the node decodes them again, unless it recognises a
  refresh by its bytes).  Bytes on a link that went down meanwhile, or for a node
  that is not running, are dropped and counted.
* ``timer``: a node's ``next_deadline()`` has come; ``on_timer(now)`` runs.
  Each node has at most one live timer entry (``timer_at``); stale entries
  (the deadline moved, or the node was killed) are skipped.
* ``label``: the answer to an ``InstallLabel``, after ``label_delay_s``.
* ``scenario``: a ``[[event]]`` from the file (link down/up, kill, restart,
  delete/add LSP).

Every engine call returns actions, which are performed at once (Send ->
encode and put on the link; InstallLabel -> schedule the answer; RemoveLabel
-> drop the forwarding entry), and then the node's timer is re-armed.  Time is
simulated only and every random choice comes from generators seeded from the
scenario's seed, so a file and a seed always give the same run.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from rsvp.engine.actions import InstallLabel, RemoveLabel, Send
from rsvp.engine.config import NodeConfig
from rsvp.engine.events import (
    LabelInstalled,
    LabelInstallFailed,
    LinkDown,
    LinkUp,
    PacketReceived,
    TunnelAdded,
    TunnelRemoved,
)
from rsvp.engine.routing import Routes
from rsvp.wire import MalformedMessage, MsgType, decode
from rsvp.wire.message import type_name

from .agenda import Agenda
from .links import LinkState, transmit
from .scenario import EventSpec, Scenario
from .topology import SwappableRoutes, Topology, routing_table


class Engine(Protocol):
    """What the simulator needs from a node (``rsvp.engine.Node`` or a test stand-in)."""

    def handle(self, event: Any, now: float) -> list[Any]: ...
    def on_timer(self, now: float) -> list[Any]: ...
    def next_deadline(self) -> float | None: ...
    def snapshot(self) -> dict[str, Any]: ...


NodeFactory = Callable[[NodeConfig, Routes, random.Random], Engine]
InstallFailure = Callable[[str, float, InstallLabel], "str | None"]
"""(node name, now, action) -> a failure reason, or None to install."""


MAX_TIMER_SPINS = 10_000


class SimulationError(RuntimeError):
    """An engine raised: a programming error, reported with the node and the simulated time."""


@dataclasses.dataclass(frozen=True, slots=True)
class SimOptions:
    label_delay_s: float = 0.001
    label_install_fails: InstallFailure | None = None


@dataclasses.dataclass(slots=True)
class SimNode:
    """A node slot: the running engine (None while killed) and what the simulator keeps about it."""

    name: str
    config: NodeConfig
    routes: SwappableRoutes
    seed: int
    engine: Engine | None = None
    epoch: int = 0
    restarts: int = 0
    timer_spins: int = 0  # on_timer calls in a row at one instant, to catch a deadline that never moves
    timer_spun_at: float = -1.0
    timer_at: float | None = None
    forwarding: dict[int, InstallLabel] = dataclasses.field(default_factory=dict)
    pending_labels: set[int] = dataclasses.field(default_factory=set)
    sent: Counter[str] = dataclasses.field(default_factory=Counter)
    received: Counter[str] = dataclasses.field(default_factory=Counter)
    counters: Counter[str] = dataclasses.field(default_factory=Counter)

    @property
    def alive(self) -> bool:
        return self.engine is not None


def default_factory(config: NodeConfig, routes: Routes, rng: random.Random) -> Engine:
    from rsvp.engine import Node  # late, so the simulator loads without the engine

    return Node(config, routes, rng)


class Simulation:
    """Run a :class:`~rsvp.sim.scenario.Scenario`; see the module docstring."""

    def __init__(
        self, scenario: Scenario, node_factory: NodeFactory | None = None, options: SimOptions | None = None
    ) -> None:
        self.scenario = scenario
        self.topology = Topology(scenario)
        self.topology.check()
        self.factory = node_factory or default_factory
        self.options = options or SimOptions()
        self.rng = random.Random(scenario.seed)
        self.agenda = Agenda()
        self.now = 0.0
        self.counters: Counter[str] = Counter()
        self.links = [LinkState(spec, random.Random(self.rng.getrandbits(64))) for spec in scenario.links]
        self.nodes: dict[str, SimNode] = {}
        all_links, all_nodes = set(range(len(self.links))), {n.name for n in scenario.nodes}
        for spec in scenario.nodes:
            config = self.topology.node_config(spec.name)
            routes = SwappableRoutes(routing_table(self.topology, spec.name, all_links, all_nodes))
            self.nodes[spec.name] = SimNode(spec.name, config, routes, self.rng.getrandbits(64))
        self.active_lsps = {l.name for l in scenario.lsps if scenario.starts_active(l.name)}
        self.deleted_lsps: set[str] = set()
        for event in scenario.events:
            self.agenda.push(event.at_s, "scenario", event)
        for node in self.nodes.values():
            node.engine = self._new_engine(node)
        for node in self.nodes.values():
            self._arm_timer(node)
        for lsp in scenario.lsps:
            if lsp.name in self.active_lsps:
                self._call(self.nodes[lsp.head], TunnelAdded(self.topology.tunnel(lsp)))

    # --- running ----------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.now >= self.scenario.duration_s

    def run(self, until: float | None = None, max_events: int | None = None) -> bool:
        """Process entries up to simulated time ``until`` (default: the scenario's end).

        Returns True when ``until`` is reached; False if it stopped early after
        ``max_events`` entries (call again to go on).
        """
        end = self.scenario.duration_s if until is None else until
        done = 0
        while True:
            at = self.agenda.next_time()
            if at is None or at > end:
                self.now = max(self.now, end)
                return True
            if max_events is not None and done >= max_events:
                return False
            self.now, _, kind, payload = self.agenda.pop()
            self.counters["events"] += 1
            done += 1
            getattr(self, f"_on_{kind}")(payload)

    def inject(self, at_s: float, action: str, target: str) -> None:
        """Schedule a scenario-style event (``link-down`` ...) from a test or a driver."""
        self.agenda.push(max(at_s, self.now), "scenario", EventSpec(at_s, action, target))

    # --- agenda handlers ------------------------------------------------------------------

    def _on_deliver(self, payload: tuple[int, int, str, str, Any, bytes]) -> None:
        index, generation, receiver, interface, source, data = payload
        link, node = self.links[index], self.nodes[receiver]
        if not link.up or link.generation != generation:
            link.counters["dropped_link_down"] += 1
            return
        if not node.alive:
            link.counters["dropped_node_down"] += 1
            return
        try:
            message = decode(data)
        except MalformedMessage:
            node.counters["decode_failures"] += 1
            self.counters["decode_failures"] += 1
            return
        link.counters["delivered"] += 1
        for part in message.walk():
            node.received[part.name] += 1
        self._call(node, PacketReceived(data, interface, source, ip_ttl=message.send_ttl))

    def _on_timer(self, payload: tuple[str, int]) -> None:
        name, epoch = payload
        node = self.nodes[name]
        if node.epoch != epoch or node.timer_at != self.now or node.engine is None:
            return  # stale: superseded by an earlier deadline, or the node was killed
        node.timer_at = None
        deadline = node.engine.next_deadline()
        if deadline is not None and deadline <= self.now:
            node.timer_spins = node.timer_spins + 1 if node.timer_spun_at == self.now else 1
            node.timer_spun_at = self.now
            if node.timer_spins > MAX_TIMER_SPINS:
                raise SimulationError(
                    f"node {node.name}: next_deadline() is still {deadline} after {MAX_TIMER_SPINS} on_timer "
                    f"calls at t={self.now:.6f}s"
                )
            self._call(node, None)
        else:
            self._arm_timer(node)

    def _on_label(self, payload: tuple[str, int, InstallLabel, str | None]) -> None:
        name, epoch, action, failure = payload
        node = self.nodes[name]
        if node.epoch != epoch or not node.alive:
            return
        cancelled = action.handle not in node.pending_labels
        node.pending_labels.discard(action.handle)
        if failure is not None:
            self._call(node, LabelInstallFailed(action.handle, failure))
            return
        if not cancelled:
            node.forwarding[action.handle] = action
        self._call(node, LabelInstalled(action.handle))

    def _on_scenario(self, event: EventSpec) -> None:
        self.counters[f"scenario_{event.action}"] += 1
        if event.action in ("link-down", "link-up"):
            self._set_links(event.target, event.action == "link-up")
        elif event.action == "kill":
            self._kill(self.nodes[event.target])
            self._rebuild_routes()
        elif event.action == "restart":
            self._restart(self.nodes[event.target])
        elif event.action == "delete-lsp":
            self.active_lsps.discard(event.target)
            self.deleted_lsps.add(event.target)
            head = self.nodes[self.scenario.lsp(event.target).head]
            if head.alive:
                self._call(head, TunnelRemoved(event.target))
        elif event.action == "add-lsp":
            self.active_lsps.add(event.target)
            self.deleted_lsps.discard(event.target)
            lsp = self.scenario.lsp(event.target)
            head = self.nodes[lsp.head]
            if head.alive:
                self._call(head, TunnelAdded(self.topology.tunnel(lsp)))
        else:  # pragma: no cover - the scenario loader refuses other actions
            raise ValueError(event.action)

    # --- topology changes -------------------------------------------------------------------

    def _set_links(self, target: str, up: bool) -> None:
        changed = []
        for index in self.scenario.links_named(target):
            link = self.links[index]
            if link.up == up:
                continue
            link.up = up
            if not up:
                link.generation += 1
            changed.append(index)
        if not changed:
            return
        self._rebuild_routes()
        for index in changed:
            spec = self.scenario.links[index]
            for name in (spec.a, spec.b):
                node = self.nodes[name]
                port = next(p for p in self.topology.ports[name] if p.link == index)
                if node.alive:
                    self._call(node, LinkUp(port.interface) if up else LinkDown(port.interface))

    def _kill(self, node: SimNode) -> None:
        node.engine = None
        node.epoch += 1
        node.timer_at = None
        node.forwarding.clear()
        node.pending_labels.clear()

    def _restart(self, node: SimNode) -> None:
        if node.alive:
            self._kill(node)
        node.restarts += 1
        node.engine = self._new_engine(node)
        self._rebuild_routes()
        for port in self.topology.ports[node.name]:
            if not self.links[port.link].up:
                self._call(node, LinkDown(port.interface))
        self._arm_timer(node)
        for lsp in self.scenario.lsps:
            if lsp.head == node.name and lsp.name in self.active_lsps:
                self._call(node, TunnelAdded(self.topology.tunnel(lsp)))

    def _new_engine(self, node: SimNode) -> Engine:
        rng = random.Random(node.seed * 1_000_003 + node.epoch)
        return self.factory(node.config, node.routes, rng)

    def _rebuild_routes(self) -> None:
        up = {i for i, link in enumerate(self.links) if link.up}
        alive = {n.name for n in self.nodes.values() if n.alive}
        for node in self.nodes.values():
            if node.alive:
                node.routes.table = routing_table(self.topology, node.name, up, alive)

    # --- engine calls and their actions ---------------------------------------------------

    def _call(self, node: SimNode, event: Any) -> None:
        """Hand ``event`` (None: the timer) to ``node``'s engine, perform its actions, re-arm its timer."""
        engine = node.engine
        assert engine is not None
        try:
            actions = engine.on_timer(self.now) if event is None else engine.handle(event, self.now)
        except Exception as exc:
            what = "on_timer" if event is None else type(event).__name__
            raise SimulationError(f"node {node.name} raised in {what} at t={self.now:.6f}s: {exc!r}") from exc
        for action in actions:
            if isinstance(action, Send):
                self._send(node, action)
            elif isinstance(action, InstallLabel):
                self._install(node, action)
            elif isinstance(action, RemoveLabel):
                node.pending_labels.discard(action.handle)
                if node.forwarding.pop(action.handle, None) is None:
                    node.counters["remove_unknown_label"] += 1
            else:
                node.counters["unknown_action"] += 1
        self._arm_timer(node)

    def _arm_timer(self, node: SimNode) -> None:
        if node.engine is None:
            return
        deadline = node.engine.next_deadline()
        if deadline is None:
            return
        at = max(deadline, self.now)
        if node.timer_at is None or at < node.timer_at:
            node.timer_at = at
            self.agenda.push(at, "timer", (node.name, node.epoch))

    def _send(self, node: SimNode, action: Send) -> None:
        port = self.topology.port(node.name, action.interface)
        if port is None:
            node.counters["send_unknown_interface"] += 1
            return
        if action.msg_type == MsgType.BUNDLE:
            for part in action.message.walk():
                node.sent[part.name] += 1
        else:
            node.sent[type_name(action.msg_type)] += 1
        if port.peer_address != action.destination:
            node.counters["send_to_non_adjacent_destination"] += 1
        link = self.links[port.link]
        if not link.up:
            link.counters["dropped_link_down"] += 1
            return
        data = action.data
        self.counters["bytes_sent"] += len(data)
        for delay, copy in transmit(link, data):
            payload = (port.link, link.generation, port.peer, port.peer_interface, port.address, copy)
            self.agenda.push(self.now + delay, "deliver", payload)

    def _install(self, node: SimNode, action: InstallLabel) -> None:
        hook = self.options.label_install_fails
        failure = hook(node.name, self.now, action) if hook else None
        if failure is None:
            node.pending_labels.add(action.handle)
        self.agenda.push(self.now + self.options.label_delay_s, "label", (node.name, node.epoch, action, failure))
