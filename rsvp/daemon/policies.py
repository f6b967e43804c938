"""Admission policies by name (``[admission] policy`` and ``options``), counted for metrics, and the
ledger they keep.

Policies are the ``quasar_rsvp.admission`` entry points (built-ins:
``bandwidth``, ``quasar``; see :mod:`admission.registry`), each built with
the node's interfaces and the configured options.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from admission import registry
from admission.shares import Shares
from rsvp.engine.admission import Admission, Rejected, Request
from rsvp.engine.config import Interface

from .config import ConfigError


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

    def shares(self, key: object) -> Shares | None:
        """What the policy granted ``key`` beyond bandwidth (None for bandwidth-only policies)."""
        shares = getattr(self.policy, "shares", None)
        return shares(key) if shares is not None else None

    def snapshot(self) -> dict[str, Any] | None:
        snapshot = getattr(self.policy, "snapshot", None)
        return snapshot() if snapshot is not None else None


def make_admission(name: str, interfaces: tuple[Interface, ...],
                   options: dict[str, Any] | None = None) -> CountingAdmission:
    """Policy ``name`` for ``interfaces``; ConfigError naming the key for an unknown name or bad options."""
    try:
        return CountingAdmission(registry.load(name, interfaces, **(options or {})))
    except registry.PolicyError as exc:
        key = "admission.policy" if name not in registry.available() else "admission.options"
        raise ConfigError(key, str(exc)) from None


def ledger(interfaces: tuple[Interface, ...], admission: CountingAdmission) -> dict[str, list[dict[str, Any]]]:
    """Per interface: capacity, what admission may hand out (RFC 2205 section 1.1 admission control),
    what it has, and what is free; and the router's CPU and memory when the policy shares them."""
    rows = []
    for interface in interfaces:
        reservable = interface.bandwidth_bps * interface.max_reservable
        reserved = admission.reserved_bps(interface.name)
        rows.append({"interface": interface.name, "bandwidth_bps": interface.bandwidth_bps,
                     "reservable_bps": reservable, "reserved_bps": reserved, "free_bps": reservable - reserved})
    snapshot = admission.snapshot() or {}
    router = []
    if "cpu" in snapshot:
        cpu = snapshot["cpu"]
        router.append({"resource": "cpu", "unit": "CPUs", "capacity": cpu["capacity"], "used": cpu["used"]})
    if "memory" in snapshot:
        memory = snapshot["memory"]
        router.append({"resource": "memory", "unit": "bytes", "capacity": memory["capacity_bytes"],
                       "used": memory["used_bytes"]})
    return {"bandwidth": rows, "router": router}
