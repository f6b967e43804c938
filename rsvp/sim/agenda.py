"""The simulator's future: a heap of (time, seq, kind, payload), popped in time order.

``seq`` increases with every push, so entries at the same time run in the
order they were scheduled and payloads are never compared.
"""

from __future__ import annotations

import heapq
from typing import Any


class Agenda:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = 0

    def push(self, time: float, kind: str, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, kind, payload))

    def pop(self) -> tuple[float, int, str, Any]:
        return heapq.heappop(self._heap)

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
