"""RSVP messages out of pcap / pcapng captures.

Files are read with dpkt's readers (``dpkt.pcap.Reader``, ``dpkt.pcapng.Reader``).
Below the file format, each frame is walked here with bounds-checked
``struct`` reads rather than with dpkt's packet classes, for three reasons:
dpkt guesses the payload of an MPLS stack only when its first byte is 0x45
(IPv4 *without* options), so the Router-Alert Path of
``arkime_mpls-basic.pcap`` would be read as pseudowire Ethernet; dpkt stops
after two VLAN tags; and the byte offset of the RSVP message inside the frame
(needed to line our messages up with tshark's) is lost in dpkt's objects.

Supported: link types Ethernet (802.1Q / 802.1ad / QinQ tags, LLC/SNAP),
Linux SLL and SLL2, raw IP, BSD loopback; MPLS label stacks (to
bottom-of-stack, then IPv4 / IPv6 by version nibble); IPv4 (options, Router
Alert) and IPv6 (extension headers, hop-by-hop Router Alert, RFC 2711); IP
protocol 46 (RSVP) and 134 (RSVP-E2E-IGNORE, RFC 3175); RSVP over UDP ports
1698 / 1699 (RFC 2205 appendix C) and 3455; IP-in-IP.

Each RSVP message becomes an :class:`RsvpPacket` whose ``data`` is sliced to
``min(RSVP Length, bytes available)``: ``missing`` counts the bytes the
declared length wants beyond the capture, ``trailing`` the bytes after it.
A frame the walker cannot read becomes an :class:`Undecodable` record; nothing
here raises on a bad frame.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from collections.abc import Iterator
from ipaddress import IPv6Address

import dpkt

RSVP_PROTO = 46
RSVP_E2E_IGNORE_PROTO = 134
RSVP_UDP_PORTS = frozenset({1698, 1699, 3455})
"""RFC 2205 appendix C (rsvp-encap-1 / rsvp-encap-2) and IANA "prsvp"."""

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")

# Link types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
_RAW_LINKTYPES = frozenset({LINKTYPE_RAW, 12, 14, LINKTYPE_IPV4, LINKTYPE_IPV6})

_ETH_IPV4 = 0x0800
_ETH_IPV6 = 0x86DD
_ETH_VLAN = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
_ETH_MPLS = frozenset({0x8847, 0x8848})
_BSD_AF_INET = frozenset({2, 10, 24, 28, 30})  # AF_INET, then AF_INET6 of Linux and the BSDs

_IPV6_EXTENSIONS = frozenset({0, 43, 60, 135, 139, 140})  # (len + 1) * 8 bytes each
_IPV6_FRAGMENT = 44
_IPV6_AH = 51
_IPOPT_ROUTER_ALERT = 148  # RFC 2113
_IP6OPT_ROUTER_ALERT = 5  # RFC 2711
_MAX_NESTING = 8  # MPLS-in-IP-in-IP... nobody needs more; fuzzed frames get no loop

_U16 = struct.Struct(">H")
_RSVP_LENGTH = struct.Struct(">H")


@dataclasses.dataclass(frozen=True, slots=True)
class RsvpPacket:
    """One RSVP message found in a frame.

    ``offset`` is where the message starts in the frame; ``ttl`` is the IPv4 TTL
    or IPv6 hop limit; ``declared_length`` is the RSVP Length field (None if not
    even the 8-byte header was captured).
    """

    file: str
    frame: int
    time: float
    encapsulation: str
    offset: int
    ip_version: int
    src: str
    dst: str
    ttl: int
    protocol: int
    router_alert: bool
    data: bytes
    declared_length: int | None
    trailing: int
    missing: int


@dataclasses.dataclass(frozen=True, slots=True)
class Undecodable:
    """A frame (or the rest of a file) that could not be read."""

    file: str
    frame: int
    time: float
    reason: str


Record = RsvpPacket | Undecodable


class UndecodableFrame(Exception):
    """A frame that does not parse; turned into an :class:`Undecodable` record."""


def capture_files(paths: list[str]) -> list[str]:
    """``paths`` with folders replaced by the capture files under them (sorted)."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found.extend(os.path.join(root, f) for f in sorted(files) if f.lower().endswith(CAPTURE_SUFFIXES))
        else:
            found.append(path)
    return found


def read_file(path: str) -> Iterator[Record]:
    """Every RSVP message (and every unreadable frame) of one capture file, in frame order."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by the with below; open errors become a record)
    except OSError as exc:
        yield Undecodable(path, 0, 0.0, f"cannot open: {exc.strerror or exc}")
        return
    with handle:
        try:
            reader = _reader(handle)
        except (ValueError, dpkt.Error, struct.error) as exc:
            yield Undecodable(path, 0, 0.0, f"not a pcap or pcapng file: {exc}")
            return
        linktype = reader.datalink() & 0xFFFF  # the upper bits carry FCS information (pcap format)
        frame = 0
        frames = iter(reader)
        while True:
            try:
                item = next(frames)
            except StopIteration:
                return
            except (ValueError, dpkt.Error, struct.error, EOFError) as exc:
                yield Undecodable(path, frame + 1, 0.0, f"capture file damaged: {exc!r}")
                return
            frame += 1
            time, buf = item
            try:
                yield from frame_messages(path, frame, float(time), linktype, bytes(buf))
            except UndecodableFrame as exc:
                yield Undecodable(path, frame, float(time), str(exc))


def _reader(handle):
    magic = handle.read(4)
    handle.seek(0)
    if magic == b"\x0a\x0d\x0d\x0a":
        return dpkt.pcapng.Reader(handle)
    return dpkt.pcap.Reader(handle)


def frame_messages(file: str, frame: int, time: float, linktype: int, buf: bytes) -> list[RsvpPacket]:
    """The RSVP messages in one captured frame (raises :class:`UndecodableFrame` if it cannot be read)."""
    out: list[RsvpPacket] = []
    try:
        _link(_Frame(file, frame, time, buf, out), linktype)
    except (struct.error, IndexError, ValueError) as exc:  # pragma: no cover - the walker checks sizes
        raise UndecodableFrame(f"undecodable link layer: {exc!r}") from None
    return out


class _Frame:
    """Walk state of one frame: where messages are collected."""

    __slots__ = ("buf", "file", "frame", "out", "time")

    def __init__(self, file: str, frame: int, time: float, buf: bytes, out: list[RsvpPacket]) -> None:
        self.file, self.frame, self.time, self.buf, self.out = file, frame, time, buf, out


def _need(buf: bytes, end: int, what: str) -> None:
    if end > len(buf):
        raise UndecodableFrame(f"undecodable link layer: {what} truncated ({len(buf)} bytes captured, {end} needed)")


def _link(f: _Frame, linktype: int) -> None:
    buf = f.buf
    if linktype == LINKTYPE_ETHERNET:
        _ethernet(f, 0, "eth")
    elif linktype == LINKTYPE_LINUX_SLL:
        _need(buf, 16, "Linux SLL header")
        _ethertype(f, 16, _U16.unpack_from(buf, 14)[0], "sll")
    elif linktype == LINKTYPE_LINUX_SLL2:
        _need(buf, 20, "Linux SLL2 header")
        _ethertype(f, 20, _U16.unpack_from(buf, 0)[0], "sll2")
    elif linktype in _RAW_LINKTYPES:
        _ip(f, 0, "raw", 0)
    elif linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        _need(buf, 4, "loopback header")
        # The address family is in the capturing host's byte order: accept either.
        if {int.from_bytes(buf[:4], "little"), int.from_bytes(buf[:4], "big")} & _BSD_AF_INET:
            _ip(f, 4, "null", 0)
    else:
        raise UndecodableFrame(f"undecodable link layer: link type {linktype} is not supported")


def _ethernet(f: _Frame, offset: int, path: str) -> None:
    _need(f.buf, offset + 14, "Ethernet header")
    _ethertype(f, offset + 14, _U16.unpack_from(f.buf, offset + 12)[0], path)


def _ethertype(f: _Frame, offset: int, ethertype: int, path: str) -> None:
    buf = f.buf
    while ethertype in _ETH_VLAN:  # any number of 802.1Q / 802.1ad tags
        _need(buf, offset + 4, "VLAN tag")
        ethertype = _U16.unpack_from(buf, offset + 2)[0]
        offset += 4
        path += ":vlan"
    if ethertype <= 1500:  # 802.3 length: only LLC/SNAP carries an EtherType
        _need(buf, offset + 8, "LLC/SNAP header")
        if buf[offset : offset + 3] != b"\xaa\xaa\x03":
            return
        ethertype = _U16.unpack_from(buf, offset + 6)[0]
        offset += 8
        path += ":snap"
    if ethertype in (_ETH_IPV4, _ETH_IPV6):
        _ip(f, offset, path, 0)
    elif ethertype in _ETH_MPLS:
        _mpls(f, offset, path)


def _mpls(f: _Frame, offset: int, path: str) -> None:
    buf = f.buf
    while True:  # RFC 3032 label stack entries until bottom of stack
        _need(buf, offset + 4, "MPLS label stack")
        bottom = buf[offset + 2] & 0x01
        offset += 4
        if bottom:
            break
    if offset < len(buf) and buf[offset] >> 4 in (4, 6):  # IP by version nibble (no pseudowires)
        _ip(f, offset, path + ":mpls", 0)


def _ip(f: _Frame, offset: int, path: str, depth: int) -> None:
    if depth > _MAX_NESTING:
        raise UndecodableFrame("undecodable link layer: too many nested IP headers")
    buf = f.buf
    _need(buf, offset + 1, "IP header")
    version = buf[offset] >> 4
    if version == 4:
        _ipv4(f, offset, path + ":ip", depth)
    elif version == 6:
        _ipv6(f, offset, path + ":ip6", depth)
    else:
        raise UndecodableFrame(f"undecodable link layer: IP version {version}")


def _ipv4(f: _Frame, offset: int, path: str, depth: int) -> None:
    buf = f.buf
    _need(buf, offset + 20, "IPv4 header")
    header_length = (buf[offset] & 0x0F) * 4
    if header_length < 20:
        raise UndecodableFrame(f"undecodable link layer: IPv4 header length {header_length}")
    _need(buf, offset + header_length, "IPv4 options")
    total_length = _U16.unpack_from(buf, offset + 2)[0]
    fragment = _U16.unpack_from(buf, offset + 6)[0] & 0x1FFF
    ttl, protocol = buf[offset + 8], buf[offset + 9]
    if fragment:  # a later fragment: no header of the inner protocol here
        return
    start = offset + header_length
    end = offset + total_length if total_length else len(buf)  # 0: TCP segmentation offload
    if end < start:
        raise UndecodableFrame(f"undecodable link layer: IPv4 total length {total_length} < header {header_length}")
    ip = (4, _v4(buf, offset + 12), _v4(buf, offset + 16), ttl, _ipv4_router_alert(buf, offset + 20, start))
    _payload(f, protocol, start, end, path, ip, depth)


def _v4(buf: bytes, at: int) -> str:
    return f"{buf[at]}.{buf[at + 1]}.{buf[at + 2]}.{buf[at + 3]}"


def _ipv4_router_alert(buf: bytes, at: int, end: int) -> bool:
    while at < end:
        kind = buf[at]
        if kind == 0:  # end of options
            return False
        if kind == 1:  # no-operation
            at += 1
            continue
        if kind == _IPOPT_ROUTER_ALERT:
            return True
        if at + 1 >= end or buf[at + 1] < 2:
            return False  # malformed option list: stop looking
        at += buf[at + 1]
    return False


def _ipv6(f: _Frame, offset: int, path: str, depth: int) -> None:
    buf = f.buf
    _need(buf, offset + 40, "IPv6 header")
    payload_length = _U16.unpack_from(buf, offset + 4)[0]
    next_header, hop_limit = buf[offset + 6], buf[offset + 7]
    start = offset + 40
    end = start + payload_length if payload_length else len(buf)  # 0: jumbogram or offload
    router_alert = False
    while next_header in _IPV6_EXTENSIONS or next_header in (_IPV6_FRAGMENT, _IPV6_AH):
        _need(buf, start + 8, "IPv6 extension header")
        if next_header == _IPV6_FRAGMENT:
            if _U16.unpack_from(buf, start + 2)[0] & 0xFFF8:  # not the first fragment
                return
            size = 8
        elif next_header == _IPV6_AH:
            size = (buf[start + 1] + 2) * 4
        else:
            size = (buf[start + 1] + 1) * 8
        _need(buf, start + size, "IPv6 extension header")
        if next_header == 0:
            router_alert = router_alert or _ipv6_router_alert(buf, start + 2, start + size)
        next_header = buf[start]
        start += size
    if end < start:
        raise UndecodableFrame("undecodable link layer: IPv6 payload length shorter than its extension headers")
    src = _v6(buf, offset + 8)
    dst = _v6(buf, offset + 24)
    _payload(f, next_header, start, end, path, (6, src, dst, hop_limit, router_alert), depth)


def _v6(buf: bytes, at: int) -> str:
    return str(IPv6Address(buf[at : at + 16]))


def _ipv6_router_alert(buf: bytes, at: int, end: int) -> bool:
    """Hop-by-hop TLV options (RFC 8200 section 4.2); Router Alert is type 5 (RFC 2711)."""
    while at < end:
        kind = buf[at]
        if kind == 0:  # Pad1
            at += 1
            continue
        if kind == _IP6OPT_ROUTER_ALERT:
            return True
        if at + 1 >= end:
            return False
        at += 2 + buf[at + 1]
    return False


def _payload(f: _Frame, protocol: int, start: int, end: int, path: str, ip: tuple, depth: int) -> None:
    buf = f.buf
    if protocol in (RSVP_PROTO, RSVP_E2E_IGNORE_PROTO):
        _rsvp(f, start, end, path, ip, protocol)
    elif protocol == 17:  # UDP
        if start + 8 > len(buf):
            return
        src_port, dst_port, udp_length = struct.unpack_from(">HHH", buf, start)
        if src_port in RSVP_UDP_PORTS or dst_port in RSVP_UDP_PORTS:
            udp_end = start + udp_length if udp_length >= 8 else end
            _rsvp(f, start + 8, min(udp_end, end), path + ":udp", ip, protocol)
    elif protocol in (4, 41) and start < len(buf):  # IP in IP
        _ip(f, start, path, depth + 1)


def _rsvp(f: _Frame, start: int, end: int, path: str, ip: tuple, protocol: int) -> None:
    """Slice the message to min(RSVP Length, bytes available) (rsvp-wire.md section 2)."""
    available = max(0, min(end, len(f.buf)) - start)
    declared = _RSVP_LENGTH.unpack_from(f.buf, start + 6)[0] if available >= 8 else None
    wanted = 8 if declared is None else declared  # without a header, at least the header is missing
    version, src, dst, ttl, router_alert = ip
    f.out.append(
        RsvpPacket(
            f.file, f.frame, f.time, path, start, version, src, dst, ttl, protocol, router_alert,
            f.buf[start : start + min(wanted, available)],
            declared,
            trailing=max(0, available - wanted),
            missing=max(0, wanted - available),
        )
    )
