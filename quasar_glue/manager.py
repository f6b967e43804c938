"""What the daemon calls: realise the engine's InstallLabel as a routelet, RemoveLabel releases it.

All methods are blocking and serialised by one lock (call them through
``trio.to_thread.run_sync``).  :meth:`RouteletManager.install` answers with the
event the engine expects, so the daemon feeds the result straight back::

    event = manager.install(action, admission.shares(key), in_interface=ifname, flow=key)
    engine.handle(event, now)          # LabelInstalled or LabelInstallFailed(handle, reason, 22, value)
    manager.replenish()                # refill the idle pool: returns at once, a thread does it

Installing the same handle again with the same reservation changes nothing;
with different shares or labels it resizes the routelet in place.  A failed
install leaves no half-made routelet: the backend's partial state is undone
and the routelet goes back to the pool idle.  On :meth:`start` every routelet
found on the host under this prefix is an orphan (a new manager owns no
reservation yet) and is removed before the pool is filled.

Starting and stopping routelets is kept off the install and release paths:
:meth:`~RouteletManager.replenish` only wakes the manager's refill thread,
which starts routelets until the pool is at its size again and stops those a
release left beyond it, taking the lock for one routelet at a time.  A backend
whose ``create``/``destroy`` touch nothing an assign uses (``concurrent_create
= True``: libvirt, whose connection is thread-safe) has them run outside the
lock, so an install never waits for a domain to boot.  A refill that fails is
recorded in ``refill_error`` (and retried on the next ``replenish``); an
install that then finds the pool empty starts a routelet cold and reports its
own failure.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from admission.shares import Shares
from quasar_glue.backend import Backend, NoBackend
from quasar_glue.config import GlueConfig
from quasar_glue.model import NO_ROUTELET, TRAFFIC_CONTROL_SYSTEM_ERROR, GlueError, Routelet, State
from quasar_glue.pool import RouteletPool
from rsvp.engine.actions import InstallLabel, RemoveLabel
from rsvp.engine.events import LabelInstalled, LabelInstallFailed


def make_backend(config: GlueConfig) -> Backend:
    """The backend named by ``config.backend``: "none", "libvirt" or "netns"."""
    if config.backend == "none":
        return NoBackend(config)
    if config.backend == "libvirt":
        from quasar_glue.libvirt_backend import (
            LibvirtBackend,  # libvirt-python is an optional dependency
        )

        return LibvirtBackend(config)
    if config.backend == "netns":
        from quasar_glue.netns_backend import NetnsBackend

        return NetnsBackend(config)
    raise ValueError(f"unknown routelet backend {config.backend!r} (none, libvirt, netns)")


_RESERVATION = ("flow", "in_label", "out_label", "in_interfaces", "out_interface", "next_hop", "bandwidth_bps",
                "shares")


class RouteletManager:
    def __init__(self, config: GlueConfig, backend: Backend | None = None) -> None:
        self.config = config
        self.backend = backend if backend is not None else make_backend(config)
        self.pool = RouteletPool(self.backend, config.name_prefix, config.pool_size, on_surplus=self._wake)
        self.assigned: dict[int, Routelet] = {}
        self._lock = threading.Lock()
        self.refill_error: str | None = None  # why the last refill could not bring the pool to its size
        self._refill = threading.Condition()  # guards the four below; never held while taking _lock
        self._wanted = self._busy = self._closing = False
        self._refiller: threading.Thread | None = None

    def start(self) -> None:
        """Remove orphans of an earlier run, then start the idle pool."""
        with self._lock:
            for name in sorted(self.backend.existing()):
                self.backend.destroy(name)
            self.pool.replenish()

    def install(self, action: InstallLabel, shares: Shares | None, *, in_interface: str | None = None,
                flow: Hashable | None = None) -> LabelInstalled | LabelInstallFailed:
        """Realise ``action`` with ``shares`` (None: bandwidth only, no CPU/memory partition).

        ``in_interface``: where the labelled traffic arrives (None: every
        configured data interface, as labels are per platform).
        """
        wanted = {
            "flow": flow, "in_label": action.in_label, "out_label": action.out_label,
            "in_interfaces": (in_interface,) if in_interface else tuple(self.config.interfaces),
            "out_interface": action.out_interface, "next_hop": action.next_hop,
            "bandwidth_bps": action.bandwidth_bps, "shares": shares,
        }
        with self._lock:
            routelet = self.assigned.get(action.handle)
            if routelet is not None:
                return self._resize(action.handle, routelet, wanted)
            try:
                routelet = self.pool.take()
            except GlueError as error:
                return LabelInstallFailed(action.handle, str(error), TRAFFIC_CONTROL_SYSTEM_ERROR, NO_ROUTELET)
            for field, value in wanted.items():
                setattr(routelet, field, value)
            routelet.handle, routelet.state = action.handle, State.ASSIGNED
            try:
                self.backend.assign(routelet)
            except GlueError as error:
                self._release(routelet)
                return _failed(action.handle, error)
            self.assigned[action.handle] = routelet
            return LabelInstalled(action.handle)

    def _resize(self, handle: int, routelet: Routelet, wanted: dict) -> LabelInstalled | LabelInstallFailed:
        old = {field: getattr(routelet, field) for field in _RESERVATION}
        if old == wanted:
            return LabelInstalled(handle)
        for field, value in wanted.items():
            setattr(routelet, field, value)
        try:
            self.backend.assign(routelet)
            return LabelInstalled(handle)
        except GlueError as error:
            for field, value in old.items():
                setattr(routelet, field, value)
            try:
                self.backend.assign(routelet)  # the reservation it had still stands
            except GlueError:
                del self.assigned[handle]
                self._release(routelet)
            return _failed(handle, error)

    def _release(self, routelet: Routelet) -> None:
        try:
            self.backend.unassign(routelet)
        except GlueError:
            self.backend.destroy(routelet.name)
            return
        self.pool.give_back(routelet)

    def remove(self, action: RemoveLabel) -> None:
        """Release the routelet installed under ``action.handle`` (unknown handles are ignored)."""
        with self._lock:
            routelet = self.assigned.pop(action.handle, None)
            if routelet is not None:
                self._release(routelet)

    def replenish(self, wait: bool = False) -> None:
        """Bring the idle pool back to its size in the refill thread; returns at once.

        ``wait``: return once the thread has nothing left to do; GlueError if the pool could not be
        filled (benchmarks and tests use it to start from a settled pool)."""
        self._wake()
        if wait:
            with self._refill:
                self._refill.wait_for(lambda: not (self._wanted or self._busy))
            if self.refill_error is not None:
                raise GlueError(self.refill_error)

    def _thread(self) -> None:
        """Start the refill thread on first use (with ``_refill`` held)."""
        if self._refiller is None and not self._closing:
            self._refiller = threading.Thread(target=self._refill_loop, name=f"{self.config.name_prefix}-refill",
                                              daemon=True)
            self._refiller.start()

    def _wake(self) -> None:
        """Ask the refill thread for a pass (called with or without ``_lock`` held)."""
        with self._refill:
            if not self._closing:
                self._thread()
                self._wanted = True
                self._refill.notify_all()

    def _refill_loop(self) -> None:
        while True:
            with self._refill:
                self._busy = False
                self._refill.notify_all()
                while not (self._wanted or self._closing):
                    self._refill.wait()
                if self._closing:
                    self._wanted = False
                    self._refill.notify_all()
                    return
                self._wanted, self._busy = False, True
            try:
                self._fill()
                self.refill_error = None
            except GlueError as error:
                self.refill_error = str(error)
            except Exception as error:  # noqa: BLE001 - the thread must survive; an install reports its own
                self.refill_error = f"{type(error).__name__}: {error}"

    def _fill(self) -> None:
        """Start or stop one routelet at a time until the pool is at its size."""
        outside = getattr(self.backend, "concurrent_create", False)
        while not self._closing:
            with self._lock:
                stop = self.pool.surplus()
                start = self.pool.new() if stop is None and len(self.pool.idle) < self.pool.size else None
                if stop is None and start is None:
                    return
                if not outside:
                    if stop is not None:
                        self.backend.destroy(stop.name)
                    else:
                        self.backend.create(start)
                        if not self.pool.add(start):
                            self.backend.destroy(start.name)
                    continue
            if stop is not None:
                self.backend.destroy(stop.name)
                continue
            self.backend.create(start)
            with self._lock:
                kept = not self._closing and self.pool.add(start)
            if not kept:
                self.backend.destroy(start.name)

    def resize_pool(self, size: int) -> None:
        with self._lock:
            self.pool.resize(size)

    def snapshot(self) -> list[dict]:
        """Every routelet, assigned then idle, as JSON-able dicts."""
        with self._lock:
            return [r.snapshot() for r in self.assigned.values()] + self.pool.snapshot()

    def close(self) -> None:
        """Stop every routelet and release the backend (nothing of ours is left on the host); once."""
        with self._refill:
            if self._closing:
                return
            self._closing = True
            self._refill.notify_all()
        if self._refiller is not None:
            self._refiller.join()  # it finishes the routelet it is starting or stopping, then exits
        with self._lock:
            for routelet in self.assigned.values():
                self.backend.destroy(routelet.name)
            self.assigned.clear()
            self.pool.close()
            self.backend.close()


def _failed(handle: int, error: GlueError) -> LabelInstallFailed:
    return LabelInstallFailed(handle, str(error), error.error_code, error.error_value)
