"""GMPLS traffic parameters (gmpls_traffic.py) and the extra SESSION forms and optional classes (extra.py).

Golden vectors are written by hand from the RFC diagrams (object header first:
Length, Class-Num, C-Type), not produced by the encoder.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsvp.wire import MalformedMessage, decode
from rsvp.wire.model import (
    KNOWN_CLASSES,
    OBJECT_TYPES,
    ClassNum,
    UnknownObject,
    UnknownRule,
)
from rsvp.wire.objects import attributes as a
from rsvp.wire.objects import core as c
from rsvp.wire.objects import extra as x
from rsvp.wire.objects import gmpls_traffic as g
from rsvp.wire.objects import te as t
from rsvp.wire.objects.routes import UnknownSubobject

from .wirehelp import BODY, V6A, V6B
from .wirehelp import malformed as _malformed
from .wirehelp import one as _one
from .wirehelp import path_message as _message

A1, A9 = IPv4Address("192.0.2.1"), IPv4Address("192.0.2.9")
B1, B2 = IPv6Address("2001:db8::1"), IPv6Address("2001:db8::2")




def _check_golden(hexstr: str, expected) -> None:
    obj = _one(hexstr)
    assert type(obj) is type(expected)
    assert obj == expected
    assert expected.encode().hex() == hexstr.replace(" ", "")


# --- GMPLS traffic parameters -------------------------------------------------------------

TRAFFIC = [
    # RFC 4606 Annex 1 example 3, VC-4-16c: ST 6 (VC-4), RCC 1, NCC 16, NVC 0, MT 1, T 0, P 0 (layout: section 2.1)
    ("0014 0c04 06 01 0010 0000 0001 00000000 00000000", g.SonetSdhSenderTSpec(6, rcc=1, ncc=16)),
    ("0014 0904 06 01 0010 0000 0001 00000000 00000000", g.SonetSdhFlowSpec(6, rcc=1, ncc=16)),
    # Annex 1 example 13, 3 x STS-768c SPE: ST 6, RCC 1, NCC 256, MT 3
    ("0014 0c04 06 01 0100 0000 0003 00000000 00000000", g.SonetSdhSenderTSpec(6, 1, 256, 0, 3)),
    # Annex 1 example 4, STM-16 with Multiplex Section transparency: ST 10, T flag 2
    ("0014 0c04 0a 00 0000 0000 0001 00000002 00000000",
     g.SonetSdhSenderTSpec(g.SonetSdhSignalType.STS_48_STM_16, transparency=g.LINE_MS_TRANSPARENCY)),
    # Annex 1 example 14, 5 x VC-4-13v: NVC 13, MT 5; plus a non-zero Profile word
    ("0014 0904 06 00 0000 000d 0005 00000000 00000007", g.SonetSdhFlowSpec(6, nvc=13, multiplier=5, profile=7)),
    # RFC 4328 section 5 example 5, 4 x ODU1: ST 1, NMC 1, MT 4 (layout: section 3.2)
    ("0010 0c05 01 00 0001 0000 0004 00000000", g.G709SenderTSpec(g.G709SignalType.ODU1, nmc=1, multiplier=4)),
    # section 5 example 3, ODU2 into ODU3: ST 2, NMC 4
    ("0010 0905 02 00 0004 0000 0001 00000000", g.G709FlowSpec(2, nmc=4)),
    # section 5 example 4, OCh at 40 Gbps: ST 8
    ("0010 0c05 08 00 0000 0000 0001 00000000", g.G709SenderTSpec(8)),
    # RFC 6003 section 4: SG 2 (Ethernet Frame), MTU 1500; Bandwidth Profile TLV (type 2, Length 24; 4.1)
    # CF|CM, index 0, CIR 1.25e6 = 0x49989680, CBS 2048 = 0x45000000, EIR 0, EBS 0;
    # L2CP TLV (RFC 6004 2.3.1, type 3, Length 8): IL2CP 1 (discard), EL2CP 1
    (
        "0028 0c06 0002 05dc  0002 0018 03 00 0000 49989680 45000000 00000000 00000000  0003 0008 11 000000",
        g.EthernetSenderTSpec(g.SwitchingGranularity.ETHERNET_FRAME, 1500, (
            g.BandwidthProfile(1.25e6, 2048.0, 0.0, 0.0, profile=g.COUPLING_FLAG | g.COLOR_MODE),
            g.L2cp(1, 1),
        )),
    ),
    # an Ethernet FLOWSPEC with one vendor TLV (type 240) whose 3-byte value is padded
    ("0010 0906 0001 002e 00f0 0007 aabbcc 00", g.EthernetFlowSpec(1, 46, (g.EthernetTlv(240, b"\xaa\xbb\xcc"),))),
]


@pytest.mark.parametrize("hexstr, expected", TRAFFIC, ids=[type(e).__name__ for _, e in TRAFFIC])
def test_golden_traffic_parameters(hexstr, expected):
    _check_golden(hexstr, expected)


def test_flowspec_forms_share_the_sender_tspec_layouts():
    for tspec, flowspec in ((g.SonetSdhSenderTSpec, g.SonetSdhFlowSpec), (g.G709SenderTSpec, g.G709FlowSpec),
                            (g.EthernetSenderTSpec, g.EthernetFlowSpec)):
        assert issubclass(flowspec, tspec)
        assert (tspec.class_num, flowspec.class_num) == (12, 9) and tspec.c_type == flowspec.c_type
    assert OBJECT_TYPES[12, 4] is g.SonetSdhSenderTSpec and OBJECT_TYPES[9, 6] is g.EthernetFlowSpec
    assert g.SonetSdhSenderTSpec(6) != g.SonetSdhFlowSpec(6)  # same fields, other class


def test_traffic_parameter_reserved_fields_round_trip():
    obj = _one("0010 0c05 03 7f 0000 0000 0001 deadbeef")
    assert (obj.reserved, obj.reserved2) == (0x7F, 0xDEADBEEF) and obj == g.G709SenderTSpec(3)
    profile = _one("0020 0c06 0002 0040 0002 0018 00 05 abcd 3f800000 00000000 00000000 00000000").tlvs[0]
    assert (profile.index, profile.reserved, profile.cir) == (5, 0xABCD, 1.0)
    assert _one("0010 0c06 0002 0040 0003 0008 24 123456").tlvs[0] == g.L2cp(2, 4)


def test_ethernet_bandwidth_profiles_property():
    obj = _one("0024 0c06 0002 05dc 00f1 0004 0002 0018 00000000 3f800000 40000000 40400000 40800000")
    assert obj.tlvs[0] == g.EthernetTlv(241, b"")
    assert obj.bandwidth_profiles == (g.BandwidthProfile(1.0, 2.0, 3.0, 4.0),)


@pytest.mark.parametrize(
    "hexstr, offset, value",
    [
        ("0010 0c04 06 01 0010 0000 0001 00000000", 0, 4),  # SONET/SDH: 12 bytes, not 16
        ("0018 0904 06 01 0010 0000 0001 00000000 00000000 00000000", 0, 3),  # 20 bytes; FLOWSPEC: 21/3
        ("0014 0c04 06 00 0000 0000 0000 00000000 00000000", 6, 4),  # MT 0 (RFC 4606 section 2.2)
        ("0014 0904 06 00 0000 0000 0000 00000000 00000000", 6, 3),
        ("000c 0c05 01 00 0001 0000 0004", 0, 4),  # G.709: 8 bytes, not 12
        ("0010 0905 01 00 0001 0000 0000 00000000", 6, 3),  # MT 0 (RFC 4328 section 6)
        ("0008 0c06 0002 05dc", 0, 4),  # Ethernet: no TLV (RFC 6003 section 4: at least one)
        ("0004 0906", 0, 3),  # Ethernet: empty
        ("000c 0c06 0002 05dc 0002 0000", 4, 4),  # TLV Length 0 (never loops)
        ("000c 0c06 0002 05dc 0003 0002", 4, 4),  # TLV Length 2 < its header
        ("000c 0c06 0002 05dc 0003 000c", 4, 4),  # TLV runs past the object
        ("0010 0c06 0002 05dc 00f0 0005 aa0000ff", 9, 4),  # non-zero TLV padding
        ("001c 0c06 0002 05dc 0002 0014 00000000 3f800000 00000000 00000000", 6, 4),  # Bandwidth Profile Length 20
        ("0014 0906 0002 05dc 0003 000c 11000000 00000000", 6, 3),  # L2CP Length 12, not 8
        ("0020 0c06 0002 05dc 0002 0018 00000000 7fc00000 00000000 00000000 00000000", 8, 4),  # NaN CIR
    ],
)
def test_malformed_traffic_parameters(hexstr, offset, value):
    exc = _malformed(hexstr)
    assert (exc.offset, exc.error_code, exc.error_value) == (BODY + offset, 21, value)


def test_encoder_refuses_what_the_decoder_rejects():
    with pytest.raises(ValueError, match="Multiplier"):
        g.SonetSdhSenderTSpec(6, multiplier=0).encode()
    with pytest.raises(ValueError, match="Multiplier"):
        g.G709FlowSpec(1, multiplier=0).encode()
    with pytest.raises(ValueError, match="at least one TLV"):
        g.EthernetSenderTSpec(2, 1500, ()).encode()


# --- SESSION / FILTER_SPEC / SENDER_TEMPLATE forms ----------------------------------------

SESSIONS = [
    # RFC 2207 section 3.1: IPv4/GPI SESSION, protocol 50 (ESP), vDstPort 0x1234
    ("000c 0103 c0000209 32 00 1234", x.SessionIPv4Gpi(A9, 50, 0, 0x1234)),
    (f"0018 0104 {V6A} 33 01 0001", x.SessionIPv6Gpi(B1, 51, c.E_POLICE, 1)),
    # RFC 2207 sections 3.2 and 3.3: address, then the 32-bit GPI (an SPI)
    ("000c 0a04 c0000201 deadbeef", x.FilterSpecIPv4Gpi(A1, 0xDEADBEEF)),
    (f"0018 0a05 {V6A} 00000100", x.FilterSpecIPv6Gpi(B1, 256)),
    ("000c 0b04 c0000201 00000001", x.SenderTemplateIPv4Gpi(A1, 1)),
    (f"0018 0b05 {V6B} ffffffff", x.SenderTemplateIPv6Gpi(B2, 0xFFFFFFFF)),
    # RFC 3175 section 3.3: session address, ///(8) Flags(8) ///(8) DSCP(8); AF11 = 10, EF = 46
    ("000c 0109 c0000209 00 01 00 0a", x.SessionAggregateIPv4(A9, 10, flags=1)),
    (f"0018 010a {V6A} 00 00 00 2e", x.SessionAggregateIPv6(B1, 46)),
    # RFC 3175 sections 3.4 and 3.5: the aggregator's address
    ("0008 0a09 c0000201", x.FilterSpecAggregateIPv4(A1)),
    (f"0014 0a0a {V6B}", x.FilterSpecAggregateIPv6(B2)),
    ("0008 0b09 c0000201", x.SenderTemplateAggregateIPv4(A1)),
    (f"0014 0b0a {V6B}", x.SenderTemplateAggregateIPv6(B2)),
    # RFC 3476 section 3.2: UNI_IPv4: IPv4 Address, MBZ(16), Tunnel ID(16), Extended IPv4 Address
    ("0010 010b c0000209 0000 0005 c0000201", x.SessionUniIPv4(A9, 5, A1)),
    # RFC 3474 section 7: UNI_IPv6 (12) and ENNI_IPv6 (16) as C-Type 8, ENNI_IPv4 (15) as C-Type 7
    (f"0028 010c {V6A} 0000 0007 {V6B}", x.SessionUniIPv6(B1, 7, B2)),
    ("0010 010f c0000209 0000 0006 c0000201", x.SessionEnniIPv4(A9, 6, A1)),
    (f"0028 0110 {V6B} 0000 ffff {V6A}", x.SessionEnniIPv6(B2, 0xFFFF, B1)),
]


@pytest.mark.parametrize("hexstr, expected", SESSIONS, ids=[type(e).__name__ for _, e in SESSIONS])
def test_golden_sessions_and_templates(hexstr, expected):
    _check_golden(hexstr, expected)


def test_session_forms_reuse_layouts_but_stay_distinct():
    assert issubclass(x.SessionIPv4Gpi, c.SessionIPv4) and issubclass(x.SessionEnniIPv6, t.SessionLspTunnelIPv6)
    assert x.SessionIPv4Gpi(A9, 50) != c.SessionIPv4(A9, 50)
    assert x.SessionUniIPv4(A9, 5, A1) != x.SessionEnniIPv4(A9, 5, A1)
    assert x.FilterSpecIPv4Gpi(A1, 1) != x.SenderTemplateIPv4Gpi(A1, 1)
    # reserved / MBZ fields survive a round trip and do not take part in ==
    agg = _one("000c 0109 c0000209 ff 00 ee 0a")
    assert (agg.reserved, agg.reserved2) == (0xFF, 0xEE) and agg == x.SessionAggregateIPv4(A9, 10)
    assert _one("0010 010b c0000209 abcd 0005 c0000201").reserved == 0xABCD


@pytest.mark.parametrize(
    "hexstr",
    [
        "0008 0103 c0000209",  # GPI SESSION short
        "0010 0a04 c0000201 00000001 00000000",  # GPI FILTER_SPEC long
        "0008 0109 c0000209",  # aggregate SESSION: 4 bytes, not 8
        "000c 0b09 c0000201 00000000",  # aggregate SENDER_TEMPLATE long
        f"0010 0b0a {V6A[:24]}",  # aggregate IPv6 short
        "000c 010b c0000209 00000005",  # UNI_IPv4 short
    ],
)
def test_malformed_session_forms(hexstr):
    assert _malformed(hexstr).offset == BODY


# --- CALL_ID, CALL_OPS, GENERALIZED_UNI (RFC 3474, RFC 3476) --------------------------------

NSAP = "47" + "00" * 19

CALLS = [
    # RFC 3474 section 4.1.1, C-Type 1: Type 1 (4-byte address) Resv(24), source LSR, Local identifier(64)
    ("0014 e601 01 000000 c0000201 0000000000000001",
     x.CallIdOperatorSpecific(x.CallIdAddressType.IPV4, A1.packed, 1)),
    (f"0020 e601 02 000000 {V6A} 000000000000002a", x.CallIdOperatorSpecific(2, B1.packed, 42)),
    (f"0024 e601 03 000000 {NSAP} ffffffffffffffff", x.CallIdOperatorSpecific(3, bytes.fromhex(NSAP), 2**64 - 1)),
    # Type 0x7f: vendor-defined address length, here 8 bytes
    ("0018 e601 7f 000000 0102030405060708 0000000000000003",
     x.CallIdOperatorSpecific(0x7F, bytes(range(1, 9)), 3)),
    # C-Type 2: Type, IS "USA", NS = ITU carrier code "ABC" + NULs, access point code "XY1" + NULs
    ("0020 e602 01 555341 414243000000 585931000000 c0000201 0000000000000009",
     x.CallIdGloballyUnique(1, b"USA", b"ABC\0\0\0", b"XY1\0\0\0", A1.packed, 9)),
    # RFC 3474 section 9.1: CALL_OPS Reserved(24) flags(8), 0x01 call without connection
    ("0008 e401 000000 01", x.CallOps(x.CALL_WITHOUT_CONNECTION)),
    # RFC 3476 section 3.1: Source TNA / Destination TNA sub-objects, Length(16) Type(8) Sub-Type(8) value
    ("0014 e501 0008 01 01 c0000201 0008 02 01 c0000209",
     x.GeneralizedUni((x.GeneralizedUniSubobject(1, 1, A1.packed), x.GeneralizedUniSubobject(2, 1, A9.packed)))),
    # sub-object Lengths need not be multiples of 4 (5 + 7 bytes here)
    ("0010 e501 0005 03 01 aa 0007 05 01 bbccdd",
     x.GeneralizedUni((x.GeneralizedUniSubobject(3, 1, b"\xaa"), x.GeneralizedUniSubobject(5, 1, b"\xbb\xcc\xdd")))),
]


@pytest.mark.parametrize("hexstr, expected", CALLS, ids=[type(e).__name__ for _, e in CALLS])
def test_golden_calls_and_uni(hexstr, expected):
    _check_golden(hexstr, expected)


def test_call_id_fields():
    obj = _one("0014 e601 01 abcdef c0000201 0000000000000001")
    assert obj.reserved == 0xABCDEF and obj == x.CallIdOperatorSpecific(1, A1.packed, 1)
    assert obj.source_address == A1
    assert _one(f"0020 e601 02 000000 {V6A} 000000000000002a").source_address == B1
    assert _one(f"0024 e601 03 000000 {NSAP} 0000000000000000").source_address is None
    with pytest.raises(ValueError, match="must be 4 bytes"):
        x.CallIdOperatorSpecific(1, B1.packed, 1).encode()
    with pytest.raises(ValueError, match="international_segment must be 3 bytes"):
        x.CallIdGloballyUnique(1, b"US", bytes(6), bytes(6), A1.packed, 1).encode()


@pytest.mark.parametrize(
    "hexstr, offset",
    [
        ("000c e601 01000000 00000001", 0),  # too short for head and Local identifier
        ("0018 e601 01 000000 c0000201 00000000 0000000000000001", 4),  # Type 1 with an 8-byte address
        ("0018 e601 02 000000 c0000201 00000000 0000000000000001", 4),  # Type 2 with an 8-byte address
        # C-Type 2, Type 1: head (16), then 8 bytes left for address and identifier: the address is empty
        ("001c e602 01 555341 414243000000 585931000000 0000000000000009", 16),
        ("0004 e401", 0),  # CALL_OPS without its word
    ],
)
def test_malformed_call_id_and_call_ops(hexstr, offset):
    assert _malformed(hexstr).offset == BODY + offset


@pytest.mark.parametrize(
    "hexstr, offset, reason",
    [
        ("0008 e501 00040101", 0, "not > 8"),  # RFC 3476: object Length (>8)
        ("0004 e501", 0, "not > 8"),
        ("000c e501 0000 0101 c0000201", 0, "Length 0"),  # zero Length: tcpdump looped here (d7d269e8)
        ("000c e501 0002 0101 c0000201", 0, "Length 2"),  # Length 2: tcpdump over-read here (CVE-2017-13051)
        ("000c e501 000c 0101 c0000201", 0, "runs 4 bytes past"),
        ("0010 e501 0008 0101 c0000201 0010 0201", 8, "runs"),
        ("000c e501 0005 0101 aa 000000", 5, "too few"),  # 3 bytes left after a 5-byte sub-object
    ],
)
def test_malformed_generalized_uni(hexstr, offset, reason):
    exc = _malformed(hexstr)
    assert exc.offset == BODY + offset and reason in exc.reason
    assert (exc.class_num, exc.c_type) == (ClassNum.GENERALIZED_UNI, 1)


# --- USER_ERROR_SPEC (RFC 5284), ALARM_SPEC (RFC 4783), DCLASS (RFC 2996), CALL_ATTRIBUTES --------


OTHERS = [
    # RFC 5284 section 3: Enterprise 9, Sub Org 0, Err Desc Len 5, User Error Value 0x0102, "hello" + 3 NULs,
    # one user-defined sub-object (section 3.1): Type 1, Length 4, two content bytes
    ("0018 c201 00000009 00 05 0102 68656c6c6f 000000 01 04 abcd",
     x.UserErrorSpec(9, 0x0102, "hello", (UnknownSubobject(1, b"\xab\xcd"),))),
    ("000c c201 00000009 07 00 0001", x.UserErrorSpec(9, 1, sub_org=7)),  # no description, no sub-objects
    ("0010 c201 0000002a 00 02 0003 c3a9 0000", x.UserErrorSpec(42, 3, "\u00e9")),  # UTF-8 e-acute, 2 bytes
    # RFC 4783 section 3.1: the IPv4 IF_ID ERROR_SPEC layout; Error Code 31 (Alarms, 3.1.3);
    # Severity TLV 513 (Impact 2, Severity 2 critical) and Error String TLV 516 "LOS" NUL-padded (3.1.1)
    ("001c c603 c0000201 00 1f 001d 0201 0008 00000202 0204 0008 4c4f5300",
     x.AlarmSpecIPv4IfId(A1, 0, 31, 0x1D, (c.IfIdTlv(513, bytes.fromhex("00000202")), c.IfIdTlv(516, b"LOS\0")))),
    (f"0020 c604 {V6A} 00 1f 0001 0200 0008 00000003",  # Reference Count TLV 512: 3
     x.AlarmSpecIPv6IfId(B1, 0, 31, 1, (c.IfIdTlv(512, b"\0\0\0\3"),))),
    # RFC 2996 section 2: AF11, AF12, AF13 (001010, 001100, 001110) in the six high bits of each last byte
    ("0010 e101 00000028 00000030 00000038",
     x.Dclass((x.DclassEntry(0b001010), x.DclassEntry(0b001100), x.DclassEntry(0b001110)))),
    # RFC 6001 section 5.1: Call Attributes Flags TLV (type 1, Length 8), bit 0 = Call Inheritance
    ("000c ca01 0001 0008 80000000", x.CallAttributes((a.AttributeFlags(1 << x.CALL_INHERITANCE_FLAG),))),
]


@pytest.mark.parametrize("hexstr, expected", OTHERS, ids=[type(e).__name__ for _, e in OTHERS])
def test_golden_optional_classes(hexstr, expected):
    _check_golden(hexstr, expected)


def test_user_error_spec_keeps_any_description_bytes():
    obj = _one("0010 c201 00000009 00 03 0001 41ff42 00")  # invalid UTF-8 survives
    assert obj.error_description == "A\udcffB"
    with pytest.raises(ValueError, match="longer than 255"):
        x.UserErrorSpec(9, 1, "x" * 256).encode()


@pytest.mark.parametrize(
    "hexstr, offset, reason",
    [
        ("0008 c201 00000009", 0, "at least 8"),
        ("000c c201 00000009 00 01 0001", 5, "overruns"),  # Err Desc Len 1 but no room for it
        ("0010 c201 00000009 00 01 0001 41 000100", 9, "padding"),
        ("0010 c201 00000009 00 00 0001 01 00 0000", 9, "Length 0"),  # zero-length sub-object
        ("0010 c201 00000009 00 00 0001 01 06 0000", 9, "Length 6"),  # not a multiple of 4
        ("0010 c201 00000009 00 00 0001 01 08 0000", 9, "past the object"),
    ],
)
def test_malformed_user_error_spec(hexstr, offset, reason):
    exc = _malformed(hexstr)
    assert exc.offset == BODY + offset and reason in exc.reason


def test_alarm_spec_is_the_if_id_error_spec_under_class_198():
    assert issubclass(x.AlarmSpecIPv4IfId, c.ErrorSpecIPv4IfId)
    assert x.AlarmSpecIPv4IfId(A1, 0, 31, 1) != c.ErrorSpecIPv4IfId(A1, 0, 31, 1)
    for c_type in (1, 2):  # reserved for ALARM_SPEC: unknown C-Type of a known class (error 14)
        obj = _one(f"000c c60{c_type} c0000201 00000000")
        assert isinstance(obj, UnknownObject) and obj.rule is UnknownRule.REJECT and obj.error[0] == 14
    assert _malformed("0010 c603 c0000201 00000000 0200 0000").offset == BODY + 8  # TLV Length 0


def test_dclass_fields_and_malformed():
    obj = _one("000c e101 ffffffb9 0000002e")
    assert obj.dscps == (0b101110, 0b001011)
    assert (obj.entries[0].reserved, obj.entries[0].reserved2) == (0xFFFFFF, 1)
    assert _malformed("0004 e101").offset == BODY
    with pytest.raises(ValueError):
        x.Dclass(()).encode()


def test_call_attributes_flags():
    obj = _one("0010 ca01 0001 000c 80000000 00000000")
    assert obj.has_flag(x.CALL_INHERITANCE_FLAG) and not obj.has_flag(1)
    assert isinstance(obj, a.LspAttributes) and obj != a.LspAttributes(obj.tlvs)
    assert _malformed("000c ca01 0001 0007 800000 00").offset == BODY  # flags TLV not whole words


def test_classes_are_registered_under_their_rfc_codes():
    expected = {
        (12, 4), (9, 4), (12, 5), (9, 5), (12, 6), (9, 6), (1, 3), (1, 4), (10, 4), (10, 5), (11, 4), (11, 5),
        (1, 9), (1, 10), (10, 9), (10, 10), (11, 9), (11, 10), (1, 11), (1, 12), (1, 15), (1, 16),
        (230, 1), (230, 2), (228, 1), (229, 1), (194, 1), (198, 3), (198, 4), (225, 1), (202, 1),
    }
    modules = {g.__name__, x.__name__}
    assert {k for k, cls in OBJECT_TYPES.items() if cls.__module__ in modules} == expected
    assert {194, 198, 202, 225, 228, 229, 230} <= KNOWN_CLASSES


# --- any body: only MalformedMessage, or a byte-exact round trip ----------------------------

NEW = sorted({k for k, cls in OBJECT_TYPES.items() if cls.__module__ in (g.__name__, x.__name__)})


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(NEW), st.integers(0, 12).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n)))
def test_random_bodies_raise_only_malformed_or_round_trip(key, body):
    raw = (4 + len(body)).to_bytes(2, "big") + bytes(key) + body
    try:
        obj = decode(_message(raw.hex())).objects[0]
    except MalformedMessage as exc:
        assert exc.offset is not None and BODY <= exc.offset <= BODY + len(body)
        return
    assert obj.encode() == raw
