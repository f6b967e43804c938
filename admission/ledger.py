"""Capacity ledger: what the router and its interfaces can give out, and who holds what.

Resources are named (``bandwidth:<interface>`` in bits/s, ``cpu`` in
fractions of one CPU, ``memory`` in bytes) and each has a capacity.  A
:class:`Claim` asks for amounts of several resources at once, all or none.

Theory of operation:

* Accounting is incremental: ``used`` per resource is kept up to date on each
  claim and release, in O(size of the claim's sharing group).
* Claims with the same ``share_key`` on a *shared* resource count once, at
  their largest (SE style, RFC 3209 section 2.5: a make-before-break LSP
  shares with the one it replaces).  Which resources are shared is the
  policy's choice (bandwidth is; memory, which each routelet really holds, is not).
* A claim that does not fit changes nothing.  A claim that lowers the use of
  an over-full resource (its capacity was cut) is allowed: the ledger never
  makes an overload worse, and never refuses a shrink.
* :meth:`Ledger.preemption` is a trial without side effects: which holders,
  taken lowest priority first (hold priority numerically greater than the
  request's setup priority, RFC 3209 section 4.7), would make room; within a
  priority level, those holding most of what is short go first (the sum of
  their amounts, each over the shortfall of its resource), and holders that
  free nothing short (on another interface, or not their SE group's largest)
  are passed over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping

_SLACK = 1e-9  # relative tolerance on capacity, for float rounding of sums


@dataclasses.dataclass(frozen=True, slots=True)
class Claim:
    """Amounts of named resources held under ``key``; ``share_key`` groups SE-style sharers."""

    key: object
    amounts: Mapping[str, float]
    share_key: object | None = None
    hold_priority: int = 0


class Ledger:
    def __init__(self, capacities: Mapping[str, float], shared: Collection[str] = ()) -> None:
        self._capacity = dict(capacities)
        self._shared = frozenset(shared)
        self._used = dict.fromkeys(self._capacity, 0.0)
        self._claims: dict[object, Claim] = {}
        self._groups: dict[tuple[str, object], dict[object, float]] = {}  # (resource, share_key) -> key -> amount
        self._holding: dict[int, dict[object, None]] = {}  # hold priority -> keys, in arrival order

    # -- reading ------------------------------------------------------------------------------
    def capacity(self, resource: str) -> float:
        return self._capacity.get(resource, 0.0)

    def used(self, resource: str) -> float:
        return self._used.get(resource, 0.0)

    def held(self, key: object) -> Claim | None:
        return self._claims.get(key)

    def __iter__(self) -> Iterator[Claim]:
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def resources(self) -> dict[str, dict[str, float]]:
        return {r: {"capacity": c, "used": self._used[r]} for r, c in self._capacity.items()}

    # -- trial (pure) -------------------------------------------------------------------------
    def _grouped(self, resource: str, claim: Claim) -> bool:
        return claim.share_key is not None and resource in self._shared

    def usage(self, resource: str, without: Collection[object] = (), extra: Claim | None = None) -> float:
        """What ``resource``'s use would be with the claims under ``without`` gone and ``extra`` added."""
        used = self._used.get(resource, 0.0)
        groups: set[object] = set()
        for key in without:
            claim = self._claims.get(key)
            if claim is None or resource not in claim.amounts:
                continue
            if self._grouped(resource, claim):
                groups.add(claim.share_key)
            else:
                used -= claim.amounts[resource]
        if extra is not None and resource in extra.amounts:
            if self._grouped(resource, extra):
                groups.add(extra.share_key)
            else:
                used += extra.amounts[resource]
        for share_key in groups:
            members = self._groups.get((resource, share_key), {})
            after = [amount for key, amount in members.items() if key not in without]
            if extra is not None and extra.share_key == share_key and resource in extra.amounts:
                after.append(extra.amounts[resource])
            used += max(after, default=0.0) - max(members.values(), default=0.0)
        return used

    def shortfall(self, claim: Claim, without: Collection[object] = ()) -> dict[str, float]:
        """Per resource, how much ``claim`` (replacing what its key holds) would be over capacity,
        with the holders under ``without`` gone; {} when it fits."""
        gone = {claim.key, *without}
        short = {}
        for resource in claim.amounts:
            after = self.usage(resource, gone, claim)
            limit = self.capacity(resource)
            if after > limit * (1 + _SLACK) + _SLACK and after > self.used(resource):
                short[resource] = after - limit
        return short

    def preemption(self, claim: Claim, setup_priority: int) -> list[object]:
        """Keys to preempt so that ``claim`` fits, lowest priority first; [] if it fits already or
        if preempting every weaker holder would not be enough."""
        need = self.shortfall(claim)
        if not need:
            return []
        gone: set[object] = {claim.key}
        victims: list[object] = []
        for priority in range(7, setup_priority, -1):
            level = [self._claims[k] for k in self._holding.get(priority, ()) if k != claim.key]
            level.sort(key=lambda c: -sum(c.amounts.get(r, 0.0) / n for r, n in need.items()))
            for victim in level:
                if not any(self.usage(r, gone) > self.usage(r, gone | {victim.key}) for r in need):
                    continue  # frees nothing that is short (on another interface, or not its group's largest)
                gone.add(victim.key)
                victims.append(victim.key)
                need = self.shortfall(claim, gone)
                if not need:
                    return victims
        return []

    # -- changing -----------------------------------------------------------------------------
    def add(self, claim: Claim) -> dict[str, float]:
        """Hold ``claim`` (replacing what its key held) if it fits, and return {}; otherwise change
        nothing and return the shortfall per resource."""
        short = self.shortfall(claim)
        if short:
            return short
        self.remove(claim.key)
        self._claims[claim.key] = claim
        self._holding.setdefault(claim.hold_priority, {})[claim.key] = None
        for resource, amount in claim.amounts.items():
            if not self._grouped(resource, claim):
                self._used[resource] = self._used.get(resource, 0.0) + amount
                continue
            group = self._groups.setdefault((resource, claim.share_key), {})
            before = max(group.values(), default=0.0)
            group[claim.key] = amount
            self._used[resource] = self._used.get(resource, 0.0) + max(group.values()) - before
        return {}

    def remove(self, key: object) -> Claim | None:
        """Give back what ``key`` holds; the claim, or None if it held nothing."""
        claim = self._claims.pop(key, None)
        if claim is None:
            return None
        holders = self._holding[claim.hold_priority]
        del holders[key]
        if not holders:
            del self._holding[claim.hold_priority]
        for resource, amount in claim.amounts.items():
            if not self._grouped(resource, claim):
                self._used[resource] -= amount
                continue
            group_key = (resource, claim.share_key)
            group = self._groups[group_key]
            before = max(group.values())
            del group[key]
            self._used[resource] -= before - max(group.values(), default=0.0)
            if not group:
                del self._groups[group_key]
        return claim
