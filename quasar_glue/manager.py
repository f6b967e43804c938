"""What the daemon calls: realise the engine's InstallLabel as a routelet, RemoveLabel releases it.

All methods are blocking and serialised by one lock (call them through
``trio.to_thread.run_sync``).  :meth:`RouteletManager.install` answers with the
event the engine expects, so the daemon feeds the result straight back::

    event = manager.install(action, admission.shares(key), in_interface=ifname, flow=key)
    engine.handle(event, now)          # LabelInstalled or LabelInstallFailed(handle, reason, 22, value)
    manager.replenish()                # refill the idle pool off the critical path

Installing the same handle again with the same reservation changes nothing;
with different shares or labels it resizes the routelet in place.  A failed
install leaves no half-made routelet: the backend's partial state is undone
and the routelet goes back to the pool idle.  On :meth:`start` every routelet
found on the host under this prefix is an orphan (a new manager owns no
reservation yet) and is removed before the pool is filled.
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
        self.pool = RouteletPool(self.backend, config.name_prefix, config.pool_size)
        self.assigned: dict[int, Routelet] = {}
        self._lock = threading.Lock()

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

    def replenish(self) -> None:
        with self._lock:
            self.pool.replenish()

    def resize_pool(self, size: int) -> None:
        with self._lock:
            self.pool.resize(size)

    def snapshot(self) -> list[dict]:
        """Every routelet, assigned then idle, as JSON-able dicts."""
        with self._lock:
            return [r.snapshot() for r in self.assigned.values()] + self.pool.snapshot()

    def close(self) -> None:
        """Stop every routelet and release the backend (nothing of ours is left on the host)."""
        with self._lock:
            for routelet in self.assigned.values():
                self.backend.destroy(routelet.name)
            self.assigned.clear()
            self.pool.close()
            self.backend.close()


def _failed(handle: int, error: GlueError) -> LabelInstallFailed:
    return LabelInstallFailed(handle, str(error), error.error_code, error.error_value)
