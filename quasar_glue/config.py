"""Glue configuration: which backend, how many idle routelets, and each backend's settings."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping

MIB = 1 << 20


@dataclasses.dataclass(frozen=True, slots=True)
class GlueConfig:
    backend: str = "none"  # "none" | "libvirt" | "netns"
    pool_size: int = 2  # idle routelets kept started
    name_prefix: str = "qrl"  # every routelet, namespace, cgroup and domain is named <prefix>-<n>
    interfaces: tuple[str, ...] = ()  # dom0's data interfaces: label demux on ingress, HTB on egress
    link_rate_bps: float = 1e9  # capacity of each data interface (the HTB root class)
    # next hop address -> MAC; key "dom0": where a pop routelet hands IP packets back (libvirt; default:
    # the bridge's MAC)
    static_neighbours: Mapping[str, str] = dataclasses.field(default_factory=dict)
    default_burst_bytes: int = 15_000  # policing depth of a bandwidth-only reservation (no Shares)
    default_queue_bytes: int = 64 * 1024  # queue of a bandwidth-only reservation
    # netns backend
    dom0_netns: str | None = None  # namespace playing dom0 (None: the daemon's own)
    cgroup_parent: str = "quasar"  # cgroups go in <controller>/<cgroup_parent>/<routelet>
    python: str = sys.executable  # runs ``-m quasar_glue.zygote``, which forks each routelet's forwarder
    # libvirt backend
    libvirt_uri: str = "test:///default"  # "xen:///system" on a Xen host
    kernel: str = "/var/lib/quasar/routelet/vmlinuz"  # the routelet domU's PV kernel
    initrd: str = "/var/lib/quasar/routelet/initrd.img"
    bridge: str = "xenbr0"
    idle_memory_bytes: int = 32 * MIB  # an idle pooled domain's memory
    max_memory_bytes: int = 256 * MIB  # a pooled domain's maximum (setMemory cannot go above it)
    # the routelet's Click ControlSocket ("tcp:{name}:7777", "unix:/run/quasar/{name}.sock"; {name}: the
    # routelet's name); None: Click is not driven (its configuration is only recorded in <metadata>)
    click_control: str | None = None
