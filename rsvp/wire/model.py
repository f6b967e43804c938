"""The object model: base classes, the (class, C-Type) registry, unknown objects.

Every RSVP object is an immutable dataclass carrying its class number and C-Type
as class attributes ``class_num`` / ``c_type`` (RFC 2205 section 3.1.2).  Lengths,
padding and checksums are never model fields: they are derived on encode.
Reserved fields are kept (``reserved``, excluded from equality) only so that
a vendor's non-zero reserved bits survive a decode/encode round trip.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from typing import Any, ClassVar, TypeVar

from .errors import MalformedMessage
from .layout import BitLayout, Layout

T = TypeVar("T")

_OBJECT_HEADER = struct.Struct(">HBB")


class ClassNum(enum.IntEnum):
    """Object class numbers (IANA rsvp-parameters; RFC names)."""

    NULL = 0
    SESSION = 1
    RSVP_HOP = 3
    INTEGRITY = 4
    TIME_VALUES = 5
    ERROR_SPEC = 6
    SCOPE = 7
    STYLE = 8
    FLOWSPEC = 9
    FILTER_SPEC = 10
    SENDER_TEMPLATE = 11
    SENDER_TSPEC = 12
    ADSPEC = 13
    POLICY_DATA = 14
    RESV_CONFIRM = 15
    LABEL = 16
    LABEL_REQUEST = 19
    EXPLICIT_ROUTE = 20
    RECORD_ROUTE = 21
    HELLO = 22
    MESSAGE_ID = 23
    MESSAGE_ID_ACK = 24
    MESSAGE_ID_LIST = 25
    RECOVERY_LABEL = 34
    UPSTREAM_LABEL = 35
    LABEL_SET = 36
    PROTECTION = 37
    PRIMARY_PATH_ROUTE = 38
    S2L_SUB_LSP = 50
    DETOUR = 63
    CHALLENGE = 64
    DIFFSERV = 65
    CLASSTYPE = 66
    LSP_REQUIRED_ATTRIBUTES = 67
    SUGGESTED_LABEL = 129
    ACCEPTABLE_LABEL_SET = 130
    RESTART_CAP = 131
    CAPABILITY = 134
    LSP_TUNNEL_INTERFACE_ID = 193
    NOTIFY_REQUEST = 195
    ADMIN_STATUS = 196
    LSP_ATTRIBUTES = 197
    ASSOCIATION = 199
    SECONDARY_EXPLICIT_ROUTE = 200
    SECONDARY_RECORD_ROUTE = 201
    FAST_REROUTE = 205
    SESSION_ATTRIBUTE = 207
    EXCLUDE_ROUTE = 232


class UnknownRule(enum.Enum):
    """What RFC 2205 section 3.10 says to do with an object the node does not know."""

    REJECT = "reject"  # 0bbbbbbb: reject the message, error 13 (or 14 for a known class)
    IGNORE = "ignore"  # 10bbbbbb: drop the object silently
    FORWARD = "forward"  # 11bbbbbb: ignore, but forward unexamined and unmodified


def unknown_rule(class_num: int) -> UnknownRule:
    """The RFC 2205 section 3.10 rule encoded in the top two bits of ``class_num``."""
    if class_num < 128:
        return UnknownRule.REJECT
    return UnknownRule.IGNORE if class_num < 192 else UnknownRule.FORWARD


class RsvpObject:
    """Base of every object.  Subclasses are frozen dataclasses."""

    __slots__ = ()
    class_num: ClassVar[int]
    c_type: ClassVar[int]

    @classmethod
    def decode_body(cls: type[T], body: bytes) -> T:  # pragma: no cover - abstract
        raise TypeError(f"{cls.__name__} does not define decode_body")

    def encode_body(self) -> bytes:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} does not define encode_body")

    def encode(self) -> bytes:
        """The object with its 4-byte header (Length counts the header)."""
        body = self.encode_body()
        if len(body) % 4:
            raise ValueError(f"{type(self).__name__} body is {len(body)} bytes, not a multiple of 4")
        if len(body) + 4 > 0xFFFF:
            raise ValueError(f"{type(self).__name__} is longer than 65535 bytes")
        return _OBJECT_HEADER.pack(len(body) + 4, self.class_num, self.c_type) + body


class BitFieldObject(RsvpObject):
    """An object whose whole body is one :class:`~.layout.BitLayout` (``BITS``)."""

    __slots__ = ()
    BITS: ClassVar[BitLayout]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        if len(body) != cls.BITS.size:
            raise MalformedMessage(f"{cls.__name__} body is {len(body)} bytes, expected {cls.BITS.size}")
        return cls(**cls.BITS.unpack(body))

    def encode_body(self) -> bytes:
        return self.BITS.pack(self)


def reserved_field(default: int | bytes = 0) -> Any:
    """A reserved field: kept for round trips, keyword-only, ignored by ``==``."""
    return dataclasses.field(default=default, kw_only=True, compare=False, repr=False)


class FixedRecord:
    """Mixin for a dataclass whose whole encoding is one fixed :class:`Layout`.

    Subclasses set ``LAYOUT``, whose field names must be exactly the dataclass
    fields (positional ones in the same order).  :func:`record` compiles the
    layout into ``unpack`` / ``pack`` for the class.
    """

    __slots__ = ()
    LAYOUT: ClassVar[Layout]

    @classmethod
    def _bind_layout(cls, header: tuple[int, int] | None = None) -> None:
        names = cls.LAYOUT.names
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        positional = [f.name for f in fields if not f.kw_only]
        if {f.name for f in fields} != set(names) or positional != [n for n in names if n in positional]:
            raise TypeError(f"{cls.__name__}: layout fields {names} differ from dataclass fields")
        make, pack = cls.LAYOUT.compile(cls, frozenset(f.name for f in fields if f.kw_only), header)
        cls.unpack = staticmethod(make)  # type: ignore[assignment]
        if header is None:
            cls.pack = pack  # type: ignore[assignment]
        else:
            cls.encode = pack  # type: ignore[assignment]

    @classmethod
    def unpack(cls: type[T], data: bytes, offset: int = 0) -> T:  # replaced per class by _bind_layout
        raise TypeError(f"{cls.__name__} is not bound to its layout")

    def pack(self) -> bytes:  # replaced per class by _bind_layout
        return self.LAYOUT.pack([getattr(self, n) for n in self.LAYOUT.names])


class FixedObject(FixedRecord, RsvpObject):
    """An object whose body is exactly one fixed layout (``encode`` is compiled, header included)."""

    __slots__ = ()

    @classmethod
    def decode_body(cls: type[T], body: bytes) -> T:
        need = cls.LAYOUT.size  # type: ignore[attr-defined]
        if len(body) != need:
            raise MalformedMessage(f"{cls.__name__} body is {len(body)} bytes, expected {need}")
        return cls.unpack(body)  # type: ignore[attr-defined]

    def encode_body(self) -> bytes:
        return self.encode()[4:]


def record(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen, slotted dataclass and compile its layout if it has one."""
    cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    if issubclass(cls, FixedRecord):
        cls._bind_layout()
    return cls


OBJECT_TYPES: dict[tuple[int, int], type[RsvpObject]] = {}
"""Every known (class_num, c_type) and the model class that decodes it."""

KNOWN_CLASSES: set[int] = set()
"""Class numbers with at least one known C-Type (an unknown C-Type of one is error 14)."""


def wire_object(class_num: int, c_type: int):
    """Register a model class as the decoder of object ``class_num``/``c_type``.

    Objects that share a layout under several codes (LABEL formats reused by
    UPSTREAM_LABEL, say) are subclasses registered under their own codes.
    """

    def wrap(cls: type[T]) -> type[T]:
        cls = record(cls)
        key = (class_num, c_type)
        if key in OBJECT_TYPES:
            raise TypeError(f"object {key} registered twice")
        cls.class_num, cls.c_type = key  # type: ignore[attr-defined]
        if issubclass(cls, FixedObject):
            cls._bind_layout(key)
        OBJECT_TYPES[key] = cls  # type: ignore[assignment]
        KNOWN_CLASSES.add(class_num)
        return cls

    return wrap


@dataclasses.dataclass(frozen=True, slots=True)
class UnknownObject(RsvpObject):
    """An object of an unknown class or C-Type, kept verbatim (RFC 2205 section 3.10)."""

    class_num: int  # type: ignore[misc]
    c_type: int  # type: ignore[misc]
    body: bytes

    def encode_body(self) -> bytes:
        return self.body

    @property
    def rule(self) -> UnknownRule:
        """A known class with an unknown C-Type is always rejected (error 14)."""
        if self.class_num in KNOWN_CLASSES:
            return UnknownRule.REJECT
        return unknown_rule(self.class_num)

    @property
    def error(self) -> tuple[int, int]:
        """The ERROR_SPEC (code, value) to send if this object causes a rejection."""
        code = 14 if self.class_num in KNOWN_CLASSES else 13
        return code, self.class_num * 256 + self.c_type
