"""rsvpd's Router without root: a real engine, a recording transport, the control socket, rsvpctl, metrics,
reload (rsvpctl and SIGHUP) and graceful shutdown."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import stat
import urllib.request
from collections import Counter
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import pytest
import trio

from rsvp.ctl import cli as ctl
from rsvp.daemon import control, logs
from rsvp.daemon.config import load
from rsvp.daemon.performers import NoRoutelets
from rsvp.daemon.policies import make_admission
from rsvp.daemon.routes import KernelRoute, KernelRoutes, KernelState
from rsvp.daemon.runner import Router
from rsvp.engine import Node
from rsvp.engine.actions import Send
from rsvp.wire import MsgType

STATE = KernelState(
    links={"lo": (1, True), "eth0": (2, True), "mgmt": (3, True)},
    addresses={"eth0": IPv4Interface("10.0.0.1/30"), "mgmt": IPv4Interface("172.16.0.1/24")},
    routes=(KernelRoute(IPv4Network("10.0.0.0/30"), "eth0", None),
            KernelRoute(IPv4Network("192.0.2.0/24"), "eth0", IPv4Address("10.0.0.2")),
            KernelRoute(IPv4Network("0.0.0.0/0"), "mgmt", IPv4Address("172.16.0.254"))),
)


class RecordingTransport:
    """Stands in for RawTransport: keeps what would have been sent, never receives."""

    def __init__(self) -> None:
        self.sent: list[Send] = []
        self.counters: Counter[str] = Counter()
        self.closed = False

    async def send(self, action: Send) -> None:
        self.sent.append(action)
        self.counters["sent"] += 1

    def receive_nowait(self) -> Any:
        return None

    async def wait_readable(self) -> None:
        await trio.sleep_forever()

    def close(self) -> None:
        self.closed = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, sock: Path, port: int, tunnels: str = "", extra: str = "") -> None:
    path.write_text(f"""
[router]
id = "192.0.2.1"
[[interface]]
name = "eth0"
bandwidth_bps = 100e6
[control]
socket = "{sock}"
[log]
format = "console"
level = "warning"
[metrics]
listen = "127.0.0.1:{port}"
{tunnels}
{extra}""")


TUNNEL_T1 = '[[tunnel]]\nname = "t1"\ndestination = "192.0.2.4"\nbandwidth_bps = 10e6\nero = ["10.0.0.2"]\n'
TUNNEL_T2 = '[[tunnel]]\nname = "t2"\ndestination = "192.0.2.3"\nbandwidth_bps = 1e6\n'


def test_kernel_routes_use_rsvp_interfaces_only() -> None:
    routes = KernelRoutes(frozenset({"eth0"}), STATE)
    assert routes.route(IPv4Address("192.0.2.4")).next_hop == IPv4Address("10.0.0.2")  # type: ignore[union-attr]
    assert routes.route(IPv4Address("198.51.100.1")) is None  # only the default route via mgmt: not RSVP
    assert routes.adjacent(IPv4Address("10.0.0.2")).interface == "eth0"  # type: ignore[union-attr]
    assert routes.adjacent(IPv4Address("192.0.2.4")) is None
    assert not routes.update(STATE) and routes.version == 0
    down = KernelState({**STATE.links, "eth0": (2, False)}, STATE.addresses, STATE.routes)
    assert routes.update(down) and routes.version == 1
    assert routes.route(IPv4Address("192.0.2.4")) is None and not routes.up("eth0")


def test_router_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sock, config_path, port = tmp_path / "ctl.sock", tmp_path / "rsvpd.toml", free_port()
    write_config(config_path, sock, port, TUNNEL_T1)
    config = load(config_path)
    logs.configure(config.log_format, config.log_level)
    node_config = config.node_config(STATE.addresses)
    routes = KernelRoutes(frozenset({"eth0"}), STATE)
    admission = make_admission("bandwidth", node_config.interfaces)
    transport = RecordingTransport()
    backend = NoRoutelets()
    node = Node(node_config, routes, random.Random(1), admission)
    router = Router(config, config_path, node, routes, transport, backend, admission, lambda: STATE)  # type: ignore[arg-type]

    def ctl_run(*argv: str) -> tuple[int, str]:
        """rsvpctl's exit status and what it printed (stdout, then stderr)."""
        code = ctl.main(["-s", str(sock), *argv])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(router.run, control.bind(str(sock)))
            with trio.fail_after(5):
                while not transport.sent:
                    await trio.sleep(0.01)
            assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
            path = transport.sent[0]
            assert path.message.msg_type == MsgType.PATH and path.router_alert and path.interface == "eth0"
            assert path.destination == IPv4Address("10.0.0.2")

            code, out = await trio.to_thread.run_sync(ctl_run, "show", "lsps", "--json")
            lsps = json.loads(out)
            assert code == 0 and [(l["name"], l["role"], l["state"]) for l in lsps] == [("t1", "ingress", "down")]
            assert {"name", "role", "state", "destination", "record_route", "in_label", "out_label", "bandwidth_bps",
                    "reason"} <= lsps[0].keys()
            code, out = await trio.to_thread.run_sync(ctl_run, "show", "ledger")
            assert code == 0 and "eth0" in out and "100M" in out

            code, out = await trio.to_thread.run_sync(ctl_run, "tunnel", "add", "t9", "--to", "192.0.2.9",
                                                      "--bandwidth", "2M", "--priority", "3", "1")
            assert code == 0 and json.loads(out)["tunnel_id"] == 2
            code, out = await trio.to_thread.run_sync(ctl_run, "tunnel", "add", "t1", "--to", "192.0.2.9",
                                                      "--bandwidth", "2M")
            assert code == 1 and "configured in" in out

            write_config(config_path, sock, port, TUNNEL_T1 + TUNNEL_T2)  # add t2, keep t1 and the runtime t9
            before = len(transport.sent)
            code, out = await trio.to_thread.run_sync(ctl_run, "reload")
            assert code == 0 and "added: t2" in out and "removed: -" in out
            await router.settle()
            sent = transport.sent[before:]
            assert [s.message.msg_type for s in sent] == [MsgType.PATH]  # only t2 signalled, t1 and t9 untouched
            write_config(config_path, sock, port, TUNNEL_T2, extra="[timers]\nrefresh_s = -1\n")
            code, out = await trio.to_thread.run_sync(ctl_run, "reload")
            assert code == 1 and "timers.refresh_s" in out
            assert {l["name"] for l in node.snapshot()["lsps"]} == {"t1", "t2", "t9"}  # refused: nothing changed

            write_config(config_path, sock, port, TUNNEL_T2)  # SIGHUP: t1 goes
            os.kill(os.getpid(), signal.SIGHUP)
            with trio.fail_after(5):
                while "t1" in router.tunnels:
                    await trio.sleep(0.01)
            await router.settle()
            assert {l["name"] for l in node.snapshot()["lsps"]} == {"t2", "t9"}
            ids = dict(router.tunnel_ids)
            code, out = await trio.to_thread.run_sync(ctl_run, "tunnel", "add", "t8", "--to", "192.0.2.9",
                                                      "--bandwidth", "1M")
            assert code == 0 and json.loads(out)["tunnel_id"] not in {1, *ids.values()}  # t1's id is not reused at once
            code, _ = await trio.to_thread.run_sync(ctl_run, "tunnel", "delete", "t8")
            assert code == 0
            await router.settle()

            metrics = await trio.to_thread.run_sync(
                lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode())
            assert 'rsvp_lsps{role="ingress",state="down"} 2.0' in metrics
            assert 'rsvp_messages_total{direction="sent",type="PATH"}' in metrics
            assert "rsvp_admission_results_total" in metrics and "rsvp_routelets" in metrics

            before = len(transport.sent)
            code, out = await trio.to_thread.run_sync(ctl_run, "shutdown")
            assert code == 0
        tears = [s for s in transport.sent[before:] if s.message.msg_type == MsgType.PATH_TEAR]
        assert len(tears) == 2 and all(t.router_alert for t in tears)
        assert transport.closed and not sock.exists()

    trio.run(scenario)


def test_control_protocol_errors(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sock")

    async def dispatch(request: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "result": request["command"]}

    def talk(lines: bytes) -> list[dict[str, Any]]:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            s.sendall(lines)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return [json.loads(line) for line in data.splitlines()]

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(control.serve, control.bind(path), dispatch)
            answers = await trio.to_thread.run_sync(talk, b'{"command": "x"}\nnot json\n[1]\n\n{"command": "y"}\n')
            assert answers[0] == {"ok": True, "result": "x"} and answers[3] == {"ok": True, "result": "y"}
            assert not answers[1]["ok"] and "not JSON" in answers[1]["error"]
            assert not answers[2]["ok"] and '"command"' in answers[2]["error"]
            with pytest.raises(OSError, match="another daemon"):
                control.bind(path)
            nursery.cancel_scope.cancel()

    trio.run(scenario)

    async def rebind() -> None:  # a stale socket file (nobody listening) is replaced
        await control.bind(path).aclose()

    trio.run(rebind)


def test_lsp_state_changes_are_logged_once(tmp_path: Path) -> None:
    """The watch task's comparison: an LSP seen first, then unchanged (nothing logged), then gone; above
    level info nothing is compared."""
    import dataclasses
    import io

    from rsvp.engine.events import TunnelAdded, TunnelRemoved

    sock, config_path = tmp_path / "ctl.sock", tmp_path / "rsvpd.toml"
    write_config(config_path, sock, free_port(), TUNNEL_T1)
    config = load(config_path)
    node_config = config.node_config(STATE.addresses)
    routes = KernelRoutes(frozenset({"eth0"}), STATE)
    admission = make_admission("bandwidth", node_config.interfaces)
    node = Node(node_config, routes, random.Random(1), admission)
    stream = io.StringIO()
    logs.configure("json", "info", stream)  # before the router binds its logger
    router = Router(dataclasses.replace(config, log_level="info"), config_path, node, routes, RecordingTransport(),
                    NoRoutelets(), admission, lambda: STATE)  # type: ignore[arg-type]
    try:
        node.handle(TunnelAdded(config.tunnels[0].tunnel(1)), 0.0)
        router._log_lsp_changes()
        router._log_lsp_changes()
        (lsp,) = node.lsps.values()
        lsp.notice = "PathErr 25/3 from 192.0.2.2"  # as a Notify PathErr leaves it (tests/test_engine_captures.py)
        router._log_lsp_changes()
        node.handle(TunnelRemoved("t1"), 1.0)
        router._log_lsp_changes()
        records = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [(r["event"], r["lsp"]) for r in records] == [("lsp down", "t1"), ("lsp down", "t1"), ("lsp gone", "t1")]
        assert records[0]["role"] == "ingress" and records[0]["reason"] == "signalling"
        assert (records[0]["notice"], records[1]["notice"]) == (None, "PathErr 25/3 from 192.0.2.2")
        router.config = dataclasses.replace(router.config, log_level="warning")
        node.handle(TunnelAdded(config.tunnels[0].tunnel(2)), 2.0)
        router._log_lsp_changes()
        assert router._lsp_states == {} and len(stream.getvalue().splitlines()) == 3
    finally:
        logs.configure("console", "warning")
