"""INTEGRITY and CHALLENGE (RFC 2747 sections 2.1 and 4.3; message types 25/26 per RFC 3097 section 2).

RFC 2747 defines no Error Codes: a message that fails the integrity check is
dropped silently (section 4.2).  The keyed digest is computed over the whole
message with the digest field zeroed; :data:`INTEGRITY_DIGEST_OFFSET` and
:meth:`Integrity.zeroed` are the hooks for that computation.
"""

from __future__ import annotations

import dataclasses

from construct import BytesInteger, Int8ub, Int16ub, Int64ub

from ..errors import MalformedMessage
from ..layout import Layout
from ..model import ClassNum, FixedObject, RsvpObject, reserved_field, wire_object

HANDSHAKE_FLAG = 0x80
"""INTEGRITY flag HF: bit 0, the most significant bit (RFC 2747 section 2.1).  Wireshark wrongly uses 0x01."""

INTEGRITY_DIGEST_OFFSET = 20
"""Byte offset of the Keyed Message Digest from the start of the INTEGRITY object (4-byte header included)."""

_HEAD = Layout(
    "flags" / Int8ub, "reserved" / Int8ub, "key_id" / BytesInteger(6), "sequence_number" / Int64ub
)


@wire_object(ClassNum.INTEGRITY, 1)
class Integrity(RsvpObject):
    """Flags(8) Reserved(8) Key Identifier(48) Sequence Number(64) Keyed Message Digest.

    The digest "MUST be a multiple of 4 octets long" (16 bytes for HMAC-MD5,
    RFC 2747 section 2.1); an empty digest is rejected as meaningless.
    """

    key_id: int
    sequence_number: int
    digest: bytes
    flags: int = 0
    reserved: int = reserved_field()

    @classmethod
    def decode_body(cls, body: bytes) -> Integrity:  # type: ignore[override]
        if len(body) < _HEAD.size + 4:
            raise MalformedMessage(
                f"INTEGRITY body is {len(body)} bytes, needs {_HEAD.size} plus a digest of at least 4", offset=0
            )
        flags, res, key_id, sequence_number = _HEAD.unpack(body)
        return cls(key_id, sequence_number, body[_HEAD.size :], flags, reserved=res)

    def encode_body(self) -> bytes:
        if len(self.digest) < 4 or len(self.digest) % 4:
            raise ValueError(f"INTEGRITY digest of {len(self.digest)} bytes is not one or more 32-bit words")
        return _HEAD.pack([self.flags, self.reserved, self.key_id, self.sequence_number]) + self.digest

    @property
    def handshake(self) -> bool:
        """HF: the sender is willing to answer an Integrity Challenge (RFC 2747 section 2.1)."""
        return bool(self.flags & HANDSHAKE_FLAG)

    def zeroed(self) -> Integrity:
        """This object with an all-zero digest of the same length, as hashed (RFC 2747 sections 4.1 and 4.2)."""
        return dataclasses.replace(self, digest=bytes(len(self.digest)))


@wire_object(ClassNum.CHALLENGE, 1)
class Challenge(FixedObject):
    """Reserved(16) Key Identifier(48) Challenge Cookie(64) (RFC 2747 section 4.3).

    RFC 3097 section 3 calls the cookie 32-bit; the RFC 2747 diagram gives it two words.
    """

    LAYOUT = Layout("reserved" / Int16ub, "key_id" / BytesInteger(6), "cookie" / Int64ub)
    key_id: int
    cookie: int
    reserved: int = reserved_field()
