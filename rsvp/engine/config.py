"""What a node is told: its router id, interfaces, timers and ingress tunnels (plain data)."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv4Network

from .budget import Rate
from .bundle import BundleConfig
from .integrity import Key
from .reliable import ReliableConfig

DEFAULT_REFRESH_S = 30.0  # R, RFC 2205 section 3.7
DEFAULT_KEEP_MULTIPLIER = 3  # K
DEFAULT_RECEIVE_PER_INTERFACE = Rate(20_000.0, 20_000.0)  # messages/s: far above normal signalling,
DEFAULT_RECEIVE_PER_NEIGHBOR = Rate(10_000.0, 10_000.0)  # so only a flood is shed
DEFAULT_PACING = Rate(10_000.0, 10_000.0)  # per outgoing interface (IOS's 200/s would slow a mass setup)
DEFAULT_PACING_QUEUE = 100_000


@dataclasses.dataclass(frozen=True, slots=True)
class Interface:
    """An RSVP interface.  ``max_reservable`` is the fraction of ``bandwidth_bps`` admission may give out."""

    name: str
    address: IPv4Address
    bandwidth_bps: float
    prefix_length: int = 30
    max_reservable: float = 1.0

    @property
    def network(self) -> IPv4Network:
        return IPv4Network(f"{self.address}/{self.prefix_length}", strict=False)


@dataclasses.dataclass(frozen=True, slots=True)
class EroHop:
    """One configured explicit-route hop (RFC 3209 section 4.3.3.1): an address or prefix, strict or loose."""

    address: IPv4Address
    prefix_length: int = 32
    loose: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Tunnel:
    """An ingress LSP to set up and keep up (RFC 3209 section 2): bandwidth in bits/s."""

    name: str
    destination: IPv4Address
    bandwidth_bps: float
    tunnel_id: int
    ero: tuple[EroHop, ...] = ()
    setup_priority: int = 7
    hold_priority: int = 0
    record_route: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class NodeConfig:
    """A node's configuration.  Timers in seconds; L = (K + 0.5) * 1.5 * R (RFC 2205 section 3.7)."""

    router_id: IPv4Address
    interfaces: tuple[Interface, ...]
    refresh_s: float = DEFAULT_REFRESH_S
    keep_multiplier: int = DEFAULT_KEEP_MULTIPLIER
    label_range: tuple[int, int] = (16, (1 << 20) - 1)
    retry_initial_s: float = 1.0
    retry_max_s: float = 60.0
    # RFC 2961 refresh reduction (MESSAGE_ID, ACK, Srefresh), and Bundles (None: off)
    refresh_reduction: bool = True
    reliable: ReliableConfig = ReliableConfig()  # noqa: RUF009 (frozen: shared safely)
    bundle: BundleConfig | None = None  # e.g. BundleConfig(): adds up to its delay to every message
    # RFC 3209 section 5 Hello
    hello: bool = True
    hello_interval_s: float = 5.0
    hello_misses: float = 3.5
    # RFC 2747 key chains (none: integrity off); a neighbour's chain wins over its interface's
    integrity_by_interface: tuple[tuple[str, tuple[Key, ...]], ...] = ()
    integrity_by_neighbor: tuple[tuple[IPv4Address, tuple[Key, ...]], ...] = ()
    # wall-clock time minus the ``now`` the node is handed: integrity sequence numbers and key lifetimes
    # are wall time (RFC 2747 section 3.2), so that numbers keep increasing across restarts
    wall_clock_offset_s: float = 0.0
    # overload protection (None: off).  The state limits count path state blocks (LSPs and classic RSVP
    # senders, in all and per previous hop); a reservation needs its path state, so they bound
    # reservations too.
    receive_per_interface: Rate | None = DEFAULT_RECEIVE_PER_INTERFACE
    receive_per_neighbor: Rate | None = DEFAULT_RECEIVE_PER_NEIGHBOR
    pacing: Rate | None = DEFAULT_PACING
    pacing_queue: int = DEFAULT_PACING_QUEUE
    max_state: int | None = None
    max_state_per_neighbor: int | None = None

    def interface(self, name: str) -> Interface:
        for interface in self.interfaces:
            if interface.name == name:
                return interface
        raise KeyError(name)

    def is_local(self, address: IPv4Address) -> bool:
        return address == self.router_id or any(i.address == address for i in self.interfaces)


def lifetime_s(refresh_s: float, keep_multiplier: int) -> float:
    """State lifetime L for a peer refreshing every ``refresh_s`` (RFC 2205 section 3.7)."""
    return (keep_multiplier + 0.5) * 1.5 * refresh_s


# --- Int-serv sessions (RFC 2205 with RFC 2210 objects): what hosts send and ask for --------------


@dataclasses.dataclass(frozen=True, slots=True)
class IntServSession:
    """An RFC 2205 IPv4 session (SESSION C-Type 1): destination address (unicast, or a multicast group),
    IP protocol and destination port (0: none)."""

    destination: IPv4Address
    protocol_id: int = 17
    destination_port: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class TrafficSpec:
    """A token bucket (RFC 2210 section 3.1) in operator units: rates in bits/s, sizes in bytes."""

    rate_bps: float
    bucket_bytes: float = 1500.0
    peak_bps: float = float("inf")
    min_policed_unit: int = 64
    max_packet_size: int = 1500


@dataclasses.dataclass(frozen=True, slots=True)
class FlowRequest:
    """A receiver's reservation request: Controlled-Load (RFC 2211) for ``traffic``, or Guaranteed
    (RFC 2212) with service rate ``guaranteed_rate_bps`` (R, >= the token bucket rate) and slack term."""

    traffic: TrafficSpec
    guaranteed_rate_bps: float | None = None
    slack_us: int = 0
