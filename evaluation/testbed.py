"""The evaluation testbed (root): a sender, the router, two receivers, in network namespaces.

::

    sender  s0 ---- rin  ROUTER  rout1 ---- c0  receiver 1   (egress NIC 1)
                             rout2 ---- c0  receiver 2   (egress NIC 2)

The router namespace plays dom0.  Both egress veths are "NICs" of
``link_bps``: an HTB root class at that rate (veth itself has no rate).
Addresses: s0 10.77.0.2, rin 10.77.0.1, rout<e> 10.77.<e>.1, receiver <e>'s
c0 10.77.<e>.2; best effort goes to 10.77.<e>.9 (not local at the receiver).

Modes (what forwards the reserved flows):

* ``quasar``: the flows are signalled with rsvpd.  One rsvpd per namespace:
  the sender's is the ingress (one ``[[tunnel]]`` per reserved flow, to its
  receiver, with the flow's bandwidth), the router's runs
  ``[admission] policy = "quasar"`` and ``[glue] backend = "netns"``, so it
  admits each LSP, computes its Shares and makes its routelet (namespace,
  cgroup, forwarder, dom0 tc) through its own glue; each receiver's rsvpd is
  an egress.  The labels the LSPs got are read over the control sockets
  (``show lsps``: the ingress's out_label is the router's in_label) and each
  flow is sent with the label the router expects.  Best effort is plain IPv4
  routed by dom0's kernel in HTB's default class.
* ``userspace``: one shared user-space forwarder (:mod:`evaluation.shared_forwarder`:
  the routelet's forwarder code, one pipeline per flow with the same police,
  queue and shaper parameters, in one process in its own namespace behind a
  vif, like a routelet) with no cgroup: every labelled flow goes through it.
  Labels are fixed (1000 + id in, 2000 + id out); dom0 steers every MPLS
  frame into it and its output by label to the flow's NIC.  NICs are FIFOs.
* ``kernel``: a standard Linux router: kernel IPv4 forwarding into one FIFO
  per NIC at the link rate, no routelets.  Every flow is plain IPv4.

Names carry a random tag, so parallel testbeds never meet: the router's
rsvpd is configured with ``[glue] name_prefix = "ev<tag>q"`` (its routelets
are ``ev<tag>q-<n>``) and ``cgroup_parent = "quasar-<tag>"``.  :meth:`Testbed.close`
stops the daemons (the router's releases its routelets) and removes every
namespace, qdisc and process the testbed made, also after a failure.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from ipaddress import IPv4Address
from typing import Self

from admission.quasar import QuasarAdmission
from admission.shares import Shares
from evaluation.stats import FlowStats, flow_stats, throughput_series
from evaluation.traffic import RECORD_FIELDS
from quasar_glue import GlueConfig
from quasar_glue.backend import graph_for
from quasar_glue.dom0 import Dom0
from quasar_glue.model import Routelet
from quasar_glue.mpls import ETH_P_MPLS_UC, u32_label_key
from rsvp.ctl.client import request
from rsvp.daemon.testbed import spawn_rsvpd, wait_answering
from rsvp.engine.config import Interface
from rsvp.engine.flowspecs import controlled_load
from rsvp.wire.objects.intserv import TokenBucket

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROUTER_MAC = "02:00:00:00:77:01"
RECEIVER_MACS = {1: "02:00:00:00:77:c1", 2: "02:00:00:00:77:c2"}
SENDER_MAC = "02:00:00:00:77:05"
SENDER_IP = "10.77.0.2"
ROUTER_IP = "10.77.0.1"
STARTUP_S = 3.0  # interpreters started in the namespaces before the common start time (up to 12 of them)
DRAIN_S = 0.5  # the sinks listen this long after the last sender is done
SLACK_S = 20.0  # senders starting this late make the run fail rather than wait for ever
BIN_S = 0.1  # throughput series bins
SENDER_MAX_PPS = 30_000  # a faster flow is shared by several sender processes (one Python sender keeps ~40k)
SIGNAL_TIMEOUT_S = 30.0  # every LSP up within this, or the testbed fails
DAEMON_STOP_S = 5.0
# The forwarder's CPU per packet when each packet wakes it, as these flows' few hundred packets/s do:
# `bench_forwarder.py --packets 3000 --gap 0.001` measured 40-73 us (60 us typical); admission's default
# (11 us) is its batched cost at saturation, with which the well-behaved routelets hit their CFS caps
# (docs/evaluation.md).  Passed to the router's rsvpd as [admission] options.per_packet_cost_s.
PER_PACKET_COST_S = 60e-6
MEMORY_BYTES = 4 << 30
MODES = ("quasar", "userspace", "kernel")
LABELLED_MODES = ("quasar", "userspace")
BEST_EFFORT_MINOR = "ffff"  # quasar_glue.dom0's default class, made here with the NIC's rate


@dataclasses.dataclass(frozen=True, slots=True)
class Flow:
    """One flow of the experiment; ``reserved_bps`` None is best effort.  Rates count frame bits."""

    flow_id: int
    name: str
    egress: int  # 1 or 2
    size: int = 500  # frame bytes
    reserved_bps: float | None = None


def head_spec(bandwidth_bps: float):
    """The Controlled-Load request rsvpd's ingress signals for a tunnel of ``bandwidth_bps``
    (rsvp.engine.node: r = b = p = bandwidth / 8 bytes, m = 0, M = 1500) as the router reads it."""
    rate = bandwidth_bps / 8
    return controlled_load(TokenBucket(rate, rate, rate, 0, 1500))


@dataclasses.dataclass
class FlowResult:
    flow: Flow
    stats: FlowStats
    series_bps: list[float]
    latencies_ms: list[float]
    sender: dict


def _run(*args: str) -> str:
    done = subprocess.run(args, check=False, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


class Testbed:
    """Build with ``Testbed(mode, flows, link_bps)``; use as a context manager or call :meth:`close`."""

    def __init__(self, mode: str, flows: list[Flow], link_bps: float, tag: str | None = None,
                 per_packet_cost_s: float = PER_PACKET_COST_S, parent_cpu_shares: int | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode, self.flows, self.link_bps = mode, flows, link_bps
        self.per_packet_cost_s = per_packet_cost_s
        self.parent_cpu_shares = parent_cpu_shares  # None: the routelets' parent cgroup as the glue leaves it
        self.tag = tag or secrets.token_hex(2)
        self.sender, self.router = f"ev{self.tag}s", f"ev{self.tag}r"
        self.receivers = {1: f"ev{self.tag}c1", 2: f"ev{self.tag}c2"}
        self.forwarder_ns = f"ev{self.tag}f"
        self.routelet_prefix, self.cgroup_parent = f"ev{self.tag}q", f"quasar-{self.tag}"  # the router rsvpd's glue
        self.labels: dict[str, int] = {}  # reserved flow -> the label it is sent with
        self.reservations: dict[str, dict] = {}  # reserved flow -> what the router granted (its Shares)
        self.daemons: dict[str, subprocess.Popen] = {}  # namespace -> rsvpd
        self.forwarder: subprocess.Popen | None = None
        self.processes: list[subprocess.Popen] = []
        self.workdir = tempfile.mkdtemp(prefix=f"evaluation-{self.tag}-")
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def reserved(self) -> list[Flow]:
        return [f for f in self.flows if f.reserved_bps is not None]

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        namespaces = [self.sender, self.router, *self.receivers.values()]
        if self.mode == "userspace":
            namespaces.append(self.forwarder_ns)
        for ns in namespaces:
            _run("ip", "netns", "add", ns)
            _run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        r = self.router
        _run("ip", "-n", self.sender, "link", "add", "s0", "address", SENDER_MAC, "type", "veth", "peer", "name",
             "rin", "address", ROUTER_MAC, "netns", r)
        _run("ip", "-n", self.sender, "addr", "add", f"{SENDER_IP}/24", "dev", "s0")
        _run("ip", "-n", self.sender, "link", "set", "s0", "up")
        _run("ip", "-n", r, "link", "set", "rin", "up")
        _run("ip", "-n", r, "addr", "add", f"{ROUTER_IP}/24", "dev", "rin")
        for egress, ns in self.receivers.items():
            _run("ip", "-n", r, "link", "add", f"rout{egress}", "type", "veth", "peer", "name", "c0", "address",
                 RECEIVER_MACS[egress], "netns", ns)
            _run("ip", "-n", ns, "addr", "add", f"{self.next_hop(egress)}/24", "dev", "c0")
            _run("ip", "-n", ns, "link", "set", "c0", "up")
            _run("ip", "-n", ns, "route", "add", "10.77.0.0/24", "via", f"10.77.{egress}.1")
            _run("ip", "-n", r, "link", "set", f"rout{egress}", "up")
            _run("ip", "-n", r, "addr", "add", f"10.77.{egress}.1/24", "dev", f"rout{egress}")
            _run("ip", "-n", self.sender, "route", "add", f"10.77.{egress}.0/24", "via", ROUTER_IP)
            for address in (self.destination(egress), self.next_hop(egress)):
                _run("ip", "-n", r, "neigh", "replace", address, "lladdr", RECEIVER_MACS[egress],
                     "dev", f"rout{egress}", "nud", "permanent")
        _run("ip", "-n", self.sender, "neigh", "replace", ROUTER_IP, "lladdr", ROUTER_MAC, "dev", "s0",
             "nud", "permanent")
        _run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for egress in self.receivers:
            self._nic(f"rout{egress}", best_effort_class=self.mode == "quasar")
        if self.mode == "quasar" and self.reserved:
            self._signal()
        elif self.mode == "userspace" and self.reserved:
            self._shared_forwarder()

    def _nic(self, ifname: str, best_effort_class: bool) -> None:
        """The NIC: an HTB root class at the link rate.  A standard router's is one FIFO (class 1:1);
        QuaSAR's has best effort in dom0's default class 1:ffff and the routelets' classes beside it
        (quasar_glue.dom0 adds those to this tree)."""
        rate = f"{int(self.link_bps)}bit"
        tc = ("tc", "-n", self.router)
        default = BEST_EFFORT_MINOR if best_effort_class else "1"
        _run(*tc, "qdisc", "add", "dev", ifname, "root", "handle", "1:", "htb", "default", default)
        _run(*tc, "class", "add", "dev", ifname, "parent", "1:", "classid", "1:1", "htb",
             "rate", rate, "ceil", rate, "burst", "15000", "cburst", "15000")
        if best_effort_class:
            _run(*tc, "class", "add", "dev", ifname, "parent", "1:1", "classid", f"1:{BEST_EFFORT_MINOR}", "htb",
                 "rate", "8000bit", "ceil", rate, "burst", "15000", "cburst", "15000")

    # -- quasar: rsvpd ----------------------------------------------------------------------------
    def _socket(self, ns: str) -> str:
        return f"{self.workdir}/{ns}.sock"

    def _config(self, ns: str, router_id: str, interfaces: list[tuple[str, float]], extra: str = "") -> str:
        lines = [f'[router]\nid = "{router_id}"\n', f"[control]\nsocket = {json.dumps(self._socket(ns))}\n",
                 '[log]\nformat = "json"\nlevel = "info"\n', extra]
        lines += [f'[[interface]]\nname = "{name}"\nbandwidth_bps = {bps}\n' for name, bps in interfaces]
        path = f"{self.workdir}/{ns}.toml"
        pathlib.Path(path).write_text("\n".join(lines))
        return path

    def _start_rsvpd(self, ns: str, config: str) -> None:
        """rsvpd in ``ns``'s network namespace; ready once its control socket answers."""
        daemon = self.daemons[ns] = spawn_rsvpd(ns, config, f"{self.workdir}/{ns}.log")
        if not wait_answering(self._socket(ns), lambda: daemon.poll() is None, SIGNAL_TIMEOUT_S):
            raise RuntimeError(f"rsvpd in {ns} did not start: {self._log_tail(ns)}")

    def _log_tail(self, ns: str) -> str:
        try:
            return pathlib.Path(f"{self.workdir}/{ns}.log").read_text()[-2000:]
        except OSError:
            return "(no log)"

    def _signal(self) -> None:
        """rsvpd in every namespace; the sender's heads one tunnel per reserved flow; labels from the LSPs."""
        for egress, ns in self.receivers.items():
            self._start_rsvpd(ns, self._config(ns, self.next_hop(egress), [("c0", self.link_bps)]))
        options = (f"options = {{ cpus = {os.cpu_count() or 1}, per_packet_cost_s = {self.per_packet_cost_s!r}, "
                   f"memory_bytes = {MEMORY_BYTES} }}")
        self._start_rsvpd(self.router, self._config(
            self.router, ROUTER_IP, [("rin", self.link_bps)] + [(f"rout{e}", self.link_bps) for e in self.receivers],
            f'[admission]\npolicy = "quasar"\n{options}\n\n[glue]\nbackend = "netns"\n'
            f'pool_size = {len(self.reserved)}\nname_prefix = "{self.routelet_prefix}"\n'
            f'cgroup_parent = "{self.cgroup_parent}"\n'))
        tunnels = "".join(f'[[tunnel]]\nname = "{f.name}"\ndestination = "{self.next_hop(f.egress)}"\n'
                          f"bandwidth_bps = {f.reserved_bps}\n\n" for f in self.reserved)
        self._start_rsvpd(self.sender, self._config(self.sender, SENDER_IP, [("s0", 1e9)], tunnels))
        deadline = time.monotonic() + SIGNAL_TIMEOUT_S
        while True:
            heads = {lsp["name"]: lsp for lsp in self._lsps(self.sender) if lsp["role"] == "ingress"}
            if len(heads) == len(self.reserved) and all(lsp["state"] == "up" for lsp in heads.values()):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"LSPs not up after {SIGNAL_TIMEOUT_S:g} s: {heads}; router: "
                                   f"{self._log_tail(self.router)}")
            time.sleep(0.1)
        transit = {(lsp["destination"], lsp["tunnel_id"]): lsp for lsp in self._lsps(self.router)
                   if lsp["role"] == "transit" and lsp["state"] == "up"}
        for flow in self.reserved:
            head = heads[flow.name]
            hop = transit.get((head["destination"], head["tunnel_id"]))
            if hop is None or hop["in_label"] != head["out_label"]:
                raise RuntimeError(f"{flow.name}: the ingress sends label {head['out_label']}, the router's "
                                   f"transit LSP is {hop}")
            self.labels[flow.name] = head["out_label"]
        by_label = {r["in_label"]: r for r in request(self._socket(self.router), {"command": "show",
                                                                                   "what": "routelets"})}
        for flow in self.reserved:
            routelet = by_label.get(self.labels[flow.name])
            if routelet is None or routelet.get("state") != "assigned" or not routelet.get("shares"):
                raise RuntimeError(f"{flow.name}: no assigned routelet with shares for label "
                                   f"{self.labels[flow.name]}: {routelet}")
            self.reservations[flow.name] = {"routelet": routelet["name"], "out_label": routelet["out_label"],
                                            **routelet["shares"]}
            expected = self.expected_shares(flow)
            for key in ("bandwidth_bps", "burst_bytes", "max_packet_bytes", "cpu_sustained", "cpu_peak",
                        "queue_bytes"):
                if not math.isclose(routelet["shares"][key], getattr(expected, key), rel_tol=1e-6):
                    raise RuntimeError(f"{flow.name}: rsvpd granted {key} = {routelet['shares'][key]}, the "
                                       f"evaluation expected {getattr(expected, key)} (evaluation.testbed.head_spec)")
        for flow in self.reserved:
            granted = self.reservations[flow.name]
            print(f"rsvpd: {flow.name} label {self.labels[flow.name]} -> {granted['out_label']} in routelet "
                  f"{granted['routelet']}: {granted['bandwidth_bps'] / 1e6:g} Mbit/s, b {granted['burst_bytes']} B, "
                  f"cpu {granted['cpu_sustained']:.3f} (cap {granted['cpu_peak']:.3f}), queue {granted['queue_bytes']} B",
                  flush=True)
        self._settle()
        if self.parent_cpu_shares is not None:
            self._weigh_parent(self.parent_cpu_shares)

    def _weigh_parent(self, shares: int) -> None:
        """Give the cgroup holding all routelets (the router rsvpd's ``cgroup_parent``) the CPU weight
        ``shares`` (cgroup v1 cpu.shares; v2 cpu.weight scaled from 1024 to 100).  The glue leaves it at the
        default, so all routelets together weigh as much as one ordinary process (docs/evaluation.md)."""
        root = pathlib.Path("/sys/fs/cgroup")
        parent = self.cgroup_parent
        if (root / "cpu" / parent / "cpu.shares").exists():
            (root / "cpu" / parent / "cpu.shares").write_text(str(shares))
        elif (root / parent / "cpu.weight").exists():
            (root / parent / "cpu.weight").write_text(str(max(1, min(10_000, round(shares * 100 / 1024)))))
        else:
            raise RuntimeError(f"no cgroup {parent} with a CPU weight under {root}")

    def _settle(self, timeout_s: float = 10.0) -> None:
        """Wait until the router's glue stops starting routelets (it refills its idle pool after the
        installs), so that no measured run shares the CPU with that."""
        deadline, last = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            count = len(request(self._socket(self.router), {"command": "show", "what": "routelets"}))
            if count == last:
                return
            last = count
            time.sleep(0.5)

    def _lsps(self, ns: str) -> list[dict]:
        return request(self._socket(ns), {"command": "show", "what": "lsps"}, timeout_s=5.0)

    # -- userspace: one shared forwarder ----------------------------------------------------------
    def _shared_forwarder(self) -> None:
        f, r = self.forwarder_ns, self.router
        _run("ip", "-n", r, "link", "add", "fv", "type", "veth", "peer", "name", "eth0", "netns", f)
        _run("ip", "-n", r, "link", "set", "fv", "up")
        _run("ip", "-n", f, "link", "set", "eth0", "up")
        self.forwarder = subprocess.Popen(
            ["ip", "netns", "exec", f, sys.executable, "-m", "evaluation.shared_forwarder", "eth0"], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        macs = {e: json.loads(_run("ip", "-n", r, "-j", "link", "show", f"rout{e}"))[0]["address"]
                for e in self.receivers}
        graphs = []
        for flow in self.reserved:
            shares = self.expected_shares(flow)
            routelet = Routelet("shared", "userspace", in_label=1000 + flow.flow_id, out_label=2000 + flow.flow_id,
                                bandwidth_bps=flow.reserved_bps, shares=shares)
            graph = graph_for(routelet, GlueConfig(), macs[flow.egress], RECEIVER_MACS[flow.egress])
            graphs.append(json.loads(graph.to_json()))
            self.labels[flow.name] = 1000 + flow.flow_id
            self.reservations[flow.name] = {"routelet": "shared", "out_label": 2000 + flow.flow_id,
                                            **dataclasses.asdict(shares)}
        self.forwarder.stdin.write(json.dumps({"op": "load", "graphs": graphs}) + "\n")
        self.forwarder.stdin.flush()
        reply = self.forwarder.stdout.readline()
        if not reply or not json.loads(reply).get("ok"):
            raise RuntimeError(f"shared forwarder: {reply!r}")
        dom0 = Dom0(r, self.link_bps)
        try:
            dom0._redirect("rin", 10, ETH_P_MPLS_UC, "0x0/0+0", dom0.index("fv"))  # every labelled frame
            for i, flow in enumerate(self.reserved):
                dom0._redirect("fv", 10 + i, ETH_P_MPLS_UC, u32_label_key(2000 + flow.flow_id),
                               dom0.index(f"rout{flow.egress}"))
        finally:
            dom0.ipr.close()  # the qdiscs go with the namespaces

    def expected_shares(self, flow: Flow) -> Shares:
        """The Shares the router's quasar policy derives for ``flow``'s tunnel (what the userspace
        forwarder's pipelines are built from; checked against what rsvpd grants in quasar mode)."""
        interfaces = tuple(Interface(f"rout{e}", IPv4Address(f"10.77.{e}.1"), self.link_bps, 24)
                           for e in self.receivers)
        admission = QuasarAdmission(interfaces, cpus=os.cpu_count() or 1, per_packet_cost_s=self.per_packet_cost_s,
                                    memory_bytes=MEMORY_BYTES)
        return admission.shares_for(head_spec(flow.reserved_bps), admission.interfaces[f"rout{flow.egress}"],
                                    flow.reserved_bps)

    def forwarder_stats(self) -> dict:
        """The shared forwarder's counters per incoming label (userspace mode)."""
        if self.forwarder is None:
            return {}
        self.forwarder.stdin.write(json.dumps({"op": "stats"}) + "\n")
        self.forwarder.stdin.flush()
        return json.loads(self.forwarder.stdout.readline())

    @staticmethod
    def destination(egress: int) -> str:
        """Best-effort destination behind NIC ``egress`` (not the receiver's address: it drops, silently)."""
        return f"10.77.{egress}.9"

    @staticmethod
    def next_hop(egress: int) -> str:
        """The receiver's address (and its rsvpd's router id: the tunnels' destination)."""
        return f"10.77.{egress}.2"

    # -- running ----------------------------------------------------------------------------------
    def _spawn(self, ns: str, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", "evaluation.traffic", *args],
                                   cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self.processes.append(process)
        return process

    @staticmethod
    def _reply(process: subprocess.Popen, timeout: float) -> dict:
        out, err = process.communicate(timeout=timeout)
        if process.returncode:
            raise RuntimeError(f"traffic process failed: {err.strip()}")
        return json.loads(out)

    def run(self, loads: list[tuple[Flow, float]], duration_s: float) -> list[FlowResult]:
        """Send each flow at its rate (frame bits/s) for ``duration_s`` together; per-flow results."""
        start = time.monotonic() + STARTUP_S
        egresses = sorted({flow.egress for flow, _ in loads})
        timeout = STARTUP_S + duration_s + DRAIN_S + SLACK_S  # bounds every run, however late its senders
        sinks = {e: self._spawn(self.receivers[e], "sink", "c0", "--until", f"{start + timeout:.6f}",
                                "--out", f"{self.workdir}/c{e}.bin") for e in egresses}
        senders = []
        for flow, rate in loads:
            labelled = self.mode in LABELLED_MODES and flow.reserved_bps is not None
            stride = max(1, math.ceil(rate / (8 * flow.size) / SENDER_MAX_PPS))
            for phase in range(stride):
                senders.append(self._spawn(
                    self.sender, "send", "s0", "--dst-mac", ROUTER_MAC, "--src-mac", SENDER_MAC,
                    "--flow", str(flow.flow_id), *(("--label", str(self.labels[flow.name])) if labelled else ()),
                    "--src-ip", SENDER_IP, "--dst-ip", self.destination(flow.egress), "--size", str(flow.size),
                    "--rate-bps", str(rate / stride), "--start-at", f"{start:.6f}", "--duration", str(duration_s),
                    "--stride", str(stride), "--phase", str(phase)))
        sent: dict[int, dict] = {}
        for summary in (self._reply(p, timeout) for p in senders):
            merged = sent.setdefault(summary["flow"], {**summary, "sent": 0, "offered_bps": 0.0, "senders": 0})
            merged["sent"] += summary["sent"]
            merged["offered_bps"] += summary["offered_bps"]
            merged["senders"] += 1
            merged["start_ns"] = min(merged["start_ns"], summary["start_ns"])
            merged["late_start_s"] = max(merged["late_start_s"], summary["late_start_s"])
        time.sleep(DRAIN_S)  # then end of stdin stops the sinks
        sink_summaries = {e: self._reply(p, timeout) for e, p in sinks.items()}
        self.processes.clear()
        for egress, summary in sink_summaries.items():
            if summary["socket_drops"]:
                print(f"warning: sink on NIC {egress} dropped {summary['socket_drops']} frames", file=sys.stderr)
            if summary["untimed"]:
                raise RuntimeError(f"sink on NIC {egress}: {summary['untimed']} probes without a kernel receive "
                                   "timestamp (SO_TIMESTAMPNS)")
        by_flow: dict[int, list] = defaultdict(list)
        for egress in egresses:
            raw = array("q")
            path = pathlib.Path(f"{self.workdir}/c{egress}.bin")
            raw.frombytes(path.read_bytes())
            path.unlink()
            width = len(RECORD_FIELDS)
            for i in range(0, len(raw), width):
                by_flow[raw[i]].append(tuple(raw[i:i + width]))
        start_ns = int(start * 1e9)
        bins = math.ceil((duration_s + DRAIN_S) / BIN_S)
        results = []
        for flow, _ in loads:
            records, summary = by_flow.get(flow.flow_id, []), sent[flow.flow_id]
            stats = flow_stats(flow.flow_id, records, summary["sent"], summary["offered_bps"], summary["start_ns"],
                               duration_s)
            results.append(FlowResult(flow, stats, throughput_series(records, start_ns, BIN_S, bins),
                                      [(r[3] - r[2]) / 1e6 for r in records], summary))
        return results

    # -- cleaning up ------------------------------------------------------------------------------
    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.forwarder is not None:
            self.forwarder.kill()
            self.forwarder.wait()
            self.forwarder = None
        for process in self.daemons.values():  # SIGTERM: PathTear, and the router releases its routelets
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + DAEMON_STOP_S
        for ns, process in self.daemons.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"warning: rsvpd in {ns} did not stop; killed", file=sys.stderr)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.daemons.clear()
        for ns in (self.sender, self.router, *self.receivers.values(), self.forwarder_ns):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
