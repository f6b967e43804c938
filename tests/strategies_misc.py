"""Hypothesis strategies for refresh reduction, INTEGRITY/CHALLENGE and the attribute/GMPLS objects."""

from __future__ import annotations

from hypothesis import strategies as st

from rsvp.wire.objects import attributes as a
from rsvp.wire.objects import integrity as i
from rsvp.wire.objects import refresh as r

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u24 = st.integers(0, 0xFFFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u48 = st.integers(0, 2**48 - 1)
u64 = st.integers(0, 2**64 - 1)
v4 = st.ip_addresses(v=4)
v6 = st.ip_addresses(v=6)
flag = st.booleans()
six_bits = st.integers(0, 63)


def bits(width: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << width) - 1)


def words(min_words: int = 0, max_words: int = 6) -> st.SearchStrategy[bytes]:
    return st.integers(min_words, max_words).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))


def id_list(cls: type, entry: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(cls, u24, st.lists(entry, min_size=1, max_size=4).map(tuple), flags=u8)


attribute_tlv = st.one_of(
    st.builds(a.AttributeFlags, st.integers(0, 2**96 - 1), words=st.integers(0, 3)),
    st.builds(a.AttributeTlv, u16.filter(lambda t: t != a.ATTRIBUTE_FLAGS_TLV), st.binary(max_size=12)),
)
attribute_tlvs = st.lists(attribute_tlv, max_size=4).map(tuple)
diffserv_map = st.builds(a.DiffServMap, bits(3), u16, reserved=bits(13))

STRATEGIES: dict[type, st.SearchStrategy] = {
    # refresh.py (RFC 2961)
    r.MessageId: st.builds(r.MessageId, u24, u32, flags=u8),
    r.MessageIdAck: st.builds(r.MessageIdAck, u24, u32, flags=u8),
    r.MessageIdNack: st.builds(r.MessageIdNack, u24, u32, flags=u8),
    r.MessageIdList: id_list(r.MessageIdList, u32),
    r.SourceListIPv4: id_list(r.SourceListIPv4, st.builds(r.SourceEntryIPv4, u32, v4)),
    r.SourceListIPv6: id_list(r.SourceListIPv6, st.builds(r.SourceEntryIPv6, u32, v6)),
    r.McastListIPv4: id_list(r.McastListIPv4, st.builds(r.McastEntryIPv4, u32, v4, v4)),
    r.McastListIPv6: id_list(r.McastListIPv6, st.builds(r.McastEntryIPv6, u32, v6, v6)),
    # integrity.py (RFC 2747)
    i.Integrity: st.builds(i.Integrity, u48, u64, words(1, 8), u8, reserved=u8),
    i.Challenge: st.builds(i.Challenge, u48, u64, reserved=u16),
    # attributes.py
    a.LspAttributes: st.builds(a.LspAttributes, attribute_tlvs),
    a.LspRequiredAttributes: st.builds(a.LspRequiredAttributes, attribute_tlvs),
    a.AssociationIPv4: st.builds(a.AssociationIPv4, u16, u16, v4),
    a.AssociationIPv6: st.builds(a.AssociationIPv6, u16, u16, v6),
    a.ExtendedAssociationIPv4: st.builds(a.ExtendedAssociationIPv4, u16, u16, v4, u32, words()),
    a.ExtendedAssociationIPv6: st.builds(a.ExtendedAssociationIPv6, u16, u16, v6, u32, words()),
    a.ProtectionV1: st.builds(a.ProtectionV1, flag, six_bits, reserved=bits(25)),
    a.ProtectionV2: st.builds(
        a.ProtectionV2, flag, flag, flag, flag, six_bits, six_bits, flag, flag, six_bits,
        reserved=bits(6), reserved2=bits(10), reserved3=bits(8), reserved4=bits(16),
    ),
    a.NotifyRequestIPv4: st.builds(a.NotifyRequestIPv4, v4),
    a.NotifyRequestIPv6: st.builds(a.NotifyRequestIPv6, v6),
    a.AdminStatus: st.builds(a.AdminStatus, u32),
    a.RestartCap: st.builds(a.RestartCap, u32, u32),
    a.Capability: st.builds(a.Capability, u32),
    a.DiffServELsp: st.builds(  # at most 8 entries, each EXP once (RFC 3270 section 5.3)
        a.DiffServELsp, st.lists(diffserv_map, max_size=8, unique_by=lambda m: m.exp).map(tuple), reserved=bits(28)
    ),
    a.DiffServLLsp: st.builds(a.DiffServLLsp, u16, reserved=u16),
    a.ClassType: st.builds(a.ClassType, st.integers(1, 7), reserved=bits(29)),  # CT 0 is reserved (RFC 4124)
}
