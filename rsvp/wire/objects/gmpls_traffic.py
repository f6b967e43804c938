"""GMPLS traffic parameters: the SENDER_TSPEC (12) and FLOWSPEC (9) C-Types 4-6.

* C-Type 4, SONET/SDH: RFC 4606 sections 2.1 and 2.2.
* C-Type 5, G.709: RFC 4328 sections 3.2 and 6.
* C-Type 6, Ethernet: RFC 6003 sections 4 and 5 (L2CP TLV: RFC 6004 section 2.3.1).

Each FLOWSPEC has its SENDER_TSPEC's format, so the FLOWSPEC classes are
subclasses.  As for the Int-serv forms, a malformed body is Traffic Control
Error 21/4 "Bad Tspec value" (21/3 "Bad Flowspec value" for a FLOWSPEC); so is
a zero Multiplier, which RFC 4606 section 2.2 and RFC 4328 section 6 make a
receive-side error.
"""

from __future__ import annotations

import enum
from typing import ClassVar

from construct import Float32b, Int8ub, Int16ub, Int32ub

from ..errors import MalformedMessage
from ..layout import BitLayout, Layout
from ..model import ClassNum, FixedRecord, RsvpObject, record, reserved_field, wire_object
from .core import decode_tlvs, encode_tlvs

BAD_TSPEC_VALUE = 4
BAD_FLOWSPEC_VALUE = 3
"""Traffic Control Error (21) values (RFC 2205 Appendix B)."""


class _TrafficParameters(RsvpObject):
    """Errors in these bodies are 21/``ERROR_VALUE``."""

    __slots__ = ()
    ERROR_VALUE: ClassVar[int] = BAD_TSPEC_VALUE

    @classmethod
    def _bad(cls, reason: str, offset: int) -> MalformedMessage:
        return MalformedMessage(
            f"{cls.__name__}: {reason}", offset=offset, error_code=21, error_value=cls.ERROR_VALUE
        )


class _Multiplied(FixedRecord, _TrafficParameters):
    """A fixed body with a 16-bit Multiplier (MT) at byte 6, which must not be zero."""

    __slots__ = ()

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        if len(body) != cls.LAYOUT.size:
            raise cls._bad(f"body is {len(body)} bytes, expected {cls.LAYOUT.size}", 0)
        obj = cls.unpack(body)
        if not obj.multiplier:  # type: ignore[attr-defined]
            raise cls._bad("Multiplier (MT) 0 is invalid", 6)
        return obj

    def encode_body(self) -> bytes:
        if not self.multiplier:  # type: ignore[attr-defined]
            raise ValueError(f"{type(self).__name__}: Multiplier (MT) 0 is invalid")
        return self.pack()


# --- SONET/SDH (RFC 4606) -------------------------------------------------------------------


class SonetSdhSignalType(enum.IntEnum):
    """Elementary Signal types (RFC 4606 section 2.1; 20 from its Appendix 1)."""

    VT1_5_SPE_VC_11 = 1
    VT2_SPE_VC_12 = 2
    VT3_SPE = 3
    VT6_SPE_VC_2 = 4
    STS_1_SPE_VC_3 = 5
    STS_3C_SPE_VC_4 = 6
    STS_1_STM_0 = 7
    STS_3_STM_1 = 8
    STS_12_STM_4 = 9
    STS_48_STM_16 = 10
    STS_192_STM_64 = 11
    STS_768_STM_256 = 12
    VC_3_VIA_AU_3_AT_THE_END = 20


STANDARD_CONTIGUOUS_CONCATENATION = 0x1
"""RCC flag 1 (RFC 4606 section 2.1; bit 1 is the low-order bit)."""

SECTION_RS_TRANSPARENCY = 0x1
LINE_MS_TRANSPARENCY = 0x2
"""Transparency flags 1 (Section / Regenerator Section) and 2 (Line / Multiplex Section)."""


@wire_object(ClassNum.SENDER_TSPEC, 4)
class SonetSdhSenderTSpec(_Multiplied):
    """Signal Type(8) RCC(8) NCC(16) / NVC(16) Multiplier(16) / Transparency(32) / Profile(32) (RFC 4606 2.1)."""

    LAYOUT = Layout(
        "signal_type" / Int8ub, "rcc" / Int8ub, "ncc" / Int16ub, "nvc" / Int16ub, "multiplier" / Int16ub,
        "transparency" / Int32ub, "profile" / Int32ub,
    )
    signal_type: int
    rcc: int = 0
    ncc: int = 0
    nvc: int = 0
    multiplier: int = 1
    transparency: int = 0
    profile: int = 0


@wire_object(ClassNum.FLOWSPEC, 4)
class SonetSdhFlowSpec(SonetSdhSenderTSpec):
    """SONET/SDH FLOWSPEC (RFC 4606 section 2.2): the SENDER_TSPEC format."""

    ERROR_VALUE = BAD_FLOWSPEC_VALUE


# --- G.709 (RFC 4328) ------------------------------------------------------------------------


class G709SignalType(enum.IntEnum):
    """G.709 Elementary Signal types (RFC 4328 section 3.2.1); 4, 5 and 9-255 are reserved."""

    NOT_SIGNIFICANT = 0
    ODU1 = 1
    ODU2 = 2
    ODU3 = 3
    OCH_2_5_GBPS = 6
    OCH_10_GBPS = 7
    OCH_40_GBPS = 8


@wire_object(ClassNum.SENDER_TSPEC, 5)
class G709SenderTSpec(_Multiplied):
    """Signal Type(8) Reserved(8) NMC(16) / NVC(16) Multiplier(16) / Reserved(32) (RFC 4328 section 3.2)."""

    LAYOUT = Layout(
        "signal_type" / Int8ub, "reserved" / Int8ub, "nmc" / Int16ub, "nvc" / Int16ub, "multiplier" / Int16ub,
        "reserved2" / Int32ub,
    )
    signal_type: int
    nmc: int = 0
    nvc: int = 0
    multiplier: int = 1
    reserved: int = reserved_field()
    reserved2: int = reserved_field()


@wire_object(ClassNum.FLOWSPEC, 5)
class G709FlowSpec(G709SenderTSpec):
    """G.709 FLOWSPEC (RFC 4328 section 6): the SENDER_TSPEC format."""

    ERROR_VALUE = BAD_FLOWSPEC_VALUE


# --- Ethernet (RFC 6003) ---------------------------------------------------------------------


class SwitchingGranularity(enum.IntEnum):
    """Ethernet Switching Granularity values (RFC 6003 section 4)."""

    PROVIDED_IN_SIGNALING = 0
    ETHERNET_PORT = 1
    ETHERNET_FRAME = 2


BANDWIDTH_PROFILE_TLV = 2
L2CP_TLV = 3
"""Ethernet SENDER_TSPEC TLV types (RFC 6003 section 4)."""

COUPLING_FLAG = 0x01
COLOR_MODE = 0x02
"""Bandwidth Profile flags CF and CM (RFC 6003 section 4.1; bit 0 is the low-order bit)."""


@record
class BandwidthProfile(FixedRecord):
    """Ethernet Bandwidth Profile TLV value (type 2, Length 24; RFC 6003 section 4.1).

    Profile(8) Index(8) Reserved(16) CIR CBS EIR EBS; the rates are float32 bytes
    per second, the burst sizes float32 bytes.
    """

    LAYOUT = Layout(
        "profile" / Int8ub, "index" / Int8ub, "reserved" / Int16ub,
        "cir" / Float32b, "cbs" / Float32b, "eir" / Float32b, "ebs" / Float32b,
    )
    cir: float
    cbs: float
    eir: float
    ebs: float
    profile: int = 0
    index: int = 0
    reserved: int = reserved_field()

    type: ClassVar[int] = BANDWIDTH_PROFILE_TLV

    @property
    def value(self) -> bytes:
        return self.pack()


@record
class L2cp:
    """L2 Control Protocol TLV value (type 3, Length 8): IL2CP(4) EL2CP(4) Reserved(24) (RFC 6004 2.3.1)."""

    BITS: ClassVar[BitLayout] = BitLayout((("il2cp", 4), ("el2cp", 4), ("reserved", 24)))
    il2cp: int
    el2cp: int
    reserved: int = reserved_field()

    type: ClassVar[int] = L2CP_TLV

    @property
    def value(self) -> bytes:
        return self.BITS.pack(self)


@record
class EthernetTlv:
    """A TLV of any other type (reserved, vendor-specific, later), kept raw; ``value`` excludes the padding."""

    type: int
    value: bytes


EthernetTspecTlv = BandwidthProfile | L2cp | EthernetTlv


@wire_object(ClassNum.SENDER_TSPEC, 6)
class EthernetSenderTSpec(_TrafficParameters):
    """Switching Granularity(16) MTU(16), then one or more TLVs (RFC 6003 section 4).

    TLV Length counts the 4-byte header and the value, not the zero padding to a
    4-byte boundary (types 2 and 3 need none).  The RFC 6003 section 7 MTU
    minimum (46 bytes for Ethernet v2, 38 for IEEE 802.3) depends on the link
    and is left to the caller.
    """

    HEAD: ClassVar[Layout] = Layout("switching_granularity" / Int16ub, "mtu" / Int16ub)
    switching_granularity: int
    mtu: int
    tlvs: tuple[EthernetTspecTlv, ...]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        if len(body) < 8:
            raise cls._bad(f"body is {len(body)} bytes: the 4-byte head and at least one TLV are required", 0)
        try:
            raw_tlvs = decode_tlvs(body, 4)
        except MalformedMessage as exc:
            raise cls._bad(exc.reason, exc.offset or 0) from None
        tlvs: list[EthernetTspecTlv] = []
        offset = 4
        for tlv in raw_tlvs:
            tlvs.append(cls._typed(tlv.type, tlv.value, offset))
            offset += 4 + len(tlv.value) + -len(tlv.value) % 4
        return cls(*cls.HEAD.unpack(body), tuple(tlvs))

    @classmethod
    def _typed(cls, tlv_type: int, value: bytes, offset: int) -> EthernetTspecTlv:
        if tlv_type == BANDWIDTH_PROFILE_TLV:
            if len(value) != BandwidthProfile.LAYOUT.size:
                raise cls._bad(f"Bandwidth Profile TLV Length {4 + len(value)}, expected 24", offset + 2)
            try:
                return BandwidthProfile.unpack(value)
            except ValueError as exc:  # NaN in a rate or burst size
                raise cls._bad(f"Bandwidth Profile TLV: {exc}", offset + 4) from None
        if tlv_type == L2CP_TLV:
            if len(value) != L2cp.BITS.size:
                raise cls._bad(f"L2CP TLV Length {4 + len(value)}, expected 8", offset + 2)
            return L2cp(**L2cp.BITS.unpack(value))
        return EthernetTlv(tlv_type, value)

    def encode_body(self) -> bytes:
        if not self.tlvs:
            raise ValueError(f"{type(self).__name__} must carry at least one TLV (RFC 6003 section 4)")
        return self.HEAD.pack([self.switching_granularity, self.mtu]) + encode_tlvs(self.tlvs)  # type: ignore[arg-type]

    @property
    def bandwidth_profiles(self) -> tuple[BandwidthProfile, ...]:
        return tuple(t for t in self.tlvs if isinstance(t, BandwidthProfile))


@wire_object(ClassNum.FLOWSPEC, 6)
class EthernetFlowSpec(EthernetSenderTSpec):
    """Ethernet FLOWSPEC (RFC 6003 section 5): the SENDER_TSPEC format."""

    ERROR_VALUE = BAD_FLOWSPEC_VALUE
