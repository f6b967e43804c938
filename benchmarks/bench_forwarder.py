"""Per-packet CPU cost of the built-in forwarder, for the ``quasar`` admission policy (netns backend).

Figures, CPU time per forwarded packet:

* ``pipeline``: the graph alone (classify, police, swap, queue, shape) in this process;
* ``process``: a real forwarder process in a namespace, fed MPLS frames over a
  veth through AF_PACKET (receive and send syscalls included; needs root,
  skipped otherwise), in bursts (its batched cost) and, with ``--gap``, one
  frame every GAP seconds: each frame wakes the forwarder;
* ``--sweep``: the same process fed frames evenly spaced at each of a list of
  packet rates (a ``tbf`` qdisc on the sender's veth spaces them, one frame
  of burst), measuring per rate the forwarder's CPU time (``/proc/PID/schedstat``,
  nanoseconds) and its wake-ups (voluntary context switches: each time it
  sleeps in ``poll``), and fits the cost model of :mod:`admission.quasar`::

      c(lambda) = c_batched + c_wakeup / n(lambda),   n(lambda) = 1 + lambda * tau

  ``n`` is the packets handled per wake-up (measured), ``c_batched`` and
  ``c_wakeup`` come from a least-squares line of the measured cost against
  ``1/n``, and ``tau`` (seconds: how long a wake-up keeps collecting
  packets) from ``n - 1`` against the rate, through the origin.  It prints
  the ``[admission] options`` that configure the model.

    .venv/bin/python -m benchmarks.bench_forwarder [--packets N] [--gap SECONDS]
    .venv/bin/python -m benchmarks.bench_forwarder --sweep [--rates 50,100,...] [--seconds S]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

from quasar_glue.forwarder import Pipeline
from quasar_glue.graph import ForwardingGraph
from quasar_glue.mpls import LabelEntry

SRC, DST = "02:00:00:00:00:01", "02:00:00:00:00:02"
GRAPH = ForwardingGraph(1001, 2002, 1e9, 1 << 20, 1 << 24, 1e9, 1514, SRC, DST)
FRAME = b"\x02" * 6 + b"\x02\x00\x00\x00\x0a\x01" + b"\x88\x47" + LabelEntry(1001, 0, True, 64).pack() + bytes(100)
SWEEP_RATES = (50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000)  # packets/s


def pipeline_cost(packets: int) -> float:
    pipe = Pipeline(GRAPH, time.monotonic())
    start = time.process_time()
    for _ in range(packets):
        now = time.monotonic()
        pipe.receive(bytearray(FRAME), now)
        pipe.ready(now)
    return (time.process_time() - start) / packets


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_ns(pid: int) -> int:
    """Time ``pid`` (single-threaded) has run on a CPU, in nanoseconds (``/proc/PID/schedstat``)."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


def _wakeups(pid: int) -> int:
    """Voluntary context switches of ``pid``: each is a sleep in ``poll`` that a frame ended."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise RuntimeError(f"no voluntary_ctxt_switches for {pid}")


@dataclasses.dataclass
class Testbed:
    forwarder: subprocess.Popen
    sender: socket.socket
    sender_ns: str

    def stats(self) -> dict:
        self.forwarder.stdin.write('{"op": "stats"}\n')
        self.forwarder.stdin.flush()
        return json.loads(self.forwarder.stdout.readline())


@contextlib.contextmanager
def testbed(receive_on_sender: bool = True) -> Iterator[Testbed]:
    """A forwarder process in a namespace on ``eth0``, the peer ``s0`` of a veth in a sender namespace,
    and a packet socket on ``s0`` (bound to every protocol unless ``receive_on_sender`` is False: then it
    only sends, and the forwarded frames coming back are not queued to it)."""
    from pyroute2 import netns

    tag = secrets.token_hex(3)
    sender_ns, routelet_ns = f"qbs{tag}", f"qbr{tag}"

    def run(*args: str) -> None:
        subprocess.run(["ip", *args], check=True)

    forwarder = None
    sockets: list[socket.socket] = []
    try:
        run("netns", "add", sender_ns)
        run("netns", "add", routelet_ns)
        run("-n", sender_ns, "link", "add", "s0", "type", "veth", "peer", "name", "eth0", "netns", routelet_ns)
        run("-n", sender_ns, "link", "set", "s0", "up")
        run("-n", routelet_ns, "link", "set", "eth0", "up")
        forwarder = subprocess.Popen(
            ["ip", "netns", "exec", routelet_ns, sys.executable, "-m", "quasar_glue.forwarder", "eth0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        forwarder.stdin.write(json.dumps({"op": "load", "graph": json.loads(GRAPH.to_json())}) + "\n")
        forwarder.stdin.flush()
        forwarder.stdout.readline()
        protocol = 3 if receive_on_sender else 0

        def open_sender() -> None:
            netns.setns(sender_ns, flags=0)
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(protocol))
            sock.bind(("s0", protocol))
            sockets.append(sock)

        thread = threading.Thread(target=open_sender)
        thread.start()
        thread.join()
        yield Testbed(forwarder, sockets[0], sender_ns)
    finally:
        for sock in sockets:
            sock.close()
        if forwarder is not None:
            with contextlib.suppress(BrokenPipeError):
                forwarder.stdin.close()
            forwarder.wait()
        for name in (sender_ns, routelet_ns):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def process_cost(packets: int, gap_s: float | None = None) -> tuple[float, int]:
    with testbed() as bed:
        before = _cpu_seconds(bed.forwarder.pid)
        for i in range(packets):
            bed.sender.send(FRAME)
            if gap_s is not None:
                time.sleep(gap_s)
            elif i % 200 == 199:
                time.sleep(0.002)  # stay under the forwarder's receive buffer
        time.sleep(0.5)
        used = _cpu_seconds(bed.forwarder.pid) - before
        forwarded = bed.stats()["tx"]
        return used / max(forwarded, 1), forwarded


@dataclasses.dataclass(frozen=True)
class Point:
    rate_pps: float  # achieved: forwarded frames over the time they were sent in
    forwarded: int
    cpu_s: float
    wakeups: int

    @property
    def cost_s(self) -> float:
        return self.cpu_s / max(self.forwarded, 1)

    @property
    def per_wakeup(self) -> float:
        return self.forwarded / max(self.wakeups, 1)


def _measure(bed: Testbed, send) -> Point:
    """Run ``send()`` (it returns the seconds it sent for) and charge the forwarder's CPU and wake-ups to it."""
    pid = bed.forwarder.pid
    start_tx = bed.stats()["tx"]
    time.sleep(0.05)  # the stats reply's wake-up is over before counting starts
    cpu, wakeups = _cpu_ns(pid), _wakeups(pid)
    seconds = send()
    time.sleep(0.2)  # the last frames leave the qdisc and are forwarded
    # read the counters before asking for stats: the request wakes the forwarder too
    cpu, wakeups = _cpu_ns(pid) - cpu, _wakeups(pid) - wakeups
    forwarded = bed.stats()["tx"] - start_tx
    return Point(forwarded / seconds, forwarded, cpu / 1e9, wakeups)


def _pace(bed: Testbed, rate_pps: float | None) -> None:
    """Space frames leaving the sender 1/rate apart (tbf, one frame of burst); None: no qdisc pacing."""
    args = (["replace", "dev", "s0", "root", "tbf", "rate", f"{len(FRAME) * 8 * rate_pps:.0f}bit", "burst",
             str(len(FRAME)), "limit", str(len(FRAME) * 2000)] if rate_pps else ["del", "dev", "s0", "root"])
    subprocess.run(["ip", "netns", "exec", bed.sender_ns, "tc", "qdisc", *args], check=not rate_pps,
                   capture_output=True)


def sweep_point(bed: Testbed, rate_pps: float, seconds: float, min_packets: int = 300) -> Point:
    """Forward frames evenly spaced at ``rate_pps`` for ``seconds`` (at least ``min_packets``)."""
    packets = max(min_packets, round(rate_pps * seconds))
    _pace(bed, rate_pps)

    def send() -> float:
        start = time.monotonic()
        for i in range(packets):
            lag = start + i / rate_pps - time.monotonic()
            if lag > 0:
                time.sleep(lag)
            bed.sender.send(FRAME)
        return max(time.monotonic() - start, (packets - 1) / rate_pps) + 1 / rate_pps

    return _measure(bed, send)


def burst_point(bed: Testbed, packets: int) -> Point:
    """Frames in bursts of 200 (2 ms apart, under the receive buffer): the forwarder's batched cost."""
    _pace(bed, None)

    def send() -> float:
        start = time.monotonic()
        for i in range(packets):
            bed.sender.send(FRAME)
            if i % 200 == 199:
                time.sleep(0.002)
        return time.monotonic() - start

    return _measure(bed, send)


def monotone(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(rate, cost) points made fit for admission, only ever rounding a cost up: cost non-increasing in
    the rate (each cost at least every cost at a higher rate), then CPU load rate*cost non-decreasing
    (a cost whose load falls below the previous point's is raised to that load; this keeps the first)."""
    ordered = sorted(points)
    costs = [cost for _, cost in ordered]
    for i in range(len(costs) - 2, -1, -1):
        costs[i] = max(costs[i], costs[i + 1])
    for i in range(1, len(costs)):
        previous_load, rate = ordered[i - 1][0] * costs[i - 1], ordered[i][0]
        if rate * costs[i] < previous_load:
            costs[i] = previous_load / rate
            while rate * costs[i] < previous_load:  # rounding
                costs[i] = math.nextafter(costs[i], math.inf)
    return [(rate, cost) for (rate, _), cost in zip(ordered, costs, strict=True)]


def sweep(rates: list[float], seconds: float, repeat: int, burst_packets: int) -> None:
    runs: dict[float, list[Point]] = {rate: [] for rate in rates}
    bursts: list[Point] = []
    with testbed(receive_on_sender=False) as bed:
        sweep_point(bed, 1000, 0.3)  # warm up (first frames fault in code and buffers)
        for _ in range(repeat):  # rounds across every rate, so a noisy spell of the machine hits all alike
            for rate in rates:
                runs[rate].append(sweep_point(bed, rate, seconds))
            bursts.append(burst_point(bed, burst_packets))
    print(f"{'rate (pkt/s)':>12s} {'achieved':>9s} {'pkt/wake-up':>11s} {'us/packet':>9s} {'min':>6s} {'max':>6s} "
          f"{'CPU share':>9s}   (median of {repeat})")
    measured = []
    for rate in rates:
        points = runs[rate]
        cost = statistics.median(p.cost_s for p in points)
        achieved = statistics.median(p.rate_pps for p in points)
        low, high = min(p.cost_s for p in points), max(p.cost_s for p in points)
        print(f"{rate:12,.0f} {achieved:9,.0f} {statistics.median(p.per_wakeup for p in points):11.2f} "
              f"{cost * 1e6:9.1f} {low * 1e6:6.1f} {high * 1e6:6.1f} {achieved * cost:9.4f}")
        measured.append((achieved, cost))
    batched = statistics.median(p.cost_s for p in bursts)
    print(f"{'bursts':>12s} {statistics.median(p.rate_pps for p in bursts):9,.0f} "
          f"{statistics.median(p.per_wakeup for p in bursts):11.2f} {batched * 1e6:9.1f} "
          f"{min(p.cost_s for p in bursts) * 1e6:6.1f} {max(p.cost_s for p in bursts) * 1e6:6.1f}")
    table = monotone(measured)
    batched = min(batched, table[-1][1])
    rows = ", ".join(f"[{rate:.0f}, {cost:.3g}]" for rate, cost in table)
    print("model (admission.quasar.PacketCost): CPU load piecewise linear in the packet rate through the points,")
    print("      slope per_packet_batched_s beyond the last; cost per packet = load / rate")
    print(f"[admission] options: cost_table = [{rows}], per_packet_batched_s = {batched:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=50_000)
    parser.add_argument("--gap", type=float, help="seconds between frames (default: bursts of 200)")
    parser.add_argument("--sweep", action="store_true", help="cost against packet rate, and the fitted model")
    parser.add_argument("--rates", default=",".join(map(str, SWEEP_RATES)), help="packets/s for --sweep")
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds per rate for --sweep (>= 300 packets)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of --sweep (medians are printed)")
    args = parser.parse_args()
    print(f"command: {' '.join([os.path.basename(sys.executable), '-m', 'benchmarks.bench_forwarder', *sys.argv[1:]])}")
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"Python {platform.python_version()}")
    if args.sweep:
        if os.geteuid() != 0:
            sys.exit("--sweep needs root (namespaces, AF_PACKET, tc)")
        sweep([float(r) for r in args.rates.split(",")], args.seconds, args.repeat, min(args.packets, 20_000))
        return
    print(f"pipeline: {pipeline_cost(args.packets) * 1e6:.2f} us CPU per packet (graph only, in process)")
    if os.geteuid() != 0:
        print("process: skipped (needs root for namespaces and AF_PACKET)")
        return
    cost, forwarded = process_cost(args.packets, args.gap)
    print(f"process: {cost * 1e6:.2f} us CPU per packet ({forwarded} forwarded; per_packet_cost_s = {cost:.2e})")


if __name__ == "__main__":
    main()
