"""Overload protection: receive budgets, output pacing and limits on state.

Theory of operation.  Everything is counted in messages and driven by the
``now`` the engine passes in.

* :class:`ReceiveBudget` gives each interface and each neighbour (IP source) a
  token bucket.  A received datagram is first classified by :func:`classify`
  from its message-type byte and whether the engine recognised it as an
  unchanged refresh; it is admitted only if both buckets have a token.
  Refreshes must leave a reserved slice of each bucket untouched, triggers
  (new state, tears, errors, acks, Hello) may spend it, so under a short budget
  refreshes are shed first: a lost refresh is repaired by the next one, a lost
  trigger costs a retransmission or a state timeout.
* :class:`Pacer` queues outgoing messages per interface and releases them at a
  configured rate: Hello and acks first, then tears and errors, then triggers,
  then refreshes (RFC 8370 section 4 asks for the first two rules; 200 messages/s
  and a 500-message queue are Cisco IOS's ``ip rsvp msg-pacing`` defaults).
* :class:`StateLimits` caps state blocks in total and per neighbour and says
  which ERROR_SPEC to answer with instead of growing without bound.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Hashable, Mapping

from ..wire import MsgType
from .admission import ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, Rejected

TRIGGER = "trigger"
REFRESH = "refresh"

POLICY_CONTROL_FAILURE = 2  # RFC 2205 appendix B: "insufficient quota" is an administrative rejection
QUOTA_VIOLATION = 4  # ERR_EXCEED, "Quota or Accounting violation" (RFC 2750 appendix A)



def classify(data: bytes, recognised: bool) -> str:
    """TRIGGER or REFRESH from the message-type byte, without decoding.

    "Only Path and Resv messages can be refresh messages" (RFC 2961 section 1.1):
    one is a refresh when the engine ``recognised`` it (the same bytes after any
    INTEGRITY object as last time, see :func:`rsvp.engine.integrity.payload_offset`;
    checksum, flags and INTEGRITY may differ), else it creates or changes state (a
    full refresh answering a NACK is not recognised either, so it is a trigger).
    Srefresh only refreshes (section 5).  Everything else is a trigger: tears,
    errors, confirmations, acks, Bundles, Hello (whose loss would fail a
    neighbour) and the integrity handshake.
    """
    msg_type = data[1] if len(data) > 1 else 0
    if msg_type == MsgType.SREFRESH or (recognised and msg_type in (MsgType.PATH, MsgType.RESV)):
        return REFRESH
    return TRIGGER


@dataclasses.dataclass(frozen=True, slots=True)
class Rate:
    """A token-bucket setting: ``rate`` messages per second, at most ``burst`` at once."""

    rate: float
    burst: float

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"{self}: rate must be positive and burst at least one message")


class TokenBucket:
    """Tokens refill at ``rate`` per second up to ``burst``; a new bucket starts full."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, setting: Rate, now: float) -> None:
        self.rate = setting.rate
        self.burst = setting.burst
        self.tokens = setting.burst
        self.stamp = now

    def level(self, now: float) -> float:
        """Tokens at ``now`` (time running backwards adds none)."""
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        return self.tokens

    def take(self, now: float, keep: float = 0.0) -> bool:
        """Spend one token if at least ``keep`` remain afterwards."""
        if self.level(now) - 1 < keep:
            return False
        self.tokens -= 1
        return True

    def ready_at(self) -> float:
        """When the next token is there (``stamp`` if it already is)."""
        return self.stamp + max(0.0, 1 - self.tokens) / self.rate


class ReceiveBudget:
    """Per-interface and per-neighbour receive buckets; ``reserve`` is the fraction of each burst
    that only triggers may spend.  ``interfaces`` / ``neighbors`` override the defaults for some.

    Neighbour buckets are made on first use, but only for datagrams the interface
    admits, and dropped once full again (a full bucket is the same as a new one), so
    spoofed sources cannot grow the table faster than the interface budget allows.
    """

    def __init__(
        self,
        per_interface: Rate,
        per_neighbor: Rate,
        *,
        reserve: float = 0.25,
        interfaces: Mapping[str, Rate] | None = None,
        neighbors: Mapping[Hashable, Rate] | None = None,
    ) -> None:
        if not 0 <= reserve < 1:
            raise ValueError("reserve is a fraction of the burst in [0, 1)")
        self._defaults = (per_interface, per_neighbor)
        self._overrides = (dict(interfaces or {}), dict(neighbors or {}))
        self._reserve = reserve
        self._interfaces: dict[str, TokenBucket] = {}
        self._neighbors: dict[Hashable, TokenBucket] = {}
        self._prune_at = 64
        self._counts: collections.Counter[str] = collections.Counter()

    def admit(self, kind: str, neighbor: Hashable, interface: str, now: float) -> bool:
        """Whether to process a datagram of ``kind`` (TRIGGER or REFRESH) now; counted either way."""
        iface = self._bucket(self._interfaces, 0, interface, now)
        keep = 0.0 if kind == TRIGGER else self._reserve
        if iface.level(now) - 1 < keep * iface.burst:
            self._counts[f"shed_{kind}_interface"] += 1
            return False
        peer = self._bucket(self._neighbors, 1, neighbor, now)
        if not peer.take(now, keep * peer.burst):
            self._counts[f"shed_{kind}_neighbor"] += 1
            return False
        iface.tokens -= 1
        self._counts[f"admitted_{kind}"] += 1
        return True

    def _bucket(self, table: dict, which: int, key: Hashable, now: float) -> TokenBucket:
        bucket = table.get(key)
        if bucket is None:
            if len(table) >= self._prune_at:
                self._prune(table, now)
            bucket = table[key] = TokenBucket(self._overrides[which].get(key) or self._defaults[which], now)
        return bucket

    def _prune(self, table: dict, now: float) -> None:
        """Forget full buckets; amortised O(1) by pruning again only after the table doubles."""
        for key in [k for k, b in table.items() if b.level(now) >= b.burst]:
            del table[key]
        self._prune_at = max(64, 2 * len(table))

    def snapshot(self) -> dict[str, int]:
        return {**self._counts, "neighbors_tracked": len(self._neighbors)}


PRIORITY_HELLO_ACK, PRIORITY_TEAR_ERROR, PRIORITY_TRIGGER, PRIORITY_REFRESH = range(4)
"""Pacer priorities, most urgent first (RFC 8370 section 4)."""

DEFAULT_PACING = Rate(200.0, 200.0)  # Cisco IOS msg-pacing: 200 messages/s per outgoing interface
DEFAULT_QUEUE = 500  # Cisco IOS default output queue size


class Pacer:
    """Per-interface output queues released at ``rate.rate`` messages/s (bursts up to ``rate.burst``).

    When an interface's queue holds ``queue_limit`` items, a new item evicts the
    newest queued item of a less urgent priority, or is refused.
    """

    def __init__(self, rate: Rate = DEFAULT_PACING, queue_limit: int = DEFAULT_QUEUE) -> None:
        self._rate = rate
        self._queue_limit = queue_limit
        self._queues: dict[str, tuple[collections.deque, ...]] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._sizes: collections.Counter[str] = collections.Counter()
        self._counts: collections.Counter[str] = collections.Counter()

    def enqueue(self, item: object, interface: str, now: float, priority: int = PRIORITY_TRIGGER) -> bool:
        """Queue ``item``; False if it was refused because the queue is full of as urgent items."""
        queues = self._queues.get(interface)
        if queues is None:
            queues = self._queues[interface] = tuple(collections.deque() for _ in range(PRIORITY_REFRESH + 1))
            self._buckets[interface] = TokenBucket(self._rate, now)
        if self._sizes[interface] >= self._queue_limit:
            victim = next((q for q in reversed(queues[priority + 1 :]) if q), None)
            if victim is None:
                self._counts["refused"] += 1
                return False
            victim.pop()
            self._sizes[interface] -= 1
            self._counts["evicted"] += 1
        queues[priority].append(item)
        self._sizes[interface] += 1
        return True

    def due(self, now: float) -> list[tuple[str, object]]:
        """(interface, item) pairs to send now, most urgent first on each interface."""
        out = []
        for interface, queues in self._queues.items():
            if not self._sizes[interface]:
                continue
            bucket = self._buckets[interface]
            for queue in queues:
                while queue and bucket.take(now):
                    out.append((interface, queue.popleft()))
                    self._sizes[interface] -= 1
        self._counts["sent"] += len(out)
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`due` will next release something, None if nothing is queued."""
        times = [self._buckets[i].ready_at() for i, size in self._sizes.items() if size]
        return min(times) if times else None

    def snapshot(self) -> dict[str, int]:
        return {**self._counts, "queued": sum(self._sizes.values())}


class StateLimits:
    """Caps on state blocks (PSBs or RSBs: one instance each) in total and per neighbour.

    Over the total: Admission Control failure / Requested bandwidth unavailable
    (1/2, RFC 2205 appendix B: rejected "due to unavailable resources"; 2 is the only
    generic sub-code, and the one the engine's bandwidth admission sends, so ingress
    handling is the same).  Over a neighbour's share: Policy Control failure / Quota
    or Accounting violation (2/4, RFC 2750 appendix A), which RFC 2205 appendix B
    allows in both PathErr and ResvErr.
    """

    def __init__(self, max_total: int | None = None, max_per_neighbor: int | None = None) -> None:
        self.max_total = max_total
        self.max_per_neighbor = max_per_neighbor
        self.total = 0
        self._per_neighbor: collections.Counter[Hashable] = collections.Counter()

    def allow_new(self, neighbor: Hashable) -> Rejected | None:
        """None if one more block from ``neighbor`` fits; else the ERROR_SPEC to answer with."""
        if self.max_total is not None and self.total >= self.max_total:
            return Rejected(ADMISSION_FAILURE, BANDWIDTH_UNAVAILABLE, f"state limit of {self.max_total} reached")
        if self.max_per_neighbor is not None and self._per_neighbor[neighbor] >= self.max_per_neighbor:
            return Rejected(POLICY_CONTROL_FAILURE, QUOTA_VIOLATION,
                            f"limit of {self.max_per_neighbor} per neighbour reached for {neighbor}")
        return None

    def added(self, neighbor: Hashable) -> None:
        self.total += 1
        self._per_neighbor[neighbor] += 1

    def moved(self, old: Hashable, new: Hashable) -> None:
        """A block's previous hop changed from ``old`` to ``new`` (it counts against ``new`` now)."""
        if old != new:
            self.removed(old)
            self.added(new)

    def removed(self, neighbor: Hashable) -> None:
        left = self._per_neighbor[neighbor] - 1
        if left < 0:
            raise ValueError(f"no state block was added for {neighbor}")
        self.total -= 1
        if left:
            self._per_neighbor[neighbor] = left
        else:
            del self._per_neighbor[neighbor]

    def count(self, neighbor: Hashable) -> int:
        return self._per_neighbor[neighbor]
