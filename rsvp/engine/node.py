"""One RSVP-TE node: events in, actions out, time passed in (sans-IO).

Theory of operation
-------------------
Each LSP a node takes part in is one :class:`~rsvp.engine.state.Lsp` record,
keyed by session and sender, holding its path state (what the previous hop
sent) and its reservation state (what the next hop reserved, the label this
node handed upstream).  The ingress creates the record from a configured
tunnel; transit and egress nodes create it from the first Path.

Path flows downstream: each node processes the ERO (RFC 3209 section 4.3.4),
records itself in the RRO, and forwards.  Path and PathTear are addressed to
the next hop the ERO or routing chose (with Router Alert), not to the tunnel
end point as routers commonly do: the kernel then sends them to that hop
whatever its own route to the end point, and a neighbour takes either (one
addressed beyond it is intercepted by its Router Alert).  The egress
allocates a label and asks for a forwarding entry; when the environment
reports it installed, the Resv goes upstream.  Each transit node that receives a Resv asks admission
control for the bandwidth on its outgoing interface, allocates its own label,
installs the swap and, once installed, passes the Resv on upstream with its
label.  The ingress installs the push and the LSP is up.

Soft state (RFC 2205 section 3.7): Paths are refreshed downstream and Resvs
upstream every R seconds, jittered uniformly in [0.5R, 1.5R].  State a
neighbour stops refreshing expires after L = (K + 0.5) * 1.5 * R, with R taken
from that neighbour's TIME_VALUES.  A refresh that changes nothing only moves
the expiry; a changed one is forwarded at once.  Tears and errors unwind the
same records; an ingress LSP that goes down keeps its reason and is retried
with exponential back-off.  Each LSP's refresh and expiry deadlines are kept
on its record, which is filed once under the earliest of them
(:class:`~rsvp.engine.wakeups.Wakeups`); rarer timers (ingress retries,
Int-serv sessions) live in a heap (:class:`~rsvp.engine.timers.TimerHeap`).

A datagram byte-identical to the last Path or Resv processed for an LSP is a
pure refresh: it is recognised by its hash before any decoding and only
moves the expiry (a 64-bit SipHash with a per-process key: two different
messages from a neighbour collide with probability about 2**-64 per pair).

Admission failure on an outgoing interface preempts reservations of lower
holding priority when that makes room (error 12 both ways); a changed tunnel
is re-signalled make-before-break with the next LSP id, sharing bandwidth
with the old LSP through the SE style.

Classic RSVP sessions (SESSION C-Type 1: FF, SE and WF styles, merging,
blockade state, ResvConf) are handled by :mod:`rsvp.engine.intserv`, which
shares this node's timers, admission and sending.

Datagrams pass the receive guards of :mod:`rsvp.engine.inbox` (receive
budgets, RFC 2747 integrity) before anything is decoded, and everything sent
goes through :mod:`rsvp.engine.outbox` (piggy-backed acks, signing, bundling,
pacing).  Hello (RFC 3209 section 5) and refresh reduction (RFC 2961: MESSAGE_ID
with reliable delivery, Srefresh instead of per-LSP refreshes, NACK and epoch)
are wired in by :mod:`rsvp.engine.neighbors`.

Not handled: IPv6 and point-to-multipoint (RFC 4875) sessions, whose Paths are
answered with PathErr 14, Unknown object C-Type (RFC 2205 section 3.10).
"""

from __future__ import annotations

import collections
import functools
import math
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from rsvp.wire import (
    MalformedMessage,
    Message,
    MsgType,
    UnknownObject,
    UnknownRule,
    decode,
    encode,
    validate,
)
from rsvp.wire.message import type_name
from rsvp.wire.model import ClassNum as C
from rsvp.wire.model import unknown_rule
from rsvp.wire.objects import intserv, routes, te
from rsvp.wire.objects.core import SessionIPv4

from . import intserv as intserv_sessions  # RFC 2205 IPv4 (Int-serv) sessions
from . import messages
from .actions import Action, InstallLabel, RemoveLabel
from .admission import Admission, BandwidthPolicy, Request
from .config import NodeConfig, Tunnel, lifetime_s
from .ero import (
    LABEL_ALLOCATION_FAILURE,
    NO_ROUTE,
    ROUTING_LOOP,
    ROUTING_PROBLEM,
    EroError,
    next_hop,
)
from .events import (
    Event,
    LabelInstalled,
    LabelInstallFailed,
    LinkDown,
    LinkUp,
    MessageReceived,
    PacketReceived,
    ShutdownRequested,
    TunnelAdded,
    TunnelRemoved,
)
from .flowspecs import Spec, controlled_load
from .integrity import payload_offset
from .labels import LabelsExhausted, LabelSpace
from .neighbors import Neighbors
from .routing import Routes
from .state import NEVER, IngressLsp, Lsp, LspKey, SessionKey
from .timers import TimerHeap
from .wakeups import Wakeups

if TYPE_CHECKING:  # the engine is handed its randomness; it never imports a source of it
    import random

L3PID_IPV4 = 0x0800
SERVICE_PREEMPTED = 12  # error code (RFC 2205 appendix B)
RSVP_SYSTEM_ERROR = 23  # error code (RFC 2205 appendix B; value implementation-specific)
TRAFFIC_CONTROL_ERROR, BAD_TSPEC = 21, 4  # RFC 2205 appendix B
UNKNOWN_CLASS, UNKNOWN_C_TYPE = 13, 14  # error codes for objects this node does not implement (RFC 2205 3.10)
NOTIFY_ERROR = 25  # error code of news that changes no state (RFC 3209 section 7)
UNSUPPORTED_L3PID = 10  # Routing Problem values (RFC 3209 section 7.3)
UNACCEPTABLE_LABEL = 6
NON_RSVP_HOP = "Path across a non-RSVP hop"  # counter (RFC 2205 section 3.8)


class Node(Neighbors):
    """An RSVP-TE node.  ``handle`` and ``on_timer`` return the actions to carry out."""

    def __init__(self, config: NodeConfig, routes: Routes, rng: random.Random,
                 admission: Admission | None = None) -> None:
        self.config = config
        self.routes = routes
        self.rng = rng
        self.admission = admission if admission is not None else BandwidthPolicy(config.interfaces)
        self.labels = LabelSpace(*config.label_range)
        self.lsps: dict[LspKey, Lsp] = {}
        self.tunnels: dict[str, LspKey] = {}
        self._replacing: dict[str, LspKey] = {}  # tunnel name -> the LSP a make-before-break replaces
        self._by_handle: dict[int, Lsp] = {}
        self._next_handle = 1
        self._timers = TimerHeap()  # ingress retries and Int-serv sessions
        self._wakeups = Wakeups()  # LSP records, by their earliest refresh or expiry deadline
        self._seen: dict[int, Lsp] = {}  # hash of the last Path / Resv datagram processed -> its LSP
        self._arriving: int | None = None  # hash of the datagram being processed (None: given decoded)
        self._lifetimes: dict[int, float] = {}
        self._local = (config.router_id, *(i.address for i in config.interfaces))
        self.counters: collections.Counter[str] = collections.Counter()  # by message type; drops by reason
        self.neighbors: collections.defaultdict[int, collections.Counter[str]] = \
            collections.defaultdict(collections.Counter)  # per neighbour address, by message type
        self.intserv = intserv_sessions.IntServ(self)
        self._now = 0.0  # the time of the event being handled
        self.shutting_down = False  # after ShutdownRequested: everything torn down, new Paths refused
        self._setup_neighbors(config, rng)

    # --- the sans-IO interface ---------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Action]:
        out: list[Action] = []
        self._now = now
        if isinstance(event, PacketReceived):
            self._packet(event, now, out)
        elif isinstance(event, MessageReceived):
            self._received(event, now, out)
        elif isinstance(event, TunnelAdded):
            self._add_tunnel(event.tunnel, now, out)
        elif isinstance(event, TunnelRemoved):
            self._remove_tunnel(event.name, out)
        elif isinstance(event, LabelInstalled):
            self._installed(event.handle, now, out)
        elif isinstance(event, LabelInstallFailed):
            self._install_failed(event, now, out)
        elif isinstance(event, LinkDown):
            self._link_down(event.interface, now, out)
        elif isinstance(event, LinkUp):
            self.counters["link up"] += 1
        elif isinstance(event, ShutdownRequested):
            self._shut_down(now, out)
        elif isinstance(event, intserv_sessions.EVENTS):
            self.intserv.handle(event, now, out)
        self.outbox.flush(now, out)
        return out

    def next_deadline(self) -> float | None:
        deadlines = [d for d in (self._timers.next_deadline(), self._wakeups.next_deadline(),
                                 *self._neighbor_deadlines()) if d is not None]
        return min(deadlines) if deadlines else None

    def on_timer(self, now: float) -> list[Action]:
        out: list[Action] = []
        self._now = now
        self._neighbors_due(now, out)
        for lsp in self._wakeups.pop_due(now):
            self._wake(lsp, now, out)
        for kind, key in self._timers.pop_due(now):
            if kind == "retry":
                tunnel_key = self.tunnels.get(key)
                lsp = self.lsps.get(tunnel_key) if tunnel_key else None
                if lsp is not None and not lsp.up:
                    self._signal_ingress(lsp, now, out)
            else:
                self.intserv.on_timer(kind, key, now, out)
        self.outbox.flush(now, out)
        return out

    def snapshot(self) -> dict[str, Any]:
        return {
            "router_id": str(self.config.router_id),
            "lsps": [self._describe(lsp) for lsp in self.lsps.values()],
            "psb_count": len(self.lsps),
            "rsb_count": sum(1 for lsp in self.lsps.values()
                             if lsp.out_label is not None or (lsp.role == "egress" and lsp.installed)),
            "labels_in_use": len(self.labels.in_use),
            "counters": dict(sorted(self.counters.items())),
            "neighbors": {str(IPv4Address(a)): dict(sorted(c.items())) for a, c in sorted(self.neighbors.items())},
            "sessions": self.intserv.snapshot(),
            **self._neighbors_snapshot(),
        }

    def lsp_states(self) -> dict[LspKey, tuple[bool, str | None, str | None]]:
        """Each LSP's (up, reason, notice) as :meth:`snapshot` describes it, without describing every LSP
        (the daemon compares these every second to log what changed; :meth:`describe` the ones that did)."""
        return {key: (*_state(lsp), lsp.notice if type(lsp) is IngressLsp else None)
                for key, lsp in self.lsps.items()}

    def describe(self, key: LspKey) -> dict[str, Any] | None:
        """One LSP as :meth:`snapshot` lists it (None: no such LSP)."""
        lsp = self.lsps.get(key)
        return None if lsp is None else self._describe(lsp)

    # --- timers and sending ------------------------------------------------------------

    def _jittered(self, now: float) -> float:
        """Next refresh: uniformly in [0.5R, 1.5R] (RFC 2205 section 3.7)."""
        return now + self.config.refresh_s * self.rng.uniform(0.5, 1.5)

    def _file(self, lsp: Lsp) -> None:
        """Make sure ``lsp`` surfaces by its earliest deadline (a later one needs no filing: the
        record surfaces early, finds nothing due and is filed again)."""
        deadline = lsp.next_wake
        if deadline < lsp.wake:
            lsp.wake = deadline
            self._wakeups.add(lsp, deadline)

    def _wake(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        """Run whatever of an LSP's refreshes and expiries is due (RFC 2205 section 3.7)."""
        if lsp.wake > now or self.lsps.get(lsp.key) is not lsp:
            return  # a stale filing (the record is filed under a later deadline too), or a record gone
        lsp.wake = NEVER
        if lsp.path_expires_at <= now and not self._summary_kept(lsp, now, path=True):
            self.counters["path state timed out"] += 1
            self._path_gone(lsp, now, out)
            return
        if lsp.resv_expires_at <= now and not self._summary_kept(lsp, now, path=False):
            self.counters["reservation timed out"] += 1
            self._reservation_gone(lsp, "reservation timed out", now, out)
        if lsp.path_refresh_at <= now:
            self._refresh_path(lsp, now, out)
        if lsp.resv_refresh_at <= now:
            self._refresh_resv(lsp, now, out)
        if self.lsps.get(lsp.key) is lsp:
            self._file(lsp)

    def _keep_path(self, lsp: Lsp, now: float) -> None:
        """Path state lives another L (a refresh costs an assignment, not a filing)."""
        lsp.path_expires_at = now + lsp.path_lifetime_s
        self._file(lsp)

    def _keep_resv(self, lsp: Lsp, now: float) -> None:
        lsp.resv_expires_at = now + lsp.resv_lifetime_s
        self._file(lsp)

    def _note(self, lsp: Lsp, field: str) -> None:
        """Remember the hash of the datagram being processed as the last Path (``field`` "path_seen")
        or Resv ("resv_seen") of ``lsp``, so that the same bytes again are a pure refresh;
        forget it when the message was given decoded (no bytes to recognise)."""
        old = getattr(lsp, field)
        if old is not None and self._seen.get(old) is lsp:
            del self._seen[old]
        digest = self._arriving
        setattr(lsp, field, digest)
        if digest is not None:
            self._seen[digest] = lsp

    def _forget(self, lsp: Lsp, field: str) -> None:
        old = getattr(lsp, field)
        if old is not None:
            if self._seen.get(old) is lsp:
                del self._seen[old]
            setattr(lsp, field, None)

    def _send(self, out: list[Action], message: Message, interface: str, destination: IPv4Address,
              message_id: Any = None) -> bytes:
        """Encode and send ``message`` (with ``message_id``, a MESSAGE_ID, put before its objects, if
        given); returns the bytes (kept for refreshes)."""
        if self.reliable is not None or message_id is not None:  # one new Message, not a replace() per change
            message = Message.build(  # type: ignore[attr-defined]
                message.msg_type, message.objects if message_id is None else (message_id, *message.objects),
                message.sub_messages,
                self.reliable.flags if self.reliable is not None else message.flags,  # RFC 2961 section 2
                message.send_ttl, message.send_checksum, message.reserved)
        data = encode(message)
        self._resend(data, interface, destination)
        return data

    def _trigger(self, out: list[Action], message: Message, interface: str, destination: IPv4Address,
                 key: LspKey | None, replaces: int | None) -> tuple[bytes, int | None]:
        """Send a trigger message about LSP ``key``, with a MESSAGE_ID asking for an ACK when the neighbour
        speaks refresh reduction (RFC 2961 section 4); the id it replaces stops being refreshed.
        ``key`` None: the message is about no state this node refreshes (an error).
        Returns the bytes and the Message_Identifier (None: refreshed the standard way)."""
        reliable = self.reliable
        if reliable is None:
            return self._send(out, message, interface, destination), None
        if replaces is not None:
            reliable.withdraw(destination, replaces)
        mid = reliable.trigger(message.msg_type, destination, key, self._now)
        data = self._send(out, message, interface, destination, mid)
        if mid is None:
            return data, None
        reliable.sent(destination, mid, data, self._now)
        return data, mid.message_id

    def _resend(self, data: bytes, interface: str, destination: IPv4Address,
                refresh: bool = False) -> None:
        """Hand encoded bytes to the outbox (which acks, signs, bundles and paces them) and count them."""
        msg_type = data[1]
        self.outbox.send(data, interface, destination, self._now, msg_type in _ROUTER_ALERT, refresh)
        name = "sent " + type_name(msg_type)
        self.counters[name] += 1
        self.neighbors[int(destination)][name] += 1

    def _lifetime(self, refresh_ms: int) -> float:
        """L for a neighbour's R (RFC 2205 section 3.7); one float per R, shared by every LSP using it."""
        lifetime = self._lifetimes.get(refresh_ms)
        if lifetime is None:
            lifetime = self._lifetimes[refresh_ms] = lifetime_s(refresh_ms / 1000, self.config.keep_multiplier)
        return lifetime

    def _address(self, interface: str) -> IPv4Address:
        return self.config.interface(interface).address

    @property
    def _refresh_ms(self) -> int:
        return int(self.config.refresh_s * 1000)

    # --- ingress ---------------------------------------------------------------------------

    def _add_tunnel(self, tunnel: Tunnel, now: float, out: list[Action]) -> None:
        """Set up a tunnel; a changed one is re-signalled make-before-break (RFC 3209 section 2.5).

        The new LSP keeps the session and takes the next LSP id, so with SE style
        it shares bandwidth with the old one on common links; the old LSP is torn
        down once the new one is up.
        """
        rid = self.config.router_id
        current = self.lsps.get(self.tunnels.get(tunnel.name))  # type: ignore[arg-type]
        lsp_id = 1
        if current is not None:
            if current.tunnel == tunnel:
                return
            same_session = (current.key.session.end_point, current.key.session.tunnel_id) == \
                (int(tunnel.destination), tunnel.tunnel_id)
            if same_session and current.up:
                lsp_id = current.key.lsp_id % 0xFFFF + 1
                self._remove_ingress(self._replacing.pop(tunnel.name, None), out)
                self._replacing[tunnel.name] = current.key
            else:
                self._remove_tunnel(tunnel.name, out)
        key = LspKey(SessionKey(int(tunnel.destination), tunnel.tunnel_id, int(rid)), int(rid), lsp_id)
        rate = tunnel.bandwidth_bps / 8  # Int-serv rates are bytes per second (RFC 2210)
        flags = 0x04 | (messages.LABEL_RECORDING if tunnel.record_route else 0)
        lsp = IngressLsp(key, "ingress", tunnel=tunnel,
                         tspec=intserv.SenderTSpec.from_token_bucket(intserv.TokenBucket(rate, rate, rate, 0, 1500)),
                         label_request=te.LabelRequest(L3PID_IPV4),
                         attribute=te.SessionAttribute(tunnel.setup_priority, tunnel.hold_priority, flags,
                                                       tunnel.name))
        self.lsps[key] = lsp
        self.tunnels[tunnel.name] = key
        self._signal_ingress(lsp, now, out)

    def _signal_ingress(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        tunnel = lsp.tunnel
        assert tunnel is not None
        ero = tuple(routes.EroIPv4Prefix(h.address, h.prefix_length, h.loose) for h in tunnel.ero) or None
        hop = next_hop(ero, tunnel.destination, self.routes, self.config.is_local, self._local, received=False)
        if isinstance(hop, EroError):
            self._ingress_down(lsp, f"routing problem 24/{hop.value}: {hop.reason}", now, out)
            return
        lsp.out_interface, lsp.next_hop, lsp.ero_out = hop.route.interface, hop.route.next_hop, hop.ero
        self._send_path(lsp, now, out)  # the last failure's reason stays until the LSP is up

    def _ingress_down(self, lsp: Lsp, reason: str, now: float, out: list[Action]) -> None:
        """Tear what is downstream, keep the reason, retry with back-off."""
        self._tear_downstream(lsp, out)
        self._unreserve(lsp, out)
        lsp.up, lsp.reason, lsp.out_label, lsp.path_data = False, reason, None, b""
        lsp.path_refresh_at = NEVER
        config = self.config
        lsp.retry_s = min(config.retry_max_s, lsp.retry_s * 2 if lsp.retry_s else config.retry_initial_s)
        self._timers.schedule(("retry", lsp.tunnel.name), now + lsp.retry_s)  # type: ignore[union-attr]
        self.counters["ingress LSP down"] += 1

    def _remove_tunnel(self, name: str, out: list[Action]) -> None:
        key = self.tunnels.pop(name, None)
        if key is None:
            self.counters["drop: remove of unknown tunnel"] += 1
            return
        self._remove_ingress(key, out)
        self._remove_ingress(self._replacing.pop(name, None), out)
        self._timers.cancel(("retry", name))

    def _remove_ingress(self, key: LspKey | None, out: list[Action]) -> None:
        """Tear down one ingress LSP and forget it."""
        lsp = self.lsps.pop(key, None) if key is not None else None
        if lsp is None:
            return
        self._tear_downstream(lsp, out)
        self._unreserve(lsp, out)
        self._forget(lsp, "path_seen")

    # --- receiving -------------------------------------------------------------------------

    def _packet(self, event: PacketReceived, now: float, out: list[Action]) -> None:
        """Guards first (budget, integrity), then refresh recognition by the bytes after any INTEGRITY
        (they change every transmission), then decoding."""
        data = event.data
        offset = payload_offset(data)
        payload = data if offset == 8 else data[offset:]
        digest = hash(payload)
        lsp = self._seen.get(digest)
        admitted, reply = self.inbox.admit(data, lsp is not None, event.interface, event.source, now)
        if reply is not None:
            self.outbox.send(reply, event.interface, event.source, now)
        if not admitted:
            return
        if lsp is not None and self._refreshed(lsp, digest, event, now):
            return
        if data[1] == MsgType.SREFRESH and self._repeated_srefresh(event, payload, now):
            return
        try:
            message = decode(data)
        except MalformedMessage as exc:
            self.counters[f"drop: undecodable: {exc.reason}"] += 1
            return
        self._message(message, event, payload, digest, now, out)

    def _refreshed(self, lsp: Lsp, digest: int, event: PacketReceived, now: float) -> bool:
        """The very bytes of the last Path or Resv processed for ``lsp``, on the same interface (and,
        for a Path, with the routing table unchanged): only the expiry moves (RFC 2205 section 3.7)."""
        if lsp.path_seen == digest:
            if lsp.in_interface != event.interface or lsp.routes_version != getattr(self.routes, "version", None):
                return False
            if event.ip_ttl is not None and (event.ip_ttl != event.data[4]) != lsp.non_rsvp_hop:
                return False  # a non-RSVP hop appeared or went (data[4]: the Send_TTL): processed in full
            if lsp.non_rsvp_hop:
                self.counters[NON_RSVP_HOP] += 1
            self._keep_path(lsp, now)
            name, refresh = "received PATH", "Path refresh"
        elif lsp.resv_seen == digest and lsp.out_interface == event.interface:
            self._keep_resv(lsp, now)
            name, refresh = "received RESV", "Resv refresh"
        else:
            return False
        self.counters[name] += 1
        self.counters[refresh] += 1
        self.neighbors[int(event.source)][name] += 1
        return True

    def _received(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        message = event.message
        name = message.name
        self.counters["received " + name] += 1
        self.neighbors[int(event.source)]["received " + name] += 1
        try:
            validate(message)
        except MalformedMessage as exc:
            self._rejected(event, exc, out)
            return
        session = message.find(C.SESSION)
        if type(session) is SessionIPv4:  # RFC 2205 IPv4 session (C-Type 1), ResvConf included
            self.intserv.received(event, now, out)
            self._ack_unkept(event, now)
            return
        if message.msg_type in _SESSION_MESSAGES and not isinstance(session, te.SessionLspTunnelIPv4):
            if message.msg_type == MsgType.PATH:  # e.g. a P2MP (RFC 4875) or IPv6 LSP: its head learns we cannot
                self._refuse_path(event, UNKNOWN_C_TYPE, session.class_num << 8 | session.c_type, out)
            self.counters["drop: session type not supported"] += 1
            return
        handler = _HANDLERS.get(message.msg_type)
        if handler is None:
            self.counters[f"drop: {message.name} not supported"] += 1
            return
        handler(self, event, now, out)

    def _rejected(self, event: MessageReceived, exc: MalformedMessage, out: list[Action]) -> None:
        """Unknown class/C-Type is answered (RFC 2205 section 3.10); other faults are dropped and counted."""
        message = event.message
        if exc.error_code in (UNKNOWN_CLASS, UNKNOWN_C_TYPE) and message.find(C.SESSION) is not None \
                and message.msg_type == MsgType.PATH:
            self._refuse_path(event, exc.error_code, exc.error_value or 0, out)
        self.counters[f"drop: {exc.reason}"] += 1

    def _refuse_path(self, event: MessageReceived, code: int, value: int, out: list[Action]) -> None:
        """PathErr ``code``/``value`` for a Path refused as a whole, from its own SESSION and sender objects."""
        message = event.message
        self._path_error(message.find(C.SESSION), message.find(C.SENDER_TEMPLATE), message.find(C.SENDER_TSPEC),
                         event, code, value, out)

    def _path(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        if self.shutting_down:  # state made now would be left behind on the next hops
            self.counters["drop: Path while shutting down"] += 1
            return
        message = event.message
        first = message.firsts()
        session, sender = first[C.SESSION], first.get(C.SENDER_TEMPLATE)
        if not isinstance(sender, te.SenderTemplateLspTunnelIPv4):
            self.counters["drop: Path sender not LSP_TUNNEL_IPv4"] += 1
            return
        key = _key(session, sender)
        hop = first[C.RSVP_HOP]
        tspec, label_request = first.get(C.SENDER_TSPEC), first.get(C.LABEL_REQUEST)
        attribute = first.get(C.SESSION_ATTRIBUTE)
        forward, refused_object = _passed_on(message.objects, _PATH_CLASSES)
        if refused_object is not None:
            self._path_error(session, sender, tspec, event, UNKNOWN_CLASS,
                             refused_object.class_num << 8 | refused_object.c_type, out)
            self.counters[f"drop: Path with object class {refused_object.class_num} not implemented"] += 1
            return
        ero_in = first.get(C.EXPLICIT_ROUTE)
        adspec = first.get(C.ADSPEC)
        # RFC 2205 section 3.8: an IP TTL other than the Send_TTL it was sent with means hops that did not
        # intercept the Path (a non-RSVP cloud) lie between the previous RSVP hop and this node
        non_rsvp = event.ip_ttl is not None and event.ip_ttl != message.send_ttl
        rro = first.get(C.RECORD_ROUTE)
        rro_in = rro.subobjects if rro is not None else None
        if rro_in is not None and any(getattr(s, "address", None) in self._local for s in rro_in):
            self._path_error(session, sender, tspec, event, ROUTING_PROBLEM, ROUTING_LOOP, out)
            return
        lsp = self.lsps.get(key)
        if lsp is not None and lsp.role == "ingress":
            self.counters["drop: Path for our own LSP"] += 1
            return
        mid = first.get(C.MESSAGE_ID)
        if mid is not None and not self._fresh_id(event, mid, lsp.path_mid_in if lsp else None, now):
            return
        refused = _unusable_path(tspec, label_request)
        if refused is not None:
            self._path_error(session, sender, tspec, event, *refused, out)
            return
        if self.config.is_local(session.tunnel_end_point):
            role, route_out = "egress", None
        else:
            role = "transit"
            route_out = next_hop(ero_in.subobjects if ero_in is not None else None, session.tunnel_end_point,
                                 self.routes, self.config.is_local, self._local, received=ero_in is not None)
            if isinstance(route_out, EroError):
                self._path_error(session, sender, tspec, event, ROUTING_PROBLEM, route_out.value, out)
                return
            if route_out.route.interface == event.interface:
                self.counters["drop: Path would leave on the interface it arrived on"] += 1
                return
        changed = (
            lsp is None or lsp.tspec != tspec
            or lsp.label_request != label_request or lsp.attribute != attribute
            or lsp.forward != forward or lsp.phop != hop.address
            or lsp.in_interface != event.interface or lsp.rro_in != rro_in
            or lsp.adspec != adspec or lsp.non_rsvp_hop != non_rsvp
            or (route_out is not None and (lsp.ero_out != route_out.ero or lsp.next_hop != route_out.route.next_hop))
        )
        if lsp is None:
            if self.limits is not None:
                rejected = self.limits.allow_new(hop.address)
                if rejected is not None:
                    self.counters["state limit reached"] += 1
                    self._path_error(session, sender, tspec, event, rejected.error_code, rejected.error_value, out)
                    return
                self.limits.added(hop.address)
            lsp = self.lsps[key] = Lsp(key, role, phop=hop.address)
        elif self.limits is not None:
            self.limits.moved(lsp.phop, hop.address)
        if mid is not None:
            lsp.path_mid_in = self._install_id(event, mid, lsp.path_mid_in)
        lsp.path_lifetime_s = self._lifetime(first[C.TIME_VALUES].refresh_period_ms)
        self._keep_path(lsp, now)
        self._note(lsp, "path_seen")
        lsp.routes_version = getattr(self.routes, "version", None)
        if non_rsvp:
            self.counters[NON_RSVP_HOP] += 1
        if not changed:
            self.counters["Path refresh"] += 1
            return
        lsp.tspec, lsp.label_request, lsp.attribute = tspec, label_request, attribute
        lsp.adspec, lsp.non_rsvp_hop = adspec, non_rsvp
        lsp.forward, lsp.phop, lsp.in_interface, lsp.rro_in = forward, hop.address, event.interface, rro_in
        if route_out is not None:
            if lsp.out_interface not in (None, route_out.route.interface):
                self._unreserve(lsp, out)
            lsp.out_interface, lsp.next_hop, lsp.ero_out = route_out.route.interface, route_out.route.next_hop, \
                route_out.ero
            self._send_path(lsp, now, out)
        elif not lsp.installed and lsp.handle is None:
            self._reserve_egress(lsp, out)
            if lsp.handle is None:
                self._forget(lsp, "path_seen")  # no label: let the next refresh try again
        elif lsp.installed:
            self._send_resv(lsp, now, out)

    def _send_path(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        address = self._address(lsp.out_interface)  # type: ignore[arg-type]
        rro = None
        if lsp.role == "ingress":
            rro = (routes.RroIPv4(address),) if lsp.tunnel.record_route else None  # type: ignore[union-attr]
        elif lsp.rro_in is not None:
            rro = (routes.RroIPv4(address), *lsp.rro_in)
        lsp.path_data, lsp.path_mid_out = self._trigger(
            out, messages.path(lsp, address, self._refresh_ms, rro), lsp.out_interface,  # type: ignore[arg-type]
            lsp.next_hop, lsp.key, lsp.path_mid_out)  # type: ignore[arg-type]
        lsp.path_refresh_at = self._jittered(now) if lsp.path_mid_out is None else NEVER  # Srefresh does it
        self._file(lsp)

    def _refresh_path(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        lsp.path_refresh_at = NEVER
        if lsp.path_data:
            self._resend(lsp.path_data, lsp.out_interface, lsp.next_hop, refresh=True)  # type: ignore[arg-type]
            lsp.path_refresh_at = self._jittered(now)

    def _send_error(self, out: list[Action], message: Message, interface: str, destination: IPv4Address) -> None:
        """Send a PathErr or ResvErr, made or passed on, as a trigger (RFC 2961 section 4): to a capable
        neighbour with a MESSAGE_ID asking for an ACK, resent (the same bytes) until acknowledged or
        given up (section 6.3); never summarised by Srefresh (it is no state).  Its state key is None:
        an error is about no state this node refreshes, even before any exists (:meth:`_path_error`),
        so its Retransmit and DeliveryFailed touch no LSP."""
        self._trigger(out, message, interface, destination, None, None)

    def _path_error(self, session: Any, sender: Any, tspec: Any, event: MessageReceived, code: int, value: int,
                    out: list[Action]) -> None:
        """PathErr back to where a Path came from, before any state exists for it."""
        node = self._address(event.interface)
        self._send_error(out, messages.path_err(session, sender, tspec, node, code, value), event.interface,
                         event.source)
        self.counters[f"PathErr {code}/{value} sent"] += 1

    def _resv_err_downstream(self, lsp: Lsp, code: int, value: int, out: list[Action]) -> None:
        """ResvErr toward the receiver for the reservation of a transit LSP (RFC 2205 section 3.5)."""
        node = self._address(lsp.out_interface)  # type: ignore[arg-type]
        self._send_error(out, messages.resv_err(lsp, node, node, code, value),
                         lsp.out_interface, lsp.next_hop)  # type: ignore[arg-type]
        self.counters[f"ResvErr {code}/{value} sent"] += 1

    def _error_upstream(self, lsp: Lsp, code: int, value: int, out: list[Action]) -> None:
        """PathErr to the previous hop of an LSP this node holds state for."""
        node = self._address(lsp.in_interface)  # type: ignore[arg-type]
        self._send_error(out, messages.path_err(lsp.session, lsp.sender, lsp.tspec, node, code, value),
                         lsp.in_interface, lsp.phop)  # type: ignore[arg-type]
        self.counters[f"PathErr {code}/{value} sent"] += 1

    def _resv(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        message = event.message
        first = message.firsts()
        session = first[C.SESSION]
        label = first.get(C.LABEL)
        refresh_ms = first[C.TIME_VALUES].refresh_period_ms
        rro = first.get(C.RECORD_ROUTE)
        forward, _ = _passed_on(message.objects, _RESV_CLASSES)  # nothing in a Resv refuses it
        flows = [o for o in message.objects if isinstance(o, te.FilterSpecLspTunnelIPv4)]
        mid = first.get(C.MESSAGE_ID)
        for flow in flows:
            lsp = self.lsps.get(LspKey(_session_key(session), int(flow.tunnel_sender), flow.lsp_id))
            if lsp is None or lsp.role == "egress" or lsp.out_interface != event.interface or not lsp.path_data:
                self.counters["drop: Resv without matching path state"] += 1  # or for an LSP awaiting retry
                continue
            if mid is not None and not self._fresh_id(event, mid, lsp.resv_mid_in, now):
                continue
            if not isinstance(label, te.Label):
                self.counters["drop: Resv without an MPLS LABEL"] += 1
                continue
            if label.label >= 1 << 20:  # not a 20-bit MPLS label (RFC 3032): 24/6 Unacceptable label value
                self._resv_err_downstream(lsp, ROUTING_PROBLEM, UNACCEPTABLE_LABEL, out)
                continue
            lsp.resv_lifetime_s = self._lifetime(refresh_ms)
            self._keep_resv(lsp, now)
            if mid is not None:
                lsp.resv_mid_in = self._install_id(event, mid, lsp.resv_mid_in)
            resv_rro = rro.subobjects if rro is not None else ()
            if lsp.out_label == label.label and lsp.resv_rro == resv_rro and lsp.resv_forward == forward \
                    and (lsp.installed or lsp.handle):
                self.counters["Resv refresh"] += 1
                continue
            lsp.out_label, lsp.resv_rro, lsp.resv_forward = label.label, resv_rro, forward
            self._reserve(lsp, now, out)
            if lsp.handle is not None and len(flows) == 1:
                self._note(lsp, "resv_seen")  # admitted: the same bytes again need none of this

    def _reserve(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        """Admission on the outgoing interface, then a label and the forwarding entry (transit, ingress)."""
        share = lsp.key.session if lsp.shared else None  # SE: the session's senders share (RFC 2205 1.2)
        bucket = lsp.tspec.token_bucket
        request = Request(lsp.key, lsp.out_interface, lsp.bandwidth_bps,  # type: ignore[arg-type]
                          *self._priorities(lsp), share_key=share, spec=_spec(bucket) if bucket else None)
        rejected = self.admission.admit(request)
        if rejected is not None:
            victims = self.admission.preemptable(request)
            for key in victims:
                self._preempt(self.lsps[key], now, out)  # type: ignore[index]
            if victims:
                rejected = self.admission.admit(request)
        if rejected is not None:
            self.counters["admission rejected"] += 1
            if lsp.role == "ingress":
                self._ingress_down(lsp, f"admission failed {rejected.error_code}/{rejected.error_value}: "
                                   f"{rejected.reason}", now, out)
                return
            self._resv_err_downstream(lsp, rejected.error_code, rejected.error_value, out)
            self._error_upstream(lsp, rejected.error_code, rejected.error_value, out)
            lsp.out_label = None
            return
        lsp.admitted = True
        if lsp.role == "transit" and lsp.in_label is None:
            try:
                lsp.in_label = self.labels.allocate()
            except LabelsExhausted:
                self._release_admission(lsp)
                self._error_upstream(lsp, ROUTING_PROBLEM, LABEL_ALLOCATION_FAILURE, out)
                return
        self._install(lsp, out)

    def _preempt(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        """Give a lower-priority LSP's bandwidth to a higher one: error 12 "Service preempted"
        upstream and downstream (RFC 2205 appendix B), reservation and label released here."""
        self.counters["preempted"] += 1
        if lsp.role == "ingress":
            self._ingress_down(lsp, "preempted by a higher-priority LSP", now, out)
            return
        self._fail_transit(lsp, SERVICE_PREEMPTED, 0, out)

    def _fail_transit(self, lsp: Lsp, code: int, value: int, out: list[Action]) -> None:
        """A transit LSP's reservation is undone here: ResvErr toward the receiver, PathErr toward the
        head, reservation and label released."""
        self._resv_err_downstream(lsp, code, value, out)
        self._error_upstream(lsp, code, value, out)
        self._unreserve(lsp, out)
        lsp.out_label, lsp.resv_rro = None, ()

    def _priorities(self, lsp: Lsp) -> tuple[int, int]:
        attribute = lsp.attribute
        return (attribute.setup_priority, attribute.holding_priority) if attribute is not None else (7, 0)

    def _reserve_egress(self, lsp: Lsp, out: list[Action]) -> None:
        try:
            lsp.in_label = self.labels.allocate()
        except LabelsExhausted:
            self._error_upstream(lsp, ROUTING_PROBLEM, LABEL_ALLOCATION_FAILURE, out)
            return
        self._install(lsp, out)

    def _install(self, lsp: Lsp, out: list[Action]) -> None:
        if lsp.handle is not None:
            out.append(RemoveLabel(lsp.handle))
            self._by_handle.pop(lsp.handle, None)
        handle, self._next_handle = self._next_handle, self._next_handle + 1
        lsp.handle, lsp.installed = handle, False
        self._by_handle[handle] = lsp
        out.append(InstallLabel(handle, lsp.in_label, lsp.out_label if lsp.role != "egress" else None,
                                lsp.out_interface, lsp.next_hop, lsp.bandwidth_bps, lsp.key, lsp.in_interface))

    def _installed(self, handle: int, now: float, out: list[Action]) -> None:
        lsp = self._by_handle.get(handle)
        if lsp is None:
            self.counters["drop: install answer for a gone entry"] += 1
            return
        lsp.installed = True
        if lsp.role == "ingress":
            lsp.up, lsp.reason, lsp.retry_s = True, None, 0.0
            self.counters["ingress LSP up"] += 1
            name = lsp.tunnel.name  # type: ignore[union-attr]
            if self.tunnels.get(name) == lsp.key:  # make-before-break: the new LSP is up, retire the old
                self._remove_ingress(self._replacing.pop(name, None), out)
            return
        self._send_resv(lsp, now, out)

    def _install_failed(self, event: LabelInstallFailed, now: float, out: list[Action]) -> None:
        """The data plane could not realise the reservation (a routelet, a forwarding entry).

        RFC 2205 section 3.5 / appendix B: the reservation fails with the
        event's Traffic Control error (21/x, 22/x), reported in a ResvErr
        toward the receiver and, so the head learns at once rather than by
        the missing Resv, a PathErr toward the sender; whatever the node held
        for it (admission, label) is released and a later Resv tries again.
        """
        lsp = self._by_handle.pop(event.handle, None)
        if lsp is None:
            return
        lsp.handle = None
        self.counters["label install failed"] += 1
        code, value = event.error_code, event.error_value
        if lsp.role == "ingress":
            self._ingress_down(lsp, f"install failed {code}/{value}: {event.reason}", now, out)
            return
        if lsp.role == "transit":
            self._fail_transit(lsp, code, value, out)
            return
        self._error_upstream(lsp, code, value, out)
        self._unreserve(lsp, out)

    def _send_resv(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        address = self._address(lsp.in_interface)  # type: ignore[arg-type]
        rro = None
        if lsp.rro_in is not None or lsp.role == "egress":
            # one label space for every interface, so the label is global (RFC 3209 section 4.4.1.3)
            own = (routes.RroIPv4(address),
                   routes.RroLabel(lsp.in_label, flags=routes.RroLabelFlags.GLOBAL_LABEL))  # type: ignore[arg-type]
            rro = own + tuple(lsp.resv_rro)
        lsp.resv_data, lsp.resv_mid_out = self._trigger(
            out, messages.resv(lsp, address, self._refresh_ms, rro), lsp.in_interface,  # type: ignore[arg-type]
            lsp.phop, lsp.key, lsp.resv_mid_out)  # type: ignore[arg-type]
        lsp.resv_refresh_at = self._jittered(now) if lsp.resv_mid_out is None else NEVER
        self._file(lsp)

    def _refresh_resv(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        lsp.resv_refresh_at = NEVER
        if lsp.resv_data and lsp.installed:
            self._resend(lsp.resv_data, lsp.in_interface, lsp.phop, refresh=True)  # type: ignore[arg-type]
            lsp.resv_refresh_at = self._jittered(now)

    def _path_tear(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        lsp = self._lsp_of(event.message)
        if lsp is None or lsp.role == "ingress" or lsp.in_interface != event.interface:
            self.counters["drop: PathTear without matching path state"] += 1
            return
        self._path_gone(lsp, now, out)

    def _path_gone(self, lsp: Lsp, now: float, out: list[Action]) -> None:
        """Path state removed (tear or timeout): pass the tear downstream, free everything."""
        self._tear_downstream(lsp, out)
        self._unreserve(lsp, out)
        self._forget(lsp, "path_seen")
        self._path_state_gone(lsp)
        del self.lsps[lsp.key]

    def _tear_downstream(self, lsp: Lsp, out: list[Action]) -> None:
        """PathTear for the Path this node sent (none if it sent none); the Path is no longer refreshed."""
        if lsp.path_data and lsp.role != "egress":
            tear = messages.path_tear(lsp, self._address(lsp.out_interface))  # type: ignore[arg-type]
            self._trigger(out, tear, lsp.out_interface, lsp.next_hop, lsp.key, lsp.path_mid_out)  # type: ignore[arg-type]
        elif lsp.path_mid_out is not None:
            self.reliable.withdraw(lsp.next_hop, lsp.path_mid_out)  # type: ignore[union-attr, arg-type]
        lsp.path_mid_out = None

    def _resv_tear(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        lsp = self._lsp_of(event.message, filter_spec=True)
        if lsp is None or lsp.out_interface != event.interface:
            self.counters["drop: ResvTear without matching state"] += 1
            return
        self._reservation_gone(lsp, "ResvTear from downstream", now, out)

    def _reservation_gone(self, lsp: Lsp, reason: str, now: float, out: list[Action]) -> None:
        """The downstream reservation went away: undo ours, tell upstream, or retry at the ingress."""
        if lsp.role == "ingress":
            self._ingress_down(lsp, reason, now, out)
            return
        if lsp.role == "transit":
            self._tear_upstream(lsp, out)
        self._unreserve(lsp, out)
        lsp.out_label, lsp.resv_rro = None, ()

    def _path_err(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        lsp = self._lsp_of(event.message)
        if lsp is None or lsp.out_interface != event.interface:
            self.counters["drop: PathErr without matching path state"] += 1
            return
        error = event.message.find(C.ERROR_SPEC)
        if lsp.role == "ingress":
            what = f"PathErr {error.error_code}/{error.error_value} from {error.error_node}"
            if error.error_code == NOTIFY_ERROR:  # news about the LSP, which stays as it is (e.g. 25/3: a point
                lsp.notice = what  # of local repair moved it to a bypass, RFC 4090)
                self.counters["Notify PathErr received"] += 1
                return
            self._ingress_down(lsp, what, now, out)
            return
        self._send_error(out, messages.hop_by_hop_removed(event.message), lsp.in_interface, lsp.phop)  # type: ignore[arg-type]

    def _resv_err(self, event: MessageReceived, now: float, out: list[Action]) -> None:
        lsp = self._lsp_of(event.message, filter_spec=True)
        if lsp is None or lsp.in_interface != event.interface:
            self.counters["drop: ResvErr without matching state"] += 1
            return
        if lsp.role == "transit":
            self._send_error(out, messages.hop_by_hop_removed(event.message), lsp.out_interface,  # type: ignore[arg-type]
                             lsp.next_hop)  # type: ignore[arg-type]
        self.counters["ResvErr received"] += 1

    def _lsp_of(self, message: Message, filter_spec: bool = False) -> Lsp | None:
        sender = next((o for o in message.objects if isinstance(o, te.FilterSpecLspTunnelIPv4)), None) \
            if filter_spec else message.find(C.SENDER_TEMPLATE)
        if not isinstance(sender, te.FilterSpecLspTunnelIPv4):  # SENDER_TEMPLATE 7 subclasses FILTER_SPEC 7
            return None
        return self.lsps.get(_key(message.find(C.SESSION), sender))

    def _link_down(self, interface: str, now: float, out: list[Action]) -> None:
        """A local link failed: LSPs through it fail now rather than after L (RFC 3209 section 5 spirit)."""
        self.counters["link down"] += 1
        self._fail_lsps(lambda lsp: lsp.out_interface == interface, lambda lsp: lsp.in_interface == interface,
                        f"link {interface} down", now, out)

    def _fail_lsps(self, downstream: Callable[[Lsp], bool], upstream: Callable[[Lsp], bool], reason: str,
                   now: float, out: list[Action]) -> None:
        """LSPs whose next hop is lost: PathErr upstream (the ingress goes down and retries); LSPs whose
        previous hop is lost: path state removed, PathTear passed on.  Nothing is sent to the lost side."""
        for lsp in list(self.lsps.values()):
            if self.lsps.get(lsp.key) is not lsp:
                continue  # removed by a make-before-break retirement earlier in this loop
            if lsp.role != "egress" and downstream(lsp):
                lsp.path_data = b""
                if lsp.role == "ingress":
                    self._ingress_down(lsp, reason, now, out)
                else:
                    self._error_upstream(lsp, ROUTING_PROBLEM, NO_ROUTE, out)
                    self._path_gone(lsp, now, out)
            elif lsp.role != "ingress" and upstream(lsp):
                self._path_gone(lsp, now, out)

    def _shut_down(self, now: float, out: list[Action]) -> None:
        """Graceful shutdown (:class:`~rsvp.engine.events.ShutdownRequested`): every tunnel removed
        (PathTear downstream), every transit and egress LSP torn both ways (ResvTear upstream for the
        Resv this node sent, PathTear downstream for the Path it sent, RFC 2205 section 3.1.5) and its
        reservation, label and forwarding entry released, so that no neighbour keeps state for this
        node until it times out or Hello finds the node gone; classic RSVP sessions likewise.  New
        Paths are refused from then on."""
        self.shutting_down = True
        self.counters["shutdown"] += 1
        for name in list(self.tunnels):
            self._remove_tunnel(name, out)
        for lsp in list(self.lsps.values()):
            if self.lsps.get(lsp.key) is not lsp:
                continue
            if lsp.role == "ingress":  # not a configured tunnel's (none should be left): still torn
                self._remove_ingress(lsp.key, out)
                continue
            if lsp.resv_data:
                self._tear_upstream(lsp, out)
            else:  # still being set up: no Resv to tear; a PathErr has the head tear its Path
                self._error_upstream(lsp, RSVP_SYSTEM_ERROR, 0, out)
            self._path_gone(lsp, now, out)
        self.intserv.shut_down(now, out)

    def _tear_upstream(self, lsp: Lsp, out: list[Action]) -> None:
        """ResvTear for the Resv this node sent upstream (none if it sent none)."""
        if lsp.resv_data:
            tear = messages.resv_tear(lsp, self._address(lsp.in_interface))  # type: ignore[arg-type]
            self._trigger(out, tear, lsp.in_interface, lsp.phop, lsp.key, lsp.resv_mid_out)  # type: ignore[arg-type]
            lsp.resv_mid_out = None

    # --- releasing -------------------------------------------------------------------------

    def _unreserve(self, lsp: Lsp, out: list[Action]) -> None:
        if lsp.handle is not None:
            out.append(RemoveLabel(lsp.handle))
            self._by_handle.pop(lsp.handle, None)
            lsp.handle = None
        lsp.installed = False
        self._release_admission(lsp)
        if lsp.in_label is not None and lsp.role != "ingress":
            self.labels.release(lsp.in_label)
            lsp.in_label = None
        lsp.resv_data = b""
        lsp.resv_refresh_at = lsp.resv_expires_at = NEVER
        self._forget(lsp, "resv_seen")
        self._resv_state_gone(lsp)

    def _release_admission(self, lsp: Lsp) -> None:
        if lsp.admitted:
            self.admission.release(lsp.key)
            lsp.admitted = False

    def _describe(self, lsp: Lsp) -> dict[str, Any]:
        session = lsp.key.session
        end_point, sender = IPv4Address(session.end_point), IPv4Address(lsp.key.sender)
        ingress = isinstance(lsp, IngressLsp)
        up, reason = _state(lsp)
        record = lsp.resv_rro if lsp.role == "ingress" else (lsp.rro_in or ())
        return {
            "name": lsp.tunnel.name if ingress else f"{end_point}/{session.tunnel_id}/{sender}",
            "role": lsp.role,
            "state": "up" if up else "down",
            "destination": str(end_point),
            "tunnel_id": session.tunnel_id,
            "lsp_id": lsp.key.lsp_id,
            "in_label": lsp.in_label,
            "out_label": lsp.out_label,
            "record_route": [str(s.address) for s in record if isinstance(s, routes.RroIPv4)],
            "bandwidth_bps": lsp.bandwidth_bps,
            "reason": reason,
            "non_rsvp_hop": lsp.non_rsvp_hop,
            "notice": lsp.notice if ingress else None,  # type: ignore[attr-defined]
        }


def _state(lsp: Lsp) -> tuple[bool, str | None]:
    """Whether ``lsp`` is up (an ingress: signalled and installed; others: forwarding entry in place),
    and why not."""
    if isinstance(lsp, IngressLsp):
        return lsp.up, None if lsp.up else lsp.reason
    return lsp.installed, None if lsp.installed else "signalling"


def _unusable_path(tspec: Any, request: Any) -> tuple[int, int] | None:
    """The error for a Path this node cannot carry, or None.

    The TSpec must be an Int-serv token bucket with a finite, non-negative rate
    (21/4 Bad Tspec value, RFC 2205 appendix B); the label request must ask
    for MPLS labels for IPv4 (24/10 Unsupported L3PID, RFC 3209 section 4.2.1).
    """
    bucket = tspec.token_bucket if isinstance(tspec, intserv.SenderTSpec) else None
    if bucket is None or not 0 <= bucket.rate < math.inf:
        return TRAFFIC_CONTROL_ERROR, BAD_TSPEC
    if type(request) is not te.LabelRequest or request.l3pid != L3PID_IPV4:
        return ROUTING_PROBLEM, UNSUPPORTED_L3PID
    return None


def _passed_on(objects: tuple[Any, ...], read: frozenset[int]) -> tuple[tuple[Any, ...], Any]:
    """What of a message's objects goes on unchanged, and the first this node must refuse; ``read``: the
    classes the engine acts on in this kind of message.

    RFC 2205 section 3.10 by class number, for objects the codec does not know
    and for those it decodes but this engine does not act on (such as
    FAST_REROUTE, LSP_ATTRIBUTES, or LSP_REQUIRED_ATTRIBUTES, RFC 5420 section
    4.2), alike: 11bbbbbb goes on, 10bbbbbb is dropped, 0bbbbbbb refuses the
    Path (error 13).
    """
    forward, refused = [], None
    for o in objects:
        class_num = o.class_num
        if class_num in read and not isinstance(o, UnknownObject):
            continue
        rule = unknown_rule(class_num)
        if rule is UnknownRule.FORWARD:
            forward.append(o)
        elif rule is UnknownRule.REJECT and refused is None:
            refused = o
    return tuple(forward), refused


def _session_key(session: te.SessionLspTunnelIPv4) -> SessionKey:
    return SessionKey(int(session.tunnel_end_point), session.tunnel_id, int(session.extended_tunnel_id))


def _key(session: te.SessionLspTunnelIPv4, sender: te.FilterSpecLspTunnelIPv4) -> LspKey:
    return LspKey(_session_key(session), int(sender.tunnel_sender), sender.lsp_id)


@functools.lru_cache(maxsize=4096)
def _spec(bucket: intserv.TokenBucket) -> Spec:
    """The Controlled-Load request of a SENDER_TSPEC's token bucket (shared: LSPs repeat rates)."""
    return controlled_load(bucket)


_ROUTER_ALERT = frozenset({MsgType.PATH, MsgType.PATH_TEAR, MsgType.RESV_CONF})  # RFC 2205 section 3.1.3
_PATH_CLASSES = frozenset({  # what the engine reads in a Path (POLICY_DATA: accepted and not passed on, as before)
    C.SESSION, C.RSVP_HOP, C.INTEGRITY, C.TIME_VALUES, C.POLICY_DATA, C.SENDER_TEMPLATE, C.SENDER_TSPEC, C.ADSPEC,
    C.LABEL_REQUEST, C.EXPLICIT_ROUTE, C.RECORD_ROUTE, C.MESSAGE_ID, C.MESSAGE_ID_ACK, C.SESSION_ATTRIBUTE})
_RESV_CLASSES = frozenset({
    C.SESSION, C.RSVP_HOP, C.INTEGRITY, C.TIME_VALUES, C.POLICY_DATA, C.RESV_CONFIRM, C.STYLE, C.FLOWSPEC,
    C.FILTER_SPEC, C.LABEL, C.RECORD_ROUTE, C.MESSAGE_ID, C.MESSAGE_ID_ACK})
_SESSION_MESSAGES = frozenset({MsgType.PATH, MsgType.RESV, MsgType.PATH_TEAR, MsgType.RESV_TEAR,
                               MsgType.PATH_ERR, MsgType.RESV_ERR})
_HANDLERS = {
    MsgType.PATH: Node._path,
    MsgType.RESV: Node._resv,
    MsgType.PATH_TEAR: Node._path_tear,
    MsgType.RESV_TEAR: Node._resv_tear,
    MsgType.PATH_ERR: Node._path_err,
    MsgType.RESV_ERR: Node._resv_err,
}
