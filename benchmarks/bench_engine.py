"""One transit node holding N LSPs: setup rate, steady-state refresh CPU, memory per LSP.

    python -m benchmarks.bench_engine [--lsps 10000 50000 100000] [--refresh 30]

The node under test sits between an upstream and a downstream neighbour that
exist only as bytes: it is handed every message as a datagram
(``PacketReceived``, which it decodes unless it recognises a refresh by its
bytes) and encodes every message it sends, so the figures include the codec
as a daemon would pay it.

* setup: for each LSP, a Path from upstream, the Resv from downstream, and the
  LabelInstalled answer; reported as LSPs per second of CPU time.
* steady state: two refresh periods of simulated time in which both neighbours
  refresh every LSP once per R (uniformly spread) and the node runs its own
  refresh and expiry timers; reported as CPU seconds per simulated second
  (0.25 = a quarter of one core).
* memory: tracemalloc's count of bytes held after setup, per LSP (the node's
  state plus the decode memos it filled).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from ipaddress import IPv4Address, IPv4Network

from rsvp.engine import (
    InstallLabel, Interface, LabelInstalled, Node, NodeConfig, PacketReceived, Route, Send, StaticRoutes,
)
from rsvp.wire import Message, MsgType, encode
from rsvp.wire.model import set_memo_size
from rsvp.wire.objects import core, intserv, routes, te

UP, DOWN = IPv4Address("10.0.0.1"), IPv4Address("10.0.1.2")
HEAD, TAIL = IPv4Address("192.168.0.1"), IPv4Address("192.168.0.3")


def transit(refresh_s: float) -> Node:
    interfaces = (Interface("up", IPv4Address("10.0.0.2"), 2e12), Interface("down", IPv4Address("10.0.1.1"), 2e12))
    table = {IPv4Network(f"{TAIL}/32"): Route("down", DOWN), IPv4Network(f"{HEAD}/32"): Route("up", UP)}
    config = NodeConfig(IPv4Address("192.168.0.2"), interfaces, refresh_s=refresh_s)
    return Node(config, StaticRoutes(interfaces, table), random.Random(1))


def _session(i: int) -> te.SessionLspTunnelIPv4:
    return te.SessionLspTunnelIPv4(TAIL, i % 65536, IPv4Address(int(HEAD) + i // 65536))


def path_bytes(i: int, refresh_ms: int) -> bytes:
    rate = 125_000.0 * (1 + i % 10)
    return encode(Message(MsgType.PATH, (
        _session(i), core.RsvpHopIPv4(UP, 0), core.TimeValues(refresh_ms), te.LabelRequest(0x0800),
        te.SessionAttribute(7, 0, 0x06, f"lsp-{i}"), te.SenderTemplateLspTunnelIPv4(IPv4Address(int(HEAD) + i // 65536), 1),
        intserv.SenderTSpec.from_token_bucket(intserv.TokenBucket(rate, rate, rate, 0, 1500)),
        routes.RecordRoute((routes.RroIPv4(UP),)),
    )))


def resv_bytes(i: int, refresh_ms: int) -> bytes:
    rate = 125_000.0 * (1 + i % 10)
    return encode(Message(MsgType.RESV, (
        _session(i), core.RsvpHopIPv4(DOWN, 0), core.TimeValues(refresh_ms), core.Style(0, core.STYLE_SE),
        intserv.FlowSpec.controlled_load(intserv.TokenBucket(rate, rate, rate, 0, 1500)),
        te.FilterSpecLspTunnelIPv4(IPv4Address(int(HEAD) + i // 65536), 1), te.Label(100_000 + i % 900_000),
        routes.RecordRoute((routes.RroIPv4(DOWN), routes.RroLabel(100_000 + i % 900_000))),
    )))


def _consume(node: Node, actions: list, now: float) -> int:
    """Count what the node sends (it arrives encoded); answer installs at once.  Returns messages sent."""
    sent = 0
    pending = list(actions)
    while pending:
        action = pending.pop()
        if isinstance(action, Send):
            sent += len(action.data) > 0
        elif isinstance(action, InstallLabel):
            pending.extend(node.handle(LabelInstalled(action.handle), now))
    return sent


def _build(paths: list[bytes], resvs: list[bytes], refresh_s: float) -> tuple[Node, float]:
    """A transit node with every LSP set up; and the CPU seconds that took."""
    node = transit(refresh_s)
    start = time.process_time()
    for raw_path, raw_resv in zip(paths, resvs):
        _consume(node, node.handle(PacketReceived(raw_path, "up", UP), 0.0), 0.0)
        _consume(node, node.handle(PacketReceived(raw_resv, "down", DOWN), 0.0), 0.0)
    return node, time.process_time() - start


def run(count: int, refresh_s: float, memo: int, memory: bool = True) -> dict[str, float]:
    refresh_ms = int(refresh_s * 1000)
    paths = [path_bytes(i, refresh_ms) for i in range(count)]
    resvs = [resv_bytes(i, refresh_ms) for i in range(count)]
    held = float("nan")
    if memory:  # memory from a first build (tracemalloc slows it down several times, so it is not timed)
        set_memo_size(memo)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        node, _ = _build(paths, resvs, refresh_s)
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        del node
    set_memo_size(memo)  # a second build, timed, from cold memos
    gc.collect()
    node, setup_cpu = _build(paths, resvs, refresh_s)
    up = sum(1 for lsp in node.lsps.values() if lsp.installed)
    assert up == count, f"only {up} of {count} LSPs up"
    # steady state: arrivals spread uniformly over each period, node timers interleaved; each arrival
    # is a fresh bytes object, as from a socket (its hash is not cached yet)
    rng = random.Random(2)
    horizon = 2 * refresh_s
    arrivals = sorted((rng.uniform(0, refresh_s) + period * refresh_s, kind, i)
                      for period in range(2) for kind in (0, 1) for i in range(count))
    start = time.process_time()
    for when, kind, i in arrivals:
        while (deadline := node.next_deadline()) is not None and deadline <= when:
            _consume(node, node.on_timer(deadline), deadline)
        if kind == 0:
            _consume(node, node.handle(PacketReceived(bytes(memoryview(paths[i])), "up", UP), when), when)
        else:
            _consume(node, node.handle(PacketReceived(bytes(memoryview(resvs[i])), "down", DOWN), when), when)
    while (deadline := node.next_deadline()) is not None and deadline <= horizon:
        _consume(node, node.on_timer(deadline), deadline)
    steady_cpu = time.process_time() - start
    assert sum(1 for lsp in node.lsps.values() if lsp.installed) == count
    return {"setup_per_s": count / setup_cpu, "cpu_share": steady_cpu / horizon, "bytes_per_lsp": held / count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lsps", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--refresh", type=float, default=30.0, help="R in seconds (default 30)")
    parser.add_argument("--memo", type=int, default=1 << 20,
                        help="decode memo entries (rsvp.wire.model.set_memo_size; default 1048576)")
    parser.add_argument("--no-memory", action="store_true", help="skip the (slow) tracemalloc measurement")
    args = parser.parse_args(argv)
    print(f"{'LSPs':>8} {'setups/s':>10} {'CPU share at R':>15} {'bytes/LSP':>10}")
    for count in args.lsps:
        print(f"building {count} LSPs ...", file=sys.stderr)
        result = run(count, args.refresh, args.memo, not args.no_memory)
        print(f"{count:8d} {result['setup_per_s']:10.0f} {result['cpu_share']:15.3f} {result['bytes_per_lsp']:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
