"""Framing: bytes <-> :class:`Message` (RFC 2205 section 3.1, RFC 2961 section 3.2).

The framing is hand-written so that every length is checked before any body
decoder sees a byte: message length against the bytes given, each object
length (>= 4, a multiple of 4, inside the message), then the per-(class,
C-Type) body decoder, which checks its own sizes.  Whatever the input,
:func:`decode` raises only :class:`MalformedMessage`.

Messages repeat objects (every LSP through a router carries the same
TIME_VALUES, previous hop and label request; LSPs share rates and routes), so
decoded objects are memoised by their bytes (objects are immutable, so
sharing them is safe); see :func:`rsvp.wire.model.set_memo_size`.  Classes
whose objects are all but unique to one LSP (``UNSHARED``) are not memoised:
they would fill the memo and share nothing.
"""

from __future__ import annotations

import struct

from construct import ConstructError

from . import objects as _objects  # noqa: F401  (registers every object type)
from .checksum import internet_checksum
from .errors import MalformedMessage
from .message import MSG_TYPES, Message, MsgType
from .model import OBJECT_DECODERS, OBJECT_TYPES, ClassNum, RsvpObject, UnknownObject, new_memo
from .objects.core import NullObject

_HEADER = struct.Struct(">BBHBBH")
_OBJECT_HEADER = struct.Struct(">HBB")
_BODY_ERRORS = (struct.error, ValueError, IndexError, OverflowError, ConstructError)

RSVP_VERSION = 1
_cache = new_memo()
UNSHARED = frozenset({
    ClassNum.SESSION, ClassNum.SENDER_TEMPLATE, ClassNum.FILTER_SPEC, ClassNum.SESSION_ATTRIBUTE, ClassNum.LABEL,
    ClassNum.RECORD_ROUTE, ClassNum.MESSAGE_ID, ClassNum.MESSAGE_ID_ACK,
    ClassNum.INTEGRITY, ClassNum.ERROR_SPEC,
})


def decode(data: bytes, *, verify_checksum: bool = True) -> Message:
    """Decode one whole RSVP message (its RSVP Length must equal ``len(data)``).

    A zero checksum means none was sent and is accepted.  Pass
    ``verify_checksum=False`` to read captures whose checksums are known bad.
    """
    if type(data) is not bytes:
        data = bytes(data)
    return _decode(data, verify_checksum, nested=False)


def encode(message: Message) -> bytes:
    """Encode ``message``; lengths and the checksum are computed here."""
    if message.msg_type == MsgType.BUNDLE:
        if message.objects or not message.sub_messages:
            raise ValueError("a Bundle carries one or more messages and no objects (RFC 2961 section 3.2)")
        parts = [encode(sub) for sub in message.sub_messages]
    else:
        if message.sub_messages:
            raise ValueError(f"only a Bundle carries messages, not {message.name}")
        parts = [obj.encode() for obj in message.objects]
    body = b"".join(parts)
    length = 8 + len(body)
    if length > 0xFFFF:
        raise ValueError(f"message is {length} bytes, longer than RSVP Length allows")
    version_flags = (RSVP_VERSION << 4) | (message.flags & 0x0F)
    head = _HEADER.pack(version_flags, message.msg_type, 0, message.send_ttl, message.reserved, length)
    wire = head + body
    if not message.send_checksum:
        return wire
    return head[:2] + internet_checksum(wire).to_bytes(2, "big") + head[4:] + body


def rsvp_length(data: bytes) -> int | None:
    """The RSVP Length a buffer declares, or None if it has no full header."""
    return _HEADER.unpack_from(data)[5] if len(data) >= 8 else None


def _decode(data: bytes, verify_checksum: bool, nested: bool) -> Message:
    if len(data) < 8:
        raise MalformedMessage(f"{len(data)} bytes is shorter than the 8-byte common header", offset=0)
    version_flags, msg_type, checksum, send_ttl, reserved, length = _HEADER.unpack_from(data)
    if version_flags >> 4 != RSVP_VERSION:
        raise MalformedMessage(f"RSVP version {version_flags >> 4} is not supported", offset=0)
    if length != len(data):
        what = "truncated" if length > len(data) else "has trailing bytes"
        raise MalformedMessage(f"RSVP Length {length} but {len(data)} bytes: message {what}", offset=6)
    if length % 4:
        raise MalformedMessage(f"RSVP Length {length} is not a multiple of 4", offset=6)
    if checksum and verify_checksum:
        expected = internet_checksum(data[:2] + b"\x00\x00" + data[4:])
        if expected != checksum:
            raise MalformedMessage(f"bad checksum 0x{checksum:04x}, expected 0x{expected:04x}", offset=2)
    if msg_type == MsgType.BUNDLE:
        if nested:
            raise MalformedMessage("a Bundle inside a Bundle (RFC 2961 section 3.2)", offset=1)
        objects, subs = (), _decode_bundle(data, verify_checksum)
    else:
        objects, subs = decode_objects(data, 8, length), ()
    return Message.build(  # type: ignore[attr-defined]
        MSG_TYPES.get(msg_type, msg_type), objects, subs, version_flags & 0x0F, send_ttl, checksum != 0, reserved
    )


def _decode_bundle(data: bytes, verify_checksum: bool) -> tuple[Message, ...]:
    """A Bundle body is one or more complete messages, none a Bundle (RFC 2961 section 3.2)."""
    offset, end = 8, len(data)
    subs = []
    while offset < end:
        if end - offset < 8:
            raise MalformedMessage("bundled message shorter than its header", offset=offset)
        length = _HEADER.unpack_from(data, offset)[5]
        if length < 8 or offset + length > end:
            raise MalformedMessage(f"bundled message length {length} overruns the Bundle", offset=offset + 6)
        try:
            subs.append(_decode(data[offset : offset + length], verify_checksum, nested=True))
        except MalformedMessage as exc:
            raise exc.at(offset) from None
        offset += length
    if not subs:
        raise MalformedMessage("Bundle carries no message (RFC 2961 section 3.2)", offset=8)
    return tuple(subs)


def decode_objects(data: bytes, offset: int, end: int, *, in_policy_data: bool = False) -> tuple[RsvpObject, ...]:
    """The objects filling ``data[offset:end]``.

    ``in_policy_data``: this is a POLICY_DATA option list (RFC 2750 section 3.1),
    where another POLICY_DATA is refused, so nesting (and recursion) stays one deep.
    """
    objects: list[RsvpObject] = []
    append = objects.append
    cache, remember, decoders = _cache, _cache.remember, OBJECT_DECODERS
    unpack_header = _OBJECT_HEADER.unpack_from
    while offset < end:
        if end - offset < 4:
            raise MalformedMessage(f"{end - offset} bytes left, too few for an object header", offset=offset)
        length, class_num, c_type = unpack_header(data, offset)
        if length & 3 or length < 4:
            raise MalformedMessage(
                f"object Length {length} must be >= 4 and a multiple of 4",
                offset=offset, class_num=class_num, c_type=c_type,
            )
        if offset + length > end:
            raise MalformedMessage(
                f"object Length {length} runs {offset + length - end} bytes past the message",
                offset=offset, class_num=class_num, c_type=c_type,
            )
        if in_policy_data and class_num == ClassNum.POLICY_DATA:
            raise MalformedMessage("POLICY_DATA inside a POLICY_DATA option list", offset=offset,
                                   class_num=class_num, c_type=c_type)
        raw = data[offset : offset + length]
        shared = class_num not in UNSHARED
        obj = cache.get(raw) if shared else None
        if obj is None:
            decoder = decoders.get(class_num << 8 | c_type)
            try:
                if decoder is not None:
                    obj = decoder(raw[4:])
                elif class_num == ClassNum.NULL:
                    obj = NullObject(c_type, raw[4:])
                else:
                    obj = UnknownObject(class_num, c_type, raw[4:])
            except MalformedMessage as exc:
                raise exc.at(offset + 4, class_num, c_type) from None
            except _BODY_ERRORS as exc:
                name = OBJECT_TYPES[class_num, c_type].__name__
                raise MalformedMessage(
                    f"bad {name} body: {exc}", offset=offset + 4, class_num=class_num, c_type=c_type
                ) from None
            if shared:
                remember(raw, obj)
        append(obj)
        offset += length
    return tuple(objects)
