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
import itertools
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
    USER_ERROR_SPEC = 194
    NOTIFY_REQUEST = 195
    ADMIN_STATUS = 196
    LSP_ATTRIBUTES = 197
    ALARM_SPEC = 198
    ASSOCIATION = 199
    SECONDARY_EXPLICIT_ROUTE = 200
    SECONDARY_RECORD_ROUTE = 201
    CALL_ATTRIBUTES = 202
    FAST_REROUTE = 205
    SESSION_ATTRIBUTE = 207
    DCLASS = 225
    CALL_OPS = 228
    GENERALIZED_UNI = 229
    CALL_ID = 230
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
    fields (less ``EXTRAS``), in any order.  :func:`record` compiles the
    layout into ``unpack`` / ``pack`` for the class.
    """

    __slots__ = ()
    LAYOUT: ClassVar[Layout]
    EXTRAS: ClassVar[tuple[str, ...]] = ()  # model fields outside the layout, given to ``unpack`` after offset
    build: ClassVar[Any]

    @classmethod
    def _bind_layout(cls, header: tuple[int, int] | None = None) -> None:
        fields = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        if set(fields) - set(cls.EXTRAS) != set(cls.LAYOUT.names):
            raise TypeError(f"{cls.__name__}: layout fields {cls.LAYOUT.names} differ from dataclass fields")
        make, pack = cls.LAYOUT.compile(cls.build, fields, header)  # type: ignore[attr-defined]
        cls.unpack = staticmethod(make)  # type: ignore[assignment]
        if header is None:
            cls.pack = pack  # type: ignore[assignment]
        else:
            cls.encode = pack  # type: ignore[assignment]

    @classmethod
    def unpack(cls: type[T], data: bytes, offset: int = 0) -> T:  # replaced per class by _bind_layout
        raise TypeError(f"{cls.__name__} is not bound to its layout")

    def pack(self) -> bytes:  # replaced per class by _bind_layout
        raise TypeError(f"{type(self).__name__} is not bound to its layout")


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
    """Make ``cls`` a frozen, slotted dataclass with a fast ``build``; compile its layout if it has one.

    ``cls.build(*values)`` takes every field positionally, in declaration order
    (keyword-only ones included), and fills the slots directly: the decoders'
    constructor, about twice as fast as the frozen dataclass ``__init__`` (it
    skips defaults and ``__post_init__``, which records do not use).
    """
    cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    cls.build = staticmethod(_compile_build(cls))  # type: ignore[attr-defined]
    if issubclass(cls, FixedRecord):
        cls._bind_layout()
    return cls


def _compile_build(cls: type) -> Any:
    names = [f.name for f in dataclasses.fields(cls)]
    env: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def build({', '.join(names)}):", "    self = new(cls)"]
    for name in names:
        env[f"set_{name}"] = getattr(cls, name).__set__  # the slot's member descriptor
        lines.append(f"    set_{name}(self, {name})")
    lines.append("    return self")
    exec("\n".join(lines), env)  # noqa: S102 - source built from field names only
    return env["build"]


class BytesMemo(dict):
    """Decoded immutable values by the bytes they came from, bounded, first in first out.

    Refreshes repeat objects, and LSPs through the same routers repeat route
    hops, so the decoders look bytes up here before decoding them.  Every memo
    is listed in ``MEMOS`` so that :func:`set_memo_size` bounds them all.
    """

    limit = 1 << 20

    def remember(self, key: bytes, value: Any) -> None:
        if not self.limit:
            return
        if len(self) >= self.limit:  # dicts keep insertion order: the oldest keys come first
            for old in list(itertools.islice(self, max(1, len(self) // 2))):
                del self[old]
        self[key] = value


MEMOS: list[BytesMemo] = []


def new_memo() -> BytesMemo:
    memo = BytesMemo()
    MEMOS.append(memo)
    return memo


def set_memo_size(entries: int) -> None:
    """Bound every decode memo to ``entries`` (0 disables memoisation); clears them.

    A transit node refreshing N LSPs sees about 5N distinct objects per refresh
    period; the default (1,048,576 entries, ~100 bytes each when full) covers
    about 200,000 LSPs.
    """
    BytesMemo.limit = max(0, entries)
    for memo in MEMOS:
        memo.clear()


OBJECT_TYPES: dict[tuple[int, int], type[RsvpObject]] = {}
"""Every known (class_num, c_type) and the model class that decodes it."""

OBJECT_DECODERS: dict[int, Any] = {}
"""``class_num << 8 | c_type`` -> the body decoder of that object (the framing's dispatch table)."""

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
        OBJECT_DECODERS[class_num << 8 | c_type] = cls.decode_body  # type: ignore[attr-defined]
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
