"""Framing, checksum, unknown objects and the RFC 2205 core objects, against hand-written vectors."""

from __future__ import annotations

import math
import pathlib
import struct
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsvp.wire import ClassNum, MalformedMessage, Message, MsgType, UnknownObject, UnknownRule, decode, encode
from rsvp.wire.checksum import internet_checksum
from rsvp.wire.objects import core as c
from rsvp.wire.objects import intserv as i

REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "shared" / "reference" / "rsvp-wire.md"

# The Resv of rsvp-wire.md section 3.1 (scapy's "Master dissection" vector); its wire checksum 0xebfa is correct.
SCAPY_RESV = bytes.fromhex(
    "1002ebfaff00006c 00100107 10020202 00000001 11030303 000c0301 d2000002 00000000"
    "00080501 00007530 00080801 00000012 00240902 00000007 05000006 7f000005 49189680"
    "447a0000 7f800000 00000000 00000000 000c0a07 11030303 00002711 00081001 00000010".replace(" ", "")
)


def message(msg_type: int, *objects: bytes, flags: int = 0, ttl: int = 63, checksum: bool = True) -> bytes:
    """Assemble a message by hand (independently of the encoder) with an RFC 1071 checksum."""
    body = b"".join(objects)
    head = bytearray(struct.pack(">BBHBBH", 0x10 | flags, msg_type, 0, ttl, 0, 8 + len(body)))
    raw = bytes(head) + body
    if checksum:
        head[2:4] = internet_checksum(raw).to_bytes(2, "big")
    return bytes(head) + body


def obj(class_num: int, c_type: int, body_hex: str) -> bytes:
    body = bytes.fromhex(body_hex.replace(" ", ""))
    return struct.pack(">HBB", 4 + len(body), class_num, c_type) + body


def test_reference_vector_is_the_one_in_the_reference():
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} not found")
    assert "1002ebfaff00006c" in REFERENCE.read_text()


def test_scapy_resv_decodes_and_round_trips():
    msg = decode(SCAPY_RESV)
    assert msg.msg_type is MsgType.RESV and msg.send_ttl == 255 and msg.flags == 0
    hop = msg.find(ClassNum.RSVP_HOP)
    assert hop == c.RsvpHopIPv4(IPv4Address("210.0.0.2"), 0)
    assert msg.find(ClassNum.TIME_VALUES) == c.TimeValues(30000)
    style = msg.find(ClassNum.STYLE)
    assert style.name == "SE" and style.shared and not style.wildcard
    flowspec = msg.find(ClassNum.FLOWSPEC)
    assert flowspec.service_number == i.Service.CONTROLLED_LOAD
    tb = flowspec.token_bucket
    assert (tb.rate, tb.bucket_size, tb.min_policed_unit, tb.max_packet_size) == (625000.0, 1000.0, 0, 0)
    assert math.isinf(tb.peak_rate)
    assert encode(msg) == SCAPY_RESV


def test_checksum_rules():
    assert internet_checksum(SCAPY_RESV[:2] + b"\0\0" + SCAPY_RESV[4:]) == 0xEBFA
    assert internet_checksum(SCAPY_RESV) == 0
    bad = SCAPY_RESV[:2] + b"\xeb\xfb" + SCAPY_RESV[4:]
    with pytest.raises(MalformedMessage, match="bad checksum 0xebfb, expected 0xebfa") as err:
        decode(bad)
    assert err.value.offset == 2
    assert decode(bad, verify_checksum=False).find(ClassNum.STYLE) is not None
    # Zero means "no checksum transmitted" (RFC 2205 section 3.1.1) and must be accepted and kept.
    zero = SCAPY_RESV[:2] + b"\0\0" + SCAPY_RESV[4:]
    msg = decode(zero)
    assert not msg.send_checksum and encode(msg) == zero


def test_odd_length_checksum_pads_with_zero():
    assert internet_checksum(b"\x01") == internet_checksum(b"\x01\x00") == 0xFEFF
    assert internet_checksum(b"") == 0xFFFF
    assert internet_checksum(b"\xff\xff") == 0x0000


PATH_2205 = message(
    MsgType.PATH,
    obj(1, 1, "0a000001 11 00 1f90"),  # SESSION 10.0.0.1 UDP port 8080
    obj(3, 1, "0a000002 00000007"),  # RSVP_HOP 10.0.0.2 LIH 7
    obj(5, 1, "00007530"),  # TIME_VALUES 30 s
    obj(11, 1, "0a000003 0000 0fa0"),  # SENDER_TEMPLATE 10.0.0.3 port 4000
    obj(12, 2, "00000007 01000006 7f000005 44fa0000 45fa0000 461c4000 00000040 000005dc"),
)


def test_rfc2205_path_golden():
    msg = decode(PATH_2205)
    assert msg.objects[0] == c.SessionIPv4(IPv4Address("10.0.0.1"), 17, 0, 8080)
    assert msg.objects[1] == c.RsvpHopIPv4(IPv4Address("10.0.0.2"), 7)
    assert msg.objects[3] == c.SenderTemplateIPv4(IPv4Address("10.0.0.3"), 4000)
    assert msg.objects[4].token_bucket == i.TokenBucket(2000.0, 8000.0, 10000.0, 64, 1500)
    assert msg.objects[4].services[0].service == i.Service.GENERAL
    assert encode(msg) == PATH_2205
    built = Message(MsgType.PATH, (
        c.SessionIPv4(IPv4Address("10.0.0.1"), 17, 0, 8080), c.RsvpHopIPv4(IPv4Address("10.0.0.2"), 7),
        c.TimeValues(30000), c.SenderTemplateIPv4(IPv4Address("10.0.0.3"), 4000),
        i.SenderTSpec.from_token_bucket(i.TokenBucket(2000.0, 8000.0, 10000.0, 64, 1500)),
    ), send_ttl=63)
    assert encode(built) == PATH_2205


def test_guaranteed_flowspec_golden():
    body = "0000000a 02000009 7f000005 44fa0000 45fa0000 461c4000 00000040 000005dc 82000002 44fa0000 00000064"
    raw = obj(9, 2, body)
    flowspec = i.FlowSpec.guaranteed(i.TokenBucket(2000.0, 8000.0, 10000.0, 64, 1500), i.GuaranteedRSpec(2000.0, 100))
    assert flowspec.encode() == raw
    assert flowspec.rspec == i.GuaranteedRSpec(2000.0, 100) and len(raw) == 48


def test_adspec_generic_walk_keeps_break_bits_and_unknown_parameters():
    body = ("00000011"  # version 0, 17 words
            "01000008 04000001 00000003 06000001 49742400 08000001 00000064 0a000001 000005dc"
            "02800004 85000001 00000010 86000001 00000020"  # Guaranteed fragment, break bit, Ctot/Dtot
            "05000002 63000001 deadbeef")  # Controlled-Load fragment with an unknown parameter 99
    raw = obj(13, 2, body.replace(" ", ""))
    adspec = decode(message(MsgType.PATH, raw)).objects[0]
    general = adspec.service(i.Service.GENERAL)
    assert general.parameter(i.ParameterId.IS_HOPS) == 3 and general.parameter(i.ParameterId.PATH_MTU) == 1500
    assert general.parameter(i.ParameterId.PATH_BANDWIDTH) == 1e6
    guaranteed = adspec.service(i.Service.GUARANTEED)
    assert guaranteed.break_bit and guaranteed.parameter(i.ParameterId.CTOT) == 16
    assert adspec.service(i.Service.CONTROLLED_LOAD).parameter(99) == bytes.fromhex("deadbeef")
    assert adspec.encode() == raw


@pytest.mark.parametrize("body, reason", [
    ("10000007 01000006 7f000005 44fa0000 45fa0000 461c4000 00000040 000005dc", "version 1"),
    ("00000008 01000006 7f000005 44fa0000 45fa0000 461c4000 00000040 000005dc", "overall length 8"),
    ("00000007 01000046 7f000005 44fa0000 45fa0000 461c4000 00000040 000005dc", "claims 70 words"),
    ("00000007 01000006 7f000006 44fa0000 45fa0000 461c4000 00000040 000005dc", "claims 6 words"),
    ("00000007 01000006 7f000004 44fa0000 45fa0000 461c4000 00000040 000005dc", "expected 20"),
    ("00000007 01000006 7f000005 7fc00000 45fa0000 461c4000 00000040 000005dc", "NaN"),
])
def test_bad_tspec_is_error_21_4(body, reason):
    raw = message(MsgType.PATH, obj(12, 2, body))
    with pytest.raises(MalformedMessage, match=reason) as err:
        decode(raw)
    assert (err.value.error_code, err.value.error_value) == (21, 4)
    assert (err.value.class_num, err.value.c_type) == (12, 2)
    assert 12 <= err.value.offset < len(raw)


def test_ipv6_and_if_id_objects_golden():
    v6 = "20010db8000000000000000000000001"
    raw = message(
        MsgType.PATH_ERR,
        obj(1, 2, v6 + "06 01 0016"),
        obj(6, 4, v6 + "04 18 0005" + "00010008 0a000001" + "0003000c 0a000002 00000009"),
        obj(3, 3, "0a000002 00000001" + "00020014" + v6),
    )
    msg = decode(raw)
    assert msg.objects[0] == c.SessionIPv6(IPv6Address("2001:db8::1"), 6, 1, 22)
    err = msg.objects[1]
    assert (err.flags, err.error_code, err.error_value) == (c.PATH_STATE_REMOVED, 24, 5)
    assert err.tlvs == (c.IfIdTlv(1, bytes.fromhex("0a000001")), c.IfIdTlv(3, bytes.fromhex("0a00000200000009")))
    assert msg.objects[2].tlvs == (c.IfIdTlv(2, bytes.fromhex(v6)),)
    assert encode(msg) == raw


def test_policy_data_offset_and_elements():
    raw = obj(14, 1, "00100000" + "00080501 00007530" + "00080001 cafebabe")
    policy = decode(message(MsgType.PATH, raw)).objects[0]
    assert policy.options == (c.TimeValues(30000),)
    assert policy.elements == (c.PolicyElement(1, bytes.fromhex("cafebabe")),)
    assert policy.encode() == raw
    with pytest.raises(MalformedMessage, match="Data Offset 64"):
        decode(message(MsgType.PATH, obj(14, 1, "00400000")))


@pytest.mark.parametrize("data, reason, offset", [
    (b"\x10\x01\x00", "shorter than the 8-byte common header", 0),
    (bytes.fromhex("20010000ff000008"), "version 2", 0),
    (bytes.fromhex("10010000ff00000c"), "truncated", 6),
    (bytes.fromhex("10010000ff00000800000000"), "trailing", 6),
    (bytes.fromhex("10010000ff00000a0000"), "multiple of 4", 6),
    (bytes.fromhex("10010000ff00000c 00000101".replace(" ", "")), "Length 0", 8),
    (bytes.fromhex("10010000ff00000c 00060101".replace(" ", "")), "Length 6", 8),
    (bytes.fromhex("10010000ff00000c 00100101".replace(" ", "")), "runs 12 bytes past", 8),
    (bytes.fromhex("10010000ff000010 000c0101 0a000001".replace(" ", "")), "runs 4 bytes past", 8),
    (bytes.fromhex("10010000ff000010 00080101 0a000001".replace(" ", "")), "expected 8", 12),
])
def test_framing_errors(data, reason, offset):
    with pytest.raises(MalformedMessage, match=reason) as err:
        decode(data, verify_checksum=False)
    assert err.value.offset == offset


def test_unknown_objects_round_trip_and_carry_their_rule():
    raw = message(
        MsgType.PATH,
        obj(1, 1, "0a000001 11 00 1f90"), obj(3, 1, "0a000002 00000000"), obj(5, 1, "00007530"),
        obj(150, 9, "01020304"), obj(250, 1, "aabbccdd eeff0011"), obj(0, 3, "00000000"),
    )
    msg = decode(raw)
    ignore, forward, null = msg.objects[3:]
    assert ignore == UnknownObject(150, 9, bytes.fromhex("01020304")) and ignore.rule is UnknownRule.IGNORE
    assert forward.rule is UnknownRule.FORWARD and null == c.NullObject(3, bytes(4))
    assert encode(msg) == raw


def test_known_class_unknown_c_type_is_rejected_with_14():
    unknown = decode(message(MsgType.PATH, obj(5, 9, "00000001"))).objects[0]
    assert unknown.rule is UnknownRule.REJECT and unknown.error == (14, 5 * 256 + 9)
    assert decode(message(MsgType.PATH, obj(100, 1, ""))).objects[0].error == (13, 100 * 256 + 1)


def test_bundle_of_two_messages():
    inner1 = message(MsgType.PATH_TEAR, obj(1, 1, "0a000001 11 00 1f90"), obj(3, 1, "0a000002 00000000"))
    inner2 = message(MsgType.HELLO, obj(22, 1, "00000001 00000000"))
    raw = message(MsgType.BUNDLE, inner1, inner2, flags=1)
    msg = decode(raw)
    assert msg.msg_type is MsgType.BUNDLE and msg.refresh_reduction_capable
    assert [m.msg_type for m in msg.sub_messages] == [MsgType.PATH_TEAR, MsgType.HELLO]
    assert [m.msg_type for m in msg.walk()] == [MsgType.BUNDLE, MsgType.PATH_TEAR, MsgType.HELLO]
    assert encode(msg) == raw


@pytest.mark.parametrize("inner, reason", [
    (bytes.fromhex("10050000ff000004"), "length 4 overruns"),
    (bytes.fromhex("10050000ff000020"), "length 32 overruns"),
    (bytes.fromhex("100c0000ff000008"), "Bundle inside a Bundle"),
    (bytes.fromhex("10050000"), "shorter than its header"),
])
def test_bad_bundles(inner, reason):
    with pytest.raises(MalformedMessage, match=reason):
        decode(message(MsgType.BUNDLE, inner))
    with pytest.raises(MalformedMessage, match="no message"):
        decode(message(MsgType.BUNDLE))


def test_encoder_refuses_what_would_not_decode():
    with pytest.raises(ValueError, match="multiple of 4"):
        encode(Message(MsgType.PATH, (UnknownObject(200, 1, b"abc"),)))
    with pytest.raises(ValueError, match="no objects"):
        encode(Message(MsgType.BUNDLE, (c.TimeValues(1),), (decode(PATH_2205),)))
    with pytest.raises(ValueError, match="only a Bundle"):
        encode(Message(MsgType.PATH, (), (decode(PATH_2205),)))


def test_decode_memos_are_bounded_and_can_be_disabled():
    from rsvp.wire import codec, model

    try:
        model.set_memo_size(4)
        for value in range(10):
            decode(message(MsgType.PATH, obj(5, 1, f"{value:08x}")))
            assert len(codec._cache) <= 4
        assert decode(message(MsgType.PATH, obj(5, 1, "00000009"))).objects[0] == c.TimeValues(9)
        model.set_memo_size(0)
        decode(PATH_2205)
        assert not any(model.MEMOS)
        assert decode(PATH_2205) == decode(PATH_2205)
    finally:
        model.set_memo_size(1 << 20)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 2, 5]), st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFF),
       st.binary(min_size=20, max_size=20))
def test_intserv_shortcut_agrees_with_generic_walk(service, flags, parameter_flags, reserved_bits, bucket):
    body = struct.pack(">HHBBHBBH", reserved_bits, 7, service, flags, 6, 127, parameter_flags, 5) + bucket
    for cls in (i.SenderTSpec, i.FlowSpec, i.AdSpec):
        try:
            generic = cls._decode_generic(body)
        except MalformedMessage as exc:
            with pytest.raises(MalformedMessage) as fast:
                cls.decode_body(body)
            assert (fast.value.error_code, fast.value.error_value) == (exc.error_code, exc.error_value)
            continue
        fast = cls.decode_body(body)
        assert fast == generic and fast.reserved == generic.reserved and fast.encode() == generic.encode()


def test_nested_policy_data_is_refused_not_recursed():
    """POLICY_DATA whose option list holds POLICY_DATA, thousands deep: once a RecursionError."""
    inner = b""
    while len(inner) < 60000:
        body = struct.pack(">HH", 8 + len(inner), 0) + inner
        inner = struct.pack(">HBB", 4 + len(body), 14, 1) + body
    with pytest.raises(MalformedMessage, match="POLICY_DATA inside a POLICY_DATA") as err:
        decode(message(MsgType.PATH, inner, checksum=False))
    assert err.value.offset == 16
