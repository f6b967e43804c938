"""Issue 5's admission properties at the policy level, for ``quasar`` and ``bandwidth``, with
Controlled-Load and Guaranteed requests, SE sharers, priorities and preemption carried out.

The ledger alone is covered by test_admission_ledger.py, Controlled-Load admit/release by
test_admission_policies.py; here the requests go through the policies (TSpec -> shares -> ledger).
"""

from __future__ import annotations

import math
from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from admission.bandwidth import BandwidthAdmission
from admission.quasar import CPU, MEMORY, QuasarAdmission
from rsvp.engine import Interface, Request
from rsvp.engine.flowspecs import Spec

IFS = (Interface("e0", IPv4Address("10.0.0.1"), 100e6, max_reservable=0.8),
       Interface("e1", IPv4Address("10.0.1.1"), 50e6))
KEYS = "abcdefgh"
ANY_KEY = st.sampled_from(KEYS)


def quasar() -> QuasarAdmission:
    # a tight router: a few flows fill the CPU or the memory; D exported at 10 ms, so slow
    # Guaranteed flows with little slack meet the delay check (1/1)
    return QuasarAdmission(IFS, cpus=1.0, max_cpu_fraction=0.5, memory_bytes=24_000_000, per_packet_cost_s=10e-6,
                           routelet_footprint_bytes=2_000_000, exported_d_us=10_000)


def quasar_model() -> QuasarAdmission:
    """The same router with the measured rate-dependent CPU cost per packet (the default model)."""
    return QuasarAdmission(IFS, cpus=1.0, max_cpu_fraction=0.5, memory_bytes=24_000_000,
                           routelet_footprint_bytes=2_000_000, exported_d_us=10_000)


POLICIES = {"quasar": quasar, "quasar-model": quasar_model, "bandwidth": lambda: BandwidthAdmission(IFS)}


@st.composite
def specs(draw) -> Spec:
    """A valid Int-serv request (Controlled-Load or Guaranteed), bytes/s and bytes as on the wire."""
    rate = draw(st.floats(1_000.0, 2e6))
    big_m = draw(st.integers(64, 1500))
    peak = draw(st.sampled_from([math.inf, rate, 2 * rate, 10 * rate]))
    min_unit = draw(st.integers(0, big_m))
    bucket = draw(st.floats(float(big_m), 3e6))
    if draw(st.booleans()):
        return Spec(rate, bucket, peak, min_unit, big_m, rate, math.inf)
    return Spec(rate, bucket, peak, min_unit, big_m, rate * draw(st.floats(1.0, 3.0)), draw(st.floats(0.0, 2e5)))


@st.composite
def requests(draw, key=ANY_KEY) -> Request:
    spec = draw(specs())
    setup = draw(st.integers(0, 7))
    return Request(draw(key), draw(st.sampled_from(["e0", "e1"])), spec.bandwidth_bps, setup,
                   draw(st.integers(0, setup)), draw(st.sampled_from([None, "s"])), spec)


steps = st.lists(st.one_of(requests(), st.sampled_from(KEYS)), max_size=20)


def replay(policy, ops) -> None:
    """Admit requests (preempting whom the policy names, as the engine does) and release keys."""
    for op in ops:
        if isinstance(op, Request):
            for victim in policy.preemptable(op):
                policy.release(victim)
            policy.admit(op)
        else:
            policy.release(op)


def within_capacity(policy) -> None:
    for resource, record in policy.ledger.resources().items():
        assert record["used"] <= record["capacity"] * (1 + 1e-9) + 1e-9, resource


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(POLICIES)), steps)
def test_never_over_capacity_and_the_ledger_holds_what_the_shares_say(name, ops):
    policy = POLICIES[name]()
    for op in ops:
        replay(policy, [op])
        within_capacity(policy)
    if name != "bandwidth":  # memory is never shared: it sums the admitted routelets' shares exactly
        held = [policy.shares(claim.key) for claim in policy.ledger]
        assert policy.ledger.used(MEMORY) == sum(s.memory_bytes for s in held if s is not None)
        for claim in policy.ledger:
            shares = policy.shares(claim.key)
            assert claim.amounts.get(CPU) == (None if shares is None else shares.cpu_sustained)


def larger(spec: Spec, data) -> Spec:
    """``spec`` asking for more of everything: r, b, p, M, R up, m down (more packets), S down."""
    grow = lambda: data.draw(st.floats(1.0, 4.0))
    rate = spec.rate * grow()
    big_m = data.draw(st.integers(spec.max_packet, 1500))
    rspec = max(spec.rspec_rate * grow(), rate)
    slack = math.inf if spec.slack == math.inf else spec.slack / grow()
    return Spec(rate, spec.bucket * grow(), max(spec.peak * grow(), rate), data.draw(st.integers(0, spec.min_unit)),
                big_m, rate if spec.slack == math.inf else rspec, slack)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(POLICIES)), steps, requests(st.just("new")), st.data())
def test_a_larger_request_is_never_admitted_where_a_smaller_one_is_refused(name, ops, small, data):
    """For what it costs (bandwidth, CPU, memory; error 1/2).  A delay-bound refusal (1/1) is not
    monotonic in R: a larger Guaranteed rate adds less delay at this hop (RFC 2212 error terms), which
    is why a receiver raises R to meet a bound."""
    policy = POLICIES[name]()
    replay(policy, ops)
    refused = policy.admit(small)
    if refused is None or (refused.error_code, refused.error_value) == (1, 1):
        return
    spec = larger(small.spec, data)
    big = Request(small.key, small.interface, spec.bandwidth_bps, small.setup_priority, small.hold_priority,
                  small.share_key, spec)
    assert policy.admit(big) is not None


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(POLICIES)), steps, requests(st.just("new")))
def test_preemption_takes_the_lowest_priority_first(name, ops, request):
    policy = POLICIES[name]()
    replay(policy, ops)
    victims = policy.preemptable(request)
    if not victims:
        return
    hold = {claim.key: claim.hold_priority for claim in policy.ledger}
    assert all(hold[v] > request.setup_priority for v in victims)
    assert [hold[v] for v in victims] == sorted((hold[v] for v in victims), reverse=True)
    # the strongest level it reaches into was needed: every holder weaker than that together is not enough
    strongest = min(hold[v] for v in victims)
    weaker = [key for key, priority in hold.items() if priority > strongest]
    claim = policy._claim(request)
    assert policy.ledger.shortfall(claim, weaker)
    for victim in victims:
        policy.release(victim)
    assert policy.admit(request) is None


def used(policy) -> dict[str, float]:
    return {resource: record["used"] for resource, record in policy.ledger.resources().items()}


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(POLICIES)), steps, requests(st.just("new")))
def test_admit_then_release_leaves_the_ledger_as_it_was(name, ops, request):
    """Claims, shares, reservations and every resource's use come back exactly."""
    policy = POLICIES[name]()
    replay(policy, ops)
    before, claims = used(policy), sorted(map(repr, policy.ledger))
    snapshot = policy.snapshot() if name != "bandwidth" else None
    if policy.admit(request) is None:
        if name != "bandwidth":
            assert policy.shares(request.key) == policy.shares_for(request.spec, policy.interfaces[request.interface],
                                                                   request.bandwidth_bps)
        policy.release(request.key)
    assert sorted(map(repr, policy.ledger)) == claims
    assert used(policy) == before
    if name != "bandwidth":
        after = policy.snapshot()
        assert after["reservations"] == snapshot["reservations"] and after["memory"] == snapshot["memory"]
        assert policy.shares(request.key) is None


def test_admit_then_release_restores_used_bit_for_bit():
    policy = BandwidthAdmission(IFS)
    policy.admit(Request("a", "e0", 159992.0))
    policy.admit(Request("new", "e0", 8228618.696038929))
    policy.release("new")
    assert policy.ledger.used("bandwidth:e0") == 159992.0


def test_a_tied_se_group_is_preempted_before_a_stronger_holder():
    policy = BandwidthAdmission(IFS)
    for key, share_key, hold in (("a", "s", 7), ("b", "s", 7), ("c", None, 3)):
        assert policy.admit(Request(key, "e1", 20e6, 7, hold, share_key)) is None
    assert policy.preemptable(Request("new", "e1", 25e6, 0, 0)) == ["a", "b"]
