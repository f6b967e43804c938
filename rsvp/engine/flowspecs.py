"""Int-serv flowspecs as the merging rules see them: a partial order with LUB and GLB.

RSVP merges reservation requests by "largest flowspec" (RFC 2205 section
2.2), but Int-serv flowspecs are only partially ordered, so merging takes the
least upper bound (LUB) and, for blockaded requests, the greatest lower bound
(GLB) (RFC 2205 section 3.5, RFC 2209 "RESV REFRESH").  The order comes from
the services (RFC 2210 section 3, RFC 2211 and RFC 2212 "Ordering and
Merging"):

* Token bucket TSpec: A >= B when r, b, p and M of A are each >= those of B
  and m of A is <= that of B.  LUB: largest r, b, p, M and smallest m; GLB
  the other way round.
* Guaranteed RSpec: A >= B when R is >= and the slack term S is <=.  LUB:
  largest R, smallest S.

A Controlled-Load request is treated as a Guaranteed request with R = r and
an infinite slack term, which puts both services in one order: a Guaranteed
request can cover a Controlled-Load one, never the reverse, and the LUB of a
mix is Guaranteed (our choice for merging a mix, which no RFC rules out; the
GLB of a mix is Controlled-Load).

All rates are bytes per second and sizes bytes, as on the wire (RFC 2210).
Values are kept as float32, the wire precision, so that a request made
locally compares equal to the same request after a trip through the codec.
"""

from __future__ import annotations

import math
import struct
from typing import NamedTuple

from rsvp.wire.objects import intserv

CONTROLLED_LOAD = intserv.Service.CONTROLLED_LOAD
GUARANTEED = intserv.Service.GUARANTEED
TC_ERROR = 21  # Traffic Control error (RFC 2205 appendix B)
SERVICE_UNSUPPORTED = 2  # 21/2
BAD_FLOWSPEC = 3  # 21/3

_F32 = struct.Struct(">f")


def f32(value: float) -> float:
    """``value`` rounded to IEEE single precision (the Int-serv wire format)."""
    return _F32.unpack(_F32.pack(value))[0]


class Spec(NamedTuple):
    """One flowspec.  ``slack`` is math.inf for Controlled-Load, where ``rspec_rate`` equals ``rate``."""

    rate: float  # r
    bucket: float  # b
    peak: float  # p
    min_unit: int  # m
    max_packet: int  # M
    rspec_rate: float  # R
    slack: float  # S, microseconds

    @property
    def service(self) -> int:
        return CONTROLLED_LOAD if self.slack == math.inf else GUARANTEED

    @property
    def bandwidth_bps(self) -> float:
        """What admission control is asked for: R for Guaranteed, r for Controlled-Load, in bits/s."""
        return max(self.rate, self.rspec_rate) * 8

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {
            "service": "guaranteed" if self.service == GUARANTEED else "controlled-load",
            "rate_bps": self.rate * 8, "bucket_bytes": self.bucket,
            "peak_bps": None if self.peak == math.inf else self.peak * 8,
            "min_policed_unit": self.min_unit, "max_packet_size": self.max_packet,
        }
        if self.service == GUARANTEED:
            out["rspec_rate_bps"], out["slack_us"] = self.rspec_rate * 8, int(self.slack)
        return out


class BadFlowspec(Exception):
    """A FLOWSPEC the merging rules cannot use; carries the 21/x ERROR_SPEC value to answer with."""

    def __init__(self, value: int, reason: str) -> None:
        super().__init__(reason)
        self.value = value


def controlled_load(bucket: intserv.TokenBucket) -> Spec:
    return Spec(f32(bucket.rate), f32(bucket.bucket_size), f32(bucket.peak_rate), bucket.min_policed_unit,
                bucket.max_packet_size, f32(bucket.rate), math.inf)


def guaranteed(bucket: intserv.TokenBucket, rspec: intserv.GuaranteedRSpec) -> Spec:
    return Spec(f32(bucket.rate), f32(bucket.bucket_size), f32(bucket.peak_rate), bucket.min_policed_unit,
                bucket.max_packet_size, f32(rspec.rate), rspec.slack_term)


def from_flowspec(flowspec: object) -> Spec:
    """Read a FLOWSPEC object; :class:`BadFlowspec` if it is not a usable CL or Guaranteed request."""
    if not isinstance(flowspec, intserv.FlowSpec) or not flowspec.services:
        raise BadFlowspec(SERVICE_UNSUPPORTED, "FLOWSPEC is not an Int-serv flowspec")
    data = flowspec.services[0]
    bucket = data.parameter(intserv.ParameterId.TOKEN_BUCKET_TSPEC)
    if data.service not in (CONTROLLED_LOAD, GUARANTEED):
        raise BadFlowspec(SERVICE_UNSUPPORTED, f"service {data.service} is not supported")
    if not isinstance(bucket, intserv.TokenBucket) or not _sane(bucket):
        raise BadFlowspec(BAD_FLOWSPEC, "FLOWSPEC without a usable token bucket")
    if data.service == CONTROLLED_LOAD:
        return controlled_load(bucket)
    rspec = data.parameter(intserv.ParameterId.GUARANTEED_RSPEC)
    if not isinstance(rspec, intserv.GuaranteedRSpec) or not rspec.rate >= bucket.rate:
        raise BadFlowspec(BAD_FLOWSPEC, "Guaranteed FLOWSPEC without an RSpec rate R >= r (RFC 2212)")
    return guaranteed(bucket, rspec)


def _sane(bucket: intserv.TokenBucket) -> bool:
    return all(v >= 0 and v == v for v in (bucket.rate, bucket.bucket_size, bucket.peak_rate)) \
        and bucket.rate != math.inf


def to_flowspec(spec: Spec) -> intserv.FlowSpec:
    bucket = intserv.TokenBucket(spec.rate, spec.bucket, spec.peak, spec.min_unit, spec.max_packet)
    if spec.service == CONTROLLED_LOAD:
        return intserv.FlowSpec.controlled_load(bucket)
    return intserv.FlowSpec.guaranteed(bucket, intserv.GuaranteedRSpec(spec.rspec_rate, int(spec.slack)))


def covers(a: Spec, b: Spec) -> bool:
    """A >= B: A asks for at least everything B asks for."""
    return (a.rate >= b.rate and a.bucket >= b.bucket and a.peak >= b.peak and a.max_packet >= b.max_packet
            and a.min_unit <= b.min_unit and a.rspec_rate >= b.rspec_rate and a.slack <= b.slack)


def strictly_greater(a: Spec, b: Spec) -> bool:
    return a != b and covers(a, b)


def lub(a: Spec, b: Spec) -> Spec:
    return Spec(max(a.rate, b.rate), max(a.bucket, b.bucket), max(a.peak, b.peak), min(a.min_unit, b.min_unit),
                max(a.max_packet, b.max_packet), max(a.rspec_rate, b.rspec_rate), min(a.slack, b.slack))


def glb(a: Spec, b: Spec) -> Spec:
    rate = min(a.rate, b.rate)
    slack = max(a.slack, b.slack)
    return Spec(rate, min(a.bucket, b.bucket), min(a.peak, b.peak), max(a.min_unit, b.min_unit),
                min(a.max_packet, b.max_packet), rate if slack == math.inf else min(a.rspec_rate, b.rspec_rate),
                slack)


def lub_all(specs: list[Spec]) -> Spec:
    merged = specs[0]
    for spec in specs[1:]:
        merged = lub(merged, spec)
    return merged


def glb_all(specs: list[Spec]) -> Spec:
    merged = specs[0]
    for spec in specs[1:]:
        merged = glb(merged, spec)
    return merged
