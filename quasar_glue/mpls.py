"""MPLS label stack entries and the per-hop label operations, on Ethernet frames.

A label stack entry is four octets (RFC 3032 section 2.1): label (20 bits),
traffic class (3 bits, RFC 5462), bottom-of-stack S (1 bit), TTL (8 bits).
Unicast MPLS rides in Ethernet type 0x8847 (RFC 3032 section 5).

TTL handling follows the pipe/short-pipe models of RFC 3443: a swap
decrements the label TTL and drops the packet when it would reach 0 (RFC 3032
section 2.4.1); a push decrements the IP TTL as an IP hop would and starts the
new entry at 255; a pop of the bottom entry forwards the IP packet with its
IP TTL decremented (checksum updated incrementally, RFC 1624).
"""

from __future__ import annotations

import dataclasses
import struct

ETH_HEADER = 14
ETH_P_IP = 0x0800
ETH_P_MPLS_UC = 0x8847
LABEL_MAX = (1 << 20) - 1
PUSH_TTL = 255
_ENTRY = struct.Struct("!I")


@dataclasses.dataclass(frozen=True, slots=True)
class LabelEntry:
    label: int
    tc: int = 0
    bottom: bool = True
    ttl: int = 64

    def pack(self) -> bytes:
        return _ENTRY.pack(self.label << 12 | self.tc << 9 | self.bottom << 8 | self.ttl)

    @classmethod
    def unpack(cls, data: bytes | bytearray | memoryview, offset: int = 0) -> LabelEntry:
        (word,) = _ENTRY.unpack_from(data, offset)
        return cls(word >> 12, word >> 9 & 7, bool(word >> 8 & 1), word & 0xFF)


def check_label(label: int) -> int:
    """``label`` if it can be carried in a label stack entry, else ValueError."""
    if not 0 <= label <= LABEL_MAX:
        raise ValueError(f"MPLS label {label} outside 0..{LABEL_MAX}")
    return label


def u32_label_key(label: int) -> str:
    """A tc u32 key matching the top label (offset 0 is the first octet after the Ethernet header)."""
    return f"0x{check_label(label) << 12:08x}/0xfffff000+0"


def ethertype(frame: bytes | bytearray) -> int:
    return frame[12] << 8 | frame[13] if len(frame) >= ETH_HEADER else -1


def rewrite_macs(frame: bytearray, src: bytes, dst: bytes) -> None:
    frame[0:6] = dst
    frame[6:12] = src


def swap(frame: bytearray, out_label: int) -> bool:
    """Replace the top label, keep TC and S, decrement the TTL; False (drop) when the TTL expires."""
    ttl = frame[ETH_HEADER + 3]
    if ttl <= 1:
        return False
    frame[ETH_HEADER] = out_label >> 12
    frame[ETH_HEADER + 1] = out_label >> 4 & 0xFF
    frame[ETH_HEADER + 2] = (out_label & 0xF) << 4 | frame[ETH_HEADER + 2] & 0x0F
    frame[ETH_HEADER + 3] = ttl - 1
    return True


def decrement_ip_ttl(frame: bytearray, offset: int) -> bool:
    """Decrement the TTL of the IPv4 header at ``offset`` and patch its checksum (RFC 1624 eqn. 3)."""
    if len(frame) < offset + 20 or frame[offset] >> 4 != 4 or frame[offset + 8] <= 1:
        return False
    old = frame[offset + 8] << 8 | frame[offset + 9]
    frame[offset + 8] -= 1
    new = old - 0x100
    checksum = ~(frame[offset + 10] << 8 | frame[offset + 11]) & 0xFFFF
    checksum += (~old & 0xFFFF) + new
    checksum = (checksum & 0xFFFF) + (checksum >> 16)
    checksum = ~((checksum & 0xFFFF) + (checksum >> 16)) & 0xFFFF
    frame[offset + 10:offset + 12] = checksum.to_bytes(2, "big")
    return True


def push(frame: bytearray, out_label: int) -> bytearray | None:
    """Route the IPv4 packet one hop and push a bottom-of-stack entry for ``out_label``."""
    if not decrement_ip_ttl(frame, ETH_HEADER):
        return None
    pushed = bytearray(frame[:12])
    pushed += ETH_P_MPLS_UC.to_bytes(2, "big")
    pushed += LabelEntry(out_label, 0, True, PUSH_TTL).pack()
    pushed += frame[ETH_HEADER:]
    return pushed


def pop(frame: bytearray) -> bytearray | None:
    """Remove the bottom-of-stack entry and route the IPv4 packet under it one hop."""
    if not frame[ETH_HEADER + 2] & 1 or frame[ETH_HEADER + 3] <= 1:
        return None
    popped = bytearray(frame[:12])
    popped += ETH_P_IP.to_bytes(2, "big")
    popped += frame[ETH_HEADER + 4:]
    return popped if decrement_ip_ttl(popped, ETH_HEADER) else None
