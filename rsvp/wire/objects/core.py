"""RFC 2205 core objects (section A of RFC 2205) and the GMPLS IF_ID variants (RFC 3473)."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

from construct import Int8ub, Int16ub, Int24ub, Int32ub

from ..errors import MalformedMessage
from ..layout import IPv4, IPv6, Layout
from ..model import ClassNum, FixedObject, FixedRecord, RsvpObject, record, reserved_field, wire_object

_TLV_HEADER = struct.Struct(">HH")


@record
class NullObject(RsvpObject):
    """NULL (class 0): any C-Type, any content, ignored wherever it appears (RFC 2205 A.0)."""

    c_type: int  # type: ignore[misc]
    body: bytes = b""

    class_num = ClassNum.NULL  # type: ignore[assignment]

    def encode_body(self) -> bytes:
        return self.body


# --- SESSION (RFC 2205 A.1) ------------------------------------------------------------

E_POLICE = 0x01
"""SESSION flag: police at the edge of an Intserv region (RFC 2205 A.1)."""


@wire_object(ClassNum.SESSION, 1)
class SessionIPv4(FixedObject):
    LAYOUT = Layout("destination" / IPv4, "protocol_id" / Int8ub, "flags" / Int8ub, "destination_port" / Int16ub)
    destination: IPv4Address
    protocol_id: int
    flags: int = 0
    destination_port: int = 0


@wire_object(ClassNum.SESSION, 2)
class SessionIPv6(FixedObject):
    LAYOUT = Layout("destination" / IPv6, "protocol_id" / Int8ub, "flags" / Int8ub, "destination_port" / Int16ub)
    destination: IPv6Address
    protocol_id: int
    flags: int = 0
    destination_port: int = 0


# --- RSVP_HOP (RFC 2205 A.2; IF_ID forms RFC 3473 section 8.1) ---------------------------


@record
class IfIdTlv:
    """One IF_ID TLV (RFC 3471 section 9.1.1): Length = 4 + value length, value padded to 4.

    Types: 1 IPv4, 2 IPv6, 3 IF_INDEX, 4 COMPONENT_IF_DOWNSTREAM, 5 COMPONENT_IF_UPSTREAM.
    ``value`` is the unpadded value.
    """

    type: int
    value: bytes


def decode_tlvs(body: bytes, offset: int = 0) -> tuple[IfIdTlv, ...]:
    """Type(16) Length(16, incl. header, excl. padding) TLVs filling ``body[offset:]``."""
    tlvs = []
    end = len(body)
    while offset < end:
        if end - offset < 4:
            raise MalformedMessage(f"{end - offset} bytes left, too few for a TLV header", offset=offset)
        tlv_type, length = _TLV_HEADER.unpack_from(body, offset)
        padded = (length + 3) & ~3
        if length < 4 or offset + padded > end:
            raise MalformedMessage(f"TLV length {length} is < 4 or overruns the object", offset=offset)
        if any(body[offset + length : offset + padded]):
            raise MalformedMessage("non-zero TLV padding", offset=offset + length)
        tlvs.append(IfIdTlv(tlv_type, body[offset + 4 : offset + length]))
        offset += padded
    return tuple(tlvs)


def encode_tlvs(tlvs: tuple[IfIdTlv, ...]) -> bytes:
    out = []
    for tlv in tlvs:
        out.append(_TLV_HEADER.pack(tlv.type, 4 + len(tlv.value)) + tlv.value + bytes(-len(tlv.value) % 4))
    return b"".join(out)


@wire_object(ClassNum.RSVP_HOP, 1)
class RsvpHopIPv4(FixedObject):
    LAYOUT = Layout("address" / IPv4, "logical_interface_handle" / Int32ub)
    address: IPv4Address
    logical_interface_handle: int = 0


@wire_object(ClassNum.RSVP_HOP, 2)
class RsvpHopIPv6(FixedObject):
    LAYOUT = Layout("address" / IPv6, "logical_interface_handle" / Int32ub)
    address: IPv6Address
    logical_interface_handle: int = 0


class _WithTlvs(RsvpObject):
    """A fixed head (the C-Type 1/2 form, ``HEAD``) followed by IF_ID TLVs."""

    __slots__ = ()
    HEAD: type[FixedRecord]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        size = cls.HEAD.LAYOUT.size
        if len(body) < size:
            raise MalformedMessage(f"{cls.__name__} body is {len(body)} bytes, needs at least {size}")
        head = cls.HEAD.LAYOUT.unpack(body)
        return cls(*head, tlvs=decode_tlvs(body, size))

    def encode_body(self) -> bytes:
        head = self.HEAD.LAYOUT.pack([getattr(self, n) for n in self.HEAD.LAYOUT.names])
        return head + encode_tlvs(self.tlvs)  # type: ignore[attr-defined]


@wire_object(ClassNum.RSVP_HOP, 3)
class RsvpHopIPv4IfId(_WithTlvs):
    HEAD = RsvpHopIPv4
    address: IPv4Address
    logical_interface_handle: int = 0
    tlvs: tuple[IfIdTlv, ...] = ()


@wire_object(ClassNum.RSVP_HOP, 4)
class RsvpHopIPv6IfId(_WithTlvs):
    HEAD = RsvpHopIPv6
    address: IPv6Address
    logical_interface_handle: int = 0
    tlvs: tuple[IfIdTlv, ...] = ()


# --- TIME_VALUES (RFC 2205 A.4) -----------------------------------------------------------


@wire_object(ClassNum.TIME_VALUES, 1)
class TimeValues(FixedObject):
    LAYOUT = Layout("refresh_period_ms" / Int32ub)
    refresh_period_ms: int


# --- ERROR_SPEC (RFC 2205 A.5; IF_ID forms RFC 3473 section 8.2) -------------------------

IN_PLACE = 0x01
NOT_GUILTY = 0x02
PATH_STATE_REMOVED = 0x04  # RFC 3473 section 4.4


@wire_object(ClassNum.ERROR_SPEC, 1)
class ErrorSpecIPv4(FixedObject):
    LAYOUT = Layout(
        "error_node" / IPv4, "flags" / Int8ub, "error_code" / Int8ub, "error_value" / Int16ub
    )
    error_node: IPv4Address
    flags: int
    error_code: int
    error_value: int


@wire_object(ClassNum.ERROR_SPEC, 2)
class ErrorSpecIPv6(FixedObject):
    LAYOUT = Layout(
        "error_node" / IPv6, "flags" / Int8ub, "error_code" / Int8ub, "error_value" / Int16ub
    )
    error_node: IPv6Address
    flags: int
    error_code: int
    error_value: int


@wire_object(ClassNum.ERROR_SPEC, 3)
class ErrorSpecIPv4IfId(_WithTlvs):
    HEAD = ErrorSpecIPv4
    error_node: IPv4Address
    flags: int
    error_code: int
    error_value: int
    tlvs: tuple[IfIdTlv, ...] = ()


@wire_object(ClassNum.ERROR_SPEC, 4)
class ErrorSpecIPv6IfId(_WithTlvs):
    HEAD = ErrorSpecIPv6
    error_node: IPv6Address
    flags: int
    error_code: int
    error_value: int
    tlvs: tuple[IfIdTlv, ...] = ()


# --- SCOPE (RFC 2205 A.6) -----------------------------------------------------------------


class _AddressList(RsvpObject):
    """A body that is nothing but addresses of one family."""

    __slots__ = ()
    ADDRESS: type = IPv4Address

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        width = 4 if cls.ADDRESS is IPv4Address else 16
        if not body or len(body) % width:
            raise MalformedMessage(f"{cls.__name__} body of {len(body)} bytes is not a list of addresses")
        return cls(tuple(cls.ADDRESS(body[i : i + width]) for i in range(0, len(body), width)))

    def encode_body(self) -> bytes:
        return b"".join(a.packed for a in self.addresses)  # type: ignore[attr-defined]


@wire_object(ClassNum.SCOPE, 1)
class ScopeIPv4(_AddressList):
    addresses: tuple[IPv4Address, ...]


@wire_object(ClassNum.SCOPE, 2)
class ScopeIPv6(_AddressList):
    ADDRESS = IPv6Address
    addresses: tuple[IPv6Address, ...]


# --- STYLE (RFC 2205 A.7) -----------------------------------------------------------------

STYLE_WF = 0x11  # wildcard filter: shared, wildcard
STYLE_FF = 0x0A  # fixed filter: distinct, explicit
STYLE_SE = 0x12  # shared explicit: shared, explicit
STYLE_NAMES = {STYLE_WF: "WF", STYLE_FF: "FF", STYLE_SE: "SE"}


@wire_object(ClassNum.STYLE, 1)
class Style(FixedObject):
    """Option vector: reserved(19) sharing(2: 01 distinct, 10 shared) selection(3: 001 wildcard, 010 explicit)."""

    LAYOUT = Layout("flags" / Int8ub, "option_vector" / Int24ub)
    flags: int
    option_vector: int

    @property
    def name(self) -> str:
        return STYLE_NAMES.get(self.option_vector & 0x1F, f"0x{self.option_vector:06x}")

    @property
    def shared(self) -> bool:
        return (self.option_vector >> 3) & 0x3 == 0b10

    @property
    def wildcard(self) -> bool:
        return self.option_vector & 0x7 == 0b001


# --- FILTER_SPEC and SENDER_TEMPLATE (RFC 2205 A.8, A.9) ----------------------------------


@wire_object(ClassNum.FILTER_SPEC, 1)
class FilterSpecIPv4(FixedObject):
    LAYOUT = Layout("source" / IPv4, "reserved" / Int16ub, "source_port" / Int16ub)
    source: IPv4Address
    source_port: int = 0
    reserved: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 2)
class FilterSpecIPv6(FixedObject):
    LAYOUT = Layout("source" / IPv6, "reserved" / Int16ub, "source_port" / Int16ub)
    source: IPv6Address
    source_port: int = 0
    reserved: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 3)
class FilterSpecIPv6FlowLabel(FixedObject):
    LAYOUT = Layout("source" / IPv6, "reserved" / Int8ub, "flow_label" / Int24ub)
    source: IPv6Address
    flow_label: int = 0
    reserved: int = reserved_field()


@wire_object(ClassNum.SENDER_TEMPLATE, 1)
class SenderTemplateIPv4(FilterSpecIPv4):
    pass


@wire_object(ClassNum.SENDER_TEMPLATE, 2)
class SenderTemplateIPv6(FilterSpecIPv6):
    pass


@wire_object(ClassNum.SENDER_TEMPLATE, 3)
class SenderTemplateIPv6FlowLabel(FilterSpecIPv6FlowLabel):
    pass


# --- RESV_CONFIRM (RFC 2205 A.13) ---------------------------------------------------------


@wire_object(ClassNum.RESV_CONFIRM, 1)
class ResvConfirmIPv4(FixedObject):
    LAYOUT = Layout("receiver" / IPv4)
    receiver: IPv4Address


@wire_object(ClassNum.RESV_CONFIRM, 2)
class ResvConfirmIPv6(FixedObject):
    LAYOUT = Layout("receiver" / IPv6)
    receiver: IPv6Address


# --- POLICY_DATA (RFC 2750 section 3.1) ---------------------------------------------------


@record
class PolicyElement:
    """Length(16, incl. header, a multiple of 4) P-Type(16) policy information."""

    p_type: int
    data: bytes


@wire_object(ClassNum.POLICY_DATA, 1)
class PolicyData(RsvpObject):
    """Data Offset(16) Reserved(16), an option list of RSVP objects, then policy elements.

    Data Offset counts from the start of the object, so it is 8 + the option
    list's length; it is derived on encode and checked on decode.
    """

    HEAD = Layout("data_offset" / Int16ub, "reserved" / Int16ub)
    options: tuple[RsvpObject, ...] = ()
    elements: tuple[PolicyElement, ...] = ()
    reserved: int = reserved_field()

    @classmethod
    def decode_body(cls, body: bytes) -> PolicyData:  # type: ignore[override]
        from ..codec import decode_objects  # the option list is ordinary RSVP objects

        if len(body) < 4:
            raise MalformedMessage("POLICY_DATA body shorter than its 4-byte header")
        data_offset, res = cls.HEAD.unpack(body)
        start = data_offset - 4  # offset within the body
        if data_offset < 8 or start > len(body) or data_offset % 4:
            raise MalformedMessage(f"POLICY_DATA Data Offset {data_offset} is outside the object", offset=0)
        options = decode_objects(body, 4, start, in_policy_data=True)
        elements, offset = [], start
        while offset < len(body):
            if len(body) - offset < 4:
                raise MalformedMessage("policy element header truncated", offset=offset)
            length, p_type = _TLV_HEADER.unpack_from(body, offset)
            if length < 4 or length % 4 or offset + length > len(body):
                raise MalformedMessage(f"policy element Length {length} is invalid", offset=offset)
            elements.append(PolicyElement(p_type, body[offset + 4 : offset + length]))
            offset += length
        return cls(options, tuple(elements), reserved=res)

    def encode_body(self) -> bytes:
        options = b"".join(o.encode() for o in self.options)
        out = [self.HEAD.pack([8 + len(options), self.reserved]), options]
        for element in self.elements:
            if len(element.data) % 4:
                raise ValueError("policy element data must be a multiple of 4 bytes")
            out.append(_TLV_HEADER.pack(4 + len(element.data), element.p_type) + element.data)
        return b"".join(out)

