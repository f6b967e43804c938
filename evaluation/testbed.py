"""The evaluation testbed (root): a sender, the router, two receivers, in network namespaces.

::

    sender  s0 ---- rin  ROUTER  rout1 ---- c0  receiver 1   (egress NIC 1)
                             rout2 ---- c0  receiver 2   (egress NIC 2)

The router namespace plays dom0.  Both egress veths are "NICs" of
``link_bps``: an HTB root class at that rate (veth itself has no rate).

* ``quasar``: the routelet manager (``quasar_glue``, netns backend) with one
  routelet per reserved flow, given the Shares ``admission.quasar`` computes
  for the flow's TSpec, installed through the manager directly (not signalled
  with rsvpd).  Reserved flows are sent MPLS-labelled; dom0's tc steers them
  into their routelet and through an HTB class at their rate.  Best effort is
  plain IPv4 routed by dom0's kernel in HTB's default class.
* ``baseline``: a standard Linux router in the same namespace: kernel IPv4
  forwarding into one FIFO per NIC at the link rate, no routelets.  Every
  flow, reserved or not, is sent as plain IPv4 to the same egress.

Names carry a random tag, so parallel testbeds (pytest-xdist workers) never
meet; :meth:`Testbed.close` removes every namespace, cgroup, qdisc and
process the testbed made, also after a failure.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from ipaddress import IPv4Address
from typing import Self

from admission.quasar import QuasarAdmission
from evaluation.stats import FlowStats, flow_stats, throughput_series
from evaluation.traffic import RECORD_FIELDS
from quasar_glue import GlueConfig, RouteletManager
from rsvp.engine.actions import InstallLabel
from rsvp.engine.admission import Request
from rsvp.engine.config import Interface
from rsvp.engine.events import LabelInstalled
from rsvp.engine.flowspecs import Spec

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROUTER_MAC = "02:00:00:00:77:01"
RECEIVER_MACS = {1: "02:00:00:00:77:c1", 2: "02:00:00:00:77:c2"}
SENDER_MAC = "02:00:00:00:77:05"
SENDER_IP = "10.77.0.2"
STARTUP_S = 2.0  # interpreters started in the namespaces before the common start time
DRAIN_S = 0.5  # the sinks listen this long after the last sender is done
SLACK_S = 20.0  # senders starting this late make the run fail rather than wait for ever
BIN_S = 0.1  # throughput series bins
# The forwarder's CPU per packet when each packet wakes it, as these flows' few hundred packets/s do:
# `bench_forwarder.py --packets 3000 --gap 0.001` measured 40-73 us (60 us typical); admission's default
# (11 us) is its batched cost at saturation, with which the well-behaved routelets hit their CFS caps
# (docs/evaluation.md).
PER_PACKET_COST_S = 60e-6
MODES = ("quasar", "baseline")


@dataclasses.dataclass(frozen=True, slots=True)
class Flow:
    """One flow of the experiment; ``reserved_bps`` None is best effort.  Rates count frame bits."""

    flow_id: int
    name: str
    egress: int  # 1 or 2
    size: int = 500  # frame bytes
    reserved_bps: float | None = None
    burst_frames: int = 10  # token bucket depth b, in frames of this size

    @property
    def in_label(self) -> int:
        return 1000 + self.flow_id

    @property
    def out_label(self) -> int:
        return 2000 + self.flow_id

    def spec(self) -> Spec:
        """The Controlled-Load TSpec it would signal: r = R, b, no peak, m = M = its frame size."""
        rate = self.reserved_bps / 8
        return Spec(rate=rate, bucket=self.burst_frames * self.size, peak=math.inf, min_unit=self.size,
                    max_packet=self.size, rspec_rate=rate, slack=math.inf)


@dataclasses.dataclass
class FlowResult:
    flow: Flow
    stats: FlowStats
    series_bps: list[float]
    latencies_ms: list[float]
    sender: dict


def _run(*args: str) -> None:
    done = subprocess.run(args, check=False, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")


class Testbed:
    """Build with ``Testbed(mode, flows, link_bps)``; use as a context manager or call :meth:`close`."""

    def __init__(self, mode: str, flows: list[Flow], link_bps: float, tag: str | None = None,
                 per_packet_cost_s: float = PER_PACKET_COST_S) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode, self.flows, self.link_bps = mode, flows, link_bps
        self.per_packet_cost_s = per_packet_cost_s
        self.tag = tag or secrets.token_hex(2)
        self.sender, self.router = f"ev{self.tag}s", f"ev{self.tag}r"
        self.receivers = {1: f"ev{self.tag}c1", 2: f"ev{self.tag}c2"}
        self.manager: RouteletManager | None = None
        self.admission: QuasarAdmission | None = None
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

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        for ns in (self.sender, self.router, *self.receivers.values()):
            _run("ip", "netns", "add", ns)
            _run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1")
        r = self.router
        _run("ip", "-n", self.sender, "link", "add", "s0", "address", SENDER_MAC, "type", "veth", "peer", "name",
             "rin", "address", ROUTER_MAC, "netns", r)
        _run("ip", "-n", self.sender, "link", "set", "s0", "up")
        _run("ip", "-n", r, "link", "set", "rin", "up")
        _run("ip", "-n", r, "addr", "add", "10.77.0.1/24", "dev", "rin")
        for egress, ns in self.receivers.items():
            _run("ip", "-n", r, "link", "add", f"rout{egress}", "type", "veth", "peer", "name", "c0", "address",
                 RECEIVER_MACS[egress], "netns", ns)
            _run("ip", "-n", ns, "link", "set", "c0", "up")
            _run("ip", "-n", r, "link", "set", f"rout{egress}", "up")
            _run("ip", "-n", r, "addr", "add", f"10.77.{egress}.1/24", "dev", f"rout{egress}")
            _run("ip", "-n", r, "neigh", "add", self.destination(egress), "lladdr", RECEIVER_MACS[egress],
                 "dev", f"rout{egress}", "nud", "permanent")
        _run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        reserved = [f for f in self.flows if f.reserved_bps is not None] if self.mode == "quasar" else []
        for egress in self.receivers:
            if not any(f.egress == egress for f in reserved):
                self._fifo(f"rout{egress}")  # routelets' HTB trees are dom0's (quasar_glue.dom0)
        if reserved:
            self._install(reserved)

    def _fifo(self, ifname: str) -> None:
        """The NIC of a standard router: one FIFO drained at the link rate."""
        rate = f"{int(self.link_bps)}bit"
        _run("tc", "-n", self.router, "qdisc", "add", "dev", ifname, "root", "handle", "1:", "htb", "default", "1")
        _run("tc", "-n", self.router, "class", "add", "dev", ifname, "parent", "1:", "classid", "1:1", "htb",
             "rate", rate, "ceil", rate, "burst", "15000", "cburst", "15000")

    def _install(self, reserved: list[Flow]) -> None:
        interfaces = tuple(Interface(f"rout{e}", IPv4Address(f"10.77.{e}.1"), self.link_bps, 24) for e in self.receivers)
        self.admission = QuasarAdmission(interfaces, cpus=os.cpu_count() or 1, per_packet_cost_s=self.per_packet_cost_s,
                                         memory_bytes=4 << 30)
        config = GlueConfig(backend="netns", pool_size=len(reserved), name_prefix=f"e{self.tag}",
                            interfaces=("rin",), link_rate_bps=self.link_bps, dom0_netns=self.router,
                            cgroup_parent=f"quasar-e{self.tag}", python=sys.executable,
                            static_neighbours={self.next_hop(e): RECEIVER_MACS[e] for e in self.receivers})
        self.manager = RouteletManager(config)
        self.manager.start()
        for handle, flow in enumerate(reserved, 1):
            spec = flow.spec()
            rejected = self.admission.admit(Request(flow.name, f"rout{flow.egress}", spec.bandwidth_bps, spec=spec))
            if rejected is not None:
                raise RuntimeError(f"admission refused {flow.name}: {rejected.reason}")
            action = InstallLabel(handle, flow.in_label, flow.out_label, f"rout{flow.egress}",
                                  IPv4Address(self.next_hop(flow.egress)), spec.bandwidth_bps, flow.name, "rin")
            event = self.manager.install(action, self.admission.shares(flow.name), in_interface="rin", flow=flow.name)
            if not isinstance(event, LabelInstalled):
                raise RuntimeError(f"routelet for {flow.name}: {event.reason}")  # noqa: TRY004 (a refused install)

    @staticmethod
    def destination(egress: int) -> str:
        """Best-effort destination behind NIC ``egress`` (not the receiver's address: it drops, silently)."""
        return f"10.77.{egress}.9"

    @staticmethod
    def next_hop(egress: int) -> str:
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
            labelled = self.mode == "quasar" and flow.reserved_bps is not None
            senders.append(self._spawn(
                self.sender, "send", "s0", "--dst-mac", ROUTER_MAC, "--src-mac", SENDER_MAC,
                "--flow", str(flow.flow_id), *(("--label", str(flow.in_label)) if labelled else ()),
                "--src-ip", SENDER_IP, "--dst-ip", self.destination(flow.egress), "--size", str(flow.size),
                "--rate-bps", str(rate), "--start-at", f"{start:.6f}", "--duration", str(duration_s)))
        sent = {s["flow"]: s for s in (self._reply(p, timeout) for p in senders)}
        time.sleep(DRAIN_S)  # then end of stdin stops the sinks
        sink_summaries = {e: self._reply(p, timeout) for e, p in sinks.items()}
        self.processes.clear()
        for egress, summary in sink_summaries.items():
            if summary["socket_drops"]:
                print(f"warning: sink on NIC {egress} dropped {summary['socket_drops']} frames", file=sys.stderr)
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

    def routelet_stats(self) -> dict[str, dict]:
        """Each reserved flow's forwarder counters (quasar mode)."""
        if self.manager is None:
            return {}
        return {r["flow"]: self.manager.backend.stats(r["name"]) for r in self.manager.snapshot()
                if r["state"] == "assigned"}

    # -- cleaning up ------------------------------------------------------------------------------
    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.manager is not None:
            self.manager.close()
            self.manager = None
        for ns in (self.sender, self.router, *self.receivers.values()):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
