"""Routelets as Linux partitions (root only): namespace + veth + cgroup + the built-in forwarder.

Per routelet ``<prefix>-<n>``:

* a network namespace of that name holding ``eth0``, the peer of the vif
  ``<prefix>-<n>v`` in dom0 (a Xen vif's role);
* a cgroup (v1 or v2, detected) with the CPU weight, CFS cap and memory limit
  of its Shares, holding the routelet's forwarder process (forked by the
  backend's :mod:`~quasar_glue.zygote` into the cgroup and the namespace
  while still idle, so a pooled routelet is ready to forward);
* in dom0 (:class:`~quasar_glue.dom0.Dom0`): label demux into the vif, the
  vif's output redirected to the outgoing interface, an HTB class at R.

What is enforced: CPU (weight and cap) and memory by the kernel; policing,
TTL, queue bound and shaping by the forwarder; the egress rate by HTB.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal

from pyroute2 import netns
from pyroute2.netlink.exceptions import NetlinkError

from quasar_glue import cgroups
from quasar_glue.backend import graph_for
from quasar_glue.config import GlueConfig
from quasar_glue.dom0 import Dom0
from quasar_glue.graph import ROUTELET_DEVICE
from quasar_glue.model import GlueError, Routelet
from quasar_glue.zygote import Zygote

IFNAMSIZ = 15
CONTROL_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 2.0


def slot_of(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


class Forwarder:
    """A forwarder process forked by the zygote into a routelet, and its JSON-lines control pipes."""

    def __init__(self, zygote: Zygote, namespace: str, cgroup: cgroups.Cgroup) -> None:
        self.pid, self.stdin, self.stdout = zygote.spawn(f"{netns.NETNS_RUN_DIR}/{namespace}", cgroup.join_files,
                                                         ROUTELET_DEVICE)
        try:
            self.ask({"op": "stats"})  # it answered, so it is alive: pidfd_open cannot race its exit
            self.pidfd = os.pidfd_open(self.pid)
        except (GlueError, OSError):
            self._close_pipes()
            raise

    def exited(self, timeout_s: float = 0.0) -> bool:
        return bool(select.select([self.pidfd], [], [], timeout_s)[0])

    def ask(self, request: dict) -> dict:
        """Send one request and wait for its reply; GlueError if the forwarder fails or is silent."""
        try:
            self.stdin.write(json.dumps(request) + "\n")
            self.stdin.flush()
            exited = False
        except BrokenPipeError:
            exited = True  # its last reply, such as why it could not start, is still on its output
        ready, _, _ = select.select([self.stdout], [], [], CONTROL_TIMEOUT_S)
        line = self.stdout.readline() if ready else ""
        if not line:
            raise GlueError(f"forwarder {self.pid} " + ("exited" if exited else f"did not answer {request['op']}"))
        reply = json.loads(line)
        if not reply.get("ok"):
            raise GlueError(f"forwarder refused {request['op']}: {reply.get('error')}")
        return reply

    def stop(self) -> None:
        """End its control input; kill it if it has not exited within STOP_TIMEOUT_S."""
        self._close_pipes()
        if not self.exited(STOP_TIMEOUT_S):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            self.exited(STOP_TIMEOUT_S)
        os.close(self.pidfd)

    def _close_pipes(self) -> None:
        """Close both control pipes; a request still buffered for a forwarder that exited is dropped."""
        with contextlib.suppress(BrokenPipeError):
            self.stdin.close()
        self.stdout.close()


class NetnsBackend:
    name = "netns"

    def __init__(self, config: GlueConfig) -> None:
        self.config = config
        self.dom0 = Dom0(config.dom0_netns, config.link_rate_bps)
        self.forwarders: dict[str, Forwarder] = {}
        self.cgroups: dict[str, cgroups.Cgroup] = {}
        self.zygote = Zygote(config.python)  # imports while the manager reconciles

    def _prefix(self) -> str:
        return self.config.name_prefix + "-"

    def existing(self) -> set[str]:
        prefix = self._prefix()
        names = {n for n in netns.listnetns() if n.startswith(prefix)}
        return names | cgroups.existing(self.config.cgroup_parent, prefix)

    def create(self, routelet: Routelet) -> None:
        name, vif = routelet.name, routelet.name + "v"
        if len(vif) > IFNAMSIZ:
            raise GlueError(f"vif name {vif} longer than {IFNAMSIZ} characters: shorten the name prefix")
        try:
            netns.create(name)
            self.dom0.ipr.link("add", ifname=vif, kind="veth", state="up",  # its peer is set up from inside
                               peer={"ifname": ROUTELET_DEVICE, "net_ns_fd": name})
            cgroup = self.cgroups[name] = cgroups.Cgroup(self.config.cgroup_parent, name)
            cgroup.apply(None)
            if not self.zygote.alive():
                self.zygote = Zygote(self.config.python)
            forwarder = self.forwarders[name] = Forwarder(self.zygote, name, cgroup)
        except (OSError, NetlinkError, GlueError) as error:
            self.destroy(name)
            raise GlueError(f"cannot start routelet {name}: {error}") from error
        routelet.details = {"netns": name, "vif": vif, "pid": forwarder.pid,
                            "cgroup": cgroup.paths, "cgroup_version": cgroup.version, "enforced": []}

    def assign(self, routelet: Routelet) -> None:
        if routelet.out_interface is None or routelet.next_hop is None:
            raise GlueError("netns routelet needs an outgoing interface and a next hop")
        dst = (self.config.static_neighbours.get(str(routelet.next_hop))
               or self.dom0.neighbour(routelet.next_hop, routelet.out_interface))
        if dst is None:
            raise GlueError(f"next hop {routelet.next_hop} has no link-layer address on {routelet.out_interface}")
        try:
            routelet.graph = graph_for(routelet, self.config, self.dom0.mac(routelet.out_interface), dst)
        except ValueError as error:
            raise GlueError(str(error)) from error
        name = routelet.name
        try:
            self.cgroups[name].apply(routelet.shares)
        except OSError as error:
            raise GlueError(f"cgroup limits for {name}: {error.strerror or error}") from error
        self.forwarders[name].ask({"op": "load", "graph": json.loads(routelet.graph.to_json())})
        self.dom0.detach(slot_of(name), name + "v", routelet.in_interfaces, routelet.out_interface)
        self.dom0.attach(slot_of(name), name + "v", routelet.in_interfaces, routelet.in_label,
                         routelet.out_interface, routelet.out_label, routelet.graph.shape_rate_bps,
                         routelet.graph.police_burst_bytes + routelet.graph.shape_burst_bytes,
                         routelet.graph.police_rate_bps, routelet.graph.police_burst_bytes)
        enforced = ["police", "ttl", "queue", "shape"]
        enforced += ["cpu", "memory"] if routelet.shares else []
        enforced += ["demux", "vif police"] if routelet.in_label is not None else []
        enforced += ["htb"] if routelet.out_label is not None else []
        routelet.details["enforced"] = enforced

    def unassign(self, routelet: Routelet) -> None:
        name = routelet.name
        self.dom0.detach(slot_of(name), name + "v", routelet.in_interfaces, routelet.out_interface)
        if name in self.forwarders:
            self.forwarders[name].ask({"op": "idle"})
        if name in self.cgroups:
            self.cgroups[name].apply(None)
        routelet.details["enforced"] = []

    def stats(self, name: str) -> dict:
        """The forwarder's counters (received, policed, expired, queue drops, sent)."""
        return self.forwarders[name].ask({"op": "stats"})

    def destroy(self, name: str) -> None:
        forwarder = self.forwarders.pop(name, None)
        if forwarder is not None:
            forwarder.stop()
        cgroup = self.cgroups.pop(name, None) or cgroups.Cgroup(self.config.cgroup_parent, name)
        for path in cgroup.dirs.values():
            procs = path / "cgroup.procs"
            for pid in procs.read_text().split() if procs.exists() else ():
                os.kill(int(pid), signal.SIGKILL)  # an orphan forwarder of an earlier daemon
        cgroup.remove()
        if name in netns.listnetns():
            netns.remove(name)

    def close(self) -> None:
        self.zygote.close()
        self.dom0.close()
        cgroups.remove_parent(self.config.cgroup_parent)
