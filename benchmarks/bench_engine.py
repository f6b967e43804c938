"""One transit node holding N LSPs: setup rate, steady-state refresh CPU, memory per LSP.

    python -m benchmarks.bench_engine [--lsps 10000 50000 100000] [--refresh 30] [--summary]

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
  state plus the decode memos it filled); with ``--deep``, sys.getsizeof summed over every object
  reachable from the node and the memos (the same quantity without tracing each allocation); with
  ``--rss``, the growth of the
  process's resident set (/proc/self/statm) over the build instead, which is
  cheap enough for a million LSPs.
* messages: what the node sends per refresh period in the steady state.

``--cold MS``: instead, the time of one transit Path and of one Resv (with its
install) for a new LSP, each handled after the process slept MS milliseconds,
as a daemon's hop is (its caches cooled by whatever ran meanwhile), against
the same back to back (median and p90 of 200 LSPs each; wall time).  With
``--spin``, the process busy-waits those MS milliseconds instead of sleeping:
whether a daemon that polled instead of sleeping would stay warm.

``--summary``: the neighbours speak refresh reduction (RFC 2961): every Path
and Resv carries a MESSAGE_ID, the node's own are acknowledged by Ack
messages, and the steady state is driven by Srefresh both ways (each
neighbour's Srefresh messages, built once, arrive spread over each period).
Without it the node runs standard refresh (refresh reduction off).  Hello,
receive budgets and pacing are off in both: the benchmark offers all setup
messages at one instant.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import struct
import sys
import time
import tracemalloc
import types
from ipaddress import IPv4Address, IPv4Network

from rsvp.engine import (
    InstallLabel,
    Interface,
    LabelInstalled,
    Node,
    NodeConfig,
    PacketReceived,
    Route,
    Send,
    StaticRoutes,
    lifetime_s,
)
from rsvp.engine.summary import SummaryOut
from rsvp.wire import Message, MsgType, encode
from rsvp.wire.model import MEMOS, set_memo_size
from rsvp.wire.objects import core, intserv, refresh, routes, te

UP, DOWN = IPv4Address("10.0.0.1"), IPv4Address("10.0.1.2")
HEAD, TAIL = IPv4Address("192.168.0.1"), IPv4Address("192.168.0.3")


EPOCH_UP, EPOCH_DOWN = 0x111111, 0x222222  # the neighbours' RFC 2961 epochs (--summary)
_OBJECT = struct.Struct(">HBB")


def transit(refresh_s: float, summary: bool = False) -> Node:
    interfaces = (Interface("up", IPv4Address("10.0.0.2"), 2e14), Interface("down", IPv4Address("10.0.1.1"), 2e14))
    table = {IPv4Network(f"{TAIL}/32"): Route("down", DOWN), IPv4Network(f"{HEAD}/32"): Route("up", UP)}
    config = NodeConfig(IPv4Address("192.168.0.2"), interfaces, refresh_s=refresh_s, refresh_reduction=summary,
                        hello=False, receive_per_interface=None, receive_per_neighbor=None, pacing=None)
    return Node(config, StaticRoutes(interfaces, table), random.Random(1))


def _message_id(i: int, epoch: int, summary: bool) -> tuple:
    return (refresh.MessageId(epoch, i + 1, flags=refresh.ACK_DESIRED),) if summary else ()


def _session(i: int) -> te.SessionLspTunnelIPv4:
    return te.SessionLspTunnelIPv4(TAIL, i % 65536, IPv4Address(int(HEAD) + i // 65536))


def path_bytes(i: int, refresh_ms: int, summary: bool = False) -> bytes:
    rate = 125_000.0 * (1 + i % 10)
    return encode(Message(MsgType.PATH, (
        *_message_id(i, EPOCH_UP, summary), _session(i), core.RsvpHopIPv4(UP, 0), core.TimeValues(refresh_ms), te.LabelRequest(0x0800),
        te.SessionAttribute(7, 0, 0x06, f"lsp-{i}"), te.SenderTemplateLspTunnelIPv4(IPv4Address(int(HEAD) + i // 65536), 1),
        intserv.SenderTSpec.from_token_bucket(intserv.TokenBucket(rate, rate, rate, 0, 1500)),
        routes.RecordRoute((routes.RroIPv4(UP),)),
    ), flags=int(summary)))


def resv_bytes(i: int, refresh_ms: int, summary: bool = False) -> bytes:
    rate = 125_000.0 * (1 + i % 10)
    return encode(Message(MsgType.RESV, (
        *_message_id(i, EPOCH_DOWN, summary), _session(i), core.RsvpHopIPv4(DOWN, 0), core.TimeValues(refresh_ms), core.Style(0, core.STYLE_SE),
        intserv.FlowSpec.controlled_load(intserv.TokenBucket(rate, rate, rate, 0, 1500)),
        te.FilterSpecLspTunnelIPv4(IPv4Address(int(HEAD) + i // 65536), 1), te.Label(100_000 + i % 900_000),
        routes.RecordRoute((routes.RroIPv4(DOWN), routes.RroLabel(100_000 + i % 900_000))),
    ), flags=int(summary)))


def srefresh_bytes(count: int) -> list[bytes]:
    """A neighbour's Srefresh messages listing ids 1..count (RFC 2961 section 5.2), packed to 1500 bytes."""
    out = SummaryOut(365)
    for i in range(count):
        out.add(i + 1, i)
    return [data for _, data in out.messages(0)]


class Acks:
    """The neighbours' side of reliable delivery: collects the MESSAGE_IDs the node sends, acks them."""

    def __init__(self) -> None:
        self.owed: dict[str, list] = {"up": [], "down": []}

    def saw(self, data: bytes, interface: str) -> None:
        offset, n = 8, len(data)
        while offset + 4 <= n:
            length, class_num, _ = _OBJECT.unpack_from(data, offset)
            if class_num == 23:  # MESSAGE_ID: Flags/Epoch, Message_Identifier
                word, message_id = struct.unpack_from(">II", data, offset + 4)
                self.owed[interface].append(refresh.MessageIdAck(word & 0xFFFFFF, message_id))
                return
            offset += length or n

    def flush(self, node: Node, now: float) -> list:
        actions = []
        for interface, source in (("up", UP), ("down", DOWN)):
            owed, self.owed[interface] = self.owed[interface], []
            for start in range(0, len(owed), 100):
                ack = encode(Message(MsgType.ACK, tuple(owed[start:start + 100]), flags=1))
                actions += node.handle(PacketReceived(ack, interface, source), now)
        return actions


def _consume(node: Node, actions: list, now: float, acks: Acks | None = None) -> int:
    """Count what the node sends (it arrives encoded); answer installs at once; note MESSAGE_IDs to ack.
    Returns messages sent."""
    sent = 0
    pending = list(actions)
    while pending:
        action = pending.pop()
        if isinstance(action, Send):
            sent += len(action.data) > 0
            if acks is not None and action.data[1] in (MsgType.PATH, MsgType.RESV):
                acks.saw(action.data, action.interface)
        elif isinstance(action, InstallLabel):
            pending.extend(node.handle(LabelInstalled(action.handle), now))
    return sent


def _build(paths: list[bytes], resvs: list[bytes], refresh_s: float, summary: bool) -> tuple[Node, float]:
    """A transit node with every LSP set up (and, with ``summary``, its messages acknowledged every
    thousand LSPs); and the CPU seconds that took."""
    node = transit(refresh_s, summary)
    acks = Acks() if summary else None
    start = time.process_time()
    for i, (raw_path, raw_resv) in enumerate(zip(paths, resvs)):
        _consume(node, node.handle(PacketReceived(raw_path, "up", UP), 0.0), 0.0, acks)
        _consume(node, node.handle(PacketReceived(raw_resv, "down", DOWN), 0.0), 0.0, acks)
        if acks is not None and i % 1000 == 999:
            _consume(node, acks.flush(node, 0.0), 0.0)
    if acks is not None:
        _consume(node, acks.flush(node, 0.0), 0.0)
        while (deadline := node.next_deadline()) is not None and deadline <= 4.0:  # retransmission and ack
            _consume(node, node.on_timer(deadline), deadline)  # timers of the setup lapse (4 s > Rf + 2Rf)
    return node, time.process_time() - start


def deep_bytes(*roots: object) -> int:
    """sys.getsizeof summed over every object reachable from ``roots``, each once (what the objects
    themselves hold, like tracemalloc, without tracing every allocation); types, modules and code are
    shared by the program, not state, and are not followed."""
    seen: set[int] = set()
    stack, total = list(roots), 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _NOT_STATE):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


_NOT_STATE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
              types.CodeType)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run(count: int, refresh_s: float, memo: int, memory: bool = True, summary: bool = False,
        rss: bool = False, deep: bool = False) -> dict[str, float]:
    refresh_ms = int(refresh_s * 1000)
    paths = [path_bytes(i, refresh_ms, summary) for i in range(count)]
    resvs = [resv_bytes(i, refresh_ms, summary) for i in range(count)]
    held = float("nan")
    if memory and not rss and not deep:  # memory from a first build (tracemalloc slows it down several times: not timed)
        set_memo_size(memo)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        node, _ = _build(paths, resvs, refresh_s, summary)
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        del node
    set_memo_size(memo)  # a second build, timed, from cold memos
    gc.collect()
    before = rss_bytes()
    empty = deep_bytes(transit(refresh_s, summary), MEMOS) if memory and deep else 0
    node, setup_cpu = _build(paths, resvs, refresh_s, summary)
    if memory and rss:
        gc.collect()
        held = rss_bytes() - before
    if memory and deep:
        held = deep_bytes(node, MEMOS) - empty
    up = sum(1 for lsp in node.lsps.values() if lsp.installed)
    assert up == count, f"only {up} of {count} LSPs up"
    # steady state: arrivals spread uniformly over each period, node timers interleaved; each arrival
    # is a fresh bytes object, as from a socket (its hash is not cached yet)
    rng = random.Random(2)
    # Srefresh-kept state is checked when its expiry comes due, about once per L: cover two of those
    periods = math.ceil(2 * lifetime_s(refresh_s, 3) / refresh_s) if summary else 2
    horizon = periods * refresh_s
    if summary:
        kinds = ((0, srefresh_bytes(count)), (1, srefresh_bytes(count)))
        sources = {0: (refresh_bytes_as(kinds[0][1], EPOCH_UP), "up", UP),
                   1: (refresh_bytes_as(kinds[1][1], EPOCH_DOWN), "down", DOWN)}
    else:
        sources = {0: (paths, "up", UP), 1: (resvs, "down", DOWN)}
    arrivals = sorted((rng.uniform(0, refresh_s) + period * refresh_s, kind, i)
                      for period in range(periods) for kind in (0, 1) for i in range(len(sources[kind][0])))
    sent = 0
    start = time.process_time()
    for when, kind, i in arrivals:
        while (deadline := node.next_deadline()) is not None and deadline <= when:
            sent += _consume(node, node.on_timer(deadline), deadline)
        datagrams, interface, source = sources[kind]
        sent += _consume(node, node.handle(PacketReceived(bytes(memoryview(datagrams[i])), interface, source),
                                           when), when)
    while (deadline := node.next_deadline()) is not None and deadline <= horizon:
        sent += _consume(node, node.on_timer(deadline), deadline)
    steady_cpu = time.process_time() - start
    assert sum(1 for lsp in node.lsps.values() if lsp.installed) == count
    return {"setup_per_s": count / setup_cpu, "cpu_share": steady_cpu / horizon, "bytes_per_lsp": held / count,
            "sent_per_period": sent / periods}


def idle(gap_s: float, spin: bool) -> None:
    """Be idle ``gap_s``: asleep, or spinning on the clock (the vCPU kept busy, nothing else touched)."""
    if not spin:
        time.sleep(gap_s)
        return
    end = time.perf_counter() + gap_s
    while time.perf_counter() < end:
        pass


def cold(gap_s: float, spin: bool = False, count: int = 200, refresh_s: float = 30.0) -> dict[str, tuple[float, float]]:
    """Wall time of a transit Path and of a Resv with its install, after ``gap_s`` idle and back to back."""
    refresh_ms = int(refresh_s * 1000)
    paths = [path_bytes(i, refresh_ms) for i in range(3 * count)]
    resvs = [resv_bytes(i, refresh_ms) for i in range(3 * count)]
    node, _ = _build(paths[:count], resvs[:count], refresh_s, False)  # warmed up: code and memos
    out = {}
    for label, gap, first in (("back to back", 0.0, count), ("cold", gap_s, 2 * count)):
        path_s, resv_s = [], []
        for i in range(first, first + count):
            idle(gap, spin)
            start = time.perf_counter()
            _consume(node, node.handle(PacketReceived(paths[i], "up", UP), 0.0), 0.0)
            path_s.append(time.perf_counter() - start)
            idle(gap, spin)
            start = time.perf_counter()
            _consume(node, node.handle(PacketReceived(resvs[i], "down", DOWN), 0.0), 0.0)
            resv_s.append(time.perf_counter() - start)
        for kind, samples in (("Path", path_s), ("Resv", resv_s)):
            samples.sort()
            out[f"{kind} {label}"] = (samples[len(samples) // 2], samples[int(0.9 * len(samples))])
    return out


def refresh_bytes_as(srefreshes: list[bytes], epoch: int) -> list[bytes]:
    """The Srefresh messages as ``epoch``'s sender would send them (the epoch is in each list's header)."""
    return [data[:2] + b"\x00\x00" + data[4:12] + bytes([data[12]]) + epoch.to_bytes(3, "big") + data[16:]
            for data in srefreshes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lsps", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--refresh", type=float, default=30.0, help="R in seconds (default 30)")
    parser.add_argument("--memo", type=int, default=1 << 20,
                        help="decode memo entries (rsvp.wire.model.set_memo_size; default 1048576)")
    parser.add_argument("--no-memory", action="store_true", help="skip the (slow) tracemalloc measurement")
    parser.add_argument("--rss", action="store_true", help="memory as resident-set growth (cheap; for 1M LSPs)")
    parser.add_argument("--deep", action="store_true",
                        help="memory as the deep size of the node and the decode memos (for 1M LSPs)")
    parser.add_argument("--summary", action="store_true", help="neighbours speak refresh reduction (Srefresh)")
    parser.add_argument("--cold", type=float, metavar="MS",
                        help="time one transit Path and Resv after MS ms idle and back to back (nothing else)")
    parser.add_argument("--spin", action="store_true", help="with --cold: idle by busy-waiting, not sleeping")
    args = parser.parse_args(argv)
    if args.spin and args.cold is None:
        parser.error("--spin goes with --cold")
    if args.cold is not None:
        for name, (median, p90) in cold(args.cold / 1000, args.spin).items():
            print(f"{name:20} median {median * 1e6:6.1f} us   p90 {p90 * 1e6:6.1f} us")
        return 0
    print(f"{'LSPs':>8} {'setups/s':>10} {'CPU share at R':>15} {'bytes/LSP':>10} {'sent/R':>8}")
    for count in args.lsps:
        print(f"building {count} LSPs ...", file=sys.stderr)
        result = run(count, args.refresh, args.memo, not args.no_memory, args.summary, args.rss, args.deep)
        print(f"{count:8d} {result['setup_per_s']:10.0f} {result['cpu_share']:15.3f} {result['bytes_per_lsp']:10.0f}"
              f" {result['sent_per_period']:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
