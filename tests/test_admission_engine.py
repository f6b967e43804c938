"""The engine's built-in bandwidth policy (shared SE groups, resizing, release)."""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from rsvp.engine import BandwidthPolicy, Interface, Request

IF = (Interface("e0", IPv4Address("10.0.0.1"), 100e6, max_reservable=0.5),)


def test_capacity_is_the_reservable_fraction():
    policy = BandwidthPolicy(IF)
    assert policy.admit(Request("a", "e0", 30e6)) is None
    rejected = policy.admit(Request("b", "e0", 30e6))
    assert (rejected.error_code, rejected.error_value) == (1, 2) and "20000000 b/s free" in rejected.reason
    policy.release("a")
    assert policy.admit(Request("b", "e0", 30e6)) is None and policy.reserved_bps("e0") == 30e6


def test_shared_explicit_reservations_count_once_at_their_largest():
    policy = BandwidthPolicy(IF)
    assert policy.admit(Request("old", "e0", 40e6, share_key="s")) is None
    assert policy.admit(Request("new", "e0", 45e6, share_key="s")) is None  # make-before-break fits
    assert policy.reserved_bps("e0") == 45e6
    policy.release("new")
    assert policy.reserved_bps("e0") == 40e6


def test_a_rejected_resize_keeps_the_old_reservation():
    policy = BandwidthPolicy(IF)
    policy.admit(Request("a", "e0", 10e6))
    assert policy.admit(Request("a", "e0", 60e6)) is not None
    assert policy.reserved_bps("e0") == 10e6


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from([None, "s", "t"]),
                          st.integers(0, 30), st.booleans()), max_size=40))
def test_incremental_accounting_matches_a_recount(steps):
    policy = BandwidthPolicy(IF)
    for key, share, mbps, release in steps:
        if release:
            policy.release(key)
        else:
            policy.admit(Request(key, "e0", mbps * 1e6, share_key=share))
        groups: dict = {}
        own = 0.0
        for request in policy._held.values():
            if request.share_key is None:
                own += request.bandwidth_bps
            else:
                groups[request.share_key] = max(groups.get(request.share_key, 0.0), request.bandwidth_bps)
        assert abs(policy.reserved_bps("e0") - (own + sum(groups.values()))) < 1e-3
        assert policy.reserved_bps("e0") <= 50e6 + 1e-3


def test_preemption_candidates_lowest_priority_first_and_only_if_enough():
    policy = BandwidthPolicy(IF)
    policy.admit(Request("p4", "e0", 20e6, 4, 4))
    policy.admit(Request("p6", "e0", 20e6, 6, 6))
    policy.admit(Request("p1", "e0", 10e6, 1, 1))
    assert policy.preemptable(Request("new", "e0", 15e6, 3, 3)) == ["p6"]
    assert policy.preemptable(Request("new", "e0", 35e6, 3, 3)) == ["p6", "p4"]
    assert policy.preemptable(Request("new", "e0", 45e6, 3, 3)) == []  # p1 holds at a higher priority
    assert policy.preemptable(Request("new", "e0", 15e6, 7, 7)) == []
    assert policy.reserved_bps("e0") == 50e6  # asking changed nothing
