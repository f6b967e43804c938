"""RSVP-TE objects: LSP tunnels (RFC 3209), GMPLS labels (RFC 3471, 3473), P2MP (RFC 4875).

Route objects live in :mod:`.routes`, fast-reroute objects in :mod:`.frr`.
"""

from __future__ import annotations

import enum
import struct
from ipaddress import IPv4Address, IPv6Address
from typing import ClassVar

from construct import Int8ub, Int16ub, Int32ub

from ..errors import MalformedMessage
from ..layout import BitLayout, IPv4, IPv6, Layout
from ..model import BitFieldObject, ClassNum, FixedObject, RsvpObject, record, reserved_field, wire_object


# --- SESSION, SENDER_TEMPLATE, FILTER_SPEC for LSP tunnels (RFC 3209 section 4.6) ---------


@wire_object(ClassNum.SESSION, 7)
class SessionLspTunnelIPv4(FixedObject):
    """LSP_TUNNEL_IPv4 SESSION (RFC 3209 section 4.6.1.1)."""

    LAYOUT = Layout(
        "tunnel_end_point" / IPv4, "reserved" / Int16ub, "tunnel_id" / Int16ub, "extended_tunnel_id" / IPv4
    )
    tunnel_end_point: IPv4Address
    tunnel_id: int
    extended_tunnel_id: IPv4Address
    reserved: int = reserved_field()


@wire_object(ClassNum.SESSION, 8)
class SessionLspTunnelIPv6(FixedObject):
    """LSP_TUNNEL_IPv6 SESSION (RFC 3209 section 4.6.1.2)."""

    LAYOUT = Layout(
        "tunnel_end_point" / IPv6, "reserved" / Int16ub, "tunnel_id" / Int16ub, "extended_tunnel_id" / IPv6
    )
    tunnel_end_point: IPv6Address
    tunnel_id: int
    extended_tunnel_id: IPv6Address
    reserved: int = reserved_field()


@wire_object(ClassNum.SESSION, 13)
class SessionP2mpLspTunnelIPv4(FixedObject):
    """P2MP_LSP_TUNNEL_IPv4 SESSION (RFC 4875 section 19.1.1); the P2MP ID is a plain 32-bit identifier."""

    LAYOUT = Layout("p2mp_id" / Int32ub, "reserved" / Int16ub, "tunnel_id" / Int16ub, "extended_tunnel_id" / IPv4)
    p2mp_id: int
    tunnel_id: int
    extended_tunnel_id: IPv4Address
    reserved: int = reserved_field()


@wire_object(ClassNum.SESSION, 14)
class SessionP2mpLspTunnelIPv6(FixedObject):
    """P2MP_LSP_TUNNEL_IPv6 SESSION (RFC 4875 section 19.1.2): as C-Type 13, 128-bit Extended Tunnel ID."""

    LAYOUT = Layout("p2mp_id" / Int32ub, "reserved" / Int16ub, "tunnel_id" / Int16ub, "extended_tunnel_id" / IPv6)
    p2mp_id: int
    tunnel_id: int
    extended_tunnel_id: IPv6Address
    reserved: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 7)
class FilterSpecLspTunnelIPv4(FixedObject):
    """LSP_TUNNEL_IPv4 FILTER_SPEC (RFC 3209 section 4.6.3), same as the SENDER_TEMPLATE (4.6.2.1)."""

    LAYOUT = Layout("tunnel_sender" / IPv4, "reserved" / Int16ub, "lsp_id" / Int16ub)
    tunnel_sender: IPv4Address
    lsp_id: int
    reserved: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 8)
class FilterSpecLspTunnelIPv6(FixedObject):
    """LSP_TUNNEL_IPv6 FILTER_SPEC (RFC 3209 section 4.6.3), same as the SENDER_TEMPLATE (4.6.2.2)."""

    LAYOUT = Layout("tunnel_sender" / IPv6, "reserved" / Int16ub, "lsp_id" / Int16ub)
    tunnel_sender: IPv6Address
    lsp_id: int
    reserved: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 12)
class FilterSpecP2mpLspTunnelIPv4(FixedObject):
    """P2MP_LSP_TUNNEL_IPv4 FILTER_SPEC / SENDER_TEMPLATE (RFC 4875 sections 19.4.1 and 19.2.1)."""

    LAYOUT = Layout(
        "tunnel_sender" / IPv4, "reserved" / Int16ub, "lsp_id" / Int16ub,
        "sub_group_originator_id" / IPv4, "reserved2" / Int16ub, "sub_group_id" / Int16ub,
    )
    tunnel_sender: IPv4Address
    lsp_id: int
    sub_group_originator_id: IPv4Address
    sub_group_id: int
    reserved2: int = reserved_field()
    reserved: int = reserved_field()


@wire_object(ClassNum.FILTER_SPEC, 13)
class FilterSpecP2mpLspTunnelIPv6(FixedObject):
    """P2MP_LSP_TUNNEL_IPv6 FILTER_SPEC / SENDER_TEMPLATE (RFC 4875 sections 19.4.2 and 19.2.2)."""

    LAYOUT = Layout(
        "tunnel_sender" / IPv6, "reserved" / Int16ub, "lsp_id" / Int16ub,
        "sub_group_originator_id" / IPv6, "reserved2" / Int16ub, "sub_group_id" / Int16ub,
    )
    tunnel_sender: IPv6Address
    lsp_id: int
    sub_group_originator_id: IPv6Address
    sub_group_id: int
    reserved2: int = reserved_field()
    reserved: int = reserved_field()


@wire_object(ClassNum.SENDER_TEMPLATE, 7)
class SenderTemplateLspTunnelIPv4(FilterSpecLspTunnelIPv4):
    pass


@wire_object(ClassNum.SENDER_TEMPLATE, 8)
class SenderTemplateLspTunnelIPv6(FilterSpecLspTunnelIPv6):
    pass


@wire_object(ClassNum.SENDER_TEMPLATE, 12)
class SenderTemplateP2mpLspTunnelIPv4(FilterSpecP2mpLspTunnelIPv4):
    pass


@wire_object(ClassNum.SENDER_TEMPLATE, 13)
class SenderTemplateP2mpLspTunnelIPv6(FilterSpecP2mpLspTunnelIPv6):
    pass


# --- LABEL and the objects that reuse its formats ----------------------------------------

IPV4_EXPLICIT_NULL = 0
ROUTER_ALERT_LABEL = 1
IPV6_EXPLICIT_NULL = 2
IMPLICIT_NULL = 3
"""Reserved MPLS label values (RFC 3032 section 2.1); a LABEL may carry Implicit NULL (RFC 3209)."""


@wire_object(ClassNum.LABEL, 1)
class Label(FixedObject):
    """MPLS LABEL (RFC 3209 section 4.1): a 32-bit word, the 20-bit label right-justified."""

    LAYOUT = Layout("label" / Int32ub)
    label: int


@wire_object(ClassNum.LABEL, 2)
class GeneralizedLabel(RsvpObject):
    """Generalized LABEL (RFC 3473 section 2.3, format RFC 3471 section 3.2.1): one or more 32-bit words.

    Their meaning depends on the link's switching type, so they stay bytes.
    """

    label: bytes

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        if not body or len(body) % 4:
            raise MalformedMessage(f"{cls.__name__} body of {len(body)} bytes is not a non-empty multiple of 4")
        return cls(bytes(body))

    def encode_body(self) -> bytes:
        if not self.label or len(self.label) % 4:
            raise ValueError(f"{type(self).__name__} label must be one or more 32-bit words")
        return self.label


@wire_object(ClassNum.LABEL, 3)
class WavebandLabel(FixedObject):
    """Waveband switching LABEL (RFC 3473 section 2.4, format RFC 3471 section 3.3.1)."""

    LAYOUT = Layout("waveband_id" / Int32ub, "start_label" / Int32ub, "end_label" / Int32ub)
    waveband_id: int
    start_label: int
    end_label: int


@wire_object(ClassNum.UPSTREAM_LABEL, 1)
class UpstreamLabel(Label):
    """UPSTREAM_LABEL (RFC 3473 section 3): the LABEL formats under class 35."""


@wire_object(ClassNum.UPSTREAM_LABEL, 2)
class UpstreamGeneralizedLabel(GeneralizedLabel):
    pass


@wire_object(ClassNum.UPSTREAM_LABEL, 3)
class UpstreamWavebandLabel(WavebandLabel):
    pass


@wire_object(ClassNum.RECOVERY_LABEL, 1)
class RecoveryLabel(Label):
    """RECOVERY_LABEL (RFC 3473 section 9.5.1): the LABEL formats under class 34."""


@wire_object(ClassNum.RECOVERY_LABEL, 2)
class RecoveryGeneralizedLabel(GeneralizedLabel):
    pass


@wire_object(ClassNum.RECOVERY_LABEL, 3)
class RecoveryWavebandLabel(WavebandLabel):
    pass


@wire_object(ClassNum.SUGGESTED_LABEL, 1)
class SuggestedLabel(Label):
    """SUGGESTED_LABEL (RFC 3473 section 2.5): the LABEL formats under class 129."""


@wire_object(ClassNum.SUGGESTED_LABEL, 2)
class SuggestedGeneralizedLabel(GeneralizedLabel):
    pass


@wire_object(ClassNum.SUGGESTED_LABEL, 3)
class SuggestedWavebandLabel(WavebandLabel):
    pass


# --- LABEL_REQUEST (RFC 3209 section 4.2, RFC 3473, RFC 6002) ------------------------------

L3PID_IPV4 = 0x0800
L3PID_IPV6 = 0x86DD
"""Common L3PID values (an Ethertype, RFC 3209 section 4.2.1)."""

DLI_10_BIT = 0
DLI_23_BIT = 2
"""Frame Relay DLCI Length Indicator values (RFC 3209 section 4.2.3)."""


class LspEncodingType(enum.IntEnum):
    """Generalized Label Request LSP Encoding Type (RFC 3471 section 3.1.1)."""

    PACKET = 1
    ETHERNET = 2
    PDH = 3
    SDH_SONET = 5
    DIGITAL_WRAPPER = 7
    LAMBDA = 8
    FIBER = 9
    FIBER_CHANNEL = 11


class SwitchingType(enum.IntEnum):
    """Generalized Label Request Switching Type (RFC 3471 section 3.1.1)."""

    PSC_1 = 1
    PSC_2 = 2
    PSC_3 = 3
    PSC_4 = 4
    L2SC = 51
    TDM = 100
    LSC = 150
    FSC = 200


@wire_object(ClassNum.LABEL_REQUEST, 1)
class LabelRequest(FixedObject):
    """LABEL_REQUEST without label range (RFC 3209 section 4.2.1)."""

    LAYOUT = Layout("reserved" / Int16ub, "l3pid" / Int16ub)
    l3pid: int
    reserved: int = reserved_field()


@wire_object(ClassNum.LABEL_REQUEST, 2)
class LabelRequestAtm(BitFieldObject):
    """LABEL_REQUEST with ATM label range (RFC 3209 section 4.2.2); ``m``: the node can merge."""

    BITS = BitLayout(
        (("reserved", 16), ("l3pid", 16)),
        (("m", 1), ("reserved2", 3), ("minimum_vpi", 12), ("minimum_vci", 16)),
        (("reserved3", 4), ("maximum_vpi", 12), ("maximum_vci", 16)),
    )
    l3pid: int
    minimum_vpi: int
    minimum_vci: int
    maximum_vpi: int
    maximum_vci: int
    m: bool = False
    reserved2: int = reserved_field()
    reserved3: int = reserved_field()
    reserved: int = reserved_field()


@wire_object(ClassNum.LABEL_REQUEST, 3)
class LabelRequestFrameRelay(BitFieldObject):
    """LABEL_REQUEST with Frame Relay label range (RFC 3209 section 4.2.3); ``dli``: DLI_10_BIT or DLI_23_BIT."""

    BITS = BitLayout(
        (("reserved", 16), ("l3pid", 16)),
        (("reserved2", 7), ("dli", 2), ("minimum_dlci", 23)),
        (("reserved3", 9), ("maximum_dlci", 23)),
    )
    l3pid: int
    dli: int
    minimum_dlci: int
    maximum_dlci: int
    reserved2: int = reserved_field()
    reserved3: int = reserved_field()
    reserved: int = reserved_field()


@wire_object(ClassNum.LABEL_REQUEST, 4)
class GeneralizedLabelRequest(FixedObject):
    """Generalized LABEL_REQUEST (RFC 3473 section 2.1, format RFC 3471 section 3.1.1); 4 bytes."""

    LAYOUT = Layout("lsp_encoding_type" / Int8ub, "switching_type" / Int8ub, "gpid" / Int16ub)
    lsp_encoding_type: int
    switching_type: int
    gpid: int


@wire_object(ClassNum.LABEL_REQUEST, 5)
class GeneralizedChannelSetLabelRequest(GeneralizedLabelRequest):
    """Generalized Channel_Set LABEL_REQUEST (RFC 6002 section 3.1): the C-Type 4 layout."""


# --- LABEL_SET and ACCEPTABLE_LABEL_SET (RFC 3473 sections 2.6 and 4.1, format RFC 3471 3.5.1)


class LabelSetAction(enum.IntEnum):
    """Label Set Action (RFC 3471 section 3.5.1); the range actions carry exactly two subchannels."""

    INCLUSIVE_LIST = 0
    EXCLUSIVE_LIST = 1
    INCLUSIVE_RANGE = 2
    EXCLUSIVE_RANGE = 3


@wire_object(ClassNum.LABEL_SET, 1)
class LabelSet(RsvpObject):
    """Action(8) Reserved(10) Label Type(14, a LABEL C-Type) then one or more subchannels.

    Subchannels have the Generalized Label format (RFC 3471 section 3.5.1), 32 bits for
    port, wavelength and MPLS labels; they are kept as 32-bit words, so a wider label
    spans several words.
    """

    HEAD = BitLayout((("action", 8), ("reserved", 10), ("label_type", 14)),)
    action: int
    label_type: int
    subchannels: tuple[int, ...]
    reserved: int = reserved_field()

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        if len(body) < 8 or len(body) % 4:
            raise MalformedMessage(f"{cls.__name__} body of {len(body)} bytes is not a head plus subchannels")
        words = struct.unpack_from(f">{len(body) // 4 - 1}I", body, 4)
        return cls(subchannels=words, **cls.HEAD.unpack(body))

    def encode_body(self) -> bytes:
        if not self.subchannels:
            raise ValueError(f"{type(self).__name__} needs at least one subchannel")
        return self.HEAD.pack(self) + struct.pack(f">{len(self.subchannels)}I", *self.subchannels)


@wire_object(ClassNum.ACCEPTABLE_LABEL_SET, 1)
class AcceptableLabelSet(LabelSet):
    """ACCEPTABLE_LABEL_SET (RFC 3473 section 4.1): the LABEL_SET layout under class 130."""


# --- HELLO (RFC 3209 section 5) -------------------------------------------------------------


@record
class _Hello(FixedObject):
    LAYOUT = Layout("src_instance" / Int32ub, "dst_instance" / Int32ub)
    src_instance: int
    dst_instance: int


@wire_object(ClassNum.HELLO, 1)
class HelloRequest(_Hello):
    """HELLO REQUEST (RFC 3209 section 5.2.1)."""


@wire_object(ClassNum.HELLO, 2)
class HelloAck(_Hello):
    """HELLO ACK (RFC 3209 section 5.2.2)."""


# --- SESSION_ATTRIBUTE (RFC 3209 section 4.7) ---------------------------------------------


class SessionAttributeFlags(enum.IntFlag):
    """SESSION_ATTRIBUTE Flags (IANA registry, RFC 4859), for C-Types 1 and 7."""

    LOCAL_PROTECTION_DESIRED = 0x01  # RFC 3209 section 4.7.1
    LABEL_RECORDING_DESIRED = 0x02  # RFC 3209 section 4.7.1
    SE_STYLE_DESIRED = 0x04  # RFC 3209 section 4.7.1
    BANDWIDTH_PROTECTION_DESIRED = 0x08  # RFC 4090 section 4.3
    NODE_PROTECTION_DESIRED = 0x10  # RFC 4090 section 4.3
    PATH_REEVALUATION_REQUEST = 0x20  # RFC 4736 section 5.1
    SOFT_PREEMPTION_DESIRED = 0x40  # RFC 5712 section 4.1


class _SessionAttribute(RsvpObject):
    """``HEAD`` fields, Name Length(8), then the name NUL-padded to 4 bytes.

    Name Length counts the name without its padding (RFC 3209 section 4.7.1).
    The name is kept as latin-1 text, so any byte value round-trips.
    """

    __slots__ = ()
    HEAD: ClassVar[Layout]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        start = cls.HEAD.size + 1
        if len(body) < start:
            raise MalformedMessage(f"{cls.__name__} body is {len(body)} bytes, needs at least {start}")
        length = body[start - 1]
        end = start + length
        if end > len(body):
            raise MalformedMessage(f"Name Length {length} overruns the object", offset=start - 1)
        padding = body[end:]
        if len(padding) != -length % 4 or any(padding):
            raise MalformedMessage(
                f"{len(padding)} bytes after the {length}-byte name, expected {-length % 4} NUL bytes", offset=end
            )
        return cls.build(*cls.HEAD.unpack(body), body[start:end].decode("latin-1"))  # type: ignore[attr-defined]

    def encode_body(self) -> bytes:
        name = self.name.encode("latin-1")  # type: ignore[attr-defined]
        if len(name) > 255:
            raise ValueError(f"session name is {len(name)} bytes, longer than 255")
        head = self.HEAD.pack([getattr(self, n) for n in self.HEAD.names])
        return head + bytes((len(name),)) + name + bytes(-len(name) % 4)


@wire_object(ClassNum.SESSION_ATTRIBUTE, 7)
class SessionAttribute(_SessionAttribute):
    """LSP_TUNNEL SESSION_ATTRIBUTE without resource affinities (RFC 3209 section 4.7.1)."""

    HEAD = Layout("setup_priority" / Int8ub, "holding_priority" / Int8ub, "flags" / Int8ub)
    setup_priority: int
    holding_priority: int
    flags: int = 0
    name: str = ""


@wire_object(ClassNum.SESSION_ATTRIBUTE, 1)
class SessionAttributeRa(_SessionAttribute):
    """LSP_TUNNEL_RA SESSION_ATTRIBUTE (RFC 3209 section 4.7.2): affinities first, exclude-any leading."""

    HEAD = Layout(
        "exclude_any" / Int32ub, "include_any" / Int32ub, "include_all" / Int32ub,
        "setup_priority" / Int8ub, "holding_priority" / Int8ub, "flags" / Int8ub,
    )
    exclude_any: int
    include_any: int
    include_all: int
    setup_priority: int
    holding_priority: int
    flags: int = 0
    name: str = ""


# --- S2L_SUB_LSP (RFC 4875 section 19.3) and LSP_TUNNEL_INTERFACE_ID (RFC 3477 section 3.1) --


@wire_object(ClassNum.S2L_SUB_LSP, 1)
class S2lSubLspIPv4(FixedObject):
    """IPv4 S2L_SUB_LSP (RFC 4875 section 19.3.1): the sub-LSP's destination (leaf) address."""

    LAYOUT = Layout("destination" / IPv4)
    destination: IPv4Address


@wire_object(ClassNum.S2L_SUB_LSP, 2)
class S2lSubLspIPv6(FixedObject):
    """IPv6 S2L_SUB_LSP (RFC 4875 section 19.3.2): the sub-LSP's destination (leaf) address."""

    LAYOUT = Layout("destination" / IPv6)
    destination: IPv6Address


@wire_object(ClassNum.LSP_TUNNEL_INTERFACE_ID, 1)
class LspTunnelInterfaceId(FixedObject):
    """LSP_TUNNEL_INTERFACE_ID (RFC 3477 section 3.1): the LSR's Router ID and its Interface ID."""

    LAYOUT = Layout("router_id" / IPv4, "interface_id" / Int32ub)
    router_id: IPv4Address
    interface_id: int
