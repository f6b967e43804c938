"""Classic RSVP (RFC 2205) for IPv4 Int-serv sessions: styles, merging, blockade, confirmation.

Theory of operation
-------------------
:class:`IntServ` is the part of a :class:`~rsvp.engine.node.Node` that handles
sessions with an RFC 2205 IPv4 SESSION (C-Type 1) and IPv4 SENDER_TEMPLATE /
FILTER_SPEC (C-Type 1): no labels, any number of senders and receivers, the
three reservation styles.  The node hands it those messages, the host events
(:class:`~rsvp.engine.events.SenderAdded` ...) and its timers; it shares the
node's timer heap, random generator, admission object, routes and counters.
Its state follows RFC 2209's data structures, per :class:`Session`:

* path state (PSB) per sender: SENDER_TEMPLATE, SENDER_TSPEC, ADSPEC,
  previous hop (PHOP, None for a local sender) with its logical interface
  handle, the incoming interface and the outgoing routes (the
  OutInterface_list): one unicast route towards the destination through the
  node's ``routes``, or for a multicast group whatever the routes object's
  optional ``multicast_routes(source, group, in_interface)`` answers.  A Path
  is delivered to the local host when the destination is one of the node's
  addresses, or for a group when a local receiver has asked for a
  reservation.
* reservation state (RSB) per (next hop, outgoing interface) for the shared
  styles, and per (next hop, outgoing interface, sender) for FF: the style,
  the filter spec set, the flowspec, any RESV_CONFIRM still to be acted on.
  The local receiver's request is an RSB with no next hop and no interface.
* traffic control state (TCSB) per (outgoing interface, sender) for FF and per
  outgoing interface for the shared styles: the LUB of the flowspecs of the
  RSBs there, admitted through the node's admission object (one request per
  TCSB; the shared ones carry a ``share_key``).
* blockade state (BSB) per sender (FF, SE) or per previous hop (WF): a
  flowspec Qb and its timer Tb = Kb * R (RFC 2205 section 3.5).
* what was last sent upstream to each previous hop, to tell triggers from
  refreshes and to know what to tear.

A changed Resv updates one RSB, then the traffic control of its group; if
admission refuses, the RSB goes back to what it was (or away) and a ResvErr
carrying the InPlace flag when an older reservation stays goes to the next
hop (RFC 2209 "RESV MESSAGE ARRIVES").  Then the Resvs to send upstream are
recomputed for every previous hop (RFC 2209 "RESV REFRESH"): for each sender
behind that hop, the flowspecs of the RSBs it routes to are merged (LUB),
leaving out those a BSB blockades; when all are blockaded the GLB goes
instead, or, after a ResvErr, nothing.  FF packs one flow descriptor per
sender; SE and WF merge everything behind the hop into one flowspec.  Only a
Resv that differs from the last one sent to that hop, or that carries a
RESV_CONFIRM, is a trigger; the refresh timer sends them all.  Senders that
no longer have any reservation behind a hop are torn (ResvTear) there.

RESV_CONFIRM: a request merged into a larger one is confirmed at once by the
merging node, the largest one travels upstream in the merged Resv, and the
sender's node confirms what reaches it; a ResvConf is sent to the next hop
and from there routed towards the receiver address (RFC 2205 sections 2.6,
3.1.7).  ResvErr for admission failure creates blockade state and is passed
on to the next hops whose requests were part of the failure; PathErr goes
hop by hop to the sender.

Soft state as for the TE code (RFC 2205 section 3.7): Paths refreshed per
sender and Resvs per session every R jittered in [0.5R, 1.5R], state expiring
after L = (K + 0.5) * 1.5 * R from the neighbour's TIME_VALUES; SE filters
expire one by one.  Routes are re-read on every refresh and a changed route
re-signals at once (local repair in the spirit of RFC 2205 section 3.6).

Not done: SCOPE for WF (loops are not possible on the tree-shaped routes this
relies on), ADSPEC updating (OPWA; ADSPEC is passed on unchanged), POLICY_DATA,
non-RSVP clouds (Send_TTL), IPv6 sessions, a data-plane action for the
admitted reservations (traffic control exists only as admission state), and
refresh reduction for these sessions: they are refreshed the standard way; a
neighbour's Path or Resv with a MESSAGE_ID is acknowledged but its id is not
kept, so its Srefresh for that state is NACKed and the state resent in full
(RFC 2961 section 5.4).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from rsvp.wire import Message, MsgType, UnknownObject, UnknownRule
from rsvp.wire.model import ClassNum as C
from rsvp.wire.objects import core, intserv

from . import intserv_messages as ism
from . import messages
from .actions import Action
from .admission import ADMISSION_FAILURE, Request
from .config import FlowRequest, IntServSession, TrafficSpec, lifetime_s
from .events import MessageReceived, ReservationRemoved, ReservationRequested, SenderAdded, SenderRemoved
from .flowspecs import (
    TC_ERROR, BadFlowspec, Spec, f32, from_flowspec, glb_all, lub_all, strictly_greater,
)
from .intserv_state import (
    PhopKey, Psb, Receiver, Rsb, RsbKey, Sender, SentResv, Session, SessionId, TcKey, Tcsb,
)
from .routing import Route

if TYPE_CHECKING:
    from .node import Node

DEFAULT_BLOCKADE_MULTIPLIER = 3
"""Kb: blockade state lives Kb * R (RFC 2205 section 3.5 leaves Kb to the implementation; KOM uses 3)."""

NO_PATH_INFORMATION = 3  # error codes, RFC 2205 appendix B
NO_SENDER_INFORMATION = 4
CONFLICTING_STYLE = 5
CONFLICTING_DEST_PORTS = 7
CONFLICTING_SENDER_PORTS = 8

FF, SE, WF = core.STYLE_FF, core.STYLE_SE, core.STYLE_WF
_STYLES = {"FF": FF, "SE": SE, "WF": WF}

PATH_REFRESH = "intserv path refresh"
PATH_EXPIRY = "intserv path expiry"
RESV_REFRESH = "intserv resv refresh"
RESV_EXPIRY = "intserv resv expiry"
FILTER_EXPIRY = "intserv filter expiry"
BLOCKADE_EXPIRY = "intserv blockade expiry"
TIMER_KINDS = frozenset({PATH_REFRESH, PATH_EXPIRY, RESV_REFRESH, RESV_EXPIRY, FILTER_EXPIRY, BLOCKADE_EXPIRY})
"""The timer kinds this module schedules in the node's heap; the node hands them to :meth:`IntServ.on_timer`."""

EVENTS = (SenderAdded, SenderRemoved, ReservationRequested, ReservationRemoved)
"""The host events this module handles (for ``isinstance``)."""

class IntServ:
    """The Int-serv half of a node; see the module docstring."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.sessions: dict[SessionId, Session] = {}
        self._ports: dict[tuple[IPv4Address, int], set[int]] = {}  # destination ports in use per (address, protocol)
        self.blockade_multiplier = DEFAULT_BLOCKADE_MULTIPLIER
        self._lih = {i.name: n for n, i in enumerate(node.config.interfaces)}

    # --- entry points ----------------------------------------------------------------------------

    def received(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        """A validated message whose SESSION is IPv4 (C-Type 1)."""
        handler = _HANDLERS.get(event.message.msg_type)
        if handler is None:
            self._drop(f"{event.message.name} not supported for IPv4 sessions")
            return
        handler(self, event, event.message.find(C.SESSION), now, out)

    def handle(self, event: Any, now: float, out: list[Action]) -> None:
        if isinstance(event, SenderAdded):
            self._add_sender(event, now, out)
        elif isinstance(event, SenderRemoved):
            s = self.sessions.get(_config_id(event.session))
            psb = s.psbs.get((self.node.config.router_id, event.source_port)) if s else None
            if s is None or psb is None or not psb.local:
                self._drop("removal of an unknown sender")
                return
            self._psb_gone(s, psb, now, out)
        elif isinstance(event, ReservationRequested):
            self._request(event, now, out)
        elif isinstance(event, ReservationRemoved):
            s = self.sessions.get(_config_id(event.session))
            if s is None or s.receiver is None:
                self._drop("removal of an unknown reservation")
                return
            s.receiver = None
            self._update_local(s)
            self._refresh_resvs(s, now, out)
            self._maybe_forget(s)

    def shut_down(self, now: float, out: list[Action]) -> None:
        """Graceful shutdown: every reservation torn upstream, then every sender's path state torn
        downstream (RFC 2205 section 3.1.5), so that no neighbour keeps state for this node."""
        for s in list(self.sessions.values()):
            s.receiver = None
            removed = list(s.rsbs)
            s.rsbs.clear()
            self._update_local(s)
            self._after_rsb_removal(s, removed, now, out)
            for psb in list(s.psbs.values()):
                self._psb_gone(s, psb, now, out)

    def on_timer(self, kind: str, key: Any, now: float, out: list[Action]) -> None:
        if kind == RESV_REFRESH:
            s = self.sessions.get(key)
            if s is not None:
                s.resv_timer = False
                self._refresh_resvs(s, now, out, force=True)
            return
        if kind == BLOCKADE_EXPIRY:
            s = self.sessions.get(key[0])
            if s is not None:
                s.bsbs.pop(key[1], None)  # the next refresh merges the blockaded request again
            return
        s = self.sessions.get(key[0])
        if s is None:
            return
        if kind == PATH_REFRESH:
            psb = s.psbs.get(key[1])
            if psb is not None:
                self._refresh_path(s, psb, now, out)
        elif kind == PATH_EXPIRY:
            psb = s.psbs.get(key[1])
            if psb is not None:
                self._count("path state timed out")
                self._psb_gone(s, psb, now, out)
        elif kind == RESV_EXPIRY:
            if s.rsbs.pop(key[1], None) is not None:
                self._count("reservation timed out")
                self._after_rsb_removal(s, [key[1]], now, out)
        elif kind == FILTER_EXPIRY:
            rsb = s.rsbs.get(key[1])
            if rsb is not None and key[2] in rsb.filters:
                self._count("reservation timed out")
                self._drop_filters(s, key[1], rsb, {key[2]}, now, out)

    def snapshot(self) -> list[dict[str, Any]]:
        return [self._describe(s) for _, s in sorted(self.sessions.items(), key=lambda item: _order(item[0]))]

    # --- small helpers ---------------------------------------------------------------------------

    def _count(self, what: str) -> None:
        self.node.counters["intserv " + what] += 1

    def _drop(self, reason: str) -> None:
        self.node.counters["drop: " + reason] += 1

    def _send(self, out: list[Action], message: Message, interface: str, destination: IPv4Address) -> None:
        self.node._send(out, message, interface, destination)

    def _address(self, interface: str) -> IPv4Address:
        return self.node.config.interface(interface).address

    @property
    def _refresh_ms(self) -> int:
        return int(self.node.config.refresh_s * 1000)

    def _lifetime(self, message: Message) -> float:
        return lifetime_s(message.find(C.TIME_VALUES).refresh_period_ms / 1000, self.node.config.keep_multiplier)

    def _schedule(self, kind: str, key: Any, when: float) -> None:
        self.node._timers.schedule((kind, key), when)

    def _cancel(self, kind: str, key: Any) -> None:
        self.node._timers.cancel((kind, key))

    def _session(self, key: SessionId, session: core.SessionIPv4) -> Session:
        s = self.sessions.get(key)
        if s is None:
            s = self._keep(Session(key, session))
        return s

    def _keep(self, s: Session) -> Session:
        if s.key not in self.sessions:
            self.sessions[s.key] = s
            self._ports.setdefault(s.key[:2], set()).add(s.key[2])
        return s

    def _maybe_forget(self, s: Session) -> None:
        if not (s.psbs or s.rsbs or s.receiver or s.sent or s.tcsbs):
            for bkey in s.bsbs:
                self._cancel(BLOCKADE_EXPIRY, (s.key, bkey))
            self._cancel(RESV_REFRESH, s.key)
            del self.sessions[s.key]
            ports = self._ports[s.key[:2]]
            ports.discard(s.key[2])
            if not ports:
                del self._ports[s.key[:2]]

    def _delivered(self, s: Session) -> bool:
        """Paths of ``s`` reach the local host (RFC 2205 section 2.10): it is the unicast destination,
        or a local receiver asked for a reservation in the group."""
        return self.node.config.is_local(s.key[0]) or (s.multicast and s.receiver is not None)

    def _routes(self, s: Session, source: IPv4Address, in_interface: str | None) -> tuple[Route, ...] | None:
        """The OutInterface_list of a sender; None if a unicast Path would leave where it came in."""
        destination = s.key[0]
        if s.multicast:
            finder = getattr(self.node.routes, "multicast_routes", None)
            found = finder(source, destination, in_interface) if finder is not None else ()
            return tuple(sorted({r for r in found if r.interface != in_interface}, key=lambda r: r.interface))
        if self.node.config.is_local(destination):
            return ()
        route = self.node.routes.route(destination)
        if route is None:
            return ()
        if route.interface == in_interface:
            return None
        return (route,)

    def _matches(self, s: Session, rsb: Rsb, psb: Psb) -> bool:
        """``rsb`` reserves for ``psb``: the sender routes to its interface (or is delivered locally)
        and its filters select the sender."""
        if rsb.interface is None:
            if not self._delivered(s):
                return False
        elif rsb.interface not in psb.out_interfaces:
            return False
        return rsb.style == WF or psb.sender in rsb.filters

    # --- path state ------------------------------------------------------------------------------

    def _path(self, event: MessageReceived, session: core.SessionIPv4, now: float, out: list[Action]) -> None:
        """RFC 2209 "PATH MESSAGE ARRIVES"."""
        if self.node.shutting_down:  # state made now would be left behind on the next hops
            self._drop("Path while shutting down")
            return
        message = event.message
        template = message.find(C.SENDER_TEMPLATE)
        if template is None:
            self._drop("Path without a sender descriptor")
            return
        if type(template) is not core.SenderTemplateIPv4:
            self._drop("Path sender not IPv4 (SENDER_TEMPLATE C-Type 1)")
            return
        hop = message.find(C.RSVP_HOP)
        if not isinstance(getattr(hop, "address", None), IPv4Address):
            self._drop("Path RSVP_HOP not IPv4")
            return
        tspec = message.find(C.SENDER_TSPEC)
        key = _session_id(session)
        sender: Sender = (template.source, template.source_port)
        s = self.sessions.get(key)
        if s is None and self._dest_port_conflict(key):
            self._path_error(event, session, template, tspec, CONFLICTING_DEST_PORTS, out)
            return
        if s is not None and any(other[0] == sender[0] and (other[1] == 0) != (sender[1] == 0) for other in s.psbs):
            self._path_error(event, session, template, tspec, CONFLICTING_SENDER_PORTS, out)
            return
        psb = s.psbs.get(sender) if s is not None else None
        if psb is not None and psb.local:
            self._drop("Path for a local sender")
            return
        limits = self.node.limits
        if psb is None and limits is not None:  # a new path state block: the node's state limits hold
            rejected = limits.allow_new(hop.address)
            if rejected is not None:
                self._count("state limit reached")
                self._path_error(event, session, template, tspec, rejected.error_code, out, rejected.error_value)
                return
        if s is None:
            s = Session(key, session)
        routes = self._routes(s, sender[0], event.interface)
        if routes is None:
            self._drop("Path would leave on the interface it arrived on")
            return
        self._keep(s)
        forward = tuple(o for o in message.objects if isinstance(o, UnknownObject) and o.rule is UnknownRule.FORWARD)
        adspec = message.find(C.ADSPEC)
        new = psb is None
        if psb is None:
            psb = s.psbs[sender] = Psb(sender, template, tspec)
            if limits is not None:
                limits.added(hop.address)
        elif limits is not None:
            limits.moved(psb.phop, hop.address)
        self._schedule(PATH_EXPIRY, (key, sender), now + self._lifetime(message))
        changed = new or (psb.tspec, psb.adspec, psb.phop, psb.lih, psb.in_interface, psb.routes, psb.forward) != \
            (tspec, adspec, hop.address, hop.logical_interface_handle, event.interface, routes, forward) \
            or s.session != session
        if not changed:
            self._count("Path refresh")
            return
        s.session = session
        psb.template, psb.tspec, psb.adspec, psb.forward = template, tspec, adspec, forward
        psb.phop, psb.lih, psb.in_interface = hop.address, hop.logical_interface_handle, event.interface
        self._update_psb(s, psb, routes, now, out)

    def _dest_port_conflict(self, key: SessionId) -> bool:
        """A session with DstPort zero and one with a non-zero DstPort for the same destination and
        protocol may not coexist (RFC 2205 section 3.2, error 7)."""
        ports = self._ports.get(key[:2], ())
        return any(port != key[2] and (port == 0 or key[2] == 0) for port in ports)

    def _path_error(self, event: MessageReceived, session: Any, template: Any, tspec: Any, code: int,
                    out: list[Action], value: int = 0) -> None:
        node = self._address(event.interface)
        self._send(out, messages.path_err(session, template, tspec, node, code, value), event.interface,
                   event.source)
        self._count(f"PathErr {code}/{value} sent")

    def _update_psb(self, s: Session, psb: Psb, routes: tuple[Route, ...], now: float, out: list[Action]) -> None:
        """Path state new or changed: tear interfaces the sender no longer routes to, send Paths, and
        bring reservation state up to date (RFC 2209 "PATH MESSAGE ARRIVES", "PATH REFRESH")."""
        kept = {r.interface: r for r in routes}
        for route in psb.routes:
            if kept.get(route.interface) != route and route.interface in psb.paths:
                tear = ism.path_tear(s.session, self._address(route.interface), self._lih[route.interface],
                                     psb.template, psb.tspec)
                self._send(out, tear, route.interface, route.next_hop)
        psb.routes, psb.out_interfaces = routes, frozenset(kept)
        self._send_paths(s, psb, now, out)
        self._prune(s)
        self._update_local(s)
        self._refresh_resvs(s, now, out)

    def _send_paths(self, s: Session, psb: Psb, now: float, out: list[Action]) -> None:
        psb.paths = {}
        for route in psb.routes:
            path = ism.path(s.session, self._address(route.interface), self._lih[route.interface], self._refresh_ms,
                            psb.template, psb.tspec, psb.adspec, psb.forward)
            psb.paths[route.interface] = path
            self._send(out, path, route.interface, route.next_hop)
        self._schedule(PATH_REFRESH, (s.key, psb.sender), self.node._jittered(now))

    def _refresh_path(self, s: Session, psb: Psb, now: float, out: list[Action]) -> None:
        """Refresh timer: re-read the route (a change re-signals at once), else resend the Paths."""
        routes = self._routes(s, psb.sender[0], psb.in_interface)
        if routes is None:
            routes = ()
        if routes != psb.routes:
            self._count("route changed")
            self._update_psb(s, psb, routes, now, out)
            return
        for route in psb.routes:
            self._send(out, psb.paths[route.interface], route.interface, route.next_hop)
        self._schedule(PATH_REFRESH, (s.key, psb.sender), self.node._jittered(now))

    def _psb_gone(self, s: Session, psb: Psb, now: float, out: list[Action]) -> None:
        """Path state removed (PathTear, timeout, local sender gone): tear downstream, drop the
        reservations that were only for this sender (RFC 2209 "PATH TEAR MESSAGE ARRIVES")."""
        for route in psb.routes:
            tear = ism.path_tear(s.session, self._address(route.interface), self._lih[route.interface],
                                 psb.template, psb.tspec)
            self._send(out, tear, route.interface, route.next_hop)
        del s.psbs[psb.sender]
        if psb.phop is not None and self.node.limits is not None:
            self.node.limits.removed(psb.phop)
        self._cancel(PATH_REFRESH, (s.key, psb.sender))
        self._cancel(PATH_EXPIRY, (s.key, psb.sender))
        self._prune(s)
        self._update_local(s)
        self._refresh_resvs(s, now, out)
        self._maybe_forget(s)

    def _path_tear(self, event: MessageReceived, session: Any, now: float, out: list[Action]) -> None:
        s, psb = self._psb_of(event.message, session)
        if psb is None or psb.local or psb.in_interface != event.interface:
            self._drop("PathTear without matching path state")
            return
        self._psb_gone(s, psb, now, out)  # type: ignore[arg-type]

    def _path_err(self, event: MessageReceived, session: Any, now: float, out: list[Action]) -> None:
        """Forwarded hop by hop to the sender (RFC 2205 section 3.1.5); no state changes."""
        s, psb = self._psb_of(event.message, session)
        if psb is None or event.interface not in psb.out_interfaces:
            self._drop("PathErr without matching path state")
            return
        error = event.message.find(C.ERROR_SPEC)
        if psb.local:
            psb.error = f"PathErr {error.error_code}/{error.error_value} from {error.error_node}"
            self._count("PathErr for a local sender")
            return
        self._send(out, messages.hop_by_hop_removed(event.message), psb.in_interface, psb.phop)  # type: ignore[arg-type]

    def _psb_of(self, message: Message, session: Any) -> tuple[Session | None, Psb | None]:
        s = self.sessions.get(_session_id(session))
        template = message.find(C.SENDER_TEMPLATE)
        if s is None or type(template) is not core.SenderTemplateIPv4:
            return s, None
        return s, s.psbs.get((template.source, template.source_port))

    # --- reservation state -----------------------------------------------------------------------

    def _resv(self, event: MessageReceived, session: Any, now: float, out: list[Action]) -> None:
        """RFC 2209 "RESV MESSAGE ARRIVES"."""
        message = event.message
        hop = message.find(C.RSVP_HOP)
        nhop, interface = getattr(hop, "address", None), event.interface
        if not isinstance(nhop, IPv4Address):
            self._drop("Resv RSVP_HOP not IPv4")
            return
        style = message.find(C.STYLE).option_vector & 0x1F
        descriptors = self._descriptors(message, style)
        if descriptors is None:
            return
        s = self.sessions.get(_session_id(session))
        if s is None or not s.psbs:
            self._resv_error(event, session, style, descriptors, NO_PATH_INFORMATION, 0, 0, out)
            return
        existing = s.style()
        if existing is not None and existing != style:
            self._resv_error(event, session, style, descriptors, CONFLICTING_STYLE, existing & 0xFFFF, 0, out)
            return
        candidates = {p.sender for p in s.psbs.values() if interface in p.out_interfaces}
        confirm = message.find(C.RESV_CONFIRM)
        if not isinstance(confirm, core.ResvConfirmIPv4):
            confirm = None
        forward = tuple(o for o in message.objects if isinstance(o, UnknownObject) and o.rule is UnknownRule.FORWARD)
        lifetime = self._lifetime(message)
        changed = False
        for flowspec, filters in descriptors:
            try:
                spec = from_flowspec(flowspec)
            except BadFlowspec as exc:
                self._resv_error(event, session, style, [(flowspec, filters)], TC_ERROR, exc.value, 0, out)
                continue
            senders = frozenset(k for k in (_sender(f) for f in filters) if k in candidates)
            if not (candidates if style == WF else senders):
                self._resv_error(event, session, style, [(flowspec, filters)], NO_SENDER_INFORMATION, 0, 0, out)
                continue
            if style == FF:
                for sender in sorted(senders):
                    changed |= self._install(s, (nhop, interface, sender), style, frozenset({sender}), spec, confirm,
                                             hop.logical_interface_handle, forward, lifetime, flowspec, now, out)
            else:
                changed |= self._install(s, (nhop, interface, None), style, senders, spec, confirm,
                                         hop.logical_interface_handle, forward, lifetime, flowspec, now, out)
        if changed:
            self._refresh_resvs(s, now, out)

    def _descriptors(self, message: Message, style: int) -> list[tuple[Any, list[Any]]] | None:
        """The flow descriptor list: (FLOWSPEC, FILTER_SPECs) pairs; an FF FILTER_SPEC without its
        own FLOWSPEC takes the one before it (RFC 2205 section 3.1.4)."""
        flows: list[tuple[Any, list[Any]]] = []
        flowspec = None
        for obj in message.objects:
            if obj.class_num == C.FLOWSPEC:
                flowspec = obj
                if style != FF:
                    flows.append((obj, []))
            elif obj.class_num == C.FILTER_SPEC:
                if type(obj) is not core.FilterSpecIPv4:
                    self._drop(f"{message.name} FILTER_SPEC not IPv4 (C-Type 1)")
                    return None
                if style == FF:
                    flows.append((flowspec, [obj]))
                elif flows:
                    flows[-1][1].append(obj)
        return flows

    def _resv_error(self, event: MessageReceived, session: Any, style: int, descriptors: list[tuple[Any, list[Any]]],
                    code: int, value: int, flags: int, out: list[Action]) -> None:
        """ResvErr back to the next hop a Resv came from, one per flow descriptor."""
        hop = event.message.find(C.RSVP_HOP)
        node = self._address(event.interface)
        error = core.ErrorSpecIPv4(node, flags, code, value)
        for flowspec, filters in descriptors or [(None, [])]:
            message = ism.resv_err(session, node, self._lih[event.interface], error, style, flowspec, tuple(filters))
            self._send(out, message, event.interface, hop.address)
        self._count(f"ResvErr {code}/{value} sent")

    def _install(self, s: Session, key: RsbKey, style: int, filters: frozenset[Sender], spec: Spec, confirm: Any,
                 lih: int, forward: tuple[Any, ...], lifetime: float, flowspec: Any, now: float,
                 out: list[Action]) -> bool:
        """One flow descriptor of a Resv: create or update an RSB and its traffic control; on admission
        failure restore the old RSB and send ResvErr (InPlace if it stays).  True if anything changed."""
        old = s.rsbs.get(key)
        filters_before = old.filters if old is not None else frozenset()
        if style == SE:  # SE filters accumulate and expire one by one (RFC 2209 "RESV MESSAGE ARRIVES")
            for sender in filters:
                self._schedule(FILTER_EXPIRY, (s.key, key, sender), now + lifetime)
            filters = filters | filters_before
        else:
            self._schedule(RESV_EXPIRY, (s.key, key), now + lifetime)
        if old is not None and (old.spec, old.filters, old.style) == (spec, filters, style) and confirm is None:
            old.lih, old.forward = lih, forward
            self._count("Resv refresh")
            return False
        rsb = s.rsbs[key] = Rsb(key[0], key[1], style, filters, spec, confirm, lih, forward)
        rejected = self._update_tc(s, _tc_key(rsb))
        if rejected is None:
            return True
        self._count("admission rejected")
        if old is not None:
            old.confirm = None
            s.rsbs[key] = old
        else:
            del s.rsbs[key]
            self._cancel(RESV_EXPIRY, (s.key, key))
        if style == SE:
            for sender in filters - filters_before:
                self._cancel(FILTER_EXPIRY, (s.key, key, sender))
        interface, nhop = key[1], key[0]
        node = self._address(interface)  # type: ignore[arg-type]
        error = core.ErrorSpecIPv4(node, core.IN_PLACE if old is not None else 0, rejected.error_code,
                                   rejected.error_value)
        message = ism.resv_err(s.session, node, self._lih[interface], error, style,  # type: ignore[index]
                               flowspec, tuple(ism.filter_spec(x) for x in sorted(filters)) if style != WF else ())
        self._send(out, message, interface, nhop)  # type: ignore[arg-type]
        self._count(f"ResvErr {rejected.error_code}/{rejected.error_value} sent")
        return False

    def _update_tc(self, s: Session, key: TcKey | None) -> Any:
        """Make the traffic control reservation of one group (RFC 2209 "UPDATE TRAFFIC CONTROL") the LUB
        of the RSBs in it; the admission's Rejected if it refuses (the old reservation then stays)."""
        if key is None:
            return None
        interface, sender = key
        members = [r for r in s.rsbs.values() if r.interface == interface and (sender is None or sender in r.filters)]
        old = s.tcsbs.get(key)
        admission_key = ("intserv", s.key, interface, sender)
        if not members:
            if old is not None:
                self.node.admission.release(admission_key)
                del s.tcsbs[key]
            return None
        spec = lub_all([r.spec for r in members])
        filters = frozenset().union(*(r.filters for r in members))
        if old is not None and old.spec == spec:
            old.filters = filters
            return None
        share = ("intserv", s.key, interface) if sender is None else None
        rejected = self.node.admission.admit(Request(admission_key, interface, spec.bandwidth_bps, share_key=share,
                                                          spec=spec))
        if rejected is not None:
            return rejected
        s.tcsbs[key] = Tcsb(spec, filters)
        return None

    def _resv_tear(self, event: MessageReceived, session: Any, now: float, out: list[Action]) -> None:
        """RFC 2209 "RESV TEAR MESSAGE ARRIVES": remove what the next hop tears, then merge again
        (which tears upstream only what no other reservation still wants)."""
        message = event.message
        s = self.sessions.get(_session_id(session))
        hop = message.find(C.RSVP_HOP)
        nhop = getattr(hop, "address", None)
        style = message.find(C.STYLE).option_vector & 0x1F
        if s is None or s.style(local=False) not in (None, style):
            self._drop("ResvTear without matching state")
            return
        if style == WF:
            keys = [(nhop, event.interface, None)]
        else:
            filters = {_sender(o) for o in message.objects if type(o) is core.FilterSpecIPv4}
            if style == FF:
                keys = [(nhop, event.interface, f) for f in sorted(filters)]
            else:
                rsb = s.rsbs.get((nhop, event.interface, None))
                if rsb is None or not filters & rsb.filters:
                    self._drop("ResvTear without matching state")
                    return
                self._drop_filters(s, (nhop, event.interface, None), rsb, filters, now, out)
                return
        removed = [k for k in keys if s.rsbs.pop(k, None) is not None]  # type: ignore[arg-type]
        if not removed:
            self._drop("ResvTear without matching state")
            return
        self._after_rsb_removal(s, removed, now, out)  # type: ignore[arg-type]

    def _drop_filters(self, s: Session, key: RsbKey, rsb: Rsb, filters: set[Sender], now: float,
                      out: list[Action]) -> None:
        """Remove SE filters (tear or per-filter timeout); the RSB goes with its last filter."""
        for sender in filters & rsb.filters:
            self._cancel(FILTER_EXPIRY, (s.key, key, sender))
        rsb.filters = rsb.filters - filters
        if not rsb.filters:
            del s.rsbs[key]
        self._update_tc(s, _tc_key(rsb))
        self._refresh_resvs(s, now, out)
        self._maybe_forget(s)

    def _after_rsb_removal(self, s: Session, keys: list[RsbKey], now: float, out: list[Action]) -> None:
        for key in keys:
            self._cancel(RESV_EXPIRY, (s.key, key))
            if key[1] is not None:
                self._update_tc(s, (key[1], key[2]))
        self._refresh_resvs(s, now, out)
        self._maybe_forget(s)

    def _prune(self, s: Session) -> None:
        """Drop reservations no sender's path state supports any more (path gone or re-routed), the
        traffic control they held and stale blockade state (RFC 2209 "PATH TEAR MESSAGE ARRIVES")."""
        for key, rsb in list(s.rsbs.items()):
            if rsb.nhop is None:
                continue  # the local receiver's: _update_local keeps them
            supported = {p.sender for p in s.psbs.values() if rsb.interface in p.out_interfaces}
            keep = bool(supported) if rsb.style == WF else rsb.filters & supported
            if not keep:
                del s.rsbs[key]
                if rsb.style == SE:
                    for sender in rsb.filters:
                        self._cancel(FILTER_EXPIRY, (s.key, key, sender))
                else:
                    self._cancel(RESV_EXPIRY, (s.key, key))
            elif rsb.style == SE and keep != rsb.filters:
                for sender in rsb.filters - keep:  # type: ignore[operator]
                    self._cancel(FILTER_EXPIRY, (s.key, key, sender))
                rsb.filters = frozenset(keep)  # type: ignore[arg-type]
            else:
                continue
            self._update_tc(s, _tc_key(rsb))
        phops = {p.phop for p in s.psbs.values()}
        for bkey in [b for b in s.bsbs if (b[0] == "sender" and b[1] not in s.psbs) or
                     (b[0] == "phop" and b[1] not in phops)]:
            del s.bsbs[bkey]
            self._cancel(BLOCKADE_EXPIRY, (s.key, bkey))

    # --- merging and sending upstream --------------------------------------------------------------

    def _refresh_resvs(self, s: Session, now: float, out: list[Action], force: bool = False,
                       err_phop: PhopKey | None = None) -> None:
        """RFC 2209 "RESV REFRESH" for every previous hop of the session: merge, send what changed (all
        of it if ``force``), tear what is no longer wanted, act on RESV_CONFIRMs."""
        style = s.style()
        phops: dict[PhopKey, list[Psb]] = {}
        for psb in sorted(s.psbs.values(), key=lambda p: _order(p.sender)):
            if not psb.local:
                phops.setdefault((psb.phop, psb.in_interface), []).append(psb)  # type: ignore[arg-type]
        answered: list[Rsb] = []
        forwarded: list[Rsb] = []
        for key in sorted(set(phops) | set(s.sent), key=_order):
            psbs = phops.get(key, [])
            prev = s.sent.get(key)
            descriptors, wanted, conf_rsbs = self._merge(s, style, key, psbs, from_err=key == err_phop)
            present = {p.sender for p in psbs}
            if prev is not None and style is not None and prev.style != style:  # a new style: tear the old
                wf = prev.style == WF
                tear_all = tuple(sorted(prev.wanted & present, key=_order))
                if present and (wf or tear_all):
                    self._send(out, ism.resv_tear(s.session, self._address(key[1]), prev.lih, prev.style, prev.spec,
                                                  () if wf else tear_all), key[1], key[0])
                prev = None
            if prev is not None:
                gone = tuple(sorted((prev.wanted - wanted) & present, key=_order))
                if gone if prev.style != WF else present and not wanted:
                    self._send(out, ism.resv_tear(s.session, self._address(key[1]), prev.lih, prev.style, prev.spec,
                                                  gone if prev.style != WF else ()), key[1], key[0])
            if not descriptors:
                if wanted and prev is not None:
                    prev.wanted = wanted  # everything blockaded after a ResvErr: send nothing now
                else:
                    s.sent.pop(key, None)
                continue
            lih = psbs[0].lih
            chosen = self._choose_confirm(conf_rsbs, descriptors, answered)
            forward = tuple(dict.fromkeys(o for r in conf_rsbs[1] for o in r.forward))
            message = ism.resv(s.session, self._address(key[1]), lih, self._refresh_ms, style,  # type: ignore[arg-type]
                               descriptors, None, forward)
            if force or chosen is not None or prev is None or prev.message != message:
                if chosen is not None:
                    forwarded.append(chosen)
                    message_out = ism.resv(s.session, self._address(key[1]), lih, self._refresh_ms,
                                           style, descriptors, chosen.confirm, forward)  # type: ignore[arg-type]
                else:
                    message_out = message
                self._send(out, message_out, key[1], key[0])
            s.sent[key] = SentResv(message, style, wanted, descriptors[0][0], lih)  # type: ignore[arg-type]
        for psb in s.psbs.values():  # a local sender's node confirms what reaches it
            if psb.local:
                answered.extend(r for r in s.rsbs.values() if r.confirm is not None and self._matches(s, r, psb))
        for rsb in dict.fromkeys(answered):
            if rsb.confirm is not None:
                self._confirm(s, rsb, out)
        for rsb in forwarded:
            rsb.confirm = None
        if s.sent and not s.resv_timer:
            s.resv_timer = True
            self._schedule(RESV_REFRESH, s.key, self.node._jittered(now))
        elif not s.sent and s.resv_timer:
            s.resv_timer = False
            self._cancel(RESV_REFRESH, s.key)

    def _merge(self, s: Session, style: int | None, key: PhopKey, psbs: list[Psb], from_err: bool
               ) -> tuple[list[tuple[Spec, tuple[Sender, ...]]], frozenset[Sender], tuple[list[tuple[Rsb, Spec]], list[Rsb]]]:
        """The flow descriptors for one previous hop, the senders wanting a reservation there, and the
        RSBs merged (with the flowspec each was merged into, for confirmations).

        Per sender: LUB of the RSBs it routes to, leaving out those a BSB blockades (Qb not strictly
        greater); all blockaded: nothing after a ResvErr, else the GLB with any RESV_CONFIRM dropped
        (RFC 2205 section 3.5, RFC 2209 "RESV REFRESH" steps 2-3)."""
        descriptors: list[tuple[Spec, tuple[Sender, ...]]] = []
        wanted: set[Sender] = set()
        shared_specs: list[Spec] = []
        shared_senders: list[Sender] = []
        merged_rsbs: list[tuple[Rsb, Spec]] = []
        all_rsbs: list[Rsb] = []
        for psb in psbs:
            matching = [r for r in s.rsbs.values() if self._matches(s, r, psb)]
            if not matching:
                continue
            wanted.add(psb.sender)
            qb = s.bsbs.get(("phop", psb.phop) if style == WF else ("sender", psb.sender))
            unblocked = [r for r in matching if qb is None or strictly_greater(qb, r.spec)]
            if unblocked:
                merged = lub_all([r.spec for r in unblocked])
                merged_rsbs.extend((r, merged) for r in unblocked)
                all_rsbs.extend(unblocked)
            elif from_err:
                self._count("blockaded")
                continue
            else:
                self._count("blockaded")
                merged = glb_all([r.spec for r in matching])
                for r in matching:
                    r.confirm = None
            if style == FF:
                descriptors.append((merged, (psb.sender,)))
            else:
                shared_specs.append(merged)
                shared_senders.append(psb.sender)
        if shared_specs:
            merged = lub_all(shared_specs)
            descriptors = [(merged, tuple(shared_senders) if style == SE else ())]
            merged_rsbs = [(r, merged) for r, _ in merged_rsbs]
        return descriptors, frozenset(wanted), (merged_rsbs, list(dict.fromkeys(all_rsbs)))

    def _choose_confirm(self, conf: tuple[list[tuple[Rsb, Spec]], list[Rsb]],
                        descriptors: list[tuple[Spec, tuple[Sender, ...]]], answered: list[Rsb]) -> Rsb | None:
        """Which RESV_CONFIRM travels upstream in the merged Resv (a Resv carries one): that of a
        request equal to the merged flowspec, the one that defines it.  A request merged into a
        larger one is confirmed here at once (RFC 2205 section 2.6, RFC 2209 "RESV REFRESH" step 3),
        unless it names the same receiver as the one forwarded, which stands for it."""
        pending = [(r, merged) for r, merged in conf[0] if r.confirm is not None]
        chosen = next((r for r, merged in pending if r.spec == merged), None)
        for r, _ in pending:
            if r is chosen:
                continue
            if chosen is not None and r.confirm == chosen.confirm:
                r.confirm = None
            else:
                answered.append(r)
        return chosen

    def _confirm(self, s: Session, rsb: Rsb, out: list[Action]) -> None:
        """ResvConf for ``rsb``: to its next hop, from where it is routed to the receiver address."""
        confirm, rsb.confirm = rsb.confirm, None
        if rsb.nhop is None or rsb.interface is None:
            self._delivered_confirm(s.key, confirm)
            return
        message = ism.resv_conf(s.session, self._address(rsb.interface), confirm, rsb.style, rsb.spec,
                                tuple(sorted(rsb.filters, key=_order)))
        self._send(out, message, rsb.interface, rsb.nhop)
        self._count("ResvConf sent")

    def _delivered_confirm(self, key: SessionId, confirm: Any) -> None:
        s = self.sessions.get(key)
        if s is not None and s.receiver is not None:
            s.receiver.confirmations += 1
        self._count("ResvConf delivered")

    # --- errors and confirmations from the network ----------------------------------------------------

    def _resv_err(self, event: MessageReceived, session: Any, now: float, out: list[Action]) -> None:
        """RFC 2209 "RESV ERROR MESSAGE ARRIVES": blockade state for admission failures, then the error
        goes on to the next hops whose reservations took part (RFC 2205 section 3.5)."""
        message = event.message
        s = self.sessions.get(_session_id(session))
        if s is None or not any(p.in_interface == event.interface for p in s.psbs.values()):
            self._drop("ResvErr without matching path state")
            return
        error = message.find(C.ERROR_SPEC)
        style = message.find(C.STYLE).option_vector & 0x1F
        phop = getattr(message.find(C.RSVP_HOP), "address", None)
        flowspec = message.find(C.FLOWSPEC)
        filters = [o for o in message.objects if type(o) is core.FilterSpecIPv4]
        senders = {_sender(f) for f in filters}
        try:
            qe = from_flowspec(flowspec) if flowspec is not None else None
        except BadFlowspec:
            qe = None
        self._count("ResvErr received")
        if error.error_code == ADMISSION_FAILURE and qe is not None:
            if style == WF:
                bkeys = [("phop", phop)] if any(p.phop == phop for p in s.psbs.values()) else []
            else:
                bkeys = [("sender", x) for x in sorted(senders, key=_order) if x in s.psbs]
            tb = now + self.blockade_multiplier * self.node.config.refresh_s
            for bkey in bkeys:
                s.bsbs[bkey] = qe
                self._schedule(BLOCKADE_EXPIRY, (s.key, bkey), tb)
            if bkeys:
                self._count("blockade state set")
                self._refresh_resvs(s, now, out, err_phop=(phop, event.interface))  # type: ignore[arg-type]
        in_place = error.flags & core.IN_PLACE
        behind = [p for p in s.psbs.values() if p.phop == phop and p.in_interface == event.interface]
        for key, rsb in list(s.rsbs.items()):
            if rsb.interface == event.interface or not any(self._matches(s, rsb, p) for p in behind):
                continue
            if style == WF or rsb.style == WF:
                selected = ()
            else:
                selected = tuple(f for f in filters if _sender(f) in rsb.filters)
                if not selected:
                    continue
            if error.error_code == ADMISSION_FAILURE and in_place and qe is not None and strictly_greater(qe, rsb.spec):
                continue  # a smaller request did not cause the failure of a larger one in place
            if rsb.nhop is None:
                self._receiver_error(s, error, qe is not None and strictly_greater(qe, rsb.spec))
                continue
            forwarded = ism.resv_err(s.session, self._address(rsb.interface), self._lih[rsb.interface],  # type: ignore
                                     error, style, flowspec, selected)
            self._send(out, forwarded, rsb.interface, rsb.nhop)  # type: ignore[arg-type]

    def _receiver_error(self, s: Session, error: Any, not_guilty: bool) -> None:
        """A ResvErr reached the local receiver (NotGuilty when its own request was smaller, RFC 2209)."""
        assert s.receiver is not None
        text = f"ResvErr {error.error_code}/{error.error_value} from {error.error_node}"
        s.receiver.errors = (s.receiver.errors + [text + (" (not guilty)" if not_guilty else "")])[-8:]
        self._count("ResvErr delivered")

    def _resv_conf(self, event: MessageReceived, session: Any, now: float, out: list[Action]) -> None:
        """Deliver a ResvConf addressed to this node, else route it on towards the receiver."""
        confirm = event.message.find(C.RESV_CONFIRM)
        receiver = getattr(confirm, "receiver", None)
        if not isinstance(receiver, IPv4Address):
            self._drop("ResvConf RESV_CONFIRM not IPv4")
            return
        if self.node.config.is_local(receiver):
            self._delivered_confirm(_session_id(session), confirm)
            return
        route = self.node.routes.route(receiver)
        if route is None:
            self._drop("ResvConf with no route to its receiver")
            return
        self._send(out, messages.hop_by_hop_removed(event.message), route.interface, route.next_hop)

    # --- the local host: senders and receivers (RFC 2205 section 2.10, via events) -------------------

    def _add_sender(self, event: SenderAdded, now: float, out: list[Action]) -> None:
        key = _config_id(event.session)
        if key not in self.sessions and self._dest_port_conflict(key):
            self._drop("sender for a session with conflicting destination ports")
            return
        rid = self.node.config.router_id
        s = self._session(key, _session_object(event.session))
        sender = (rid, event.source_port)
        tspec = intserv.SenderTSpec.from_token_bucket(_token_bucket(event.tspec))
        psb = s.psbs.get(sender)
        if psb is not None and psb.local and psb.tspec == tspec:
            return
        if psb is None or not psb.local:
            psb = s.psbs[sender] = Psb(sender, core.SenderTemplateIPv4(rid, event.source_port), tspec)
        psb.tspec = tspec
        self._update_psb(s, psb, self._routes(s, rid, None) or (), now, out)

    def _request(self, event: ReservationRequested, now: float, out: list[Action]) -> None:
        style = _STYLES.get(event.style)
        if style is None:
            self._drop(f"reservation with unknown style {event.style!r}")
            return
        key = _config_id(event.session)
        s = self._session(key, _session_object(event.session))
        previous = s.receiver
        s.receiver = Receiver(event, style, _flow_spec(event.flowspec))
        if previous is not None:
            s.receiver.confirmations, s.receiver.errors = previous.confirmations, previous.errors
            if previous.style != style:
                for rkey in [k for k in s.rsbs if k[0] is None]:
                    del s.rsbs[rkey]  # a new style replaces the old request entirely
        self._update_local(s)
        self._refresh_resvs(s, now, out)

    def _update_local(self, s: Session) -> bool:
        """Make the local receiver's RSBs match its request and the senders delivered here."""
        desired: dict[RsbKey, frozenset[Sender]] = {}
        receiver = s.receiver
        if receiver is not None:
            other = s.style(local=False)
            if other is not None and other != receiver.style:
                receiver.conflict = f"error {CONFLICTING_STYLE}/{other:#x}: the session already has style " \
                    f"{core.STYLE_NAMES.get(other, other)}"
            else:
                receiver.conflict = None
                chosen = receiver.request.senders
                senders = frozenset(p.sender for p in s.psbs.values() if self._delivered(s)
                                    and (chosen is None or receiver.style == WF or p.sender in chosen))
                if receiver.style == FF:
                    desired = {(None, None, x): frozenset({x}) for x in senders}
                elif senders:
                    desired = {(None, None, None): senders if receiver.style == SE else frozenset()}
        changed = False
        for key in [k for k in s.rsbs if k[0] is None and k not in desired]:
            del s.rsbs[key]
            changed = True
        for key, filters in desired.items():
            old = s.rsbs.get(key)
            assert receiver is not None
            if old is not None and (old.filters, old.spec, old.style) == (filters, receiver.spec, receiver.style):
                continue
            confirm = core.ResvConfirmIPv4(self.node.config.router_id) if receiver.request.confirm else None
            s.rsbs[key] = Rsb(None, None, receiver.style, filters, receiver.spec, confirm)
            changed = True
        return changed

    # --- the snapshot --------------------------------------------------------------------------------

    def _describe(self, s: Session) -> dict[str, Any]:
        style = s.style()
        receiver = s.receiver
        return {
            "destination": str(s.key[0]), "protocol_id": s.key[1], "destination_port": s.key[2],
            "style": core.STYLE_NAMES.get(style) if style is not None else None,
            "senders": [{
                "sender": _name(p.sender), "local": p.local, "previous_hop": _str(p.phop),
                "in_interface": p.in_interface, "out_interfaces": sorted(p.out_interfaces),
                "rate_bps": p.tspec.token_bucket.rate * 8 if getattr(p.tspec, "token_bucket", None) else None,
                "error": p.error,
            } for p in sorted(s.psbs.values(), key=lambda p: _order(p.sender))],
            "reservations": [{
                "next_hop": _str(r.nhop), "interface": r.interface, "style": core.STYLE_NAMES.get(r.style),
                "filters": [_name(x) for x in sorted(r.filters, key=_order)], "flowspec": r.spec.describe(),
            } for _, r in sorted(s.rsbs.items(), key=lambda item: _order(item[0]))],
            "traffic_control": [{
                "interface": interface, "sender": _name(sender) if sender else None,
                "bandwidth_bps": t.spec.bandwidth_bps, "filters": [_name(x) for x in sorted(t.filters, key=_order)],
                "flowspec": t.spec.describe(),
            } for (interface, sender), t in sorted(s.tcsbs.items(), key=lambda item: _order(item[0]))],
            "blockades": [{
                "sender" if kind == "sender" else "previous_hop": _name(what) if kind == "sender" else str(what),
                "flowspec": qb.describe(),
            } for (kind, what), qb in sorted(s.bsbs.items(), key=lambda item: _order(item[0]))],
            "resv_sent_to": [str(k[0]) for k in sorted(s.sent, key=_order)],
            "receiver": None if receiver is None else {
                "style": core.STYLE_NAMES[receiver.style], "flowspec": receiver.spec.describe(),
                "confirmations": receiver.confirmations, "errors": list(receiver.errors),
                "conflict": receiver.conflict,
            },
        }


def _session_id(session: core.SessionIPv4) -> SessionId:
    return (session.destination, session.protocol_id, session.destination_port)


def _config_id(session: IntServSession) -> SessionId:
    return (session.destination, session.protocol_id, session.destination_port)


def _session_object(session: IntServSession) -> core.SessionIPv4:
    return core.SessionIPv4(session.destination, session.protocol_id, 0, session.destination_port)


def _sender(filter_spec: Any) -> Sender:
    return (filter_spec.source, filter_spec.source_port)


def _tc_key(rsb: Rsb) -> TcKey | None:
    if rsb.interface is None:
        return None
    return (rsb.interface, next(iter(rsb.filters)) if rsb.style == FF else None)


def _token_bucket(traffic: TrafficSpec) -> intserv.TokenBucket:
    return intserv.TokenBucket(f32(traffic.rate_bps / 8), f32(traffic.bucket_bytes), f32(traffic.peak_bps / 8),
                               traffic.min_policed_unit, traffic.max_packet_size)


def _flow_spec(request: FlowRequest) -> Spec:
    bucket = _token_bucket(request.traffic)
    if request.guaranteed_rate_bps is None:
        return from_flowspec(intserv.FlowSpec.controlled_load(bucket))
    rspec = intserv.GuaranteedRSpec(f32(max(request.guaranteed_rate_bps / 8, bucket.rate)), request.slack_us)
    return from_flowspec(intserv.FlowSpec.guaranteed(bucket, rspec))


def _name(sender: Sender) -> str:
    return f"{sender[0]}:{sender[1]}"


def _str(address: IPv4Address | None) -> str | None:
    return None if address is None else str(address)


def _order(value: Any) -> tuple[Any, ...]:
    """A total sort key for keys that mix None, addresses, strings, numbers and tuples of them."""
    if value is None:
        return (0,)
    if isinstance(value, IPv4Address):
        return (1, int(value))
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, tuple):
        return (4, tuple(_order(v) for v in value))
    return (3, value)


_HANDLERS = {
    MsgType.PATH: IntServ._path,
    MsgType.RESV: IntServ._resv,
    MsgType.PATH_TEAR: IntServ._path_tear,
    MsgType.RESV_TEAR: IntServ._resv_tear,
    MsgType.PATH_ERR: IntServ._path_err,
    MsgType.RESV_ERR: IntServ._resv_err,
    MsgType.RESV_CONF: IntServ._resv_conf,
}
