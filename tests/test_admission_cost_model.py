"""The ``quasar`` policy's rate-dependent CPU cost per packet (admission.quasar.PacketCost).

Load (fractions of a CPU) is piecewise linear in the packet rate through the measured points
and grows by the batched cost beyond the last; cost per packet = load / rate.  Checked: the
default (measured) table and random valid tables keep load non-decreasing and cost
non-increasing, the cost starts at the slowest point's wake-up cost and tends to the batched
cost, shares come from it (with m' = max(m, 64)), ``per_packet_cost_s`` still overrides it with
one constant, and tables that would break monotonicity are refused.  Also the benchmark's
``monotone`` step that turns measured medians into such a table.
"""

from __future__ import annotations

import itertools
import math
from ipaddress import IPv4Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admission import registry
from admission.quasar import (
    CPU,
    DEFAULT_COST_TABLE,
    PER_PACKET_BATCHED_S,
    PacketCost,
    QuasarAdmission,
)
from benchmarks.bench_forwarder import monotone
from rsvp.engine import Interface, Request
from rsvp.engine.flowspecs import Spec

INF = math.inf
IFS = (Interface("e0", IPv4Address("10.0.0.1"), 100e6),)
DEFAULT = PacketCost(DEFAULT_COST_TABLE, PER_PACKET_BATCHED_S)
RATES = st.floats(0.0, 1e7, allow_nan=False)


def ordered(a: float, b: float) -> tuple[float, float]:
    return (a, b) if a <= b else (b, a)


@st.composite
def tables(draw) -> PacketCost:
    """A valid table: rates increasing, each cost between the previous cost (no rise) and the cost
    that keeps the previous load (no fall in load); batched cost at most the last point's."""
    rates = sorted(set(draw(st.lists(st.floats(0.5, 1e6), min_size=1, max_size=8))))
    cost = draw(st.floats(1e-7, 1e-3))
    points = [(rates[0], cost)]
    for rate in rates[1:]:
        previous_rate, previous_cost = points[-1]
        low = previous_rate * previous_cost / rate
        while rate * low < previous_rate * previous_cost:
            low = math.nextafter(low, INF)
        cost = min(previous_cost, low + draw(st.floats(0.0, 1.0)) * (previous_cost - low))
        points.append((rate, cost))
    return PacketCost(points, draw(st.floats(0.0, 1.0)) * points[-1][1])


# -- the model ----------------------------------------------------------------------------------

def test_default_table_is_the_measured_sweep_and_valid():
    assert DEFAULT.points[0] == (10.0, 258e-6) and DEFAULT.batched_s == PER_PACKET_BATCHED_S == 11.3e-6
    for (rate, cost), (next_rate, next_cost) in itertools.pairwise(DEFAULT.points):
        assert next_rate > rate and next_cost <= cost and next_rate * next_cost >= rate * cost


def test_low_rates_cost_the_wake_up_and_high_rates_tend_to_the_batched_cost():
    wake_up = DEFAULT_COST_TABLE[0][1]
    for rate in (0.0, 0.001, 1.0, 5.0, 10.0):
        assert DEFAULT.cost(rate) == pytest.approx(wake_up, rel=1e-12)
    assert DEFAULT.load(0.0) == 0.0 and DEFAULT.load(5.0) == pytest.approx(5 * wake_up)
    costs = [DEFAULT.cost(rate) for rate in (1e5, 1e6, 1e7, 1e9)]
    assert all(cost > PER_PACKET_BATCHED_S for cost in costs)
    assert costs == sorted(costs, reverse=True)
    assert costs[-1] == pytest.approx(PER_PACKET_BATCHED_S, rel=1e-3)
    assert costs[0] < DEFAULT_COST_TABLE[-1][1]  # beyond the last point each packet adds the batched cost


def test_measured_points_are_met_exactly_and_the_load_is_linear_between_them():
    for rate, cost in DEFAULT_COST_TABLE:
        assert DEFAULT.cost(rate) == pytest.approx(cost, rel=1e-12)
    (r0, c0), (r1, c1) = DEFAULT_COST_TABLE[5], DEFAULT_COST_TABLE[6]  # 500 and 1000 packets/s
    middle = (r0 + r1) / 2
    assert DEFAULT.load(middle) == pytest.approx((r0 * c0 + r1 * c1) / 2, rel=1e-12)
    last_rate, last_cost = DEFAULT_COST_TABLE[-1]
    assert DEFAULT.load(last_rate + 1000) == pytest.approx(last_rate * last_cost + 1000 * PER_PACKET_BATCHED_S)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.just(DEFAULT), tables()), RATES, RATES)
def test_load_never_falls_and_cost_never_rises_with_the_rate(model, a, b):
    low, high = ordered(a, b)
    assert 0 <= model.load(low) <= model.load(high)
    assert model.cost(low) >= model.cost(high) * (1 - 1e-12)
    assert model.batched_s * (1 - 1e-12) <= model.cost(high) <= model.points[0][1] * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(tables())
def test_any_table_tends_to_its_batched_cost(model):
    # beyond the last point (rate_n, c_n): c(rate) - c_b = rate_n * (c_n - c_b) / rate
    rate_n, cost_n = model.points[-1]
    for factor in (10.0, 1e3, 1e9):
        excess = model.cost(rate_n * factor) - model.batched_s
        assert excess == pytest.approx((cost_n - model.batched_s) / factor, rel=1e-6, abs=1e-18)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1e-3), RATES)
def test_a_constant_is_one_cost_at_every_rate(cost, rate):
    model = PacketCost.constant(cost)
    assert model.cost(rate) == pytest.approx(cost, rel=1e-12, abs=1e-300)
    assert model.load(rate) == pytest.approx(rate * cost, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("points", "batched", "message"), [
    ([], 1e-6, "at least one"),
    ([(100, 50e-6), (100, 40e-6)], 1e-6, "rates must increase"),
    ([(100, 50e-6), (200, 60e-6)], 1e-6, "must not rise"),
    ([(100, 50e-6), (1000, 4e-6)], 1e-6, "must not fall"),
    ([(0, 50e-6)], 1e-6, "rate > 0"),
    ([(100, INF)], 1e-6, "cost >= 0"),
    ([(100, math.nan)], 1e-6, "cost >= 0"),
    ([(100, 50e-6)], 60e-6, "per_packet_batched_s"),
    ([(100, 50e-6)], -1e-6, "per_packet_batched_s"),
])
def test_tables_that_break_monotonicity_are_refused(points, batched, message):
    with pytest.raises(ValueError, match=message):
        PacketCost(points, batched)


# -- shares from the model ----------------------------------------------------------------------

def cl(r: float, m: int, p: float = INF, big_m: int = 1500) -> Spec:
    return Spec(r, 20_000.0, p, m, big_m, r, INF)


@pytest.mark.parametrize(("m", "unit"), [(0, 64), (32, 64), (64, 64), (500, 500)])
def test_shares_use_the_packet_rate_over_the_floored_minimum_policed_unit(m, unit):
    policy = QuasarAdmission(IFS, cpus=4.0)
    rate, peak = 50_000.0, 400_000.0  # bytes/s
    shares = policy.shares_for(cl(rate, m, peak), IFS[0], rate * 8)
    assert shares.cpu_sustained == DEFAULT.load(rate / unit)
    assert shares.cpu_peak == DEFAULT.load(peak / unit)
    assert shares.cpu_peak >= shares.cpu_sustained


def test_a_slow_flow_pays_the_wake_up_cost_and_a_fast_one_less_per_packet():
    policy = QuasarAdmission(IFS, cpus=4.0)
    slow = policy.shares_for(cl(1_000.0, 100), IFS[0], 8e3)  # 10 packets/s: every one a wake-up
    fast = policy.shares_for(cl(1_000_000.0, 100), IFS[0], 8e6)  # 10,000 packets/s
    assert slow.cpu_sustained == pytest.approx(10 * 258e-6)
    assert fast.cpu_sustained / 10_000 < slow.cpu_sustained / 10 / 5
    assert fast.cpu_sustained > 10_000 * PER_PACKET_BATCHED_S


def test_admission_holds_the_model_s_cpu_and_refuses_beyond_it():
    policy = QuasarAdmission(IFS, cpus=1.0, max_cpu_fraction=0.5)
    spec = cl(500_000.0, 100)  # 5,000 packets/s
    need = DEFAULT.load(5_000)
    assert policy.admit(Request("a", "e0", spec.bandwidth_bps, spec=spec)) is None
    assert policy.ledger.used(CPU) == need == policy.shares("a").cpu_sustained
    admitted = 1
    while policy.admit(Request(f"k{admitted}", "e0", spec.bandwidth_bps, spec=spec)) is None:
        admitted += 1
    assert admitted == math.floor(0.5 / need)


def test_per_packet_cost_s_still_overrides_with_one_constant():
    policy = QuasarAdmission(IFS, cpus=4.0, per_packet_cost_s=60e-6)
    for r in (1_000.0, 1_000_000.0):
        shares = policy.shares_for(cl(r, 100), IFS[0], r * 8)
        assert shares.cpu_sustained == pytest.approx(r / 100 * 60e-6, rel=1e-12)


def test_the_model_is_configured_through_registry_options_as_toml_gives_them():
    table = [[100, 200e-6], [1000, 50e-6], [10_000, 20e-6]]
    policy = registry.load("quasar", IFS, cpus=2, cost_table=table, per_packet_batched_s=10e-6)
    assert policy.packet_cost.points == ((100.0, 200e-6), (1000.0, 50e-6), (10_000.0, 20e-6))
    shares = policy.shares_for(cl(100_000.0, 100), IFS[0], 8e5)  # 1,000 packets/s
    assert shares.cpu_sustained == pytest.approx(0.05)
    with pytest.raises(registry.PolicyError, match="must not rise"):
        registry.load("quasar", IFS, cost_table=[[100, 1e-5], [200, 2e-5]])
    with pytest.raises(registry.PolicyError, match="per_packet_cost_s"):
        registry.load("quasar", IFS, per_packet_cost_s=-1.0)


# -- the benchmark's fitting step ---------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.floats(1.0, 1e5), st.floats(1e-6, 1e-3), min_size=1, max_size=10))
def test_monotone_makes_any_measurement_a_valid_table_rounding_only_up(measured):
    table = monotone(list(measured.items()))
    assert [rate for rate, _ in table] == sorted(measured)
    assert all(cost >= measured[rate] for rate, cost in table)
    PacketCost(table, 0.0)  # valid: raises otherwise


def test_monotone_keeps_an_already_valid_measurement():
    assert monotone(list(DEFAULT_COST_TABLE)) == [(float(r), c) for r, c in DEFAULT_COST_TABLE]
