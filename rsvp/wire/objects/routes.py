"""Route objects and their sub-objects.

EXPLICIT_ROUTE and RECORD_ROUTE (RFC 3209 sections 4.3, 4.4), EXCLUDE_ROUTE
(RFC 4874), SECONDARY_EXPLICIT_ROUTE / SECONDARY_RECORD_ROUTE (RFC 4873; C-Type
2 is the P2MP form of RFC 4875) and PRIMARY_PATH_ROUTE (RFC 4872).  Each body is
a list of sub-objects ``[L] Type Length contents``; one walker
(:class:`SubobjectFamily`) reads them all, with a type table per family.  A
sub-object Length counts its 2-byte header and MUST be at least 4 and a
multiple of 4 (RFC 3209 sections 4.3.3 and 4.4.1).  Types without a model
class are kept verbatim as :class:`UnknownSubobject`.
"""

from __future__ import annotations

import dataclasses
import enum
from ipaddress import IPv4Address, IPv6Address
from typing import Any, ClassVar

from construct import Int8ub, Int16ub, Int32ub

from ..errors import MalformedMessage
from ..layout import IPv4, IPv6, Layout
from ..model import BytesMemo, ClassNum, FixedRecord, RsvpObject, new_memo, record, reserved_field, wire_object

BAD_EXPLICIT_ROUTE = (24, 1)
"""Routing Problem / Bad EXPLICIT_ROUTE object (RFC 3209)."""


class Subobject:
    """Base of the modelled sub-objects: ``TYPE`` and the field the L bit maps to, if any.

    Each subclass provides ``from_contents(data, l_bit)`` (a classmethod building
    the sub-object from the bytes after its 2-byte header; error offsets count
    from the header) and ``contents()`` (those bytes back).
    """

    __slots__ = ()
    TYPE: ClassVar[int]
    L_BIT: ClassVar[str | None] = None  # "loose" (ERO), "avoid" (XRO); RRO has no L bit

    def code(self) -> tuple[int, bool]:
        """(Type, L bit) for the header."""
        return self.TYPE, bool(getattr(self, self.L_BIT)) if self.L_BIT else False


class _FixedSubobject(FixedRecord, Subobject):
    """A sub-object whose contents are one fixed ``LAYOUT`` (compiled by :func:`record`).

    ``PREFIX_BITS`` (32 or 128) makes ``prefix_length``, which follows the
    address, a checked field: 1 to ``PREFIX_BITS``.  Prefixes shorter than a
    host route are legal abstract nodes (RFC 3209 section 4.3.3).
    """

    __slots__ = ()
    PREFIX_BITS: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.EXTRAS = (cls.L_BIT,) if cls.L_BIT else ()

    @classmethod
    def from_contents(cls, data: bytes, l_bit: bool) -> Any:
        if len(data) != cls.LAYOUT.size:
            raise MalformedMessage(
                f"{cls.__name__} Length {len(data) + 2}, expected {cls.LAYOUT.size + 2}", offset=1
            )
        sub = cls.unpack(data, 0, l_bit) if cls.L_BIT else cls.unpack(data)
        if cls.PREFIX_BITS and not 1 <= sub.prefix_length <= cls.PREFIX_BITS:
            raise MalformedMessage(
                f"{cls.__name__} prefix length {sub.prefix_length} is not 1..{cls.PREFIX_BITS}",
                offset=2 + cls.PREFIX_BITS // 8,
            )
        return sub

    def contents(self) -> bytes:
        return self.pack()


class _LabelSubobject(Subobject):
    """Label sub-objects: one flags-like byte, C-Type(8), then a LABEL object body.

    ``label`` is an int for C-Type 1 (the 32-bit MPLS LABEL word) and bytes
    (one or more 32-bit words) for the other C-Types.  Subclasses map the first
    byte to fields: ``_build(first, c_type, label, l_bit)`` and ``_first()``.
    """

    __slots__ = ()

    @classmethod
    def from_contents(cls, data: bytes, l_bit: bool) -> Any:
        if len(data) < 6:
            raise MalformedMessage(f"{cls.__name__} Length {len(data) + 2} is shorter than 8", offset=1)
        first, c_type, raw = data[0], data[1], data[2:]
        if c_type != 1:
            return cls._build(first, c_type, bytes(raw), l_bit)
        if len(raw) != 4:
            raise MalformedMessage(f"{cls.__name__} C-Type 1 label is {len(raw)} bytes, expected 4", offset=4)
        return cls._build(first, c_type, int.from_bytes(raw, "big"), l_bit)

    def contents(self) -> bytes:
        label = self.label  # type: ignore[attr-defined]
        raw = label.to_bytes(4, "big") if isinstance(label, int) else label
        if not raw or len(raw) % 4:
            raise ValueError(f"{type(self).__name__} label must be one or more 32-bit words")
        return bytes((self._first(), self.c_type)) + raw  # type: ignore[attr-defined]


@record
class UnknownSubobject:
    """A sub-object of a type this codec does not model, kept verbatim.

    ``type`` excludes the L bit in families that have one (ERO, XRO); ``data``
    is everything after the 2-byte header.
    """

    type: int
    data: bytes
    l_bit: bool = False

    def code(self) -> tuple[int, bool]:
        return self.type, self.l_bit

    def contents(self) -> bytes:
        return self.data


@dataclasses.dataclass(frozen=True, slots=True)
class SubobjectFamily:
    """One sub-object format: its type table, whether Type has an L bit, the error for faults, and the
    types not worth memoising (``unshared``: recorded labels are all but unique to one LSP)."""

    name: str
    types: dict[int, type[Subobject]]
    l_bit: bool = True
    error: tuple[int, int] | None = None
    unshared: frozenset[int] = frozenset()
    memo: BytesMemo = dataclasses.field(default_factory=new_memo, compare=False, repr=False)

    def decode(self, body: bytes) -> tuple[Any, ...]:
        """Every sub-object of ``body``; raises :class:`MalformedMessage` at the faulty one."""
        out: list[Any] = []
        append, types, l_bits, memo, unshared = out.append, self.types, self.l_bit, self.memo, self.unshared
        offset, end = 0, len(body)
        try:
            while offset < end:
                if end - offset < 2:
                    raise MalformedMessage(f"{end - offset} bytes left, too few for a sub-object header")
                first, length = body[offset], body[offset + 1]
                if length < 4 or length & 3:
                    raise MalformedMessage(f"sub-object Length {length} must be >= 4 and a multiple of 4", offset=1)
                if offset + length > end:
                    raise MalformedMessage(
                        f"sub-object Length {length} runs {offset + length - end} bytes past the object", offset=1
                    )
                raw = body[offset : offset + length]
                sub = memo.get(raw)
                if sub is None:
                    code, l_bit = (first & 0x7F, first > 0x7F) if l_bits else (first, False)
                    cls = types.get(code)
                    sub = cls.from_contents(raw[2:], l_bit) if cls else UnknownSubobject(code, raw[2:], l_bit)
                    if code not in unshared:
                        memo.remember(raw, sub)
                append(sub)
                offset += length
        except MalformedMessage as exc:
            exc.at(offset)
            if self.error and exc.error_code is None:
                exc.error_code, exc.error_value = self.error
            raise
        return tuple(out)

    def encode(self, subobjects: tuple[Any, ...]) -> bytes:
        out = []
        for sub in subobjects:
            code, l_bit = sub.code()
            known = self.types.get(code)
            if known is not type(sub) and not (known is None and isinstance(sub, UnknownSubobject)):
                raise ValueError(f"{type(sub).__name__} (type {code}) is not a {self.name} sub-object")
            if code > (0x7F if self.l_bit else 0xFF) or (l_bit and not self.l_bit):
                raise ValueError(f"{self.name} sub-object type {code} / L bit {l_bit} does not fit the header")
            data = sub.contents()
            length = 2 + len(data)
            if length < 4 or length % 4 or length > 0xFF:
                raise ValueError(f"{self.name} sub-object of {length} bytes: must be 4..252 and a multiple of 4")
            out.append(bytes((code | (0x80 if l_bit else 0), length)) + data)
        return b"".join(out)


# --- EXPLICIT_ROUTE sub-objects (RFC 3209 section 4.3.3; RFC 3473, RFC 3477) -------------


@record
class EroIPv4Prefix(_FixedSubobject):
    """Type 1: an IPv4 prefix; ``loose`` is the L bit (RFC 3209 section 4.3.3)."""

    TYPE = 1
    L_BIT = "loose"
    PREFIX_BITS = 32
    LAYOUT = Layout("address" / IPv4, "prefix_length" / Int8ub, "reserved" / Int8ub)
    address: IPv4Address
    prefix_length: int = 32
    loose: bool = False
    reserved: int = reserved_field()


@record
class EroIPv6Prefix(_FixedSubobject):
    """Type 2: an IPv6 prefix (RFC 3209 section 4.3.3)."""

    TYPE = 2
    L_BIT = "loose"
    PREFIX_BITS = 128
    LAYOUT = Layout("address" / IPv6, "prefix_length" / Int8ub, "reserved" / Int8ub)
    address: IPv6Address
    prefix_length: int = 128
    loose: bool = False
    reserved: int = reserved_field()


@record
class EroLabel(_LabelSubobject):
    """Type 3: U(1: upstream) Reserved(7) C-Type(8) Label (RFC 3473 section 5.1); L must be 0 (RFC 3471 6.1)."""

    TYPE = 3
    L_BIT = "loose"
    label: int | bytes
    c_type: int = 1
    upstream: bool = False
    loose: bool = False
    reserved: int = reserved_field()

    @classmethod
    def _build(cls, first: int, c_type: int, label: int | bytes, l_bit: bool) -> EroLabel:
        return cls.build(label, c_type, bool(first & 0x80), l_bit, first & 0x7F)  # type: ignore[attr-defined]

    def _first(self) -> int:
        return (0x80 if self.upstream else 0) | self.reserved


@record
class EroUnnumbered(_FixedSubobject):
    """Type 4: an unnumbered interface, Reserved(16) Router ID(32) Interface ID(32) (RFC 3477)."""

    TYPE = 4
    L_BIT = "loose"
    LAYOUT = Layout("reserved" / Int16ub, "router_id" / IPv4, "interface_id" / Int32ub)
    router_id: IPv4Address
    interface_id: int
    loose: bool = False
    reserved: int = reserved_field()


@record
class EroAsNumber(_FixedSubobject):
    """Type 32: a 2-byte autonomous system number (RFC 3209 section 4.3.3)."""

    TYPE = 32
    L_BIT = "loose"
    LAYOUT = Layout("asn" / Int16ub)
    asn: int
    loose: bool = False


ERO = SubobjectFamily(
    "EXPLICIT_ROUTE",
    {c.TYPE: c for c in (EroIPv4Prefix, EroIPv6Prefix, EroLabel, EroUnnumbered, EroAsNumber)},
    error=BAD_EXPLICIT_ROUTE,
)


# --- RECORD_ROUTE sub-objects (RFC 3209 section 4.4.1; RFC 3477) -----------------------------


class RroFlags(enum.IntFlag):
    """Flags of the RRO IPv4 / IPv6 / unnumbered sub-objects."""

    LOCAL_PROTECTION_AVAILABLE = 0x01  # RFC 3209 section 4.4.1.1
    LOCAL_PROTECTION_IN_USE = 0x02  # RFC 3209 section 4.4.1.1
    BANDWIDTH_PROTECTION = 0x04  # RFC 4090 section 4.4
    NODE_PROTECTION = 0x08  # RFC 4090 section 4.4
    PREEMPTION_PENDING = 0x10  # as decoders name it; RFC 5712 defines no RRO flag (unverified)
    NODE_ID = 0x20  # RFC 4561 section 3


class RroLabelFlags(enum.IntFlag):
    """Flags of the RRO Label sub-object (RFC 3209 section 4.4.1.3; U bit RFC 3473 section 5.2)."""

    GLOBAL_LABEL = 0x01
    UPSTREAM = 0x80


@record
class RroIPv4(_FixedSubobject):
    """Type 1: IPv4 address, prefix length (32 by the RFC), flags (RFC 3209 section 4.4.1.1)."""

    TYPE = 1
    PREFIX_BITS = 32
    LAYOUT = Layout("address" / IPv4, "prefix_length" / Int8ub, "flags" / Int8ub)
    address: IPv4Address
    prefix_length: int = 32
    flags: int = 0


@record
class RroIPv6(_FixedSubobject):
    """Type 2: IPv6 address, prefix length (128 by the RFC), flags (RFC 3209 section 4.4.1.2)."""

    TYPE = 2
    PREFIX_BITS = 128
    LAYOUT = Layout("address" / IPv6, "prefix_length" / Int8ub, "flags" / Int8ub)
    address: IPv6Address
    prefix_length: int = 128
    flags: int = 0


@record
class RroLabel(_LabelSubobject):
    """Type 3: Flags(8) C-Type(8) and the contents of a LABEL object (RFC 3209 section 4.4.1.3)."""

    TYPE = 3
    label: int | bytes
    c_type: int = 1
    flags: int = 0

    @classmethod
    def _build(cls, first: int, c_type: int, label: int | bytes, l_bit: bool) -> RroLabel:
        return cls.build(label, c_type, first)  # type: ignore[attr-defined]

    def _first(self) -> int:
        return self.flags


@record
class RroUnnumbered(_FixedSubobject):
    """Type 4: Flags(8) Reserved(8) Router ID(32) Interface ID(32) (RFC 3477)."""

    TYPE = 4
    LAYOUT = Layout("flags" / Int8ub, "reserved" / Int8ub, "router_id" / IPv4, "interface_id" / Int32ub)
    router_id: IPv4Address
    interface_id: int
    flags: int = 0
    reserved: int = reserved_field()


RRO = SubobjectFamily(
    "RECORD_ROUTE", {c.TYPE: c for c in (RroIPv4, RroIPv6, RroLabel, RroUnnumbered)}, l_bit=False,
    unshared=frozenset({RroLabel.TYPE}),
)


# --- EXCLUDE_ROUTE sub-objects (RFC 4874) ----------------------------------------------------


class XroAttribute(enum.IntEnum):
    """XRO sub-object Attribute of types 1, 2 and 4 (RFC 4874 sections 3.1.1-3.1.3)."""

    INTERFACE = 0
    NODE = 1
    SRLG = 2


@record
class XroIPv4Prefix(_FixedSubobject):
    """Type 1; ``avoid`` is the L bit: 0 = MUST exclude, 1 = SHOULD avoid."""

    TYPE = 1
    L_BIT = "avoid"
    PREFIX_BITS = 32
    LAYOUT = Layout("address" / IPv4, "prefix_length" / Int8ub, "attribute" / Int8ub)
    address: IPv4Address
    prefix_length: int = 32
    attribute: int = XroAttribute.INTERFACE
    avoid: bool = False


@record
class XroIPv6Prefix(_FixedSubobject):
    """Type 2: as type 1 with an IPv6 prefix."""

    TYPE = 2
    L_BIT = "avoid"
    PREFIX_BITS = 128
    LAYOUT = Layout("address" / IPv6, "prefix_length" / Int8ub, "attribute" / Int8ub)
    address: IPv6Address
    prefix_length: int = 128
    attribute: int = XroAttribute.INTERFACE
    avoid: bool = False


@record
class XroUnnumbered(_FixedSubobject):
    """Type 4: Reserved(8) Attribute(8) TE Router ID(32) Interface ID(32)."""

    TYPE = 4
    L_BIT = "avoid"
    LAYOUT = Layout("reserved" / Int8ub, "attribute" / Int8ub, "router_id" / IPv4, "interface_id" / Int32ub)
    router_id: IPv4Address
    interface_id: int
    attribute: int = XroAttribute.INTERFACE
    avoid: bool = False
    reserved: int = reserved_field()


@record
class XroAsNumber(_FixedSubobject):
    """Type 32: a 2-byte AS number."""

    TYPE = 32
    L_BIT = "avoid"
    LAYOUT = Layout("asn" / Int16ub)
    asn: int
    avoid: bool = False


@record
class XroSrlg(_FixedSubobject):
    """Type 34: SRLG Id(32) Reserved(16); no Attribute octet (RFC 4874 sections 2.1 and 3.1.5)."""

    TYPE = 34
    L_BIT = "avoid"
    LAYOUT = Layout("srlg_id" / Int32ub, "reserved" / Int16ub)
    srlg_id: int
    avoid: bool = False
    reserved: int = reserved_field()


XRO = SubobjectFamily(
    "EXCLUDE_ROUTE", {c.TYPE: c for c in (XroIPv4Prefix, XroIPv6Prefix, XroUnnumbered, XroAsNumber, XroSrlg)}
)

# RFC 4873/4872 define no error value of their own for a malformed SERO or PPRO.
SERO = dataclasses.replace(ERO, name="SECONDARY_EXPLICIT_ROUTE", error=None)
PPRO = dataclasses.replace(ERO, name="PRIMARY_PATH_ROUTE", error=None)
SRRO = dataclasses.replace(RRO, name="SECONDARY_RECORD_ROUTE")


# --- The route objects ------------------------------------------------------------------------


class _Route(RsvpObject):
    """A body that is nothing but sub-objects of ``FAMILY``."""

    __slots__ = ()
    FAMILY: ClassVar[SubobjectFamily]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        return cls.build(cls.FAMILY.decode(body))  # type: ignore[attr-defined]

    def encode_body(self) -> bytes:
        return self.FAMILY.encode(self.subobjects)  # type: ignore[attr-defined]


@wire_object(ClassNum.EXPLICIT_ROUTE, 1)
class ExplicitRoute(_Route):
    """EXPLICIT_ROUTE (RFC 3209 section 4.3); faults are error 24/1."""

    FAMILY = ERO
    subobjects: tuple[Any, ...] = ()


@wire_object(ClassNum.RECORD_ROUTE, 1)
class RecordRoute(_Route):
    """RECORD_ROUTE (RFC 3209 section 4.4)."""

    FAMILY = RRO
    subobjects: tuple[Any, ...] = ()


@wire_object(ClassNum.EXCLUDE_ROUTE, 1)
class ExcludeRoute(_Route):
    """EXCLUDE_ROUTE (RFC 4874)."""

    FAMILY = XRO
    subobjects: tuple[Any, ...] = ()


@wire_object(ClassNum.SECONDARY_EXPLICIT_ROUTE, 1)
class SecondaryExplicitRoute(_Route):
    """SECONDARY_EXPLICIT_ROUTE (RFC 4873): ERO sub-objects (type 37 Protection is kept raw)."""

    FAMILY = SERO
    subobjects: tuple[Any, ...] = ()


@wire_object(ClassNum.SECONDARY_EXPLICIT_ROUTE, 2)
class P2mpSecondaryExplicitRoute(SecondaryExplicitRoute):
    """P2MP SECONDARY_EXPLICIT_ROUTE (RFC 4875): the C-Type 1 format."""


@wire_object(ClassNum.SECONDARY_RECORD_ROUTE, 1)
class SecondaryRecordRoute(_Route):
    """SECONDARY_RECORD_ROUTE (RFC 4873): RRO sub-objects."""

    FAMILY = SRRO
    subobjects: tuple[Any, ...] = ()


@wire_object(ClassNum.SECONDARY_RECORD_ROUTE, 2)
class P2mpSecondaryRecordRoute(SecondaryRecordRoute):
    """P2MP SECONDARY_RECORD_ROUTE (RFC 4875): the C-Type 1 format."""


@wire_object(ClassNum.PRIMARY_PATH_ROUTE, 1)
class PrimaryPathRoute(_Route):
    """PRIMARY_PATH_ROUTE (RFC 4872): ERO sub-objects."""

    FAMILY = PPRO
    subobjects: tuple[Any, ...] = ()
