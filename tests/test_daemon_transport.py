"""The raw transport's IP-level encoding and decoding: Router Alert, TTL, PKTINFO (no sockets); and, as root,
the received IP TTL over a real raw socket."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import time
from ipaddress import IPv4Address

import pytest
from pyroute2 import netns

from rsvp.daemon.transport import (
    IP_PKTINFO,
    IP_RETOPTS,
    IP_TTL,
    IPPROTO_RSVP,
    ROUTER_ALERT_OPTION,
    Datagram,
    Dropped,
    RawTransport,
    has_router_alert,
    open_socket,
    parse_datagram,
    send_ancillary,
)
from rsvp.engine.actions import Send

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


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (raw sockets in a network namespace of its own)")
def test_raw_transport_reports_the_received_ip_ttl() -> None:
    """Over a real raw socket (loopback of a fresh namespace): the TTL the engine is handed is the IP TTL
    the datagram arrived with, Send_TTL (255) when it came straight from an RSVP hop, less when routers
    in between did not intercept it (RFC 2205 section 3.8: here a plain raw socket sends with TTL 252)."""
    name = f"rsvpttl{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        netns.pushns(name)
        try:
            transport = RawTransport(open_socket(), {"lo": (1, IPv4Address("127.0.0.1"))})
            try:
                assert transport.send_nowait(Send(PAYLOAD, "lo", IPv4Address("127.0.0.1"), router_alert=True))
                direct = receive(transport)
                assert (direct.data, direct.interface, direct.ttl, direct.router_alert) == (PAYLOAD, "lo", 255, True)
                with socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_RSVP) as plain:
                    plain.setsockopt(socket.IPPROTO_IP, IP_TTL, 252)
                    plain.sendto(PAYLOAD, ("127.0.0.1", 0))
                across = receive(transport)
                assert (across.data, across.ttl, across.router_alert) == (PAYLOAD, 252, False)
                assert across.data[4] == 255  # the Send_TTL it was sent with
                assert transport.counters["received"] == 2 and transport.counters["sent"] == 1
            finally:
                transport.close()
        finally:
            netns.popns()
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def receive(transport: RawTransport) -> Datagram:
    deadline = time.monotonic() + 2.0
    while (datagram := transport.receive_nowait()) is None:
        assert time.monotonic() < deadline, "nothing received"
        time.sleep(0.01)
    return datagram
