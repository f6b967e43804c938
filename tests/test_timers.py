"""The engine's timer heap."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rsvp.engine.timers import TimerHeap


def test_rescheduled_and_cancelled_keys_never_fire_at_stale_deadlines():
    timers = TimerHeap()
    timers.schedule("k", 100)
    timers.cancel("k")
    timers.schedule("k", 200)
    assert timers.pop_due(150) == [] and timers.next_deadline() == 200
    timers = TimerHeap()
    timers.schedule("k", 100)
    timers.schedule("k", 50)
    assert timers.pop_due(60) == ["k"]
    timers.schedule("k", 300)
    assert timers.pop_due(150) == [] and timers.pop_due(300) == ["k"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["schedule", "cancel", "pop"]),
                          st.integers(0, 100)), max_size=60))
def test_heap_matches_a_dictionary_model(steps):
    timers, model = TimerHeap(), {}
    for key, op, when in steps:
        if op == "schedule":
            timers.schedule(key, when)
            model[key] = when
        elif op == "cancel":
            timers.cancel(key)
            model.pop(key, None)
        else:
            due = sorted((t, k) for k, t in model.items() if t <= when)
            assert sorted(timers.pop_due(when)) == sorted(k for _, k in due)
            for _, k in due:
                del model[k]
        assert timers.next_deadline() == (min(model.values()) if model else None)
        assert len(timers) == len(model)
