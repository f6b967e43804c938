"""The label space: downstream-on-demand allocation from a range, tracked in a bitmap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rsvp.engine.labels import LabelsExhausted, LabelSpace


def test_allocation_order_reuse_and_exhaustion() -> None:
    space = LabelSpace(16, 19)
    assert [space.allocate() for _ in range(4)] == [16, 17, 18, 19]
    with pytest.raises(LabelsExhausted):
        space.allocate()
    space.release(17)
    space.release(18)
    assert space.allocate() == 18 and space.allocate() == 17  # last freed, first reused
    with pytest.raises(KeyError):
        LabelSpace(16, 100).release(20)  # never allocated
    with pytest.raises(ValueError):
        LabelSpace(15, 100)  # 0-15 are reserved (RFC 3032)


@given(st.lists(st.booleans(), max_size=200))
def test_in_use_and_count_follow_allocations(steps: list[bool]) -> None:
    space, held = LabelSpace(16, (1 << 20) - 1), []
    for allocate in steps:
        if allocate or not held:
            held.append(space.allocate())
        else:
            space.release(held.pop(len(held) // 2))
        assert space.count == len(held)
    assert space.in_use == frozenset(held) and len(set(held)) == len(held)
