"""Fast reroute objects: FAST_REROUTE and DETOUR (RFC 4090 section 4)."""

from __future__ import annotations

import enum
from ipaddress import IPv4Address, IPv6Address
from typing import ClassVar

from construct import Float32b, Int8ub, Int32ub

from ..errors import MalformedMessage
from ..layout import IPv4, IPv6, Layout
from ..model import ClassNum, FixedObject, FixedRecord, RsvpObject, record, reserved_field, wire_object


class FastRerouteFlags(enum.IntFlag):
    """FAST_REROUTE Flags (RFC 4090 section 4.1)."""

    ONE_TO_ONE_BACKUP_DESIRED = 0x01
    FACILITY_BACKUP_DESIRED = 0x02


@wire_object(ClassNum.FAST_REROUTE, 1)
class FastReroute(FixedObject):
    """FAST_REROUTE (RFC 4090 section 4.1); ``bandwidth`` in bytes per second.

    Note the affinity order: include-any, exclude-any, include-all (SESSION_ATTRIBUTE
    C-Type 1 leads with exclude-any).
    """

    LAYOUT = Layout(
        "setup_priority" / Int8ub, "holding_priority" / Int8ub, "hop_limit" / Int8ub, "flags" / Int8ub,
        "bandwidth" / Float32b, "include_any" / Int32ub, "exclude_any" / Int32ub, "include_all" / Int32ub,
    )
    setup_priority: int
    holding_priority: int
    hop_limit: int
    flags: int
    bandwidth: float
    include_any: int = 0
    exclude_any: int = 0
    include_all: int = 0


@wire_object(ClassNum.FAST_REROUTE, 7)
class FastRerouteLegacy(FixedObject):
    """The pre-RFC FAST_REROUTE C-Type 7 (RFC 4090 section 4.1): a reserved byte, no include-all."""

    LAYOUT = Layout(
        "setup_priority" / Int8ub, "holding_priority" / Int8ub, "hop_limit" / Int8ub, "reserved" / Int8ub,
        "bandwidth" / Float32b, "include_any" / Int32ub, "exclude_any" / Int32ub,
    )
    setup_priority: int
    holding_priority: int
    hop_limit: int
    bandwidth: float
    include_any: int = 0
    exclude_any: int = 0
    reserved: int = reserved_field()


@record
class DetourPairIPv4(FixedRecord):
    """One DETOUR entry: the PLR and the node it avoids (RFC 4090 section 4.2.1)."""

    LAYOUT = Layout("plr_id" / IPv4, "avoid_node_id" / IPv4)
    plr_id: IPv4Address
    avoid_node_id: IPv4Address


@record
class DetourPairIPv6(FixedRecord):
    """One IPv6 DETOUR entry (RFC 4090 section 4.2.2)."""

    LAYOUT = Layout("plr_id" / IPv6, "avoid_node_id" / IPv6)
    plr_id: IPv6Address
    avoid_node_id: IPv6Address


class _Detour(RsvpObject):
    """A body of one or more ``PAIR`` records (RFC 4090 section 4.2)."""

    __slots__ = ()
    PAIR: ClassVar[type[FixedRecord]]

    @classmethod
    def decode_body(cls, body: bytes):  # type: ignore[override]
        size = cls.PAIR.LAYOUT.size
        if not body or len(body) % size:
            raise MalformedMessage(f"{cls.__name__} body of {len(body)} bytes is not one or more {size}-byte pairs")
        return cls(tuple(cls.PAIR.unpack(body, offset) for offset in range(0, len(body), size)))

    def encode_body(self) -> bytes:
        if not self.pairs:  # type: ignore[attr-defined]
            raise ValueError(f"{type(self).__name__} needs at least one pair")
        return b"".join(pair.pack() for pair in self.pairs)  # type: ignore[attr-defined]


@wire_object(ClassNum.DETOUR, 7)
class DetourIPv4(_Detour):
    PAIR = DetourPairIPv4
    pairs: tuple[DetourPairIPv4, ...]


@wire_object(ClassNum.DETOUR, 8)
class DetourIPv6(_Detour):
    PAIR = DetourPairIPv6
    pairs: tuple[DetourPairIPv6, ...]
