"""Time to realise and to release a reservation through ``quasar_glue.RouteletManager``, per backend.

For each backend, over ``--runs`` reservations (median and p95, ms, wall clock;
then the calling thread's CPU time, ``time.thread_time``: wall minus CPU is
time the thread was not running, on a shared machine mostly preemption):

* ``install (pool)``: ``install`` taking an idle routelet from a warm pool
  (the pool is refilled, untimed, between runs);
* ``install+replenish (pool)``: the same install followed by ``replenish()``,
  as rsvpd's routelet backend does before it answers the engine
  (``rsvp/daemon/performers.py``; the refill itself runs in the manager's
  thread, so this is the engine's wait);
* ``release (pool)``: ``remove`` handing it back to the pool idle;
* ``install (cold)``: pool size 0, so ``install`` starts the routelet first;
* ``release (cold)``: ``remove`` with pool size 0: the routelet is unassigned
  and left to the manager's refill thread to stop (off the release path).

Before each timed call the manager's refill thread is left to finish
(``replenish(wait=True)``), so no background start or stop overlaps it (the
timing thread sleeps meanwhile, as rsvpd's worker thread does between
reservations).  ``--back-to-back`` instead makes each call right after the
previous one, the refill thread working beside them: a burst of setups, where
the timing thread never sleeps (on a contended machine the scheduler then
preempts it mid-call once its time slice is used up).

Backends: ``libvirt`` on ``test:///default`` (needs libvirt-python), ``netns``
in a throw-away dom0 namespace (needs root).  Then the built-in forwarder's
packets/s from :mod:`benchmarks.bench_forwarder` (its CPU cost per packet,
inverted).  Issue 5 targets: <= 5 ms from the pool with libvirt, <= 50 ms cold
with netns, >= 50,000 packets/s.

    .venv/bin/python -m benchmarks.bench_glue [--runs N] [--packets N] [--backends libvirt,netns] [--back-to-back]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import IPv4Address

from admission.shares import Shares
from benchmarks import bench_forwarder
from quasar_glue import GlueConfig, RouteletManager
from rsvp.engine.actions import InstallLabel, RemoveLabel

NEXT_HOP = IPv4Address("10.98.0.2")
NEXT_HOP_MAC = "02:00:00:00:0b:02"
SHARES = Shares(bandwidth_bps=2e6, burst_bytes=8000, peak_bps=math.inf, max_packet_bytes=1500,
                cpu_sustained=0.02, cpu_peak=0.2, queue_bytes=16_000, memory_bytes=64 << 20)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ms = sorted(s * 1e3 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]


def summary(samples: list[float], cpu: list[float]) -> str:
    (median, p95), (cpu_median, cpu_p95) = percentiles(samples), percentiles(cpu)
    return (f"median {median:8.3f} ms   p95 {p95:8.3f} ms   (n={len(samples)}; "
            f"CPU median {cpu_median:.3f} p95 {cpu_p95:.3f})")


def measure(config: GlueConfig, runs: int, out_interface: str, settle: bool = True) -> dict[str, list[float]]:
    """Install and release timings with ``config``'s pool size (``settle``: the refill thread idle first)."""
    times: dict[str, list[float]] = {what: [] for what in ("install", "install+replenish", "release", "install cpu",
                                                           "install+replenish cpu", "release cpu")}
    manager = RouteletManager(config)
    try:
        manager.start()
        for handle in range(1, runs + 1):
            manager.replenish(wait=settle)
            action = InstallLabel(handle, 1000 + handle, 2000 + handle, out_interface, NEXT_HOP, SHARES.bandwidth_bps)
            cpu, start = time.thread_time(), time.perf_counter()
            event = manager.install(action, SHARES, flow=handle)
            times["install"].append(time.perf_counter() - start)
            times["install cpu"].append(time.thread_time() - cpu)
            if getattr(event, "reason", None):
                raise RuntimeError(f"install failed: {event.reason}")
            manager.replenish()
            times["install+replenish"].append(time.perf_counter() - start)
            times["install+replenish cpu"].append(time.thread_time() - cpu)
            if settle:
                manager.replenish(wait=True)
            cpu, start = time.thread_time(), time.perf_counter()
            manager.remove(RemoveLabel(handle))
            times["release"].append(time.perf_counter() - start)
            times["release cpu"].append(time.thread_time() - cpu)
    finally:
        manager.close()
    return times


def report(backend: str, base: GlueConfig, runs: int, out_interface: str, settle: bool) -> None:
    for label, pool_size in (("pool", 2), ("cold", 0)):
        times = measure(dataclasses.replace(base, pool_size=pool_size), runs, out_interface, settle)
        for what in ("install", "install+replenish", "release") if pool_size else ("install", "release"):
            print(f"{backend:8s} {what + f' ({label}):':26s} {summary(times[what], times[what + ' cpu'])}")


@contextlib.contextmanager
def dom0_namespace() -> Iterator[str]:
    """A namespace playing dom0 with data interfaces ``din`` and ``dout`` (veth peers in a neighbour)."""
    tag = secrets.token_hex(3)
    dom0, peer = f"qbd{tag}", f"qbp{tag}"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    try:
        ip("netns", "add", dom0)
        ip("netns", "add", peer)
        for dev, peer_dev in (("din", "pin"), ("dout", "pout")):
            ip("-n", dom0, "link", "add", dev, "type", "veth", "peer", "name", peer_dev, "netns", peer)
            ip("-n", dom0, "link", "set", dev, "up")
            ip("-n", peer, "link", "set", peer_dev, "up")
        yield dom0
    finally:
        for name in (dom0, peer):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="reservations per measurement (default 50)")
    parser.add_argument("--packets", type=int, default=50_000, help="frames for the forwarder figure")
    parser.add_argument("--backends", default="libvirt,netns", help="comma-separated: libvirt, netns")
    parser.add_argument("--back-to-back", action="store_true",
                        help="no pause for the refill thread between timed calls (a burst of setups)")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print(f"command: {' '.join([os.path.basename(sys.executable), '-m', 'benchmarks.bench_glue', *sys.argv[1:]])}")
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"Python {platform.python_version()}")
    tag = secrets.token_hex(2)
    neighbours = {str(NEXT_HOP): NEXT_HOP_MAC}
    if "libvirt" in backends:
        try:
            import libvirt  # noqa: F401
        except ImportError:
            print("libvirt: skipped (libvirt-python is not installed)")
        else:
            report("libvirt", GlueConfig(backend="libvirt", name_prefix=f"qbl{tag}", static_neighbours=neighbours),
                   args.runs, "eth1", not args.back_to_back)
    if "netns" in backends:
        if os.geteuid() != 0:
            print("netns: skipped (needs root for namespaces, cgroups and tc)")
        else:
            with dom0_namespace() as dom0:
                report("netns", GlueConfig(backend="netns", name_prefix=f"qbn{tag}", interfaces=("din",),
                                           static_neighbours=neighbours, dom0_netns=dom0,
                                           cgroup_parent=f"quasar-bench-{tag}"), args.runs, "dout",
                       not args.back_to_back)
    cost = bench_forwarder.pipeline_cost(args.packets)
    print(f"forwarder pipeline: {1 / cost:,.0f} packets/s ({cost * 1e6:.2f} us CPU per packet, graph only)")
    if os.geteuid() != 0:
        print("forwarder process: skipped (needs root for namespaces and AF_PACKET)")
        return
    cost, forwarded = bench_forwarder.process_cost(args.packets)
    print(f"forwarder process: {1 / cost:,.0f} packets/s per CPU ({cost * 1e6:.2f} us CPU per packet, "
          f"{forwarded} forwarded over AF_PACKET)")


if __name__ == "__main__":
    main()
