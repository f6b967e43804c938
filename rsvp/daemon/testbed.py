"""``rsvpd testbed up|down|status FILE``: a real network of rsvpd processes in Linux network namespaces.

The topology is a simulator scenario (:mod:`rsvp.sim.scenario`: ``[[node]]``,
``[[link]]``, ``[[lsp]]``, ``refresh_s``, ``keep_multiplier``; ``duration_s``
and ``[[event]]`` are ignored; an optional ``[testbed] hello_interval_s`` turns
Hello on for every interface) and the addressing is the simulator's
(:mod:`rsvp.sim.topology`): link ``i`` is ``10.x.y.0/30``, interfaces are named
``to-<peer>``, router ids sit on ``lo``, static host routes follow shortest
paths, and ``net.ipv4.ip_forward`` is on (without it Router Alert datagrams
for far destinations are dropped, see ``transport``).  Each router gets a
namespace ``<prefix>-<node>``, a generated configuration and one rsvpd whose
control socket, log and pid file live in the run directory.  ``down`` stops
the daemons and removes every namespace with the prefix, whatever state a
crash left; ``up`` cleans up after itself when it fails.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rsvp.ctl.client import ControlError, request
from rsvp.sim.scenario import Scenario, ScenarioError, from_dict
from rsvp.sim.topology import Topology, first_hops

STOP_TIMEOUT_S = 5.0
START_TIMEOUT_S = 10.0
STATE_FILE = "testbed.json"


def spawn_rsvpd(namespace: str, config: Path | str, log: Path | str) -> subprocess.Popen:
    """``rsvpd run -c config`` in network namespace ``namespace``, output appended to ``log``.  nsenter,
    not ``ip netns exec``: that remounts /sys for the namespace, hiding /sys/fs/cgroup from a netns glue
    (its routelets' cgroups)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{namespace}", sys.executable, "-m", "rsvp.daemon", "run", "-c", str(config)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)


def wait_answering(socket: Path | str, alive: Callable[[], bool], timeout_s: float) -> bool:
    """Poll rsvpd's control socket until it answers (True), or its daemon is gone or ``timeout_s`` has
    passed (False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            request(str(socket), {"command": "show", "what": "lsps"}, timeout_s=1.0)
            return True
        except ControlError:
            if time.monotonic() > deadline or not alive():
                return False
            time.sleep(0.05)


def load_topology(path: Path) -> tuple[Scenario, float | None]:
    """The scenario and its ``[testbed] hello_interval_s`` (None: no Hello)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(None, f"cannot read {path}: {exc}") from exc
    testbed = data.pop("testbed", {})
    hello = testbed.pop("hello_interval_s", None) if isinstance(testbed, dict) else None
    if testbed:
        raise ScenarioError("testbed", f"must be a table with only hello_interval_s, not {testbed!r}")
    if hello is not None and (isinstance(hello, bool) or not isinstance(hello, (int, float)) or not hello > 0):
        raise ScenarioError("testbed.hello_interval_s", f"must be a number of seconds > 0, not {hello!r}")
    data.pop("event", None)
    data["duration_s"] = 0
    scenario = from_dict(data)
    Topology(scenario).check()
    return scenario, hello


@dataclasses.dataclass
class Testbed:
    scenario: Scenario
    prefix: str
    run_dir: Path
    log_level: str = "info"
    hello_interval_s: float | None = None  # None: no Hello

    def __post_init__(self) -> None:
        if not self.prefix.isalnum() or len(self.prefix) > 8:
            raise ValueError(f"prefix {self.prefix!r}: at most 8 letters or digits (veth names are 15 characters)")
        self.topology = Topology(self.scenario)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def namespace(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def socket(self, node: str) -> Path:
        return self.run_dir / f"{node}.sock"

    def config_file(self, node: str) -> Path:
        return self.run_dir / f"{node}.toml"

    def log_file(self, node: str) -> Path:
        return self.run_dir / f"{node}.log"

    def pid(self, node: str) -> int | None:
        try:
            return int((self.run_dir / f"{node}.pid").read_text())
        except (OSError, ValueError):
            return None

    # --- up -------------------------------------------------------------------------------------

    def up(self) -> None:
        """Build the network and start one rsvpd per router; on failure remove everything again."""
        try:
            self.build()
            self.start()
        except BaseException:
            self.down()
            raise

    def build(self) -> None:
        """Namespaces, veth links, addresses, routes, forwarding, and each router's configuration file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / STATE_FILE).write_text(json.dumps(
            {"prefix": self.prefix, "nodes": [n.name for n in self.scenario.nodes]}))
        for node in self.scenario.nodes:
            _ip("netns", "add", self.namespace(node.name))
        batch = []
        for i, link in enumerate(self.scenario.links):
            a_port = next(p for p in self.topology.ports[link.a] if p.link == i)
            b_port = next(p for p in self.topology.ports[link.b] if p.link == i)
            batch += [f"link add {self.prefix}{i}a type veth peer name {self.prefix}{i}b",
                      f"link set {self.prefix}{i}a netns {self.namespace(link.a)} name {a_port.interface}",
                      f"link set {self.prefix}{i}b netns {self.namespace(link.b)} name {b_port.interface}"]
        _ip("-batch", "-", input="\n".join(batch))
        up_links = set(range(len(self.scenario.links)))
        alive = {n.name for n in self.scenario.nodes}
        for node in self.scenario.nodes:
            lines = ["link set lo up", f"address add {node.router_id}/32 dev lo"]
            for port in self.topology.ports[node.name]:
                lines += [f"address add {port.address}/30 dev {port.interface}", f"link set {port.interface} up"]
            for far, hop in first_hops(self.topology, node.name, up_links, alive).items():
                targets = {self.scenario.node(far).router_id} | {p.address for p in self.topology.ports[far]}
                lines += [f"route replace {t}/32 via {hop.peer_address} dev {hop.interface}" for t in sorted(targets)
                          if not any(t == p.peer_address for p in self.topology.ports[node.name])]
            _ip("-n", self.namespace(node.name), "-batch", "-", input="\n".join(lines))
            _run(["ip", "netns", "exec", self.namespace(node.name), "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            self.config_file(node.name).write_text(self.daemon_config(node.name))

    def daemon_config(self, node: str) -> str:
        """The generated rsvpd configuration of ``node`` (its tunnels are the scenario's LSPs it heads)."""
        spec = self.scenario.node(node)
        hello = self.hello_interval_s is not None
        lines = [f"[router]\nid = \"{spec.router_id}\"\n",
                 f"[timers]\nrefresh_s = {self.scenario.refresh_s}\nkeep_multiplier = {self.scenario.keep_multiplier}\n"
                 + (f"hello_interval_s = {self.hello_interval_s}\n" if hello else ""),
                 f"[control]\nsocket = {json.dumps(str(self.socket(node)))}\n",
                 f"[log]\nformat = \"json\"\nlevel = \"{self.log_level}\"\n"]
        for port in self.topology.ports[node]:
            bandwidth = self.scenario.links[port.link].bandwidth_bps
            lines.append(f"[[interface]]\nname = \"{port.interface}\"\nbandwidth_bps = {bandwidth}\n"
                         f"hello = {'true' if hello else 'false'}\n")
        for lsp in self.scenario.lsps:
            if lsp.head != node:
                continue
            tunnel = self.topology.tunnel(lsp)
            ero = [("loose:" if h.loose else "") + (str(h.address) if h.prefix_length == 32 else
                                                     f"{h.address}/{h.prefix_length}") for h in tunnel.ero]
            lines.append(f"[[tunnel]]\nname = \"{tunnel.name}\"\ndestination = \"{tunnel.destination}\"\n"
                         f"bandwidth_bps = {tunnel.bandwidth_bps}\nero = {json.dumps(ero)}\n"
                         f"setup_priority = {tunnel.setup_priority}\nhold_priority = {tunnel.hold_priority}\n")
        return "\n".join(lines)

    def start(self) -> None:
        """Start one rsvpd per router, routers that head no LSP first (so the first Paths find their
        neighbours listening), each answering on its control socket before the next starts."""
        heads = {lsp.head for lsp in self.scenario.lsps}
        for node in sorted(self.scenario.nodes, key=lambda n: n.name in heads):
            self.start_router(node.name)

    def start_router(self, node: str) -> None:
        """Start ``node``'s rsvpd (again, after :meth:`stop`) and wait until it answers on its control socket."""
        self.processes[node] = spawn_rsvpd(self.namespace(node), self.config_file(node), self.log_file(node))
        (self.run_dir / f"{node}.pid").write_text(str(self.processes[node].pid))
        self.wait_ready(node)

    def wait_ready(self, node: str, timeout_s: float = START_TIMEOUT_S) -> None:
        if not wait_answering(self.socket(node), lambda: _alive(self.pid(node)), timeout_s):
            raise RuntimeError(f"rsvpd on {node} did not start; see {self.log_file(node)}")

    # --- down and status ------------------------------------------------------------------------------

    def stop(self, node: str, sig: int = signal.SIGTERM, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """Signal ``node``'s rsvpd, wait (SIGKILL after ``timeout_s``); its exit status when this object
        started it, else None."""
        pid = self.pid(node)
        if pid is None or not _alive(pid):
            return None
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        process = self.processes.pop(node, None)
        return process.wait() if process is not None else None

    def down(self) -> None:
        """Stop the daemons, delete the namespaces with this prefix and the run directory."""
        for node in self.scenario.nodes:
            self.stop(node.name)
        namespaces = _ip("netns", "list").split()
        for name in namespaces:
            if name.startswith(f"{self.prefix}-"):
                for pid in _ip("netns", "pids", name).split():  # anything still running in it is ours
                    _signal(int(pid), signal.SIGKILL)
                _ip("netns", "delete", name, check=False)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def status(self) -> dict[str, Any]:
        namespaces = set(_ip("netns", "list").split())
        out: dict[str, Any] = {}
        for node in self.scenario.nodes:
            entry: dict[str, Any] = {"namespace": self.namespace(node.name),
                                     "namespace_exists": self.namespace(node.name) in namespaces,
                                     "pid": self.pid(node.name), "running": _alive(self.pid(node.name)),
                                     "socket": str(self.socket(node.name))}
            try:
                entry["lsps"] = request(str(self.socket(node.name)), {"command": "show", "what": "lsps"}, 2.0)
            except ControlError as exc:
                entry["error"] = str(exc)
            out[node.name] = entry
        return out


def _run(argv: list[str], input: str | None = None, check: bool = True) -> str:
    result = subprocess.run(argv, input=input, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip() or result.returncode}")
    return result.stdout


def _ip(*args: str, input: str | None = None, check: bool = True) -> str:
    return _run(["ip", *args], input=input, check=check)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def command(action: str, topology: Path, run_dir: Path | None, prefix: str | None, as_json: bool) -> int:
    """``rsvpd testbed ACTION FILE``; exit status as rsvpd's."""
    if os.geteuid() != 0:
        print("rsvpd testbed: needs root (network namespaces, raw sockets)", file=sys.stderr)
        return 1
    try:
        scenario, hello = load_topology(topology)
        name = prefix or "".join(c for c in topology.stem if c.isalnum())[:8]
        testbed = Testbed(scenario, name, run_dir or Path(f"/run/rsvpd-{name}"), hello_interval_s=hello)
    except (ScenarioError, ValueError) as exc:
        print(f"{topology}: {exc}", file=sys.stderr)
        return 2
    try:
        if action == "up":
            testbed.up()
            print(f"testbed {name}: {len(scenario.nodes)} routers up; sockets, configs and logs in {testbed.run_dir}")
            for node in scenario.nodes:
                print(f"  rsvpctl -s {testbed.socket(node.name)} show lsps    # {node.name}, "
                      f"ip netns exec {testbed.namespace(node.name)} ...")
        elif action == "down":
            testbed.down()
            print(f"testbed {name}: down")
        else:
            status = testbed.status()
            print(json.dumps(status, indent=2) if as_json else _status_text(status))
    except RuntimeError as exc:
        print(f"rsvpd testbed: {exc}", file=sys.stderr)
        return 1
    return 0


def _status_text(status: dict[str, Any]) -> str:
    lines = []
    for node, entry in status.items():
        lsps = entry.get("lsps") or []
        up = sum(1 for l in lsps if l["state"] == "up")
        lines.append(f"{node:8} {entry['namespace']:16} {'running' if entry['running'] else 'STOPPED':8} "
                     f"{up}/{len(lsps)} LSPs up  {entry.get('error', '')}".rstrip())
    return "\n".join(lines)
