"""The receive-path guards of a node, run on raw bytes before any state is touched.

Theory of operation: a datagram is first classified as a trigger or a refresh
(:func:`~rsvp.engine.budget.classify`, refreshes recognised by the node from
their bytes), then charged to its interface's and neighbour's receive budgets
(refreshes are shed first), then its INTEGRITY is verified (RFC 2747 section
4.2: keyed digest and replay window).  Integrity Challenges are answered and
Responses consumed here (RFC 3097).  Every drop is counted in the node's
counters under ``drop: ...``; nothing is decoded until the datagram passes.
"""

from __future__ import annotations

import collections
from ipaddress import IPv4Address

from .budget import ReceiveBudget, classify
from .integrity import RESYNCHRONISED, IntegrityGuard


class Inbox:
    def __init__(self, counters: collections.Counter[str], budget: ReceiveBudget | None,
                 guard: IntegrityGuard | None) -> None:
        self.counters = counters
        self.budget = budget
        self.guard = guard

    def admit(self, data: bytes, recognised: bool, interface: str, source: IPv4Address,
              now: float) -> tuple[bool, bytes | None]:
        """Whether to process ``data``; and a reply to send back to ``source`` as is (a Challenge or
        Response of the integrity handshake), or None."""
        if self.budget is not None:
            kind = classify(data, recognised)
            if not self.budget.admit(kind, source, interface, now):
                self.counters[f"drop: receive budget exceeded ({kind})"] += 1
                return False, None
        if self.guard is None:
            return True, None
        verdict = self.guard.verify(data, interface, source, now)
        if not verdict.ok:
            if verdict.reason != RESYNCHRONISED:
                self.counters[f"drop: integrity {verdict.reason}"] += 1
            return False, verdict.reply
        return True, None
