"""Pre-started idle routelets, so a reservation does not wait for a domain or namespace to boot.

The seed proposal keeps "a pool of routelets" ready: :meth:`take` hands out
an idle one (starting one cold only when the pool is empty), :meth:`give_back`
returns it idle, and :meth:`replenish` tops the pool up to its size, off the
critical path (the daemon calls it after answering the engine).
"""

from __future__ import annotations

import itertools

from quasar_glue.backend import Backend
from quasar_glue.model import Routelet, State


class RouteletPool:
    def __init__(self, backend: Backend, prefix: str, size: int) -> None:
        self.backend = backend
        self.prefix = prefix
        self.size = size
        self.idle: list[Routelet] = []
        self._numbers = itertools.count()

    def _start(self) -> Routelet:
        routelet = Routelet(f"{self.prefix}-{next(self._numbers)}", self.backend.name)
        self.backend.create(routelet)
        return routelet

    def replenish(self) -> None:
        while len(self.idle) < self.size:
            self.idle.append(self._start())

    def resize(self, size: int) -> None:
        """Keep ``size`` idle routelets from now on (surplus ones are stopped now)."""
        self.size = size
        while len(self.idle) > size:
            self.backend.destroy(self.idle.pop().name)
        self.replenish()

    def take(self) -> Routelet:
        return self.idle.pop() if self.idle else self._start()

    def give_back(self, routelet: Routelet) -> None:
        """``routelet`` is idle again (unassigned by the caller): keep it, or stop it if the pool is full."""
        routelet.clear()
        if len(self.idle) < self.size:
            self.idle.append(routelet)
        else:
            self.backend.destroy(routelet.name)

    def close(self) -> None:
        while self.idle:
            self.backend.destroy(self.idle.pop().name)

    def snapshot(self) -> list[dict]:
        return [r.snapshot() for r in self.idle if r.state is State.IDLE]
