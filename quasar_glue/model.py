"""The routelet: one reservation's partition of the router, and what it forwards."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Hashable
from ipaddress import IPv4Address

from admission.shares import Shares
from quasar_glue.graph import ForwardingGraph


TRAFFIC_CONTROL_SYSTEM_ERROR = 22  # RFC 2205 appendix B: the value is system-specific; ours:
NO_ROUTELET = 1  # no idle routelet in the pool and none could be started
NOT_CONFIGURED = 2  # the backend could not configure the routelet (rolled back)


class GlueError(Exception):
    """A reservation could not be realised; ``str(error)`` is the reason reported to the engine, which
    fails the reservation with error ``error_code``/``error_value`` (a ResvErr)."""

    error_code = TRAFFIC_CONTROL_SYSTEM_ERROR
    error_value = NOT_CONFIGURED


class State(enum.Enum):
    IDLE = "idle"  # started, in the pool, forwarding nothing
    ASSIGNED = "assigned"  # realising a reservation


@dataclasses.dataclass(slots=True)
class Routelet:
    name: str
    backend: str
    state: State = State.IDLE
    handle: int | None = None
    flow: Hashable | None = None  # the caller's key for the reservation (e.g. the admission key)
    in_label: int | None = None
    out_label: int | None = None
    in_interfaces: tuple[str, ...] = ()
    out_interface: str | None = None
    next_hop: IPv4Address | None = None
    bandwidth_bps: float = 0.0
    shares: Shares | None = None  # None: bandwidth only (no CPU/memory partition)
    graph: ForwardingGraph | None = None
    details: dict = dataclasses.field(default_factory=dict)  # backend facts: pid, domain, enforcement

    def snapshot(self) -> dict:
        """JSON-able view for ``rsvpctl`` and logs."""
        return {
            "name": self.name,
            "backend": self.backend,
            "state": self.state.value,
            "handle": self.handle,
            "flow": None if self.flow is None else str(self.flow),
            "in_label": self.in_label,
            "out_label": self.out_label,
            "in_interfaces": list(self.in_interfaces),
            "out_interface": self.out_interface,
            "next_hop": None if self.next_hop is None else str(self.next_hop),
            "bandwidth_bps": self.bandwidth_bps,
            "shares": None if self.shares is None else {
                k: (None if v == float("inf") else v) for k, v in dataclasses.asdict(self.shares).items()},
            **self.details,
        }

    def clear(self) -> None:
        """Forget the reservation (back to idle); backend details stay."""
        self.state = State.IDLE
        self.handle = self.flow = self.in_label = self.out_label = None
        self.out_interface = self.next_hop = self.shares = self.graph = None
        self.in_interfaces = ()
        self.bandwidth_bps = 0.0
