"""The built-in policies (``bandwidth``, ``quasar``) and the registry that loads them by name.

Shares are worked by hand from the formulas of admission.quasar's docstring:
per_packet_cost 10 us, m' = max(m, 64), cpu = rate / m' * cost.
"""

from __future__ import annotations

import json
import math
from ipaddress import IPv4Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admission import registry
from admission.bandwidth import BandwidthAdmission
from admission.quasar import QuasarAdmission
from rsvp.engine import Interface, Request
from rsvp.engine.flowspecs import Spec

INF = math.inf
IFS = (Interface("e0", IPv4Address("10.0.0.1"), 100e6, max_reservable=0.8),
       Interface("e1", IPv4Address("10.0.1.1"), 100e6))


def quasar(**options) -> QuasarAdmission:
    settings_ = {"cpus": 1.0, "max_cpu_fraction": 0.5, "memory_bytes": 10_000_000, "per_packet_cost_s": 10e-6,
                 "routelet_footprint_bytes": 1_000_000}
    return QuasarAdmission(IFS, **{**settings_, **options})


def cl(r: float, b: float = 20_000.0, p: float = INF, m: int = 100, big_m: int = 1500) -> Spec:
    return Spec(r, b, p, m, big_m, r, INF)


def request(key, spec: Spec | None, interface="e0", bps=None, **kw) -> Request:
    return Request(key, interface, bps if bps is not None else spec.bandwidth_bps, spec=spec, **kw)


def code(rejected):
    return None if rejected is None else (rejected.error_code, rejected.error_value)


# -- bandwidth ----------------------------------------------------------------------------------

def test_bandwidth_policy_uses_max_reservable_or_the_configured_fraction():
    policy = BandwidthAdmission(IFS)
    assert policy.admit(Request("a", "e0", 50e6)) is None
    rejected = policy.admit(Request("b", "e0", 40e6))
    assert code(rejected) == (1, 2) and "30000000 b/s free" in rejected.reason
    assert policy.admit(Request("b", "e1", 100e6)) is None  # e1 keeps its default 100%
    capped = BandwidthAdmission(IFS, max_fraction=0.75)
    assert code(capped.admit(Request("a", "e1", 80e6))) == (1, 2)
    assert capped.admit(Request("a", "e1", 75e6)) is None and capped.reserved_bps("e1") == 75e6
    assert code(capped.admit(Request("x", "nope", 1.0))) == (1, 2)


def test_bandwidth_policy_preempts_like_the_engine_builtin():
    policy = BandwidthAdmission(IFS)
    policy.admit(Request("p4", "e0", 30e6, 4, 4))
    policy.admit(Request("p6", "e0", 30e6, 6, 6))
    policy.admit(Request("p1", "e0", 20e6, 1, 1))
    assert policy.preemptable(Request("new", "e0", 25e6, 3, 3)) == ["p6"]
    assert policy.preemptable(Request("new", "e0", 55e6, 3, 3)) == ["p6", "p4"]
    assert policy.preemptable(Request("new", "e0", 75e6, 3, 3)) == []
    assert policy.reserved_bps("e0") == 80e6
    policy.release("p6")
    assert policy.admit(Request("new", "e0", 25e6, 3, 3)) is None


# -- quasar: the mapping ------------------------------------------------------------------------

def test_controlled_load_shares_by_hand():
    policy = quasar()
    spec = cl(125_000.0, b=20_000.0, p=250_000.0, m=100)  # 1 Mb/s, peak 2 Mb/s
    assert policy.admit(request("a", spec)) is None
    s = policy.shares("a")
    assert s.bandwidth_bps == 1e6 and s.burst_bytes == 20_000 and s.peak_bps == 2e6 and s.max_packet_bytes == 1500
    assert s.cpu_sustained == pytest.approx(0.0125)  # 125000 B/s / 100 B = 1250 pkt/s * 10 us
    assert s.cpu_peak == pytest.approx(0.025)  # 250000 / 100 * 10 us
    assert s.queue_bytes == 21_500 and s.memory_bytes == 1_021_500  # b + M, plus the footprint
    assert (s.xen_weight, s.xen_cap_pct, s.cgroup_cpu_quota_us, s.cgroup_cpu_shares, s.cgroup_cpu_weight) == \
        (320, 3, 2500, 1280, 125)


def test_unknown_min_unit_and_peak_get_floors_and_the_line_rate():
    policy = quasar()
    s = policy.shares_for(cl(125_000.0, p=INF, m=0), policy.interfaces["e0"], 1e6)
    assert s.cpu_sustained == pytest.approx(125_000 / 64 * 10e-6)  # m = 0 read as 64 bytes
    assert s.cpu_peak == pytest.approx(12_500_000 / 64 * 10e-6)  # p = inf bounded by 100 Mb/s = 12.5 MB/s


def test_guaranteed_cpu_follows_the_reserved_rate():
    policy = quasar()
    spec = Spec(125_000.0, 20_000.0, INF, 100, 1500, 250_000.0, 10**9)  # R = 2 r, ample slack
    assert policy.admit(request("g", spec)) is None
    assert policy.shares("g").cpu_sustained == pytest.approx(0.025)  # 250000 / 100 * 10 us
    assert policy.reserved_bps("e0") == 2e6


# -- quasar: refusals ---------------------------------------------------------------------------

def test_cpu_exhaustion_is_1_2_naming_the_cpu_while_bandwidth_is_free():
    policy = quasar()
    big = cl(2_500_000.0, m=100)  # 20 Mb/s: 25000 pkt/s * 10 us = 0.25 of a CPU; capacity 0.5
    assert policy.admit(request("a", big)) is None and policy.admit(request("b", big, "e1")) is None
    rejected = policy.admit(request("c", big))
    assert code(rejected) == (1, 2) and rejected.reason.startswith("cpu: 0.25 of a CPU needed, 0 of a CPU")
    assert policy.reserved_bps("e0") == 20e6 and policy.shares("c") is None


def test_memory_exhaustion_is_1_2_naming_the_memory():
    policy = quasar()
    fat = cl(12_500.0, b=2_000_000.0, m=1500)  # memory 2,000,000 + 1500 + 1,000,000 = 3,001,500 bytes
    for key in "abc":
        assert policy.admit(request(key, fat)) is None
    rejected = policy.admit(request("d", fat))
    assert code(rejected) == (1, 2) and rejected.reason == \
        "memory: 3.002e+06 bytes needed, 9.955e+05 bytes free"  # 10,000,000 - 3 * 3,001,500


def test_bad_specs_and_mtu():
    policy = quasar(mtu_bytes=1500, services=("controlled-load",))
    assert code(policy.admit(request("a", cl(0.0), bps=1.0))) == (21, 4)
    assert code(policy.admit(request("a", cl(1000.0, big_m=9000)))) == (1, 3)
    assert code(policy.admit(request("a", Spec(1000.0, 100.0, INF, 64, 1500, 1000.0, 0)))) == (21, 2)
    assert policy.snapshot()["reservations"] == []


def test_a_guaranteed_request_whose_slack_cannot_cover_the_cap_latency_is_1_1():
    policy = quasar(exported_d_us=10_000)  # this router promises D = 10 ms (and C = MTU = 1500)
    # p' = R = 125000 B/s: cpu_peak 0.0125, quota 1250 us, so D = 100000 - 1250 = 98750 us;
    # C = M = 1500 as exported: the hop adds 98750 - 10000 = 88750 us beyond its export
    tight = Spec(125_000.0, 10_000.0, 125_000.0, 100, 1500, 125_000.0, 88_000)
    rejected = policy.admit(request("g", tight))
    assert code(rejected) == (1, 1) and "88750 us" in rejected.reason
    assert policy.admit(request("g", tight._replace(slack=89_000))) is None
    assert policy.admit(request("cl", cl(125_000.0))) is None  # Controlled-Load has no delay bound


def test_no_spec_falls_back_to_bandwidth_only():
    policy = quasar()
    assert policy.admit(Request("te", "e0", 70e6)) is None
    assert policy.shares("te") is None and policy.ledger.used("cpu") == 0.0
    assert code(policy.admit(Request("te2", "e0", 20e6))) == (1, 2)  # 80 Mb/s reservable on e0


def test_se_sharers_share_bandwidth_and_cpu_but_not_memory():
    policy = quasar()
    spec = cl(1_250_000.0, m=100)  # 10 Mb/s: 0.125 of a CPU, memory 1,021,500
    assert policy.admit(request("old", spec, share_key="s")) is None
    assert policy.admit(request("new", spec._replace(rate=1_875_000.0, rspec_rate=1_875_000.0),
                                share_key="s")) is None
    assert policy.reserved_bps("e0") == 15e6
    assert policy.ledger.used("cpu") == pytest.approx(0.1875)
    assert policy.ledger.used("memory") == 2 * 1_021_500


def test_preemption_for_cpu_takes_the_weakest_holder_on_any_interface_and_asks_only():
    policy = quasar()
    big = cl(2_500_000.0, m=100)  # 0.25 of a CPU each
    policy.admit(request("weak", big, "e1", setup_priority=7, hold_priority=7))
    policy.admit(request("mid", big, "e0", setup_priority=5, hold_priority=5))
    before = json.dumps(policy.snapshot(), sort_keys=True)
    new = request("new", big, "e0", setup_priority=3, hold_priority=3)
    assert code(policy.admit(new)) == (1, 2)
    assert policy.preemptable(new) == ["weak"]
    assert json.dumps(policy.snapshot(), sort_keys=True) == before
    policy.release("weak")
    assert policy.admit(new) is None


def test_snapshot_is_json_and_shows_the_ledger():
    policy = quasar()
    policy.admit(request("a", cl(125_000.0, p=250_000.0), hold_priority=3))
    policy.admit(Request("te", "e1", 5e6))
    snap = json.loads(json.dumps(policy.snapshot(), allow_nan=False))
    assert snap["interfaces"]["e0"] == {"capacity_bps": 80e6, "used_bps": 1e6}
    assert snap["cpu"] == {"capacity": 0.5, "used": pytest.approx(0.0125)}
    assert snap["memory"] == {"capacity_bytes": 10_000_000, "used_bytes": 1_021_500}
    first, second = snap["reservations"]
    assert first["key"] == "a" and first["hold_priority"] == 3 and first["shares"]["xen_cap_pct"] == 3
    assert second["shares"] is None and second["spec"] is None


specs = st.builds(cl, st.floats(1_000.0, 5e6), st.floats(100.0, 3e6), st.sampled_from([INF, 6e6]),
                  st.integers(0, 1500))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), specs, st.sampled_from(["e0", "e1"]),
                          st.sampled_from([None, "s"]), st.booleans()), max_size=25), specs)
def test_admit_then_release_leaves_the_ledger_as_it_was_and_never_overbooks(steps, spec):
    policy = quasar()
    for key, step_spec, interface, share, release in steps:
        if release:
            policy.release(key)
        else:
            policy.admit(request(key, step_spec, interface, share_key=share))
        snap = policy.snapshot()
        assert snap["cpu"]["used"] <= snap["cpu"]["capacity"] + 1e-9
        assert snap["memory"]["used_bytes"] <= snap["memory"]["capacity_bytes"]
        for record in snap["interfaces"].values():
            assert record["used_bps"] <= record["capacity_bps"] + 1e-3
    before = policy.snapshot()
    if policy.admit(request("fresh", spec)) is None:
        policy.release("fresh")
    after = policy.snapshot()
    assert after["reservations"] == before["reservations"]
    assert after["cpu"]["used"] == pytest.approx(before["cpu"]["used"], abs=1e-9)
    assert after["memory"] == before["memory"]
    for name, record in after["interfaces"].items():
        assert record["used_bps"] == pytest.approx(before["interfaces"][name]["used_bps"], abs=1e-3)


# -- registry -----------------------------------------------------------------------------------

def test_registry_loads_both_builtins_by_entry_point():
    assert {"bandwidth", "quasar"} <= set(registry.available())
    assert isinstance(registry.load("bandwidth", IFS, max_fraction=0.5), BandwidthAdmission)
    policy = registry.load("quasar", IFS, cpus=4, per_packet_cost_s=1e-6)
    assert isinstance(policy, QuasarAdmission) and policy.cpu_capacity == 3.0


def test_registry_errors_name_what_is_known():
    with pytest.raises(registry.PolicyError, match="no admission policy 'cac'; known: .*bandwidth, quasar"):
        registry.load("cac", IFS)
    with pytest.raises(registry.PolicyError, match="takes no option cpu; it takes: cpus, memory_bytes"):
        registry.load("quasar", IFS, cpu=2)
    with pytest.raises(registry.PolicyError, match="max_fraction must be within"):
        registry.load("bandwidth", IFS, max_fraction=1.5)
    with pytest.raises(registry.PolicyError, match="unknown services"):
        registry.load("quasar", IFS, services=["best-effort"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from([None, "s", "t"]), st.integers(0, 50),
                          st.integers(0, 7), st.sampled_from(["admit", "release", "preemptable"])), max_size=30))
def test_bandwidth_admission_answers_as_the_engine_builtin(steps):
    """Differential check against rsvp.engine.BandwidthPolicy (the rule this policy makes pluggable);
    preemption is compared without SE sharers, where the built-in may also name holders that free nothing."""
    from rsvp.engine import BandwidthPolicy
    ours, builtin = BandwidthAdmission(IFS), BandwidthPolicy(IFS)
    for key, share, mbps, priority, action in steps:
        asked = Request(key, "e0", mbps * 1e6, priority, priority, share_key=share)
        if action == "admit":
            assert (ours.admit(asked) is None) == (builtin.admit(asked) is None)
        elif action == "release":
            ours.release(key), builtin.release(key)
        elif all(r.share_key is None for r in builtin._held.values()) and share is None:
            assert ours.preemptable(asked) == builtin.preemptable(asked)
        assert ours.reserved_bps("e0") == pytest.approx(builtin.reserved_bps("e0"), abs=1e-3)
