"""RSVP-TE objects (te.py) and fast-reroute objects (frr.py) against hand-written RFC vectors."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from rsvp.wire import ClassNum, MalformedMessage, MsgType, UnknownObject, UnknownRule, decode, encode
from rsvp.wire.model import OBJECT_TYPES, FixedObject, RsvpObject
from rsvp.wire.objects import frr as f
from rsvp.wire.objects import routes as r
from rsvp.wire.objects import te as t

from .captured import payloads
from .test_codec import message, obj

A1, A2 = IPv6Address("2001:db8::1"), IPv6Address("2001:db8::2")
V6_1, V6_2 = "20010db8000000000000000000000001", "20010db8000000000000000000000002"


def one(raw: bytes) -> RsvpObject:
    """Decode one object through the framing (inside a Path) and check it re-encodes to the same bytes."""
    decoded = decode(message(MsgType.PATH, raw)).objects[0]
    assert decoded.encode() == raw
    return decoded


def body_error(cls: type, body_hex: str) -> MalformedMessage:
    with pytest.raises(MalformedMessage) as err:
        cls.decode_body(bytes.fromhex(body_hex.replace(" ", "")))
    return err.value


# --- hand-written vectors: (object hex, expected model) --------------------------------------

VECTORS = [
    # SESSION LSP_TUNNEL_IPv4 (RFC 3209 4.6.1.1): end point, MBZ, tunnel ID, extended tunnel ID.
    ("0010 0107 03030303 0000 0001 01010101",
     t.SessionLspTunnelIPv4(IPv4Address("3.3.3.3"), 1, IPv4Address("1.1.1.1"))),
    ("0028 0108" + V6_1 + "0000 0102" + V6_2, t.SessionLspTunnelIPv6(A1, 0x0102, A2)),
    # P2MP SESSION (RFC 4875): P2MP ID 20000000, MBZ, tunnel ID, extended tunnel ID.
    ("0010 010d 01312d00 0000 0001 01010101",
     t.SessionP2mpLspTunnelIPv4(20000000, 1, IPv4Address("1.1.1.1"))),
    ("001c 010e 01312d00 0000 0001" + V6_2, t.SessionP2mpLspTunnelIPv6(20000000, 1, A2)),
    # SENDER_TEMPLATE / FILTER_SPEC LSP_TUNNEL (RFC 3209 4.6.2, 4.6.3): sender, MBZ, LSP ID.
    ("000c 0b07 01010101 0000 0001", t.SenderTemplateLspTunnelIPv4(IPv4Address("1.1.1.1"), 1)),
    ("0018 0b08" + V6_1 + "0000 0007", t.SenderTemplateLspTunnelIPv6(A1, 7)),
    ("000c 0a07 01010101 0000 0001", t.FilterSpecLspTunnelIPv4(IPv4Address("1.1.1.1"), 1)),
    ("0018 0a08" + V6_1 + "0000 0007", t.FilterSpecLspTunnelIPv6(A1, 7)),
    # P2MP SENDER_TEMPLATE / FILTER_SPEC (RFC 4875): sender, res, LSP ID, sub-group originator, res, sub-group ID.
    ("0014 0b0c 01010101 0000 0001 02020202 0000 0003",
     t.SenderTemplateP2mpLspTunnelIPv4(IPv4Address("1.1.1.1"), 1, IPv4Address("2.2.2.2"), 3)),
    ("0014 0a0c 01010101 0000 0001 01010101 0000 0000",
     t.FilterSpecP2mpLspTunnelIPv4(IPv4Address("1.1.1.1"), 1, IPv4Address("1.1.1.1"), 0)),
    ("002c 0a0d" + V6_1 + "0000 0001" + V6_2 + "0000 0003", t.FilterSpecP2mpLspTunnelIPv6(A1, 1, A2, 3)),
    ("002c 0b0d" + V6_1 + "0000 0001" + V6_2 + "0000 0003", t.SenderTemplateP2mpLspTunnelIPv6(A1, 1, A2, 3)),
    # LABEL (RFC 3209 4.1), generalized (RFC 3471 3.2), waveband (RFC 3471 3.3).
    ("0008 1001 00030d40", t.Label(200000)),
    ("000c 1002 00000001 00000002", t.GeneralizedLabel(bytes.fromhex("0000000100000002"))),
    ("0010 1003 00000005 00000010 00000020", t.WavebandLabel(5, 0x10, 0x20)),
    # The same three formats under UPSTREAM_LABEL (35), RECOVERY_LABEL (34), SUGGESTED_LABEL (129).
    ("0008 2301 00000003", t.UpstreamLabel(t.IMPLICIT_NULL)),
    ("0008 2302 00000007", t.UpstreamGeneralizedLabel(bytes.fromhex("00000007"))),
    ("0010 2303 00000001 00000002 00000003", t.UpstreamWavebandLabel(1, 2, 3)),
    ("0008 2201 00000010", t.RecoveryLabel(16)),
    ("0008 2202 12345678", t.RecoveryGeneralizedLabel(bytes.fromhex("12345678"))),
    ("0010 2203 00000001 00000002 00000003", t.RecoveryWavebandLabel(1, 2, 3)),
    ("0008 8101 00000011", t.SuggestedLabel(17)),
    ("000c 8102 00000001 00000002", t.SuggestedGeneralizedLabel(bytes.fromhex("0000000100000002"))),
    ("0010 8103 00000001 00000002 00000003", t.SuggestedWavebandLabel(1, 2, 3)),
    # LABEL_REQUEST (RFC 3209 4.2.1-4.2.3, RFC 3471 3.1).
    ("0008 1301 0000 0800", t.LabelRequest(t.L3PID_IPV4)),
    # ATM: M=1 Res=0 MinVPI=5 MinVCI=32 | Res=0 MaxVPI=255 MaxVCI=65535.
    ("0010 1302 0000 0800 8005 0020 00ff ffff",
     t.LabelRequestAtm(0x0800, 5, 32, 255, 0xFFFF, m=True)),
    # Frame Relay: Res(7)=0 DLI(2)=2 MinDLCI(23)=16 | Res(9)=0 MaxDLCI(23)=0x7fffff.
    ("0010 1303 0000 0800 01000010 007fffff",
     t.LabelRequestFrameRelay(0x0800, t.DLI_23_BIT, 16, 0x7FFFFF)),
    ("0008 1304 08 96 0025", t.GeneralizedLabelRequest(t.LspEncodingType.LAMBDA, t.SwitchingType.LSC, 0x25)),
    ("0008 1305 01 01 0800", t.GeneralizedChannelSetLabelRequest(1, 1, 0x0800)),
    # LABEL_SET (RFC 3471 3.5): Action 2 (inclusive range), Reserved, Label Type 2, two subchannels.
    ("0010 2401 02000002 00000010 00000020", t.LabelSet(t.LabelSetAction.INCLUSIVE_RANGE, 2, (16, 32))),
    ("000c 8201 01000001 00000011", t.AcceptableLabelSet(t.LabelSetAction.EXCLUSIVE_LIST, 1, (17,))),
    # HELLO (RFC 3209 5): Src_Instance, Dst_Instance.
    ("000c 1601 00000001 00000000", t.HelloRequest(1, 0)),
    ("000c 1602 00000002 00000001", t.HelloAck(2, 1)),
    # SESSION_ATTRIBUTE (RFC 3209 4.7): the reference's example, name "tunnl" padded with 3 NULs.
    ("0010 cf07 07070405 74756e6e 6c000000", t.SessionAttribute(7, 7, 4, "tunnl")),
    ("0008 cf07 07070400", t.SessionAttribute(7, 7, 4, "")),
    ("000c cf07 00000204 61626364", t.SessionAttribute(0, 0, 2, "abcd")),
    ("000c cf07 01020003 00ff4100", t.SessionAttribute(1, 2, 0, "\x00\xffA")),
    # RA form: Exclude-any, Include-any, Include-all, then priorities, flags, name.
    ("001c cf01 00000001 00000002 00000004 07000205 74756e6e 6c000000",
     t.SessionAttributeRa(1, 2, 4, 7, 0, 2, "tunnl")),
    # S2L_SUB_LSP (RFC 4875), LSP_TUNNEL_INTERFACE_ID (RFC 3477).
    ("0008 3201 03030303", t.S2lSubLspIPv4(IPv4Address("3.3.3.3"))),
    ("0014 3202" + V6_2, t.S2lSubLspIPv6(A2)),
    ("000c c101 01020304 00000005", t.LspTunnelInterfaceId(IPv4Address("1.2.3.4"), 5)),
    # FAST_REROUTE (RFC 4090 4.1): setup 7, hold 0, hop-limit 16, flags 0x02, 1.25e6 B/s,
    # then include-any, exclude-any, include-all (in that order).
    ("0018 cd01 07001002 49989680 00000001 00000002 00000004",
     f.FastReroute(7, 0, 16, f.FastRerouteFlags.FACILITY_BACKUP_DESIRED, 1250000.0, 1, 2, 4)),
    # C-Type 7: a reserved byte instead of flags, no include-all.
    ("0014 cd07 07001000 49989680 00000001 00000002", f.FastRerouteLegacy(7, 0, 16, 1250000.0, 1, 2)),
    # DETOUR (RFC 4090 4.2): (PLR ID, Avoid Node ID) pairs.
    ("0014 3f07 0a000001 0a000002 0a000003 0a000004",
     f.DetourIPv4((f.DetourPairIPv4(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")),
                   f.DetourPairIPv4(IPv4Address("10.0.0.3"), IPv4Address("10.0.0.4"))))),
    ("0024 3f08" + V6_1 + V6_2, f.DetourIPv6((f.DetourPairIPv6(A1, A2),))),
]


@pytest.mark.parametrize("raw_hex, expected", VECTORS, ids=[type(v).__name__ for _, v in VECTORS])
def test_vector(raw_hex, expected):
    raw = bytes.fromhex(raw_hex.replace(" ", ""))
    decoded = one(raw)
    assert type(decoded) is type(expected)
    assert decoded == expected
    assert expected.encode() == raw


def test_vectors_cover_every_registered_class():
    mine = {cls for cls in OBJECT_TYPES.values() if cls.__module__ in (t.__name__, f.__name__)}
    assert mine - {type(v) for _, v in VECTORS} == set()


def test_object_sharing_a_layout_is_not_an_instance_of_its_peer():
    """HELLO ACK is not a HELLO REQUEST; classes are told apart by type, not by isinstance of a peer."""
    assert not isinstance(t.HelloAck(1, 2), t.HelloRequest)
    assert t.HelloAck(1, 2) != t.HelloRequest(1, 2)
    assert t.UpstreamLabel(5) != t.Label(5)


# --- reserved fields survive a round trip but do not affect equality --------------------------


@pytest.mark.parametrize("raw_hex, expected", [
    ("0010 0107 03030303 abcd 0001 01010101",
     t.SessionLspTunnelIPv4(IPv4Address("3.3.3.3"), 1, IPv4Address("1.1.1.1"))),
    ("0008 1301 ffff 0800", t.LabelRequest(0x0800)),
    ("0010 1302 0000 0800 7005 0020 f0ff ffff", t.LabelRequestAtm(0x0800, 5, 32, 255, 0xFFFF)),
    ("0010 1303 0001 0800 ff000010 ff800001", t.LabelRequestFrameRelay(0x0800, 2, 16, 1)),
    ("0010 2401 00ffc002 00000010 00000020", t.LabelSet(0, 2, (16, 32))),
    ("0014 cd07 0700107f 49989680 00000001 00000002", f.FastRerouteLegacy(7, 0, 16, 1250000.0, 1, 2)),
    ("0014 0b0c 01010101 0102 0001 02020202 0304 0003",
     t.SenderTemplateP2mpLspTunnelIPv4(IPv4Address("1.1.1.1"), 1, IPv4Address("2.2.2.2"), 3)),
])
def test_nonzero_reserved_bits_round_trip(raw_hex, expected):
    raw = bytes.fromhex(raw_hex.replace(" ", ""))
    assert one(raw) == expected
    assert expected.encode() != raw  # the model built by hand has zero reserved bits


# --- sizes --------------------------------------------------------------------------------------

FIXED = sorted((c for c in OBJECT_TYPES.values()
                if c.__module__ in (t.__name__, f.__name__) and issubclass(c, FixedObject)),
               key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", FIXED + [t.LabelRequestAtm, t.LabelRequestFrameRelay], ids=lambda c: c.__name__)
def test_fixed_body_must_have_exact_size(cls):
    size = cls.LAYOUT.size if issubclass(cls, FixedObject) else cls.BITS.size
    for wrong in (0, size - 4, size + 4):
        if wrong >= 0:
            with pytest.raises(MalformedMessage, match="expected"):
                cls.decode_body(bytes(wrong))


def test_short_body_through_framing_reports_the_object():
    with pytest.raises(MalformedMessage) as err:
        decode(message(MsgType.PATH, obj(1, 7, "03030303 0000 0001")))
    assert (err.value.class_num, err.value.c_type, err.value.offset) == (1, 7, 12)


@pytest.mark.parametrize("cls", [t.GeneralizedLabel, t.UpstreamGeneralizedLabel], ids=lambda c: c.__name__)
def test_generalized_label_is_whole_words(cls):
    for body in ("", "0001", "000000010002"):
        assert "not a non-empty multiple of 4" in body_error(cls, body).reason
    with pytest.raises(ValueError, match="one or more 32-bit words"):
        cls(b"\x01\x02").encode()


def test_label_set_needs_a_head_and_a_subchannel():
    for body in ("", "02000002", "02000002 0000"):
        body_error(t.LabelSet, body)
    with pytest.raises(ValueError):
        t.LabelSet(0, 2, ()).encode()


def test_bit_fields_must_fit():
    with pytest.raises(ValueError, match="minimum_vpi=4096 does not fit in 12 bits"):
        t.LabelRequestAtm(0x0800, 4096, 0, 0, 0).encode()
    with pytest.raises(ValueError, match="dli=4"):
        t.LabelRequestFrameRelay(0x0800, 4, 0, 0).encode()


# --- SESSION_ATTRIBUTE name handling (reference section 11 items 16-17) -------------------------


def test_session_attribute_is_not_scapys():
    """A 16-byte C-Type 7 object followed by TIME_VALUES: the name length is one byte and the padding is skipped."""
    raw = message(MsgType.PATH, obj(207, 7, "07070405 74756e6e 6c000000"), obj(5, 1, "00007530"))
    objects = decode(raw).objects
    assert objects[0] == t.SessionAttribute(7, 7, 4, "tunnl")
    assert type(objects[1]).__name__ == "TimeValues"


@pytest.mark.parametrize("body, offset, what", [
    ("07070409 61626364", 3, "Name Length 9 overruns"),
    ("07070401 61000000 00000000", 5, "7 bytes after the 1-byte name, expected 3"),
    ("07070404 61626364 00000000", 8, "4 bytes after the 4-byte name, expected 0"),
    ("07070401 61ff0000", 5, "expected 3 NUL bytes"),
    ("070704", None, "needs at least 4"),
])
def test_session_attribute_name_faults(body, offset, what):
    err = body_error(t.SessionAttribute, body)
    assert what in err.reason and err.offset == offset


def test_session_attribute_ra_faults():
    assert "needs at least 16" in body_error(t.SessionAttributeRa, "00000001 00000002 00000004").reason
    err = body_error(t.SessionAttributeRa, "00000001 00000002 00000004 07000209 61000000")
    assert err.offset == 15


def test_session_attribute_fault_offset_through_framing():
    with pytest.raises(MalformedMessage) as err:
        decode(message(MsgType.PATH, obj(207, 7, "07070409 61626364")))
    assert err.value.offset == 8 + 4 + 3


def test_session_attribute_name_encoding():
    assert t.SessionAttribute(0, 0, 0, "x" * 255).encode()[7] == 255
    with pytest.raises(ValueError, match="longer than 255"):
        t.SessionAttribute(0, 0, 0, "x" * 256).encode()
    with pytest.raises(ValueError):
        t.SessionAttribute(0, 0, 0, "\u20ac").encode()


def test_session_attribute_flags():
    flags = t.SessionAttributeFlags(0x46)
    assert flags == (t.SessionAttributeFlags.LABEL_RECORDING_DESIRED | t.SessionAttributeFlags.SE_STYLE_DESIRED
                     | t.SessionAttributeFlags.SOFT_PREEMPTION_DESIRED)
    assert t.SessionAttributeFlags.NODE_PROTECTION_DESIRED == 0x10


# --- fast reroute -------------------------------------------------------------------------------


def test_fast_reroute_rejects_nan_bandwidth():
    with pytest.raises(MalformedMessage):
        decode(message(MsgType.PATH, obj(205, 1, "07001002 7fc00000 00000000 00000000 00000000")))


def test_fast_reroute_infinite_bandwidth_round_trips():
    assert one(obj(205, 1, "07001001 7f800000 00000000 00000000 00000000")).bandwidth == float("inf")


def test_fast_reroute_unknown_c_type_is_kept_and_rejected():
    """The CVE-2017-13048 capture carries FAST_REROUTE objects of Length 4 with C-Type 0."""
    unknown = one(obj(205, 0, ""))
    assert isinstance(unknown, UnknownObject)
    assert unknown.rule is UnknownRule.REJECT and unknown.error == (14, 205 * 256)
    with pytest.raises(MalformedMessage, match="expected 20"):
        decode(message(MsgType.PATH, obj(205, 1, "")))


@pytest.mark.parametrize("cls, body_len", [
    (f.DetourIPv4, 0), (f.DetourIPv4, 4), (f.DetourIPv4, 12), (f.DetourIPv6, 16), (f.DetourIPv6, 48),
])
def test_detour_must_be_whole_pairs(cls, body_len):
    assert "not one or more" in body_error(cls, "00" * body_len).reason


def test_detour_needs_a_pair_to_encode():
    with pytest.raises(ValueError):
        f.DetourIPv4(()).encode()


# --- the real capture (reference: shared/captures/README.md section 2.1) ------------------------

COVERED = {ClassNum.SESSION, ClassNum.SENDER_TEMPLATE, ClassNum.FILTER_SPEC, ClassNum.LABEL,
           ClassNum.LABEL_REQUEST, ClassNum.EXPLICIT_ROUTE, ClassNum.RECORD_ROUTE, ClassNum.SESSION_ATTRIBUTE,
           ClassNum.S2L_SUB_LSP, ClassNum.SECONDARY_EXPLICIT_ROUTE, ClassNum.SECONDARY_RECORD_ROUTE}


def test_pr1265_capture_decodes_and_round_trips(shared_captures):
    frames = payloads(shared_captures / "tcpdump-pr1265_rsvp_session.pcap")
    assert len(frames) == 10
    seen = set()
    for payload in frames:
        msg = decode(payload)
        unknown = [o for o in msg.objects if isinstance(o, UnknownObject) and o.class_num in COVERED]
        assert not unknown, f"{msg.name}: {unknown}"
        seen.update(o.class_num for o in msg.objects)
        assert encode(msg) == payload
    assert COVERED <= seen


def test_pr1265_capture_values(shared_captures):
    path_p2p, resv_p2p, *_ = [decode(p) for p in payloads(shared_captures / "tcpdump-pr1265_rsvp_session.pcap")]
    attribute = path_p2p.find(ClassNum.SESSION_ATTRIBUTE)
    assert attribute == t.SessionAttribute(7, 0, 0x46, "TestTunnelP2p")
    assert path_p2p.find(ClassNum.SESSION) == t.SessionLspTunnelIPv4(IPv4Address("3.3.3.3"), 1, IPv4Address("1.1.1.1"))
    assert path_p2p.find(ClassNum.LABEL_REQUEST) == t.LabelRequest(t.L3PID_IPV4)
    assert path_p2p.find(ClassNum.EXPLICIT_ROUTE) == r.ExplicitRoute((
        r.EroIPv4Prefix(IPv4Address("10.0.12.2")), r.EroIPv4Prefix(IPv4Address("10.0.23.3"))))
    assert resv_p2p.find(ClassNum.LABEL) == t.Label(200000)
    labels = [s.label for s in resv_p2p.find(ClassNum.RECORD_ROUTE).subobjects if isinstance(s, r.RroLabel)]
    assert labels == [200000, 300000]
