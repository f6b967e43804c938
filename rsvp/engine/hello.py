"""Hello: node failure detection between RSVP neighbours (RFC 3209 section 5).

Theory of operation
-------------------
:class:`Hellos` keeps one :class:`Neighbor` record per neighbour address that
is configured (:meth:`Hellos.add_neighbor`) or, with ``learn`` on, that sent
us a HELLO REQUEST (section 5: either side may run Hello alone).  It is pure:
time is passed in, and new instance values are drawn from the ``rng`` it is
given.

Each record holds the instance we advertise to that neighbour (Src_Instance,
never 0) and the neighbour's instance (Neighbor_Src_Instance, 0 while unknown
or after communication is lost).  Every ``interval_s`` a REQUEST goes out,
unless the neighbour's own REQUEST arrived within the last interval (section
5.3: we answered it with an ACK, which serves both).  Every REQUEST received
is answered with an ACK carrying our instance and the sender's.

Communication is lost (section 5.3) when no instance value arrives for
``misses`` intervals, when the neighbour's Src_Instance is 0, when an ACK
reflects a Dst_Instance other than ours, or when REQUESTs keep reflecting a
wrong non-zero one for ``misses`` intervals.  A changed non-zero Src_Instance
means the neighbour restarted.  After a loss our instance for that neighbour
changes (not after a restart of theirs: two neighbours that both did so would
see each other restart for ever); either way the engine is told, with a :class:`NeighborDown` or
:class:`NeighborRestarted`, so it can fail every LSP through the neighbour at
once.  Hellos keep going (re-initiation), so a neighbour that answers again
comes back with :class:`NeighborUp`.

Outputs are :class:`SendHello` (the engine wraps ``hello`` in a Hello message,
see :meth:`SendHello.message`, and sends it with IP TTL 1) and the three
neighbour outcomes.  Nothing a peer sends raises: odd Hellos are counted.
"""

from __future__ import annotations

import collections
import dataclasses
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from rsvp.wire import Message, MsgType
from rsvp.wire.objects.te import HelloAck, HelloRequest

from .timers import TimerHeap

if TYPE_CHECKING:
    import random

DEFAULT_INTERVAL_S = 5.0  # hello_interval (RFC 3209 section 5.3 says "5 ms", an erratum for 5 s)
DEFAULT_MISSES = 3.5  # intervals without an instance value before communication is presumed lost


@dataclasses.dataclass(frozen=True, slots=True)
class HelloConfig:
    """``learn``: start tracking a neighbour that sends us a HELLO REQUEST."""

    interval_s: float = DEFAULT_INTERVAL_S
    misses: float = DEFAULT_MISSES
    learn: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class SendHello:
    """Send ``hello`` (a HELLO REQUEST or ACK object) to ``neighbor`` out of ``interface``."""

    neighbor: IPv4Address
    interface: str
    hello: HelloRequest | HelloAck

    def message(self, flags: int = 0) -> Message:
        """The Hello message (RFC 3209 section 5.1): Send_TTL 1, as the IP TTL SHOULD be."""
        return Message(MsgType.HELLO, (self.hello,), flags=flags, send_ttl=1)


@dataclasses.dataclass(frozen=True, slots=True)
class NeighborUp:
    """Instance values are being exchanged with ``neighbor`` (first contact, or again after a loss)."""

    neighbor: IPv4Address
    interface: str


@dataclasses.dataclass(frozen=True, slots=True)
class NeighborDown:
    """Communication with ``neighbor`` is lost (RFC 3209 section 5.3): treat it as a link failure."""

    neighbor: IPv4Address
    interface: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class NeighborRestarted:
    """``neighbor`` advertised a new Src_Instance: it reset and lost its state; Hello is up again."""

    neighbor: IPv4Address
    interface: str


HelloOutput = SendHello | NeighborUp | NeighborDown | NeighborRestarted


@dataclasses.dataclass(slots=True, eq=False)
class Neighbor:
    address: IPv4Address
    interface: str
    interval_s: float
    misses: float
    ours: int  # the Src_Instance we advertise to this neighbour
    theirs: int = 0  # Neighbor_Src_Instance: 0 when none is known
    up: bool = False
    learned: bool = False
    last_heard: float = float("-inf")  # last instance value received (REQUEST or ACK)
    last_request: float = float("-inf")  # last REQUEST received (suppresses ours, section 5.3)
    wrong_since: float | None = None  # first of a run of REQUESTs reflecting a wrong Dst_Instance

    @property
    def dead_after_s(self) -> float:
        return self.interval_s * self.misses


class Hellos:
    """Hello state for all neighbours of one node; ``instance`` is this run's Src_Instance (non-zero)."""

    def __init__(self, instance: int, rng: random.Random, config: HelloConfig = HelloConfig()) -> None:
        if not 0 < instance <= 0xFFFFFFFF:
            raise ValueError("a Src_Instance is a non-zero 32-bit value (RFC 3209 section 5.2)")
        self.instance = instance
        self.rng = rng
        self.config = config
        self.neighbors: dict[IPv4Address, Neighbor] = {}
        self.counters: collections.Counter[str] = collections.Counter()
        self._timers = TimerHeap()

    # --- configuration -------------------------------------------------------------------

    def add_neighbor(self, address: IPv4Address, interface: str, now: float,
                     interval_s: float | None = None, misses: float | None = None) -> None:
        """Run Hello with ``address`` (per-neighbour interval and misses MAY differ, section 5.3).

        The first REQUEST is due at once.  Adding a known neighbour updates its settings.
        """
        neighbor = self.neighbors.get(address)
        if neighbor is None:
            neighbor = self.neighbors[address] = Neighbor(address, interface, self.config.interval_s,
                                                          self.config.misses, self.instance)
            self._timers.schedule(("send", address), now)
        neighbor.interface = interface
        neighbor.learned = False
        if interval_s is not None:
            neighbor.interval_s = interval_s
        if misses is not None:
            neighbor.misses = misses

    def remove_neighbor(self, address: IPv4Address) -> None:
        if self.neighbors.pop(address, None) is not None:
            self._timers.cancel(("send", address))
            self._timers.cancel(("dead", address))

    # --- the sans-IO interface -----------------------------------------------------------

    def received(self, hello: Any, source: IPv4Address, interface: str, now: float) -> list[HelloOutput]:
        """Process the HELLO object of a Hello message from ``source`` (section 5.3)."""
        out: list[HelloOutput] = []
        request = type(hello) is HelloRequest
        if not request and type(hello) is not HelloAck:
            self.counters["drop: Hello without a HELLO REQUEST or ACK"] += 1
            return out
        neighbor = self.neighbors.get(source)
        if neighbor is None:
            self.counters["Hello from unknown neighbour"] += 1
            if not request:
                self.counters["drop: HELLO ACK from unknown neighbour"] += 1
                return out
            if not self.config.learn:  # answer, keep no state (section 5.3: a REQUEST MUST be answered)
                out.append(SendHello(source, interface, HelloAck(self.instance, hello.src_instance)))
                return out
            self.add_neighbor(source, interface, now)
            neighbor = self.neighbors[source]
            neighbor.learned = True
        if neighbor.interface != interface:
            self.counters["Hello on another interface"] += 1
        if request:
            self._request(neighbor, hello, now, out)
            out.append(SendHello(source, neighbor.interface, HelloAck(neighbor.ours, neighbor.theirs)))
        else:
            self._ack(neighbor, hello, now, out)
        return out

    def due(self, now: float) -> list[HelloOutput]:
        """REQUESTs to send and neighbours presumed lost by ``now``."""
        out: list[HelloOutput] = []
        for kind, address in self._timers.pop_due(now):
            neighbor = self.neighbors[address]
            if kind == "send":
                self._send(neighbor, now, out)
            elif neighbor.up:  # "dead": a silent neighbour (section 5.3); a late timer sleeps on
                deadline = neighbor.last_heard + neighbor.dead_after_s
                if deadline > now:
                    self._timers.schedule(("dead", address), deadline)
                else:
                    self._lost(neighbor, f"no Hello for {neighbor.misses:g} intervals", out)
        return out

    def next_deadline(self) -> float | None:
        return self._timers.next_deadline()

    def snapshot(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "neighbors": {str(a): {
                "interface": n.interface, "state": "up" if n.up else "down", "src_instance": n.ours,
                "dst_instance": n.theirs, "interval_s": n.interval_s, "misses": n.misses,
                "last_heard": n.last_heard, "learned": n.learned,
            } for a, n in sorted(self.neighbors.items())},
            "counters": dict(sorted(self.counters.items())),
        }

    # --- section 5.3 -----------------------------------------------------------------------

    def _request(self, neighbor: Neighbor, hello: HelloRequest, now: float, out: list[HelloOutput]) -> None:
        self.counters["received HELLO REQUEST"] += 1
        neighbor.last_request = now
        if not self._source_instance(neighbor, hello.src_instance, now, out):
            return
        dst = hello.dst_instance
        if dst == 0 or dst == neighbor.ours:  # 0: the neighbour has no value of ours yet
            neighbor.wrong_since = None
            return
        self.counters["HELLO REQUEST reflects a wrong instance"] += 1
        if neighbor.wrong_since is None:
            neighbor.wrong_since = now
        elif now - neighbor.wrong_since >= neighbor.dead_after_s:
            self._lost(neighbor, "neighbour keeps reflecting a wrong Dst_Instance", out)

    def _ack(self, neighbor: Neighbor, hello: HelloAck, now: float, out: list[HelloOutput]) -> None:
        self.counters["received HELLO ACK"] += 1
        if hello.dst_instance != neighbor.ours:
            if neighbor.up:
                self._lost(neighbor, "HELLO ACK reflects a wrong Dst_Instance", out)
            else:  # an answer to a REQUEST sent before our instance changed: nothing to lose
                self.counters["drop: stale HELLO ACK"] += 1
            return
        self._source_instance(neighbor, hello.src_instance, now, out)

    def _source_instance(self, neighbor: Neighbor, src: int, now: float, out: list[HelloOutput]) -> bool:
        """Check the neighbour's Src_Instance; False if communication is lost."""
        if src == 0:
            self.counters["Hello with zero Src_Instance"] += 1
            self._lost(neighbor, "zero Src_Instance", out)
            return False
        if neighbor.theirs and src != neighbor.theirs:  # ours stays: were it to change too, a neighbour
            self.counters["neighbour restarted"] += 1  # that had learnt it would see a restart of ours, and
            neighbor.wrong_since = None  # so on for ever (new instances are for re-initiation after a loss)
            out.append(NeighborRestarted(neighbor.address, neighbor.interface))  # theirs != 0: it was up
        neighbor.theirs = src
        neighbor.last_heard = now
        if not neighbor.up:
            neighbor.up = True
            out.append(NeighborUp(neighbor.address, neighbor.interface))
        if not self._timers.pending(("dead", neighbor.address)):
            self._timers.schedule(("dead", neighbor.address), now + neighbor.dead_after_s)
        return True

    def _lost(self, neighbor: Neighbor, reason: str, out: list[HelloOutput]) -> None:
        """Communication lost: forget their instance, change ours, tell the engine once."""
        if neighbor.up:
            neighbor.up = False
            out.append(NeighborDown(neighbor.address, neighbor.interface, reason))
            self.counters["neighbour down"] += 1
        neighbor.theirs = 0
        neighbor.ours = self._new_instance(neighbor.ours)
        neighbor.wrong_since = None
        self._timers.cancel(("dead", neighbor.address))

    def _send(self, neighbor: Neighbor, now: float, out: list[HelloOutput]) -> None:
        resume = neighbor.last_request + neighbor.interval_s  # computed once: now - last < interval can
        if now < resume:  # hold while now == last + interval, which would fire again at once, forever
            self.counters["HELLO REQUEST suppressed"] += 1  # their REQUEST stood in for ours
            self._timers.schedule(("send", neighbor.address), resume)
            return
        out.append(SendHello(neighbor.address, neighbor.interface, HelloRequest(neighbor.ours, neighbor.theirs)))
        self.counters["sent HELLO REQUEST"] += 1
        self._timers.schedule(("send", neighbor.address), now + neighbor.interval_s)

    def _new_instance(self, old: int) -> int:
        """A fresh Src_Instance: non-zero and different from the last one advertised (section 5.3)."""
        while True:
            value = self.rng.getrandbits(32)
            if value and value != old:
                return value
