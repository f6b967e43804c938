"""Hypothesis strategies for the RFC 2205 core and Int-serv objects."""

from __future__ import annotations

from hypothesis import strategies as st

from rsvp.wire.objects import core as c
from rsvp.wire.objects import intserv as i

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u24 = st.integers(0, 0xFFFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
v4 = st.ip_addresses(v=4)
v6 = st.ip_addresses(v=6)
f32 = st.floats(width=32, allow_nan=False)
words = st.binary(max_size=24).map(lambda b: b + bytes(-len(b) % 4))

tlv = st.builds(c.IfIdTlv, u16, st.binary(max_size=12))
tlvs = st.lists(tlv, max_size=3).map(tuple)

token_bucket = st.builds(i.TokenBucket, f32, f32, f32, u32, u32)
rspec = st.builds(i.GuaranteedRSpec, f32, u32)
parameter = st.one_of(
    st.builds(i.Parameter, st.just(127), token_bucket, u8),
    st.builds(i.Parameter, st.just(130), rspec, u8),
    st.builds(i.Parameter, st.sampled_from([4, 8, 10, 133, 134, 135, 136]), u32, u8),
    st.builds(i.Parameter, st.just(6), f32, u8),
    st.builds(i.Parameter, st.integers(0, 255).filter(lambda p: p not in (4, 6, 8, 10, 127, 130, 133, 134, 135, 136)), words, u8),
)
service = st.builds(i.ServiceData, u8, st.lists(parameter, max_size=4).map(tuple), u8)
services = st.lists(service, max_size=3).map(tuple)

STRATEGIES = {
    c.NullObject: st.builds(c.NullObject, u8, words),
    c.SessionIPv4: st.builds(c.SessionIPv4, v4, u8, u8, u16),
    c.SessionIPv6: st.builds(c.SessionIPv6, v6, u8, u8, u16),
    c.RsvpHopIPv4: st.builds(c.RsvpHopIPv4, v4, u32),
    c.RsvpHopIPv6: st.builds(c.RsvpHopIPv6, v6, u32),
    c.RsvpHopIPv4IfId: st.builds(c.RsvpHopIPv4IfId, v4, u32, tlvs),
    c.RsvpHopIPv6IfId: st.builds(c.RsvpHopIPv6IfId, v6, u32, tlvs),
    c.TimeValues: st.builds(c.TimeValues, u32),
    c.ErrorSpecIPv4: st.builds(c.ErrorSpecIPv4, v4, u8, u8, u16),
    c.ErrorSpecIPv6: st.builds(c.ErrorSpecIPv6, v6, u8, u8, u16),
    c.ErrorSpecIPv4IfId: st.builds(c.ErrorSpecIPv4IfId, v4, u8, u8, u16, tlvs),
    c.ErrorSpecIPv6IfId: st.builds(c.ErrorSpecIPv6IfId, v6, u8, u8, u16, tlvs),
    c.ScopeIPv4: st.builds(c.ScopeIPv4, st.lists(v4, min_size=1, max_size=4).map(tuple)),
    c.ScopeIPv6: st.builds(c.ScopeIPv6, st.lists(v6, min_size=1, max_size=3).map(tuple)),
    c.Style: st.builds(c.Style, u8, u24),
    c.FilterSpecIPv4: st.builds(c.FilterSpecIPv4, v4, u16, reserved=u16),
    c.FilterSpecIPv6: st.builds(c.FilterSpecIPv6, v6, u16, reserved=u16),
    c.FilterSpecIPv6FlowLabel: st.builds(c.FilterSpecIPv6FlowLabel, v6, u24, reserved=u8),
    c.SenderTemplateIPv4: st.builds(c.SenderTemplateIPv4, v4, u16),
    c.SenderTemplateIPv6: st.builds(c.SenderTemplateIPv6, v6, u16),
    c.SenderTemplateIPv6FlowLabel: st.builds(c.SenderTemplateIPv6FlowLabel, v6, u24),
    c.ResvConfirmIPv4: st.builds(c.ResvConfirmIPv4, v4),
    c.ResvConfirmIPv6: st.builds(c.ResvConfirmIPv6, v6),
    c.PolicyData: st.builds(
        c.PolicyData,
        st.lists(st.builds(c.TimeValues, u32), max_size=2).map(tuple),
        st.lists(st.builds(c.PolicyElement, u16, words), max_size=3).map(tuple),
        reserved=u16,
    ),
    i.SenderTSpec: st.builds(i.SenderTSpec, services, reserved=st.integers(0, 0xFFF)),
    i.FlowSpec: st.builds(i.FlowSpec, services),
    i.AdSpec: st.builds(i.AdSpec, services),
}
