"""Int-serv arithmetic on one request: TSpec/RSpec validation and the Guaranteed delay bound.

A request is an :class:`rsvp.engine.flowspecs.Spec` (token bucket r, b, p, m,
M and RSpec R, S; bytes/s, bytes and microseconds as on the wire, RFC 2210;
``slack`` math.inf marks Controlled-Load, RFC 2211).

Validation (:func:`check`) answers with the RFC 2205 appendix B ERROR_SPEC:

* 21/4 Bad Tspec value: r or b not positive and finite, p < r (RFC 2212
  "TSpec and RSpec": "p MUST be greater than or equal to ... r"), m > M or
  M = 0 (RFC 2215 section 5 "TOKEN_BUCKET_TSPEC").  RFC 2215 also asks m > 0,
  but RSVP-TE heads commonly send m = 0 (this project's engine does); m = 0 is
  accepted and read as "unknown" by the policies, which put a floor under it.
* 21/3 Bad Flowspec value: a Guaranteed RSpec with R < r, or R not positive
  and finite (RFC 2212: "R MUST be greater than or equal to r").
* 21/2 Service unsupported: the service is not among those the policy offers.
* 1/3 MTU in flowspec larger than interface MTU: M above the link MTU (RFC
  2211 and RFC 2212 "the flow MUST be rejected if ... M is larger than the MTU
  of the link").

The delay bound is RFC 2212 "End-to-End Behavior" with the ADSPEC totals
Ctot (bytes) and Dtot (microseconds)::

    p > R >= r:   (b - M)/R * (p - R)/(p - r) + (M + Ctot)/R + Dtot
    R >= p >= r:  (M + Ctot)/R + Dtot

(with p = infinity the first becomes (b + Ctot)/R + Dtot).  A node whose own
error terms grow beyond what it exported spends RSpec slack S (RFC 2212
"Ordering and Merging": Rout = Rin, Sout = Sin - s); :func:`slack_needed`
gives that s.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection

from rsvp.engine.admission import ADMISSION_FAILURE, Rejected
from rsvp.engine.flowspecs import BAD_FLOWSPEC, CONTROLLED_LOAD, GUARANTEED, SERVICE_UNSUPPORTED, TC_ERROR, Spec

BAD_TSPEC = 4  # 21/4, RFC 2205 appendix B
DELAY_BOUND = 1  # 1/1 "Delay bound cannot be met"
MTU_TOO_BIG = 3  # 1/3 "MTU in flowspec larger than interface MTU"
SERVICES = frozenset({CONTROLLED_LOAD, GUARANTEED})


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorTerms:
    """RFC 2212 "Exported Information": C in bytes (rate-dependent) and D in microseconds."""

    c_bytes: float = 0.0
    d_us: float = 0.0


def _finite_positive(value: float) -> bool:
    return 0 < value < math.inf


def check(spec: Spec, mtu_bytes: int, services: Collection[int] = SERVICES) -> Rejected | None:
    """The ERROR_SPEC (code, value) a request deserves before any resource is counted, or None."""
    if spec.service not in services:
        return Rejected(TC_ERROR, SERVICE_UNSUPPORTED, f"service {spec.service} is not offered here")
    if not (_finite_positive(spec.rate) and _finite_positive(spec.bucket)):
        return Rejected(TC_ERROR, BAD_TSPEC, f"token bucket r={spec.rate} b={spec.bucket} must be positive")
    if not spec.peak >= spec.rate:  # also refuses NaN
        return Rejected(TC_ERROR, BAD_TSPEC, f"peak rate p={spec.peak} below token rate r={spec.rate}")
    if spec.max_packet == 0 or spec.min_unit > spec.max_packet:
        return Rejected(TC_ERROR, BAD_TSPEC, f"policed units m={spec.min_unit} M={spec.max_packet}: need 0 < M, m <= M")
    if spec.service == GUARANTEED and not (_finite_positive(spec.rspec_rate) and spec.rspec_rate >= spec.rate):
        return Rejected(TC_ERROR, BAD_FLOWSPEC, f"RSpec rate R={spec.rspec_rate} below token rate r={spec.rate}")
    if spec.max_packet > mtu_bytes:
        return Rejected(ADMISSION_FAILURE, MTU_TOO_BIG, f"M={spec.max_packet} exceeds the link MTU {mtu_bytes}")
    return None


def delay_bound_us(spec: Spec, totals: ErrorTerms) -> float:
    """RFC 2212 end-to-end queueing delay bound (microseconds) of a Guaranteed request."""
    r, b, p, big_m, rate = spec.rate, spec.bucket, spec.peak, spec.max_packet, spec.rspec_rate
    tail = (big_m + totals.c_bytes) / rate * 1e6 + totals.d_us
    if p <= rate:
        return tail
    burst = (b - big_m) / rate if p == math.inf else (b - big_m) / rate * (p - rate) / (p - r)
    return burst * 1e6 + tail


def slack_needed(spec: Spec, actual: ErrorTerms, exported: ErrorTerms) -> float:
    """Slack (microseconds) a node spends when its real error terms exceed the exported ones: how
    much the bound grows, (C_actual - C_exported)/R + (D_actual - D_exported), never below 0."""
    return max(0.0, delay_bound_us(spec, actual) - delay_bound_us(spec, exported))
