"""One heap of deadlines for all soft-state timers of a node.

Rescheduling never searches the heap: each (re)schedule gives the key a fresh
generation number, never reused, and heap entries whose generation is not the
key's current one are skipped when they surface.  Cost per refresh: one heap
push and one pop.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Hashable


class TimerHeap:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Hashable, int]] = []
        self._generation: dict[Hashable, int] = {}
        self._order = itertools.count()

    def schedule(self, key: Hashable, deadline: float) -> None:
        """Fire ``key`` at ``deadline``, replacing any earlier schedule of it."""
        generation = next(self._order)  # unique: an old entry of a cancelled key can never match again
        self._generation[key] = generation
        heapq.heappush(self._heap, (deadline, generation, key, generation))

    def pending(self, key: Hashable) -> bool:
        return key in self._generation

    def cancel(self, key: Hashable) -> None:
        self._generation.pop(key, None)

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and self._generation.get(heap[0][2]) != heap[0][3]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> list[Hashable]:
        """Every key whose deadline is <= ``now``, earliest first; each fires once."""
        due = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, key, generation = heapq.heappop(heap)
            if self._generation.get(key) == generation:
                del self._generation[key]
                due.append(key)
        return due

    def __len__(self) -> int:
        return len(self._generation)
