"""A node's label space for downstream-on-demand allocation (RFC 3209 section 4.1.1.1)."""

from __future__ import annotations


class LabelsExhausted(Exception):
    """No free label: the Resv is answered with PathErr 24/9 "MPLS label allocation failure"."""


class LabelSpace:
    """Labels ``low``..``high``; freed labels are reused last-in first-out, new ones handed out in order."""

    def __init__(self, low: int, high: int) -> None:
        if not 16 <= low <= high < 1 << 20:
            raise ValueError(f"label range {low}..{high} is not within 16..1048575 (RFC 3032)")
        self._next, self._high = low, high
        self._free: list[int] = []
        self.in_use: set[int] = set()

    def allocate(self) -> int:
        if self._free:
            label = self._free.pop()
        elif self._next <= self._high:
            label, self._next = self._next, self._next + 1
        else:
            raise LabelsExhausted(f"all labels up to {self._high} are in use")
        self.in_use.add(label)
        return label

    def release(self, label: int) -> None:
        self.in_use.remove(label)
        self._free.append(label)
