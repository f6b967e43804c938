"""What a node keeps per neighbour: Hello (RFC 3209 section 5) and refresh reduction (RFC 2961).

Theory of operation
-------------------
:class:`Neighbors` is the part of :class:`~rsvp.engine.node.Node` that wires
the per-neighbour building blocks into it (a mixin: its methods run on the
node).  A neighbour is known by its interface address, which is both the IP
source of what it sends and the RSVP_HOP of its Path and Resv messages.

* Hello runs with the far end of every point-to-point interface (a /30 or /31)
  and with any neighbour that sends a HELLO REQUEST.  A neighbour presumed dead,
  or restarted (new Src_Instance), fails every LSP through it at once, as a link
  failure does: upstream lost -> path state removed and PathTear passed on;
  downstream lost -> PathErr upstream, or the ingress goes down and retries.
* Refresh reduction: trigger Paths and Resvs, tears and errors (PathErr,
  ResvErr) carry a MESSAGE_ID asking for an ACK and are retransmitted until
  acknowledged (RFC 2961 section 4); the Path and Resv state they carry is then
  refreshed by Srefresh, so the LSP record arms no refresh timer (tears and
  errors are no state: never summarised).  Received MESSAGE_IDs of Path and Resv
  are classified (out-of-order ones dropped, section 4.5) and acknowledged; a
  tear or error is acknowledged once processed, and its retransmission (same
  epoch and id) acknowledged again but not acted on twice.  State installed
  with an id is kept alive by Srefresh lazily: its expiry deadline fires and
  finds the time of the last Srefresh covering it
  (:meth:`Neighbors._summary_kept`).  A NACK is answered with the full Path or
  Resv; a new epoch from a neighbour resets what is known of it.
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any

from rsvp.wire import Message, MsgType
from rsvp.wire.model import ClassNum as C

from .actions import Action
from .budget import Pacer, ReceiveBudget, StateLimits
from .bundle import Bundler, unbundle
from .events import MessageReceived, PacketReceived
from .hello import (
    HelloConfig,
    Hellos,
    NeighborDown,
    NeighborRestarted,
    NeighborUp,
    SendHello,
)
from .inbox import Inbox
from .integrity import IntegrityGuard
from .outbox import Outbox
from .reliable import (
    CapabilityLost,
    DeliveryFailed,
    Nacked,
    Reliable,
    ReliableOutput,
    Retransmit,
    SendAck,
    SendSrefresh,
    Verdict,
)

if TYPE_CHECKING:
    import random

    from .config import NodeConfig
    from .node import Node
    from .state import Lsp

_SIGNATURE_ROOM = 64  # room for INTEGRITY in an Srefresh or Ack when keys are configured


class Neighbors:
    """Hello, reliable delivery and summary refresh for :class:`~rsvp.engine.node.Node`."""

    reliable: Reliable | None
    hellos: Hellos | None
    limits: StateLimits | None
    inbox: Inbox
    outbox: Outbox

    def _setup_neighbors(self: Node, config: NodeConfig, rng: random.Random) -> None:
        reliable_config = dataclasses.replace(
            config.reliable, srefresh_interval_s=config.refresh_s, assume_capable=True,
            reserved_bytes=_SIGNATURE_ROOM if config.integrity_by_interface or config.integrity_by_neighbor else 0)
        self.reliable = Reliable(rng.getrandbits(24), reliable_config, rng) if config.refresh_reduction else None
        self.hellos = None
        if config.hello:
            self.hellos = Hellos(rng.getrandbits(32) or 1, rng, HelloConfig(config.hello_interval_s, config.hello_misses))
            for interface in config.interfaces:
                peer = _point_to_point_peer(interface.address, interface.prefix_length)
                if peer is not None:
                    self.hellos.add_neighbor(peer, interface.name, 0.0)
        guard = None
        if config.integrity_by_interface or config.integrity_by_neighbor:
            guard = IntegrityGuard(dict(config.integrity_by_interface), dict(config.integrity_by_neighbor),
                                   wall_offset_s=config.wall_clock_offset_s)
        budget = None
        if config.receive_per_interface is not None and config.receive_per_neighbor is not None:
            budget = ReceiveBudget(config.receive_per_interface, config.receive_per_neighbor)
        pacer = Pacer(config.pacing, config.pacing_queue) if config.pacing is not None else None
        bundler = Bundler(config.bundle) if config.bundle is not None and self.reliable is not None else None
        self.limits = None
        if config.max_state is not None or config.max_state_per_neighbor is not None:
            self.limits = StateLimits(config.max_state, config.max_state_per_neighbor)
        self.inbox = Inbox(self.counters, budget, guard)
        self.outbox = Outbox(self.counters, self.reliable, guard, bundler, pacer, reliable_config.datagram_bytes)
        self._interface_to: dict[IPv4Address, str | None] = {}

    # --- time -------------------------------------------------------------------------------

    def _neighbor_deadlines(self: Node) -> tuple[float | None, ...]:
        return (self.hellos.next_deadline() if self.hellos is not None else None,
                self.reliable.next_deadline() if self.reliable is not None else None,
                self.outbox.next_deadline())

    def _neighbors_due(self: Node, now: float, out: list[Action]) -> None:
        if self.hellos is not None:
            self._hello_outputs(self.hellos.due(now), now, out)
        if self.reliable is not None:
            self._reliable_outputs(self.reliable.due(now), now, out)

    # --- receiving ----------------------------------------------------------------------------

    def _message(self: Node, message: Message, event: PacketReceived, payload: bytes, digest: int, now: float,
                 out: list[Action]) -> None:
        """A decoded datagram that passed the guards: note capability and acks, then process each
        message (a Bundle's one by one, RFC 2961 section 3.4)."""
        source, reliable = event.source, self.reliable
        if reliable is not None:
            self._reliable_outputs(reliable.observe(source, message.flags), now, out)
        for sub in unbundle(message):
            kind = sub.msg_type
            if reliable is not None:
                self._reliable_outputs(reliable.received_acks(source, sub), now, out)
                if kind in (MsgType.ACK, MsgType.SREFRESH):
                    self._count_received(sub.name, source)
                    if kind == MsgType.SREFRESH:
                        reliable.received_srefresh(source, sub, now, payload if sub is message else None)
                    continue
            if kind == MsgType.HELLO and self.hellos is not None:
                self._count_received(sub.name, source)
                hello = sub.find(C.HELLO)
                self._hello_outputs(self.hellos.received(hello, source, event.interface, now), now, out)
                continue
            # a message with a MESSAGE_ID is recognised by its id, never by its bytes (it must be acked)
            mid = sub.find(C.MESSAGE_ID)
            if mid is not None and reliable is not None and kind not in _STATE_MESSAGES \
                    and reliable.duplicate(source, mid, now):
                self._count_received(sub.name, source)
                self.counters["drop: tear or error already processed (retransmission)"] += 1
                reliable.ack(source, mid, now)  # its ACK was lost: send another
                continue
            self._arriving = digest if sub is message and mid is None else None
            try:
                self._received(MessageReceived(sub, event.interface, source, event.ip_ttl), now, out)
            finally:
                self._arriving = None
            if mid is not None and reliable is not None and kind not in _STATE_MESSAGES:
                reliable.ack(source, mid, now)  # tears and errors: acknowledged once processed (section 4)

    def _count_received(self: Node, name: str, source: IPv4Address) -> None:
        self.counters["received " + name] += 1
        self.neighbors[int(source)]["received " + name] += 1

    def _repeated_srefresh(self: Node, event: PacketReceived, payload: bytes, now: float) -> bool:
        """An Srefresh byte-identical (after INTEGRITY) to one that matched all its ids: done, undecoded."""
        if self.reliable is None or self.reliable.repeated_srefresh(event.source, payload, now) is None:
            return False
        self._count_received("SREFRESH", event.source)
        return True

    def _fresh_id(self: Node, event: MessageReceived, mid: Any, state_id: int | None, now: float) -> bool:
        """RFC 2961 section 4.5: False (drop) for an out-of-order MESSAGE_ID; else owe its ACK."""
        reliable = self.reliable
        if reliable is None:
            return True
        if reliable.received_id(event.source, mid, state_id) is Verdict.OUT_OF_ORDER:
            self.counters["drop: out-of-order MESSAGE_ID"] += 1
            return False
        reliable.ack(event.source, mid, now)
        return True

    def _ack_unkept(self: Node, event: MessageReceived, now: float) -> None:
        """A Path or Resv of a classic session with a MESSAGE_ID: acknowledged (RFC 2961 section 4.6), its
        id not kept with the state, so an Srefresh naming it is NACKed and the neighbour sends the message
        in full again (section 5.4)."""
        mid = event.message.find(C.MESSAGE_ID)
        if mid is not None and self.reliable is not None and event.message.msg_type in _STATE_MESSAGES:
            self.reliable.ack(event.source, mid, now)

    def _install_id(self: Node, event: MessageReceived, mid: Any, installed: int | None) -> int | None:
        """The id now stored with the state (section 4.5), or None when refresh reduction is off."""
        if self.reliable is None:
            return None
        self.reliable.install(event.source, mid, installed)
        return mid.message_id

    def _summary_kept(self: Node, lsp: Lsp, now: float, path: bool) -> bool:
        """State installed with a MESSAGE_ID lives L past the last Srefresh that covered it (RFC 2961
        section 5.3); moves the expiry and says so if that is after ``now``."""
        mid = lsp.path_mid_in if path else lsp.resv_mid_in
        if mid is None or self.reliable is None:
            return False
        at = self.reliable.refreshed_at(lsp.phop if path else lsp.next_hop, mid)  # type: ignore[arg-type]
        if at is None:
            return False
        if path:
            lsp.path_expires_at = at + lsp.path_lifetime_s
            return lsp.path_expires_at > now
        lsp.resv_expires_at = at + lsp.resv_lifetime_s
        return lsp.resv_expires_at > now

    def _path_state_gone(self: Node, lsp: Lsp) -> None:
        if lsp.path_mid_in is not None:
            self.reliable.forget(lsp.phop, lsp.path_mid_in)  # type: ignore[union-attr, arg-type]
            lsp.path_mid_in = None
        if self.limits is not None and lsp.role != "ingress":
            self.limits.removed(lsp.phop)

    def _resv_state_gone(self: Node, lsp: Lsp) -> None:
        if lsp.resv_mid_out is not None:
            self.reliable.withdraw(lsp.phop, lsp.resv_mid_out)  # type: ignore[union-attr, arg-type]
            lsp.resv_mid_out = None
        if lsp.resv_mid_in is not None:
            self.reliable.forget(lsp.next_hop, lsp.resv_mid_in)  # type: ignore[union-attr, arg-type]
            lsp.resv_mid_in = None

    # --- outputs of the building blocks ----------------------------------------------------------

    def _hello_outputs(self: Node, outputs: list[Any], now: float, out: list[Action]) -> None:
        for output in outputs:
            if isinstance(output, SendHello):
                flags = self.reliable.flags if self.reliable is not None else 0
                self._send(out, output.message(flags), output.interface, output.neighbor)
            elif isinstance(output, NeighborUp):
                self.counters["neighbour up"] += 1
            elif isinstance(output, (NeighborDown, NeighborRestarted)):
                restarted = isinstance(output, NeighborRestarted)
                self.counters["neighbour restarted" if restarted else "neighbour down"] += 1
                reason = "restarted" if restarted else output.reason
                self._neighbor_lost(output.neighbor, f"neighbour {output.neighbor} {reason}", now, out)

    def _neighbor_lost(self: Node, neighbor: IPv4Address, reason: str, now: float, out: list[Action]) -> None:
        """Every LSP through ``neighbor`` fails now, not after L (RFC 3209 section 5)."""
        self._fail_lsps(lambda lsp: lsp.next_hop == neighbor, lambda lsp: lsp.phop == neighbor, reason, now, out)

    def _reliable_outputs(self: Node, outputs: list[ReliableOutput], now: float, out: list[Action]) -> None:
        for output in outputs:
            if isinstance(output, (SendAck, SendSrefresh)):
                interface = self._interface_toward(output.neighbor)
                if interface is not None:
                    self._resend(output.data, interface, output.neighbor, refresh=isinstance(output, SendSrefresh))
            elif isinstance(output, Retransmit):
                interface = self._interface_toward(output.neighbor)
                if interface is not None:
                    self.counters["retransmitted"] += 1
                    self._resend(output.payload, interface, output.neighbor)
            elif isinstance(output, DeliveryFailed):
                self.counters["reliable delivery failed"] += 1  # Srefresh and NACK take over
            elif isinstance(output, Nacked):
                self._full_refresh(output.neighbor, self.lsps.get(output.state_key), now, out)
            elif isinstance(output, CapabilityLost):
                for key in output.state_keys:
                    self._standard_refresh(output.neighbor, self.lsps.get(key), now)

    def _full_refresh(self: Node, neighbor: IPv4Address, lsp: Lsp | None, now: float, out: list[Action]) -> None:
        """Answer a NACK: the neighbour lost the state; send it the Path or Resv in full (section 5.4),
        as a trigger with a new MESSAGE_ID, so that it is retransmitted until acknowledged."""
        self.counters["NACK answered with a full refresh"] += 1
        if lsp is None:
            return
        if neighbor == lsp.next_hop and lsp.path_data:
            self._send_path(lsp, now, out)
        elif neighbor == lsp.phop and lsp.resv_data and lsp.installed:
            self._send_resv(lsp, now, out)

    def _standard_refresh(self: Node, neighbor: IPv4Address, lsp: Lsp | None, now: float) -> None:
        """The neighbour stopped speaking refresh reduction: refresh its state with whole messages again."""
        if lsp is None:
            return
        if neighbor == lsp.next_hop and lsp.path_mid_out is not None:
            lsp.path_mid_out, lsp.path_refresh_at = None, self._jittered(now)
        elif neighbor == lsp.phop and lsp.resv_mid_out is not None:
            lsp.resv_mid_out, lsp.resv_refresh_at = None, self._jittered(now)
        self._file(lsp)

    def _interface_toward(self: Node, neighbor: IPv4Address) -> str | None:
        """The interface whose subnet holds ``neighbor`` (None: not directly connected)."""
        if neighbor not in self._interface_to:
            self._interface_to[neighbor] = next(
                (i.name for i in self.config.interfaces if neighbor in i.network), None)
        return self._interface_to[neighbor]

    # --- reporting ------------------------------------------------------------------------------

    def _neighbors_snapshot(self: Node) -> dict[str, Any]:
        """Per neighbour: Hello state, refresh-reduction capability, epoch, ACKs awaited."""
        hello = self.hellos.snapshot() if self.hellos is not None else {"neighbors": {}}
        rr = self.reliable.snapshot() if self.reliable is not None else {"neighbors": {}}
        awaiting = self.reliable.awaiting_by_neighbor() if self.reliable is not None else {}
        peers: dict[str, dict[str, Any]] = {}
        for address in sorted({*hello["neighbors"], *rr["neighbors"]}, key=IPv4Address):
            h, r = hello["neighbors"].get(address, {}), rr["neighbors"].get(address, {})
            peers[address] = {
                "hello": h.get("state", "off" if self.hellos is None else "not running"),
                "refresh_reduction_capable": r.get("capable"),
                "epoch": r.get("epoch_in"),
                "awaiting_ack": awaiting.get(IPv4Address(address), 0),
                "summarised_out": r.get("summarised_out", 0),
                "installed_in": r.get("installed_in", 0),
            }
        return {"peers": peers, "hello": hello, "refresh_reduction": rr,
                "integrity": self.inbox.guard.snapshot() if self.inbox.guard is not None else None}


def _point_to_point_peer(address: IPv4Address, prefix_length: int) -> IPv4Address | None:
    """The other end of a /30 (its other host address) or /31, else None."""
    if prefix_length not in (30, 31):
        return None
    network = IPv4Network(f"{address}/{prefix_length}", strict=False)
    hosts = [h for h in (network.hosts() if prefix_length == 30 else network) if h != address]
    return hosts[0] if len(hosts) == 1 else None


_STATE_MESSAGES = frozenset({MsgType.PATH, MsgType.RESV})
"""Messages whose MESSAGE_ID is checked for order and installed with their state (RFC 2961 section 4.3);
the node acknowledges those itself."""
