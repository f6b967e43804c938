"""Performers of the engine's forwarding actions: routelet backends chosen by ``[glue] backend``.

The engine asks for forwarding entries with ``InstallLabel`` and expects a
``LabelInstalled`` or ``LabelInstallFailed`` answer (DESIGN.md rule 3); the
runner hands each action to a :class:`RouteletBackend` and reports the
outcome.  ``none`` keeps the entries in memory and touches nothing (the
demo, and routers whose data plane is elsewhere).  The QuaSAR backends
(``libvirt``: Xen domains, ``test:///default`` without a hypervisor;
``netns``: namespaces, cgroups and tc) are :class:`quasar_glue.RouteletManager`
behind :class:`Routelets`, which sizes each routelet from the shares the
admission policy granted the reservation (``admission.quasar``).
"""

from __future__ import annotations

from typing import Any, Protocol

from quasar_glue import GlueConfig, RouteletManager
from rsvp.engine.actions import InstallLabel, RemoveLabel
from rsvp.engine.events import LabelInstallFailed

from .config import DaemonConfig


class RouteletBackend(Protocol):
    name: str
    blocking: bool  # True: the runner calls install/remove in a worker thread

    def install(self, action: InstallLabel) -> LabelInstallFailed | None:
        """Realise the entry (a routelet for a reservation); None when done, else the engine's failure event."""

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
    """Backend ``none``: entries are recorded, nothing is configured."""

    name = "none"
    blocking = False

    def __init__(self) -> None:
        self.entries: dict[int, InstallLabel] = {}

    def install(self, action: InstallLabel) -> LabelInstallFailed | None:
        self.entries[action.handle] = action
        return None

    def remove(self, handle: int) -> None:
        self.entries.pop(handle, None)

    def routelets(self) -> list[dict[str, Any]]:
        return [routelet_row(handle, action, self.name) for handle, action in sorted(self.entries.items())]

    def close(self) -> None:
        self.entries.clear()


class Routelets:
    """Backends ``libvirt`` and ``netns``: one routelet per reservation, sized by its shares.

    ``admission`` is the node's policy: a policy with ``shares(key)``
    (``quasar``) partitions CPU and memory too; others give bandwidth only.
    Calls block (domains start, processes spawn), so the runner makes them
    in a worker thread.
    """

    blocking = True

    def __init__(self, config: GlueConfig, admission: Any) -> None:
        self.name = config.backend
        self.manager = RouteletManager(config)
        self.admission = admission
        self.manager.start()

    def install(self, action: InstallLabel) -> LabelInstallFailed | None:
        shares = getattr(self.admission, "shares", None)
        granted = shares(action.reservation) if shares is not None and action.reservation is not None else None
        result = self.manager.install(action, granted, in_interface=action.in_interface, flow=action.reservation)
        self.manager.replenish()
        return result if isinstance(result, LabelInstallFailed) else None

    def remove(self, handle: int) -> None:
        self.manager.remove(RemoveLabel(handle))

    def routelets(self) -> list[dict[str, Any]]:
        return self.manager.snapshot()

    def close(self) -> None:
        self.manager.close()


def glue_config(config: DaemonConfig) -> GlueConfig:
    """The routelet settings of a daemon config (``[glue]``; data interfaces are the RSVP interfaces)."""
    uri = {"libvirt_uri": config.glue_uri} if config.glue_uri else {}
    return GlueConfig(backend=config.glue_backend, pool_size=config.glue_pool_size,
                      name_prefix=config.glue_name_prefix, cgroup_parent=config.glue_cgroup_parent,
                      interfaces=tuple(i.name for i in config.interfaces), **uri)


def routelet_backend(config: DaemonConfig, admission: Any) -> RouteletBackend:
    """The backend ``[glue] backend`` names, sharing ``admission``'s view of what each reservation holds."""
    if config.glue_backend == "none":
        return NoRoutelets()
    return Routelets(glue_config(config), admission)
