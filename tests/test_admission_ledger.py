"""The capacity ledger (admission.ledger): accounting invariants, SE sharing, preemption trials."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admission.ledger import Claim, Ledger

CAPACITY = {"bw": 100.0, "cpu": 1.0}


def recount(ledger: Ledger, resource: str) -> float:
    """Use computed from scratch: unshared claims summed, each SE group at its largest."""
    own, groups = 0.0, {}
    for claim in ledger:
        if resource not in claim.amounts:
            continue
        if claim.share_key is None or resource == "cpu":  # only "bw" is shared in these tests
            own += claim.amounts[resource]
        else:
            groups[claim.share_key] = max(groups.get(claim.share_key, 0.0), claim.amounts[resource])
    return own + sum(groups.values())


def state(ledger: Ledger):
    return ledger.resources(), sorted((repr(c.key), repr(c)) for c in ledger)


claims = st.builds(
    Claim, key=st.sampled_from("abcdefgh"),
    amounts=st.fixed_dictionaries({"bw": st.integers(0, 60).map(float)},
                                  optional={"cpu": st.integers(0, 10).map(lambda n: n / 10)}),
    share_key=st.sampled_from([None, "s", "t"]), hold_priority=st.integers(0, 7))
steps = st.lists(st.one_of(claims, st.sampled_from("abcdefgh")), max_size=30)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_use_matches_a_recount_and_never_exceeds_capacity(ops):
    ledger = Ledger(CAPACITY, shared={"bw"})
    for op in ops:
        if isinstance(op, Claim):
            before = state(ledger)
            if ledger.add(op):
                assert state(ledger) == before  # a refused claim changes nothing
        else:
            ledger.remove(op)
        for resource, capacity in CAPACITY.items():
            assert ledger.used(resource) == pytest.approx(recount(ledger, resource), abs=1e-9)
            assert ledger.used(resource) <= capacity + 1e-9


@settings(max_examples=150, deadline=None)
@given(steps, claims)
def test_a_new_claim_released_restores_the_ledger(ops, claim):
    ledger = Ledger(CAPACITY, shared={"bw"})
    for op in ops:
        ledger.add(op) if isinstance(op, Claim) else ledger.remove(op)
    ledger.remove(claim.key)
    before = ledger.resources()
    if not ledger.add(claim):
        ledger.remove(claim.key)
    after = ledger.resources()
    for resource in CAPACITY:
        assert after[resource]["used"] == pytest.approx(before[resource]["used"], abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(steps, claims, st.integers(0, 7))
def test_preemption_is_a_trial_that_would_make_room_lowest_priority_first(ops, claim, setup):
    ledger = Ledger(CAPACITY, shared={"bw"})
    for op in ops:
        ledger.add(op) if isinstance(op, Claim) else ledger.remove(op)
    before = state(ledger)
    victims = ledger.preemption(claim, setup)
    assert state(ledger) == before  # asking changed nothing
    weaker = [c.key for c in ledger if c.hold_priority > setup and c.key != claim.key]
    if not victims:
        # either it fits as it is, or taking every weaker holder would still not be enough
        assert not ledger.shortfall(claim) or ledger.shortfall(claim, weaker)
        return
    assert set(victims) <= set(weaker) and len(set(victims)) == len(victims)
    priorities = [ledger.held(k).hold_priority for k in victims]
    assert priorities == sorted(priorities, reverse=True)  # numerically highest (weakest) first
    assert not ledger.shortfall(claim, victims)
    assert ledger.shortfall(claim)  # nobody is preempted for a claim that fits


@settings(max_examples=150, deadline=None)
@given(steps, claims, st.integers(1, 40))
def test_a_larger_claim_is_never_admitted_where_a_smaller_one_is_refused(ops, claim, more):
    ledger = Ledger(CAPACITY, shared={"bw"})
    for op in ops:
        ledger.add(op) if isinstance(op, Claim) else ledger.remove(op)
    larger = Claim(claim.key, {r: a + more for r, a in claim.amounts.items()}, claim.share_key, claim.hold_priority)
    if ledger.shortfall(claim):
        assert ledger.shortfall(larger)


def test_se_sharers_count_once_at_their_largest_on_shared_resources_only():
    ledger = Ledger({"bw": 100.0, "mem": 100.0}, shared={"bw"})
    assert not ledger.add(Claim("old", {"bw": 60.0, "mem": 40.0}, share_key="s"))
    assert not ledger.add(Claim("new", {"bw": 70.0, "mem": 40.0}, share_key="s"))  # make-before-break
    assert (ledger.used("bw"), ledger.used("mem")) == (70.0, 80.0)
    assert ledger.add(Claim("third", {"bw": 31.0})) == {"bw": pytest.approx(1.0)}
    ledger.remove("new")
    assert (ledger.used("bw"), ledger.used("mem")) == (60.0, 40.0)


def test_a_refused_resize_keeps_the_old_claim_and_a_shrink_is_always_allowed():
    ledger = Ledger({"bw": 100.0})
    ledger.add(Claim("a", {"bw": 90.0}))
    assert ledger.add(Claim("a", {"bw": 120.0})) == {"bw": pytest.approx(20.0)}
    assert ledger.held("a").amounts == {"bw": 90.0}
    over = Ledger({"bw": 50.0})
    over._capacity["bw"] = 200.0
    over.add(Claim("a", {"bw": 150.0}))
    over._capacity["bw"] = 50.0  # capacity cut below use (operator reconfiguration)
    assert not over.add(Claim("a", {"bw": 100.0}))  # shrinking never refused
    assert over.add(Claim("a", {"bw": 160.0}))  # growing is


def test_preemption_picks_from_the_weakest_level_and_only_holders_of_what_is_short():
    ledger = Ledger({"bw:e0": 100.0, "bw:e1": 100.0, "cpu": 1.0})
    ledger.add(Claim("e1-weak", {"bw:e1": 50.0, "cpu": 0.1}, hold_priority=7))
    ledger.add(Claim("p6-small", {"bw:e0": 20.0, "cpu": 0.1}, hold_priority=6))
    ledger.add(Claim("p6-big", {"bw:e0": 40.0, "cpu": 0.1}, hold_priority=6))
    ledger.add(Claim("p4", {"bw:e0": 30.0, "cpu": 0.1}, hold_priority=4))
    # 10 free on e0: 25 more needs one p6 holder, the big one first; e1-weak frees nothing on e0
    assert ledger.preemption(Claim("new", {"bw:e0": 35.0}), setup_priority=3) == ["p6-big"]
    assert ledger.preemption(Claim("new", {"bw:e0": 65.0}), setup_priority=3) == ["p6-big", "p6-small"]
    assert ledger.preemption(Claim("new", {"bw:e0": 95.0}), setup_priority=4) == []  # p4 holds at 4: too strong
    assert ledger.preemption(Claim("new", {"bw:e0": 95.0}), setup_priority=3) == ["p6-big", "p6-small", "p4"]
    # CPU is router-wide: short of CPU, the weakest holder anywhere goes first
    assert ledger.preemption(Claim("new", {"cpu": 0.65}), setup_priority=3) == ["e1-weak"]
    assert ledger.preemption(Claim("new", {"bw:e0": 5.0}), setup_priority=3) == []  # fits already


def test_within_a_level_the_largest_holder_goes_first_even_when_a_smaller_would_do():
    ledger = Ledger({"bw": 100.0}, shared={"bw"})
    ledger.add(Claim("first", {"bw": 30.0}, hold_priority=7))
    ledger.add(Claim("larger", {"bw": 40.0}, hold_priority=7))
    ledger.add(Claim("shared-small", {"bw": 20.0}, share_key="s", hold_priority=7))
    ledger.add(Claim("shared-big", {"bw": 25.0}, share_key="s", hold_priority=6))
    # 5 free; 20 more needs one holder: the largest (as the engine's BandwidthPolicy picks)
    assert ledger.used("bw") == 95.0
    assert ledger.preemption(Claim("new", {"bw": 25.0}), setup_priority=0) == ["larger"]
    # 80: both level-7 holders of their own (75 free), then shared-big, whose group drops to 20 (+5);
    # shared-small, at level 7, is passed over: alone it frees nothing while shared-big holds 25
    assert ledger.preemption(Claim("new", {"bw": 80.0}), setup_priority=0) == ["larger", "first", "shared-big"]


def test_sharers_tied_for_their_group_s_largest_are_preempted_together():
    ledger = Ledger({"bw": 50.0}, shared={"bw"})
    ledger.add(Claim("a", {"bw": 20.0}, share_key="s", hold_priority=7))
    ledger.add(Claim("b", {"bw": 20.0}, share_key="s", hold_priority=7))
    ledger.add(Claim("c", {"bw": 20.0}, hold_priority=3))
    assert ledger.preemption(Claim("new", {"bw": 25.0}), setup_priority=0) == ["a", "b"]
    # a tied sharer stronger than the request's setup priority keeps its group
    ledger.add(Claim("b", {"bw": 20.0}, share_key="s", hold_priority=2))
    assert ledger.preemption(Claim("new", {"bw": 25.0}), setup_priority=2) == ["c"]


def test_a_sharer_passed_over_is_taken_once_its_group_s_largest_is_gone():
    ledger = Ledger({"bw": 100.0}, shared={"bw"})
    ledger.add(Claim("weak", {"bw": 20.0}, share_key="s", hold_priority=7))
    ledger.add(Claim("big", {"bw": 30.0}, share_key="s", hold_priority=6))
    ledger.add(Claim("own", {"bw": 25.0}, hold_priority=6))
    ledger.add(Claim("strong", {"bw": 10.0}, hold_priority=5))
    # 35 free (the group counts 30); 65 needs 30 more: big first (+10), then weak, now its group's
    # largest (+20), rather than own at big's level or strong below it
    assert ledger.preemption(Claim("new", {"bw": 65.0}), setup_priority=4) == ["weak", "big"]


def test_used_is_exact_whatever_the_order_of_claims_and_releases():
    ledger = Ledger({"bw": 1e9})
    ledger.add(Claim("a", {"bw": 0.1}))
    ledger.add(Claim("b", {"bw": 0.2}))
    assert ledger.used("bw") == 0.30000000000000004  # the float nearest 0.1 + 0.2 exactly
    ledger.add(Claim("c", {"bw": 8228618.696038929}))
    ledger.remove("c")
    ledger.remove("a")
    assert ledger.used("bw") == 0.2
