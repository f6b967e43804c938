"""Route objects (routes.py): ERO, RRO, XRO, SERO/SRRO, PPRO and their sub-objects, against RFC vectors."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

import dpkt
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rsvp.wire import MalformedMessage, MsgType, decode
from rsvp.wire.codec import rsvp_length
from rsvp.wire.objects import routes as r

from .strategies_te import ero_subobject, rro_subobject, xro_subobject
from .test_codec import message

V4 = IPv4Address
V6 = IPv6Address
NET6 = "20010db8000000000000000000000000"
HOST6 = "20010db8000000000000000000000001"


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def one(raw: bytes):
    decoded = decode(message(MsgType.PATH, raw)).objects[0]
    assert decoded.encode() == raw
    return decoded


# --- hand-written vectors -------------------------------------------------------------------

VECTORS = [
    # EXPLICIT_ROUTE (RFC 3209 4.3.3): L|Type, Length, contents.  The capture's two strict /32 hops.
    ("0014 1401 01 08 0a000c02 20 00  01 08 0a001703 20 00",
     r.ExplicitRoute((r.EroIPv4Prefix(V4("10.0.12.2")), r.EroIPv4Prefix(V4("10.0.23.3"))))),
    # Every modelled ERO type: loose /24 (shorter than /32 is legal), IPv6 /64, upstream MPLS label,
    # generalized label, unnumbered (RFC 3477), loose AS 65000, and type 64 (Path-Key) kept raw.
    ("004c 1401"
     " 81 08 c0000200 18 00"
     " 02 14" + NET6 + "40 00"
     " 03 08 80 01 00000010"
     " 03 0c 00 02 00000001 00000002"
     " 04 0c 0000 01020304 00000007"
     " a0 04 fde8"
     " 40 08 0001 0a000001",
     r.ExplicitRoute((
         r.EroIPv4Prefix(V4("192.0.2.0"), 24, loose=True),
         r.EroIPv6Prefix(V6("2001:db8::"), 64),
         r.EroLabel(16, 1, upstream=True),
         r.EroLabel(hx("00000001 00000002"), 2),
         r.EroUnnumbered(V4("1.2.3.4"), 7),
         r.EroAsNumber(65000, loose=True),
         r.UnknownSubobject(64, hx("0001 0a000001")),
     ))),
    ("0004 1401", r.ExplicitRoute(())),
    # RECORD_ROUTE (RFC 3209 4.4.1): the capture's IPv4 hops with global MPLS labels.
    ("0024 1501 01 08 0a000c02 20 00  03 08 01 01 00030d40  01 08 0a001703 20 00  03 08 01 01 000493e0",
     r.RecordRoute((r.RroIPv4(V4("10.0.12.2")), r.RroLabel(200000, 1, r.RroLabelFlags.GLOBAL_LABEL),
                    r.RroIPv4(V4("10.0.23.3")), r.RroLabel(300000, 1, r.RroLabelFlags.GLOBAL_LABEL)))),
    # IPv6 with protection flags, unnumbered, generalized label, type 0x85 (no L bit in an RRO), IPv4 node-id.
    ("0040 1501"
     " 02 14" + HOST6 + "80 09"
     " 04 0c 02 00 01020304 00000007"
     " 03 0c 01 02 00000001 00000002"
     " 85 08 000000000000"
     " 01 08 0a000001 20 21",
     r.RecordRoute((
         r.RroIPv6(V6("2001:db8::1"), 128, r.RroFlags.LOCAL_PROTECTION_AVAILABLE | r.RroFlags.NODE_PROTECTION),
         r.RroUnnumbered(V4("1.2.3.4"), 7, r.RroFlags.LOCAL_PROTECTION_IN_USE),
         r.RroLabel(hx("00000001 00000002"), 2, r.RroLabelFlags.GLOBAL_LABEL),
         r.UnknownSubobject(0x85, bytes(6)),
         r.RroIPv4(V4("10.0.0.1"), 32, r.RroFlags.LOCAL_PROTECTION_AVAILABLE | r.RroFlags.NODE_ID),
     ))),
    # EXCLUDE_ROUTE (RFC 4874 3.1): L = 1 SHOULD avoid, L = 0 MUST exclude; Attribute 0 interface, 1 node, 2 SRLG
    # in types 1, 2 and 4 only.  SRLG (2.1, 3.1.5): SRLG Id(32) Reserved(16), no Attribute octet.
    ("004c e801"
     " 81 08 0a000001 20 01"
     " 02 14" + NET6 + "30 00"
     " 04 0c 00 00 01020304 00000009"
     " 20 04 fde8"
     " a2 08 0000abcd 0000"
     " 41 14 0001" + HOST6,
     r.ExcludeRoute((
         r.XroIPv4Prefix(V4("10.0.0.1"), 32, r.XroAttribute.NODE, avoid=True),
         r.XroIPv6Prefix(V6("2001:db8::"), 48, r.XroAttribute.INTERFACE),
         r.XroUnnumbered(V4("1.2.3.4"), 9),
         r.XroAsNumber(65000),
         r.XroSrlg(0xABCD, avoid=True),
         r.UnknownSubobject(65, hx("0001" + HOST6)),
     ))),
    # SECONDARY_EXPLICIT_ROUTE (RFC 4873) with a Protection sub-object (type 37) kept raw.
    ("0014 c801 01 08 0a000001 20 00  25 08 0001 80000000",
     r.SecondaryExplicitRoute((r.EroIPv4Prefix(V4("10.0.0.1")), r.UnknownSubobject(37, hx("0001 80000000"))))),
    # The capture's P2MP SERO (200/2) and SRRO (201/2).
    ("0014 c802 01 08 0a001703 20 00  01 08 0a002204 20 00",
     r.P2mpSecondaryExplicitRoute((r.EroIPv4Prefix(V4("10.0.23.3")), r.EroIPv4Prefix(V4("10.0.34.4"))))),
    ("0024 c902 01 08 0a001703 20 00  03 08 01 01 000493e0  01 08 0a002204 20 00  03 08 01 01 00061a80",
     r.P2mpSecondaryRecordRoute((r.RroIPv4(V4("10.0.23.3")), r.RroLabel(300000, flags=1),
                                 r.RroIPv4(V4("10.0.34.4")), r.RroLabel(400000, flags=1)))),
    ("000c c901 01 08 0a000001 20 00", r.SecondaryRecordRoute((r.RroIPv4(V4("10.0.0.1")),))),
    # PRIMARY_PATH_ROUTE (RFC 4872): ERO sub-objects.
    ("000c 2601 01 08 0a000001 20 00", r.PrimaryPathRoute((r.EroIPv4Prefix(V4("10.0.0.1")),))),
]


@pytest.mark.parametrize("raw_hex, expected", VECTORS, ids=[type(v).__name__ for _, v in VECTORS])
def test_vector(raw_hex, expected):
    raw = hx(raw_hex)
    decoded = one(raw)
    assert type(decoded) is type(expected)
    assert decoded == expected
    assert expected.encode() == raw


def test_vectors_cover_every_route_class():
    registered = {c for c in vars(r).values() if isinstance(c, type) and issubclass(c, r._Route) and c is not r._Route}
    assert registered == {type(v) for _, v in VECTORS}


def test_reserved_bits_survive():
    raw = hx("0020 1401 01 08 0a000001 20 ff  03 08 7f 01 00000010  04 0c abcd 01020304 00000007")
    ero = one(raw)
    assert ero == r.ExplicitRoute((r.EroIPv4Prefix(V4("10.0.0.1")), r.EroLabel(16),
                                   r.EroUnnumbered(V4("1.2.3.4"), 7)))
    assert [s.reserved for s in ero.subobjects] == [0xFF, 0x7F, 0xABCD]


def test_xro_srlg_has_a_16_bit_reserved_field_and_no_attribute():
    """RFC 4874 section 2.1: |L|Type|Length|SRLG Id (4 bytes)|Reserved(16)|; section 3.1.5: no Attribute octet."""
    xro = one(hx("000c e801 22 08 00000042 0102"))
    (srlg,) = xro.subobjects
    assert srlg == r.XroSrlg(0x42) and srlg.reserved == 0x0102 and not srlg.avoid
    assert not hasattr(srlg, "attribute")


def test_rro_label_upstream_bit():
    """RFC 3473 section 5.2: the RRO Label sub-object's flags byte starts with U."""
    rro = one(hx("000c 1501 03 08 81 01 00000010"))
    assert rro == r.RecordRoute((r.RroLabel(16, 1, r.RroLabelFlags.UPSTREAM | r.RroLabelFlags.GLOBAL_LABEL),))


def test_route_objects_are_not_each_other():
    """A SERO must never be taken for an ERO by isinstance: separate classes, not subclasses."""
    assert not issubclass(r.SecondaryExplicitRoute, r.ExplicitRoute)
    assert not issubclass(r.PrimaryPathRoute, r.ExplicitRoute)
    assert not issubclass(r.SecondaryRecordRoute, r.RecordRoute)


# --- malformed sub-objects: (class, body, offset within the body, reason) --------------------

BAD = [
    # Zero, short, unaligned and overrunning lengths (reference section 11 items 5-7).
    (r.ExplicitRoute, "01 00 0000", 1, "Length 0 must be >= 4"),
    (r.ExplicitRoute, "01 02 0000", 1, "Length 2 must be >= 4"),
    (r.ExplicitRoute, "01 06 0a00 0001 2000", 1, "Length 6 must be >= 4 and a multiple of 4"),
    (r.ExplicitRoute, "01 0c 0a000001 2000", 1, "runs 4 bytes past the object"),
    (r.ExplicitRoute, "01 08 0a000001 2000 01", 8, "1 bytes left"),
    (r.ExplicitRoute, "01 08 0a000001 2000  01 0c 0a000001 2000 00000000", 9, "Length 12, expected 8"),
    # Prefix lengths: 1..32 / 1..128 (the fuzzed capture's 70, zero, 129).
    (r.ExplicitRoute, "01 08 0a000001 4600", 6, "prefix length 70 is not 1..32"),
    (r.ExplicitRoute, "01 08 0a000001 0000", 6, "prefix length 0"),
    (r.ExplicitRoute, "02 14" + HOST6 + "81 00", 18, "prefix length 129 is not 1..128"),
    (r.ExplicitRoute, "03 0c 00 01 00000001 00000002", 4, "C-Type 1 label is 8 bytes, expected 4"),
    (r.ExplicitRoute, "03 04 0001", 1, "shorter than 8"),
    (r.ExplicitRoute, "20 08 fde8 00000000", 1, "Length 8, expected 4"),
    (r.ExplicitRoute, "04 08 0000 01020304", 1, "Length 8, expected 12"),
    (r.RecordRoute, "01 00 0000", 1, "Length 0"),
    (r.RecordRoute, "01 08 0a000001 2100", 6, "prefix length 33"),
    (r.RecordRoute, "01 08 0a000001 2000  03 08 01 01 00030d40  01 04 0000", 17, "Length 4, expected 8"),
    (r.ExcludeRoute, "22 00 0000", 1, "Length 0"),
    (r.ExcludeRoute, "22 0c 0000abcd 0002 00000000", 1, "Length 12, expected 8"),
    (r.SecondaryExplicitRoute, "81 00 0000", 1, "Length 0"),
    (r.PrimaryPathRoute, "01 08 0a000001 4600", 6, "prefix length 70"),
]


@pytest.mark.parametrize("cls, body, offset, reason", BAD, ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(BAD)])
def test_malformed_subobject(cls, body, offset, reason):
    with pytest.raises(MalformedMessage) as err:
        cls.decode_body(hx(body))
    assert reason in err.value.reason
    assert err.value.offset == offset
    expected_error = (24, 1) if cls is r.ExplicitRoute else (None, None)
    assert (err.value.error_code, err.value.error_value) == expected_error


def test_fault_offset_through_framing():
    with pytest.raises(MalformedMessage) as err:
        decode(message(MsgType.PATH, hx("0010 1401 01 08 0a000001 2000  01 00 0000")))
    exc = err.value
    assert (exc.offset, exc.class_num, exc.c_type, exc.error_code, exc.error_value) == (8 + 4 + 8 + 1, 20, 1, 24, 1)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([r.ExplicitRoute, r.RecordRoute, r.ExcludeRoute, r.PrimaryPathRoute]),
       st.binary(max_size=64))
@example(r.ExplicitRoute, b"\x03\x00\x00\x00")
@example(r.RecordRoute, b"\x00\x00")
def test_any_bytes_decode_exactly_or_raise_malformed(cls, body):
    """The walker terminates on every input, raises only MalformedMessage, and what it accepts re-encodes exactly."""
    try:
        route = cls.decode_body(body)
    except MalformedMessage as exc:
        assert exc.offset is not None and 0 <= exc.offset < max(len(body), 1)
        return
    assert route.encode_body() == body


@pytest.mark.parametrize("family, subobject", [(r.ERO, ero_subobject), (r.RRO, rro_subobject),
                                               (r.XRO, xro_subobject)], ids=["ERO", "RRO", "XRO"])
def test_family_round_trip(family, subobject):
    @settings(max_examples=200, deadline=None)
    @given(st.lists(subobject, max_size=5).map(tuple))
    def check(subobjects):
        raw = family.encode(subobjects)
        assert family.decode(raw) == subobjects
        assert family.encode(family.decode(raw)) == raw

    check()


# --- encoding refuses what could not be decoded back -------------------------------------------


@pytest.mark.parametrize("route, what", [
    (r.ExplicitRoute((r.RroIPv4(V4("10.0.0.1")),)), "is not a EXPLICIT_ROUTE sub-object"),
    (r.RecordRoute((r.EroIPv4Prefix(V4("10.0.0.1")),)), "is not a RECORD_ROUTE sub-object"),
    (r.ExplicitRoute((r.UnknownSubobject(1, bytes(6)),)), "is not a EXPLICIT_ROUTE sub-object"),
    (r.ExplicitRoute((r.UnknownSubobject(200, bytes(2)),)), "does not fit the header"),
    (r.RecordRoute((r.UnknownSubobject(100, bytes(2), l_bit=True),)), "does not fit the header"),
    (r.ExplicitRoute((r.UnknownSubobject(100, bytes(3)),)), "must be 4..252"),
    (r.ExplicitRoute((r.UnknownSubobject(100, bytes(254)),)), "must be 4..252"),
    (r.ExplicitRoute((r.EroLabel(b"", 2),)), "one or more 32-bit words"),
    (r.RecordRoute((r.RroLabel(b"\x01\x02", 2),)), "one or more 32-bit words"),
])
def test_encode_rejects(route, what):
    with pytest.raises(ValueError, match=what):
        route.encode()


def test_flag_enums():
    assert r.RroFlags(0x21) == r.RroFlags.LOCAL_PROTECTION_AVAILABLE | r.RroFlags.NODE_ID
    assert r.RroFlags.PREEMPTION_PENDING == 0x10 and r.RroLabelFlags.GLOBAL_LABEL == 0x01
    assert r.RroLabelFlags.UPSTREAM == 0x80
    assert r.XroAttribute.SRLG == 2


# --- malformed captures (reference section 12) -----------------------------------------------


def test_infinite_loop_capture_terminates_with_bad_ero(shared_captures):
    """tcpdump #71 (CAN-2005-1278): an ERO whose Label sub-object has Length 0, then a zero-length object."""
    with open(shared_captures / "tcpdump_rsvp-infinite-loop.pcap", "rb") as fh:
        frames = [dpkt.sll.SLL(frame) for _, frame in dpkt.pcap.Reader(fh)]
    assert len(frames) == 5
    for frame in frames:
        payload = bytes(frame.data.data)
        with pytest.raises(MalformedMessage) as err:
            decode(payload[: rsvp_length(payload)], verify_checksum=False)
        exc = err.value
        assert (exc.class_num, exc.c_type, exc.offset, exc.error_code, exc.error_value) == (20, 1, 13, 24, 1)


def test_inf_loop_2_capture_ero_prefix_70(shared_captures):
    """The mutated 2000-era Path: its second ERO sub-object claims a prefix length of 70."""
    with open(shared_captures / "tcpdump_rsvp-inf-loop-2.pcapng", "rb") as fh:
        (_, frame), = list(dpkt.pcapng.Reader(fh))
    payload = bytes(dpkt.ethernet.Ethernet(frame).data.data)
    offset = 8
    while payload[offset + 2] != 20:  # walk the objects to the EXPLICIT_ROUTE
        offset += struct.unpack_from(">H", payload, offset)[0]
    length = struct.unpack_from(">H", payload, offset)[0]
    with pytest.raises(MalformedMessage) as err:
        r.ExplicitRoute.decode_body(payload[offset + 4 : offset + length])
    assert "prefix length 70" in err.value.reason
    assert (err.value.offset, err.value.error_code, err.value.error_value) == (8 + 6, 24, 1)
