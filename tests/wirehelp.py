"""Helpers shared by the object tests: wrap object hex in a message, decode one, expect a fault."""

from __future__ import annotations

import pytest

from rsvp.wire import MalformedMessage, decode

V6A = "20010db8000000000000000000000001"
V6B = "20010db8000000000000000000000002"
BODY = 12  # message offset of the first object's body: common header (8) + object header (4)


def path_message(*objects: str | bytes) -> bytes:
    """A Path message with a zero (absent) checksum around objects given as hex strings or bytes."""
    body = b"".join(o if isinstance(o, bytes) else bytes.fromhex(o.replace(" ", "")) for o in objects)
    return bytes([0x10, 1, 0, 0, 64, 0]) + (8 + len(body)).to_bytes(2, "big") + body


def one(hexstr: str):
    """Decode one object and check that it re-encodes to the same bytes."""
    obj = decode(path_message(hexstr)).objects[0]
    assert obj.encode().hex() == hexstr.replace(" ", "")
    return obj


def malformed(hexstr: str) -> MalformedMessage:
    with pytest.raises(MalformedMessage) as info:
        decode(path_message(hexstr))
    return info.value
