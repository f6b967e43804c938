"""The user-space baseline: one forwarder process for every labelled flow, no partition.

The same data plane as a routelet (:mod:`quasar_glue.forwarder`: its
AF_PACKET socket handling, and one :class:`~quasar_glue.forwarder.Pipeline`
per flow with the routelet's policer, label swap, queue and shaper), but all
flows share one process, one socket and whatever CPU the scheduler gives that
process: no cgroup, no CPU weight or cap.  A flow that sends many small
packets makes this process spend its time on them, and the frames of the
other flows wait behind them in the one socket buffer (or are dropped when
it is full).  This is what a router without QuaSAR's per-flow partition
does with the same per-flow forwarding code; the evaluation's ``userspace``
mode (docs/evaluation.md).

Run as ``python -m evaluation.shared_forwarder DEVICE`` in its namespace;
JSON lines on stdin, one reply line each:

* ``{"op": "load", "graphs": [{...}, ...]}``: one pipeline per graph, chosen
  by the frame's top label (a graph's ``in_label``) -> ``{"ok": true}``
* ``{"op": "stats"}`` -> counters per incoming label, and ``unmatched``
"""

from __future__ import annotations

import json
import sys
import time

from quasar_glue import forwarder, mpls
from quasar_glue.graph import ForwardingGraph


class SharedForwarder(forwarder.Forwarder):
    """One socket on ``device``, pipelines by incoming label."""

    def __init__(self, device: str) -> None:
        super().__init__(device)
        self.pipelines: dict[int, forwarder.Pipeline] = {}

    def control(self, line: str) -> dict:
        request = json.loads(line)
        if request.get("op") == "load":
            now = time.monotonic()
            graphs = [ForwardingGraph.from_json(json.dumps(g)) for g in request["graphs"]]
            self.pipelines = {g.in_label: forwarder.Pipeline(g, now) for g in graphs}
            return {"ok": True}
        if request.get("op") == "stats":
            return {"ok": True, "unmatched": self.idle_drops,
                    "flows": {str(label): p.counters for label, p in self.pipelines.items()}}
        return {"ok": False, "error": f"unknown op {request.get('op')!r}"}

    def _pipeline_for(self, frame: bytes) -> forwarder.Pipeline | None:
        if len(frame) >= mpls.ETH_HEADER + 4 and mpls.ethertype(frame) == mpls.ETH_P_MPLS_UC:
            return self.pipelines.get(mpls.LabelEntry.unpack(frame, mpls.ETH_HEADER).label)
        return None

    def _pipelines(self) -> tuple[forwarder.Pipeline, ...]:
        return tuple(self.pipelines.values())


def main(argv: list[str] | None = None) -> None:
    (device,) = sys.argv[1:] if argv is None else argv
    SharedForwarder(device).run(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
