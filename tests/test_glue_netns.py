"""The netns backend in real namespaces (root only): a -- r (dom0) -- c, routelets hung off r."""

from __future__ import annotations

import math
import os
import secrets
import socket
import subprocess
import time
from ipaddress import IPv4Address

import pytest

from admission.shares import Shares
from quasar_glue import cgroups
from quasar_glue.config import GlueConfig
from quasar_glue.manager import RouteletManager
from quasar_glue.model import GlueError, Routelet
from quasar_glue.mpls import ETH_P_MPLS_UC, LabelEntry
from quasar_glue.netns_backend import Forwarder
from rsvp.engine.actions import InstallLabel, RemoveLabel
from rsvp.engine.events import LabelInstalled, LabelInstallFailed

from .namespaces import in_namespace

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir("/var/run") or
                                subprocess.run(["ip", "netns", "list"], check=False, capture_output=True).returncode != 0,
                                reason="netns backend tests need root and network namespaces")

C_MAC = "02:00:00:00:0c:01"
NEXT_HOP = IPv4Address("10.99.2.2")


def ns_socket(namespace: str, device: str) -> socket.socket:
    """An AF_PACKET socket bound to ``device`` in ``namespace``."""

    def open_inside() -> socket.socket:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind((device, 0x0003))
        return sock

    return in_namespace(namespace, open_inside)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def mpls_frame(label: int, ttl: int, size: int = 100, dst: bytes = b"\x02" * 6) -> bytes:
    ip_payload = bytes(range(256)) * (size // 256 + 1)
    return dst + b"\x02\x00\x00\x00\x0a\x01" + ETH_P_MPLS_UC.to_bytes(2, "big") + \
        LabelEntry(label, 0, True, ttl).pack() + b"\x45" + ip_payload[: size - 19]


def drain(sock: socket.socket, quiet_s: float = 0.5) -> list[bytes]:
    """Frames arriving on ``sock`` until it has been quiet for ``quiet_s``."""
    sock.settimeout(quiet_s)
    frames = []
    while True:
        try:
            data, address = sock.recvfrom(65535)
        except TimeoutError:
            return frames
        if address[2] != 4:  # not PACKET_OUTGOING
            frames.append(data)


@pytest.fixture(scope="module")
def topology():
    tag = secrets.token_hex(3)
    a, r, c = f"qa{tag}", f"qr{tag}", f"qc{tag}"
    try:
        for name in (a, r, c):
            ip("netns", "add", name)
        ip("-n", a, "link", "add", "a0", "type", "veth", "peer", "name", "rin", "netns", r)
        ip("-n", r, "link", "add", "rout", "type", "veth", "peer", "name", "c0", "netns", c)
        ip("-n", c, "link", "set", "c0", "address", C_MAC)
        for name, dev in ((a, "a0"), (r, "rin"), (r, "rout"), (c, "c0")):
            ip("-n", name, "link", "set", dev, "up")
        ip("-n", r, "addr", "add", "10.99.2.1/24", "dev", "rout")
        yield {"a": a, "r": r, "c": c, "tag": tag}
    finally:
        for name in (a, r, c):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def in_routelet(pid: int, name: str, cg: cgroups.Cgroup) -> bool:
    """Whether process ``pid`` is in routelet ``name``'s network namespace and in each of its cgroups."""
    same_netns = os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/var/run/netns/{name}").st_ino
    return same_netns and all(str(pid) in (path / "cgroup.procs").read_text().split() for path in cg.dirs.values())


def shares(rate_bps: float, burst: int) -> Shares:
    return Shares(bandwidth_bps=rate_bps, burst_bytes=burst, peak_bps=math.inf, max_packet_bytes=1500,
                  cpu_sustained=0.05, cpu_peak=0.5, queue_bytes=256 * 1024, memory_bytes=96 << 20)


def test_routelets_forward_police_partition_and_clean_up(topology):
    tag = topology["tag"]
    config = GlueConfig(backend="netns", pool_size=2, name_prefix=f"q{tag}", interfaces=("rin",),
                        static_neighbours={str(NEXT_HOP): C_MAC}, dom0_netns=topology["r"],
                        cgroup_parent=f"quasar-{tag}", link_rate_bps=100e6)
    manager = RouteletManager(config)
    try:
        manager.start()
        assert [r["state"] for r in manager.snapshot()] == ["idle", "idle"]
        fast, slow = shares(40e6, 64_000), shares(200e3, 3000)
        assert manager.install(InstallLabel(1, 1001, 2002, "rout", NEXT_HOP, 40e6), fast) == LabelInstalled(1)
        assert manager.install(InstallLabel(2, 1003, 2004, "rout", NEXT_HOP, 200e3), slow) == LabelInstalled(2)
        failed = manager.install(InstallLabel(3, 1005, 2006, "rout", IPv4Address("10.99.2.77"), 1e6), None)
        assert isinstance(failed, LabelInstallFailed) and "link-layer address" in failed.reason

        table = {r["handle"]: r for r in manager.snapshot()}
        assert table[1]["state"] == "assigned" and table[1]["out_label"] == 2002
        assert {"cpu", "memory", "htb", "demux", "vif police"} <= set(table[2]["enforced"])
        vif = subprocess.run(["tc", "-n", topology["r"], "qdisc", "show", "dev", table[2]["name"] + "v"],
                             check=True, capture_output=True, text=True).stdout
        assert "tbf" in vif and "rate 200Kbit" in vif and "burst 3000b" in vif, vif  # dom0 polices to (r, b)
        cg = cgroups.Cgroup(config.cgroup_parent, table[2]["name"])
        if cg.version == 1:
            assert cg.read()["cpu.cfs_quota_us"] == str(slow.cgroup_cpu_quota_us)
            assert cg.read()["memory.limit_in_bytes"] == str(slow.memory_bytes)
            assert cg.read()["cpu.shares"] == str(slow.cgroup_cpu_shares)
        else:
            assert cg.read()["cpu.max"] == f"{slow.cgroup_cpu_quota_us} {slow.cgroup_cpu_period_us}"
            assert cg.read()["memory.max"] == str(slow.memory_bytes)
        pid = table[2]["pid"]
        assert in_routelet(pid, table[2]["name"], cg)

        sender, receiver = ns_socket(topology["a"], "a0"), ns_socket(topology["c"], "c0")
        try:
            # swap and TTL: 20 frames of each label, plus 10 of a label no routelet holds
            for _ in range(20):
                sender.send(mpls_frame(1001, 64))
            for _ in range(10):
                sender.send(mpls_frame(1999, 64))
            sender.send(mpls_frame(1001, 1))  # TTL would expire
            out = [LabelEntry.unpack(f, 14) for f in drain(receiver) if f[12:14] == b"\x88\x47"]
            assert out == [LabelEntry(2002, 0, True, 63)] * 20

            # policing: 1000-byte frames, the slow flow sent far above 200 kbit/s loses its excess,
            # the fast flow interleaved with it keeps every frame
            start = time.monotonic()
            for _ in range(150):
                sender.send(mpls_frame(1003, 64, 1000))
                sender.send(mpls_frame(1001, 64, 1000))
                time.sleep(0.001)
            elapsed = time.monotonic() - start
            got = [LabelEntry.unpack(f, 14).label for f in drain(receiver, 1.0) if f[12:14] == b"\x88\x47"]
            allowed = (3000 + 200e3 / 8 * (elapsed + 0.1)) / 1018 + 2
            assert got.count(2002) == 150
            assert 2 <= got.count(2004) <= allowed < 75
            # the excess is dropped before the routelet, by the TBF on its vif in dom0
            vif = subprocess.run(["tc", "-s", "-n", topology["r"], "qdisc", "show", "dev", table[2]["name"] + "v"],
                                 check=True, capture_output=True, text=True).stdout
            dropped = int(vif.split("dropped ")[1].split(",")[0])
            assert dropped >= 150 - allowed, vif
        finally:
            sender.close()
            receiver.close()

        # release returns the routelet to the pool, idle and with its limits lifted
        manager.remove(RemoveLabel(2))
        idle = [r for r in manager.snapshot() if r["name"] == table[2]["name"]]
        assert idle and idle[0]["state"] == "idle"
        assert cg.read()["cpu.cfs_quota_us" if cg.version == 1 else "cpu.max"] in ("-1", "max")
        vif = subprocess.run(["tc", "-n", topology["r"], "qdisc", "show", "dev", table[2]["name"] + "v"],
                             check=True, capture_output=True, text=True).stdout
        assert "tbf" not in vif, vif
    finally:
        names = [r["name"] for r in manager.snapshot()]
        pids = [r["pid"] for r in manager.snapshot()]
        zygote = manager.backend.zygote.process
        manager.close()
    assert zygote.poll() is not None and not any(os.path.exists(f"/proc/{pid}") for pid in pids)
    listed = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    assert not any(n in listed for n in names)
    assert not cgroups.existing(config.cgroup_parent, config.name_prefix)
    qdiscs = subprocess.run(["tc", "-n", topology["r"], "qdisc", "show"], check=False, capture_output=True, text=True).stdout
    assert "htb" not in qdiscs and "ingress" not in qdiscs


def test_forwarders_start_in_their_routelets_from_a_zygote_restarted_if_it_died(topology):
    tag = topology["tag"]
    config = GlueConfig(backend="netns", pool_size=3, name_prefix=f"z{tag}", interfaces=("rin",),
                        dom0_netns=topology["r"], cgroup_parent=f"quasar-z{tag}")
    manager = RouteletManager(config)
    try:
        manager.start()
        idle = manager.snapshot()
        assert len({r["pid"] for r in idle}) == 3
        for routelet in idle:
            assert in_routelet(routelet["pid"], routelet["name"], cgroups.Cgroup(config.cgroup_parent, routelet["name"]))
        backend, broken = manager.backend, Routelet(f"z{tag}-99", "netns")
        backend.zygote.close()  # a zygote that died is started again at the next create
        backend.create(broken)
        assert in_routelet(broken.details["pid"], broken.name, cgroups.Cgroup(config.cgroup_parent, broken.name))
        backend.destroy(broken.name)
        with pytest.raises(GlueError, match="cannot enter the routelet"):
            Forwarder(backend.zygote, f"z{tag}-absent", cgroups.Cgroup(config.cgroup_parent, f"z{tag}-absent"))
        cgroups.Cgroup(config.cgroup_parent, f"z{tag}-absent").remove()
    finally:
        manager.close()
    assert not cgroups.existing(config.cgroup_parent, config.name_prefix)
    listed = subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    assert f"z{tag}-" not in listed
