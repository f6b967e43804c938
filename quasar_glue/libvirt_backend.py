"""Routelets as Xen domains through libvirt-python (``xen:///system``; tests use ``test:///default``).

Per routelet: a PV domain (:mod:`quasar_glue.domain_xml`) started idle in the
pool; assigning it sets live memory, records the reservation and the Click
configuration in ``<metadata>`` and the boot weight in the persistent
``<cputune><shares>``, then sets the credit scheduler's ``weight``/``cap``
live (Xen forgets them across restarts: they are applied on every assign).
Only parameters the driver reports are set; the rest are listed in
``details["unsupported"]``.  Bandwidth: tc in dom0 on the domain's vif
(:class:`~quasar_glue.dom0.Dom0`), only when that vif exists in dom0.
With ``GlueConfig.click_control``, the routelet's Click is driven through
its ControlSocket (:func:`quasar_glue.controlsocket.update`): rates are
written live on a resize, a changed graph (or idle) is hot-swapped.

On ``test:///default`` nothing is enforced: the scheduler is fake (it reports
only ``weight``, always 50, and ignores writes; ``cap`` is unsupported), the
vif (``testnet0``) exists nowhere, no guest runs Click, and the driver
accepts memory above the host's, so this backend checks that itself.
"""

from __future__ import annotations

import socket

import libvirt

from quasar_glue import click, controlsocket, domain_xml
from quasar_glue.backend import graph_for
from quasar_glue.config import GlueConfig
from quasar_glue.dom0 import Dom0
from quasar_glue.graph import ForwardingGraph
from quasar_glue.model import GlueError, Routelet
from quasar_glue.netns_backend import slot_of

LIVE_AND_CONFIG = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG


class LibvirtBackend:
    name = "libvirt"
    # create and destroy touch only their own domain, through the connection (thread-safe in libvirt) and
    # self._domains (single dict operations): the manager runs them outside its lock, beside an assign
    concurrent_create = True

    def __init__(self, config: GlueConfig) -> None:
        self.config = config
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors arrive as exceptions; no stderr
        self.conn = libvirt.open(config.libvirt_uri)  # held open: test:/// state dies with the last connection
        self.dom0 = Dom0(None, config.link_rate_bps)
        # Asked once, not on every assign (on xen:///system each libvirt call is an RPC to libvirtd): the
        # host's memory, the scheduler parameters the driver knows, and a handle per routelet domain.
        self.host_memory_bytes = self.conn.getInfo()[1] << 20
        self._scheduler_names: frozenset[str] | None = None
        self._domains: dict[str, libvirt.virDomain] = {}

    def _prefix(self) -> str:
        return self.config.name_prefix + "-"

    @staticmethod
    def _in_dom0(ifname: str | None) -> bool:
        """Whether dom0 (this process's namespace: ``self.dom0`` is opened there) has ``ifname``.

        One ``SIOCGIFINDEX`` ioctl (a few microseconds), where ``Dom0.exists`` costs a netlink
        round trip through pyroute2's event loop (0.3 ms median, 0.6 ms p95, up to 1.5 ms): it
        was asked twice per install and once per release, a third of the install's CPU."""
        if not ifname:
            return False
        try:
            socket.if_nametoindex(ifname)
        except (OSError, ValueError):  # no such interface, or not a valid interface name
            return False
        return True

    def existing(self) -> set[str]:
        return {d.name() for d in self.conn.listAllDomains() if d.name().startswith(self._prefix())}

    def create(self, routelet: Routelet) -> None:
        xml = domain_xml.domain(routelet.name, self.config, self.config.idle_memory_bytes, domain_xml.DEFAULT_WEIGHT)
        try:
            dom = self.conn.defineXML(xml)
            dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.metadata(routelet, None),
                            domain_xml.PREFIX, domain_xml.NAMESPACE, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
            dom.create()
            self._domains[routelet.name] = dom
        except libvirt.libvirtError as error:
            self.destroy(routelet.name)
            raise GlueError(f"libvirt: cannot start {routelet.name}: {error.get_error_message()}") from error
        mac, vif = domain_xml.interface(dom.XMLDesc())
        routelet.details = {"domain": routelet.name, "domain_id": dom.ID(), "uuid": dom.UUIDString(), "mac": mac,
                            "vif": vif, "enforced": [], "unsupported": []}
        if self.config.click_control:
            routelet.details["click_control"] = self.config.click_control.format(name=routelet.name)

    def _click(self, routelet: Routelet, running: ForwardingGraph | None, wanted: ForwardingGraph | None) -> None:
        """Drive the routelet's Click from ``running`` to ``wanted`` when it has a ControlSocket."""
        address = routelet.details.get("click_control")
        if address is None:
            return
        try:
            routelet.details["click"] = controlsocket.update(address, routelet.name, running, wanted)
        except (OSError, ValueError, controlsocket.ControlSocketError) as error:
            raise GlueError(f"Click at {address}: {error}") from error

    def _domain(self, name: str) -> libvirt.virDomain:
        dom = self._domains.get(name)
        if dom is None:
            dom = self._domains[name] = self.conn.lookupByName(name)
        return dom

    def _check_memory(self, memory_bytes: int) -> None:
        host_bytes = self.host_memory_bytes
        if memory_bytes > host_bytes:
            raise GlueError(f"routelet memory {memory_bytes >> 20} MiB exceeds the host's {host_bytes >> 20} MiB")
        if memory_bytes > self.config.max_memory_bytes:
            raise GlueError(f"routelet memory {memory_bytes >> 20} MiB exceeds the routelet maximum "
                            f"{self.config.max_memory_bytes >> 20} MiB")

    def _scheduler(self, dom: libvirt.virDomain, wanted: dict[str, int]) -> tuple[dict[str, int], list[str]]:
        """Set the wanted parameters the driver knows; return them and the names it does not know."""
        known = self._scheduler_names
        if known is None:
            known = self._scheduler_names = frozenset(dom.schedulerParameters())
        applied = {k: v for k, v in wanted.items() if k in known}
        if applied:
            dom.setSchedulerParameters(applied)
        return applied, sorted(set(wanted) - set(known))

    def assign(self, routelet: Routelet) -> None:
        shares, details = routelet.shares, routelet.details
        memory = shares.memory_bytes if shares else self.config.idle_memory_bytes
        self._check_memory(memory)
        if routelet.next_hop is None:  # egress pop: IP packets go back to dom0 over the bridge
            dst = self.config.static_neighbours.get("dom0")
            if dst is None and self._in_dom0(self.config.bridge):
                dst = self.dom0.mac(self.config.bridge)
        else:
            dst = self.config.static_neighbours.get(str(routelet.next_hop))
            if dst is None and self._in_dom0(routelet.out_interface):
                dst = self.dom0.neighbour(routelet.next_hop, routelet.out_interface)
        if dst is None:
            raise GlueError(f"next hop {routelet.next_hop or 'dom0'} has no known link-layer address")
        running = routelet.graph
        try:
            routelet.graph = graph_for(routelet, self.config, details["mac"], dst)
        except ValueError as error:
            raise GlueError(str(error)) from error
        weight = shares.xen_weight if shares else domain_xml.DEFAULT_WEIGHT
        wanted = {"weight": weight, "cap": shares.xen_cap_pct} if shares else {"weight": weight}
        try:
            dom = self._domain(routelet.name)
            self.conn.defineXML(domain_xml.domain(routelet.name, self.config, memory, weight, details["uuid"]))
            dom.setMemoryFlags(memory // 1024, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                            domain_xml.metadata(routelet, click.render(routelet.graph, routelet.name)),
                            domain_xml.PREFIX, domain_xml.NAMESPACE, LIVE_AND_CONFIG)
            details["scheduler"], details["unsupported"] = self._scheduler(dom, wanted)
        except libvirt.libvirtError as error:
            raise GlueError(f"libvirt: {error.get_error_message()}") from error
        self._click(routelet, running, routelet.graph)
        enforced = ["memory", "scheduler"] + (["police", "ttl", "queue", "shape"] if "click_control" in details else [])
        vif = details["vif"]
        if self._in_dom0(vif) and self._in_dom0(routelet.out_interface):
            self.dom0.detach(slot_of(routelet.name), vif, routelet.in_interfaces, routelet.out_interface)
            self.dom0.attach(slot_of(routelet.name), vif, routelet.in_interfaces, routelet.in_label,
                             routelet.out_interface, routelet.out_label, routelet.graph.shape_rate_bps,
                             routelet.graph.police_burst_bytes + routelet.graph.shape_burst_bytes,
                             routelet.graph.police_rate_bps, routelet.graph.police_burst_bytes)
            enforced += ["demux", "vif police"] if routelet.in_label is not None else []
            enforced += ["htb"] if routelet.out_label is not None else []
        else:
            details["unsupported"].append("bandwidth: no vif in dom0")
        details["enforced"] = enforced

    def unassign(self, routelet: Routelet) -> None:
        details = routelet.details
        if self._in_dom0(details.get("vif")):
            self.dom0.detach(slot_of(routelet.name), details["vif"], routelet.in_interfaces, routelet.out_interface)
        self._click(routelet, routelet.graph, None)
        try:
            dom = self._domain(routelet.name)
            self.conn.defineXML(domain_xml.domain(routelet.name, self.config, self.config.idle_memory_bytes,
                                                  domain_xml.DEFAULT_WEIGHT, details["uuid"]))
            dom.setMemoryFlags(self.config.idle_memory_bytes // 1024, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            idle = Routelet(routelet.name, self.name)
            dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.metadata(idle, None),
                            domain_xml.PREFIX, domain_xml.NAMESPACE, LIVE_AND_CONFIG)
            self._scheduler(dom, {"weight": domain_xml.DEFAULT_WEIGHT})
        except libvirt.libvirtError as error:
            raise GlueError(f"libvirt: {error.get_error_message()}") from error
        details["enforced"], details["unsupported"], details["scheduler"] = [], [], {}

    def destroy(self, name: str) -> None:
        self._domains.pop(name, None)
        try:
            dom = self.conn.lookupByName(name)
        except libvirt.libvirtError:
            return
        if dom.isActive():
            dom.destroy()
        dom.undefine()

    def close(self) -> None:
        self.dom0.close()
        self.conn.close()
