"""The raw transport's IP-level encoding and decoding (no sockets): Router Alert, TTL, PKTINFO."""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv4Address

import pytest

from rsvp.daemon.transport import (
    IP_PKTINFO,
    IP_RETOPTS,
    IP_TTL,
    ROUTER_ALERT_OPTION,
    Dropped,
    has_router_alert,
    parse_datagram,
    send_ancillary,
)

PAYLOAD = bytes.fromhex("10010000ff000008")  # an RSVP common header, nothing else


def ip_packet(options: bytes = b"", ttl: int = 64, protocol: int = 46, payload: bytes = PAYLOAD) -> bytes:
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 0, 0, ttl, protocol, 0,
                         IPv4Address("10.0.1.1").packed, IPv4Address("10.0.2.2").packed)
    return header + options + payload


def pktinfo(ifindex: int) -> tuple[int, int, bytes]:
    return socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=I4s4s", ifindex, bytes(4), bytes(4))


def names(index: int) -> str | None:
    return {7: "to-A"}.get(index)


def test_router_alert_option_is_rfc_2113() -> None:
    assert ROUTER_ALERT_OPTION == b"\x94\x04\x00\x00"  # copied flag, option 20, length 4, value 0


def test_send_ancillary() -> None:
    cmsgs = send_ancillary(7, IPv4Address("10.0.1.1"), 255, router_alert=True)
    by_type = {kind: data for level, kind, data in cmsgs if level == socket.IPPROTO_IP}
    assert struct.unpack("=I4s4s", by_type[IP_PKTINFO]) == (7, IPv4Address("10.0.1.1").packed, bytes(4))
    assert struct.unpack("=i", by_type[IP_TTL]) == (255,)
    assert by_type[IP_RETOPTS] == ROUTER_ALERT_OPTION
    assert IP_RETOPTS not in {kind for _, kind, _ in send_ancillary(7, IPv4Address("10.0.1.1"), 1, False)}


@pytest.mark.parametrize(("options", "expected"), [
    (b"", False),
    (ROUTER_ALERT_OPTION, True),
    (b"\x01\x01\x01\x01" + ROUTER_ALERT_OPTION, True),  # NOPs first
    (b"\x00\x00\x00\x00" + ROUTER_ALERT_OPTION, False),  # end of list first
    (b"\x07\x04\x04\x00" + ROUTER_ALERT_OPTION, True),  # another 4-byte option (record route) first
    (b"\x07\x00\x00\x00", False),  # a length below 2 stops the walk
])
def test_has_router_alert(options: bytes, expected: bool) -> None:
    assert has_router_alert(options) is expected


def test_parse_datagram_strips_the_header_and_reads_ancillary_data() -> None:
    ttl = (socket.IPPROTO_IP, IP_TTL, struct.pack("=i", 61))
    datagram = parse_datagram(ip_packet(ROUTER_ALERT_OPTION, ttl=64), [pktinfo(7), ttl], names)
    assert datagram.data == PAYLOAD
    assert (datagram.interface, datagram.source, datagram.destination) == \
        ("to-A", IPv4Address("10.0.1.1"), IPv4Address("10.0.2.2"))
    assert datagram.ttl == 61 and datagram.router_alert
    plain = parse_datagram(ip_packet(ttl=9), [pktinfo(7)], names)
    assert plain.ttl == 9 and not plain.router_alert and plain.data == PAYLOAD


@pytest.mark.parametrize(("packet", "ancillary", "reason"), [
    (ip_packet()[:19], [pktinfo(7)], "not an IPv4 packet"),
    (b"\x60" + ip_packet()[1:], [pktinfo(7)], "not an IPv4 packet"),
    (b"\x44" + ip_packet()[1:], [pktinfo(7)], "bad IPv4 header length"),
    (b"\x4f" + ip_packet()[1:], [pktinfo(7)], "bad IPv4 header length"),
    (ip_packet(protocol=17), [pktinfo(7)], "not IP protocol 46"),
    (ip_packet(), [pktinfo(3)], "arrived on a non-RSVP interface"),
    (ip_packet(), [], "arrived on a non-RSVP interface"),
])
def test_parse_datagram_drops(packet: bytes, ancillary: list[tuple[int, int, bytes]], reason: str) -> None:
    with pytest.raises(Dropped) as caught:
        parse_datagram(packet, ancillary, names)
    assert caught.value.reason == reason
