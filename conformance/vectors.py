"""Hand-built RFC vectors: what no public capture covers (../shared/captures/README.md section 3).

Every message below is assembled field by field from the RFC diagrams with
the tiny helpers of this module (``u8``/``u16``/``ip4``..., :func:`obj`,
:func:`msg`), not by the codec's encoder, so the codec's decoder and encoder
are checked against an independent rendering of the RFC layouts; tshark then
checks our reading of the same bytes.  Object and message lengths and the
RFC 1071 checksum are computed here (the checksum with
:func:`rsvp.wire.checksum.internet_checksum`, which tshark verifies
independently).

Frames are Ethernet + IPv4 (or IPv6) with the IP TTL equal to Send_TTL and a
Router Alert option on Path, PathTear and ResvConf (RFC 2205 section 3.1.1
and 3.9; IPv6 hop-by-hop Router Alert, RFC 2711).  Output is deterministic, so
``python -m conformance build-vectors`` reproduces the committed files byte
for byte.  To add a vector, append a :class:`Capture` to :data:`CAPTURES`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import struct
import sys
from ipaddress import IPv4Address, IPv6Address

import dpkt

from rsvp.wire.checksum import internet_checksum

# --- field helpers (big-endian, as every RSVP field) ---------------------------------------


def u8(value: int) -> bytes:
    return struct.pack(">B", value)


def u16(value: int) -> bytes:
    return struct.pack(">H", value)


def u24(value: int) -> bytes:
    return value.to_bytes(3, "big")


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def u48(value: int) -> bytes:
    return value.to_bytes(6, "big")


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def f32(value: float) -> bytes:
    return struct.pack(">f", value)


def ip4(text: str) -> bytes:
    return IPv4Address(text).packed


def ip6(text: str) -> bytes:
    return IPv6Address(text).packed


def padded(data: bytes) -> bytes:
    """Zero-pad to a 32-bit boundary."""
    return data + bytes(-len(data) % 4)


def obj(class_num: int, c_type: int, *fields: bytes) -> bytes:
    """Object header Length(16) Class-Num(8) C-Type(8), Length counting the header (RFC 2205 3.1.2)."""
    body = b"".join(fields)
    assert len(body) % 4 == 0, f"object {class_num}/{c_type} body is {len(body)} bytes"
    return u16(4 + len(body)) + u8(class_num) + u8(c_type) + body


PATH, RESV, PATH_ERR, RESV_ERR, PATH_TEAR, RESV_TEAR, RESV_CONF = 1, 2, 3, 4, 5, 6, 7
BUNDLE, ACK, SREFRESH, HELLO, NOTIFY, INTEGRITY_CHALLENGE, INTEGRITY_RESPONSE = 12, 13, 15, 20, 21, 25, 26
ROUTER_ALERT_TYPES = frozenset({PATH, PATH_TEAR, RESV_CONF})  # RFC 2205 3.1.1, 3.9


def msg(msg_type: int, *objects: bytes, send_ttl: int = 255, flags: int = 0, checksum: bool = True) -> bytes:
    """Common header Vers(4)=1 Flags(4) Type(8) Checksum(16) Send_TTL(8) Reserved(8) Length(16) (RFC 2205 3.1.1)."""
    body = b"".join(objects)
    head = u8(0x10 | flags) + u8(msg_type) + u16(0) + u8(send_ttl) + u8(0) + u16(8 + len(body))
    data = head + body
    return with_checksum(data) if checksum else data


def with_checksum(data: bytes) -> bytes:
    return data[:2] + u16(internet_checksum(data[:2] + b"\x00\x00" + data[4:])) + data[4:]


# --- objects (RFC 2205 appendix A unless noted) --------------------------------------------

UDP, TCP = 17, 6


def session4(dst: str, proto: int = UDP, flags: int = 0, port: int = 0) -> bytes:
    return obj(1, 1, ip4(dst), u8(proto), u8(flags), u16(port))


def session6(dst: str, proto: int = UDP, flags: int = 0, port: int = 0) -> bytes:
    return obj(1, 2, ip6(dst), u8(proto), u8(flags), u16(port))


def lsp_session4(end: str, tunnel: int, extended: str) -> bytes:  # RFC 3209 4.6.1.1
    return obj(1, 7, ip4(end), u16(0), u16(tunnel), ip4(extended))


def lsp_session6(end: str, tunnel: int, extended: str) -> bytes:  # RFC 3209 4.6.1.2
    return obj(1, 8, ip6(end), u16(0), u16(tunnel), ip6(extended))


def hop4(address: str, lih: int = 0) -> bytes:
    return obj(3, 1, ip4(address), u32(lih))


def hop6(address: str, lih: int = 0) -> bytes:
    return obj(3, 2, ip6(address), u32(lih))


def if_index_tlv(address: str, index: int) -> bytes:  # RFC 3471 9.1.1, type 3 IF_INDEX
    return u16(3) + u16(12) + ip4(address) + u32(index)


def time_values(ms: int = 30000) -> bytes:
    return obj(5, 1, u32(ms))


def error4(node: str, code: int, value: int, flags: int = 0) -> bytes:
    return obj(6, 1, ip4(node), u8(flags), u8(code), u16(value))


def error6(node: str, code: int, value: int, flags: int = 0) -> bytes:
    return obj(6, 2, ip6(node), u8(flags), u8(code), u16(value))


def style(option_vector: int) -> bytes:
    return obj(8, 1, u8(0), u24(option_vector))


WF, FF, SE = 0x11, 0x0A, 0x12


def token_bucket(r: float, b: float, p: float, m: int, big_m: int) -> bytes:
    """Parameter 127 header (id, flags, 5 words) + r b p m M (RFC 2210 3.1)."""
    return u8(127) + u8(0) + u16(5) + f32(r) + f32(b) + f32(p) + u32(m) + u32(big_m)


def tspec(r: float, b: float, p: float, m: int, big_m: int) -> bytes:  # RFC 2210 3.1: 7 words, service 1
    return obj(12, 2, u16(0), u16(7), u8(1), u8(0), u16(6), token_bucket(r, b, p, m, big_m))


def flowspec_cl(r: float, b: float, p: float, m: int, big_m: int) -> bytes:  # RFC 2210 3.2: service 5
    return obj(9, 2, u16(0), u16(7), u8(5), u8(0), u16(6), token_bucket(r, b, p, m, big_m))


def flowspec_gs(r: float, b: float, p: float, m: int, big_m: int, rate: float, slack_us: int) -> bytes:
    """Guaranteed: 10 words, service 2 of 9 words, token bucket then RSpec 130 (R, S) (RFC 2210 3.2)."""
    rspec = u8(130) + u8(0) + u16(2) + f32(rate) + u32(slack_us)
    return obj(9, 2, u16(0), u16(10), u8(2), u8(0), u16(9), token_bucket(r, b, p, m, big_m), rspec)


def filter4(source: str, port: int = 0, class_num: int = 10) -> bytes:
    return obj(class_num, 1, ip4(source), u16(0), u16(port))


def filter6(source: str, port: int = 0, class_num: int = 10) -> bytes:
    return obj(class_num, 2, ip6(source), u16(0), u16(port))


def filter6_flow_label(source: str, flow_label: int) -> bytes:
    return obj(10, 3, ip6(source), u8(0), u24(flow_label))


def lsp_filter4(sender: str, lsp_id: int, class_num: int = 10) -> bytes:  # RFC 3209 4.6.2.1
    return obj(class_num, 7, ip4(sender), u16(0), u16(lsp_id))


def lsp_filter6(sender: str, lsp_id: int, class_num: int = 10) -> bytes:  # RFC 3209 4.6.2.2
    return obj(class_num, 8, ip6(sender), u16(0), u16(lsp_id))


SENDER_TEMPLATE = 11


def label(value: int, class_num: int = 16) -> bytes:  # RFC 3209 4.1.1
    return obj(class_num, 1, u32(value))


def generalized_label(word: int, class_num: int = 16) -> bytes:  # RFC 3473 2.3
    return obj(class_num, 2, u32(word))


def label_request(l3pid: int = 0x0800) -> bytes:  # RFC 3209 4.2.1
    return obj(19, 1, u16(0), u16(l3pid))


def session_attribute(setup: int, hold: int, flags: int, name: str) -> bytes:  # RFC 3209 4.7.1
    raw = name.encode("ascii")
    return obj(207, 7, u8(setup), u8(hold), u8(flags), u8(len(raw)), padded(raw))


def session_attribute_ra(exclude_any: int, include_any: int, include_all: int, setup: int, hold: int,
                         flags: int, name: str) -> bytes:  # RFC 3209 4.7.2
    raw = name.encode("ascii")
    return obj(207, 1, u32(exclude_any), u32(include_any), u32(include_all), u8(setup), u8(hold), u8(flags),
               u8(len(raw)), padded(raw))


# ERO sub-objects: L(1) Type(7) Length(8) (RFC 3209 4.3.3); RRO sub-objects: Type(8) Length(8) (4.4.1).
LOOSE = 0x80


def ero_ipv4(address: str, prefix: int = 32, loose: bool = False) -> bytes:
    return u8((LOOSE if loose else 0) | 1) + u8(8) + ip4(address) + u8(prefix) + u8(0)


def ero_ipv6(address: str, prefix: int = 128, loose: bool = False) -> bytes:
    return u8((LOOSE if loose else 0) | 2) + u8(20) + ip6(address) + u8(prefix) + u8(0)


def ero_label(value: int, c_type: int = 1, upstream: bool = False) -> bytes:  # RFC 3473 5.1.1
    return u8(3) + u8(8) + u8(0x80 if upstream else 0) + u8(c_type) + u32(value)


def ero_unnumbered(router_id: str, interface_id: int, loose: bool = False) -> bytes:  # RFC 3477 4
    return u8((LOOSE if loose else 0) | 4) + u8(12) + u16(0) + ip4(router_id) + u32(interface_id)


def ero_as(asn: int, loose: bool = False) -> bytes:  # RFC 3209 4.3.3.4
    return u8((LOOSE if loose else 0) | 32) + u8(4) + u16(asn)


def rro_ipv4(address: str, flags: int = 0) -> bytes:
    return u8(1) + u8(8) + ip4(address) + u8(32) + u8(flags)


def rro_ipv6(address: str, flags: int = 0) -> bytes:
    return u8(2) + u8(20) + ip6(address) + u8(128) + u8(flags)


def rro_label(value: int, flags: int = 0, c_type: int = 1) -> bytes:  # RFC 3209 4.4.1.3
    return u8(3) + u8(8) + u8(flags) + u8(c_type) + u32(value)


def rro_unnumbered(router_id: str, interface_id: int, flags: int = 0) -> bytes:  # RFC 3477 4
    return u8(4) + u8(12) + u8(flags) + u8(0) + ip4(router_id) + u32(interface_id)


def ero(*subobjects: bytes) -> bytes:
    return obj(20, 1, *subobjects)


def rro(*subobjects: bytes) -> bytes:
    return obj(21, 1, *subobjects)


def message_id(epoch: int, identifier: int, flags: int = 0) -> bytes:  # RFC 2961 4.1
    return obj(23, 1, u8(flags), u24(epoch), u32(identifier))


def message_id_ack(epoch: int, identifier: int, nack: bool = False) -> bytes:  # RFC 2961 4.2
    return obj(24, 2 if nack else 1, u8(0), u24(epoch), u32(identifier))


ACK_DESIRED = 0x01
REFRESH_REDUCTION_CAPABLE = 0x01


def integrity(key_id: int, sequence: int, digest: bytes, flags: int = 0) -> bytes:  # RFC 2747 3.1
    return obj(4, 1, u8(flags), u8(0), u48(key_id), u64(sequence), digest)


def challenge(key_id: int, cookie: int) -> bytes:  # RFC 2747 3.2
    return obj(64, 1, u16(0), u48(key_id), u64(cookie))


# --- frames ---------------------------------------------------------------------------------

_MAC_A, _MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


@dataclasses.dataclass(frozen=True)
class Frame:
    """One RSVP message on the wire.  ``transport``: "ip" (protocol 46), "e2e" (134) or "udp" (port 1698)."""

    message: bytes
    src: str
    dst: str
    transport: str = "ip"
    router_alert: bool | None = None  # None: as RFC 2205 says for the message type

    def bytes(self) -> bytes:
        message = self.message
        ttl = message[4]
        alert = self.router_alert if self.router_alert is not None else message[1] in ROUTER_ALERT_TYPES
        if self.transport == "udp":  # RFC 2205 appendix C: the message is the UDP payload
            payload, protocol = u16(1698) + u16(1698) + u16(8 + len(message)) + u16(0) + message, UDP
        else:
            payload, protocol = message, 134 if self.transport == "e2e" else 46
        if ":" in self.src:
            return _MAC_B + _MAC_A + u16(0x86DD) + _ipv6_packet(payload, protocol, ttl, self.src, self.dst, alert)
        return _MAC_B + _MAC_A + u16(0x0800) + _ipv4_packet(payload, protocol, ttl, self.src, self.dst, alert)


def _ipv4_packet(payload: bytes, protocol: int, ttl: int, src: str, dst: str, router_alert: bool) -> bytes:
    options = bytes.fromhex("94040000") if router_alert else b""  # RFC 2113 Router Alert, value 0
    length = 20 + len(options) + len(payload)
    head = u8(0x40 | (5 + len(options) // 4)) + u8(0) + u16(length) + u16(0) + u16(0) + u8(ttl) + u8(protocol)
    head += u16(0) + ip4(src) + ip4(dst) + options
    return head[:10] + u16(internet_checksum(head)) + head[12:] + payload


def _ipv6_packet(payload: bytes, protocol: int, hop_limit: int, src: str, dst: str, router_alert: bool) -> bytes:
    if router_alert:  # hop-by-hop header: Router Alert (type 5, value 0, RFC 2711) + PadN(0)
        payload = u8(protocol) + u8(0) + bytes.fromhex("05020000") + bytes.fromhex("0100") + payload
        protocol = 0
    return u32(0x60000000) + u16(len(payload)) + u8(protocol) + u8(hop_limit) + ip6(src) + ip6(dst) + payload


@dataclasses.dataclass(frozen=True)
class Capture:
    name: str
    covers: str
    frames: tuple[Frame, ...]


# --- the vectors ----------------------------------------------------------------------------

HEAD, MID, TAIL = "192.0.2.1", "198.51.100.2", "203.0.113.9"
HEAD6, MID6, TAIL6 = "2001:db8::1", "2001:db8:1::2", "2001:db8:9::9"
CL_BUCKET = (125000.0, 8000.0, 250000.0, 64, 1500)  # 1 Mbit/s, 8 kB burst, 2 Mbit/s peak


def _intserv() -> Capture:
    path = msg(PATH, session4(TAIL, UDP, 0, 5004), hop4(HEAD, 3), time_values(), filter4(HEAD, 5004, SENDER_TEMPLATE),
               tspec(*CL_BUCKET),
               obj(13, 2, u16(0), u16(19),  # ADSPEC (RFC 2210 3.3): overall 19 words
                   u8(1), u8(0), u16(8),  # default general parameters fragment, 8 words
                   u8(4), u8(0), u16(1), u32(2),  # IS hop count
                   u8(6), u8(0), u16(1), f32(1.25e8),  # path bandwidth estimate, bytes/s
                   u8(8), u8(0), u16(1), u32(120),  # minimum path latency, microseconds
                   u8(10), u8(0), u16(1), u32(1500),  # composed path MTU
                   u8(2), u8(0), u16(8),  # Guaranteed service fragment (RFC 2212), 8 words
                   u8(133), u8(0), u16(1), u32(64),  # Ctot
                   u8(134), u8(0), u16(1), u32(1000),  # Dtot
                   u8(135), u8(0), u16(1), u32(32),  # Csum
                   u8(136), u8(0), u16(1), u32(500),  # Dsum
                   u8(5), u8(0), u16(0)))  # Controlled-Load fragment, no overrides
    resv_gs = msg(RESV, session4(TAIL, UDP, 0, 5004), hop4(MID, 3), time_values(), style(FF),
                  flowspec_gs(*CL_BUCKET, rate=150000.0, slack_us=1000), filter4(HEAD, 5004))
    resv_wf = msg(RESV, session4(TAIL, UDP, 0, 5004), hop4(MID, 3), time_values(),
                  obj(7, 1, ip4(HEAD), ip4("192.0.2.5")),  # SCOPE: two senders (RFC 2205 A.6)
                  obj(14, 1, u16(8), u16(0), u16(8), u16(1), u32(0xA5A5A5A5)),  # POLICY_DATA, one element (RFC 2750)
                  style(WF), flowspec_cl(*CL_BUCKET))
    resv_err = msg(RESV_ERR, session4(TAIL, UDP, 0, 5004), hop4(MID, 3),
                   error4(MID, 1, 2, flags=0x01),  # Admission Control failure / bandwidth unavailable, InPlace
                   style(FF), flowspec_gs(*CL_BUCKET, rate=150000.0, slack_us=1000), filter4(HEAD, 5004))
    path_err = msg(PATH_ERR, session4(TAIL, UDP, 0, 5004), error4(MID, 2, 5),  # Policy Control failure / preempted
                   filter4(HEAD, 5004, SENDER_TEMPLATE), tspec(*CL_BUCKET))
    resv_tear = msg(RESV_TEAR, session4(TAIL, UDP, 0, 5004), hop4(MID, 3), style(WF), flowspec_cl(*CL_BUCKET))
    return Capture("rfc2205-2210-intserv.pcap",
                   "Path with a Guaranteed ADSPEC fragment; Resv FF with a Guaranteed FLOWSPEC (RSpec 130); "
                   "Resv WF with SCOPE and POLICY_DATA; ResvErr (1/2, InPlace); PathErr (2/5); ResvTear WF",
                   (Frame(path, HEAD, TAIL), Frame(resv_gs, MID, HEAD), Frame(resv_wf, MID, HEAD),
                    Frame(resv_err, MID, TAIL), Frame(path_err, MID, HEAD), Frame(resv_tear, MID, HEAD)))


def _transports() -> Capture:
    path = msg(PATH, session4(TAIL, UDP, 0, 5004), hop4(HEAD), time_values(), filter4(HEAD, 5004, SENDER_TEMPLATE),
               tspec(*CL_BUCKET))
    zero = msg(PATH, session4(TAIL, UDP, 0, 5006), hop4(HEAD), time_values(), filter4(HEAD, 5006, SENDER_TEMPLATE),
               tspec(*CL_BUCKET), checksum=False)
    return Capture("rfc2205-transports.pcap",
                   "a Path with a zero ('not transmitted') checksum; a Path in UDP to port 1698 (RFC 2205 "
                   "appendix C); a Path as IP protocol 134, RSVP-E2E-IGNORE (RFC 3175)",
                   (Frame(zero, HEAD, TAIL), Frame(path, HEAD, TAIL, "udp"), Frame(path, HEAD, TAIL, "e2e")))


def _refresh_reduction() -> Capture:
    epoch = 0x00A1B2
    session = lsp_session4(TAIL, 7, HEAD)
    path = msg(PATH, message_id(epoch, 1, ACK_DESIRED), session, hop4(HEAD), time_values(), label_request(),
               lsp_filter4(HEAD, 1, SENDER_TEMPLATE), tspec(0.0, 0.0, 0.0, 0, 1500),
               flags=REFRESH_REDUCTION_CAPABLE)
    resv = msg(RESV, message_id_ack(epoch, 1), message_id(0x00C3D4, 10, ACK_DESIRED), session, hop4(MID),
               time_values(), style(SE), flowspec_cl(0.0, 0.0, 0.0, 0, 1500), lsp_filter4(HEAD, 1), label(3),
               flags=REFRESH_REDUCTION_CAPABLE)
    ack = msg(ACK, message_id_ack(0x00C3D4, 10), message_id_ack(0x00C3D4, 11, nack=True),
              flags=REFRESH_REDUCTION_CAPABLE)
    srefresh = msg(SREFRESH, obj(25, 1, u8(0), u24(epoch), u32(1), u32(2), u32(3)),  # MESSAGE_ID_LIST
                   flags=REFRESH_REDUCTION_CAPABLE)
    src_list = msg(SREFRESH, obj(25, 2, u8(0), u24(epoch), u32(4), ip4(HEAD), u32(5), ip4("192.0.2.5")),
                   flags=REFRESH_REDUCTION_CAPABLE)  # MESSAGE_ID SRC_LIST IPv4 (RFC 2961 5.2)
    bundle = msg(BUNDLE, path, resv, flags=REFRESH_REDUCTION_CAPABLE)  # RFC 2961 3.3: complete messages
    return Capture("rfc2961-refresh-reduction.pcap",
                   "Path with MESSAGE_ID (ACK_Desired); Resv with MESSAGE_ID_ACK and MESSAGE_ID; ACK with "
                   "MESSAGE_ID_ACK and MESSAGE_ID_NACK; Srefresh with MESSAGE_ID_LIST and with SRC_LIST IPv4; "
                   "Bundle of a Path and a Resv",
                   (Frame(path, HEAD, MID), Frame(resv, MID, HEAD), Frame(ack, HEAD, MID),
                    Frame(srefresh, HEAD, MID), Frame(src_list, HEAD, MID), Frame(bundle, HEAD, MID)))


def _hello() -> Capture:
    request = msg(HELLO, obj(22, 1, u32(0x1A2B3C4D), u32(0)), send_ttl=1)  # RFC 3209 5.2: sent with TTL 1
    ack = msg(HELLO, obj(22, 2, u32(0x5E6F7081), u32(0x1A2B3C4D)), send_ttl=1)
    return Capture("rfc3209-hello.pcap", "Hello REQUEST and the neighbour's Hello ACK",
                   (Frame(request, HEAD, MID), Frame(ack, MID, HEAD)))


def _te() -> Capture:
    session = lsp_session4(TAIL, 42, HEAD)
    template = lsp_filter4(HEAD, 1, SENDER_TEMPLATE)
    bucket = (1.25e6, 1000.0, 1.25e6, 0, 1500)
    path = msg(PATH, session, hop4(HEAD, 1), time_values(),
               ero(ero_ipv4(MID), ero_ipv4("198.51.100.0", 24, loose=True), ero_as(65001, loose=True),
                   ero_unnumbered("198.51.100.7", 17), ero_ipv4(TAIL)),
               label_request(),
               session_attribute_ra(0x00000001, 0x00000006, 0, 3, 2, 0x1B, "quasar-lsp-42"),
               template, tspec(*bucket), rro(rro_ipv4(HEAD)))
    resv = msg(RESV, session, hop4(MID, 5), time_values(), style(FF), flowspec_cl(*bucket), lsp_filter4(HEAD, 1),
               label(1000),
               rro(rro_ipv4(MID, 0x01), rro_label(1001, 0x01), rro_ipv4("198.51.100.7", 0x2D),
                   rro_unnumbered("198.51.100.7", 17, 0x02), rro_label(1002), rro_ipv4(TAIL)))
    frr = msg(PATH, session, hop4(HEAD, 1), time_values(), ero(ero_ipv4(MID), ero_ipv4(TAIL)), label_request(),
              session_attribute(7, 0, 0x01 | 0x10, "frr"),
              obj(205, 1, u8(7), u8(0), u8(16), u8(0x02), f32(1.25e7), u32(0), u32(0x80000000), u32(0)),  # RFC 4090 4.1
              template, tspec(*bucket))
    detour = msg(PATH, session, hop4(MID, 2), time_values(), label_request(),
                 obj(63, 7, ip4(MID), ip4("198.51.100.3"), ip4("198.51.100.4"), ip4("198.51.100.5")),  # RFC 4090 4.2
                 template, tspec(*bucket))
    attributes = msg(PATH, session, hop4(HEAD, 1), time_values(), label_request(),
                     session_attribute(4, 4, 0x04, "attr"),
                     obj(197, 1, u16(1), u16(8), u32(0x80000000)),  # LSP_ATTRIBUTES: Attribute Flags, bit 0 (RFC 5420)
                     obj(67, 1, u16(1), u16(8), u32(0x10000000)),  # LSP_REQUIRED_ATTRIBUTES: bit 3
                     obj(232, 1,  # EXCLUDE_ROUTE (RFC 4874 3.1): L=0 must exclude, L=1 should avoid
                         u8(1), u8(8), ip4("198.51.100.20"), u8(32), u8(0),  # interface
                         u8(0x81), u8(8), ip4("198.51.100.0"), u8(24), u8(1),  # node, avoid
                         u8(32), u8(4), u16(65002),  # AS
                         u8(34), u8(8), u32(0x42), u8(0), u8(2)),  # SRLG
                     obj(199, 1, u16(1), u16(7), ip4(HEAD)),  # ASSOCIATION IPv4 (RFC 4872 16)
                     obj(66, 1, u32(1)),  # CLASSTYPE CT 1 (RFC 4124 4.1)
                     template, tspec(*bucket))
    path_err = msg(PATH_ERR, session, error4(MID, 24, 1), template, tspec(*bucket))  # Bad EXPLICIT_ROUTE
    path_tear = msg(PATH_TEAR, session, hop4(HEAD, 1), template)
    resv_tear = msg(RESV_TEAR, session, hop4(MID, 5), style(FF), lsp_filter4(HEAD, 1))
    return Capture("rfc3209-4090-te.pcap",
                   "RSVP-TE Path with ERO loose/prefix/AS/unnumbered hops and SESSION_ATTRIBUTE C-Type 1; Resv with "
                   "RRO flags (local protection available/in use, bandwidth, node, node-id) and global/local labels; "
                   "FAST_REROUTE; DETOUR; LSP_ATTRIBUTES, LSP_REQUIRED_ATTRIBUTES, EXCLUDE_ROUTE (XRO), ASSOCIATION, "
                   "CLASSTYPE; PathErr 24/1; PathTear; ResvTear",
                   (Frame(path, HEAD, TAIL), Frame(resv, MID, HEAD), Frame(frr, HEAD, TAIL), Frame(detour, MID, TAIL),
                    Frame(attributes, HEAD, TAIL), Frame(path_err, MID, HEAD), Frame(path_tear, HEAD, TAIL),
                    Frame(resv_tear, MID, HEAD)))


def _gmpls() -> Capture:
    session = lsp_session4(TAIL, 9, HEAD)
    template = lsp_filter4(HEAD, 2, SENDER_TEMPLATE)
    bucket = (0.0, 0.0, 0.0, 0, 1500)
    hop_if_id = obj(3, 3, ip4(HEAD), u32(0), if_index_tlv(HEAD, 7))  # RSVP_HOP IPv4 IF_ID (RFC 3473 8.1.1)
    path = msg(PATH, session, hop_if_id, time_values(),
               ero(ero_unnumbered(MID, 3), ero_label(0x00000102, c_type=2), ero_label(0x00000103, 2, upstream=True),
                   ero_ipv4(TAIL)),
               obj(19, 4, u8(8), u8(150), u16(0x0022)),  # Generalized LABEL_REQUEST: lambda, LSC (RFC 3473 2.1)
               session_attribute(7, 7, 0x02, "gmpls"),
               obj(195, 1, ip4(HEAD)),  # NOTIFY_REQUEST (RFC 3473 4.2.1)
               obj(196, 1, u32(0x80000002)),  # ADMIN_STATUS R, A (RFC 3473 7.1)
               obj(37, 1, u32(0x00000004)),  # PROTECTION: link flags Shared (RFC 3473 7.1)
               generalized_label(0x00000201, class_num=35),  # UPSTREAM_LABEL (RFC 3473 3.1)
               obj(36, 1, u8(0), u24(2), u32(0x102), u32(0x103), u32(0x104)),  # LABEL_SET, inclusive list (2.6)
               generalized_label(0x00000102, class_num=129),  # SUGGESTED_LABEL (RFC 3473 4.1)
               template, tspec(*bucket))
    resv = msg(RESV, session, obj(3, 3, ip4(MID), u32(0), if_index_tlv(MID, 3)), time_values(), style(FF),
               flowspec_cl(*bucket), lsp_filter4(HEAD, 2), generalized_label(0x00000102))
    notify = msg(NOTIFY, error4(MID, 25, 9), session, obj(196, 1, u32(0x00000004)), template, tspec(*bucket))
    path_err = msg(PATH_ERR, session,
                   obj(6, 3, ip4(MID), u8(0x04), u8(24), u16(6), if_index_tlv(MID, 3)),  # ERROR_SPEC IF_ID (8.2)
                   template, tspec(*bucket))
    return Capture("rfc3473-gmpls.pcap",
                   "GMPLS Path with IF_ID RSVP_HOP, ERO label and unnumbered sub-objects, Generalized LABEL_REQUEST, "
                   "NOTIFY_REQUEST, ADMIN_STATUS, PROTECTION, UPSTREAM_LABEL, LABEL_SET, SUGGESTED_LABEL; Resv with a "
                   "generalized LABEL; Notify (21); PathErr with an IF_ID ERROR_SPEC (24/6, Path_State_Removed)",
                   (Frame(path, HEAD, TAIL), Frame(resv, MID, HEAD), Frame(notify, MID, HEAD),
                    Frame(path_err, MID, HEAD)))


INTEGRITY_KEY = b"quasar-rfc2747-test-key"
"""HMAC-MD5 key of the integrity vectors (RFC 2747 section 4.1: digest over the message, checksum and digest zero)."""


def _signed(msg_type: int, key_id: int, sequence: int, *objects: bytes, flags: int = 0, checksum: bool) -> bytes:
    unsigned = msg(msg_type, integrity(key_id, sequence, bytes(16), flags), *objects, checksum=False)
    digest = hmac.new(INTEGRITY_KEY, unsigned, hashlib.md5).digest()
    data = msg(msg_type, integrity(key_id, sequence, digest, flags), *objects, checksum=False)
    return with_checksum(data) if checksum else data


def _integrity() -> Capture:
    key_id, cookie = 0x0000000000A1, 0x0123456789ABCDEF
    challenge_msg = msg(INTEGRITY_CHALLENGE, challenge(key_id, cookie))
    response = _signed(INTEGRITY_RESPONSE, key_id, 1, challenge(key_id, cookie), checksum=True)
    path = _signed(PATH, key_id, 2, session4(TAIL, UDP, 0, 5004), hop4(HEAD), time_values(),
                   filter4(HEAD, 5004, SENDER_TEMPLATE), tspec(*CL_BUCKET), flags=0x80, checksum=False)
    return Capture("rfc2747-integrity.pcap",
                   "Integrity Challenge (25) and Response (26, RFC 3097); a Path with INTEGRITY (HF flag 0x80, "
                   "HMAC-MD5 digest) and a zero checksum, as RFC 2747 allows",
                   (Frame(challenge_msg, MID, HEAD), Frame(response, HEAD, MID), Frame(path, HEAD, TAIL)))


def _ipv6() -> Capture:
    path = msg(PATH, session6(TAIL6, UDP, 0, 5004), hop6(HEAD6, 3), time_values(),
               filter6(HEAD6, 5004, SENDER_TEMPLATE), tspec(*CL_BUCKET))
    resv = msg(RESV, session6(TAIL6, UDP, 0, 5004), hop6(MID6, 3), time_values(), obj(15, 2, ip6(TAIL6)),
               style(SE), flowspec_cl(*CL_BUCKET), filter6(HEAD6, 5004), filter6_flow_label("2001:db8::5", 0x12345))
    path_err = msg(PATH_ERR, session6(TAIL6, UDP, 0, 5004), error6(MID6, 21, 2),  # Traffic Control / unsupported
                   filter6(HEAD6, 5004, SENDER_TEMPLATE), tspec(*CL_BUCKET))
    scope = msg(RESV, session6(TAIL6, UDP, 0, 5004), hop6(MID6, 3), time_values(),
                obj(7, 2, ip6(HEAD6), ip6("2001:db8::5")), style(WF), flowspec_cl(*CL_BUCKET))
    session = lsp_session6(TAIL6, 6, HEAD6)
    bucket = (1.25e6, 1000.0, 1.25e6, 0, 1500)
    te_path = msg(PATH, session, hop6(HEAD6, 1), time_values(),
                  ero(ero_ipv6(MID6), ero_ipv6("2001:db8:9::", 64, loose=True)),
                  label_request(0x86DD), session_attribute(7, 0, 0x02, "quasar-v6"),
                  lsp_filter6(HEAD6, 1, SENDER_TEMPLATE), tspec(*bucket), rro(rro_ipv6(HEAD6)))
    te_resv = msg(RESV, session, hop6(MID6, 5), time_values(), style(SE), flowspec_cl(*bucket),
                  lsp_filter6(HEAD6, 1), label(2000), rro(rro_ipv6(MID6, 0x01), rro_label(2000, 0x01)))
    detour = msg(PATH, session, hop6(MID6, 2), time_values(), label_request(0x86DD),
                 obj(63, 8, ip6(MID6), ip6("2001:db8:3::3")),  # DETOUR IPv6 (RFC 4090 4.2)
                 lsp_filter6(HEAD6, 1, SENDER_TEMPLATE), tspec(*bucket))
    return Capture("ipv6.pcap",
                   "IPv6 (hop-by-hop Router Alert on Path): Intserv Path and Resv SE (FILTER_SPEC C-Types 2 and 3, "
                   "RESV_CONFIRM IPv6), PathErr with ERROR_SPEC IPv6, Resv WF with SCOPE IPv6; LSP_TUNNEL_IPv6 Path "
                   "with IPv6 ERO prefixes and RRO, its Resv, and a DETOUR C-Type 8 Path",
                   (Frame(path, HEAD6, TAIL6), Frame(resv, MID6, HEAD6), Frame(path_err, MID6, HEAD6),
                    Frame(scope, MID6, HEAD6), Frame(te_path, HEAD6, TAIL6), Frame(te_resv, MID6, HEAD6),
                    Frame(detour, MID6, TAIL6)))


def _more_forms() -> Capture:
    session = lsp_session4(TAIL, 11, HEAD)
    template = lsp_filter4(HEAD, 3, SENDER_TEMPLATE)
    bucket = (1.25e6, 1000.0, 1.25e6, 0, 1500)
    atm = msg(PATH, session, hop4(HEAD, 1), time_values(),
              obj(19, 2, u16(0), u16(0x0800), u16(0x8000 | 1), u16(32), u16(0x0000 | 2), u16(1023)),  # RFC 3209 4.2.2
              obj(65, 1, u32(2), u16(0), u16(0x0000), u16(1), u16(0x2800)),  # DIFFSERV E-LSP: EXP 0 -> BE, 1 -> AF11 (RFC 3270 5.2)
              obj(205, 7, u8(7), u8(0), u8(8), u8(0), f32(1.25e6), u32(0x1), u32(0x2)),  # legacy FAST_REROUTE
              obj(193, 1, ip4(HEAD), u32(42)),  # LSP_TUNNEL_INTERFACE_ID (RFC 3477 3.1)
              obj(0, 9, u32(0xDEADBEEF)),  # NULL: any C-Type, ignored (RFC 2205 A.0)
              template, tspec(*bucket))
    frame_relay = msg(PATH, session, hop4(HEAD, 1), time_values(),
                      obj(19, 3, u16(0), u16(0x0800), u32(2 << 23 | 16), u32(1000)),  # RFC 3209 4.2.3, 23-bit DLCI
                      obj(65, 2, u16(0), u16(0x000A)),  # DIFFSERV L-LSP, PSC AF1x (RFC 3270 5.3)
                      obj(199, 2, u16(2), u16(8), ip6(HEAD6)),  # ASSOCIATION IPv6 (RFC 4872 16)
                      obj(195, 2, ip6(HEAD6)),  # NOTIFY_REQUEST IPv6 (RFC 3473 4.2.1)
                      label(77, class_num=34),  # RECOVERY_LABEL (RFC 3473 9.1)
                      template, tspec(*bucket))
    path_err = msg(PATH_ERR, session, error4(MID, 24, 6),
                   obj(130, 1, u8(0), u24(1), u32(16), u32(17)),  # ACCEPTABLE_LABEL_SET (RFC 3473 2.7)
                   template, tspec(*bucket))
    resv = msg(RESV, session, hop4(MID, 5), time_values(), style(FF), flowspec_cl(*bucket), lsp_filter4(HEAD, 3),
               obj(16, 3, u32(5), u32(0x100), u32(0x10F)))  # waveband LABEL (RFC 3473 2.4)
    p2mp = obj(1, 14, u32(7), u16(0), u16(12), ip6(HEAD6))  # P2MP LSP_TUNNEL_IPv6 (RFC 4875 19.1.2)
    p2mp_path = msg(PATH, p2mp,
                    obj(3, 4, ip6(HEAD6), u32(0), u16(2), u16(20), ip6(HEAD6)),  # IPv6 IF_ID HOP, IPv6 TLV
                    time_values(), label_request(0x86DD),
                    obj(11, 13, ip6(HEAD6), u16(0), u16(1), ip6(HEAD6), u16(0), u16(1)),  # RFC 4875 19.2.2
                    tspec(*bucket), obj(50, 2, ip6(TAIL6)))  # S2L_SUB_LSP IPv6 (RFC 4875 19.3.2)
    p2mp_err = msg(PATH_ERR, p2mp,
                   obj(6, 4, ip6(MID6), u8(0), u8(24), u16(5), u16(2), u16(20), ip6(MID6)),  # IPv6 IF_ID ERROR_SPEC
                   obj(11, 13, ip6(HEAD6), u16(0), u16(1), ip6(HEAD6), u16(0), u16(1)), tspec(*bucket))
    mcast = msg(SREFRESH, obj(25, 4, u8(0), u24(0x77), u32(9), ip4(HEAD), ip4("233.252.0.1")),  # RFC 2961 5.3
                flags=REFRESH_REDUCTION_CAPABLE)
    src6 = msg(SREFRESH, obj(25, 3, u8(0), u24(0x77), u32(10), ip6(HEAD6)), flags=REFRESH_REDUCTION_CAPABLE)
    return Capture("rfc-more-object-forms.pcap",
                   "LABEL_REQUEST ATM and Frame Relay ranges; DIFFSERV E-LSP and L-LSP; legacy FAST_REROUTE (C-Type 7); "
                   "LSP_TUNNEL_INTERFACE_ID; a NULL object; ASSOCIATION and NOTIFY_REQUEST IPv6; RECOVERY_LABEL; "
                   "ACCEPTABLE_LABEL_SET in a PathErr; waveband LABEL; P2MP LSP_TUNNEL_IPv6 Path with IPv6 IF_ID "
                   "HOP, P2MP SENDER_TEMPLATE IPv6 and S2L_SUB_LSP IPv6; its PathErr with an IPv6 IF_ID ERROR_SPEC; "
                   "Srefresh with MCAST_LIST IPv4 and SRC_LIST IPv6",
                   (Frame(atm, HEAD, TAIL), Frame(frame_relay, HEAD, TAIL), Frame(path_err, MID, HEAD),
                    Frame(resv, MID, HEAD), Frame(p2mp_path, HEAD6, TAIL6), Frame(p2mp_err, MID6, HEAD6),
                    Frame(mcast, HEAD, MID), Frame(src6, HEAD6, MID6)))


CAPTURES: tuple[Capture, ...] = (
    _intserv(), _transports(), _refresh_reduction(), _hello(), _te(), _gmpls(), _integrity(), _ipv6(),
    _more_forms(),
)

_EPOCH = 1767225600  # 2026-01-01T00:00:00Z: fixed timestamps keep the files reproducible


def write(capture: Capture, directory: str) -> str:
    path = os.path.join(directory, capture.name)
    with open(path, "wb") as handle:
        writer = dpkt.pcap.Writer(handle, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        for index, frame in enumerate(capture.frames):
            writer.writepkt(frame.bytes(), ts=_EPOCH + index)
    return path


def default_directory() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "captures")


def main(directory: str | None = None) -> int:
    directory = directory or default_directory()
    os.makedirs(directory, exist_ok=True)
    for capture in CAPTURES:
        path = write(capture, directory)
        print(f"{path}: {len(capture.frames)} frame(s): {capture.covers}", file=sys.stderr)
    return 0
