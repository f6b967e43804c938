"""dom0's share of a routelet, with tc through pyroute2 (``reference/quasar-glue.md`` section 3).

* Demultiplexing: an ingress qdisc on each data interface with, per routelet,
  a u32 filter on the top MPLS label and a ``mirred`` egress redirect to the
  routelet's vif.  Frames that match no routelet (unlabelled or best-effort)
  stay with dom0's own stack: the main router.
* Policing before the routelet: a TBF root qdisc on the vif (dom0 to the
  routelet) at the TSpec's rate r with depth b and room for two frames, so
  what a flow sends beyond (r, b) is dropped in dom0's kernel, not handed to
  the routelet to drop with its own CPU (on Xen the same qdisc sits on the
  domain's vif, dom0's end of netback).  The routelet's own policer stays as
  the backstop.
* Return path: an ingress qdisc on the vif redirects the routelet's output
  (MPLS, or IPv4 after a pop; not its kernel's own chatter) to the outgoing
  data interface.
* Bandwidth: an HTB tree on the outgoing interface (root class at the link
  rate, best effort in the default class) with one class per routelet at its
  reserved rate (rate = ceil = R, burst = its burst), selected by a u32 filter
  on the outgoing label.

Each routelet owns the filters and class numbered from its slot, so releasing
one touches nothing of another's.  Traffic of a push (no incoming label:
demux would need the tunnel's FEC, which InstallLabel does not carry) is not
demultiplexed here, and a pop (no outgoing label) gets no HTB class: its
routelet's own shaper holds it to R.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from quasar_glue.model import GlueError
from quasar_glue.mpls import ETH_P_IP, ETH_P_MPLS_UC, u32_label_key

INGRESS = "ffff:"
BEST_EFFORT_MINOR = 0xFFFF
MIN_RATE_BPS = 8_000  # HTB needs a positive rate
VIF_QUEUE_BYTES = 2 * 1514  # the vif's TBF holds two full frames; more beyond (r, b) is dropped


def _filter_info(prio: int, protocol: int) -> int:
    """tcm_info naming one filter.  pyroute2's ``del-filter`` ignores ``prio=`` and then the kernel
    deletes every filter of the parent, so the priority and protocol are packed here."""
    return prio << 16 | socket.htons(protocol)


def _rate(bps: float) -> str:
    return f"{max(MIN_RATE_BPS, int(bps))}bit"


class Dom0:
    """tc state in dom0's namespace ``netns`` (None: the caller's), for routelets numbered by slot."""

    def __init__(self, netns: str | None, link_rate_bps: float) -> None:
        self.ipr = IPRoute(netns=netns) if netns else IPRoute()
        self.link_rate_bps = link_rate_bps
        self.touched: set[str] = set()  # interfaces whose root/ingress qdisc we added

    def index(self, ifname: str) -> int:
        found = self.ipr.link_lookup(ifname=ifname)
        if not found:
            raise GlueError(f"interface {ifname} not found in dom0")
        return found[0]

    def exists(self, ifname: str) -> bool:
        return bool(self.ipr.link_lookup(ifname=ifname))

    def mac(self, ifname: str) -> str:
        return self.ipr.get_links(self.index(ifname))[0].get("address")

    def neighbour(self, address: IPv4Address, ifname: str) -> str | None:
        """The link-layer address dom0 knows for ``address`` on ``ifname`` (any state with one)."""
        for entry in self.ipr.neigh("dump", ifindex=self.index(ifname)):
            if entry.get("dst") == str(address) and entry.get("lladdr"):
                return entry.get("lladdr")
        return None

    def _ensure_ingress(self, ifname: str) -> int:
        index = self.index(ifname)
        if not any(q.get_attr("TCA_KIND") == "ingress" for q in self.ipr.get_qdiscs(index)):
            self.ipr.tc("add", "ingress", index=index, handle=INGRESS)
            self.touched.add(ifname)
        return index

    def _ensure_htb(self, ifname: str) -> int:
        index = self.index(ifname)
        if not any(q.get_attr("TCA_KIND") == "htb" for q in self.ipr.get_qdiscs(index)):
            self.ipr.tc("add", "htb", index=index, handle="1:", default=BEST_EFFORT_MINOR)
            link = _rate(self.link_rate_bps)
            self.ipr.tc("add-class", "htb", index=index, handle="1:1", parent="1:", rate=link, ceil=link,
                        burst=15_000, cburst=15_000)
            self.ipr.tc("add-class", "htb", index=index, handle=f"1:{BEST_EFFORT_MINOR:x}", parent="1:1",
                        rate=_rate(MIN_RATE_BPS), ceil=link, burst=15_000, cburst=15_000)
            self.touched.add(ifname)
        return index

    def _redirect(self, ifname: str, prio: int, protocol: int, key: str, to: int) -> None:
        action = [{"kind": "mirred", "direction": "egress", "action": "redirect", "ifindex": to}]
        self.ipr.tc("add-filter", "u32", index=self._ensure_ingress(ifname), parent=INGRESS, prio=prio,
                    protocol=protocol, target=0, keys=[key], action=action)

    def attach(self, slot: int, vif: str, in_interfaces: tuple[str, ...], in_label: int | None,
               out_interface: str, out_label: int | None, rate_bps: float, burst_bytes: int,
               police_rate_bps: float, police_burst_bytes: int) -> None:
        """Steer the routelet's frames in (policed to (``police_rate_bps``, ``police_burst_bytes``) on its
        vif), out and through its HTB class (``rate_bps``, ``burst_bytes``); GlueError on failure."""
        prio, minor = 10 + slot, 0x10 + slot
        try:
            vif_index, out_index = self.index(vif), self.index(out_interface)
            if in_label is not None:
                self.ipr.tc("add", "tbf", index=vif_index, handle="1:", rate=_rate(police_rate_bps),
                            burst=police_burst_bytes, limit=VIF_QUEUE_BYTES)
                for ifname in in_interfaces:
                    self._redirect(ifname, prio, ETH_P_MPLS_UC, u32_label_key(in_label), vif_index)
            self._redirect(vif, prio, ETH_P_MPLS_UC if out_label is not None else ETH_P_IP, "0x0/0+0", out_index)
            if out_label is not None:
                htb = self._ensure_htb(out_interface)
                rate = _rate(rate_bps)
                self.ipr.tc("add-class", "htb", index=htb, handle=f"1:{minor:x}", parent="1:1", rate=rate,
                            ceil=rate, burst=burst_bytes, cburst=burst_bytes)
                self.ipr.tc("add-filter", "u32", index=htb, parent="1:0", prio=prio, protocol=ETH_P_MPLS_UC,
                            target=f"1:{minor:x}", keys=[u32_label_key(out_label)])
        except NetlinkError as error:
            raise GlueError(f"tc in dom0: {error}") from error

    def detach(self, slot: int, vif: str, in_interfaces: tuple[str, ...], out_interface: str | None) -> None:
        """Remove what :meth:`attach` added for ``slot``; missing pieces are skipped."""
        prio, minor = 10 + slot, 0x10 + slot
        for ifname in in_interfaces:
            self._quietly("del-filter", ifname, parent=INGRESS, info=_filter_info(prio, ETH_P_MPLS_UC))
        self._quietly("del", vif, kind="ingress", handle=INGRESS)
        self._quietly("del", vif, root=True)  # the TBF policing toward the routelet
        if out_interface is not None:
            self._quietly("del-filter", out_interface, parent="1:0", info=_filter_info(prio, ETH_P_MPLS_UC))
            self._quietly("del-class", out_interface, handle=f"1:{minor:x}", parent="1:1")

    def _quietly(self, command: str, ifname: str, kind: str | None = None, **kwargs) -> None:
        found = self.ipr.link_lookup(ifname=ifname)
        if not found:
            return
        try:
            if kind is None:
                self.ipr.tc(command, index=found[0], **kwargs)
            else:
                self.ipr.tc(command, kind, index=found[0], **kwargs)
        except NetlinkError:
            pass

    def close(self) -> None:
        """Remove the qdiscs this object added, then the netlink socket."""
        for ifname in sorted(self.touched):
            self._quietly("del", ifname, kind="ingress", handle=INGRESS)
            self._quietly("del", ifname, root=True)
        self.touched.clear()
        self.ipr.close()
