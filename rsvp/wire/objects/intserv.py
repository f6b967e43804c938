"""Int-serv objects: SENDER_TSPEC, FLOWSPEC, ADSPEC (RFC 2210 sections 3.1-3.3).

All three share one three-level, word-counted encoding, walked generically:

* message header: version(4) = 0, reserved(12), overall length(16 words)
* per-service header: service number(8), flags(8; 0x80 = ADSPEC break bit), length(16 words)
* parameter header: parameter id(8), flags(8), length(16 words), then the value

Lengths count 32-bit words and exclude their own header word.  Well-known
parameter values are decoded to typed records (token bucket, Guaranteed RSpec)
or numbers; others stay raw so that any vendor layout round-trips.
"""

from __future__ import annotations

import enum
import struct

from construct import Float32b, Int32ub

from ..errors import MalformedMessage
from ..layout import Layout
from ..model import ClassNum, FixedRecord, RsvpObject, record, reserved_field, wire_object

_WORD_HEADER = struct.Struct(">BBH")
_U32 = struct.Struct(">I")
_F32 = struct.Struct(">f")
_SHORTCUT = struct.Struct(">HHBBHBBH")  # Int-serv header, one service header, one parameter header


class Service(enum.IntEnum):
    """Int-serv service numbers (RFC 2210 section 3.1, RFC 2212, RFC 2211)."""

    GENERAL = 1
    GUARANTEED = 2
    CONTROLLED_LOAD = 5


class ParameterId(enum.IntEnum):
    """Parameter ids (RFC 2210 section 3, RFC 2215, RFC 2212)."""

    IS_HOPS = 4
    PATH_BANDWIDTH = 6
    MINIMUM_PATH_LATENCY = 8
    PATH_MTU = 10
    TOKEN_BUCKET_TSPEC = 127
    GUARANTEED_RSPEC = 130
    CTOT = 133
    DTOT = 134
    CSUM = 135
    DSUM = 136


BREAK_BIT = 0x80
"""Per-service header flag in ADSPEC fragments: a non-Int-serv hop broke the path (RFC 2210 section 3.3)."""


@record
class TokenBucket(FixedRecord):
    """Token_Bucket_TSpec (parameter 127): rates in bytes/s, sizes in bytes (RFC 2210 section 3.1)."""

    LAYOUT = Layout(
        "rate" / Float32b, "bucket_size" / Float32b, "peak_rate" / Float32b,
        "min_policed_unit" / Int32ub, "max_packet_size" / Int32ub,
    )
    rate: float  # r
    bucket_size: float  # b
    peak_rate: float  # p
    min_policed_unit: int  # m
    max_packet_size: int  # M


@record
class GuaranteedRSpec(FixedRecord):
    """Guaranteed RSpec (parameter 130): R in bytes/s, slack term S in microseconds (RFC 2212)."""

    LAYOUT = Layout("rate" / Float32b, "slack_term" / Int32ub)
    rate: float  # R
    slack_term: int  # S


_RECORD_PARAMETERS: dict[int, type[FixedRecord]] = {
    ParameterId.TOKEN_BUCKET_TSPEC: TokenBucket,
    ParameterId.GUARANTEED_RSPEC: GuaranteedRSpec,
}
_FLOAT_PARAMETERS = frozenset({ParameterId.PATH_BANDWIDTH})
_INT_PARAMETERS = frozenset({
    ParameterId.IS_HOPS, ParameterId.MINIMUM_PATH_LATENCY, ParameterId.PATH_MTU,
    ParameterId.CTOT, ParameterId.DTOT, ParameterId.CSUM, ParameterId.DSUM,
})


@record
class Parameter:
    """One parameter: ``value`` is a TokenBucket / GuaranteedRSpec / int / float, or raw bytes."""

    parameter_id: int
    value: object
    flags: int = 0

    def encode(self) -> bytes:
        value = self.value
        if isinstance(value, FixedRecord):
            raw = value.pack()
        elif self.parameter_id in _FLOAT_PARAMETERS and isinstance(value, float):
            raw = _F32.pack(value)
        elif self.parameter_id in _INT_PARAMETERS and isinstance(value, int):
            raw = _U32.pack(value)
        else:
            raw = bytes(value)  # type: ignore[call-overload]
            if len(raw) % 4:
                raise ValueError(f"raw parameter {self.parameter_id} is not a whole number of words")
        return _WORD_HEADER.pack(self.parameter_id, self.flags, len(raw) // 4) + raw


@record
class ServiceData:
    """One per-service block: its parameters in wire order."""

    service: int
    parameters: tuple[Parameter, ...] = ()
    flags: int = 0

    @property
    def break_bit(self) -> bool:
        return bool(self.flags & BREAK_BIT)

    def parameter(self, parameter_id: int) -> object | None:
        for parameter in self.parameters:
            if parameter.parameter_id == parameter_id:
                return parameter.value
        return None

    def encode(self) -> bytes:
        body = b"".join(p.encode() for p in self.parameters)
        return _WORD_HEADER.pack(self.service, self.flags, len(body) // 4) + body


class _IntServ(RsvpObject):
    """Shared codec of the three Int-serv objects; ``ERROR_VALUE`` is the 21/x sub-code for bad values."""

    __slots__ = ()
    ERROR_VALUE = 0

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        """The common one-service, one-token-bucket form (a 32-byte TSpec or Controlled-Load
        FLOWSPEC) takes a shortcut; everything else, and any doubt, goes the generic way."""
        if len(body) == 32:
            head, overall, service, flags, words, parameter_id, parameter_flags, parameter_words = _SHORTCUT.unpack_from(body)
            if head < 0x1000 and overall == 7 and words == 6 and parameter_id == 127 and parameter_words == 5:
                try:
                    bucket = TokenBucket.unpack(body, 12)
                except ValueError as exc:
                    raise cls._bad(f"parameter 127: {exc}", 8) from None
                parameter = Parameter.build(127, bucket, parameter_flags)
                return cls.build((ServiceData.build(service, (parameter,), flags),), head)  # type: ignore[attr-defined]
        return cls._decode_generic(body)

    @classmethod
    def _decode_generic(cls, body: bytes):  # type: ignore[no-untyped-def]
        bad = cls._bad
        if len(body) < 4:
            raise bad("shorter than the Int-serv message header", 0)
        head, overall = struct.unpack_from(">HH", body)
        if head >> 12 != 0:
            raise bad(f"Int-serv version {head >> 12}, expected 0", 0)
        if 4 + overall * 4 != len(body):
            raise bad(f"overall length {overall} words does not match the {len(body) - 4}-byte body", 2)
        services, offset = [], 4
        while offset < len(body):
            services.append(cls._decode_service(body, offset))
            offset += 4 + _WORD_HEADER.unpack_from(body, offset)[2] * 4
        return cls.build(tuple(services), head & 0x0FFF)  # type: ignore[attr-defined]

    @classmethod
    def _decode_service(cls, body: bytes, offset: int) -> ServiceData:
        service, flags, words = _WORD_HEADER.unpack_from(body, offset)
        end = offset + 4 + words * 4
        if end > len(body):
            raise cls._bad(f"service {service} claims {words} words, past the object", offset + 2)
        parameters, at = [], offset + 4
        while at < end:
            if end - at < 4:
                raise cls._bad("parameter header truncated", at)
            parameter_id, pflags, pwords = _WORD_HEADER.unpack_from(body, at)
            value_end = at + 4 + pwords * 4
            if value_end > end:
                raise cls._bad(f"parameter {parameter_id} claims {pwords} words, past its service", at + 2)
            raw = body[at + 4 : value_end]
            parameters.append(Parameter.build(parameter_id, cls._decode_value(parameter_id, raw, at), pflags))
            at = value_end
        return ServiceData.build(service, tuple(parameters), flags)

    @classmethod
    def _decode_value(cls, parameter_id: int, raw: bytes, at: int) -> object:
        record_type = _RECORD_PARAMETERS.get(parameter_id)
        if record_type is not None:
            if len(raw) != record_type.LAYOUT.size:
                raise cls._bad(f"parameter {parameter_id} is {len(raw)} bytes, expected {record_type.LAYOUT.size}", at)
            try:
                return record_type.unpack(raw)
            except ValueError as exc:
                raise cls._bad(f"parameter {parameter_id}: {exc}", at) from None
        if len(raw) == 4 and parameter_id in _INT_PARAMETERS:
            return _U32.unpack(raw)[0]
        if len(raw) == 4 and parameter_id in _FLOAT_PARAMETERS:
            value = _F32.unpack(raw)[0]
            if value != value:
                raise cls._bad(f"parameter {parameter_id} is NaN", at)
            return value
        return raw

    @classmethod
    def _bad(cls, reason: str, offset: int) -> MalformedMessage:
        return MalformedMessage(f"{cls.__name__}: {reason}", offset=offset, error_code=21, error_value=cls.ERROR_VALUE)

    def encode_body(self) -> bytes:
        body = b"".join(s.encode() for s in self.services)  # type: ignore[attr-defined]
        return struct.pack(">HH", self.reserved & 0x0FFF, len(body) // 4) + body  # type: ignore[attr-defined]

    def service(self, service: int) -> ServiceData | None:
        for data in self.services:  # type: ignore[attr-defined]
            if data.service == service:
                return data
        return None

    @property
    def token_bucket(self) -> TokenBucket | None:
        """The first Token_Bucket_TSpec parameter in any service block."""
        for data in self.services:  # type: ignore[attr-defined]
            value = data.parameter(ParameterId.TOKEN_BUCKET_TSPEC)
            if value is not None:
                return value  # type: ignore[return-value]
        return None


def _token_bucket_parameter(tspec: TokenBucket) -> Parameter:
    return Parameter(ParameterId.TOKEN_BUCKET_TSPEC, tspec)


@wire_object(ClassNum.SENDER_TSPEC, 2)
class SenderTSpec(_IntServ):
    """SENDER_TSPEC (RFC 2210 section 3.1): normally one general-service block with a token bucket."""

    ERROR_VALUE = 4  # 21/4 Bad Tspec value
    services: tuple[ServiceData, ...]
    reserved: int = reserved_field()

    @classmethod
    def from_token_bucket(cls, tspec: TokenBucket) -> SenderTSpec:
        return cls((ServiceData(Service.GENERAL, (_token_bucket_parameter(tspec),)),))


@wire_object(ClassNum.FLOWSPEC, 2)
class FlowSpec(_IntServ):
    """FLOWSPEC (RFC 2210 section 3.2): a Controlled-Load or Guaranteed service request."""

    ERROR_VALUE = 3  # 21/3 Bad Flowspec value
    services: tuple[ServiceData, ...]
    reserved: int = reserved_field()

    @classmethod
    def controlled_load(cls, tspec: TokenBucket) -> FlowSpec:
        return cls((ServiceData(Service.CONTROLLED_LOAD, (_token_bucket_parameter(tspec),)),))

    @classmethod
    def guaranteed(cls, tspec: TokenBucket, rspec: GuaranteedRSpec) -> FlowSpec:
        parameters = (_token_bucket_parameter(tspec), Parameter(ParameterId.GUARANTEED_RSPEC, rspec))
        return cls((ServiceData(Service.GUARANTEED, parameters),))

    @property
    def service_number(self) -> int | None:
        return self.services[0].service if self.services else None

    @property
    def rspec(self) -> GuaranteedRSpec | None:
        data = self.service(Service.GUARANTEED)
        return data.parameter(ParameterId.GUARANTEED_RSPEC) if data else None  # type: ignore[return-value]


@wire_object(ClassNum.ADSPEC, 2)
class AdSpec(_IntServ):
    """ADSPEC (RFC 2210 section 3.3): general, Guaranteed and Controlled-Load fragments."""

    ERROR_VALUE = 5  # 21/5 Bad Adspec value
    services: tuple[ServiceData, ...]
    reserved: int = reserved_field()
