"""Refresh reduction (RFC 2961), INTEGRITY/CHALLENGE (RFC 2747) and the attribute / GMPLS objects.

Golden vectors are written by hand from the RFC diagrams (object header first:
Length, Class-Num, C-Type), not produced by the encoder.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import dpkt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvp.wire import MalformedMessage, decode, encode
from rsvp.wire.model import OBJECT_TYPES, UnknownObject, UnknownRule
from rsvp.wire.objects import attributes as a
from rsvp.wire.objects import integrity as i
from rsvp.wire.objects import refresh as r

from .wirehelp import BODY, V6A, V6B
from .wirehelp import malformed as _malformed
from .wirehelp import one as _one
from .wirehelp import path_message as _message

# --- refresh reduction (RFC 2961) ---------------------------------------------------------


GOLDEN = [
    # MESSAGE_ID: Flags 0x01 (ACK_Desired), Epoch 5, Message_Identifier 7
    ("000c 1701 01000005 00000007", r.MessageId(5, 7, flags=r.ACK_DESIRED)),
    ("000c 1801 000000aa 12345678", r.MessageIdAck(0xAA, 0x12345678)),
    ("000c 1802 00fffffe ffffffff", r.MessageIdNack(0xFFFFFE, 0xFFFFFFFF)),
    ("0010 1901 00000001 00000002 00000003", r.MessageIdList(1, (2, 3))),
    ("0010 1902 00000009 00000001 c0000201", r.SourceListIPv4(9, (r.SourceEntryIPv4(1, IPv4Address("192.0.2.1")),))),
    (
        f"001c 1903 00000009 00000001 {V6A}",
        r.SourceListIPv6(9, (r.SourceEntryIPv6(1, IPv6Address("2001:db8::1")),)),
    ),
    (
        "0020 1904 00000002 00000001 c0000201 e0000005 00000002 c0000202 e0000006",
        r.McastListIPv4(2, (
            r.McastEntryIPv4(1, IPv4Address("192.0.2.1"), IPv4Address("224.0.0.5")),
            r.McastEntryIPv4(2, IPv4Address("192.0.2.2"), IPv4Address("224.0.0.6")),
        )),
    ),
    (
        f"002c 1905 00000003 00000004 {V6A} {V6B}",
        r.McastListIPv6(3, (r.McastEntryIPv6(4, IPv6Address("2001:db8::1"), IPv6Address("2001:db8::2")),)),
    ),
    # INTEGRITY: HF set, Key Identifier 0x010203040506, Sequence Number 9, 16-byte digest
    (
        "0024 0401 80 00 010203040506 0000000000000009 00112233445566778899aabbccddeeff",
        i.Integrity(0x010203040506, 9, bytes.fromhex("00112233445566778899aabbccddeeff"), i.HANDSHAKE_FLAG),
    ),
    ("0014 4001 0000 0a0b0c0d0e0f 1122334455667788", i.Challenge(0x0A0B0C0D0E0F, 0x1122334455667788)),
]


@pytest.mark.parametrize("hexstr, expected", GOLDEN, ids=[type(e).__name__ for _, e in GOLDEN])
def test_golden_refresh_and_integrity(hexstr, expected):
    obj = _one(hexstr)
    assert type(obj) is type(expected)
    assert obj == expected
    assert expected.encode().hex() == hexstr.replace(" ", "")


def test_message_id_flags():
    assert _one("000c 1701 01000005 00000007").ack_desired
    assert not _one("000c 1701 00000005 00000007").ack_desired
    # RFC 5063 section 5.1: RecoveryPath flag 0x02 in MESSAGE_ID_ACK / NACK and MESSAGE_ID_LIST.
    assert r.RECOVERY_PATH == 0x02
    assert _one("000c 1801 02000005 00000007").flags == r.RECOVERY_PATH
    assert _one("000c 1901 02000005 00000007") == r.MessageIdList(5, (7,), flags=r.RECOVERY_PATH)


def test_ack_and_nack_are_distinct_from_message_id():
    nack = _one("000c 1802 00000001 00000002")
    assert isinstance(nack, r.MessageIdAck) and not isinstance(nack, r.MessageId)
    assert nack != r.MessageIdAck(1, 2)  # same fields, other (class, C-Type)


def test_src_list_ipv4_is_not_a_list_of_ids():
    """tcpdump prints C-Type 2 as bare Message_Identifiers; the addresses must come out as addresses."""
    obj = _one("0018 1902 00000001 0000000a c0000201 0000000b c0000202")
    assert [(e.message_id, str(e.source)) for e in obj.entries] == [(10, "192.0.2.1"), (11, "192.0.2.2")]


@pytest.mark.parametrize(
    "hexstr",
    [
        "0008 1701 01000005",  # MESSAGE_ID short
        "0010 1801 00000001 00000002 00000003",  # MESSAGE_ID_ACK long
        "0008 1901 00000001",  # empty MESSAGE_ID_LIST
        "0008 1902 00000001",  # empty SRC_LIST
        "000c 1902 00000001 00000002",  # half an IPv4 SRC_LIST entry
        f"0020 1903 00000001 00000002 {V6A} 00000003",  # IPv6 SRC_LIST: 24 bytes is not whole 20-byte entries
        "0018 1904 00000001 00000002 c0000201 e0000005 00000003",  # 16 bytes: not whole 12-byte entries
        f"0020 1905 00000001 00000002 {V6A} 00000000",  # MCAST_LIST IPv6 missing its destination
    ],
)
def test_refresh_malformed(hexstr):
    exc = _malformed(hexstr)
    assert exc.offset == BODY and exc.class_num == int(hexstr[5:7], 16)


def test_empty_lists_do_not_encode():
    with pytest.raises(ValueError):
        r.MessageIdList(1, ()).encode()
    with pytest.raises(ValueError):
        r.SourceListIPv4(1, ()).encode()


# --- INTEGRITY and CHALLENGE (RFC 2747) ------------------------------------------------------


def test_integrity_handshake_flag_is_the_msb():
    """Wireshark tests HF with mask 0x01; RFC 2747 puts it in bit 0, the MSB (0x80)."""
    head = "0018 0401 {} 00 000000000001 0000000000000001 deadbeef"
    assert _one(head.format("80")).handshake
    low = _one(head.format("01"))
    assert not low.handshake and low.flags == 0x01


def test_integrity_digest_offset_and_zeroed():
    digest = bytes(range(1, 21))
    obj = i.Integrity(7, 8, digest)
    raw = obj.encode()
    assert raw[i.INTEGRITY_DIGEST_OFFSET :] == digest
    zero = obj.zeroed()
    assert zero.digest == bytes(20) and zero.encode()[: i.INTEGRITY_DIGEST_OFFSET] == raw[: i.INTEGRITY_DIGEST_OFFSET]


def test_integrity_keeps_reserved_byte():
    obj = _one("0018 0401 00 5a 000000000001 0000000000000001 deadbeef")
    assert obj.reserved == 0x5A and obj == i.Integrity(1, 1, bytes.fromhex("deadbeef"))


@pytest.mark.parametrize(
    "hexstr",
    [
        "0014 0401 80 00 010203040506 0000000000000009",  # no digest at all
        "000c 0401 8000 010203040506",  # not even the fixed head
        "0010 4001 0000 0a0b0c0d0e0f 11223344",  # CHALLENGE short
        "0018 4001 0000 0a0b0c0d0e0f 1122334455667788 00000000",  # CHALLENGE long
    ],
)
def test_integrity_malformed(hexstr):
    assert _malformed(hexstr).offset == BODY


@pytest.mark.parametrize("digest", [b"", b"abc", b"abcde"])
def test_integrity_digest_must_be_words(digest):
    with pytest.raises(ValueError):
        i.Integrity(1, 1, digest).encode()


# --- LSP_ATTRIBUTES / LSP_REQUIRED_ATTRIBUTES (RFC 5420) -----------------------------------


def test_lsp_attributes_golden_total_length_and_padding():
    # TLV 1, Length 8: flags word 0x50000000 = bits 1 and 3.  TLV 2, Length 9 (4 + 5), 3 bytes of padding.
    obj = _one("0018 c501 0001 0008 50000000 0002 0009 6162636465 000000")
    assert obj == a.LspAttributes((a.AttributeFlags(1 << 1 | 1 << 3), a.AttributeTlv(2, b"abcde")))
    assert obj.has_flag(a.AttributeFlag.BOUNDARY_REROUTING) and obj.has_flag(a.AttributeFlag.LSP_INTEGRITY_REQUIRED)
    assert not obj.has_flag(a.AttributeFlag.END_TO_END_REROUTING)
    assert obj.tlvs[0].has(3) and not obj.tlvs[0].has(2)


def test_lsp_required_attributes_golden():
    obj = _one("000c 4301 0001 0008 80000001")
    assert type(obj) is a.LspRequiredAttributes
    assert obj.attribute_flags == 1 | 1 << 31


def test_attribute_flags_bits_beyond_the_first_word():
    obj = _one("0010 c501 0001 000c 00000000 00000008")
    assert obj.has_flag(60) and obj.attribute_flags == 1 << 60
    assert a.AttributeFlags(1 << 60).value == bytes.fromhex("0000000000000008")


def test_attribute_flags_trailing_zero_words_round_trip():
    obj = _one("0010 c501 0001 000c 40000000 00000000")
    assert obj == a.LspAttributes((a.AttributeFlags(1 << 1),))
    assert obj.tlvs[0].words == 2


def test_no_attributes_tlv_is_fine():
    assert _one("0004 c501") == a.LspAttributes()
    assert a.LspAttributes().attribute_flags == 0


@pytest.mark.parametrize(
    "hexstr, tlv_offset",
    [
        ("000c c501 0001 0000 00000000", 0),  # Length 0 must never loop
        ("000c c501 0001 0003 00000000", 0),  # Length below the header
        ("000c c501 0002 000d 00000000", 0),  # overruns the object
        ("0014 c501 0002 0008 00000000 0003 0009 00000000", 8),  # second TLV's padding overruns
        ("0010 c501 0001 0009 00000000 00000000", 0),  # flags TLV not whole words
        # bgpcep writes Length as the value length (8 for 8 bytes): the 2nd word is then read as a TLV header
        ("0010 c501 0001 0008 11111111 22222222", 8),
    ],
)
def test_lsp_attributes_malformed(hexstr, tlv_offset):
    exc = _malformed(hexstr)
    assert exc.offset == BODY + tlv_offset and exc.class_num == 197


def test_attributes_padding_must_be_zero():
    """Padding is not counted in Length and must be zero, or the body could not re-encode byte for byte."""
    exc = _malformed("0014 c501 0001 0008 00000000 0002 0005 61000100")
    assert exc.offset == BODY + 8 + 5  # the first padding byte after the 5-byte TLV


def test_wireshark_padding_divergence():
    """Wireshark advances by Length without rounding up: after a 5-byte value the next TLV is 3 bytes further on."""
    obj = _one("0018 c501 0007 0009 0102030405 000000 0001 0008 80000000")
    assert obj.tlvs == (a.AttributeTlv(7, bytes.fromhex("0102030405")), a.AttributeFlags(1))


# --- ASSOCIATION (RFC 4872, RFC 6780) -----------------------------------------------------


def test_association_golden():
    assert _one("000c c701 0001 0002 c0000201") == a.AssociationIPv4(1, 2, IPv4Address("192.0.2.1"))
    assert _one(f"0018 c702 0002 0003 {V6A}") == a.AssociationIPv6(2, 3, IPv6Address("2001:db8::1"))


def test_extended_association_ipv4_golden():
    obj = _one("0014 c703 0001 0002 c0000201 0000fde8 deadbeef")
    assert obj == a.ExtendedAssociationIPv4(1, 2, IPv4Address("192.0.2.1"), 65000, bytes.fromhex("deadbeef"))
    assert _one("0010 c703 0001 0002 c0000201 00000000").extended_association_id == b""


def test_extended_association_ipv6_is_rfc6780_not_oif():
    """Wireshark reads C-Type 4 as the OIF routing-area form; RFC 6780 makes it the IPv6 Extended ASSOCIATION."""
    obj = _one(f"0024 c704 0003 0004 {V6A} 0000fde9 cafef00d 01020304")
    assert obj == a.ExtendedAssociationIPv6(
        3, 4, IPv6Address("2001:db8::1"), 65001, bytes.fromhex("cafef00d01020304")
    )


@pytest.mark.parametrize(
    "hexstr",
    [
        "0008 c701 0001 0002",
        "000c c703 0001 0002 c0000201",
        f"0018 c704 0001 0002 {V6A}",
        "0010 c701 0001 0002 c0000201 00000000",
    ],
)
def test_association_malformed(hexstr):
    assert _malformed(hexstr).offset == BODY


# --- PROTECTION, NOTIFY_REQUEST, ADMIN_STATUS, RESTART_CAP, CAPABILITY ---------------------


def test_protection_golden():
    obj = _one("0008 2501 80000010")
    assert obj == a.ProtectionV1(True, a.LinkFlag.DEDICATED_1_PLUS_1)
    # S=1 N=1 | LSP Flags 0x10 | Link Flags 0x08 // R=1 | Seg.Flags 0x02
    obj = _one("000c 2502 a0100008 40020000")
    assert obj == a.ProtectionV2(
        secondary=True, notification=True, lsp_flags=a.LspFlag.ONE_PLUS_ONE_BIDIRECTIONAL,
        link_flags=a.LinkFlag.DEDICATED_1_FOR_1, required=True,
        segment_flags=a.LspFlag.REROUTING_WITHOUT_EXTRA_TRAFFIC,
    )
    assert not obj.protecting and not obj.operational and not obj.in_place


def test_protection_lsp_flag_values():
    """RFC 4872 section 14.1: 0x01 (Full) Rerouting, 0x02 Rerouting without Extra-Traffic, 0x04 1:N, 0x08 / 0x10 1+1."""
    assert [f.value for f in a.LspFlag] == [0x01, 0x02, 0x04, 0x08, 0x10]
    assert a.LspFlag.FULL_REROUTING == 0x01 and a.LspFlag.REROUTING_WITHOUT_EXTRA_TRAFFIC == 0x02
    assert _one("000c 2502 00010000 00000000").lsp_flags == a.LspFlag.FULL_REROUTING


def test_protection_keeps_reserved_bits():
    obj = _one("000c 2502 5fc0ffc0 3fc0ffff")
    assert obj == a.ProtectionV2(protecting=True, operational=True)
    assert (obj.reserved, obj.reserved2, obj.reserved3, obj.reserved4) == (0x3F, 0x3FF, 0xFF, 0xFFFF)


@pytest.mark.parametrize("hexstr", ["0004 2501", "000c 2501 80000010 00000000", "0008 2502 a0100008"])
def test_protection_malformed(hexstr):
    assert _malformed(hexstr).offset == BODY


def test_protection_field_overflow():
    with pytest.raises(ValueError):
        a.ProtectionV1(link_flags=64).encode()


def test_notify_request_golden():
    assert _one("0008 c301 c0000201") == a.NotifyRequestIPv4(IPv4Address("192.0.2.1"))
    assert _one(f"0014 c302 {V6A}") == a.NotifyRequestIPv6(IPv6Address("2001:db8::1"))


def test_admin_status_flags():
    obj = _one("0008 c401 80000006")
    assert obj.reflect and obj.testing and obj.administratively_down and not obj.deletion_in_progress
    deleting = _one("0008 c401 00000031")  # D plus two bits this codec does not name: kept
    assert deleting.deletion_in_progress and not deleting.reflect and deleting.flags == 0x31


def test_restart_cap_and_capability_golden():
    assert _one("000c 8301 00007530 00002710") == a.RestartCap(30000, 10000)
    cap = _one("0008 8601 00000005")
    assert cap.recovery_path_transmit and not cap.recovery_path_desired and cap.recovery_path_srefresh


@pytest.mark.parametrize(
    "hexstr", ["0008 8301 00007530", "000c 8601 00000001 00000000", "0004 c401", "000c c301 c0000201 00000000"]
)
def test_fixed_gmpls_malformed(hexstr):
    assert _malformed(hexstr).offset == BODY


def test_capture_restart_cap_and_capability(shared_captures):
    """tcpdump's rsvp_cap.pcap (PR #795): a Hello with RESTART_CAP and CAPABILITY, wrong checksum on purpose."""
    with open(shared_captures / "tcpdump_rsvp_cap.pcap", "rb") as f:
        frames = [buf for _, buf in dpkt.pcap.Reader(f)]
    assert len(frames) == 1
    ip = dpkt.ethernet.Ethernet(frames[0]).data  # dpkt strips the 802.1Q tag
    assert ip.p == 46
    data = bytes(ip.data)
    with pytest.raises(MalformedMessage):
        decode(data)
    message = decode(data, verify_checksum=False)
    restart = message.find(131)
    capability = message.find(134)
    assert restart == a.RestartCap(0, 0)
    assert capability == a.Capability(3)
    assert capability.recovery_path_desired and capability.recovery_path_srefresh
    assert not capability.recovery_path_transmit
    raw = encode(message)  # the checksum is recomputed; everything else is byte-identical
    assert raw[:2] == data[:2] and raw[4:] == data[4:]
    assert decode(raw) == message


# --- DIFFSERV (RFC 3270) and CLASSTYPE (RFC 4124) ------------------------------------------


def test_diffserv_golden():
    # MAPnb 2: EXP 5 -> PHBID 0xb800 (EF), EXP 0 -> PHBID 0x0000
    obj = _one("0010 4101 00000002 0005b800 00000000")
    assert obj == a.DiffServELsp((a.DiffServMap(5, 0xB800), a.DiffServMap(0, 0)))
    assert obj.mapnb == 2
    assert _one("0008 4101 00000000") == a.DiffServELsp()
    assert _one("0008 4102 00000028") == a.DiffServLLsp(0x28)


def test_diffserv_keeps_reserved_bits():
    obj = _one("000c 4101 ffffff01 fffdb800")
    assert obj == a.DiffServELsp((a.DiffServMap(5, 0xB800),))
    assert obj.reserved == 0xFFFFFF0 and obj.maps[0].reserved == 0x1FFF


@pytest.mark.parametrize(
    "hexstr",
    [
        "0004 4101",  # no head
        "000c 4101 00000002 0005b800",  # MAPnb 2, one entry
        "0010 4101 00000001 0005b800 00000000",  # MAPnb 1, two entries
        "000c 4102 00000028 00000000",  # L-LSP too long
    ],
)
def test_diffserv_malformed(hexstr):
    assert _malformed(hexstr).offset == BODY


@pytest.mark.parametrize(
    "hexstr, offset",
    [
        ("002c 4101 00000009" + " 0000b800" * 9, 3),  # MAPnb 9: "any value from 0 to 8"
        ("0010 4101 00000002 0005b800 00050000", 4),  # EXP 5 mapped twice
    ],
)
def test_diffserv_invalid_mapping_is_error_27_3(hexstr, offset):
    """RFC 3270 section 5.3: MAPnb outside 0..8 or an EXP in two MAP entries is Invalid EXP<-->PHB mapping."""
    exc = _malformed(hexstr)
    assert (exc.error_code, exc.error_value, exc.offset) == (27, 3, BODY + offset)


def test_diffserv_more_than_eight_maps_do_not_encode():
    with pytest.raises(ValueError, match="at most 8"):
        a.DiffServELsp(tuple(a.DiffServMap(exp % 8, 0) for exp in range(9))).encode()


def test_classtype_golden():
    assert _one("0008 4201 00000001") == a.ClassType(1)
    odd = _one("0008 4201 00000809")
    assert odd == a.ClassType(1) and odd.reserved == 0x101
    assert _malformed("000c 4201 00000001 00000000").offset == BODY


def test_classtype_zero_is_error_28_3():
    """RFC 4124 section 6.2.1: CT 0 is Reserved; section 6.3: a received CT 0 is Invalid Class-Type value."""
    exc = _malformed("0008 4201 00000000")
    assert (exc.error_code, exc.error_value, exc.offset) == (28, 3, BODY + 3)
    assert _malformed("0008 4201 fffffff8").error_code == 28  # reserved bits do not hide it
    with pytest.raises(ValueError, match="CT 0"):
        a.ClassType(0).encode()


# --- vendor-private classes (RFC 3936) stay unknown ----------------------------------------


@pytest.mark.parametrize(
    "class_num, rule", [(124, UnknownRule.REJECT), (188, UnknownRule.IGNORE), (252, UnknownRule.FORWARD)]
)
def test_vendor_private_classes_stay_unknown(class_num, rule):
    obj = _one(f"000c {class_num:02x}01 00000009 01020304")
    assert isinstance(obj, UnknownObject) and obj.rule is rule


# --- any body: only MalformedMessage, or a byte-exact round trip ----------------------------

_MODULES = {r.__name__, i.__name__, a.__name__}
_CODES = sorted(key for key, cls in OBJECT_TYPES.items() if cls.__module__ in _MODULES)
_BYTE = st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0C, 0x7F, 0x80, 0xFF]) | st.integers(0, 255)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_CODES), st.integers(0, 12).flatmap(lambda n: st.lists(_BYTE, min_size=4 * n, max_size=4 * n)))
def test_any_body_is_malformed_or_round_trips(code, body):
    body = bytes(body)
    raw = (len(body) + 4).to_bytes(2, "big") + bytes(code) + body
    data = _message(raw.hex())
    try:
        obj = decode(data).objects[0]
    except MalformedMessage as exc:
        assert exc.offset is not None and BODY <= exc.offset <= len(data)
        return
    assert obj.encode() == raw
