"""Root testbed: four rsvpd processes in network namespaces over real raw sockets with Router Alert.

Skipped (with the reason) without root, ip or tshark.  Each xdist worker gets its own
namespace prefix; everything is torn down even when an assertion fails.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rsvp.ctl.client import ControlError, request
from rsvp.daemon.testbed import Testbed as Namespaces
from rsvp.daemon.testbed import load_topology
from rsvp.daemon.transport import RawTransport, open_socket
from rsvp.engine.actions import Send
from rsvp.wire import Message, MsgType, decode, encode
from rsvp.wire.model import ClassNum as C
from rsvp.wire.objects import core, routes, te

from .captured import payloads
from .namespaces import in_namespace

ROOT = Path(__file__).resolve().parent.parent
RSVPCTL = ROOT / ".venv" / "bin" / "rsvpctl"


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, raw sockets)"
    for tool in ("ip", "tcpdump", "tshark"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


HELLO_MISSES = 3.5  # the engine's default (rsvp.engine.config.NodeConfig.hello_misses)


@pytest.fixture
def testbed(request: pytest.FixtureRequest, tmp_path: Path, worker_id: str) -> Iterator[Namespaces]:
    """examples/testbed-chain4.toml built (not started); parametrize indirectly to set the Hello interval."""
    prefix = f"t{os.getpid() % 100000}{worker_id.removeprefix('gw')[:2]}"
    scenario, hello = load_topology(ROOT / "examples" / "testbed-chain4.toml")
    bed = Namespaces(scenario, prefix, tmp_path / "run", hello_interval_s=getattr(request, "param", hello))
    try:
        bed.build()
        yield bed
    finally:
        bed.down()
    assert not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
                if n.startswith(f"{prefix}-")]


def rsvpctl(bed: Namespaces, node: str, *argv: str) -> Any:
    out = subprocess.run([str(RSVPCTL), "-s", str(bed.socket(node)), *argv], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out) if "--json" in argv else out


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def lsps(bed: Namespaces, node: str) -> list[dict[str, Any]]:
    return request(str(bed.socket(node)), {"command": "show", "what": "lsps"})


def head_lsp(bed: Namespaces, name: str) -> dict[str, Any]:
    return next(l for l in lsps(bed, "A") if l["name"] == name)


def test_lsp_over_raw_sockets(testbed: Namespaces, tmp_path: Path) -> None:
    capture = tmp_path / "b.pcap"
    tcpdump = subprocess.Popen(["ip", "netns", "exec", testbed.namespace("B"), "tcpdump", "--immediate-mode", "-i", "to-A", "-U", "-w",
                                str(capture), "ip proto 46"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert b"listening on" in tcpdump.stderr.readline()  # type: ignore[union-attr]
        testbed.start()
        wait_for("a-d up at A", lambda: any(l["name"] == "a-d" and l["state"] == "up" for l in lsps(testbed, "A")))
    finally:
        tcpdump.send_signal(signal.SIGINT)
        tcpdump.wait(5)

    head = next(l for l in rsvpctl(testbed, "A", "show", "lsps", "--json") if l["name"] == "a-d")
    assert head["role"] == "ingress" and head["record_route"] == ["10.0.1.2", "10.0.2.2", "10.0.3.2"]
    hops = [head] + [next(l for l in rsvpctl(testbed, n, "show", "lsps", "--json") if l["destination"] == "192.0.2.4")
                     for n in ("B", "C", "D")]
    assert [h["role"] for h in hops] == ["ingress", "transit", "transit", "egress"]
    assert all(h["state"] == "up" for h in hops)
    assert [h["out_label"] for h in hops[:-1]] == [h["in_label"] for h in hops[1:]]  # labels chain hop by hop
    assert "a-d" in rsvpctl(testbed, "A", "show", "lsps")
    latency = rsvpctl(testbed, "B", "show", "counters", "--json")["latency"]  # kernel receive timestamps
    assert latency["PATH"]["count"] >= 1 and latency["RESV"]["count"] >= 1, latency
    assert all(0 < t[k] < 1e6 for t in latency.values() for k in ("wait_mean_us", "handling_mean_us")), latency

    paths = subprocess.run(["tshark", "-r", str(capture), "-Y", "rsvp.msg == 1", "-T", "fields", "-e", "ip.opt.type",
                            "-e", "ip.ttl"], capture_output=True, text=True, check=True).stdout.split("\n")
    paths = [p for p in paths if p.strip()]
    assert paths, f"no Path captured on B's link to A: {tcpdump.stderr.read()}"
    assert all(p.split("\t")[0].startswith("148") for p in paths), paths  # option 148 = 0x94, Router Alert (RFC 2113)

    config = testbed.config_file("A")  # SIGHUP: add a-c, a-d undisturbed
    original = config.read_text()
    config.write_text(original + '\n[[tunnel]]\nname = "a-c"\ndestination = "192.0.2.3"\nbandwidth_bps = 1e6\n')
    os.kill(testbed.pid("A"), signal.SIGHUP)  # type: ignore[arg-type]
    wait_for("a-c up", lambda: any(l["name"] == "a-c" and l["state"] == "up" for l in lsps(testbed, "A")))
    again = next(l for l in lsps(testbed, "A") if l["name"] == "a-d")
    assert (again["lsp_id"], again["out_label"]) == (head["lsp_id"], head["out_label"])
    config.write_text(original + "\nbogus = 1\n")  # invalid: refused, old kept
    os.kill(testbed.pid("A"), signal.SIGHUP)  # type: ignore[arg-type]
    wait_for("reload refused", lambda: "reload refused" in testbed.log_file("A").read_text(), 5)
    assert {l["name"] for l in lsps(testbed, "A")} == {"a-d", "a-c"}

    assert testbed.stop("A") == 0  # SIGTERM: tears, exit 0 within seconds
    for node in ("B", "C", "D"):
        wait_for(f"no state left on {node}", lambda node=node: not lsps(testbed, node), 5)
    with pytest.raises(ControlError):
        lsps(testbed, "A")


def test_bandwidth_refused_beyond_capacity(testbed: Namespaces) -> None:
    """B-C has 100 Mb/s: a 10 Mb/s LSP fits, 200 Mb/s more is refused by B with PathErr 1/2 (RFC 2205
    appendix B, "requested bandwidth unavailable") and the first stays up."""
    testbed.start()
    wait_for("a-d up", lambda: head_lsp(testbed, "a-d")["state"] == "up")
    rsvpctl(testbed, "A", "tunnel", "add", "big", "--to", "192.0.2.4", "--bandwidth", "200e6")
    wait_for("big refused", lambda: "PathErr" in (head_lsp(testbed, "big").get("reason") or ""))
    big = next(l for l in rsvpctl(testbed, "A", "show", "lsps", "--json") if l["name"] == "big")
    b_addresses = {p.address for p in testbed.topology.ports["B"]}
    code, _, where = big["reason"].removeprefix("PathErr ").partition(" from ")
    assert big["state"] == "down" and code == "1/2" and where in {str(a) for a in b_addresses}, big
    assert head_lsp(testbed, "a-d")["state"] == "up"


@pytest.mark.parametrize("testbed", [0.5], indirect=True)
def test_killed_transit_router_fails_the_lsp_by_hello(testbed: Namespaces) -> None:
    """SIGKILL B (no tears leave it): A's Hello with B misses for 0.5 s x 3.5 and the LSP goes down at
    the head long before refresh timeouts could (L = 157 s); B restarted, the head's retry brings it back."""
    testbed.start()
    wait_for("a-d up", lambda: head_lsp(testbed, "a-d")["state"] == "up")
    time.sleep(3 * testbed.hello_interval_s)  # Hello established with B
    killed = time.monotonic()
    testbed.stop("B", signal.SIGKILL)
    wait_for("a-d down at A", lambda: head_lsp(testbed, "a-d")["state"] == "down", 10)
    detected = time.monotonic() - killed
    assert detected <= testbed.hello_interval_s * HELLO_MISSES + 2.0, detected  # + slack: polling, scheduling
    assert "Hello" in head_lsp(testbed, "a-d")["reason"]
    testbed.start_router("B")
    wait_for("a-d up again", lambda: head_lsp(testbed, "a-d")["state"] == "up", 15)
    assert [l["role"] for l in lsps(testbed, "B")] == ["transit"]


def test_sigterm_of_a_transit_router_leaves_no_state_on_its_neighbours(testbed: Namespaces) -> None:
    """SIGTERM C (transit between B and D): it sends ResvTear to B and PathTear to D before it exits, so
    B and D drop the LSP at once, long before Hello (1 s x 3.5) or refresh timeouts could tell them, and
    the head has it down for the ResvTear (it retries after 1 s; by then C is gone)."""
    testbed.start()
    wait_for("a-d up", lambda: head_lsp(testbed, "a-d")["state"] == "up")
    assert [l["role"] for l in lsps(testbed, "B")] == ["transit"] and [l["role"] for l in lsps(testbed, "D")] == ["egress"]
    pid = testbed.pid("C")
    assert pid is not None
    stopped = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    deadline = stopped + 0.9  # before the head's first retry (1 s after it hears the tear)
    while lsps(testbed, "B") or lsps(testbed, "D"):
        assert time.monotonic() < deadline, ("state left on B or D", lsps(testbed, "B"), lsps(testbed, "D"))
        time.sleep(0.02)
    cleared = time.monotonic() - stopped
    assert cleared < HELLO_MISSES * 1.0 / 2, cleared
    assert "ResvTear" in (head_lsp(testbed, "a-d")["reason"] or ""), head_lsp(testbed, "a-d")
    assert testbed.processes["C"].wait(5) == 0  # graceful: exit status 0 within seconds


def test_kernel_changes_are_read_when_netlink_announces_them(testbed: Namespaces) -> None:
    """rsvpd re-reads the kernel when rtnetlink announces a change (otherwise only every 30 s): a route
    deleted at B is read within a second; B's link to C taken down fails the LSP at the head at once
    (B's LinkDown sends PathErr upstream), long before a resync, Hello or refresh could tell it."""
    testbed.start()
    wait_for("a-d up", lambda: head_lsp(testbed, "a-d")["state"] == "up")
    b = testbed.namespace("B")
    log = testbed.log_file("B")
    assert "routing table changed" not in log.read_text()
    subprocess.run(["ip", "-n", b, "route", "del", "192.0.2.1/32"], check=True)  # A's router id: not on the LSP
    wait_for("B reads the deleted route", lambda: "routing table changed" in log.read_text(), 1.5)
    assert head_lsp(testbed, "a-d")["state"] == "up"
    subprocess.run(["ip", "-n", b, "link", "set", "to-C", "down"], check=True)
    wait_for("a-d down at A", lambda: head_lsp(testbed, "a-d")["state"] == "down", 1.5)
    assert "link down" in log.read_text() and "PathErr" in (head_lsp(testbed, "a-d")["reason"] or "")


@pytest.mark.parametrize("testbed", [None], indirect=True)  # no Hello: A runs no rsvpd to answer it
def test_a_real_heads_path_addressed_to_the_tail_is_intercepted_and_signalled(testbed: Namespaces,
                                                                              shared_captures: Path) -> None:
    """R1's Path and PathTear from the pr1265 capture (a real head's: IP destination the tail, Router
    Alert), their addresses made the testbed's, sent by a raw socket in A in place of A's rsvpd: B
    intercepts the Path by its Router Alert, the LSP is signalled to D and the Resv comes back to A with a
    label; the PathTear removes it from B, C and D."""
    path, path_tear = (payloads(shared_captures / "tcpdump-pr1265_rsvp_session.pcap")[i] for i in (0, 3))  # R1's
    ports = testbed.topology.ports

    def port(node: str, peer: str) -> Any:
        return next(p for p in ports[node] if p.peer == peer)

    head, tail = testbed.scenario.node("A").router_id, testbed.scenario.node("D").router_id
    a_out = port("A", "B")
    hops = [port(x, y).peer_address for x, y in (("A", "B"), ("B", "C"), ("C", "D"))]
    ours = {C.SESSION: te.SessionLspTunnelIPv4(tail, 1, head), C.RSVP_HOP: core.RsvpHopIPv4(a_out.address, 0),
            C.EXPLICIT_ROUTE: routes.ExplicitRoute(tuple(routes.EroIPv4Prefix(h, 32, False) for h in hops)),
            C.SENDER_TEMPLATE: te.SenderTemplateLspTunnelIPv4(head, 1),
            C.RECORD_ROUTE: routes.RecordRoute((routes.RroIPv4(a_out.address),))}

    def made_ours(frame: bytes) -> bytes:
        message = decode(frame)
        return encode(Message(message.msg_type, tuple(ours.get(o.class_num, o) for o in message.objects)))

    for node in ("D", "C", "B"):
        testbed.start_router(node)
    link = json.loads(subprocess.run(["ip", "-n", testbed.namespace("A"), "-j", "link", "show", a_out.interface],
                                     capture_output=True, text=True, check=True).stdout)[0]
    sock = in_namespace(testbed.namespace("A"), open_socket)
    transport = RawTransport(sock, {a_out.interface: (link["ifindex"], a_out.address)})
    try:
        assert transport.send_nowait(Send(made_ours(path), a_out.interface, tail, router_alert=True))
        label = None
        deadline = time.monotonic() + 10
        while label is None:
            assert time.monotonic() < deadline, "no Resv came back to A"
            select.select([sock], [], [], 0.2)
            while (datagram := transport.receive_nowait()) is not None:
                message = decode(datagram.data)
                if message.msg_type == MsgType.RESV and message.find(C.SESSION) == ours[C.SESSION]:
                    label = message.find(C.LABEL).label
        roles = {n: [(l["role"], l["state"], l["destination"]) for l in lsps(testbed, n)] for n in ("B", "C", "D")}
        assert roles == {"B": [("transit", "up", str(tail))], "C": [("transit", "up", str(tail))],
                         "D": [("egress", "up", str(tail))]}, roles
        assert lsps(testbed, "B")[0]["in_label"] == label
        assert transport.send_nowait(Send(made_ours(path_tear), a_out.interface, tail, router_alert=True))
        wait_for("the PathTear's way to D", lambda: not any(lsps(testbed, n) for n in ("B", "C", "D")), 5)
    finally:
        sock.close()
