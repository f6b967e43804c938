"""LSP attributes, ASSOCIATION and the remaining GMPLS / DiffServ-TE objects.

* LSP_ATTRIBUTES (197) and LSP_REQUIRED_ATTRIBUTES (67): RFC 5420 Attributes TLVs.
* ASSOCIATION (199): RFC 4872 section 16.1 (C-Types 1/2), RFC 6780 section 4.1 (Extended, C-Types 3/4).
* PROTECTION (37): RFC 3473 section 6 (C-Type 1), RFC 4872 section 14.1 and RFC 4873 section 6.1 (C-Type 2).
* NOTIFY_REQUEST (195), ADMIN_STATUS (196): RFC 3473 sections 4.2.1 and 7.1.
* RESTART_CAP (131): RFC 3473 section 9.1; CAPABILITY (134): RFC 5063 section 4.2.
* DIFFSERV (65): RFC 3270 section 5.2; CLASSTYPE (66): RFC 4124 section 6.2.1.

Vendor-private classes (RFC 3936: 124-127, 188-191, 252-255) are deliberately
not registered: they stay :class:`~rsvp.wire.model.UnknownObject` so that the
RFC 2205 section 3.10 class-number rules keep applying to them.
"""

from __future__ import annotations

import dataclasses
import enum
from ipaddress import IPv4Address, IPv6Address
from typing import ClassVar, Union

from construct import Int16ub, Int32ub

from ..errors import MalformedMessage
from ..layout import BitLayout, IPv4, IPv6, Layout
from ..model import BitFieldObject, ClassNum, FixedObject, RsvpObject, record, reserved_field, wire_object
from .core import decode_tlvs, encode_tlvs


# --- LSP_ATTRIBUTES / LSP_REQUIRED_ATTRIBUTES (RFC 5420) -----------------------------------

ATTRIBUTE_FLAGS_TLV = 1


class AttributeFlag(enum.IntEnum):
    """Attribute Flags bit numbers (bit 0 = MSB of the first word; IANA RSVP-TE Attribute Flags)."""

    END_TO_END_REROUTING = 0  # RFC 4920
    BOUNDARY_REROUTING = 1  # RFC 4920
    SEGMENT_BASED_REROUTING = 2  # RFC 4920
    LSP_INTEGRITY_REQUIRED = 3  # RFC 4875
    CONTIGUOUS_LSP = 4  # RFC 5151
    LSP_STITCHING_DESIRED = 5  # RFC 5150


@record
class AttributeTlv:
    """An Attributes TLV other than type 1, kept raw; ``value`` excludes the padding."""

    type: int
    value: bytes


@record
class AttributeFlags:
    """Attribute Flags TLV (type 1): whole 32-bit words of flags.

    ``flags`` is indexed by RFC bit number: bit *n* (bit 0 = MSB of the first
    word) is ``1 << n``.  ``words`` only records how many words a sender used
    (trailing all-zero words carry no meaning, so it is ignored by ``==``);
    encoding never writes fewer words than ``flags`` needs.
    """

    flags: int = 0
    words: int = dataclasses.field(default=1, kw_only=True, compare=False)

    type: ClassVar[int] = ATTRIBUTE_FLAGS_TLV

    @classmethod
    def from_value(cls, value: bytes) -> AttributeFlags:
        bits = len(value) * 8
        flags = int(f"{int.from_bytes(value, 'big'):0{bits}b}"[::-1], 2) if bits else 0
        return cls(flags, words=len(value) // 4)

    @property
    def value(self) -> bytes:
        words = max(self.words, (self.flags.bit_length() + 31) // 32)
        if not words:
            return b""
        return int(f"{self.flags:0{words * 32}b}"[::-1], 2).to_bytes(words * 4, "big")

    def has(self, bit: int) -> bool:
        """Whether RFC bit number ``bit`` is set."""
        return bool(self.flags >> bit & 1)


Attribute = Union[AttributeFlags, AttributeTlv]


@wire_object(ClassNum.LSP_ATTRIBUTES, 1)
class LspAttributes(RsvpObject):
    """LSP_ATTRIBUTES: a list of Attributes TLVs (RFC 5420 sections 3 and 4.1).

    TLV Length counts the 4-byte header and the value but not the zero padding
    to a 4-byte boundary (non-zero padding is rejected, so every accepted body
    re-encodes byte for byte).  The Attribute Flags TLV's Length is always a multiple of 4.
    """

    tlvs: tuple[Attribute, ...] = ()

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        tlvs: list[Attribute] = []
        offset = 0
        for tlv in decode_tlvs(body):  # checks lengths and zero padding
            padded = offset + 4 + len(tlv.value) + -len(tlv.value) % 4
            if tlv.type == ATTRIBUTE_FLAGS_TLV:
                if len(tlv.value) % 4:
                    raise MalformedMessage(
                        f"Attribute Flags TLV value of {len(tlv.value)} bytes is not whole 32-bit words", offset=offset
                    )
                tlvs.append(AttributeFlags.from_value(tlv.value))
            else:
                tlvs.append(AttributeTlv(tlv.type, tlv.value))
            offset = padded
        return cls(tuple(tlvs))

    def encode_body(self) -> bytes:
        return encode_tlvs(self.tlvs)  # type: ignore[arg-type]

    @property
    def attribute_flags(self) -> int:
        """The Attribute Flags (RFC bit *n* is ``1 << n``), 0 when no flags TLV is present."""
        return next((t.flags for t in self.tlvs if isinstance(t, AttributeFlags)), 0)

    def has_flag(self, bit: int) -> bool:
        """Whether Attribute Flags bit ``bit`` is set."""
        return bool(self.attribute_flags >> bit & 1)


@wire_object(ClassNum.LSP_REQUIRED_ATTRIBUTES, 1)
class LspRequiredAttributes(LspAttributes):
    """LSP_REQUIRED_ATTRIBUTES: same TLVs, each of which every LSR must support (RFC 5420)."""


# --- ASSOCIATION (RFC 4872 section 16; RFC 6780 section 4) ---------------------------------


class AssociationType(enum.IntEnum):
    """Association Type values: 1 from RFC 4872 section 16.1, 2 from RFC 4873 section 3.1."""

    RECOVERY = 1
    RESOURCE_SHARING = 2


@wire_object(ClassNum.ASSOCIATION, 1)
class AssociationIPv4(FixedObject):
    """Association Type(16) Association ID(16) IPv4 Association Source(32)."""

    LAYOUT = Layout("association_type" / Int16ub, "association_id" / Int16ub, "association_source" / IPv4)
    association_type: int
    association_id: int
    association_source: IPv4Address


@wire_object(ClassNum.ASSOCIATION, 2)
class AssociationIPv6(FixedObject):
    """Association Type(16) Association ID(16) IPv6 Association Source(128)."""

    LAYOUT = Layout("association_type" / Int16ub, "association_id" / Int16ub, "association_source" / IPv6)
    association_type: int
    association_id: int
    association_source: IPv6Address


class _ExtendedAssociation(RsvpObject):
    """``HEAD`` then the Extended Association ID: zero or more 32-bit words, kept raw (RFC 6780 section 4.1)."""

    __slots__ = ()
    HEAD: ClassVar[Layout]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        size = cls.HEAD.size
        if len(body) < size:
            raise MalformedMessage(f"{cls.__name__} body is {len(body)} bytes, needs at least {size}", offset=0)
        return cls(*cls.HEAD.unpack(body), body[size:])

    def encode_body(self) -> bytes:
        head = self.HEAD.pack([getattr(self, n) for n in self.HEAD.names])
        return head + self.extended_association_id  # type: ignore[attr-defined]


@wire_object(ClassNum.ASSOCIATION, 3)
class ExtendedAssociationIPv4(_ExtendedAssociation):
    """IPv4 Extended ASSOCIATION (RFC 6780 section 4.1), not the OIF form Wireshark shows for C-Type 4."""

    HEAD = Layout(
        "association_type" / Int16ub, "association_id" / Int16ub, "association_source" / IPv4,
        "global_association_source" / Int32ub,
    )
    association_type: int
    association_id: int
    association_source: IPv4Address
    global_association_source: int = 0
    extended_association_id: bytes = b""


@wire_object(ClassNum.ASSOCIATION, 4)
class ExtendedAssociationIPv6(_ExtendedAssociation):
    """IPv6 Extended ASSOCIATION (RFC 6780 section 4.1), not the OIF "routing area" form."""

    HEAD = Layout(
        "association_type" / Int16ub, "association_id" / Int16ub, "association_source" / IPv6,
        "global_association_source" / Int32ub,
    )
    association_type: int
    association_id: int
    association_source: IPv6Address
    global_association_source: int = 0
    extended_association_id: bytes = b""


# --- PROTECTION (RFC 3473 section 6; RFC 4872 section 14) ----------------------------------


class LinkFlag(enum.IntFlag):
    """Link Flags, the link protection types (RFC 3471 section 7.1)."""

    EXTRA_TRAFFIC = 0x01
    UNPROTECTED = 0x02
    SHARED = 0x04
    DEDICATED_1_FOR_1 = 0x08
    DEDICATED_1_PLUS_1 = 0x10
    ENHANCED = 0x20


class LspFlag(enum.IntFlag):
    """LSP (protection type) Flags and Seg.Flags; zero means unprotected (RFC 4872 section 14.1)."""

    FULL_REROUTING = 0x01
    REROUTING_WITHOUT_EXTRA_TRAFFIC = 0x02
    ONE_FOR_N_WITH_EXTRA_TRAFFIC = 0x04
    ONE_PLUS_ONE_UNIDIRECTIONAL = 0x08
    ONE_PLUS_ONE_BIDIRECTIONAL = 0x10


@wire_object(ClassNum.PROTECTION, 1)
class ProtectionV1(BitFieldObject):
    """S(1: secondary LSP) Reserved(25) Link Flags(6) (RFC 3473 section 6, fields RFC 3471 section 7.1)."""

    BITS = BitLayout((("secondary", 1), ("reserved", 25), ("link_flags", 6)))
    secondary: bool = False
    link_flags: int = 0
    reserved: int = reserved_field()


@wire_object(ClassNum.PROTECTION, 2)
class ProtectionV2(BitFieldObject):
    """S P N O(1 each) Reserved(6) LSP Flags(6) Reserved(10) Link Flags(6) /
    I R(1 each) Reserved(8) Seg.Flags(6) Reserved(16).

    RFC 4872 section 14.1; I, R and Seg.Flags from RFC 4873 section 6.1.  The widths are
    the diagrams'; RFC 4872's prose gives the first Reserved field 5 bits, one short of 32.
    """

    BITS = BitLayout(
        (("secondary", 1), ("protecting", 1), ("notification", 1), ("operational", 1), ("reserved", 6),
         ("lsp_flags", 6), ("reserved2", 10), ("link_flags", 6)),
        (("in_place", 1), ("required", 1), ("reserved3", 8), ("segment_flags", 6), ("reserved4", 16)),
    )
    secondary: bool = False
    protecting: bool = False
    notification: bool = False
    operational: bool = False
    lsp_flags: int = 0
    link_flags: int = 0
    in_place: bool = False
    required: bool = False
    segment_flags: int = 0
    reserved2: int = reserved_field()
    reserved3: int = reserved_field()
    reserved4: int = reserved_field()
    reserved: int = reserved_field()


# --- NOTIFY_REQUEST, ADMIN_STATUS, RESTART_CAP, CAPABILITY -----------------------------------


@wire_object(ClassNum.NOTIFY_REQUEST, 1)
class NotifyRequestIPv4(FixedObject):
    """IPv4 Notify Node Address (RFC 3473 section 4.2.1)."""

    LAYOUT = Layout("notify_node_address" / IPv4)
    notify_node_address: IPv4Address


@wire_object(ClassNum.NOTIFY_REQUEST, 2)
class NotifyRequestIPv6(FixedObject):
    """IPv6 Notify Node Address (RFC 3473 section 4.2.1)."""

    LAYOUT = Layout("notify_node_address" / IPv6)
    notify_node_address: IPv6Address


ADMIN_REFLECT = 0x80000000
ADMIN_TESTING = 0x4
ADMIN_DOWN = 0x2
ADMIN_DELETION = 0x1


@wire_object(ClassNum.ADMIN_STATUS, 1)
class AdminStatus(FixedObject):
    """R(1) Reserved(28) T(1) A(1) D(1) as one 32-bit ``flags`` word (RFC 3473 section 7.1)."""

    LAYOUT = Layout("flags" / Int32ub)
    flags: int = 0

    @property
    def reflect(self) -> bool:
        return bool(self.flags & ADMIN_REFLECT)

    @property
    def testing(self) -> bool:
        return bool(self.flags & ADMIN_TESTING)

    @property
    def administratively_down(self) -> bool:
        return bool(self.flags & ADMIN_DOWN)

    @property
    def deletion_in_progress(self) -> bool:
        return bool(self.flags & ADMIN_DELETION)


@wire_object(ClassNum.RESTART_CAP, 1)
class RestartCap(FixedObject):
    """Restart Time(32, ms) Recovery Time(32, ms) (RFC 3473 section 9.1)."""

    LAYOUT = Layout("restart_time_ms" / Int32ub, "recovery_time_ms" / Int32ub)
    restart_time_ms: int
    recovery_time_ms: int


CAPABILITY_RECOVERY_PATH_TRANSMIT = 0x4  # T
CAPABILITY_RECOVERY_PATH_DESIRED = 0x2  # R
CAPABILITY_RECOVERY_PATH_SREFRESH = 0x1  # S


@wire_object(ClassNum.CAPABILITY, 1)
class Capability(FixedObject):
    """Reserved(29) T(1) R(1) S(1) as one 32-bit ``flags`` word (RFC 5063 section 4.2)."""

    LAYOUT = Layout("flags" / Int32ub)
    flags: int = 0

    @property
    def recovery_path_transmit(self) -> bool:
        return bool(self.flags & CAPABILITY_RECOVERY_PATH_TRANSMIT)

    @property
    def recovery_path_desired(self) -> bool:
        return bool(self.flags & CAPABILITY_RECOVERY_PATH_DESIRED)

    @property
    def recovery_path_srefresh(self) -> bool:
        return bool(self.flags & CAPABILITY_RECOVERY_PATH_SREFRESH)


# --- DIFFSERV (RFC 3270 section 5.2) and CLASSTYPE (RFC 4124 section 6.2.1) ----------------


INVALID_EXP_PHB_MAPPING = (27, 3)
"""Diff-Serv Error / Invalid EXP<-->PHB mapping (RFC 3270 sections 5.3 and 5.5)."""

INVALID_CLASS_TYPE_VALUE = (28, 3)
"""Diffserv-aware TE Error / Invalid Class-Type value (RFC 4124 sections 6.3 and 6.5)."""


@record
class DiffServMap:
    """One E-LSP MAP entry: Reserved(13) EXP(3) PHBID(16)."""

    BITS: ClassVar[BitLayout] = BitLayout((("reserved", 13), ("exp", 3), ("phbid", 16)))
    exp: int
    phbid: int
    reserved: int = reserved_field()


@wire_object(ClassNum.DIFFSERV, 1)
class DiffServELsp(RsvpObject):
    """E-LSP: Reserved(28) MAPnb(4), then MAPnb MAP entries (RFC 3270 section 5.2.1).

    MAPnb is derived from ``maps`` on encode and checked against the body on decode.
    A mapping with MAPnb above 8 or an EXP value in two entries is invalid, error
    27/3 (RFC 3270 section 5.3); PHBID encodings (RFC 3140) are not checked here.
    """

    HEAD: ClassVar[BitLayout] = BitLayout((("reserved", 28), ("mapnb", 4)))
    maps: tuple[DiffServMap, ...] = ()
    reserved: int = reserved_field()

    @property
    def mapnb(self) -> int:
        return len(self.maps)

    @classmethod
    def decode_body(cls, body: bytes) -> DiffServELsp:  # type: ignore[override]
        if len(body) < 4:
            raise MalformedMessage(f"DIFFSERV E-LSP body is {len(body)} bytes, needs at least 4", offset=0)
        head = cls.HEAD.unpack(body)
        need = 4 + 4 * head["mapnb"]
        if len(body) != need:
            raise MalformedMessage(
                f"DIFFSERV MAPnb {head['mapnb']} needs a {need}-byte body, got {len(body)}", offset=0
            )
        code, value = INVALID_EXP_PHB_MAPPING
        if head["mapnb"] > 8:
            raise MalformedMessage(
                f"DIFFSERV MAPnb {head['mapnb']} is not 0..8", offset=3, error_code=code, error_value=value
            )
        unpack = DiffServMap.BITS.unpack
        maps = tuple(DiffServMap(**unpack(body, offset)) for offset in range(4, need, 4))
        if len({m.exp for m in maps}) != len(maps):
            raise MalformedMessage("DIFFSERV EXP value mapped twice", offset=4, error_code=code, error_value=value)
        return cls(maps, reserved=head["reserved"])

    def encode_body(self) -> bytes:
        if len(self.maps) > 8:
            raise ValueError(f"DIFFSERV E-LSP carries at most 8 MAP entries, not {len(self.maps)}")
        return self.HEAD.pack(self) + b"".join(DiffServMap.BITS.pack(m) for m in self.maps)


@wire_object(ClassNum.DIFFSERV, 2)
class DiffServLLsp(FixedObject):
    """L-LSP: Reserved(16) PSC(16) (RFC 3270 section 5.2.2)."""

    LAYOUT = Layout("reserved" / Int16ub, "psc" / Int16ub)
    psc: int
    reserved: int = reserved_field()


@wire_object(ClassNum.CLASSTYPE, 1)
class ClassType(BitFieldObject):
    """Reserved(29) CT(3) (RFC 4124 section 6.2.1).

    CT 0 is reserved: Class-Type 0 is signalled by leaving the object out, and a
    received CT 0 is error 28/3 (RFC 4124 section 6.3).
    """

    BITS = BitLayout((("reserved", 29), ("ct", 3)))
    ct: int
    reserved: int = reserved_field()

    @classmethod
    def decode_body(cls, body: bytes) -> ClassType:  # type: ignore[override]
        obj = BitFieldObject.decode_body.__func__(cls, body)  # type: ignore[attr-defined]
        if not obj.ct:
            code, value = INVALID_CLASS_TYPE_VALUE
            raise MalformedMessage("CLASSTYPE CT 0 is reserved", offset=3, error_code=code, error_value=value)
        return obj

    def encode_body(self) -> bytes:
        if not self.ct:
            raise ValueError("CLASSTYPE CT 0 is reserved: omit the object for Class-Type 0")
        return self.BITS.pack(self)
