"""Soft-state deadlines of many records, filed in time slots (a calendar queue).

A node holding N LSPs has four deadlines per LSP (its Path and Resv
refreshes, and the expiry of each, RFC 2205 section 3.7).  A heap entry per
deadline costs hundreds of bytes and a push per refresh; here each record is
filed once, under its earliest deadline, in the list of a slot
``granularity`` seconds wide: eight bytes per record.  Deadlines that move
later (a refresh arrived) are not refiled; the record surfaces at the old
slot, finds nothing due and is refiled under its new earliest deadline.
Records whose deadline moves earlier are filed again; the caller skips the
stale entry (see ``Lsp.wake``).

Slots fire at their end, so a deadline fires at most ``granularity`` late,
never early; a record is never filed into a slot already fired, so a
consumer that refiles what is not yet due always makes progress.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

GRANULARITY_S = 0.01  # soft-state timers need no finer (RFC 2205 section 3.7 jitters R by +-50%)


class Wakeups:
    def __init__(self, granularity: float = GRANULARITY_S) -> None:
        self.granularity = granularity
        self._slots: dict[int, list[Any]] = {}
        self._heap: list[int] = []  # slot numbers with a list in _slots
        self._fired = -math.inf  # the last slot popped

    def add(self, item: Any, deadline: float) -> None:
        """File ``item`` to surface at ``deadline`` (at most one slot later)."""
        slot = max(math.floor(deadline / self.granularity) + 1, self._fired + 1)
        bucket = self._slots.get(slot)
        if bucket is None:
            self._slots[slot] = [item]
            heapq.heappush(self._heap, slot)
        else:
            bucket.append(item)

    def next_deadline(self) -> float | None:
        return self._heap[0] * self.granularity if self._heap else None

    def pop_due(self, now: float) -> list[Any]:
        """Every item filed in a slot that ends at or before ``now``, earliest slot first."""
        due: list[Any] = []
        heap, slots, granularity = self._heap, self._slots, self.granularity
        while heap and heap[0] * granularity <= now:
            slot = heapq.heappop(heap)
            due.extend(slots.pop(slot))
            self._fired = slot
        return due

    def __len__(self) -> int:
        return sum(map(len, self._slots.values()))
