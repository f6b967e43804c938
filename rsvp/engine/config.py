"""What a node is told: its router id, interfaces, timers and ingress tunnels (plain data)."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv4Network

DEFAULT_REFRESH_S = 30.0  # R, RFC 2205 section 3.7
DEFAULT_KEEP_MULTIPLIER = 3  # K


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
