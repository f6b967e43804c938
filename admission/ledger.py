"""Capacity ledger: what the router and its interfaces can give out, and who holds what.

Resources are named (``bandwidth:<interface>`` in bits/s, ``cpu`` in
fractions of one CPU, ``memory`` in bytes) and each has a capacity.  A
:class:`Claim` asks for amounts of several resources at once, all or none.

Theory of operation:

* Accounting is incremental and exact: ``used`` per resource is kept up to
  date on each claim and release, in O(size of the claim's sharing group).
  Every finite float is a whole number of 2**-1074 units, so amounts are
  summed as integers in those units (no rounding at all) and read back as the
  correctly rounded float of the exact sum: releasing a claim restores
  ``used`` bit for bit, and a claim fits when the exact sum is within the
  capacity, with no tolerance.
* Claims with the same ``share_key`` on a *shared* resource count once, at
  their largest (SE style, RFC 3209 section 2.5: a make-before-break LSP
  shares with the one it replaces).  Which resources are shared is the
  policy's choice (bandwidth is; memory, which each routelet really holds, is not).
* A claim that does not fit changes nothing.  A claim that lowers the use of
  an over-full resource (its capacity was cut) is allowed: the ledger never
  makes an overload worse, and never refuses a shrink.
* :meth:`Ledger.preemption` is a trial without side effects: which holders,
  taken lowest priority first (hold priority numerically greater than the
  request's setup priority, RFC 3209 section 4.7), would make room.  Within a
  priority level, those holding most of what is short go first (the sum of
  their amounts, each over the shortfall of its resource).  A holder that
  frees nothing short alone (on another interface, or not its SE group's
  largest) is passed over, unless it ties for its group's largest with
  sharers no stronger than the level: then they are taken together.  Holders
  passed over are tried again, first, after each holder taken and at each
  stronger level, since what was taken may have left them their group's largest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping

_FRACTION_BITS = 1074  # the smallest positive float is 2**-1074


def _units(amount: float) -> int:
    """``amount`` exactly, as a whole number of 2**-1074."""
    numerator, denominator = amount.as_integer_ratio()  # denominator: a power of two
    return numerator << (_FRACTION_BITS + 1 - denominator.bit_length())


def _real(units: int) -> float:
    """The float nearest ``units`` 2**-1074 (int true division rounds correctly)."""
    return units / (1 << _FRACTION_BITS)


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
        self._used = dict.fromkeys(self._capacity, 0)  # exact, in 2**-1074
        self._claims: dict[object, Claim] = {}
        self._groups: dict[tuple[str, object], dict[object, int]] = {}  # (resource, share_key) -> key -> units
        self._holding: dict[int, dict[object, None]] = {}  # hold priority -> keys, in arrival order

    # -- reading ------------------------------------------------------------------------------
    def capacity(self, resource: str) -> float:
        return self._capacity.get(resource, 0.0)

    def used(self, resource: str) -> float:
        return _real(self._used.get(resource, 0))

    def held(self, key: object) -> Claim | None:
        return self._claims.get(key)

    def __iter__(self) -> Iterator[Claim]:
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def resources(self) -> dict[str, dict[str, float]]:
        return {r: {"capacity": c, "used": _real(self._used[r])} for r, c in self._capacity.items()}

    # -- trial (pure) -------------------------------------------------------------------------
    def _grouped(self, resource: str, claim: Claim) -> bool:
        return claim.share_key is not None and resource in self._shared

    def usage(self, resource: str, without: Collection[object] = (), extra: Claim | None = None) -> float:
        """What ``resource``'s use would be with the claims under ``without`` gone and ``extra`` added."""
        return _real(self._usage(resource, without, extra))

    def _usage(self, resource: str, without: Collection[object], extra: Claim | None = None) -> int:
        used = self._used.get(resource, 0)
        groups: set[object] = set()
        for key in without:
            claim = self._claims.get(key)
            if claim is None or resource not in claim.amounts:
                continue
            if self._grouped(resource, claim):
                groups.add(claim.share_key)
            else:
                used -= _units(claim.amounts[resource])
        if extra is not None and resource in extra.amounts:
            if self._grouped(resource, extra):
                groups.add(extra.share_key)
            else:
                used += _units(extra.amounts[resource])
        for share_key in groups:
            members = self._groups.get((resource, share_key), {})
            after = [amount for key, amount in members.items() if key not in without]
            if extra is not None and extra.share_key == share_key and resource in extra.amounts:
                after.append(_units(extra.amounts[resource]))
            used += max(after, default=0) - max(members.values(), default=0)
        return used

    def shortfall(self, claim: Claim, without: Collection[object] = ()) -> dict[str, float]:
        """Per resource, how much ``claim`` (replacing what its key holds) would be over capacity,
        with the holders under ``without`` gone; {} when it fits."""
        gone = {claim.key, *without}
        short = {}
        for resource in claim.amounts:
            after = self._usage(resource, gone, claim)
            over = after - _units(self.capacity(resource))
            if over > 0 and after > self._used.get(resource, 0):
                short[resource] = _real(over)
        return short

    def preemption(self, claim: Claim, setup_priority: int) -> list[object]:
        """Keys to preempt so that ``claim`` fits, lowest priority first; [] if it fits already or
        if preempting every weaker holder would not be enough."""
        need = self.shortfall(claim)
        if not need:
            return []
        gone: set[object] = {claim.key}
        victims: list[object] = []
        passed: list[Claim] = []  # passed over at weaker levels: tried first again
        for priority in range(7, setup_priority, -1):
            level = [self._claims[k] for k in self._holding.get(priority, ()) if k not in gone]
            level.sort(key=lambda c: -sum(c.amounts.get(r, 0.0) / n for r, n in need.items()))
            candidates = passed + level
            while unit := next((u for c in candidates if c.key not in gone
                                and (u := self._unit(c, gone, need, priority))), None):
                gone.update(unit)  # then from the first again: this may have made others free something
                victims.extend(unit)
                need = self.shortfall(claim, gone)
                if not need:
                    return sorted(victims, key=lambda k: -self._claims[k].hold_priority)
            passed = [c for c in candidates if c.key not in gone]
        return []

    def _unit(self, victim: Claim, gone: set[object], need: Mapping[str, float], priority: int) -> list[object] | None:
        """Who to take with ``victim`` to free something short, at ``priority``'s level: itself alone
        if that frees something; else with the sharers it ties with for its SE groups' largest, if
        none is stronger than the level; None if that frees nothing short either."""
        unit = {victim.key: None}
        if self._frees(unit, gone, need):
            return list(unit)
        for resource in need:
            if resource in victim.amounts and self._grouped(resource, victim):
                present = {k: a for k, a in self._groups[(resource, victim.share_key)].items() if k not in gone}
                top = max(present.values())
                if present[victim.key] == top:
                    unit.update((k, None) for k, a in present.items() if a == top)
        if len(unit) == 1 or any(self._claims[k].hold_priority < priority for k in unit):
            return None
        return list(unit) if self._frees(unit, gone, need) else None

    def _frees(self, keys: Collection[object], gone: set[object], need: Mapping[str, float]) -> bool:
        """Whether taking ``keys`` after ``gone`` lowers the use of something short."""
        for resource in need:
            groups = set()
            for key in keys:
                claim = self._claims[key]
                if resource not in claim.amounts:
                    continue
                if not self._grouped(resource, claim):
                    if claim.amounts[resource] > 0:
                        return True
                    continue
                groups.add(claim.share_key)
            for share_key in groups:
                present = [(k, a) for k, a in self._groups[(resource, share_key)].items() if k not in gone]
                if max(a for _, a in present) > max((a for k, a in present if k not in keys), default=0):
                    return True
        return False

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
            units = _units(amount)
            if not self._grouped(resource, claim):
                self._used[resource] = self._used.get(resource, 0) + units
                continue
            group = self._groups.setdefault((resource, claim.share_key), {})
            before = max(group.values(), default=0)
            group[claim.key] = units
            self._used[resource] = self._used.get(resource, 0) + max(group.values()) - before
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
                self._used[resource] -= _units(amount)
                continue
            group_key = (resource, claim.share_key)
            group = self._groups[group_key]
            before = max(group.values())
            del group[key]
            self._used[resource] -= before - max(group.values(), default=0)
            if not group:
                del self._groups[group_key]
        return claim
