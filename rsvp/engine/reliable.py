"""Refresh reduction: MESSAGE_ID, reliable delivery, ACK/NACK and summary refresh (RFC 2961 sections 2, 4-6).

Theory of operation
-------------------
:class:`Reliable` holds, per neighbour (the address that generates or receives
MESSAGE_ID objects: the RSVP_HOP address for Path and Resv, section 4.5):

* capability: whether the neighbour sets the Refresh-Reduction-Capable flag
  (section 2), learnt from every message it sends (:meth:`Reliable.observe`);
  unknown neighbours count as ``assume_capable`` says.  A neighbour that
  clears the flag gets no more Srefresh: its state keys come back in a
  :class:`CapabilityLost` for standard refreshes.
* sending: Message_Identifiers come from one counter per node (the node's
  epoch, passed in, marks the run, section 4.2).  :meth:`Reliable.trigger`
  issues a new id with ACK_Desired; the engine puts it in the message and
  calls :meth:`Reliable.sent`, which schedules retransmissions Rf, Rf*ratio,
  ... until a MESSAGE_ID_ACK, or gives up after ``rapid_retry_limit``
  transmissions (section 6.3).  The ids of Path and Resv state join the
  neighbour's :class:`~rsvp.engine.summary.SummaryOut`, which refreshes them
  by Srefresh every ``srefresh_interval_s`` (section 5.3); the engine stops
  refreshing that state itself.  Tears and errors (PathErr, ResvErr: any
  message may carry a MESSAGE_ID, section 4) are only retransmitted until
  acknowledged, never summarised.  A MESSAGE_ID_NACK names the state to resend
  in full (:class:`Nacked`, section 5.4).
* receiving: the neighbour's epoch, its highest id, and the ids of installed
  state (:class:`~rsvp.engine.summary.SummaryIn`) classify each MESSAGE_ID as
  new, refresh or out of order (section 4.5); valid messages owe an ACK when
  asked; a tear or error whose id came before is a retransmission
  (:meth:`Reliable.duplicate`): acked again, not acted on twice.  Srefresh ids
  with no state owe a NACK.  Owed objects wait up to ``ack_delay_s`` /
  ``nack_delay_s`` to ride on a message to that neighbour
  (:meth:`Reliable.take_acks`), then go in Ack messages (section 4.4).

The engine keeps per state only ints (the id it sent, the id it received).
All timers live in one :class:`~rsvp.engine.timers.TimerHeap`; randomness
(Srefresh jitter) comes from the ``rng`` passed in.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from collections.abc import Hashable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from rsvp.wire import Message, MsgType, encode
from rsvp.wire.message import REFRESH_REDUCTION_CAPABLE
from rsvp.wire.objects.refresh import (
    ACK_DESIRED,
    McastListIPv4,
    McastListIPv6,
    MessageId,
    MessageIdAck,
    MessageIdList,
    MessageIdNack,
    SourceListIPv4,
    SourceListIPv6,
)

from .summary import SummaryIn, SummaryOut, ids_per_srefresh
from .timers import TimerHeap

if TYPE_CHECKING:
    import random

IP_HEADER_BYTES = 20  # IPv4 without options: Srefresh and Ack go to the neighbour without Router Alert
_ACK_BYTES = 12
_ID_MASK = 0xFFFFFFFF
_SUMMARISED = (MsgType.PATH, MsgType.RESV)  # the state Srefresh can refresh (section 5)
_SOURCE_LISTS = (SourceListIPv4, SourceListIPv6, McastListIPv4, McastListIPv6)


@dataclasses.dataclass(frozen=True, slots=True)
class ReliableConfig:
    """Defaults: RFC 2961 section 6.2 (Rf 500 ms, ratio 1 + Delta = 2, Rl 3) and section 5.3 (30 s).

    ``rapid_retry_limit`` counts transmissions, the first included (Rl, section
    6.2), so the defaults send at 0, 0.5 and 1.5 s and give up at 3.5 s.
    ``ack_delay_s`` stays well under Rf so that an ACK held for piggy-backing
    does not cause a retransmission (IOS XR pairs 400 ms with 900 ms).
    ``reserved_bytes``: room kept free in every Srefresh and Ack (INTEGRITY).
    """

    rapid_retransmit_s: float = 0.5
    backoff_ratio: float = 2.0
    rapid_retry_limit: int = 3
    ack_delay_s: float = 0.2
    nack_delay_s: float = 0.2
    srefresh_interval_s: float = 30.0
    mtu: int = 1500
    reserved_bytes: int = 0
    assume_capable: bool = False

    @property
    def datagram_bytes(self) -> int:
        """The largest RSVP message that fits one IP datagram on the link."""
        return self.mtu - IP_HEADER_BYTES - self.reserved_bytes


class Verdict(enum.Enum):
    """What a received MESSAGE_ID says about its message (RFC 2961 section 4.5)."""

    NEW = "new"  # process fully (a trigger, a new epoch, or no state to compare with)
    REFRESH = "refresh"  # the id of the state's last message: a refresh
    OUT_OF_ORDER = "out of order"  # older than the state's id: drop silently


@dataclasses.dataclass(frozen=True, slots=True)
class Retransmit:
    """No ACK yet for ``message_id``: send ``payload`` (or the state's current message) again."""

    neighbor: IPv4Address
    state_key: Hashable
    message_id: int
    payload: Any


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryFailed:
    """``message_id`` was sent ``rapid_retry_limit`` times without an ACK; standard refresh takes over."""

    neighbor: IPv4Address
    state_key: Hashable
    message_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Nacked:
    """``neighbor`` has no state for ``message_id``: send ``state_key``'s Path or Resv in full (section 5.4)."""

    neighbor: IPv4Address
    state_key: Hashable
    message_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class CapabilityLost:
    """``neighbor`` stopped setting the Refresh-Reduction-Capable flag (section 2): refresh these states
    with standard messages again, and send it no Bundle."""

    neighbor: IPv4Address
    state_keys: tuple[Hashable, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class SendAck:
    """An Ack message (type 13, section 4.4) to ``neighbor``; ``data`` is its encoding."""

    neighbor: IPv4Address
    message: Message
    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class SendSrefresh:
    """An Srefresh (type 15) to ``neighbor``, without Router Alert (section 5.2); cached bytes in ``data``."""

    neighbor: IPv4Address
    message: Message
    data: bytes


ReliableOutput = Retransmit | DeliveryFailed | Nacked | CapabilityLost | SendAck | SendSrefresh


@dataclasses.dataclass(slots=True, eq=False)
class _Pending:
    neighbor: IPv4Address
    state_key: Hashable
    payload: Any = None
    transmissions: int = 0
    wait_s: float = 0.0


@dataclasses.dataclass(slots=True, eq=False)
class _Peer:
    out: SummaryOut
    capable: bool | None = None  # None: never heard from
    epoch: int | None = None  # the epoch its MESSAGE_IDs carry (section 4.2)
    highest: int = 0  # the largest Message_Identifier received in that epoch
    known: SummaryIn = dataclasses.field(default_factory=SummaryIn)
    owed: list[MessageIdAck] = dataclasses.field(default_factory=list)  # ACKs and NACKs to send
    owed_by: float = float("inf")
    pruned_at: float = float("-inf")
    handled: dict[tuple[int, int], float] = dataclasses.field(default_factory=dict)  # tears, errors: (epoch, id)


def older(new: int, old: int) -> bool:
    """``new`` is less than ``old``, allowing for the 32-bit wrap (RFC 2961 section 4.5)."""
    return 0 < (old - new) & _ID_MASK < 0x80000000


class Reliable:
    """Refresh-reduction state of one node; ``epoch`` is this run's 24-bit Epoch (random per start)."""

    flags = REFRESH_REDUCTION_CAPABLE  # for the common header of every message the node sends

    def __init__(self, epoch: int, config: ReliableConfig = ReliableConfig(), rng: random.Random | None = None) -> None:
        if not 0 <= epoch <= 0xFFFFFF:
            raise ValueError("the Epoch is a 24-bit value (RFC 2961 section 4.2)")
        self.epoch = epoch
        self.config = config
        self.rng = rng
        self.counters: collections.Counter[str] = collections.Counter()
        self._ids_per_srefresh = ids_per_srefresh(config.datagram_bytes)
        self._acks_per_message = (config.datagram_bytes - 8) // _ACK_BYTES
        self._last_id = 0
        self._peers: dict[IPv4Address, _Peer] = {}
        self._pending: dict[int, _Pending] = {}
        self._timers = TimerHeap()

    # --- capability (section 2) ----------------------------------------------------------------

    def observe(self, neighbor: IPv4Address, flags: int) -> list[ReliableOutput]:
        """Every message from ``neighbor`` (Bundles included): note its Refresh-Reduction-Capable flag."""
        capable = bool(flags & REFRESH_REDUCTION_CAPABLE)
        peer = self._peer(neighbor)
        if peer.capable is capable:
            return []
        was, peer.capable = peer.capable, capable
        if capable or not was:
            return []
        self.counters["neighbour lost refresh-reduction capability"] += 1
        keys = tuple(peer.out.keys())
        peer.out = SummaryOut(self._ids_per_srefresh)
        self._timers.cancel(("srefresh", neighbor))
        return [CapabilityLost(neighbor, keys)]

    def capable(self, neighbor: IPv4Address) -> bool:
        """May MESSAGE_ID, Srefresh and Bundle messages go to ``neighbor``?"""
        peer = self._peers.get(neighbor)
        known = peer.capable if peer is not None else None
        return self.config.assume_capable if known is None else known

    # --- sending (sections 4.5, 5.3, 6) --------------------------------------------------------

    def trigger(self, kind: int, neighbor: IPv4Address, state_key: Hashable, now: float) -> MessageId | None:
        """A MESSAGE_ID (new id, ACK_Desired) for a trigger message of type ``kind`` about ``state_key``.

        None when ``neighbor`` is not known to be capable: send without one and
        refresh as standard RSVP.  ``state_key`` comes back in :class:`Retransmit`,
        :class:`DeliveryFailed` and, for Path and Resv only, :class:`Nacked` and
        :class:`CapabilityLost`; None for a message about no state (an error).
        A Path or Resv that gets one is refreshed by Srefresh from now on, so
        the engine arms no refresh timer for it; when it replaces state sent
        before, :meth:`withdraw` the old id first.
        Call :meth:`sent` once the message is built.
        """
        if not self.capable(neighbor):
            return None
        self._last_id += 1
        message_id = self._last_id & _ID_MASK
        if kind in _SUMMARISED:
            peer = self._peer(neighbor)
            peer.out.add(message_id, state_key)
            if not self._timers.pending(("srefresh", neighbor)):
                self._timers.schedule(("srefresh", neighbor), now + self._srefresh_wait())
        self._pending[message_id] = _Pending(neighbor, state_key)
        return MessageId(self.epoch, message_id, flags=ACK_DESIRED)

    def sent(self, neighbor: IPv4Address, message_id: MessageId, payload: Any, now: float) -> None:
        """The message carrying ``message_id`` went out: retransmit ``payload`` until acknowledged (section 6.3)."""
        pending = self._pending.get(message_id.message_id)
        if pending is None or pending.transmissions or not message_id.ack_desired:
            return
        pending.payload, pending.transmissions, pending.wait_s = payload, 1, self.config.rapid_retransmit_s
        self._timers.schedule(("retransmit", message_id.message_id), now + pending.wait_s)

    def withdraw(self, neighbor: IPv4Address, message_id: int) -> None:
        """The state sent with ``message_id`` is gone or replaced: no more retransmission or Srefresh of it."""
        peer = self._peers.get(neighbor)
        if peer is not None:
            peer.out.remove(message_id)
        if self._pending.pop(message_id, None) is not None:
            self._timers.cancel(("retransmit", message_id))

    def received_acks(self, neighbor: IPv4Address, message: Message) -> list[ReliableOutput]:
        """MESSAGE_ID_ACK / NACK objects in any message from ``neighbor`` (Ack messages included)."""
        out: list[ReliableOutput] = []
        for obj in message.objects:
            kind = type(obj)
            if kind is MessageIdAck:
                if obj.epoch == self.epoch and self._pending.pop(obj.message_id, None) is not None:
                    self._timers.cancel(("retransmit", obj.message_id))
                    self.counters["acknowledged"] += 1
            elif kind is MessageIdNack:
                peer = self._peers.get(neighbor)
                key = peer.out.key(obj.message_id) if peer is not None and obj.epoch == self.epoch else None
                if key is None:
                    self.counters["NACK for no state"] += 1
                else:
                    self.counters["NACK"] += 1
                    out.append(Nacked(neighbor, key, obj.message_id))
        return out

    # --- receiving (sections 4.5, 5.3) ---------------------------------------------------------

    def received_id(self, neighbor: IPv4Address, message_id: MessageId, state_id: int | None) -> Verdict:
        """Classify a received MESSAGE_ID; ``state_id``: the id stored with the state it is about, if any.

        A new epoch means the neighbour restarted: its old ids mean nothing any more.
        """
        peer = self._peer(neighbor)
        new = message_id.message_id
        if peer.epoch != message_id.epoch:
            if peer.epoch is not None:
                self.counters["neighbour epoch changed"] += 1
                peer.known = SummaryIn()
            peer.epoch, peer.highest = message_id.epoch, new
            return Verdict.NEW
        if state_id is not None and state_id not in peer.known:  # not from this epoch, or never installed
            state_id = None
        if older(new, peer.highest):
            if state_id is not None and older(new, state_id):
                self.counters["out of order"] += 1
                return Verdict.OUT_OF_ORDER
        else:
            peer.highest = new
        return Verdict.REFRESH if new == state_id else Verdict.NEW

    def install(self, neighbor: IPv4Address, message_id: MessageId, replaces: int | None = None) -> None:
        """Path or Resv state from ``neighbor`` is now the one advertised with ``message_id`` (section 4.5)."""
        peer = self._peer(neighbor)
        if peer.epoch != message_id.epoch:
            return
        if replaces is not None and replaces != message_id.message_id:
            peer.known.forget(replaces)
        peer.known.install(message_id.message_id)

    def forget(self, neighbor: IPv4Address, message_id: int) -> None:
        """The state installed with ``message_id`` from ``neighbor`` is gone."""
        peer = self._peers.get(neighbor)
        if peer is not None:
            peer.known.forget(message_id)

    def ack(self, neighbor: IPv4Address, message_id: MessageId, now: float) -> None:
        """A valid, in-order message carried ``message_id``: owe an ACK if it asked for one (section 4.6)."""
        if message_id.flags & ACK_DESIRED:
            self._owe(self._peer(neighbor), neighbor, MessageIdAck(message_id.epoch, message_id.message_id),
                      now + self.config.ack_delay_s)

    def duplicate(self, neighbor: IPv4Address, message_id: MessageId, now: float) -> bool:
        """A tear or error (no state holds its id, section 4.5) asking for an ACK: True if the same
        MESSAGE_ID (epoch and id) came within ``srefresh_interval_s``, i.e. a retransmission whose ACK was
        lost: ack it again, act on it once.  Ids are remembered in arrival order and forgotten after that."""
        if not message_id.flags & ACK_DESIRED:
            return False
        handled = self._peer(neighbor).handled
        while handled:
            first = next(iter(handled))
            if handled[first] > now - self.config.srefresh_interval_s:
                break
            del handled[first]
        key = (message_id.epoch, message_id.message_id)
        if key in handled:
            self.counters["retransmission already processed"] += 1
            return True
        handled[key] = now
        return False

    def repeated_srefresh(self, neighbor: IPv4Address, data: bytes, now: float) -> int | None:
        """O(1), before decoding: ``data`` is an Srefresh from ``neighbor`` byte-identical to one
        processed before whose ids all matched: they are refreshed; returns their count.  None: decode
        it and call :meth:`received_srefresh`."""
        peer = self._peers.get(neighbor)
        matched = None if peer is None else peer.known.repeat(data, now)
        if matched is not None:
            self.counters["ids summary-refreshed"] += matched
        return matched

    def received_srefresh(self, neighbor: IPv4Address, message: Message, now: float,
                          data: bytes | None = None) -> int:
        """Refresh the state listed in an Srefresh from ``neighbor``; NACKs are owed for unknown ids.

        ``data``: the message's bytes, so that a repeat is caught by
        :meth:`repeated_srefresh`.  Returns how many ids matched.  Per-state
        times are not touched: the engine reads them with :meth:`refreshed_at`
        when a state's timer fires.  Ids in SRC_LIST / MCAST_LIST objects
        (multicast Path state) that match nothing are ignored, as after a
        failed RPF check (section 5.3).
        """
        peer = self._peer(neighbor)
        lists = [obj for obj in message.objects if type(obj) is MessageIdList or type(obj) in _SOURCE_LISTS]
        matched = 0
        for obj in lists:
            kind = type(obj)
            ids = obj.message_ids if kind is MessageIdList else tuple(entry.message_id for entry in obj.entries)
            key = data if data is not None and len(lists) == 1 else obj
            unknown = peer.known.refresh(key, ids, now) if obj.epoch == peer.epoch else set(ids)
            matched += len(ids) - len(unknown)
            if unknown and kind is MessageIdList:
                self.counters["NACK sent"] += len(unknown)
                by = now + self.config.nack_delay_s
                for message_id in sorted(unknown):
                    self._owe(peer, neighbor, MessageIdNack(obj.epoch, message_id), by)
        if now - peer.pruned_at > self.config.srefresh_interval_s:
            peer.known.prune(now - 3 * self.config.srefresh_interval_s)
            peer.pruned_at = now
        self.counters["ids summary-refreshed"] += matched
        return matched

    def refreshed_at(self, neighbor: IPv4Address, message_id: int) -> float | None:
        """When an Srefresh last covered the state ``neighbor`` advertised with ``message_id``."""
        peer = self._peers.get(neighbor)
        return None if peer is None else peer.known.refreshed_at(message_id)

    def take_acks(self, neighbor: IPv4Address, limit: int) -> tuple[MessageIdAck, ...]:
        """Up to ``limit`` owed ACK/NACK objects to piggy-back on a message to ``neighbor`` (section 4.6)."""
        peer = self._peers.get(neighbor)
        if peer is None or not peer.owed:
            return ()
        taken = tuple(peer.owed[:limit])
        del peer.owed[:limit]
        if not peer.owed:
            peer.owed_by = float("inf")
            self._timers.cancel(("acks", neighbor))
        return taken

    # --- timers --------------------------------------------------------------------------------

    def due(self, now: float) -> list[ReliableOutput]:
        """Retransmissions, give-ups, Ack messages and Srefresh messages due by ``now``."""
        out: list[ReliableOutput] = []
        for kind, key in self._timers.pop_due(now):
            if kind == "retransmit":
                self._retransmit(key, now, out)
            elif kind == "acks":
                self._send_acks(key, out)
            else:
                self._send_srefresh(key, now, out)
        return out

    def next_deadline(self) -> float | None:
        return self._timers.next_deadline()

    def awaiting_by_neighbor(self) -> collections.Counter[IPv4Address]:
        """Messages sent with ACK_Desired and not acknowledged yet, per neighbour."""
        return collections.Counter(pending.neighbor for pending in self._pending.values())

    def snapshot(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "last_message_id": self._last_id & _ID_MASK,
            "awaiting_ack": len(self._pending),
            "neighbors": {str(a): {
                "capable": p.capable, "summarised_out": len(p.out), "installed_in": len(p.known),
                "epoch_in": p.epoch, "owed_acks": len(p.owed),
            } for a, p in sorted(self._peers.items())},
            "counters": dict(sorted(self.counters.items())),
        }

    # --- internals -------------------------------------------------------------------------------

    def _peer(self, neighbor: IPv4Address) -> _Peer:
        peer = self._peers.get(neighbor)
        if peer is None:
            peer = self._peers[neighbor] = _Peer(SummaryOut(self._ids_per_srefresh))
        return peer

    def _owe(self, peer: _Peer, neighbor: IPv4Address, obj: MessageIdAck, by: float) -> None:
        peer.owed.append(obj)
        if by < peer.owed_by:
            peer.owed_by = by
            self._timers.schedule(("acks", neighbor), by)

    def _retransmit(self, message_id: int, now: float, out: list[ReliableOutput]) -> None:
        pending = self._pending[message_id]
        if pending.transmissions >= self.config.rapid_retry_limit:
            del self._pending[message_id]
            self.counters["delivery failed"] += 1
            out.append(DeliveryFailed(pending.neighbor, pending.state_key, message_id))
            return
        pending.transmissions += 1
        pending.wait_s *= self.config.backoff_ratio
        self._timers.schedule(("retransmit", message_id), now + pending.wait_s)
        self.counters["retransmitted"] += 1
        out.append(Retransmit(pending.neighbor, pending.state_key, message_id, pending.payload))

    def _send_acks(self, neighbor: IPv4Address, out: list[ReliableOutput]) -> None:
        peer = self._peers[neighbor]
        owed, peer.owed, peer.owed_by = peer.owed, [], float("inf")
        step = self._acks_per_message
        for start in range(0, len(owed), step):
            message = Message(MsgType.ACK, tuple(owed[start:start + step]), flags=REFRESH_REDUCTION_CAPABLE)
            out.append(SendAck(neighbor, message, encode(message)))
            self.counters["sent Ack"] += 1

    def _send_srefresh(self, neighbor: IPv4Address, now: float, out: list[ReliableOutput]) -> None:
        peer = self._peers[neighbor]
        if not len(peer.out):
            return
        for message, data in peer.out.messages(self.epoch):
            out.append(SendSrefresh(neighbor, message, data))
            self.counters["sent Srefresh"] += 1
        self._timers.schedule(("srefresh", neighbor), now + self._srefresh_wait())

    def _srefresh_wait(self) -> float:
        """The Srefresh period, jittered like standard refreshes (RFC 2205 section 3.7) when given an rng."""
        interval = self.config.srefresh_interval_s
        return interval * self.rng.uniform(0.5, 1.5) if self.rng is not None else interval
