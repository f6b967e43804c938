"""RSVP messages: the common header fields plus an ordered tuple of objects."""

from __future__ import annotations

import dataclasses
import enum
from typing import Iterator

from .model import RsvpObject, record, reserved_field

REFRESH_REDUCTION_CAPABLE = 0x01
"""Common-header flag: the sender supports RFC 2961 refresh reduction (section 2)."""


class MsgType(enum.IntEnum):
    """Message types (RFC 2205 section 3.1.1, RFC 2961, RFC 3209, RFC 3473, RFC 2747)."""

    PATH = 1
    RESV = 2
    PATH_ERR = 3
    RESV_ERR = 4
    PATH_TEAR = 5
    RESV_TEAR = 6
    RESV_CONF = 7
    RESV_TEAR_CONFIRM = 10
    BUNDLE = 12
    ACK = 13
    SREFRESH = 15
    HELLO = 20
    NOTIFY = 21
    INTEGRITY_CHALLENGE = 25
    INTEGRITY_RESPONSE = 26


MSG_TYPES = {int(t): t for t in MsgType}
"""Message type number -> :class:`MsgType` (a dict lookup, cheaper than calling the enum)."""
_NAMES = {int(t): t.name for t in MsgType}


def type_name(msg_type: int) -> str:
    """The name of a message type number ("PATH", ...; "TYPE_n" for one not defined)."""
    return _NAMES.get(msg_type) or f"TYPE_{msg_type}"


@record
class Message:
    """One RSVP message.

    ``objects`` keeps wire order (the RFCs ask receivers to accept any order, and
    a round trip must reproduce the sender's).  A Bundle (RFC 2961 section 3.2)
    has no objects: its bundled messages are ``sub_messages``.  ``send_checksum`` False encodes a zero checksum, which
    RFC 2205 section 3.1.1 defines as "none transmitted".
    """

    msg_type: int
    objects: tuple[RsvpObject, ...] = ()
    sub_messages: tuple[Message, ...] = ()
    flags: int = 0
    send_ttl: int = 255
    send_checksum: bool = dataclasses.field(default=True, compare=False)
    reserved: int = reserved_field()

    @property
    def name(self) -> str:
        return type_name(self.msg_type)

    @property
    def refresh_reduction_capable(self) -> bool:
        return bool(self.flags & REFRESH_REDUCTION_CAPABLE)

    def find(self, class_num: int) -> RsvpObject | None:
        """The first object of class ``class_num``, or None."""
        for obj in self.objects:
            if obj.class_num == class_num:
                return obj
        return None

    def firsts(self) -> dict[int, RsvpObject]:
        """Class number -> the first object of that class (one pass, for a handler that needs many)."""
        found: dict[int, RsvpObject] = {}
        for obj in self.objects:
            found.setdefault(obj.class_num, obj)
        return found

    def find_all(self, class_num: int) -> tuple[RsvpObject, ...]:
        return tuple(o for o in self.objects if o.class_num == class_num)

    def walk(self) -> Iterator[Message]:
        """This message, then (for a Bundle) each bundled message."""
        yield self
        yield from self.sub_messages
