"""``rsvpd run``: the task that owns the engine and the tasks that feed it (DESIGN.md rule 4).

Theory of operation
-------------------
One task (:meth:`Router._engine_task`) owns the engine.  It is told things two
ways: datagrams it reads from the raw socket itself (``PacketReceived``), and
everything else (tunnels, link events, label answers) through the *inbox*.
It sleeps until the engine's ``next_deadline()``, the socket becoming
readable or an inbox item, then handles what is there (inbox items first, then
up to ``BATCH`` datagrams, then due timers) with ``trio.current_time()`` and
performs the returned actions, yielding to the other tasks after each round.
Reading the socket in the engine's own task, rather than in a receive task that
hands datagrams over a channel, saves a task switch per message, which is on
every hop's critical path (``benchmarks/bench_testbed``); the kernel's socket
buffer is the queue in front of the engine (overflows are counted, soft state
recovers, RFC 2205 section 1.2).
``Send`` is written to the raw socket at once (in order); ``InstallLabel`` and
``RemoveLabel`` are carried out at once when the routelet backend does not
block, and otherwise go to the label task, which asks the backend in a worker
thread and puts ``LabelInstalled`` or ``LabelInstallFailed`` back in the inbox:
a round trip, as RFC 2205's traffic-control interface is (section 1.1
"admission control ... then packet classifier and scheduler are set").

Around it: the watch task re-reads the kernel routing table when netlink
announces a change (``LinkDown`` / ``LinkUp`` for RSVP interfaces, a new
routes ``version``) and logs LSP state changes every second; the signal task maps SIGHUP to :meth:`Router.reload` and SIGTERM or
SIGINT to a graceful stop; the control and metrics servers read state
directly (everything runs in one trio thread, so reads never race the engine).

Stopping hands the engine ``ShutdownRequested``: it removes every tunnel
(PathTear downstream) and tears every transit and egress LSP both ways
(ResvTear upstream, PathTear downstream, RFC 2205 section 3.1.5), so no
neighbour keeps state for this router; the runner waits until the engine has
performed that, drains briefly so the tears leave, releases every routelet and
exits 0.
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import logging
import math
import random
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
import trio
from pyroute2 import IPRoute

from rsvp.engine import Node
from rsvp.engine.actions import Action, InstallLabel, Send
from rsvp.engine.events import (
    LabelInstalled,
    LabelInstallFailed,
    LinkDown,
    LinkUp,
    PacketReceived,
    ShutdownRequested,
    TunnelAdded,
    TunnelRemoved,
)
from rsvp.engine.state import LspKey
from rsvp.wire.message import type_name

from . import config as config_file
from . import control, logs, metrics
from .config import ConfigError, DaemonConfig, TunnelConfig
from .latency import Latencies
from .performers import RouteletBackend, routelet_backend
from .policies import CountingAdmission, ledger, make_admission
from .routes import KernelRoutes, KernelState, read_kernel
from .transport import RawTransport, open_socket

BATCH = 64  # datagrams the engine handles before it lets the other tasks run
WATCH_INTERVAL_S = 1.0
GC_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)
KERNEL_SETTLE_S = 0.05  # after the kernel announces a change, before it is read
KERNEL_RESYNC_S = 30.0  # the kernel is read this often even without announcements (some may be lost)
RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE = 0x1, 0x10, 0x40  # rtnetlink multicast groups
DRAIN_S = 0.3  # after the tears are handed to the kernel, before the socket closes
RESTART_FIELDS = ("router_id", "interfaces", "refresh_s", "keep_multiplier", "hello_interval_s", "admission_policy",
                  "admission_options", "glue_backend", "glue_uri", "glue_pool_size", "glue_name_prefix",
                  "glue_cgroup_parent", "control_socket",
                  "metrics_listen")
VIEWS = ("lsps", "sessions", "neighbors", "routelets", "counters", "ledger")


class _Inbox:
    """What the engine is told besides datagrams, in order; putting an item wakes the engine task
    from its wait on the socket (by cancelling that wait)."""

    def __init__(self) -> None:
        self.items: collections.deque[Any] = collections.deque()
        self.waiting: trio.CancelScope | None = None

    def send_nowait(self, item: Any) -> None:
        self.items.append(item)
        if self.waiting is not None:
            self.waiting.cancel()
            self.waiting = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Mark:
    """Put in the inbox to learn when everything before it has been handled and performed."""

    done: trio.Event


class Router:
    """One rsvpd: the engine, its transport, routes, routelet backend and admission."""

    def __init__(self, config: DaemonConfig, config_path: Path, node: Node, routes: KernelRoutes,
                 transport: RawTransport, backend: RouteletBackend, admission: CountingAdmission,
                 kernel: Callable[[], KernelState], kernel_events: socket.socket | None = None) -> None:
        self.config, self.config_path = config, config_path
        self.node, self.routes, self.transport = node, routes, transport
        self.backend, self.admission, self.kernel = backend, admission, kernel
        self.tunnels: dict[str, TunnelConfig] = {}  # what the engine was given
        self.tunnel_ids: dict[str, int] = {}
        self._last_tunnel_id = 0
        self.from_file: set[str] = set()  # tunnels from the file (reload reconciles these only)
        self._inbox = _Inbox()
        self._labels_send, self._labels = trio.open_memory_channel[Action](math.inf)
        self._stopping = trio.Event()
        self._lsp_states: dict[LspKey, tuple[bool, str | None, str | None]] = {}
        self._lsp_names: dict[LspKey, tuple[str, str]] = {}
        self.kernel_events = kernel_events
        self.latencies = Latencies()  # how long each datagram waited and was handled, by message type
        self.log = structlog.get_logger("rsvpd").bind(router=str(config.router_id))

    # --- running ------------------------------------------------------------------------------

    async def run(self, listener: trio.SocketListener) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._engine_task)
            nursery.start_soon(self._label_task)
            nursery.start_soon(self._watch_task)
            nursery.start_soon(self._signal_task)
            await nursery.start(control.serve, listener, self.command)
            if self.config.metrics_listen is not None:
                host, port = self.config.metrics_listen
                await nursery.start(metrics.serve, host, port, metrics.registry_for(self.state))
            for tunnel in self.config.tunnels:
                self._set_tunnel(tunnel, from_file=True)
            self.log.info("started", interfaces=[i.name for i in self.node.config.interfaces],
                          tunnels=len(self.tunnels), control=self.config.control_socket)
            await self._stopping.wait()
            await self._tear_down()
            nursery.cancel_scope.cancel()
        self.backend.close()
        self.transport.close()
        Path(self.config.control_socket).unlink(missing_ok=True)
        self.log.info("stopped", counters=dict(self.transport.counters))

    async def _engine_task(self) -> None:
        node, transport, inbox, latencies = self.node, self.transport, self._inbox, self.latencies
        items = inbox.items
        while True:
            while items:
                item = items.popleft()
                if isinstance(item, _Mark):
                    item.done.set()
                else:
                    await self._perform(node.handle(item, trio.current_time()))
            more = True  # a whole batch read: the socket may hold more
            for _ in range(BATCH):
                datagram = transport.receive_nowait()
                if datagram is None:
                    more = False
                    break
                if self.config.log_level == "debug":
                    self.log.debug("received", interface=datagram.interface, source=str(datagram.source),
                                   ttl=datagram.ttl, router_alert=datagram.router_alert, size=len(datagram.data))
                taken_ns = time.time_ns()
                await self._perform(node.handle(PacketReceived(datagram.data, datagram.interface, datagram.source,
                                                               datagram.ttl), trio.current_time()))
                if datagram.received_ns is not None:
                    latencies.observe(type_name(datagram.data[1]) if len(datagram.data) > 1 else "short",
                                      datagram.received_ns, taken_ns, time.time_ns())
            deadline = node.next_deadline()
            now = trio.current_time()
            if deadline is not None and deadline <= now:
                await self._perform(node.on_timer(now))
                deadline = node.next_deadline()
            if more or items:
                await trio.lowlevel.checkpoint()  # the control socket, signals and metrics get their turn
                continue
            # nothing left: wait (itself a checkpoint) for a datagram, an inbox item or the next deadline
            with trio.move_on_at(math.inf if deadline is None else deadline) as waiting:
                inbox.waiting = waiting
                await transport.wait_readable()
            inbox.waiting = None

    async def _perform(self, actions: list[Action]) -> None:
        """Send what is to be sent; forwarding entries go to the backend: at once, answering the engine
        before its next event, when the backend does not block; through the label task when it does."""
        pending = list(actions)
        while pending:
            action = pending.pop(0)
            if isinstance(action, Send):
                if self.config.log_level == "debug":
                    self.log.debug("send", interface=action.interface, to=str(action.destination),
                                   router_alert=action.router_alert, **logs.message_keys(action.message))
                await self.transport.send(action)
            elif self.backend.blocking:
                self._labels_send.send_nowait(action)
            else:
                answer = await self._realise(action)
                if answer is not None:
                    pending.extend(self.node.handle(answer, trio.current_time()))

    async def _label_task(self) -> None:
        async for action in self._labels:
            answer = await self._realise(action)
            if answer is not None:
                self._inbox.send_nowait(answer)

    async def _realise(self, action: Action) -> LabelInstalled | LabelInstallFailed | None:
        """Carry out one forwarding action; the engine's answer event for an install."""
        if isinstance(action, InstallLabel):
            answer = await self._backend_call(self.backend.install, action)
            if isinstance(answer, Exception):  # the glue broke: the engine hears it as a failed install
                answer = LabelInstallFailed(action.handle, f"{self.backend.name} backend: "
                                                           f"{type(answer).__name__}: {answer}")
            log = self.log.debug if answer is None else self.log.warning  # per LSP: debug; failures stand out
            log("label installed" if answer is None else "label install failed", handle=action.handle,
                in_label=action.in_label, out_label=action.out_label, interface=action.out_interface,
                bandwidth_bps=action.bandwidth_bps, reason=answer and answer.reason,
                error=answer and f"{answer.error_code}/{answer.error_value}")
            return answer or LabelInstalled(action.handle)
        await self._backend_call(self.backend.remove, action.handle)
        self.log.debug("label removed", handle=action.handle)
        return None

    async def _backend_call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call the backend (in a worker thread if it blocks); an exception is logged and returned."""
        try:
            if self.backend.blocking:
                return await trio.to_thread.run_sync(function, *args)
            return function(*args)
        except Exception as exc:
            self.log.exception("routelet backend failed", backend=self.backend.name)
            return exc

    async def _watch_task(self) -> None:
        """Every second: re-read the kernel if it announced a change (or, without announcements, always;
        and every ``KERNEL_RESYNC_S`` regardless), then log LSP state changes.  Reading the kernel takes
        milliseconds in which the engine waits, hence not every second when nothing changed."""
        events = self.kernel_events
        resync_at = trio.current_time() + KERNEL_RESYNC_S
        while True:
            if events is None:
                await trio.sleep(WATCH_INTERVAL_S)
                changed = True
            else:
                with trio.move_on_after(WATCH_INTERVAL_S):
                    await trio.lowlevel.wait_readable(events)
                    await trio.sleep(KERNEL_SETTLE_S)  # a burst of changes is read once
                changed = _drain(events) or trio.current_time() >= resync_at
            if changed:
                resync_at = trio.current_time() + KERNEL_RESYNC_S
                self._read_kernel()
            self._log_lsp_changes()

    def _read_kernel(self) -> None:
        names = [i.name for i in self.node.config.interfaces]
        before = {name: self.routes.up(name) for name in names}
        if self.routes.update(self.kernel()):
            self.log.info("routing table changed", version=self.routes.version)
            for name in names:
                if self.routes.up(name) != before[name]:
                    self.log.warning("link up" if self.routes.up(name) else "link down", interface=name)
                    self._inbox.send_nowait(LinkUp(name) if self.routes.up(name) else LinkDown(name))

    def _log_lsp_changes(self) -> None:
        """Log LSPs that came up, went down, heard a Notify PathErr or went away since the last call (at
        level info; above it nothing is compared)."""
        if logs.LEVELS[self.config.log_level] > logging.INFO:
            self._lsp_states, self._lsp_names = {}, {}
            return
        states = self.node.lsp_states()
        previous = self._lsp_states
        for key, state in states.items():
            if previous.get(key) != state:
                lsp = self.node.describe(key)
                assert lsp is not None
                self._lsp_names[key] = (lsp["name"], lsp["role"])
                self.log.info(f"lsp {lsp['state']}", **logs.lsp_keys(lsp), in_label=lsp["in_label"],
                              out_label=lsp["out_label"], reason=lsp["reason"], notice=lsp["notice"])
        for key in previous.keys() - states.keys():
            name, role = self._lsp_names.pop(key)
            self.log.info("lsp gone", lsp=name, role=role)
        self._lsp_states = states

    async def _signal_task(self) -> None:
        with trio.open_signal_receiver(signal.SIGHUP, signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                if signum == signal.SIGHUP:
                    self.reload()
                else:
                    self.log.info("signal: stopping", signal=signal.Signals(signum).name)
                    self._stopping.set()

    async def settle(self) -> None:
        """Return once everything queued for the engine so far has been handled and performed."""
        mark = _Mark(trio.Event())
        self._inbox.send_nowait(mark)
        await mark.done.wait()

    async def _tear_down(self) -> None:
        """Tell the engine to tear down every LSP (its own tunnels, and transit and egress LSPs both
        ways), wait until it has sent the tears, let them leave."""
        self.log.info("stopping: tearing down every LSP", tunnels=len(self.tunnels), lsps=len(self.node.lsps))
        self._inbox.send_nowait(ShutdownRequested())
        await self.settle()
        await trio.sleep(DRAIN_S)

    # --- tunnels and reload ----------------------------------------------------------------------

    def _set_tunnel(self, tunnel: TunnelConfig, from_file: bool) -> bool:
        """Give the engine a new or changed tunnel (a changed one is re-signalled make-before-break)."""
        (self.from_file.add if from_file else self.from_file.discard)(tunnel.name)
        if self.tunnels.get(tunnel.name) == tunnel:
            return False
        self.tunnels[tunnel.name] = tunnel
        if tunnel.name not in self.tunnel_ids:
            self.tunnel_ids[tunnel.name] = self._fresh_tunnel_id()
        self.log.info("tunnel set", lsp=tunnel.name, destination=str(tunnel.destination),
                      tunnel_id=self.tunnel_ids[tunnel.name], bandwidth_bps=tunnel.bandwidth_bps)
        self._inbox.send_nowait(TunnelAdded(tunnel.tunnel(self.tunnel_ids[tunnel.name])))
        return True

    def _fresh_tunnel_id(self) -> int:
        """The next Tunnel ID (RFC 3209 section 4.6.1.1: 16 bits, 0 avoided) not in use, taken round
        the space rather than lowest-first: a deleted tunnel's id is not handed out again at once, so
        a tear of the old LSP still in flight cannot hit a new one."""
        used = set(self.tunnel_ids.values())
        if len(used) >= 0xFFFF:
            raise ValueError("all 65,535 tunnel ids are in use")
        candidate = self._last_tunnel_id
        while True:
            candidate = candidate % 0xFFFF + 1
            if candidate not in used:
                self._last_tunnel_id = candidate
                return candidate

    def _remove_tunnel(self, name: str) -> None:
        self.tunnels.pop(name)
        self.tunnel_ids.pop(name)
        self.from_file.discard(name)
        self.log.info("tunnel removed", lsp=name)
        self._inbox.send_nowait(TunnelRemoved(name))

    def reload(self) -> dict[str, Any]:
        """SIGHUP: re-read the file; apply tunnel and log changes, leave unchanged tunnels alone.

        An invalid file is refused (logged) and the running configuration kept;
        changes that need a restart are named and not applied.
        """
        try:
            new = config_file.load(self.config_path)
        except ConfigError as exc:
            self.log.error("reload refused: invalid configuration, keeping the running one",
                           file=str(self.config_path), error=str(exc))
            return {"ok": False, "error": f"{self.config_path}: {exc}"}
        logs.configure(new.log_format, new.log_level)
        wanted = {t.name: t for t in new.tunnels}
        removed = sorted(self.from_file - wanted.keys())
        for name in removed:
            self._remove_tunnel(name)
        added = sorted(wanted.keys() - self.tunnels.keys())
        changed = sorted(n for n, t in wanted.items() if n in self.tunnels and self.tunnels[n] != t)
        for tunnel in new.tunnels:
            self._set_tunnel(tunnel, from_file=True)
        restart = [f for f in RESTART_FIELDS if getattr(new, f) != getattr(self.config, f)]
        self.config = dataclasses.replace(self.config, tunnels=new.tunnels, log_format=new.log_format,
                                          log_level=new.log_level)
        result = {"added": added, "removed": removed, "changed": changed, "needs_restart": restart}
        self.log.info("reloaded", **result)
        return {"ok": True, "result": result}

    # --- the control API ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What metrics read."""
        return {"snapshot": self.node.snapshot(), "transport": self.transport.counters,
                "admission": self.admission.results, "routelets": self.backend.routelets(),
                "latency": self.latencies}

    def view(self, what: str) -> Any:
        snapshot = self.node.snapshot()
        if what == "lsps":
            return snapshot["lsps"]
        if what == "sessions":
            return snapshot["sessions"]
        if what == "neighbors":
            return [{"address": a, "counters": c} for a, c in snapshot["neighbors"].items()]
        if what == "routelets":
            return self.backend.routelets()
        if what == "counters":
            return {"engine": snapshot["counters"], "transport": dict(self.transport.counters),
                    "admission": dict(self.admission.results), "latency": self.latencies.snapshot()}
        return ledger(self.node.config.interfaces, self.admission)

    async def command(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["command"]
        if name == "show":
            what = request.get("what")
            if what not in VIEWS:
                return {"ok": False, "error": f"show what? one of {', '.join(VIEWS)}"}
            return {"ok": True, "result": self.view(what)}
        if name == "tunnel-add":
            try:
                tunnel = config_file.parse_tunnel({k: v for k, v in request.items() if k != "command"})
            except ConfigError as exc:
                return {"ok": False, "error": str(exc)}
            if tunnel.name in self.from_file:
                return {"ok": False, "error": f"tunnel {tunnel.name!r} is configured in {self.config_path}; "
                                              "change it there and reload"}
            self._set_tunnel(tunnel, from_file=False)
            return {"ok": True, "result": {"name": tunnel.name, "tunnel_id": self.tunnel_ids[tunnel.name]}}
        if name == "tunnel-delete":
            tunnel_name = request.get("name")
            if tunnel_name not in self.tunnels:
                return {"ok": False, "error": f"no tunnel {tunnel_name!r}"}
            self._remove_tunnel(tunnel_name)
            return {"ok": True, "result": {"name": tunnel_name}}
        if name == "reload":
            return self.reload()
        if name == "shutdown":
            self._stopping.set()
            return {"ok": True, "result": "stopping"}
        return {"ok": False, "error": f"unknown command {name!r}; one of show, tunnel-add, tunnel-delete, "
                                      "reload, shutdown"}


async def run(config_path: Path) -> int:
    """Start rsvpd from ``config_path``; returns the exit status (ConfigError and OSError propagate)."""
    config = config_file.load(config_path)
    logs.configure(config.log_format, config.log_level)
    log = structlog.get_logger("rsvpd")
    events = kernel_events()  # before the first read, so that no change falls between
    with IPRoute() as ipr:
        state = read_kernel(ipr)
        # the engine's clock is trio's (arbitrary origin); integrity sequence numbers need wall time
        node_config = dataclasses.replace(config.node_config(state.addresses),
                                          wall_clock_offset_s=time.time() - trio.current_time())
        names = frozenset(i.name for i in node_config.interfaces)
        routes = KernelRoutes(names, state)
        admission = make_admission(config.admission_policy, node_config.interfaces, dict(config.admission_options))
        backend = routelet_backend(config, admission)
        listener = control.bind(config.control_socket)
        transport = RawTransport(open_socket(), {i.name: (state.links[i.name][0], i.address)
                                                 for i in node_config.interfaces})
        node = Node(node_config, routes, random.Random(), admission)
        router = Router(config, config_path, node, routes, transport, backend, admission, lambda: read_kernel(ipr),
                        events)
        log.info("starting", router=str(config.router_id), config=str(config_path),
                 admission=config.admission_policy, glue=config.glue_backend)
        for note in config.not_yet_enforced():
            log.warning(note)
        # the cyclic collector: what start-up built (modules, configuration) is never collected, so it
        # leaves the generations the collector walks; and it runs less often (each message allocates
        # hundreds of objects, nearly all freed by reference counting)
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        try:
            await router.run(listener)
        finally:
            if events is not None:
                events.close()
    return 0


def kernel_events() -> socket.socket | None:
    """A netlink socket on which the kernel announces link, IPv4 address and route changes (None: not
    available, the kernel is then re-read every second)."""
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    except OSError:
        return None
    try:
        sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE))
        sock.setblocking(False)
    except OSError:
        sock.close()
        return None
    return sock


def _drain(events: socket.socket) -> bool:
    """Read every pending announcement; whether there was any (an overflow counts: changes were lost)."""
    announced = False
    while True:
        try:
            events.recv(65536)
        except BlockingIOError:
            return announced
        except OSError:  # ENOBUFS: the kernel dropped announcements
            pass
        announced = True
