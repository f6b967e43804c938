"""Int-serv arithmetic (admission.intserv) and the routelet shares' scheduler knobs (admission.shares).

Expected numbers are worked by hand from RFC 2212 "End-to-End Behavior" and
from the formulas in the docstrings, not from the code under test.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admission.intserv import ErrorTerms, check, delay_bound_us, slack_needed
from admission.shares import Shares
from rsvp.engine.flowspecs import CONTROLLED_LOAD, Spec

INF = math.inf


def cl(r=1000.0, b=5000.0, p=INF, m=64, big_m=1500) -> Spec:
    return Spec(r, b, p, m, big_m, r, INF)


def gs(r=1000.0, b=5000.0, p=10000.0, m=64, big_m=500, rate=2000.0, slack=0) -> Spec:
    return Spec(r, b, p, m, big_m, rate, slack)


@pytest.mark.parametrize(("spec", "code"), [
    (cl(r=0.0), (21, 4)),  # r must be positive (RFC 2215)
    (cl(b=0.0), (21, 4)),  # b must be positive
    (cl(r=INF), (21, 4)),
    (cl(r=math.nan), (21, 4)),
    (cl(r=1000.0, p=999.0), (21, 4)),  # p >= r (RFC 2212)
    (cl(p=math.nan), (21, 4)),
    (cl(m=1600, big_m=1500), (21, 4)),  # m <= M
    (cl(m=0, big_m=0), (21, 4)),  # M positive
    (gs(r=1000.0, rate=999.0), (21, 3)),  # R >= r (RFC 2212 RSpec)
    (gs(rate=INF), (21, 3)),
    (cl(big_m=9000), (1, 3)),  # M above the link MTU (RFC 2205 appendix B 1/3)
])
def test_bad_requests_get_their_rfc_error(spec, code):
    rejected = check(spec, mtu_bytes=1500)
    assert rejected is not None and (rejected.error_code, rejected.error_value) == code


def test_a_service_not_offered_is_21_2_and_good_requests_pass():
    assert (check(gs(), 1500, services={CONTROLLED_LOAD}).error_code,
            check(gs(), 1500, services={CONTROLLED_LOAD}).error_value) == (21, 2)
    assert check(gs(), 1500) is None
    assert check(cl(m=0), 1500) is None  # RSVP-TE heads send m = 0: accepted as "unknown"
    assert check(cl(big_m=1500), 1500) is None  # M equal to the MTU is fine


def test_delay_bound_when_the_peak_exceeds_the_reserved_rate():
    # p > R >= r: (b-M)/R*(p-R)/(p-r) + (M+Ctot)/R + Dtot
    # (5000-500)/2000 * (10000-2000)/(10000-1000) = 2.25 * 8/9 = 2.0 s; (500+1000)/2000 = 0.75 s; + 2 ms
    spec = gs(r=1000.0, b=5000.0, p=10000.0, big_m=500, rate=2000.0)
    assert delay_bound_us(spec, ErrorTerms(1000, 2000)) == pytest.approx(2_752_000)


def test_delay_bound_when_the_reserved_rate_covers_the_peak():
    # R >= p >= r: (M+Ctot)/R + Dtot = (500+1000)/2000 s + 2000 us
    spec = gs(r=1000.0, b=5000.0, p=1500.0, big_m=500, rate=2000.0)
    assert delay_bound_us(spec, ErrorTerms(1000, 2000)) == pytest.approx(752_000)
    at_peak = gs(r=1000.0, b=5000.0, p=2000.0, big_m=500, rate=2000.0)  # R == p: both formulas agree
    assert delay_bound_us(at_peak, ErrorTerms(1000, 2000)) == pytest.approx(752_000)


def test_delay_bound_with_an_unlimited_peak():
    # p -> infinity: (p-R)/(p-r) -> 1, so (b-M)/R + (M+Ctot)/R + Dtot = 2.25 + 0.75 s + 2 ms
    spec = gs(r=1000.0, b=5000.0, p=INF, big_m=500, rate=2000.0)
    assert delay_bound_us(spec, ErrorTerms(1000, 2000)) == pytest.approx(3_002_000)


def test_slack_needed_is_the_growth_of_the_bound():
    spec = gs(rate=2000.0)
    # (1500-500)/2000 s = 500000 us, plus 3000-1000 us
    assert slack_needed(spec, ErrorTerms(1500, 3000), ErrorTerms(500, 1000)) == pytest.approx(502_000)
    assert slack_needed(spec, ErrorTerms(0, 0), ErrorTerms(500, 1000)) == 0.0


def shares(sustained: float, peak: float) -> Shares:
    return Shares(1e6, 1000, INF, 1500, sustained, peak, 2500, 10_000)


@pytest.mark.parametrize(("sustained", "weight", "v1", "v2"), [
    (0.001, 26, 102, 10),  # 25.6, 102.4, 10 rounded
    (0.0125, 320, 1280, 125),
    (0.0, 1, 2, 1),  # clamped up to each minimum, never 0
    (5.0, 65535, 262144, 10000),  # 128000, 512000, 50000 clamped down
])
def test_proportional_weights(sustained, weight, v1, v2):
    s = shares(sustained, sustained)
    assert (s.xen_weight, s.cgroup_cpu_shares, s.cgroup_cpu_weight) == (weight, v1, v2)


@pytest.mark.parametrize(("peak", "cap", "quota"), [
    (0.0123, 2, 1230),  # ceil(1.23) percent; 0.0123 * 100000 us
    (0.5, 50, 50_000),  # exact values are not rounded up past themselves
    (0.005, 1, 1000),  # quota raised to the kernel minimum 1000 us
    (0.0, 1, 1000),  # a cap of 0 would mean "uncapped" to Xen
    (2.5, 250, 250_000),  # more than one CPU
])
def test_caps_and_quotas(peak, cap, quota):
    s = shares(0.0, peak)
    assert (s.xen_cap_pct, s.cgroup_cpu_quota_us, s.cgroup_cpu_period_us) == (cap, quota, 100_000)


@given(st.floats(0, 1e3), st.floats(0, 1e3))
def test_knobs_always_within_the_schedulers_ranges(sustained, peak):
    s = shares(sustained, peak)
    assert 1 <= s.xen_weight <= 65535 and s.xen_cap_pct >= 1
    assert 2 <= s.cgroup_cpu_shares <= 262144 and 1 <= s.cgroup_cpu_weight <= 10000
    assert s.cgroup_cpu_quota_us >= 1000 and s.cgroup_cpu_quota_us >= peak * 100_000 - 1e-6


@pytest.mark.parametrize("bad", [INF, -0.1, math.nan])
def test_cpu_fractions_must_be_finite(bad):
    with pytest.raises(ValueError):
        shares(0.1, bad)
