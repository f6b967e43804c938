"""Refresh-reduction objects (RFC 2961 sections 4 and 5).

MESSAGE_ID (23, section 4.2), MESSAGE_ID_ACK / MESSAGE_ID_NACK (24, section 4.3)
and the Srefresh lists (25, section 5.1): MESSAGE_ID_LIST, SRC_LIST and
MCAST_LIST.  Every list body is a Flags(8) Epoch(24) word followed by one or
more fixed-size entries ("One or more Message_Identifiers may be included");
one base class (:class:`_IdList`) reads and writes them all.  RFC 2961 defines
no Error Codes: a neighbour that does not know classes 23-25 answers Error 13
(section 4.8).
"""

from __future__ import annotations

import dataclasses
import struct
from ipaddress import IPv4Address, IPv6Address
from typing import Any, ClassVar

from construct import Int8ub, Int24ub, Int32ub

from ..errors import MalformedMessage
from ..layout import IPv4, IPv6, Layout
from ..model import ClassNum, FixedObject, FixedRecord, RsvpObject, record, wire_object

ACK_DESIRED = 0x01
"""MESSAGE_ID flag: the sender asks for a MESSAGE_ID_ACK (RFC 2961 section 4.2)."""

RECOVERY_PATH = 0x02
"""MESSAGE_ID_ACK / NACK and MESSAGE_ID_LIST flag: the state can be recovered by RecoveryPath (RFC 5063 section 5.1)."""

_HEAD = Layout("flags" / Int8ub, "epoch" / Int24ub)
_MESSAGE_ID = struct.Struct(">I")


@record
class _MessageIdFields(FixedObject):
    """Flags(8) Epoch(24) Message_Identifier(32): the body of classes 23 and 24."""

    LAYOUT = Layout("flags" / Int8ub, "epoch" / Int24ub, "message_id" / Int32ub)
    epoch: int
    message_id: int
    flags: int = dataclasses.field(default=0, kw_only=True)


@wire_object(ClassNum.MESSAGE_ID, 1)
class MessageId(_MessageIdFields):
    """MESSAGE_ID (RFC 2961 section 4.2); ``flags`` 0x01 is ACK_Desired."""

    @property
    def ack_desired(self) -> bool:
        return bool(self.flags & ACK_DESIRED)


@wire_object(ClassNum.MESSAGE_ID_ACK, 1)
class MessageIdAck(_MessageIdFields):
    """MESSAGE_ID_ACK (RFC 2961 section 4.3); flag 0x02 is RecoveryPath (RFC 5063 section 5.1)."""


@wire_object(ClassNum.MESSAGE_ID_ACK, 2)
class MessageIdNack(MessageIdAck):
    """MESSAGE_ID_NACK (RFC 2961 section 4.3): same body as the ACK."""


# --- Srefresh lists (RFC 2961 section 5.1) -------------------------------------------------


class _IdList(RsvpObject):
    """Flags(8) Epoch(24), then one or more entries of ``ENTRY_SIZE`` bytes.

    Subclasses name their entry tuple in ``ITEMS``; entries are ``ENTRY``
    records unless ``_read`` / ``_write`` say otherwise.
    """

    __slots__ = ()
    ENTRY: ClassVar[type[FixedRecord]]
    ITEMS: ClassVar[str] = "entries"

    @classmethod
    def _entry_size(cls) -> int:
        return cls.ENTRY.LAYOUT.size

    @classmethod
    def _read(cls, body: bytes, offset: int) -> Any:
        return cls.ENTRY.unpack(body, offset)

    @staticmethod
    def _write(entry: Any) -> bytes:
        return entry.pack()

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        size = cls._entry_size()
        if len(body) < 4 + size or (len(body) - 4) % size:
            raise MalformedMessage(
                f"{cls.__name__} body of {len(body)} bytes is not a 4-byte head and one or more {size}-byte entries",
                offset=0,
            )
        flags, epoch = _HEAD.unpack(body)
        entries = tuple(cls._read(body, offset) for offset in range(4, len(body), size))
        return cls(epoch, entries, flags=flags)

    def encode_body(self) -> bytes:
        entries = getattr(self, self.ITEMS)
        if not entries:
            raise ValueError(f"{type(self).__name__} needs at least one entry")
        return _HEAD.pack([self.flags, self.epoch]) + b"".join(map(self._write, entries))  # type: ignore[attr-defined]


@wire_object(ClassNum.MESSAGE_ID_LIST, 1)
class MessageIdList(_IdList):
    """MESSAGE_ID_LIST: Message_Identifiers sharing one Epoch (RFC 2961 section 5.1; flag 0x02 RFC 5063)."""

    ITEMS = "message_ids"
    epoch: int
    message_ids: tuple[int, ...]
    flags: int = 0

    @classmethod
    def _entry_size(cls) -> int:
        return _MESSAGE_ID.size

    @classmethod
    def _read(cls, body: bytes, offset: int) -> int:
        return _MESSAGE_ID.unpack_from(body, offset)[0]

    @staticmethod
    def _write(entry: int) -> bytes:
        return _MESSAGE_ID.pack(entry)


@record
class SourceEntryIPv4(FixedRecord):
    """One SRC_LIST entry: Message_Identifier(32) Source_IP_Address(32)."""

    LAYOUT = Layout("message_id" / Int32ub, "source" / IPv4)
    message_id: int
    source: IPv4Address


@record
class SourceEntryIPv6(FixedRecord):
    """One SRC_LIST entry: Message_Identifier(32) Source_IP_Address(128)."""

    LAYOUT = Layout("message_id" / Int32ub, "source" / IPv6)
    message_id: int
    source: IPv6Address


@record
class McastEntryIPv4(FixedRecord):
    """One MCAST_LIST entry: Message_Identifier(32) Source(32) Destination(32)."""

    LAYOUT = Layout("message_id" / Int32ub, "source" / IPv4, "destination" / IPv4)
    message_id: int
    source: IPv4Address
    destination: IPv4Address


@record
class McastEntryIPv6(FixedRecord):
    """One MCAST_LIST entry: Message_Identifier(32) Source(128) Destination(128)."""

    LAYOUT = Layout("message_id" / Int32ub, "source" / IPv6, "destination" / IPv6)
    message_id: int
    source: IPv6Address
    destination: IPv6Address


@wire_object(ClassNum.MESSAGE_ID_LIST, 2)
class SourceListIPv4(_IdList):
    """IPv4 MESSAGE_ID SRC_LIST (RFC 2961 section 5.1)."""

    ENTRY = SourceEntryIPv4
    epoch: int
    entries: tuple[SourceEntryIPv4, ...]
    flags: int = 0


@wire_object(ClassNum.MESSAGE_ID_LIST, 3)
class SourceListIPv6(_IdList):
    """IPv6 MESSAGE_ID SRC_LIST (RFC 2961 section 5.1)."""

    ENTRY = SourceEntryIPv6
    epoch: int
    entries: tuple[SourceEntryIPv6, ...]
    flags: int = 0


@wire_object(ClassNum.MESSAGE_ID_LIST, 4)
class McastListIPv4(_IdList):
    """IPv4 MESSAGE_ID MCAST_LIST (RFC 2961 section 5.1)."""

    ENTRY = McastEntryIPv4
    epoch: int
    entries: tuple[McastEntryIPv4, ...]
    flags: int = 0


@wire_object(ClassNum.MESSAGE_ID_LIST, 5)
class McastListIPv6(_IdList):
    """IPv6 MESSAGE_ID MCAST_LIST (RFC 2961 section 5.1)."""

    ENTRY = McastEntryIPv6
    epoch: int
    entries: tuple[McastEntryIPv6, ...]
    flags: int = 0
