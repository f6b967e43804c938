"""The libvirt backend end to end on the embedded test:///default driver (no daemon, no root)."""

from __future__ import annotations

import math
import secrets
import threading
import xml.etree.ElementTree as ET
from ipaddress import IPv4Address

import pytest

from admission.shares import Shares
from quasar_glue import domain_xml
from quasar_glue.config import GlueConfig
from quasar_glue.manager import RouteletManager
from quasar_glue.model import GlueError
from rsvp.engine.actions import InstallLabel, RemoveLabel
from rsvp.engine.events import LabelInstalled, LabelInstallFailed

libvirt = pytest.importorskip("libvirt", reason="libvirt-python is not installed")
from quasar_glue.libvirt_backend import LibvirtBackend  # noqa: E402 (needs libvirt-python)

NEXT_HOP = IPv4Address("192.0.2.2")


def shares(memory_mib: int = 48, cpu: float = 0.02) -> Shares:
    return Shares(bandwidth_bps=2e6, burst_bytes=8000, peak_bps=math.inf, max_packet_bytes=1500,
                  cpu_sustained=cpu, cpu_peak=2 * cpu, queue_bytes=16_000, memory_bytes=memory_mib << 20)


@pytest.fixture
def manager():
    config = GlueConfig(backend="libvirt", pool_size=2, name_prefix=f"qlv{secrets.token_hex(3)}",
                        static_neighbours={str(NEXT_HOP): "02:00:00:00:00:02"})
    manager = RouteletManager(config)
    manager.start()
    yield manager
    manager.close()


def domain(manager: RouteletManager, name: str) -> libvirt.virDomain:
    return manager.backend.conn.lookupByName(name)


def test_pool_is_started_idle(manager):
    table = manager.snapshot()
    assert [r["state"] for r in table] == ["idle", "idle"]
    for row in table:
        dom = domain(manager, row["domain"])
        assert dom.isActive() and dom.info()[2] == manager.config.idle_memory_bytes // 1024
        meta = ET.fromstring(dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.NAMESPACE))
        assert meta.get("state") == "idle"


def test_install_records_reservation_and_resources(manager):
    grant = shares()
    event = manager.install(InstallLabel(7, 1001, 2002, "eth1", NEXT_HOP, 2e6), grant, flow="lsp-7")
    assert event == LabelInstalled(7)
    (row,) = [r for r in manager.snapshot() if r["handle"] == 7]
    assert row["state"] == "assigned" and row["flow"] == "lsp-7"
    dom = domain(manager, row["domain"])
    assert dom.info()[2] == grant.memory_bytes // 1024
    inactive = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert inactive.findtext("cputune/shares") == str(grant.xen_weight)
    meta = ET.fromstring(dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.NAMESPACE))
    assert meta.findtext("in_label") == "1001" and meta.findtext("out_label") == "2002"
    assert meta.find("shares").get("memory_bytes") == str(grant.memory_bytes)
    assert "BandwidthRatedSplitter(250000Bps, BURST_BYTES 8000)" in meta.findtext("click")
    # the test driver's scheduler knows only a fake weight: cap is reported unsupported, not faked
    assert row["scheduler"] == {"weight": grant.xen_weight}
    assert "cap" in row["unsupported"] and "bandwidth: no vif in dom0" in row["unsupported"]
    assert dom.schedulerParameters() == {"weight": 50}
    # idempotent: the same install again changes nothing
    assert manager.install(InstallLabel(7, 1001, 2002, "eth1", NEXT_HOP, 2e6), grant, flow="lsp-7") == LabelInstalled(7)


def test_resize_in_place_and_release_back_to_pool(manager):
    manager.install(InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6), shares(48))
    name = next(r["name"] for r in manager.snapshot() if r["handle"] == 1)
    assert manager.install(InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6), shares(96, 0.1)) == LabelInstalled(1)
    assert [r["name"] for r in manager.snapshot() if r["handle"] == 1] == [name]
    assert domain(manager, name).info()[2] == 96 << 10
    manager.remove(RemoveLabel(1))
    manager.remove(RemoveLabel(1))  # unknown handles are ignored
    row = next(r for r in manager.snapshot() if r["name"] == name)
    assert row["state"] == "idle" and row["handle"] is None
    assert domain(manager, name).info()[2] == manager.config.idle_memory_bytes // 1024
    # the pool hands the same domain out again
    manager.install(InstallLabel(2, 1003, 2004, "eth1", NEXT_HOP, 2e6), shares())
    assert {r["name"] for r in manager.snapshot() if r["handle"] == 2} <= {r["name"] for r in manager.snapshot()}
    assert len(manager.backend.existing()) == 2


def test_failures_give_reasons_and_leave_nothing_half_made(manager):
    too_big = manager.install(InstallLabel(3, 1005, 2006, "eth1", NEXT_HOP, 2e6), shares(64 * 1024))
    assert isinstance(too_big, LabelInstallFailed) and "exceeds the host's 3072 MiB" in too_big.reason
    over_max = manager.install(InstallLabel(4, 1007, 2008, "eth1", NEXT_HOP, 2e6), shares(512))
    assert "exceeds the routelet maximum" in over_max.reason
    unknown = manager.install(InstallLabel(5, 1009, 2010, "eth1", IPv4Address("192.0.2.99"), 2e6), None)
    assert "no known link-layer address" in unknown.reason
    assert [r["state"] for r in manager.snapshot()] == ["idle", "idle"]
    # a failed resize keeps the reservation the routelet already had
    manager.install(InstallLabel(6, 1011, 2012, "eth1", NEXT_HOP, 2e6), shares(48))
    failed = manager.install(InstallLabel(6, 1011, 2012, "eth1", NEXT_HOP, 2e6), shares(64 * 1024))
    assert isinstance(failed, LabelInstallFailed)
    (row,) = [r for r in manager.snapshot() if r["handle"] == 6]
    assert row["shares"]["memory_bytes"] == 48 << 20


def test_pool_resize_and_reconcile_orphans(manager):
    manager.resize_pool(3)
    assert len(manager.backend.existing()) == 3
    manager.resize_pool(1)
    assert len(manager.backend.existing()) == 1
    # a new manager on the same connection's host finds the leftovers and removes them
    again = RouteletManager(manager.config, manager.backend)
    again.start()
    assert [r["state"] for r in again.snapshot()] == ["idle"] * manager.config.pool_size
    assert len(manager.backend.existing()) == manager.config.pool_size


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown routelet backend"):
        RouteletManager(GlueConfig(backend="vmware"))


# -- the pool is refilled and trimmed off the install and release paths ---------------------------

def idle_names(manager: RouteletManager) -> list[str]:
    return [r["name"] for r in manager.snapshot() if r["state"] == "idle"]


def test_replenish_refills_in_the_background_and_release_trims_the_surplus(manager):
    assert manager.install(InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6), shares()) == LabelInstalled(1)
    assert len(idle_names(manager)) == 1
    manager.replenish(wait=True)  # as rsvpd does after each install (without waiting)
    assert len(idle_names(manager)) == 2 and len(manager.backend.existing()) == 3
    manager.remove(RemoveLabel(1))  # the pool is full: the released domain is surplus, stopped by the thread
    manager.replenish(wait=True)
    assert len(idle_names(manager)) == 2 and len(manager.backend.existing()) == 2
    assert manager.refill_error is None


class SlowStart:
    """A libvirt backend whose ``create`` waits for ``go`` (a domain that takes long to boot)."""

    def __init__(self, backend) -> None:
        self.backend, self.go, self.started = backend, threading.Event(), threading.Event()
        self.name, self.concurrent_create, self.fail = backend.name, backend.concurrent_create, None

    def create(self, routelet) -> None:
        self.started.set()
        assert self.go.wait(30)
        if self.fail:
            raise GlueError(self.fail)
        self.backend.create(routelet)

    def __getattr__(self, name):
        return getattr(self.backend, name)


@pytest.fixture
def slow_manager():
    """A started manager (pool of 2) on its own connection, its backend's create held from now on."""
    config = GlueConfig(backend="libvirt", pool_size=2, name_prefix=f"qls{secrets.token_hex(3)}",
                        static_neighbours={str(NEXT_HOP): "02:00:00:00:00:02"})
    slow = SlowStart(LibvirtBackend(config))
    slow.go.set()
    manager = RouteletManager(config, slow)
    manager.start()
    slow.go.clear()
    yield manager, slow
    slow.go.set()
    manager.close()


def test_an_install_does_not_wait_for_a_routelet_being_started(slow_manager):
    glue, slow = slow_manager
    assert glue.install(InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6), shares()) == LabelInstalled(1)
    glue.replenish()  # returns at once: the refill thread is now held starting a domain
    assert slow.started.wait(10)
    # meanwhile the lock is free: another install takes the last idle routelet, a release comes back
    answers = []
    second = threading.Thread(target=lambda: answers.append(
        glue.install(InstallLabel(2, 1003, 2004, "eth1", NEXT_HOP, 2e6), shares())))
    second.start()
    second.join(5)
    assert answers == [LabelInstalled(2)], "the install waited for the routelet being started"
    glue.remove(RemoveLabel(1))
    assert [r["state"] for r in glue.snapshot()] == ["assigned", "idle"]
    slow.go.set()
    glue.replenish(wait=True)
    assert [r["state"] for r in glue.snapshot()] == ["assigned", "idle", "idle"]


def test_a_failed_refill_is_recorded_and_retried(slow_manager):
    glue, slow = slow_manager
    glue.install(InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6), shares())
    slow.go.set()
    slow.fail = "libvirt: out of memory"
    with pytest.raises(GlueError, match="out of memory"):
        glue.replenish(wait=True)
    assert glue.refill_error == "libvirt: out of memory" and len(idle_names(glue)) == 1
    slow.fail = None
    glue.replenish(wait=True)  # the thread survived the failure
    assert glue.refill_error is None and len(idle_names(glue)) == 2


def test_close_waits_for_a_routelet_being_started_and_removes_it(slow_manager, manager):
    glue, slow = slow_manager
    glue.install(InstallLabel(1, 1001, 2002, "eth1", NEXT_HOP, 2e6), shares())
    glue.replenish()
    assert slow.started.wait(10)
    threading.Timer(0.2, slow.go.set).start()
    glue.close()  # joins the thread: the domain it was starting is stopped too
    prefix = glue.config.name_prefix + "-"
    # test:///default is one host for every connection in the process: look through another one
    assert not [d.name() for d in manager.backend.conn.listAllDomains() if d.name().startswith(prefix)]
