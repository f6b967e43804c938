"""Less common SESSION / SENDER_TEMPLATE / FILTER_SPEC forms and optional object classes.

* IPv4/GPI and IPv6/GPI (IPsec): RFC 2207 section 3.
* RSVP-Aggregate sessions and aggregators: RFC 3175 sections 3.3-3.5.
* UNI and E-NNI sessions: RFC 3476 section 3.2, RFC 3474 section 7.
* CALL_ID (230) and CALL_OPS (228): RFC 3474 sections 4.1.1 and 9.1.
* GENERALIZED_UNI (229): RFC 3476 section 3.1.
* USER_ERROR_SPEC (194): RFC 5284 section 3.  ALARM_SPEC (198): RFC 4783 section 3.1.
* DCLASS (225): RFC 2996 section 2.  CALL_ATTRIBUTES (202): RFC 6001 section 5.1.

Class numbers not in :class:`~rsvp.wire.model.ClassNum` are the module constants below.
"""

from __future__ import annotations

import enum
import struct
from ipaddress import IPv4Address, IPv6Address
from typing import ClassVar

from construct import Bytes, Int8ub, Int24ub, Int32ub

from ..errors import MalformedMessage
from ..layout import BitLayout, IPv4, IPv6, Layout
from ..model import ClassNum, FixedObject, RsvpObject, record, reserved_field, wire_object
from .attributes import LspAttributes
from .core import ErrorSpecIPv4IfId, ErrorSpecIPv6IfId, SessionIPv4, SessionIPv6
from .routes import SubobjectFamily, UnknownSubobject
from .te import SessionLspTunnelIPv4, SessionLspTunnelIPv6


# --- IPv4/GPI and IPv6/GPI (RFC 2207 section 3) ----------------------------------------------


@wire_object(ClassNum.SESSION, 3)
class SessionIPv4Gpi(SessionIPv4):
    """IPv4/GPI SESSION (RFC 2207 section 3.1): the C-Type 1 layout, ``destination_port`` is the vDstPort."""


@wire_object(ClassNum.SESSION, 4)
class SessionIPv6Gpi(SessionIPv6):
    """IPv6/GPI SESSION (RFC 2207 section 3.1): the C-Type 2 layout, ``destination_port`` is the vDstPort."""


@wire_object(ClassNum.FILTER_SPEC, 4)
class FilterSpecIPv4Gpi(FixedObject):
    """IPv4/GPI FILTER_SPEC: source address, Generalized Port Identifier (an IPsec SPI; RFC 2207 3.2)."""

    LAYOUT = Layout("source" / IPv4, "gpi" / Int32ub)
    source: IPv4Address
    gpi: int


@wire_object(ClassNum.FILTER_SPEC, 5)
class FilterSpecIPv6Gpi(FixedObject):
    """IPv6/GPI FILTER_SPEC (RFC 2207 section 3.2)."""

    LAYOUT = Layout("source" / IPv6, "gpi" / Int32ub)
    source: IPv6Address
    gpi: int


@wire_object(ClassNum.SENDER_TEMPLATE, 4)
class SenderTemplateIPv4Gpi(FilterSpecIPv4Gpi):
    """IPv4/GPI SENDER_TEMPLATE (RFC 2207 section 3.3): the FILTER_SPEC layout."""


@wire_object(ClassNum.SENDER_TEMPLATE, 5)
class SenderTemplateIPv6Gpi(FilterSpecIPv6Gpi):
    """IPv6/GPI SENDER_TEMPLATE (RFC 2207 section 3.3): the FILTER_SPEC layout."""


# --- RSVP-Aggregate (RFC 3175 sections 3.3-3.5; C-Types 9 and 10 in all three classes) -------


@wire_object(ClassNum.SESSION, 9)
class SessionAggregateIPv4(FixedObject):
    """RSVP-AGGREGATE-IP4 SESSION: Session Address, reserved(8) Flags(8) reserved(8) DSCP(8) (RFC 3175 3.3)."""

    LAYOUT = Layout(
        "session_address" / IPv4, "reserved" / Int8ub, "flags" / Int8ub, "reserved2" / Int8ub, "dscp" / Int8ub
    )
    session_address: IPv4Address
    dscp: int
    flags: int = 0
    reserved: int = reserved_field()
    reserved2: int = reserved_field()


@wire_object(ClassNum.SESSION, 10)
class SessionAggregateIPv6(FixedObject):
    """RSVP-AGGREGATE-IP6 SESSION (RFC 3175 section 3.3)."""

    LAYOUT = Layout(
        "session_address" / IPv6, "reserved" / Int8ub, "flags" / Int8ub, "reserved2" / Int8ub, "dscp" / Int8ub
    )
    session_address: IPv6Address
    dscp: int
    flags: int = 0
    reserved: int = reserved_field()
    reserved2: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 9)
class FilterSpecAggregateIPv4(FixedObject):
    """RSVP-AGGREGATE-IP4 FILTER_SPEC: the aggregating router (RFC 3175 section 3.5, layout of 3.4)."""

    LAYOUT = Layout("aggregator_address" / IPv4)
    aggregator_address: IPv4Address


@wire_object(ClassNum.FILTER_SPEC, 10)
class FilterSpecAggregateIPv6(FixedObject):
    """RSVP-AGGREGATE-IP6 FILTER_SPEC (RFC 3175 section 3.5, layout of 3.4)."""

    LAYOUT = Layout("aggregator_address" / IPv6)
    aggregator_address: IPv6Address


@wire_object(ClassNum.SENDER_TEMPLATE, 9)
class SenderTemplateAggregateIPv4(FilterSpecAggregateIPv4):
    """RSVP-AGGREGATE-IP4 SENDER_TEMPLATE (RFC 3175 section 3.4)."""


@wire_object(ClassNum.SENDER_TEMPLATE, 10)
class SenderTemplateAggregateIPv6(FilterSpecAggregateIPv6):
    """RSVP-AGGREGATE-IP6 SENDER_TEMPLATE (RFC 3175 section 3.4)."""


# --- UNI and E-NNI sessions: the LSP_TUNNEL layouts (RFC 3476 section 3.2, RFC 3474 section 7)


@wire_object(ClassNum.SESSION, 11)
class SessionUniIPv4(SessionLspTunnelIPv4):
    """UNI_IPv4 SESSION (RFC 3476 section 3.2): IPv4 Address, MBZ, Tunnel ID, Extended IPv4 Address."""


@wire_object(ClassNum.SESSION, 12)
class SessionUniIPv6(SessionLspTunnelIPv6):
    """UNI_IPv6 SESSION (RFC 3474 section 7): the C-Type 8 format."""


@wire_object(ClassNum.SESSION, 15)
class SessionEnniIPv4(SessionLspTunnelIPv4):
    """ENNI_IPv4 SESSION (RFC 3474 section 7): the C-Type 7 format."""


@wire_object(ClassNum.SESSION, 16)
class SessionEnniIPv6(SessionLspTunnelIPv6):
    """ENNI_IPv6 SESSION (RFC 3474 section 7): the C-Type 8 format."""


# --- CALL_ID and CALL_OPS (RFC 3474 sections 4.1.1 and 9.1) ----------------------------------


class CallIdAddressType(enum.IntEnum):
    """CALL_ID Type: the format of the Source LSR address (RFC 3474 section 4.1.1)."""

    IPV4 = 0x01  # 4 bytes
    IPV6 = 0x02  # 16 bytes
    NSAP = 0x03  # 20 bytes
    MAC = 0x04  # 6 bytes
    VENDOR = 0x7F  # vendor-defined length


_ADDRESS_LENGTHS = {CallIdAddressType.IPV4: 4, CallIdAddressType.IPV6: 16, CallIdAddressType.NSAP: 20}


class _CallId(RsvpObject):
    """``HEAD`` (Type first), Source LSR address, Local identifier(64).

    The address is whatever lies between the head and the last 8 bytes.  Its
    length is checked for Types 1-3; RFC 3474 does not say where a 6-byte (Type 4)
    address is padded to 32 bits, so for Type 4 and the others it is kept as given.
    """

    __slots__ = ()
    HEAD: ClassVar[Layout]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        size = cls.HEAD.size
        if len(body) < size + 8:
            raise MalformedMessage(f"{cls.__name__} body is {len(body)} bytes, needs at least {size + 8}", offset=0)
        head = dict(zip(cls.HEAD.names, cls.HEAD.unpack(body)))
        address = body[size:-8]
        want = _ADDRESS_LENGTHS.get(head["address_type"])
        if want is not None and len(address) != want:
            raise MalformedMessage(
                f"{cls.__name__} Type {head['address_type']} needs a {want}-byte Source LSR address, "
                f"got {len(address)}", offset=size,
            )
        return cls(**head, source_lsr_address=address, local_identifier=int.from_bytes(body[-8:], "big"))

    def encode_body(self) -> bytes:
        address, address_type = self.source_lsr_address, self.address_type  # type: ignore[attr-defined]
        want = _ADDRESS_LENGTHS.get(address_type)
        if want is not None and len(address) != want:
            raise ValueError(f"Source LSR address of Type {address_type} must be {want} bytes")
        head = self.HEAD.pack([getattr(self, name) for name in self.HEAD.names])
        return head + address + self.local_identifier.to_bytes(8, "big")  # type: ignore[attr-defined]

    @property
    def source_address(self) -> IPv4Address | IPv6Address | None:
        """The Source LSR address as an IP address, for Types 1 and 2."""
        if self.address_type == CallIdAddressType.IPV4:  # type: ignore[attr-defined]
            return IPv4Address(self.source_lsr_address)  # type: ignore[attr-defined]
        if self.address_type == CallIdAddressType.IPV6:  # type: ignore[attr-defined]
            return IPv6Address(self.source_lsr_address)  # type: ignore[attr-defined]
        return None


@wire_object(ClassNum.CALL_ID, 1)
class CallIdOperatorSpecific(_CallId):
    """Operator-specific CALL_ID: Type(8) Resv(24), Source LSR address, Local identifier (RFC 3474 4.1.1)."""

    HEAD = Layout("address_type" / Int8ub, "reserved" / Int24ub)
    address_type: int
    source_lsr_address: bytes
    local_identifier: int
    reserved: int = reserved_field()


@wire_object(ClassNum.CALL_ID, 2)
class CallIdGloballyUnique(_CallId):
    """Globally unique CALL_ID: Type(8) IS(24) NS(96), Source LSR address, Local identifier (RFC 3474 4.1.1).

    IS is the ISO 3166 country code; NS is the ITU carrier code and the unique
    access point code, six T.50 characters each, NUL-padded.  All kept as bytes.
    """

    HEAD = Layout(
        "address_type" / Int8ub, "international_segment" / Bytes(3),
        "itu_carrier_code" / Bytes(6), "unique_access_point_code" / Bytes(6),
    )
    address_type: int
    international_segment: bytes
    itu_carrier_code: bytes
    unique_access_point_code: bytes
    source_lsr_address: bytes
    local_identifier: int

    def encode_body(self) -> bytes:
        for name, size in (("international_segment", 3), ("itu_carrier_code", 6), ("unique_access_point_code", 6)):
            if len(getattr(self, name)) != size:  # struct would silently pad or cut it
                raise ValueError(f"CALL_ID {name} must be {size} bytes")
        return _CallId.encode_body(self)


CALL_WITHOUT_CONNECTION = 0x01
SYNCHRONIZING_CALL = 0x02
"""CALL_OPS flags (RFC 3474 section 9.1)."""


@wire_object(ClassNum.CALL_OPS, 1)
class CallOps(FixedObject):
    """CALL_OPS: Reserved(24) Call ops flags(8) (RFC 3474 section 9.1)."""

    LAYOUT = Layout("reserved" / Int24ub, "call_ops_flags" / Int8ub)
    call_ops_flags: int = 0
    reserved: int = reserved_field()


# --- GENERALIZED_UNI (RFC 3476 section 3.1) --------------------------------------------------


class GeneralizedUniType(enum.IntEnum):
    """GENERALIZED_UNI sub-object Types (RFC 3476 section 3.1)."""

    SOURCE_TNA = 1  # Sub-types 1 IPv4, 2 IPv6, 3 NSAP
    DESTINATION_TNA = 2  # Sub-types 1 IPv4, 2 IPv6, 3 NSAP
    DIVERSITY = 3
    EGRESS_LABEL = 4
    SERVICE_LEVEL = 5


_UNI_SUBOBJECT = struct.Struct(">HBB")


@record
class GeneralizedUniSubobject:
    """Length(16, this 4-byte header included) Type(8) Sub-Type(8) Value.

    The values are laid out in the OIF UNI 1.0 specification, not in the RFC,
    so they stay raw.
    """

    type: int
    sub_type: int
    value: bytes


@wire_object(ClassNum.GENERALIZED_UNI, 1)
class GeneralizedUni(RsvpObject):
    """GENERALIZED_UNI: a series of sub-objects; the object Length must exceed 8 (RFC 3476 section 3.1).

    RFC 3476 does not require sub-object Lengths to be multiples of 4, so only
    Length >= 4 (which also rules out a zero Length) and "inside the object" are
    checked; every byte of the body must belong to a sub-object.
    """

    subobjects: tuple[GeneralizedUniSubobject, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> GeneralizedUni:  # type: ignore[override]
        if len(body) < 8:
            raise MalformedMessage(f"GENERALIZED_UNI object Length {len(body) + 4} is not > 8", offset=0)
        subobjects, offset, end = [], 0, len(body)
        while offset < end:
            if end - offset < 4:
                raise MalformedMessage(f"{end - offset} bytes left, too few for a sub-object header", offset=offset)
            length, kind, sub_type = _UNI_SUBOBJECT.unpack_from(body, offset)
            if length < 4:
                raise MalformedMessage(f"sub-object Length {length} is shorter than its 4-byte header", offset=offset)
            if offset + length > end:
                raise MalformedMessage(
                    f"sub-object Length {length} runs {offset + length - end} bytes past the object", offset=offset
                )
            subobjects.append(GeneralizedUniSubobject(kind, sub_type, body[offset + 4 : offset + length]))
            offset += length
        return cls(tuple(subobjects))

    def encode_body(self) -> bytes:
        out = [_UNI_SUBOBJECT.pack(4 + len(s.value), s.type, s.sub_type) + s.value for s in self.subobjects]
        return b"".join(out)


# --- USER_ERROR_SPEC (RFC 5284 section 3) ----------------------------------------------------

USER_ERROR_SPEC_ERROR = (33, 0)
"""Error Code 33 "User Error Spec", value 0 "Further details in User Error Spec" (RFC 5284 section 2)."""

_USER_ERROR_HEAD = struct.Struct(">IBBH")
USER_SUBOBJECTS = SubobjectFamily("USER_ERROR_SPEC", {}, l_bit=False)
"""User-defined sub-objects: Type(8) Length(8, >= 4, a multiple of 4) (RFC 5284 section 3.1), kept raw."""


@wire_object(ClassNum.USER_ERROR_SPEC, 1)
class UserErrorSpec(RsvpObject):
    """Enterprise Number(32) / Sub Org(8) Err Desc Len(8) User Error Value(16) / Error Description /
    User-Defined Subobjects (RFC 5284 section 3).

    The description is NUL-padded to 4 bytes; Err Desc Len counts it without the
    padding and is derived on encode.  RFC 5284 requires UTF-8: the text is
    decoded with ``surrogateescape``, so a sender's invalid bytes survive a round trip.
    """

    enterprise_number: int
    user_error_value: int
    error_description: str = ""
    subobjects: tuple[UnknownSubobject, ...] = ()
    sub_org: int = 0

    @classmethod
    def decode_body(cls, body: bytes) -> UserErrorSpec:  # type: ignore[override]
        if len(body) < 8:
            raise MalformedMessage(f"USER_ERROR_SPEC body is {len(body)} bytes, needs at least 8", offset=0)
        enterprise, sub_org, length, value = _USER_ERROR_HEAD.unpack_from(body)
        end = 8 + length
        padded = end + -length % 4
        if padded > len(body):
            raise MalformedMessage(f"Err Desc Len {length} overruns the object", offset=5)
        if any(body[end:padded]):
            raise MalformedMessage("non-zero Error Description padding", offset=end)
        try:
            subobjects = USER_SUBOBJECTS.decode(body[padded:])
        except MalformedMessage as exc:
            raise exc.at(padded) from None
        text = body[8:end].decode("utf-8", "surrogateescape")
        return cls(enterprise, value, text, subobjects, sub_org)

    def encode_body(self) -> bytes:
        text = self.error_description.encode("utf-8", "surrogateescape")
        if len(text) > 255:
            raise ValueError(f"Error Description is {len(text)} bytes, longer than 255")
        head = _USER_ERROR_HEAD.pack(self.enterprise_number, self.sub_org, len(text), self.user_error_value)
        return head + text + bytes(-len(text) % 4) + USER_SUBOBJECTS.encode(self.subobjects)


# --- ALARM_SPEC (RFC 4783 section 3.1): the IF_ID ERROR_SPEC formats under class 198 -----------


class AlarmTlv(enum.IntEnum):
    """IF_ID ALARM_SPEC (and ERROR_SPEC) TLV types (RFC 4783 section 3.1.1); the TLVs stay raw."""

    REFERENCE_COUNT = 512
    SEVERITY = 513
    GLOBAL_TIMESTAMP = 514
    LOCAL_TIMESTAMP = 515
    ERROR_STRING = 516


@wire_object(ClassNum.ALARM_SPEC, 3)
class AlarmSpecIPv4IfId(ErrorSpecIPv4IfId):
    """IPv4 IF_ID ALARM_SPEC (RFC 4783 section 3.1); C-Types 1 and 2 are reserved."""


@wire_object(ClassNum.ALARM_SPEC, 4)
class AlarmSpecIPv6IfId(ErrorSpecIPv6IfId):
    """IPv6 IF_ID ALARM_SPEC (RFC 4783 section 3.1)."""


# --- DCLASS (RFC 2996 section 2) -------------------------------------------------------------


@record
class DclassEntry:
    """One DCLASS word: Unused(24) DSCP(6) Unused(2) (RFC 2996 section 2)."""

    BITS: ClassVar[BitLayout] = BitLayout((("reserved", 24), ("dscp", 6), ("reserved2", 2)))
    dscp: int
    reserved: int = reserved_field()
    reserved2: int = reserved_field()


@wire_object(ClassNum.DCLASS, 1)
class Dclass(RsvpObject):
    """DCLASS: one or more words, each with a DSCP in the six high-order bits of its last byte (RFC 2996)."""

    entries: tuple[DclassEntry, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Dclass:  # type: ignore[override]
        if not body or len(body) % 4:
            raise MalformedMessage(f"DCLASS body of {len(body)} bytes is not one or more 32-bit words", offset=0)
        unpack = DclassEntry.BITS.unpack
        return cls(tuple(DclassEntry(**unpack(body, offset)) for offset in range(0, len(body), 4)))

    def encode_body(self) -> bytes:
        if not self.entries:
            raise ValueError("DCLASS carries at least one DSCP (RFC 2996 section 2)")
        return b"".join(DclassEntry.BITS.pack(e) for e in self.entries)

    @property
    def dscps(self) -> tuple[int, ...]:
        return tuple(e.dscp for e in self.entries)


# --- CALL_ATTRIBUTES (RFC 6001 section 5.1) --------------------------------------------------

CALL_INHERITANCE_FLAG = 0
"""Call Attributes Flags bit 0, the most significant bit (RFC 6001 section 5.1.5)."""


@wire_object(ClassNum.CALL_ATTRIBUTES, 1)
class CallAttributes(LspAttributes):
    """CALL_ATTRIBUTES: Call Attributes TLVs, encoded as the RFC 5420 Attributes TLVs (RFC 6001 5.1.3).

    TLV type 1 is the Call Attributes Flags TLV (RFC 6001 section 5.1.4), bit 0 first.
    """
