"""Prometheus metrics (``[metrics] listen``), computed from the router's state at scrape time.

Nothing is counted twice: the engine's own counters (messages by type and
direction, drops by reason), the transport's, the admission results and the
routelet table are read when Prometheus scrapes, by a collector in the trio
thread (the endpoint is served by trio, so the engine is never read from
another thread).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import trio
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


class RouterCollector:
    """``state()`` returns {"snapshot": Node.snapshot(), "transport": Counter, "admission": Counter,
    "routelets": [rows], "latency": :class:`~rsvp.daemon.latency.Latencies`}."""

    def __init__(self, state: Callable[[], dict[str, Any]]) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state()
        snapshot = state["snapshot"]
        lsps = GaugeMetricFamily("rsvp_lsps", "LSPs by role and state", labels=["role", "state"])
        for (role, status), n in sorted(Counter((l["role"], l["state"]) for l in snapshot["lsps"]).items()):
            lsps.add_metric([role, status], n)
        yield lsps
        yield GaugeMetricFamily("rsvp_path_state_blocks", "path state blocks", value=snapshot["psb_count"])
        yield GaugeMetricFamily("rsvp_reservation_state_blocks", "reservation state blocks",
                                value=snapshot["rsb_count"])
        messages = CounterMetricFamily("rsvp_messages", "RSVP messages by type and direction",
                                       labels=["type", "direction"])
        drops = CounterMetricFamily("rsvp_drops", "messages or datagrams dropped, by reason", labels=["reason"])
        for name, n in snapshot["counters"].items():
            direction, _, kind = name.partition(" ")
            if direction in ("sent", "received") and kind.isupper():
                messages.add_metric([kind, direction], n)
            elif name.startswith("drop: "):
                drops.add_metric([name[6:]], n)
        for name, n in state["transport"].items():
            if name.startswith("drop: "):
                drops.add_metric([f"transport: {name[6:]}"], n)
        yield messages
        yield drops
        admission = CounterMetricFamily("rsvp_admission_results", "admission control answers", labels=["result"])
        for result, n in sorted(state["admission"].items()):
            admission.add_metric([result], n)
        yield admission
        routelets = GaugeMetricFamily("rsvp_routelets", "routelets (forwarding entries) in place",
                                      labels=["backend"])
        for backend, n in sorted(Counter(r["backend"] for r in state["routelets"]).items()):
            routelets.add_metric([backend], n)
        yield routelets
        latency = state["latency"]
        for name, doc, table in (
                ("rsvp_message_wait_seconds", "from the kernel's receipt of a datagram to the engine taking it",
                 latency.wait),
                ("rsvp_message_handling_seconds", "from the engine taking a datagram to its actions performed",
                 latency.handling)):
            family = HistogramMetricFamily(name, doc, labels=["type"])
            for kind, histogram in sorted(table.items()):
                family.add_metric([kind], histogram.cumulative(), histogram.total_s)
            yield family


def registry_for(state: Callable[[], dict[str, Any]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RouterCollector(state))
    return registry


async def serve(host: str, port: int, registry: CollectorRegistry,
                task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED) -> None:
    """A minimal HTTP/1.0 endpoint: ``GET /metrics`` (or ``/``) answers the exposition format."""

    async def answer(stream: trio.SocketStream) -> None:
        with trio.move_on_after(5):
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 8192:
                chunk = await stream.receive_some(4096)
                if not chunk:
                    return
                request += chunk
            parts = request.split(b" ", 2)
            found = len(parts) > 1 and parts[1].split(b"?")[0] in (b"/", b"/metrics")
            body = generate_latest(registry) if found else b"not found\n"
            head = b"HTTP/1.0 200 OK\r\n" if found else b"HTTP/1.0 404 Not Found\r\n"
            await stream.send_all(head + b"Content-Type: " + CONTENT_TYPE + b"\r\nContent-Length: "
                                  + str(len(body)).encode() + b"\r\n\r\n" + body)
        await stream.aclose()

    await trio.serve_tcp(answer, port, host=host, task_status=task_status)
