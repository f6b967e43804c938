"""Engine wiring of issue 4 on a line of nodes: bundling, state limits, Srefresh, drop counters."""

from __future__ import annotations

from rsvp.engine import Tunnel, TunnelAdded
from rsvp.engine.bundle import BundleConfig
from rsvp.wire import MsgType

from .engine_harness import Line


def tunnel(line: Line, tail: int, tunnel_id: int = 1) -> Tunnel:
    return Tunnel(f"t{tunnel_id}", line.address(tail), 1e6, tunnel_id=tunnel_id)


def test_bundles_carry_messages_to_capable_neighbours_and_are_unbundled():
    line = Line(3, bundle=BundleConfig(delay_s=0.04))
    sent: list[int] = []
    perform = line._perform

    def record(index, actions):
        sent.extend(a.data[1] for a in actions if hasattr(a, "data"))
        perform(index, actions)

    line._perform = record
    for i in range(1, 4):
        line.handle(0, TunnelAdded(tunnel(line, 2, i)))
    line.run(5.0)
    assert MsgType.BUNDLE in sent  # the Resvs (no Router Alert) travel upstream together
    assert all(r["state"] == "up" for r in line.lsps(0))


def test_state_limit_per_neighbour_refuses_with_policy_error():
    line = Line(3, max_state_per_neighbor=1)
    line.handle(0, TunnelAdded(tunnel(line, 2, 1)))
    line.handle(0, TunnelAdded(tunnel(line, 2, 2)))
    line.run(0.5)
    states = {r["name"]: (r["state"], r["reason"]) for r in line.lsps(0)}
    assert states["t1"] == ("up", None)
    assert states["t2"][0] == "down" and states["t2"][1].startswith("PathErr 2/4"), states
    assert line.nodes[1].counters["state limit reached"] >= 1


def test_srefresh_replaces_per_lsp_refreshes_and_snapshot_shows_neighbours():
    line = Line(3)
    for i in range(1, 21):
        line.handle(0, TunnelAdded(tunnel(line, 2, i)))
    line.run(300.0)  # ten refresh periods
    transit = line.nodes[1]
    assert transit.counters["received PATH"] == 20 and transit.counters["sent PATH"] == 20
    assert transit.counters["received SREFRESH"] <= 2 * 2 * 300 / 15  # one per neighbour per R, not 20
    peer = transit.snapshot()["peers"]["10.0.0.1"]
    assert peer["hello"] == "up" and peer["refresh_reduction_capable"] and peer["awaiting_ack"] == 0
    assert peer["installed_in"] == 20 and peer["epoch"] == line.nodes[0].reliable.epoch
    assert all(r["state"] == "up" for r in line.lsps(0))
