"""Overload protection: token buckets, receive budgets, pacing, state limits (numbers worked by hand)."""

from __future__ import annotations

import pytest

from conformance import vectors
from rsvp.engine import budget as b
from rsvp.engine.budget import (
    Pacer,
    Rate,
    ReceiveBudget,
    StateLimits,
    TokenBucket,
    classify,
)


def test_token_bucket_arithmetic():
    bucket = TokenBucket(Rate(10.0, 5.0), now=0.0)  # 10 tokens/s, at most 5
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.level(0.05) == pytest.approx(0.5) and not bucket.take(0.05)
    assert bucket.ready_at() == pytest.approx(0.10)  # 0.5 missing at 10/s
    assert bucket.take(0.1) and bucket.level(0.1) == pytest.approx(0.0)
    assert bucket.level(0.35) == pytest.approx(2.5)
    assert bucket.level(0.30) == pytest.approx(2.5)  # time running backwards adds nothing
    assert bucket.level(100.0) == 5.0  # capped at the burst
    assert not bucket.take(100.0, keep=4.5)  # 5 - 1 = 4 would be under 4.5
    assert bucket.take(100.0, keep=4.0) and bucket.tokens == 4.0
    with pytest.raises(ValueError):
        Rate(0.0, 1.0)
    with pytest.raises(ValueError):
        Rate(1.0, 0.5)


def test_classify_from_the_type_byte():
    path = vectors.msg(vectors.PATH, vectors.session4(vectors.TAIL))
    assert classify(path, recognised=True) == b.REFRESH
    assert classify(path, recognised=False) == b.TRIGGER  # new state, or a full refresh after a NACK
    for msg_type in (vectors.PATH_TEAR, vectors.RESV_ERR, vectors.ACK, vectors.HELLO, 12, 25, 26):
        assert classify(bytes([0x10, msg_type]) + bytes(6), recognised=True) == b.TRIGGER, msg_type
    assert classify(bytes([0x10, vectors.SREFRESH]) + bytes(6), recognised=False) == b.REFRESH
    assert classify(b"", recognised=True) == b.TRIGGER


def test_triggers_spend_the_reserve_refreshes_do_not():
    """Burst 4 with half reserved: refreshes stop at 2 tokens left, triggers go down to 0."""
    budget = ReceiveBudget(Rate(1.0, 4.0), Rate(100.0, 100.0), reserve=0.5)

    def take(kind: str, now: float = 0.0) -> bool:
        return budget.admit(kind, "n1", "if0", now)

    assert [take(b.REFRESH) for _ in range(3)] == [True, True, False]
    assert [take(b.TRIGGER) for _ in range(3)] == [True, True, False]
    assert not take(b.REFRESH, 1.0) and take(b.TRIGGER, 1.0)  # one token back after 1 s: triggers only
    assert take(b.REFRESH, 4.0)  # 3 tokens at t = 4: a refresh leaves 2
    assert budget.snapshot() == {"admitted_refresh": 3, "admitted_trigger": 3, "shed_refresh_interface": 2,
                                 "shed_trigger_interface": 1, "neighbors_tracked": 1}


def test_flooding_neighbor_does_not_starve_the_others():
    budget = ReceiveBudget(Rate(1000.0, 1000.0), Rate(10.0, 10.0), neighbors={"friend": Rate(10.0, 20.0)})
    flooded = sum(budget.admit(b.TRIGGER, "flooder", "if0", 0.0) for _ in range(500))
    assert flooded == 10
    assert all(budget.admit(b.TRIGGER, "quiet", "if0", 0.0) for _ in range(10))
    assert sum(budget.admit(b.TRIGGER, "friend", "if0", 0.0) for _ in range(30)) == 20  # its own override
    assert budget.snapshot()["shed_trigger_neighbor"] == 490 + 10


def test_interface_budget_caps_the_sum_and_overrides_apply():
    budget = ReceiveBudget(Rate(5.0, 5.0), Rate(100.0, 100.0), reserve=0.0, interfaces={"big": Rate(50.0, 50.0)})
    assert sum(budget.admit(b.REFRESH, f"n{k}", "if0", 0.0) for k in range(20)) == 5
    assert sum(budget.admit(b.REFRESH, f"n{k}", "big", 0.0) for k in range(100)) == 50


def test_neighbor_table_forgets_idle_buckets():
    budget = ReceiveBudget(Rate(1e6, 1e6), Rate(1.0, 2.0))
    for k in range(200):  # 200 spoofed sources, each seen once: none full yet, all kept
        budget.admit(b.TRIGGER, f"spoof{k}", "if0", 0.0)
    assert budget.snapshot()["neighbors_tracked"] == 200
    for k in range(200):  # 10 s later those are full again and go when the table next doubles (at 256)
        budget.admit(b.TRIGGER, f"late{k}", "if0", 10.0)
    assert budget.snapshot()["neighbors_tracked"] == 200  # not 400


def test_pacing_rate_and_order():
    pacer = Pacer(Rate(2.0, 1.0), queue_limit=10)  # 2 messages/s, bursts of 1
    assert pacer.next_deadline() is None
    queued = [("refresh", b.PRIORITY_REFRESH), ("path", b.PRIORITY_TRIGGER), ("tear", b.PRIORITY_TEAR_ERROR),
              ("hello", b.PRIORITY_HELLO_ACK), ("path2", b.PRIORITY_TRIGGER)]
    for name, priority in queued:
        assert pacer.enqueue(name, "if0", 0.0, priority)
    pacer.enqueue("other", "if1", 0.0)
    assert pacer.due(0.0) == [("if0", "hello"), ("if1", "other")]
    assert pacer.next_deadline() == pytest.approx(0.5)
    assert pacer.due(0.4) == []
    released = [pacer.due(t) for t in (0.5, 1.0, 1.5, 2.0, 2.5)]
    assert released == [[("if0", "tear")], [("if0", "path")], [("if0", "path2")], [("if0", "refresh")], []]
    assert pacer.next_deadline() is None
    assert pacer.snapshot() == {"sent": 6, "queued": 0}


def test_pacing_after_idle_allows_a_burst():
    pacer = Pacer(Rate(10.0, 3.0))
    for k in range(5):
        pacer.enqueue(k, "if0", 0.0)
    assert [item for _, item in pacer.due(0.0)] == [0, 1, 2]
    assert pacer.next_deadline() == pytest.approx(0.1)
    assert [item for _, item in pacer.due(0.2)] == [3, 4]


def test_full_queue_evicts_refreshes_for_urgent_items():
    pacer = Pacer(Rate(1.0, 1.0), queue_limit=3)
    for name in ("r1", "r2"):
        pacer.enqueue(name, "if0", 0.0, b.PRIORITY_REFRESH)
    pacer.enqueue("t1", "if0", 0.0, b.PRIORITY_TRIGGER)
    assert not pacer.enqueue("r3", "if0", 0.0, b.PRIORITY_REFRESH)  # nothing less urgent to evict
    assert pacer.enqueue("e1", "if0", 0.0, b.PRIORITY_TEAR_ERROR)  # evicts r2, the newest refresh
    assert pacer.enqueue("h1", "if0", 0.0, b.PRIORITY_HELLO_ACK)  # evicts r1
    assert pacer.enqueue("h2", "if0", 0.0, b.PRIORITY_HELLO_ACK)  # evicts t1
    assert pacer.enqueue("h3", "if0", 0.0, b.PRIORITY_HELLO_ACK)  # evicts e1
    assert not pacer.enqueue("h4", "if0", 0.0, b.PRIORITY_HELLO_ACK)  # all as urgent: refused
    assert [item for t in (0, 1, 2, 3) for _, item in pacer.due(t)] == ["h1", "h2", "h3"]
    assert pacer.snapshot() == {"refused": 2, "evicted": 4, "sent": 3, "queued": 0}


def test_state_limits():
    limits = StateLimits(max_total=3, max_per_neighbor=2)
    assert limits.allow_new("a") is None
    limits.added("a")
    limits.added("a")
    over_share = limits.allow_new("a")
    assert (over_share.error_code, over_share.error_value) == (2, 4)  # Policy Control failure, quota (RFC 2750)
    assert limits.allow_new("b") is None
    limits.added("b")
    over_total = limits.allow_new("c")
    assert (over_total.error_code, over_total.error_value) == (1, 2)  # Admission Control failure (RFC 2205 B)
    limits.removed("a")
    assert limits.allow_new("a") is None and limits.count("a") == 1 and limits.total == 2
    limits.removed("b")
    assert limits.count("b") == 0
    with pytest.raises(ValueError):
        limits.removed("b")
    assert StateLimits().allow_new("anyone") is None
