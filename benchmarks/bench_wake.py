"""What waking up for a datagram costs a process that was idle, by how it waits (root: network namespaces).

    sudo .venv/bin/python -m benchmarks.bench_wake [--datagrams 60] [--gap-ms 20] [--repeat 2]

A sender in one namespace sends a UDP datagram every ``--gap-ms`` across a veth
pair; a receiver in the other takes the kernel's receive timestamp of each
(SO_TIMESTAMPNS) and the wall clock once ``recvmsg`` has returned it.  The
difference is the wake-up: the guest waking a halted vCPU, the scheduler, and
the waiting code itself, run with cold caches as each of rsvpd's hops is.
Receivers: a blocking ``recvmsg``; trio's ``wait_readable`` inside a
``move_on_at`` cancel scope (what rsvpd's engine task does) and without it;
asyncio's ``add_reader``.  Medians and p90 in microseconds, the first five
datagrams dropped.  See BENCHMARKS.md (rsvpd on the four-router chain).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time

from rsvp.daemon.transport import SO_TIMESTAMPNS, TIMESTAMP_BUFFER, receive_time

WAITS = ("blocking", "trio", "trio-no-scope", "asyncio")
RECEIVER, SENDER = "10.99.0.2", "10.99.0.1"
PORT = 9999


def receive(wait: str, count: int) -> list[float]:
    """Wake-ups in microseconds for ``count`` datagrams, waiting the ``wait`` way."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind((RECEIVER, PORT))
    samples: list[float] = []

    def take() -> None:
        _, ancillary, _, _ = sock.recvmsg(2048, TIMESTAMP_BUFFER)
        now, received = time.clock_gettime_ns(time.CLOCK_REALTIME), receive_time(ancillary)
        if received is None:
            raise SystemExit("bench_wake: the kernel gave no receive timestamp (SO_TIMESTAMPNS)")
        samples.append((now - received) / 1e3)

    if wait == "blocking":
        while len(samples) < count:
            take()
        return samples
    sock.setblocking(False)
    if wait == "asyncio":
        import asyncio

        async def main_asyncio() -> None:
            loop = asyncio.get_running_loop()
            while len(samples) < count:
                ready = loop.create_future()
                loop.add_reader(sock, ready.set_result, None)
                await ready
                loop.remove_reader(sock)
                take()

        asyncio.run(main_asyncio())
        return samples
    import trio

    async def main_trio() -> None:
        while len(samples) < count:
            if wait == "trio":
                with trio.move_on_at(trio.current_time() + 60):
                    await trio.lowlevel.wait_readable(sock)
            else:
                await trio.lowlevel.wait_readable(sock)
            take()

    trio.run(main_trio)
    return samples


def send(count: int, gap_s: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(count):
        sock.sendto(bytes(100), (RECEIVER, PORT))
        time.sleep(gap_s)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_wake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--datagrams", type=int, default=60, help="per receiver run (default 60)")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="between datagrams (default 20)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each receiver, interleaved (default 2)")
    parser.add_argument("--role", choices=("receive", "send"), help=argparse.SUPPRESS)  # inside a namespace
    parser.add_argument("--wait", choices=WAITS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "receive":
        print(" ".join(f"{x:.1f}" for x in receive(args.wait, args.datagrams)))
        return 0
    if args.role == "send":
        send(args.datagrams + 10, args.gap_ms / 1000)
        return 0
    if os.geteuid() != 0:
        parser.error("needs root (network namespaces)")
    tag = secrets.token_hex(2)
    a, b = f"wake{tag}a", f"wake{tag}b"
    ip("netns", "add", a)
    try:
        ip("netns", "add", b)
        ip("-n", a, "link", "add", "name", "w0", "type", "veth", "peer", "name", "w1", "netns", b)
        ip("-n", a, "addr", "add", f"{SENDER}/24", "dev", "w0")
        ip("-n", b, "addr", "add", f"{RECEIVER}/24", "dev", "w1")
        ip("-n", a, "link", "set", "w0", "up")
        ip("-n", b, "link", "set", "w1", "up")
        me = [sys.executable, "-m", "benchmarks.bench_wake", "--datagrams", str(args.datagrams),
              "--gap-ms", str(args.gap_ms)]
        print(f"bench_wake: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, a datagram every "
              f"{args.gap_ms:g} ms, {args.datagrams} per run; load average {os.getloadavg()[0]:.2f}")
        for _ in range(args.repeat):
            for wait in WAITS:
                receiver = subprocess.Popen(["ip", "netns", "exec", b, *me, "--role", "receive", "--wait", wait],
                                            stdout=subprocess.PIPE, text=True)
                time.sleep(1.0)  # the receiver has bound its socket
                subprocess.run(["ip", "netns", "exec", a, *me, "--role", "send"], check=True)
                out, _ = receiver.communicate(timeout=30)
                samples = sorted(float(x) for x in out.split()[5:])
                print(f"{wait:14} wake-up median {statistics.median(samples):6.0f} us   "
                      f"p90 {samples[int(0.9 * len(samples))]:6.0f} us")
    finally:
        subprocess.run(["ip", "netns", "del", a], check=False)
        subprocess.run(["ip", "netns", "del", b], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
