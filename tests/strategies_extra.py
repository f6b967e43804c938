"""Hypothesis strategies for the GMPLS traffic parameters (gmpls_traffic.py) and extra.py objects."""

from __future__ import annotations

from hypothesis import strategies as st

from rsvp.wire.objects import extra as x
from rsvp.wire.objects import gmpls_traffic as g

from .strategies_core import f32, tlvs, u8, u16, u24, u32, v4, v6
from .strategies_misc import attribute_tlvs, bits
from .strategies_te import fixed

multiplier = st.integers(1, 0xFFFF)  # MT 0 is invalid (RFC 4606 section 2.2, RFC 4328 section 6)

ethernet_tlv = st.one_of(
    st.builds(g.BandwidthProfile, f32, f32, f32, f32, u8, u8, reserved=u16),
    st.builds(g.L2cp, bits(4), bits(4), reserved=u24),
    st.builds(
        g.EthernetTlv,
        u16.filter(lambda t: t not in (g.BANDWIDTH_PROFILE_TLV, g.L2CP_TLV)),
        st.binary(max_size=12),
    ),
)
ethernet_tlvs = st.lists(ethernet_tlv, min_size=1, max_size=4).map(tuple)


def _uni_subobjects(lengths: list[int]) -> st.SearchStrategy[tuple]:
    """Sub-objects with values of these lengths, the last one grown so that the body is whole words."""
    lengths = lengths[:-1] + [lengths[-1] + -sum(lengths) % 4]
    values = [st.binary(min_size=n, max_size=n) for n in lengths]
    return st.tuples(*(st.builds(x.GeneralizedUniSubobject, u8, u8, value) for value in values))


uni_subobjects = st.lists(st.integers(0, 13), min_size=1, max_size=4).flatmap(_uni_subobjects).filter(
    lambda subs: 4 * len(subs) + sum(len(s.value) for s in subs) > 4  # object Length > 8 (RFC 3476 section 3.1)
)

user_subobject = st.builds(
    x.UnknownSubobject, u8, st.integers(0, 5).flatmap(lambda n: st.binary(min_size=4 * n + 2, max_size=4 * n + 2))
)
description = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
    lambda s: len(s.encode("utf-8")) <= 255
)


def _call_address(address_type: int) -> st.SearchStrategy[bytes]:
    size = {1: 4, 2: 16, 3: 20}.get(address_type)
    if size is not None:
        return st.binary(min_size=size, max_size=size)
    return st.integers(0, 6).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))


call_address = st.integers(0, 255).flatmap(lambda t: st.tuples(st.just(t), _call_address(t)))
u64 = st.integers(0, 2**64 - 1)

STRATEGIES: dict[type, st.SearchStrategy] = {
    # gmpls_traffic.py
    **{cls: fixed(cls, multiplier=multiplier)
       for cls in (g.SonetSdhSenderTSpec, g.SonetSdhFlowSpec, g.G709SenderTSpec, g.G709FlowSpec)},
    **{cls: st.builds(cls, u16, u16, ethernet_tlvs) for cls in (g.EthernetSenderTSpec, g.EthernetFlowSpec)},
    # extra.py: sessions, templates and filters
    **{cls: fixed(cls) for cls in (
        x.SessionIPv4Gpi, x.SessionIPv6Gpi, x.FilterSpecIPv4Gpi, x.FilterSpecIPv6Gpi, x.SenderTemplateIPv4Gpi,
        x.SenderTemplateIPv6Gpi, x.SessionAggregateIPv4, x.SessionAggregateIPv6, x.FilterSpecAggregateIPv4,
        x.FilterSpecAggregateIPv6, x.SenderTemplateAggregateIPv4, x.SenderTemplateAggregateIPv6,
        x.SessionUniIPv4, x.SessionUniIPv6, x.SessionEnniIPv4, x.SessionEnniIPv6, x.CallOps,
    )},
    # calls, errors, alarms, DCLASS, call attributes
    x.CallIdOperatorSpecific: call_address.flatmap(lambda ta: st.builds(
        x.CallIdOperatorSpecific, st.just(ta[0]), st.just(ta[1]), u64, reserved=u24)),
    x.CallIdGloballyUnique: call_address.flatmap(lambda ta: st.builds(
        x.CallIdGloballyUnique, st.just(ta[0]), st.binary(min_size=3, max_size=3), st.binary(min_size=6, max_size=6),
        st.binary(min_size=6, max_size=6), st.just(ta[1]), u64)),
    x.GeneralizedUni: st.builds(x.GeneralizedUni, uni_subobjects),
    x.UserErrorSpec: st.builds(
        x.UserErrorSpec, u32, u16, description, st.lists(user_subobject, max_size=3).map(tuple), u8
    ),
    x.AlarmSpecIPv4IfId: st.builds(x.AlarmSpecIPv4IfId, v4, u8, u8, u16, tlvs),
    x.AlarmSpecIPv6IfId: st.builds(x.AlarmSpecIPv6IfId, v6, u8, u8, u16, tlvs),
    x.Dclass: st.builds(x.Dclass, st.lists(
        st.builds(x.DclassEntry, bits(6), reserved=u24, reserved2=bits(2)), min_size=1, max_size=6).map(tuple)),
    x.CallAttributes: st.builds(x.CallAttributes, attribute_tlvs),
}
