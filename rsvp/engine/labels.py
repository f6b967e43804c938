"""A node's label space for downstream-on-demand allocation (RFC 3209 section 4.1.1.1)."""

from __future__ import annotations


class LabelsExhausted(Exception):
    """No free label: the Resv is answered with PathErr 24/9 "MPLS label allocation failure"."""


class LabelSpace:
    """Labels ``low``..``high``; freed labels are reused last-in first-out, new ones handed out in order.

    Which labels are in use is one bit per label of the range (128 KiB for the
    whole 20-bit space, whatever the number of LSPs), not a set entry per LSP.
    """

    def __init__(self, low: int, high: int) -> None:
        if not 16 <= low <= high < 1 << 20:
            raise ValueError(f"label range {low}..{high} is not within 16..1048575 (RFC 3032)")
        self._next, self._high = low, high
        self._free: list[int] = []
        self._used = bytearray((high >> 3) + 1)
        self.count = 0  # labels in use

    def allocate(self) -> int:
        if self._free:
            label = self._free.pop()
        elif self._next <= self._high:
            label, self._next = self._next, self._next + 1
        else:
            raise LabelsExhausted(f"all labels up to {self._high} are in use")
        self._used[label >> 3] |= 1 << (label & 7)
        self.count += 1
        return label

    def release(self, label: int) -> None:
        bit = 1 << (label & 7)
        if not self._used[label >> 3] & bit:
            raise KeyError(f"label {label} is not in use")
        self._used[label >> 3] &= ~bit
        self.count -= 1
        self._free.append(label)

    @property
    def in_use(self) -> frozenset[int]:
        """The labels in use (a scan of the range: for checks and tests, not for the fast path)."""
        return frozenset(label for label in range(self._next) if self._used[label >> 3] & 1 << (label & 7))
