"""The Click ControlSocket client against an in-test server speaking the documented protocol
(``elements/userlevel/controlsocket.hh``), and the libvirt backend driving a routelet's Click with it."""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
import shutil
import socketserver
import tempfile
import threading
from ipaddress import IPv4Address

import pytest

from admission.shares import Shares
from quasar_glue import click
from quasar_glue.config import GlueConfig
from quasar_glue.controlsocket import (
    ControlSocket,
    ControlSocketError,
    live_writes,
    open_socket,
)
from quasar_glue.graph import ForwardingGraph
from quasar_glue.manager import RouteletManager
from rsvp.engine.actions import InstallLabel, RemoveLabel
from rsvp.engine.events import LabelInstalled, LabelInstallFailed

RATE = re.compile(r"\d+(\.\d+)?(Bps|bps|kbps|Mbps)")
DECLARATION = re.compile(r"(\w+) :: (\w+)(?:\(([^;]*?)\))?\s*(?:;|->)")
CLASSES = {"FromDevice", "ToDevice", "Queue", "Counter", "Classifier", "BandwidthRatedSplitter", "Null",
           "EtherRewrite", "BandwidthShaper", "Idle"}
INITIAL = "cin :: Counter; q :: Queue(100); shp :: BandwidthShaper(200000Bps);\n"


@dataclasses.dataclass
class Handler:
    value: str = ""
    readable: bool = True
    writable: bool = False
    valid: re.Pattern | None = None


class FakeClick:
    """Handlers, elements and a command log: what a ``click -R`` process exposes."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.load(INITIAL)

    def load(self, config: str) -> str | None:
        """Install ``config`` (None) or say why it is refused, keeping the old one."""
        declared = DECLARATION.findall(config)
        unknown = [cls for _, cls, _ in declared if cls not in CLASSES]
        if unknown or not declared:
            return f"config:1: unknown element class '{unknown[0] if unknown else ''}'"
        self.elements = {name for name, _, _ in declared}
        self.handlers = {"version": Handler("2.1"), "config": Handler(config),
                         "hotconfig": Handler(readable=False, writable=True), "echo": Handler()}
        for name, cls, args in declared:
            first = args.split(",")[0].strip()
            if cls in ("BandwidthShaper", "BandwidthRatedSplitter"):
                self.handlers[f"{name}.rate"] = Handler(first, writable=True, valid=RATE)
            elif cls == "Queue":
                self.handlers[f"{name}.capacity"] = Handler(first, writable=True, valid=re.compile(r"\d+"))
            elif cls == "Counter":
                self.handlers[f"{name}.count"] = Handler("0")
        return None

    def find(self, name: str) -> Handler | tuple[int, str]:
        element, dot, _ = name.rpartition(".")
        if dot and element not in self.elements:
            return 510, f"No element named '{element}'"
        return self.handlers.get(name) or (511, f"No handler named '{name}'")

    def answer(self, verb: str, name: str, value: str) -> tuple[list[tuple[int, str]], bytes | None]:
        """Reply lines and DATA for one READ/WRITE/CHECK* command."""
        with self.lock:
            self.log.append((verb, name, value))
            found = self.find(name)
            if isinstance(found, tuple):
                return [found], None
            reading = verb in ("READ", "CHECKREAD")
            if reading and not found.readable:
                return [(530, f"Handler '{name}' write-only")], None
            if not reading and not found.writable:
                return [(530, f"Handler '{name}' read-only")], None
            if verb.startswith("CHECK"):
                return [(200, f"{'Read' if reading else 'Write'} handler '{name}' OK")], None
            if reading:
                data = value if name == "echo" else found.value
                return [(200, f"Read handler '{name}' OK")], data.encode()
            error = self.load(value) if name == "hotconfig" else None
            if found.valid is not None and not found.valid.fullmatch(value):
                error = f"{name.rpartition('.')[2].upper()}: parse error"
            if error:
                return [(520, f"Write handler '{name}' error:"), (520, error)], None
            found.value = value
            return [(200, f"Write handler '{name}' OK")], None


class Connection(socketserver.StreamRequestHandler):
    def send(self, lines: list[tuple[int, str]], data: bytes | None = None) -> None:
        out = b"".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{text}\r\n".encode()
                       for i, (code, text) in enumerate(lines))
        if data is not None:
            out += f"DATA {len(data)}\r\n".encode() + data
        self.wfile.write(out)

    def handle(self) -> None:
        fake: FakeClick = self.server.fake
        self.wfile.write(b"Click::ControlSocket/1.3\r\n")
        while line := self.rfile.readline():
            words = line.decode().split()
            if not words:
                continue
            verb = words[0].upper()
            if verb in ("READ", "WRITE", "CHECKREAD", "CHECKWRITE") and len(words) >= 2:
                rest = line.decode().split(None, 2)
                self.send(*fake.answer(verb, words[1], rest[2].strip() if len(rest) > 2 else ""))
            elif verb in ("READDATA", "WRITEDATA") and len(words) == 3:
                value = self.rfile.read(int(words[2])).decode()
                reply = fake.answer(verb.removesuffix("DATA"), words[1], value)
                fake.log[-1] = (verb, words[1], value)  # logged before the reply, which the client may act on
                self.send(*reply)
            elif verb == "LLRPC" and words[1:2] == ["q#7"]:
                data = self.rfile.read(int(words[2])) if len(words) == 3 else b""
                self.send([(200, "LLRPC 'q#7' OK")], data[::-1])
            elif verb == "LLRPC":
                self.send([(501, f"Cannot call LLRPC '{words[1]}' remotely")])
            elif verb == "QUIT":
                fake.log.append(("QUIT", "", ""))
                self.send([(200, "Goodbye!")])
                return
            else:
                self.send([(501, f"Command '{words[0]}' unimplemented")])


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = allow_reuse_address = True


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def serve(server: socketserver.BaseServer) -> FakeClick:
    server.fake = FakeClick()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.fake


@pytest.fixture
def tcp():
    server = TCPServer(("127.0.0.1", 0), Connection)
    fake = serve(server)
    yield fake, f"tcp:127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def control(tcp):
    with ControlSocket.connect(tcp[1]) as control:
        yield control


def test_greeting_and_reads(control, tcp):
    assert control.version == "1.3"
    assert control.read("version") == "2.1"
    assert control.read("shp.rate") == "200000Bps"
    # DATA framing carries line breaks intact; READ parameters are passed, multi-line ones as READDATA
    assert control.read("config") == INITIAL
    assert control.read("echo", "a b") == "a b"
    assert control.read("echo", "line 1\nline 2\n") == "line 1\nline 2\n"
    assert ("READDATA", "echo", "line 1\nline 2\n") in tcp[0].log


def test_writes_and_read_back(control, tcp):
    assert control.write("shp.rate", "50000Bps") == ["Write handler 'shp.rate' OK"]
    assert control.read("shp.rate") == "50000Bps"
    assert control.write("q.capacity", "250") and control.read("q.capacity") == "250"
    assert ("WRITE", "shp.rate", "50000Bps") in tcp[0].log


@pytest.mark.parametrize(("call", "handler", "code", "text"), [
    (lambda c: c.read("nosuch.x"), "nosuch.x", 510, "No element named 'nosuch'"),
    (lambda c: c.read("cin.nosuch"), "cin.nosuch", 511, "No handler named 'cin.nosuch'"),
    (lambda c: c.write("cin.count", "5"), "cin.count", 530, "read-only"),
    (lambda c: c.read("hotconfig"), "hotconfig", 530, "write-only"),
    (lambda c: c.write("shp.rate", "banana"), "shp.rate", 520, "RATE: parse error"),
    (lambda c: c.llrpc("q", 0), "q#0", 501, "Cannot call LLRPC 'q#0' remotely"),
])
def test_errors_name_the_handler_and_code(control, call, handler, code, text):
    with pytest.raises(ControlSocketError) as raised:
        call(control)
    assert raised.value.handler == handler and raised.value.code == code
    assert handler in str(raised.value) and str(code) in str(raised.value) and text in str(raised.value)
    assert control.read("version") == "2.1"  # the connection carries on after an error


def test_handler_error_keeps_every_message_line(control):
    with pytest.raises(ControlSocketError) as raised:
        control.write("shp.rate", "banana")
    assert raised.value.messages == ["Write handler 'shp.rate' error:", "RATE: parse error"]
    assert control.read("shp.rate") == "200000Bps"


def test_checks_llrpc_and_bad_names(control):
    assert control.check_read("shp.rate") and control.check_write("shp.rate")
    assert not control.check_write("cin.count") and not control.check_read("hotconfig")
    assert not control.check_read("nosuch.x")
    assert control.llrpc("q", 7, b"\x01\x02\x03") == b"\x03\x02\x01"
    with pytest.raises(ValueError, match="bad handler name"):
        control.read("shp.rate\r\nQUIT")


def test_hotconfig_sends_the_configuration_as_writedata(control, tcp):
    graph = ForwardingGraph(1001, 2002, 2e6, 8000, 16_000, 2e6, 1514, "02:00:00:00:00:01", "02:00:00:00:00:02")
    config = click.render(graph, "qrl-0")
    assert control.hotconfig(config) == ["Write handler 'hotconfig' OK"]
    assert tcp[0].log[-1] == ("WRITEDATA", "hotconfig", config)
    assert control.read("config") == config
    assert control.read("pol.rate") == "250000Bps" and not control.check_read("cin.count")
    with pytest.raises(ControlSocketError, match="unknown element class 'Bogus'") as raised:
        control.hotconfig("x :: Bogus;\ny :: Queue;\n")
    assert raised.value.code == 520 and control.read("config") == config  # the old router keeps running


def test_quit_closes_and_greeting_is_checked(tcp):
    control = ControlSocket.connect(tcp[1])
    control.quit()
    assert tcp[0].log[-1] == ("QUIT", "", "")
    control.quit()  # already closed: nothing raised
    server = TCPServer(("127.0.0.1", 0), socketserver.StreamRequestHandler)  # accepts, says nothing, closes
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with pytest.raises(ConnectionError, match="closed the connection"):
        ControlSocket.connect(f"127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()
    with pytest.raises(ValueError, match="unix:PATH or tcp:HOST:PORT"):
        open_socket("tcp:nowhere")


def test_live_writes_only_when_the_graph_keeps_its_shape():
    graph = ForwardingGraph(1001, 2002, 2e6, 8000, 16_000, 2e6, 1514, "02:00:00:00:00:01", "02:00:00:00:00:02")
    faster = dataclasses.replace(graph, police_rate_bps=4e6, shape_rate_bps=4e6)
    assert live_writes(graph, faster) == {"pol.rate": "500000Bps", "shp.rate": "500000Bps"}
    assert live_writes(graph, dataclasses.replace(graph, queue_bytes=32_000)) == {"q.capacity": "500"}
    assert live_writes(graph, graph) == {}
    for changed in (dataclasses.replace(graph, out_label=3003), dataclasses.replace(graph, police_burst_bytes=9000),
                    dataclasses.replace(graph, police_rate_bps=math.inf, shape_rate_bps=math.inf)):
        assert live_writes(graph, changed) is None
    assert live_writes(None, graph) is None and live_writes(graph, None) is None


# the libvirt backend driving the routelet's Click

NEXT_HOP = IPv4Address("192.0.2.2")


def grant(rate_bps: float, queue_bytes: int = 16_000) -> Shares:
    return Shares(bandwidth_bps=rate_bps, burst_bytes=8000, peak_bps=math.inf, max_packet_bytes=1500,
                  cpu_sustained=0.02, cpu_peak=0.04, queue_bytes=queue_bytes, memory_bytes=48 << 20)


@pytest.fixture
def routelet_click():
    """A manager whose one pooled routelet's Click listens on ``<dir>/{name}.sock``."""
    pytest.importorskip("libvirt", reason="libvirt-python is not installed")
    directory = tempfile.mkdtemp(prefix="qcs", dir="/tmp")  # short: AF_UNIX paths are limited to 107 bytes
    prefix = f"qcs{secrets.token_hex(3)}"
    server = UnixServer(f"{directory}/{prefix}-0.sock", Connection)
    fake = serve(server)
    config = GlueConfig(backend="libvirt", pool_size=1, name_prefix=prefix,
                        static_neighbours={str(NEXT_HOP): "02:00:00:00:00:02"},
                        click_control=f"unix:{directory}/{{name}}.sock")
    manager = RouteletManager(config)
    manager.start()
    yield manager, fake
    manager.close()
    server.shutdown()
    server.server_close()
    shutil.rmtree(directory)


def test_resize_writes_rates_live_and_new_graphs_are_hot_swapped(routelet_click):
    manager, fake = routelet_click
    install = InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6)
    assert manager.install(install, grant(2e6)) == LabelInstalled(1)
    (row,) = [r for r in manager.snapshot() if r["handle"] == 1]
    assert row["click"] == "hotconfig" and {"police", "shape"} <= set(row["enforced"])
    assert fake.log == [("WRITEDATA", "hotconfig", click.render(manager.assigned[1].graph, row["name"])),
                        ("QUIT", "", "")]
    fake.log.clear()
    assert manager.install(install, grant(4e6, 32_000)) == LabelInstalled(1)
    assert fake.log == [("WRITE", "q.capacity", "500"), ("WRITE", "pol.rate", "500000Bps"),
                        ("WRITE", "shp.rate", "500000Bps"), ("QUIT", "", "")]
    assert fake.handlers["shp.rate"].value == "500000Bps"
    fake.log.clear()
    assert manager.install(dataclasses.replace(install, out_label=3003), grant(4e6, 32_000)) == LabelInstalled(1)
    assert [entry[:2] for entry in fake.log] == [("WRITEDATA", "hotconfig"), ("QUIT", "")]
    assert "\\<00 bb b1" in fake.handlers["config"].value  # label 3003 << 4 | S
    fake.log.clear()
    manager.remove(RemoveLabel(1))
    assert fake.log[0] == ("WRITEDATA", "hotconfig", click.idle(row["name"]))


def test_click_refusal_fails_the_install_and_keeps_the_old_reservation(routelet_click):
    manager, fake = routelet_click
    install = InstallLabel(2, 1001, 2002, "eth1", NEXT_HOP, 2e6)
    assert manager.install(install, grant(2e6)) == LabelInstalled(2)
    fake.handlers["shp.rate"].valid = re.compile("250000Bps")  # the shaper takes its old rate only
    failed = manager.install(install, grant(4e6))
    assert isinstance(failed, LabelInstallFailed)
    assert "Click at unix:" in failed.reason and "'shp.rate': 520" in failed.reason
    assert manager.assigned[2].shares == grant(2e6)
    assert fake.handlers["pol.rate"].value == "250000Bps"  # rolled back to the rate it had
