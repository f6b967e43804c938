"""Hypothesis strategies for the RSVP-TE, route and fast-reroute objects (te.py, routes.py, frr.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from rsvp.wire.layout import IPv4, IPv6
from rsvp.wire.model import OBJECT_TYPES, BitFieldObject, FixedObject
from rsvp.wire.objects import frr as f
from rsvp.wire.objects import routes as r
from rsvp.wire.objects import te as t

from .strategies_core import f32, u8, u32, v4, v6


def _wire_field(con: Any) -> st.SearchStrategy:
    """Any value of one construct field type."""
    if con is IPv4:
        return v4
    if con is IPv6:
        return v6
    if getattr(con, "fmtstr", "").endswith("f"):
        return f32
    return st.integers(0, 256 ** con.sizeof() - 1)


def fixed(cls: type, **overrides: st.SearchStrategy) -> st.SearchStrategy:
    """Instances of a class with a ``LAYOUT``: every layout field drawn from its wire type."""
    fields = {sub.name: _wire_field(sub.subcon) for sub in cls.LAYOUT.construct.subcons}
    return st.builds(cls, **{**fields, **overrides})


def bits(cls: type) -> st.SearchStrategy:
    """Instances of a ``BitFieldObject``: each bit field anywhere in its range."""
    fields = {
        name: st.booleans() if mask == 1 else st.integers(0, mask) for name, _, _, mask in cls.BITS.fields
    }
    return st.builds(cls, **fields)


label_words = st.lists(st.binary(min_size=4, max_size=4), min_size=1, max_size=8).map(b"".join)
l_bit = st.booleans()


def labels(cls: type, **kw: st.SearchStrategy) -> st.SearchStrategy:
    """Label sub-objects: an int label for C-Type 1, one or more 32-bit words for any other C-Type."""
    return st.one_of(
        st.builds(cls, u32, st.just(1), **kw),
        st.builds(cls, label_words, st.integers(0, 255).filter(lambda c: c != 1), **kw),
    )


def unknown(family: r.SubobjectFamily) -> st.SearchStrategy:
    """Sub-objects of types the family does not model (contents of 2 + 4n bytes)."""
    top = 0x7F if family.l_bit else 0xFF
    return st.builds(
        r.UnknownSubobject,
        st.integers(0, top).filter(lambda code: code not in family.types),
        st.integers(0, 6).flatmap(lambda n: st.binary(min_size=4 * n + 2, max_size=4 * n + 2)),
        l_bit if family.l_bit else st.just(False),
    )


ero_subobject = st.one_of(
    fixed(r.EroIPv4Prefix, prefix_length=st.integers(1, 32), loose=l_bit),
    fixed(r.EroIPv6Prefix, prefix_length=st.integers(1, 128), loose=l_bit),
    labels(r.EroLabel, upstream=st.booleans(), loose=l_bit, reserved=st.integers(0, 0x7F)),
    fixed(r.EroUnnumbered, loose=l_bit),
    fixed(r.EroAsNumber, loose=l_bit),
    unknown(r.ERO),
)
rro_subobject = st.one_of(
    fixed(r.RroIPv4, prefix_length=st.integers(1, 32)),
    fixed(r.RroIPv6, prefix_length=st.integers(1, 128)),
    labels(r.RroLabel, flags=u8),
    fixed(r.RroUnnumbered),
    unknown(r.RRO),
)
xro_subobject = st.one_of(
    fixed(r.XroIPv4Prefix, prefix_length=st.integers(1, 32), avoid=l_bit),
    fixed(r.XroIPv6Prefix, prefix_length=st.integers(1, 128), avoid=l_bit),
    fixed(r.XroUnnumbered, avoid=l_bit),
    fixed(r.XroAsNumber, avoid=l_bit),
    fixed(r.XroSrlg, avoid=l_bit),
    unknown(r.XRO),
)


def route(cls: type, subobject: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(cls, st.lists(subobject, max_size=6).map(tuple))


latin1_name = st.text(st.characters(max_codepoint=0xFF), max_size=255)
subchannels = st.lists(u32, min_size=1, max_size=8).map(tuple)

STRATEGIES: dict[type, st.SearchStrategy] = {
    cls: fixed(cls) if issubclass(cls, FixedObject) else bits(cls)
    for cls in OBJECT_TYPES.values()
    if cls.__module__ in (t.__name__, f.__name__)
    and (issubclass(cls, FixedObject) or issubclass(cls, BitFieldObject))
}
STRATEGIES.update({
    cls: st.builds(cls, label_words)
    for cls in (t.GeneralizedLabel, t.UpstreamGeneralizedLabel, t.RecoveryGeneralizedLabel, t.SuggestedGeneralizedLabel)
})
STRATEGIES.update({
    cls: st.builds(cls, u8, st.integers(0, 0x3FFF), subchannels, reserved=st.integers(0, 0x3FF))
    for cls in (t.LabelSet, t.AcceptableLabelSet)
})
STRATEGIES.update({
    t.SessionAttribute: st.builds(t.SessionAttribute, u8, u8, u8, latin1_name),
    t.SessionAttributeRa: st.builds(t.SessionAttributeRa, u32, u32, u32, u8, u8, u8, latin1_name),
    r.ExplicitRoute: route(r.ExplicitRoute, ero_subobject),
    r.SecondaryExplicitRoute: route(r.SecondaryExplicitRoute, ero_subobject),
    r.P2mpSecondaryExplicitRoute: route(r.P2mpSecondaryExplicitRoute, ero_subobject),
    r.PrimaryPathRoute: route(r.PrimaryPathRoute, ero_subobject),
    r.RecordRoute: route(r.RecordRoute, rro_subobject),
    r.SecondaryRecordRoute: route(r.SecondaryRecordRoute, rro_subobject),
    r.P2mpSecondaryRecordRoute: route(r.P2mpSecondaryRecordRoute, rro_subobject),
    r.ExcludeRoute: route(r.ExcludeRoute, xro_subobject),
    f.DetourIPv4: st.builds(f.DetourIPv4, st.lists(fixed(f.DetourPairIPv4), min_size=1, max_size=4).map(tuple)),
    f.DetourIPv6: st.builds(f.DetourIPv6, st.lists(fixed(f.DetourPairIPv6), min_size=1, max_size=3).map(tuple)),
})
