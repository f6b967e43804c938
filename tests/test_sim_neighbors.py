"""Simulator scenarios for issue 4: reliable delivery under loss, Hello, restart and NACK recovery,
integrity against a forger and a replayer, and a flooding neighbour."""

from __future__ import annotations

import dataclasses
import random
from ipaddress import IPv4Address
from typing import Any

from rsvp.engine import Node, lifetime_s
from rsvp.engine.budget import Rate
from rsvp.sim import Simulation
from rsvp.sim.scenario import from_dict
from rsvp.wire import Message, MsgType, encode
from rsvp.wire.objects import core, intserv, te

from .test_sim import e2e, line, summary


def _up(sim: Simulation, head: str) -> int:
    return sum(1 for lsp in sim.nodes[head].engine.lsps.values() if lsp.role == "ingress" and lsp.up)


def _time_to_set_up(refresh_reduction: bool) -> float:
    lsps = [{"name": f"t{i}", "head": "N0", "tail": "N2", "bandwidth_bps": 1e3} for i in range(1000)]
    data = dict(line(3, lsps=lsps, duration_s=900, refresh_s=30.0, loss=0.3), hello=False,
                refresh_reduction=refresh_reduction)
    sim = Simulation(from_dict(data))
    while _up(sim, "N0") < 1000 and sim.now < 900:
        sim.run(sim.now + 1.0)
    return sim.now


def test_reliable_delivery_sets_up_1000_lsps_over_lossy_links_faster_than_standard_refresh():
    reliable, standard = _time_to_set_up(True), _time_to_set_up(False)
    assert reliable < standard, (reliable, standard)


def test_dead_neighbour_fails_its_lsps_within_hello_interval_times_misses():
    data = dict(e2e(3, duration_s=120, refresh_s=30.0, events=[{"at_s": 20, "action": "kill", "target": "N1"}]),
                hello_interval_s=2.0, hello_misses=3.0)
    sim = Simulation(from_dict(data))
    sim.run(20.0 + 2.0 * 3.0 + 0.1)  # L would be 157.5 s
    head = sim.nodes["N0"].engine.snapshot()["lsps"][0]
    assert head["state"] == "down" and "neighbour 10.0.1.2" in head["reason"], head
    assert sim.nodes["N2"].engine.lsps == {}  # the egress lost its upstream neighbour: path state gone too


def test_restarted_neighbour_is_seen_by_epoch_and_instance_and_state_recovers():
    data = e2e(3, duration_s=60, refresh_s=30.0, events=[{"at_s": 20, "action": "restart", "target": "N1"}])
    sim = Simulation(from_dict(data))
    sim.run(19.0)
    epoch = sim.nodes["N1"].engine.reliable.epoch
    sim.run(30.0)
    assert sim.nodes["N1"].engine.reliable.epoch != epoch
    assert sim.nodes["N0"].engine.counters["neighbour restarted"] == 1
    assert sim.nodes["N0"].engine.snapshot()["peers"]["10.0.1.2"]["epoch"] == sim.nodes["N1"].engine.reliable.epoch
    result = summary(sim)["lsps"]["t"]
    assert result["state"] == "up" and result["labels_consistent"], result


def test_receiver_that_lost_state_nacks_the_srefresh_and_gets_a_full_refresh():
    data = dict(e2e(3, duration_s=60, refresh_s=5.0, events=[{"at_s": 20, "action": "restart", "target": "N1"}]),
                hello=False)  # no Hello: only the Srefresh, its NACK and the full refresh can repair
    sim = Simulation(from_dict(data))
    sim.run(20.0 + 2 * 1.5 * 5.0)  # two Srefresh periods, well short of L = 26.25 s
    assert sim.nodes["N0"].engine.counters["NACK answered with a full refresh"] >= 1
    assert sim.nodes["N1"].engine.reliable.counters["NACK sent"] >= 1
    result = summary(sim)["lsps"]["t"]
    assert result["state"] == "up" and result["labels_consistent"], result


def _forged() -> dict[str, Any]:
    data = e2e(3, duration_s=60, refresh_s=5.0)
    data["node"].append({"name": "F", "router_id": "192.0.2.9", "integrity_key": "guess"})
    data["link"].append({"a": "F", "b": "N1", "delay_ms": 1, "bandwidth_bps": 1e9})
    data["lsp"].append({"name": "forged", "head": "F", "tail": "N2", "bandwidth_bps": 1e6})
    return dict(data, integrity_key="the secret")


def test_forger_and_replayer_are_rejected_and_counted_and_change_nothing():
    sim = Simulation(from_dict(_forged()))
    captured: list[tuple] = []
    deliver = sim._on_deliver

    def tap(payload: tuple) -> None:  # a wiretap on N0 -> N1: keeps the signed datagrams it saw
        if payload[2:4] == ("N1", "to-N0") and payload[5][1] == MsgType.PATH:
            captured.append(payload)
        deliver(payload)

    sim._on_deliver = tap  # type: ignore[method-assign]
    sim.run(30.0)
    before = sim.nodes["N1"].engine.snapshot()["lsps"]
    replays = list(captured)
    for payload in replays:  # replayed: every one already seen
        sim.agenda.push(sim.now + 0.001, "deliver", payload)
    sim.run(31.0)
    transit = sim.nodes["N1"].engine
    assert transit.counters["drop: integrity bad_digest"] >= 5  # the forger's Paths and Hellos
    drops = {k: v for k, v in transit.counters.items() if k.startswith("drop")}
    assert transit.counters["drop: integrity replay"] + transit.counters["drop: integrity too_old"] == len(replays) > 0, drops
    assert transit.snapshot()["lsps"] == before and len(before) == 1  # only t: nothing of F's, nothing changed
    result = summary(sim)["lsps"]
    assert result["t"]["state"] == "up" and result["t"]["labels_consistent"]
    assert result["forged"]["state"] == "down"


def _flood(count: int, source: IPv4Address) -> list[bytes]:
    """Paths of ``count`` new LSPs from ``source``, as a misbehaving neighbour would send them."""
    bucket = intserv.TokenBucket(1e3, 1e3, 1e3, 0, 1500)
    return [encode(Message(MsgType.PATH, (
        te.SessionLspTunnelIPv4(IPv4Address("192.0.2.3"), i, source), core.RsvpHopIPv4(source, 0),
        core.TimeValues(5000), te.LabelRequest(0x0800), te.SenderTemplateLspTunnelIPv4(source, 1),
        intserv.SenderTSpec.from_token_bucket(bucket),
    ))) for i in range(count)]


def test_flooding_neighbour_is_shed_and_the_others_keep_their_lsps():
    data = e2e(3, duration_s=60, refresh_s=5.0)
    data["node"].append({"name": "F", "router_id": "192.0.2.9"})
    data["link"].append({"a": "F", "b": "N1", "delay_ms": 1, "bandwidth_bps": 1e9})

    def factory(config, routes, rng: random.Random) -> Node:  # small budgets, to flood them cheaply
        return Node(dataclasses.replace(config, receive_per_neighbor=Rate(50.0, 100.0),
                                        receive_per_interface=Rate(100.0, 200.0)), routes, rng)

    sim = Simulation(from_dict(data), node_factory=factory)
    sim.run(10.0)
    port = next(p for p in sim.topology.ports["F"] if p.peer == "N1")
    link = sim.links[port.link]
    for i, datagram in enumerate(_flood(20_000, port.address)):  # 20,000 in 2 s: 200 times the budget
        sim.agenda.push(10.0 + i / 10_000, "deliver",
                        (port.link, link.generation, "N1", port.peer_interface, port.address, datagram))
    sim.run(60.0)
    transit = sim.nodes["N1"].engine
    shed = sum(v for k, v in transit.counters.items() if k.startswith("drop: receive budget exceeded"))
    assert shed >= 19_000
    assert len(transit.lsps) <= 1 + 100 + 2 * 50  # t, and what F's budget let through
    result = summary(sim)["lsps"]["t"]
    assert result["state"] == "up" and result["labels_consistent"], result
    assert sim.nodes["N0"].engine.counters["ingress LSP down"] == 0


def test_state_survives_on_srefresh_alone_with_r_of_twenty_minutes():
    data = e2e(3, duration_s=3 * lifetime_s(1200.0, 3), refresh_s=1200.0)  # three lifetimes
    sim = Simulation(from_dict(data))
    sim.run()
    transit = sim.nodes["N1"].engine
    assert transit.counters["received PATH"] == 1 and transit.counters["received SREFRESH"] >= 6
    result = summary(sim)["lsps"]["t"]
    assert result["state"] == "up" and result["labels_consistent"], result
