"""The built-in routelet data plane: a :class:`~quasar_glue.graph.ForwardingGraph` over AF_PACKET.

Run as ``python -m quasar_glue.forwarder DEVICE`` inside the routelet (its
namespace and cgroup), or forked there by :mod:`quasar_glue.zygote`.  It starts idle (every frame dropped) and is driven by
JSON lines on stdin, one JSON reply line on stdout each:

* ``{"op": "load", "graph": {...}}``: forward by this graph (hot swap; the
  queue is kept, counters restart) -> ``{"ok": true}``
* ``{"op": "idle"}``: back to idle -> ``{"ok": true}``
* ``{"op": "stats"}`` -> the counters

End of stdin ends the process.  Policing and shaping are token buckets
(bytes, refilled at rate/8 per second); the queue is bounded in bytes.
"""

from __future__ import annotations

import collections
import json
import math
import select
import socket
import sys
import time

from quasar_glue import mpls
from quasar_glue.graph import ForwardingGraph

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # sll_pkttype of frames this host sent (linux/if_packet.h)
BATCH = 64
COUNTERS = ("rx", "matched", "other", "policed", "expired", "queue_drops", "tx", "tx_bytes", "tx_errors")


class TokenBucket:
    """``rate_bps`` bits/s, depth ``burst_bytes``; starts full."""

    def __init__(self, rate_bps: float, burst_bytes: int, now: float) -> None:
        self.rate = rate_bps / 8
        self.depth = burst_bytes
        self.tokens = float(burst_bytes)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.depth, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, size: int, now: float) -> bool:
        self._refill(now)
        if self.tokens < size:
            return False
        self.tokens -= size
        return True

    def delay(self, size: int, now: float) -> float:
        """Seconds until ``size`` tokens are there (a packet larger than the depth waits for a full bucket)."""
        self._refill(now)
        return max(0.0, (min(size, self.depth) - self.tokens) / self.rate)


class Pipeline:
    """classify -> police -> label operation -> rewrite -> queue -> shape, for one graph."""

    def __init__(self, graph: ForwardingGraph, now: float) -> None:
        self.graph = graph
        self.src = bytes.fromhex(graph.src_mac.replace(":", ""))
        self.dst = bytes.fromhex(graph.dst_mac.replace(":", ""))
        self.police = None if graph.police_rate_bps == math.inf else TokenBucket(
            graph.police_rate_bps, graph.police_burst_bytes, now)
        self.shaper = None if graph.shape_rate_bps == math.inf else TokenBucket(
            graph.shape_rate_bps, graph.shape_burst_bytes, now)
        self.queue: collections.deque[bytes] = collections.deque()
        self.queued_bytes = 0
        self.counters = dict.fromkeys(COUNTERS, 0)

    def _classify(self, frame: bytearray) -> bool:
        if self.graph.in_label is None:
            return mpls.ethertype(frame) == mpls.ETH_P_IP
        return (len(frame) >= mpls.ETH_HEADER + 4 and mpls.ethertype(frame) == mpls.ETH_P_MPLS_UC
                and mpls.LabelEntry.unpack(frame, mpls.ETH_HEADER).label == self.graph.in_label
                and frame[mpls.ETH_HEADER + 2] & 1 == 1)

    def _rewrite(self, frame: bytearray) -> bytearray | None:
        if self.graph.in_label is None:
            return mpls.push(frame, self.graph.out_label)
        if self.graph.out_label is None:
            return mpls.pop(frame)
        return frame if mpls.swap(frame, self.graph.out_label) else None

    def receive(self, frame: bytearray, now: float) -> None:
        counters = self.counters
        counters["rx"] += 1
        if not self._classify(frame):
            counters["other"] += 1
            return
        counters["matched"] += 1
        if self.police is not None and not self.police.take(len(frame), now):
            counters["policed"] += 1
            return
        rewritten = self._rewrite(frame)
        if rewritten is None:
            counters["expired"] += 1
            return
        mpls.rewrite_macs(rewritten, self.src, self.dst)
        if self.queued_bytes + len(rewritten) > self.graph.queue_bytes:
            counters["queue_drops"] += 1
            return
        self.queue.append(bytes(rewritten))
        self.queued_bytes += len(rewritten)

    def ready(self, now: float) -> list[bytes]:
        """Frames the shaper lets go now, taken off the queue."""
        sent = []
        while self.queue and (self.shaper is None or self.shaper.take(len(self.queue[0]), now)):
            frame = self.queue.popleft()
            self.queued_bytes -= len(frame)
            sent.append(frame)
        self.counters["tx"] += len(sent)
        self.counters["tx_bytes"] += sum(map(len, sent))
        return sent

    def next_send(self, now: float) -> float | None:
        """Seconds until the head of the queue may go (None: queue empty)."""
        if not self.queue:
            return None
        return 0.0 if self.shaper is None else self.shaper.delay(len(self.queue[0]), now)


class Forwarder:
    """The process: one AF_PACKET socket on ``device``, a pipeline (or None when idle), stdin control."""

    def __init__(self, device: str) -> None:
        # protocol 0 until bound: a socket already hooked to a protocol is unhooked by bind, which waits for
        # an RCU grace period (synchronize_net, 4-16 ms)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((device, ETH_P_ALL))
        self.sock.setblocking(False)
        self.pipeline: Pipeline | None = None
        self.idle_drops = 0

    def control(self, line: str) -> dict:
        request = json.loads(line)
        op = request.get("op")
        if op == "load":
            graph = ForwardingGraph.from_json(json.dumps(request["graph"]))
            old = self.pipeline
            self.pipeline = Pipeline(graph, time.monotonic())
            if old is not None:
                self.pipeline.queue, self.pipeline.queued_bytes = old.queue, old.queued_bytes
            return {"ok": True}
        if op == "idle":
            self.pipeline = None
            return {"ok": True}
        if op == "stats":
            counters = self.pipeline.counters if self.pipeline else dict.fromkeys(COUNTERS, 0)
            return {"ok": True, "idle_drops": self.idle_drops, **counters}
        return {"ok": False, "error": f"unknown op {op!r}"}

    def _drain_socket(self, now: float) -> None:
        for _ in range(BATCH):
            try:
                data, address = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # the device went down (routelet being torn down): nothing to read
                return
            if address[2] == PACKET_OUTGOING:
                continue
            pipeline = self._pipeline_for(data)
            if pipeline is None:
                self.idle_drops += 1
            else:
                pipeline.receive(bytearray(data), now)

    def _pipeline_for(self, frame: bytes) -> Pipeline | None:
        """The pipeline ``frame`` goes through (None: dropped as idle)."""
        return self.pipeline

    def _pipelines(self) -> tuple[Pipeline, ...]:
        return (self.pipeline,) if self.pipeline is not None else ()

    def run(self, control_in, control_out) -> None:
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        poller.register(control_in, select.POLLIN)
        while True:
            now = time.monotonic()
            waits = [w for p in self._pipelines() if (w := p.next_send(now)) is not None]
            events = poller.poll(math.ceil(min(waits) * 1000) if waits else None)
            now = time.monotonic()
            for fd, _ in events:
                if fd == control_in.fileno():
                    line = control_in.readline()
                    if not line:
                        return
                    control_out.write(json.dumps(self.control(line)) + "\n")
                    control_out.flush()
                else:
                    self._drain_socket(now)
            for pipeline in self._pipelines():
                for frame in pipeline.ready(now):
                    try:
                        self.sock.send(frame)
                    except OSError:
                        pipeline.counters["tx_errors"] += 1


def main(argv: list[str] | None = None) -> None:
    (device,) = sys.argv[1:] if argv is None else argv
    Forwarder(device).run(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
