"""The discrete-event simulator: scenario files, topology, link behaviour, node lifecycle, and
end-to-end runs of the real engine (rsvp.engine.Node) over encoded bytes.

Simulator mechanics are checked with :class:`Probe`, a stand-in engine that sends numbered
messages on a plan and records what it is told; protocol behaviour with the real Node.
"""

from __future__ import annotations

import dataclasses
import json
from ipaddress import IPv4Address
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvp.engine import (
    InstallLabel,
    LabelInstalled,
    LabelInstallFailed,
    LinkDown,
    LinkUp,
    PacketReceived,
    RemoveLabel,
    Send,
    TunnelAdded,
    TunnelRemoved,
    lifetime_s,
)
from rsvp.sim import (
    ScenarioError,
    SimOptions,
    Simulation,
    SimulationError,
    bundled_scenarios,
    loads,
    summary,
    tables,
)
from rsvp.sim.__main__ import main
from rsvp.sim.scenario import from_dict
from rsvp.sim.topology import link_addresses
from rsvp.wire import Message, MsgType, decode, encode
from rsvp.wire.objects import core

# --- scenario builders ----------------------------------------------------------------------


def line(n: int = 4, *, lsps: list[dict[str, Any]] | None = None, events: list[dict[str, Any]] | None = None,
         duration_s: float = 60.0, refresh_s: float = 5.0, seed: int = 1, **link: Any) -> dict[str, Any]:
    """N0 - N1 - ... as a scenario dict; ``link`` keys apply to every link."""
    names = [f"N{i}" for i in range(n)]
    return {
        "duration_s": duration_s, "seed": seed, "refresh_s": refresh_s, "keep_multiplier": 3,
        "node": [{"name": name, "router_id": f"192.0.2.{i + 1}"} for i, name in enumerate(names)],
        "link": [{"a": a, "b": b, "delay_ms": 2, "bandwidth_bps": 1e9, **link} for a, b in pairwise(names)],
        "lsp": lsps or [],
        "event": events or [],
    }


def e2e(n: int = 4, **kw: Any) -> dict[str, Any]:
    """A line with one strict LSP ``t`` from the first node to the last."""
    ero = [f"N{i}" for i in range(1, n)]
    return line(n, lsps=[{"name": "t", "head": "N0", "tail": f"N{n - 1}", "bandwidth_bps": 1e6, "ero": ero}], **kw)


def rid(i: int) -> IPv4Address:
    return IPv4Address(f"192.0.2.{i + 1}")


# --- the stand-in engine --------------------------------------------------------------------


class Probe:
    """A stand-in engine: sends planned numbered messages, records every event it is handed.

    ``plan`` holds (time, interface, seq); each becomes a PATH whose RSVP_HOP logical
    interface handle is ``seq``.  A TunnelAdded asks for a label (handle = tunnel id).
    """

    def __init__(self, config, routes, rng, plan=()) -> None:
        self.config, self.routes, self.rng = config, routes, rng
        self.plan = sorted(plan)
        self.events: list[tuple[float, Any]] = []
        self.timer_calls: list[float] = []
        self.extra_actions: list[Any] = []

    def handle(self, event, now):
        self.events.append((now, event))
        if isinstance(event, TunnelAdded):
            return [InstallLabel(event.tunnel.tunnel_id, 100, 200, None, None, 0.0)]
        out, self.extra_actions = self.extra_actions, []
        return out

    def next_deadline(self):
        return self.plan[0][0] if self.plan else None

    def on_timer(self, now):
        self.timer_calls.append(now)
        out = []
        while self.plan and self.plan[0][0] <= now:
            _, interface, seq = self.plan.pop(0)
            address = self.config.interface(interface).address
            message = Message(MsgType.PATH, (core.SessionIPv4(IPv4Address("198.51.100.1"), 17),
                                             core.RsvpHopIPv4(address, seq), core.TimeValues(30000)))
            out.append(Send(encode(message), interface, IPv4Address("198.51.100.1"), router_alert=True))
        return out

    def snapshot(self):
        return {"router_id": str(self.config.router_id), "lsps": [], "psb_count": 0, "rsb_count": 0,
                "counters": {}}

    def received(self) -> list[tuple[float, PacketReceived]]:
        return [(t, e) for t, e in self.events if isinstance(e, PacketReceived)]

    def seqs(self) -> list[int]:
        return [decode(e.data).objects[1].logical_interface_handle for _, e in self.received()]


class Probes:
    """A node factory for Probe: ``plans`` by router id; every instance made is kept (restarts make new ones)."""

    def __init__(self, plans: dict[IPv4Address, list[tuple[float, str, int]]] | None = None) -> None:
        self.plans = plans or {}
        self.made: dict[IPv4Address, list[Probe]] = {}

    def __call__(self, config, routes, rng):
        probe = Probe(config, routes, rng, self.plans.get(config.router_id, ()))
        self.made.setdefault(config.router_id, []).append(probe)
        return probe

    def of(self, i: int) -> Probe:
        return self.made[rid(i)][-1]


def stream(interface: str, count: int, start: float = 1.0, gap: float = 0.01) -> list[tuple[float, str, int]]:
    return [(start + k * gap, interface, k) for k in range(count)]


# --- scenario loading -----------------------------------------------------------------------

GOOD = """
duration_s = 10
[[node]]
name = "A"
router_id = "192.0.2.1"
[[node]]
name = "B"
router_id = "192.0.2.2"
[[link]]
a = "A"
b = "B"
delay_ms = 1
bandwidth_bps = 1e9
loss = 0.1
[[lsp]]
name = "x"
head = "A"
tail = "B"
bandwidth_bps = 1e6
ero = ["B"]
[[event]]
at_s = 5
action = "link-down"
target = "B-A"
"""


def test_good_scenario_loads_with_defaults() -> None:
    scenario = loads(GOOD)
    assert scenario.seed == 1 and scenario.refresh_s == 30.0 and scenario.keep_multiplier == 3
    assert scenario.links[0].loss == 0.1 and scenario.links[0].duplicate == 0.0
    assert scenario.lsps[0].setup_priority == 7 and scenario.lsps[0].hold_priority == 0
    assert scenario.links_named("B-A") == (0,)


@pytest.mark.parametrize(("edit", "key", "words"), [
    (lambda t: t.replace("duration_s = 10", "duration_s = 10\nspeed = 3"), "speed", "unknown key"),
    (lambda t: t.replace("loss = 0.1", "loss = 0.1\nlatency = 4"), "link[0].latency", "unknown key"),
    (lambda t: t.replace('b = "B"', 'b = "Q"'), "link[0].b", "unknown node 'Q'"),
    (lambda t: t.replace('router_id = "192.0.2.2"\n', ""), "node[1].router_id", "missing"),
    (lambda t: t.replace("duration_s = 10", ""), "duration_s", "missing"),
    (lambda t: t.replace("delay_ms = 1\n", ""), "link[0].delay_ms", "missing"),
    (lambda t: t.replace("loss = 0.1", "loss = 1.5"), "link[0].loss", "probability"),
    (lambda t: t.replace("loss = 0.1", 'loss = "high"'), "link[0].loss", "number"),
    (lambda t: t.replace('router_id = "192.0.2.2"', 'router_id = "192.0.2.300"'), "node[1].router_id", "IPv4"),
    (lambda t: t.replace('router_id = "192.0.2.2"', 'router_id = "192.0.2.1"'), "node[1].router_id", "repeats"),
    (lambda t: t.replace('router_id = "192.0.2.2"', 'router_id = "10.0.1.1"'), "node[1].router_id", "link[0]"),
    (lambda t: t.replace('name = "B"', 'name = "A"'), "node[1].name", "repeats"),
    (lambda t: t.replace('tail = "B"', 'tail = "A"'), "lsp[0].tail", "the head"),
    (lambda t: t.replace('ero = ["B"]', 'ero = ["B", "Z"]'), "lsp[0].ero[1]", "'Z'"),
    (lambda t: t.replace('ero = ["B"]', 'ero = "B"'), "lsp[0].ero", "list"),
    (lambda t: t.replace("bandwidth_bps = 1e6\n", ""), "lsp[0].bandwidth_bps", "missing"),
    (lambda t: t.replace('action = "link-down"', 'action = "explode"'), "event[0].action", "unknown action"),
    (lambda t: t.replace('target = "B-A"', 'target = "A-C"'), "event[0].target", "no link"),
    (lambda t: t.replace('action = "link-down"\ntarget = "B-A"', 'action = "kill"\ntarget = "C"'),
     "event[0].target", "unknown node"),
    (lambda t: t.replace('action = "link-down"\ntarget = "B-A"', 'action = "add-lsp"\ntarget = "y"'),
     "event[0].target", "unknown lsp"),
    (lambda t: t.replace("at_s = 5", "at_s = 11"), "event[0].at_s", "after the end"),
    (lambda t: t.replace("at_s = 5\n", ""), "event[0].at_s", "missing"),
    (lambda t: t.split("[[event]]")[0].replace("duration_s = 10", "duration_s = 10\nevent = 3"), "event",
     "array of tables"),
    (lambda t: t.replace("duration_s = 10", "duration_s = 10\nseed = 1.5"), "seed", "integer"),
    (lambda t: t.replace("ero = [", "setup_priority = 8\nero = ["), "lsp[0].setup_priority", "[0, 7]"),
    (lambda t: t + "\n[[node]\n", None, "not valid TOML"),
])
def test_scenario_errors_name_the_key(edit, key, words) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(edit(GOOD))
    if key is not None:
        assert info.value.key == key, str(info.value)
        assert str(info.value).startswith(key)
    if words is not None:
        assert words in str(info.value)


def test_strict_ero_hop_without_a_link_is_an_error() -> None:
    scenario = from_dict(line(3, lsps=[{"name": "x", "head": "N0", "tail": "N2", "bandwidth_bps": 1, "ero": ["N2"]}]))
    with pytest.raises(ScenarioError, match="strict hop 'N2' has no link from 'N0'"):
        Simulation(scenario, Probes())


def test_cli_exit_code_2_on_a_bad_file(tmp_path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("loss = 0.1", "loss = 0.1\njitter = 1"))
    assert main([str(path)]) == 2
    assert "link[0].jitter: unknown key" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.toml")]) == 2


# --- topology ---------------------------------------------------------------------------------


def test_addresses_interface_names_and_tunnel_ids() -> None:
    data = line(3, lsps=[
        {"name": "one", "head": "N0", "tail": "N2", "bandwidth_bps": 1, "ero": ["N1", "N2"]},
        {"name": "other-head", "head": "N2", "tail": "N0", "bandwidth_bps": 1, "ero": ["loose:N0"]},
        {"name": "two", "head": "N0", "tail": "N2", "bandwidth_bps": 1, "ero": ["10.0.1.2", "loose:192.0.2.3"]},
    ])
    data["link"].append({"a": "N1", "b": "N2", "delay_ms": 1, "bandwidth_bps": 5e8})  # a parallel link
    sim = Simulation(from_dict(data), Probes())
    assert link_addresses(0) == (IPv4Address("10.0.1.1"), IPv4Address("10.0.1.2"))
    assert link_addresses(299) == (IPv4Address("10.1.44.1"), IPv4Address("10.1.44.2"))
    n1 = sim.nodes["N1"].config
    assert [(i.name, str(i.address), i.bandwidth_bps) for i in n1.interfaces] == [
        ("to-N0", "10.0.1.2", 1e9), ("to-N2", "10.0.2.1", 1e9), ("to-N2.2", "10.0.3.1", 5e8)]
    tunnels = {l.name: sim.topology.tunnel(l) for l in sim.scenario.lsps}
    assert [tunnels[n].tunnel_id for n in ("one", "other-head", "two")] == [1, 1, 2]
    assert [(str(h.address), h.loose) for h in tunnels["one"].ero] == [("10.0.1.2", False), ("10.0.2.2", False)]
    assert [(str(h.address), h.loose) for h in tunnels["other-head"].ero] == [("192.0.2.1", True)]
    assert [(str(h.address), h.loose) for h in tunnels["two"].ero] == [("10.0.1.2", False), ("192.0.2.3", True)]
    assert tunnels["one"].destination == rid(2)


def test_routes_reach_router_ids_and_follow_link_state() -> None:
    data = line(4)
    data["link"].append({"a": "N0", "b": "N3", "delay_ms": 1, "bandwidth_bps": 1e9})  # a ring
    probes = Probes()
    sim = Simulation(from_dict(data), probes)
    routes = probes.of(0).routes
    assert routes.route(rid(1)).interface == "to-N1" and routes.route(rid(1)).next_hop == IPv4Address("10.0.1.2")
    assert routes.route(rid(3)).interface == "to-N3"
    assert routes.route(IPv4Address("10.0.3.2")).interface == "to-N3"  # N3's address on N2-N3
    # a tie (two hops either way to N2): the lower link index wins, deterministically
    assert routes.route(rid(2)).interface == "to-N1"
    assert routes.adjacent(IPv4Address("10.0.1.2")).interface == "to-N1"
    sim.inject(1.0, "link-down", "N0-N1")
    sim.run(2.0)
    assert routes.route(rid(1)).interface == "to-N3"
    assert routes.route(rid(2)).interface == "to-N3"
    assert routes.adjacent(IPv4Address("10.0.1.2")) is None
    assert [e for _, e in probes.of(0).events if isinstance(e, (LinkDown, LinkUp))] == [LinkDown("to-N1")]
    assert [e for _, e in probes.of(1).events if isinstance(e, (LinkDown, LinkUp))] == [LinkDown("to-N0")]
    sim.inject(3.0, "link-up", "N1-N0")
    sim.run(4.0)
    assert routes.route(rid(1)).interface == "to-N1"
    assert [e for _, e in probes.of(1).events if isinstance(e, (LinkDown, LinkUp))] == [
        LinkDown("to-N0"), LinkUp("to-N0")]
    sim.inject(5.0, "link-down", "N0-N3")
    sim.inject(5.0, "link-down", "N1-N2")
    sim.run(6.0)
    assert routes.route(rid(2)) is None and routes.route(rid(3)) is None


# --- links ------------------------------------------------------------------------------------


def test_delay_interface_source_and_ttl() -> None:
    probes = Probes({rid(0): [(1.0, "to-N1", 7)]})
    sim = Simulation(from_dict(line(2, delay_ms=5)), probes)
    sim.run()
    [(at, event)] = probes.of(1).received()
    assert at == pytest.approx(1.005)
    assert event.interface == "to-N0" and event.source == IPv4Address("10.0.1.1") and event.ip_ttl == 255
    assert decode(event.data).objects[1].logical_interface_handle == 7
    assert sim.nodes["N0"].sent == {"PATH": 1} and sim.nodes["N1"].received == {"PATH": 1}


def test_a_clean_link_is_fifo_and_loses_nothing() -> None:
    probes = Probes({rid(0): stream("to-N1", 500, gap=0.001)})
    sim = Simulation(from_dict(line(2, delay_ms=3)), probes)
    sim.run()
    assert probes.of(1).seqs() == list(range(500))


def test_loss_drops_about_the_configured_fraction() -> None:
    probes = Probes({rid(0): stream("to-N1", 4000, gap=0.001)})
    sim = Simulation(from_dict(line(2, loss=0.25)), probes)
    sim.run()
    got = probes.of(1).seqs()
    assert got == sorted(got)  # lost, not reordered
    assert 0.22 < 1 - len(got) / 4000 < 0.28
    assert sim.links[0].counters["lost"] == 4000 - len(got)


def test_duplicate_and_reorder() -> None:
    probes = Probes({rid(0): stream("to-N1", 2000, gap=0.001)})
    sim = Simulation(from_dict(line(2, duplicate=0.1, reorder=0.2, reorder_ms=20)), probes)
    sim.run()
    got = probes.of(1).seqs()
    assert sorted(set(got)) == list(range(2000))
    assert 100 < len(got) - 2000 < 300
    assert got != sorted(got)
    assert sim.links[0].counters["duplicated"] == len(got) - 2000


def test_corrupted_bytes_are_counted_decode_failures() -> None:
    probes = Probes({rid(0): stream("to-N1", 300)})
    sim = Simulation(from_dict(line(2, corrupt=1.0)), probes)
    sim.run()
    failures = sim.nodes["N1"].counters["decode_failures"]
    assert failures > 250  # a flipped byte nearly always breaks the checksum
    assert len(probes.of(1).received()) == 300 - failures


def test_a_down_link_carries_nothing_and_loses_what_is_in_flight() -> None:
    plan = [(1.0, "to-N1", 1), (5.0, "to-N1", 2), (9.95, "to-N1", 3), (12.0, "to-N1", 4)]
    events = [{"at_s": 3, "action": "link-down", "target": "N0-N1"},
              {"at_s": 10, "action": "link-up", "target": "N0-N1"},
              {"at_s": 11, "action": "link-down", "target": "N0-N1"},
              {"at_s": 11.5, "action": "link-up", "target": "N0-N1"}]
    probes = Probes({rid(0): plan})
    sim = Simulation(from_dict(line(2, delay_ms=100, events=events)), probes)
    sim.run()
    # 2 is sent while down; 3 is in flight at link-up (sent while down: dropped at send); 4 arrives
    assert probes.of(1).seqs() == [1, 4]
    assert sim.links[0].counters["dropped_link_down"] == 2
    # in flight across a down/up flap: lost, though the link is up again when it would arrive
    flap = [{"at_s": 11, "action": "link-down", "target": "N0-N1"},
            {"at_s": 11.02, "action": "link-up", "target": "N0-N1"}]
    probes = Probes({rid(0): [(10.95, "to-N1", 9)]})
    sim = Simulation(from_dict(line(2, delay_ms=100, events=flap)), probes)
    sim.run()
    assert probes.of(1).seqs() == []


def test_a_send_is_put_on_the_named_interface_whatever_its_destination() -> None:
    probes = Probes({rid(1): [(1.0, "to-N2", 1)]})
    sim = Simulation(from_dict(line(3)), probes)
    sim.run()
    assert probes.of(2).seqs() == [1] and probes.of(0).seqs() == []
    assert sim.nodes["N1"].counters["send_to_non_adjacent_destination"] == 1


# --- timers, labels, lifecycle -------------------------------------------------------------


def test_timers_fire_once_at_the_deadline() -> None:
    probes = Probes({rid(0): [(0.5, "to-N1", 1), (0.5, "to-N1", 2), (2.25, "to-N1", 3)]})
    sim = Simulation(from_dict(line(2)), probes)
    sim.run()
    assert probes.of(0).timer_calls == [0.5, 2.25]


def test_label_install_answers_after_a_delay_and_can_fail() -> None:
    data = line(2, lsps=[{"name": "a", "head": "N0", "tail": "N1", "bandwidth_bps": 1},
                         {"name": "b", "head": "N0", "tail": "N1", "bandwidth_bps": 1}])
    fails = lambda node, now, action: "no room" if action.handle == 2 else None
    probes = Probes()
    sim = Simulation(from_dict(data), probes, SimOptions(label_delay_s=0.25, label_install_fails=fails))
    sim.run(1.0)
    answers = [(t, e) for t, e in probes.of(0).events if isinstance(e, (LabelInstalled, LabelInstallFailed))]
    assert answers == [(0.25, LabelInstalled(1)), (0.25, LabelInstallFailed(2, "no room"))]
    assert set(sim.nodes["N0"].forwarding) == {1}
    probes.of(0).extra_actions = [RemoveLabel(1), RemoveLabel(99)]
    sim.inject(2.0, "delete-lsp", "a")
    sim.run(3.0)
    assert sim.nodes["N0"].forwarding == {}
    assert sim.nodes["N0"].counters["remove_unknown_label"] == 1


def test_lsps_named_by_an_add_event_start_later() -> None:
    data = line(2, lsps=[{"name": "a", "head": "N0", "tail": "N1", "bandwidth_bps": 1}],
                events=[{"at_s": 5, "action": "add-lsp", "target": "a"},
                        {"at_s": 7, "action": "delete-lsp", "target": "a"}])
    probes = Probes()
    sim = Simulation(from_dict(data), probes)
    sim.run()
    told = [(t, type(e).__name__) for t, e in probes.of(0).events if isinstance(e, (TunnelAdded, TunnelRemoved))]
    assert told == [(5.0, "TunnelAdded"), (7.0, "TunnelRemoved")]


def test_kill_drops_everything_and_restart_is_a_fresh_node() -> None:
    data = line(3, lsps=[{"name": "a", "head": "N1", "tail": "N2", "bandwidth_bps": 1}],
                events=[{"at_s": 2, "action": "link-down", "target": "N1-N2"},
                        {"at_s": 3, "action": "kill", "target": "N1"},
                        {"at_s": 6, "action": "restart", "target": "N1"}])
    plan0 = [(1.0, "to-N1", 1), (4.0, "to-N1", 2), (7.0, "to-N1", 3)]
    probes = Probes({rid(0): plan0, rid(1): [(3.5, "to-N0", 50), (6.5, "to-N0", 51)]})
    sim = Simulation(from_dict(data), probes)
    sim.run(4.5)
    assert probes.of(0).routes.route(rid(1)) is None  # the IGP routes around a dead node
    assert probes.of(0).routes.adjacent(IPv4Address("10.0.1.2")) is not None  # but the interface stays up
    sim.run()
    first, second = probes.made[rid(1)]
    assert first.seqs() == [1] and first.timer_calls == []  # its 3.5 s send died with it
    assert second.seqs() == [3]  # 2 arrived while N1 was dead
    assert sim.links[0].counters["dropped_node_down"] == 1
    assert probes.of(0).seqs() == [50, 51]  # the fresh instance's plan; 50 was overdue at restart
    assert second.rng is not first.rng and second.rng.random() != first.rng.random()
    told = [e for _, e in second.events if not isinstance(e, (PacketReceived, LabelInstalled))]
    assert [type(e).__name__ for e in told] == ["LinkDown", "TunnelAdded"] and told[0] == LinkDown("to-N2")
    assert probes.of(0).routes.route(rid(1)).interface == "to-N1"
    assert sim.nodes["N1"].restarts == 1 and summary(sim)["nodes"]["N1"]["running"] is True


def test_an_engine_exception_names_node_and_time() -> None:
    class Broken(Probe):
        def handle(self, event, now):
            if isinstance(event, PacketReceived):
                raise KeyError("oops")
            return super().handle(event, now)

    plans = {rid(0): [(1.0, "to-N1", 1)]}
    sim = Simulation(from_dict(line(2)), lambda c, r, g: Broken(c, r, g, plans.get(c.router_id, ())))
    with pytest.raises(SimulationError, match=r"node N1 raised in PacketReceived at t=1\.002000s") as raised:
        sim.run()
    assert isinstance(raised.value.__cause__, KeyError)  # the planted error, not a slip in the test


def test_a_deadline_that_never_moves_is_reported_not_spun_on_forever() -> None:
    class Stuck(Probe):
        def next_deadline(self):
            return 1.0

    sim = Simulation(from_dict(line(2)), lambda c, r, g: Stuck(c, r, g))
    with pytest.raises(SimulationError, match=r"node N0: next_deadline\(\) is still 1.0 after"):
        sim.run()


def test_run_in_slices_equals_one_run() -> None:
    def once(slices: bool) -> list[int]:
        probes = Probes({rid(0): stream("to-N1", 800, gap=0.003)})
        sim = Simulation(from_dict(line(2, loss=0.1, duplicate=0.1, reorder=0.1)), probes)
        while slices and not sim.run(max_events=7):
            pass
        sim.run()
        return probes.of(1).seqs()

    assert once(True) == once(False)


# --- the real engine, end to end ------------------------------------------------------------


def real(data: dict[str, Any], **kw: Any) -> Simulation:
    return Simulation(from_dict(data), **kw)


def lsp_records(sim: Simulation, node: str) -> list[dict[str, Any]]:
    engine = sim.nodes[node].engine
    return [] if engine is None else engine.snapshot()["lsps"]


def test_line_lsp_comes_up_with_consistent_labels_and_record_route() -> None:
    sim = real(e2e(4, duration_s=10))
    sim.run()
    result = summary(sim)["lsps"]["t"]
    assert result["state"] == "up", result
    assert result["path"] == [str(rid(i)) for i in range(4)]
    hops = result["hops"]
    assert [h["role"] for h in hops] == ["ingress", "transit", "transit", "egress"]
    for upstream, downstream in pairwise(hops):
        assert upstream["out_label"] == downstream["in_label"] is not None
    assert result["labels"] == [h["in_label"] for h in hops[1:]] and result["labels_consistent"]
    # record_route at the head lists the hops downstream of it, one address per node
    [ingress] = [l for l in lsp_records(sim, "N0") if l["role"] == "ingress"]
    owners = [sim.topology.owner[IPv4Address(a)] for a in ingress["record_route"]]
    assert [o for i, o in enumerate(owners) if i == 0 or owners[i - 1] != o] in (["N1", "N2", "N3"],
                                                                                ["N0", "N1", "N2", "N3"])
    # every node's forwarding table holds this LSP's entry
    assert [len(sim.nodes[f"N{i}"].forwarding) for i in range(4)] == [1, 1, 1, 1]


def test_lsp_stays_up_for_an_hour_of_refreshes_over_lossy_links() -> None:
    data = dict(e2e(4, duration_s=3600, loss=0.05, duplicate=0.02, reorder=0.05), refresh_reduction=False)
    sim = real(data)  # standard refresh: every Path resent (Srefresh: tests/test_sim_neighbors.py)
    sim.run()
    result = summary(sim)
    assert result["lsps"]["t"]["state"] == "up" and result["lsps"]["t"]["labels_consistent"]
    assert result["nodes"]["N0"]["sent"]["PATH"] > 3600 / 5 / 1.5


@pytest.mark.parametrize("loss", [0.0, 0.3])
def test_deleting_the_lsp_clears_all_state_within_l(loss: float) -> None:
    lifetime = lifetime_s(5.0, 3)
    data = e2e(4, duration_s=200, loss=loss, events=[{"at_s": 60, "action": "delete-lsp", "target": "t"}])
    sim = real(data)
    sim.run(59.0)
    if loss == 0.0:
        assert summary(sim)["lsps"]["t"]["state"] == "up"
    sim.run(60.0 + lifetime + 1.0)
    nodes = summary(sim)["nodes"]
    assert {n: (v["psb_count"], v["rsb_count"], v["forwarding_entries"]) for n, v in nodes.items()} == {
        f"N{i}": (0, 0, 0) for i in range(4)}
    assert all(lsp_records(sim, f"N{i}") == [] for i in range(4))


def test_lsp_over_a_failed_link_goes_down_the_head_retries_and_it_comes_back() -> None:
    events = [{"at_s": 30, "action": "link-down", "target": "N1-N2"},
              {"at_s": 120, "action": "link-up", "target": "N1-N2"}]
    sim = real(e2e(4, duration_s=200, events=events))
    sim.run(29.0)
    assert summary(sim)["lsps"]["t"]["state"] == "up"
    sim.run(30.0 + lifetime_s(5.0, 3) + 1.0)
    down = summary(sim)["lsps"]["t"]
    assert down["state"] == "down" and down["reason"]
    paths_then = sim.nodes["N0"].sent["PATH"]
    sim.run(119.0)
    assert summary(sim)["lsps"]["t"]["state"] == "down"
    assert sim.nodes["N0"].sent["PATH"] > paths_then  # the head keeps retrying
    sim.run()
    up = summary(sim)["lsps"]["t"]
    assert up["state"] == "up" and up["labels_consistent"] and up["path"] == [str(rid(i)) for i in range(4)]


@pytest.mark.parametrize(("down_s", "up_s"), [(10, 22), (15, 21), (20, 23), (20, 60)])
def test_a_recovered_lsp_stays_up_on_a_lossless_line(down_s: float, up_s: float) -> None:
    """Nothing is lost, so once the LSP is back after a link flap, no refreshed state may time out.

    The flap times are chosen so that the LSP returns about one lifetime L after it was first
    set up: stale timer entries of the first incarnation then come due during the second.
    """
    events = [{"at_s": down_s, "action": "link-down", "target": "N1-N2"},
              {"at_s": up_s, "action": "link-up", "target": "N1-N2"}]
    sim = real(e2e(4, duration_s=240, events=events))
    sim.run(float(up_s))
    while summary(sim)["lsps"]["t"]["state"] != "up":
        assert sim.now < up_s + 70, "the head did not bring the LSP back within its longest back-off"
        sim.run(sim.now + 0.5)
    timeouts = _timeouts(sim)
    flaps = []
    while sim.now < 240:
        sim.run(sim.now + 0.5)
        lsp = summary(sim)["lsps"]["t"]
        if lsp["state"] != "up":
            flaps.append((sim.now, lsp["reason"]))
    assert flaps == [], flaps[:3]
    assert _timeouts(sim) == timeouts


def _timeouts(sim: Simulation) -> dict[str, int]:
    return {f"{name} {key}": count for name, node in summary(sim)["nodes"].items()
            for key, count in node["engine_counters"].items() if "timed out" in key}


def test_killed_transit_state_times_out_and_the_lsp_returns_after_restart() -> None:
    events = [{"at_s": 30, "action": "kill", "target": "N2"}, {"at_s": 120, "action": "restart", "target": "N2"}]
    sim = real(e2e(4, duration_s=200, events=events))
    sim.run(30.0 + lifetime_s(5.0, 3) + 2.0)
    result = summary(sim)
    assert result["lsps"]["t"]["state"] == "down"
    assert result["nodes"]["N3"]["psb_count"] == 0  # the egress lost its path state after L
    assert result["nodes"]["N2"]["running"] is False
    sim.run()
    result = summary(sim)
    assert result["lsps"]["t"]["state"] == "up" and result["lsps"]["t"]["labels_consistent"]


def test_a_restarted_head_signals_its_tunnels_again() -> None:
    events = [{"at_s": 20, "action": "kill", "target": "N0"}, {"at_s": 30, "action": "restart", "target": "N0"}]
    sim = real(e2e(3, duration_s=60, events=events))
    sim.run(25.0)
    assert summary(sim)["lsps"]["t"] == {"head": "N0", "tail": "N2", "state": "down", "path": [], "labels": [],
                                         "reason": "head not running", "labels_consistent": None, "hops": []}
    sim.run()
    assert summary(sim)["lsps"]["t"]["state"] == "up"


def test_a_failed_label_install_keeps_the_lsp_down() -> None:
    fails = lambda node, now, action: "table full" if node == "N2" else None
    sim = real(e2e(3, duration_s=30), options=SimOptions(label_install_fails=fails))
    sim.run()
    result = summary(sim)
    assert result["lsps"]["t"]["state"] == "down"
    assert result["nodes"]["N2"]["forwarding_entries"] == 0


def test_corrupting_link_never_crashes_the_run() -> None:
    sim = real(e2e(3, duration_s=60, corrupt=0.5))
    sim.run()
    assert sim.counters["decode_failures"] > 0


def test_same_seed_same_output_different_seed_different_output() -> None:
    scenario = loads(bundled_scenarios()["diamond5"])
    outputs = []
    for seed in (5, 5, 6):
        sim = Simulation(scenario.with_overrides(seed=seed, duration_s=400))
        sim.run()
        outputs.append(json.dumps(summary(sim), sort_keys=True))
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


# --- bundled scenarios and the CLI ----------------------------------------------------------


def test_bundled_scenarios_end_as_described() -> None:
    expected = {"line4": {"a-to-d": ("down", "deleted"), "late": ("up", None)},
                "diamond5": {"top": ("up", None), "bottom": ("up", None), "reverse": ("up", None)}}
    scenarios = bundled_scenarios()
    assert set(scenarios) >= set(expected)
    for name, lsps in expected.items():
        sim = Simulation(loads(scenarios[name]))
        sim.run()
        result = summary(sim)
        assert {k: (v["state"], v["reason"]) for k, v in result["lsps"].items()} == lsps, name
        assert all(v["labels_consistent"] for v in result["lsps"].values() if v["state"] == "up")
        assert "LSP" in tables(result, sim)


def test_cli_json_is_deterministic_and_overrides_apply(capsys) -> None:
    assert main(["line4", "--json", "--duration", "120", "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert main(["line4", "--json", "--duration", "120", "--no-progress"]) == 0
    assert capsys.readouterr().out == first
    result = json.loads(first)
    assert result["time_s"] == 120 and result["seed"] == 7
    assert result["lsps"]["a-to-d"]["state"] == "down" and result["lsps"]["a-to-d"]["reason"] != "deleted"
    assert set(result["nodes"]["A"]) >= {"psb_count", "rsb_count", "sent", "received"}
    assert main(["line4", "--json", "--seed", "99", "--duration", "1", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 99


def test_cli_tables_and_help(capsys) -> None:
    assert main(["diamond5", "--duration", "60", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "A > B > D > E" in out and "PSB" in out and "PATH:" in out
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("[[link]]", "loose:", "link-down", "--seed", "--duration", "exit status"):
        assert word in text


# --- churn, then quiet: the network must heal ------------------------------------------------

DIAMOND = {
    "duration_s": 1.0, "seed": 1, "refresh_s": 5.0, "keep_multiplier": 3,
    "node": [{"name": n, "router_id": f"192.0.2.{i + 1}"} for i, n in enumerate("ABCDE")],
    "link": [{"a": a, "b": b, "delay_ms": d, "bandwidth_bps": 1e9}
             for a, b, d in (("A", "B", 3), ("A", "C", 4), ("B", "D", 3), ("C", "D", 4), ("D", "E", 1))],
    "lsp": [{"name": "strict", "head": "A", "tail": "E", "bandwidth_bps": 1e6, "ero": ["B", "D", "E"]},
            {"name": "loose", "head": "A", "tail": "E", "bandwidth_bps": 1e6, "ero": ["C", "loose:E"]},
            {"name": "routed", "head": "E", "tail": "A", "bandwidth_bps": 1e6}],
    "event": [],
}
CHURN_END = 200.0
QUIET = 2 * lifetime_s(5.0, 3) + 60.0 + 30.0  # two lifetimes, the longest retry back-off, and slack


def _heal(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """After the churn: every link up, every dead node restarted."""
    dead: set[str] = set()
    for event in sorted(events, key=lambda e: e["at_s"]):  # stable: file order breaks ties, as in the agenda
        if event["action"] == "kill":
            dead.add(event["target"])
        elif event["action"] == "restart":
            dead.discard(event["target"])
    tail = [{"at_s": CHURN_END, "action": "link-up", "target": f"{l['a']}-{l['b']}"} for l in DIAMOND["link"]]
    return events + tail + [{"at_s": CHURN_END, "action": "restart", "target": n} for n in sorted(dead)]


def check_healed(sim: Simulation) -> None:
    result = summary(sim)
    active = [name for name in result["lsps"] if name in sim.active_lsps]
    for name in active:
        lsp = result["lsps"][name]
        assert lsp["state"] == "up", (name, lsp)
        assert all(h["state"] == "up" for h in lsp["hops"]), (name, lsp["hops"])
        assert lsp["labels_consistent"], (name, lsp["hops"])
    tunnels = [sim.topology.tunnel(sim.scenario.lsp(n)) for n in active]
    sessions = {(str(t.destination), t.tunnel_id) for t in tunnels}  # unique in DIAMOND
    for name in sim.nodes:
        for record in lsp_records(sim, name):
            if record["role"] == "ingress":
                assert record["name"] in sim.active_lsps, (name, record)
            else:
                assert (record["destination"], record["tunnel_id"]) in sessions, (name, record)
    hops = sum(len(result["lsps"][n]["hops"]) for n in active)
    assert sum(n["forwarding_entries"] for n in result["nodes"].values()) == hops  # no leaked entries
    for name, node in result["nodes"].items():
        assert node["psb_count"] == len(lsp_records(sim, name))


def test_the_diamond_heals_after_a_fixed_churn() -> None:
    timeline = [(20, "link-down", "B-D"), (35, "kill", "C"), (50, "delete-lsp", "loose"), (60, "link-up", "B-D"),
                (70, "add-lsp", "loose"), (90, "restart", "C"), (120, "restart", "D"), (150, "delete-lsp", "routed")]
    events = [{"at_s": at, "action": action, "target": target} for at, action, target in timeline]
    data = dict(DIAMOND, event=_heal(events), duration_s=CHURN_END + QUIET)
    sim = real(data)
    sim.run()
    check_healed(sim)


_LINKS = [f"{l['a']}-{l['b']}" for l in DIAMOND["link"]]
_EVENT = st.one_of(
    st.fixed_dictionaries({"action": st.sampled_from(["link-down", "link-up"]), "target": st.sampled_from(_LINKS)}),
    st.fixed_dictionaries({"action": st.sampled_from(["kill", "restart"]), "target": st.sampled_from("ABCDE")}),
    st.fixed_dictionaries({"action": st.sampled_from(["delete-lsp", "add-lsp"]),
                           "target": st.sampled_from(["strict", "loose", "routed"])}),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(st.tuples(st.floats(0.0, CHURN_END), _EVENT), max_size=12),
       seed=st.integers(0, 2**16), loss=st.sampled_from([0.0, 0.05, 0.2]))
def test_any_churn_heals_once_the_network_is_quiet(events, seed, loss) -> None:
    timed = [dict(event, at_s=at) for at, event in events]
    links = [dict(l, loss=loss, duplicate=loss / 4, reorder=loss / 4) for l in DIAMOND["link"]]
    data = dict(DIAMOND, link=links, event=_heal(timed), duration_s=CHURN_END + QUIET, seed=seed)
    sim = real(data)
    sim.run(CHURN_END + QUIET - 90.0)  # in the last 90 s (> the longest back-off), nothing is lost
    for link in sim.links:
        link.spec = dataclasses.replace(link.spec, loss=0.0, duplicate=0.0, reorder=0.0)
    sim.run()
    check_healed(sim)


def test_a_higher_priority_lsp_preempts_a_lower_one_on_a_narrow_link() -> None:
    """Two LSPs that do not both fit: the one with the better setup priority takes the bandwidth."""
    lsps = [
        {"name": "low", "head": "N0", "tail": "N2", "bandwidth_bps": 6e6, "setup_priority": 7, "hold_priority": 7},
        {"name": "high", "head": "N0", "tail": "N2", "bandwidth_bps": 6e6, "setup_priority": 0,
         "hold_priority": 0},
    ]
    data = line(3, lsps=lsps, events=[{"at_s": 10, "action": "add-lsp", "target": "high"}], duration_s=120,
                bandwidth_bps=10e6)
    sim = real(data)
    sim.run(9.0)
    assert summary(sim)["lsps"]["low"]["state"] == "up"
    sim.run(10.5)
    preempted = summary(sim)["lsps"]["low"]
    assert preempted["state"] == "down"
    assert "12/0" in preempted["reason"] or "preempted" in preempted["reason"], preempted
    sim.run()
    result = summary(sim)["lsps"]
    assert result["high"]["state"] == "up" and result["high"]["labels_consistent"]
    assert result["low"]["state"] == "down" and result["low"]["reason"].startswith("PathErr 1/2")  # no room left
