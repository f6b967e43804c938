"""What a link does to one message: loss, corruption, duplication, reordering and delay.

:func:`transmit` is pure apart from the link's own ``random.Random``: it
returns the copies that arrive and after how long.  Without reordering every
copy takes exactly ``delay_ms``, so a link is FIFO.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

from .scenario import LinkSpec


@dataclasses.dataclass(slots=True)
class LinkState:
    """A link at run time.  ``generation`` changes on every down, so messages in flight when it fails are lost."""

    spec: LinkSpec
    rng: random.Random
    up: bool = True
    generation: int = 0
    counters: Counter[str] = dataclasses.field(default_factory=Counter)


def transmit(link: LinkState, data: bytes) -> list[tuple[float, bytes]]:
    """The copies of ``data`` that will arrive, as (delay in seconds, bytes); counts what happened."""
    spec, rng, counters = link.spec, link.rng, link.counters
    counters["offered"] += 1
    if spec.loss and rng.random() < spec.loss:
        counters["lost"] += 1
        return []
    copies = 2 if spec.duplicate and rng.random() < spec.duplicate else 1
    if copies == 2:
        counters["duplicated"] += 1
    base = spec.delay_ms / 1000.0
    spread = (spec.reorder_ms if spec.reorder_ms is not None else max(spec.delay_ms, 1.0)) / 1000.0
    out = []
    for _ in range(copies):
        delay = base
        if spec.reorder and rng.random() < spec.reorder:
            counters["reordered"] += 1
            delay += rng.uniform(0.0, spread)
        payload = data
        if spec.corrupt and rng.random() < spec.corrupt:
            counters["corrupted"] += 1
            payload = _flip_byte(rng, data)
        out.append((delay, payload))
    return out


def _flip_byte(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + bytes((data[i] ^ rng.randrange(1, 256),)) + data[i + 1 :]
