"""Admission policies by name (``[admission] policy``), counted for metrics, and the ledger they keep.

Policies are the ``quasar_rsvp.admission`` entry points (``bandwidth``,
``quasar``), each called with the node's interfaces.  Until ``admission/``
provides its ``bandwidth`` module, that name is the engine's built-in
:class:`~rsvp.engine.admission.BandwidthPolicy`.
"""

from __future__ import annotations

from collections import Counter
from importlib.metadata import entry_points
from typing import Any

from rsvp.engine.admission import Admission, BandwidthPolicy, Rejected, Request
from rsvp.engine.config import Interface

from .config import ConfigError

GROUP = "quasar_rsvp.admission"


def policy_factory(name: str) -> Any:
    """The callable that builds policy ``name`` from a tuple of interfaces; ConfigError if there is none."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in found:
        raise ConfigError("admission.policy", f"unknown policy {name!r}; installed: {', '.join(sorted(found))}")
    try:
        return found[name].load()
    except ImportError as exc:
        if name == "bandwidth":
            return BandwidthPolicy
        raise ConfigError("admission.policy", f"policy {name!r} is declared but cannot be loaded: {exc}") from None


class CountingAdmission:
    """Wraps a policy and counts its answers (admitted, rejected, preemption victims) for metrics."""

    def __init__(self, policy: Admission) -> None:
        self.policy = policy
        self.results: Counter[str] = Counter()

    def admit(self, request: Request) -> Rejected | None:
        rejected = self.policy.admit(request)
        self.results["admitted" if rejected is None else "rejected"] += 1
        return rejected

    def release(self, key: object) -> None:
        self.policy.release(key)

    def preemptable(self, request: Request) -> list[object]:
        victims = self.policy.preemptable(request)
        self.results["preemption victims"] += len(victims)
        return victims

    def reserved_bps(self, interface: str) -> float:
        return self.policy.reserved_bps(interface)


def make_admission(name: str, interfaces: tuple[Interface, ...]) -> CountingAdmission:
    return CountingAdmission(policy_factory(name)(interfaces))


def ledger(interfaces: tuple[Interface, ...], admission: Admission) -> list[dict[str, Any]]:
    """Per interface: capacity, what admission may hand out (RFC 2205 section 1.1 admission control),
    what it has, and what is free."""
    rows = []
    for interface in interfaces:
        reservable = interface.bandwidth_bps * interface.max_reservable
        reserved = admission.reserved_bps(interface.name)
        rows.append({"interface": interface.name, "bandwidth_bps": interface.bandwidth_bps,
                     "reservable_bps": reservable, "reserved_bps": reserved, "free_bps": reservable - reserved})
    return rows
