"""Performers of the engine's forwarding actions: routelet backends chosen by ``[glue] backend``.

The engine asks for forwarding entries with ``InstallLabel`` and expects a
``LabelInstalled`` or ``LabelInstallFailed`` answer (DESIGN.md rule 3); the
runner hands each action to a :class:`RouteletBackend` and reports the
outcome.  ``none`` keeps the entries in memory and touches nothing (the
demo, and routers whose data plane is elsewhere).  The QuaSAR backends
(``libvirt``, ``netns``) live in ``quasar_glue`` and are registered in
:data:`BACKENDS` when that package provides them.
"""

from __future__ import annotations

from typing import Any, Protocol

from rsvp.engine.actions import InstallLabel

from .config import ConfigError, DaemonConfig


class RouteletBackend(Protocol):
    name: str
    blocking: bool  # True: the runner calls install/remove in a worker thread

    def install(self, action: InstallLabel) -> str | None:
        """Realise the entry (a routelet for a reservation); None when done, else the failure reason."""

    def remove(self, handle: int) -> None:
        """Remove the entry installed under ``handle``; nothing if there is none."""

    def routelets(self) -> list[dict[str, Any]]:
        """The entries in place, one JSON-able dict each (``rsvpctl show routelets``)."""

    def close(self) -> None:
        """Release everything (daemon shutdown)."""


def routelet_row(handle: int, action: InstallLabel, backend: str) -> dict[str, Any]:
    """One forwarding entry as ``show routelets`` prints it."""
    return {
        "handle": handle,
        "backend": backend,
        "in_label": action.in_label,
        "out_label": action.out_label,
        "out_interface": action.out_interface,
        "next_hop": None if action.next_hop is None else str(action.next_hop),
        "bandwidth_bps": action.bandwidth_bps,
    }


class NoRoutelets:
    """Backend ``none``: entries are recorded, nothing is configured; at most ``pool_size`` at once."""

    name = "none"
    blocking = False

    def __init__(self, pool_size: int) -> None:
        self.pool_size = pool_size
        self.entries: dict[int, InstallLabel] = {}

    def install(self, action: InstallLabel) -> str | None:
        if action.handle not in self.entries and len(self.entries) >= self.pool_size:
            return f"routelet pool exhausted ({self.pool_size} in use)"
        self.entries[action.handle] = action
        return None

    def remove(self, handle: int) -> None:
        self.entries.pop(handle, None)

    def routelets(self) -> list[dict[str, Any]]:
        return [routelet_row(handle, action, self.name) for handle, action in sorted(self.entries.items())]

    def close(self) -> None:
        self.entries.clear()


BACKENDS = {"none": lambda config: NoRoutelets(config.glue_pool_size)}
"""``[glue] backend`` name -> factory(DaemonConfig).  quasar_glue's ``libvirt`` and ``netns`` go here."""


def routelet_backend(config: DaemonConfig) -> RouteletBackend:
    factory = BACKENDS.get(config.glue_backend)
    if factory is None:
        raise ConfigError("glue.backend", f"{config.glue_backend!r} routelets come from quasar_glue, which does "
                          f"not provide them in this build; available: {', '.join(sorted(BACKENDS))}")
    return factory(config)
