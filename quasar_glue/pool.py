"""Pre-started idle routelets, so a reservation does not wait for a domain or namespace to boot.

The seed proposal keeps "a pool of routelets" ready: :meth:`take` hands out
an idle one (starting one cold only when the pool is empty), :meth:`give_back`
returns it idle, and :meth:`replenish` tops the pool up to its size.  The
manager keeps starting and stopping off the install and release paths: its
refill thread tops the pool up (:meth:`new` + :meth:`add`) and stops what a
release left beyond the size (:meth:`surplus`), one routelet at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from quasar_glue.backend import Backend
from quasar_glue.model import Routelet, State


class RouteletPool:
    """``on_surplus``: called when :meth:`give_back` leaves more than ``size`` idle routelets (the
    surplus then waits in the pool to be stopped by the caller); None: the surplus is stopped at once."""

    def __init__(self, backend: Backend, prefix: str, size: int,
                 on_surplus: Callable[[], None] | None = None) -> None:
        self.backend = backend
        self.prefix = prefix
        self.size = size
        self.on_surplus = on_surplus
        self.idle: list[Routelet] = []
        self._numbers = itertools.count()

    def new(self) -> Routelet:
        """A routelet with the next free name, not started yet (``backend.create`` starts it)."""
        return Routelet(f"{self.prefix}-{next(self._numbers)}", self.backend.name)

    def _start(self) -> Routelet:
        routelet = self.new()
        self.backend.create(routelet)
        return routelet

    def replenish(self) -> None:
        while len(self.idle) < self.size:
            self.idle.append(self._start())

    def add(self, routelet: Routelet) -> bool:
        """Keep the started idle ``routelet`` if the pool is short of its size; False: the caller stops it."""
        if len(self.idle) >= self.size:
            return False
        self.idle.append(routelet)
        return True

    def surplus(self) -> Routelet | None:
        """An idle routelet beyond the pool's size, taken out for the caller to stop (None: no surplus)."""
        return self.idle.pop(0) if len(self.idle) > self.size else None

    def resize(self, size: int) -> None:
        """Keep ``size`` idle routelets from now on (surplus ones are stopped now)."""
        self.size = size
        while len(self.idle) > size:
            self.backend.destroy(self.idle.pop().name)
        self.replenish()

    def take(self) -> Routelet:
        return self.idle.pop() if self.idle else self._start()

    def give_back(self, routelet: Routelet) -> None:
        """``routelet`` is idle again (unassigned by the caller): keep it; beyond the pool's size, stop it
        now, or leave that to ``on_surplus``."""
        routelet.clear()
        if len(self.idle) < self.size:
            self.idle.append(routelet)
        elif self.on_surplus is not None:
            self.idle.append(routelet)
            self.on_surplus()
        else:
            self.backend.destroy(routelet.name)

    def close(self) -> None:
        while self.idle:
            self.backend.destroy(self.idle.pop().name)

    def snapshot(self) -> list[dict]:
        return [r.snapshot() for r in self.idle if r.state is State.IDLE]
