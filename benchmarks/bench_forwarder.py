"""Per-packet CPU cost of the built-in forwarder, for admission's ``per_packet_cost_s`` (netns backend).

Two figures, process CPU time (user + system) per forwarded packet:

* ``pipeline``: the graph alone (classify, police, swap, queue, shape) in this process;
* ``process``: a real forwarder process in a namespace, fed MPLS frames over a
  veth through AF_PACKET (receive and send syscalls included; needs root,
  skipped otherwise), in bursts (its batched cost) and, with ``--gap``, one
  frame every GAP seconds: each frame wakes the forwarder, the cost a
  reserved flow at its own modest rate really has -- the number to configure.

    .venv/bin/python benchmarks/bench_forwarder.py [--packets N] [--gap SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time

from quasar_glue.forwarder import Pipeline
from quasar_glue.graph import ForwardingGraph
from quasar_glue.mpls import LabelEntry

SRC, DST = "02:00:00:00:00:01", "02:00:00:00:00:02"
GRAPH = ForwardingGraph(1001, 2002, 1e9, 1 << 20, 1 << 24, 1e9, 1514, SRC, DST)
FRAME = b"\x02" * 6 + b"\x02\x00\x00\x00\x0a\x01" + b"\x88\x47" + LabelEntry(1001, 0, True, 64).pack() + bytes(100)


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


def process_cost(packets: int, gap_s: float | None = None) -> tuple[float, int]:
    from pyroute2 import netns

    tag = secrets.token_hex(3)
    sender_ns, routelet_ns = f"qbs{tag}", f"qbr{tag}"

    def run(*args: str) -> None:
        subprocess.run(["ip", *args], check=True)

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
        sockets: list[socket.socket] = []

        def open_sender() -> None:
            netns.setns(sender_ns, flags=0)
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            sock.bind(("s0", 3))
            sockets.append(sock)

        thread = threading.Thread(target=open_sender)
        thread.start()
        thread.join()
        before = _cpu_seconds(forwarder.pid)
        for i in range(packets):
            sockets[0].send(FRAME)
            if gap_s is not None:
                time.sleep(gap_s)
            elif i % 200 == 199:
                time.sleep(0.002)  # stay under the forwarder's receive buffer
        time.sleep(0.5)
        used = _cpu_seconds(forwarder.pid) - before
        forwarder.stdin.write('{"op": "stats"}\n')
        forwarder.stdin.flush()
        forwarded = json.loads(forwarder.stdout.readline())["tx"]
        forwarder.stdin.close()
        forwarder.wait()
        sockets[0].close()
        return used / max(forwarded, 1), forwarded
    finally:
        for name in (sender_ns, routelet_ns):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=50_000)
    parser.add_argument("--gap", type=float, help="seconds between frames (default: bursts of 200)")
    args = parser.parse_args()
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(f"pipeline: {pipeline_cost(args.packets) * 1e6:.2f} us CPU per packet (graph only, in process)")
    if os.geteuid() != 0:
        print("process: skipped (needs root for namespaces and AF_PACKET)")
        return
    cost, forwarded = process_cost(args.packets, args.gap)
    print(f"process: {cost * 1e6:.2f} us CPU per packet ({forwarded} forwarded; per_packet_cost_s = {cost:.2e})")


if __name__ == "__main__":
    main()
