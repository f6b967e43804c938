"""Raw IPv4 transport for RSVP (IP protocol 46): the daemon's only network I/O.

Sending (RFC 2205 section 3.1.3, RFC 2113): one raw socket sends every
message with ``sendmsg``; per-packet ancillary data chooses the outgoing
interface and source address (``IP_PKTINFO``), the IP TTL (``IP_TTL``, equal
to the message's Send_TTL, RFC 2205 section 3.1.1) and, for Path, PathTear and
ResvConf, the IP Router Alert option (``IP_RETOPTS``).  The socket never sets
``IP_HDRINCL``: with it the kernel would ignore the options and TTL asked for.

Receiving: the same socket has ``IP_ROUTER_ALERT`` so a transit router
intercepts Router-Alert datagrams addressed beyond it (they are consumed, not
forwarded, and only when ``net.ipv4.ip_forward`` is 1); ``IP_PKTINFO`` gives
the incoming interface and ``IP_RECVTTL`` the received IP TTL, which the engine
compares with Send_TTL to spot non-RSVP hops (RFC 2205 section 3.8).  A raw
IPv4 socket delivers the IP header; :func:`parse_datagram` strips it.
Python 3.11's ``socket`` lacks the option numbers, hence the constants.

Cost per message (it is on every hop's critical path, ``benchmarks/bench_testbed``):
the socket is used directly, non-blocking, rather than through trio's socket
wrapper (which yields to the scheduler around every call): the daemon's engine
task reads datagrams with :meth:`RawTransport.receive_nowait` until none is left
and only then waits for the socket to become readable; a send is one
``sendmsg`` whose control messages are built once per (interface, TTL, Router
Alert) and whose TTL is the Send_TTL byte of the common header (nothing is
decoded).  The kernel's receive buffer is the queue in front of the engine: it
is enlarged (``SO_RCVBUFFORCE``, 4 MB) so a burst of setups waits there, and
``SO_RXQ_OVFL`` reports what still overflowed (counted as a drop).
``SO_TIMESTAMPNS`` gives each datagram the kernel's receive time, from which
the daemon measures how long it held each message (:mod:`rsvp.daemon.latency`).
"""

from __future__ import annotations

import dataclasses
import socket
import struct
from collections import Counter
from collections.abc import Callable
from ipaddress import IPv4Address

import trio

from rsvp.engine.actions import Send

IPPROTO_RSVP = 46
IP_TTL = 2
IP_RETOPTS = 7
IP_ROUTER_ALERT = 5
IP_PKTINFO = 8
IP_RECVTTL = 12
SO_RCVBUFFORCE = 33
SO_RXQ_OVFL = 40
SO_TIMESTAMPNS = 35  # SO_TIMESTAMPNS_OLD, also its cmsg type: struct timespec, CLOCK_REALTIME
RECEIVE_BUFFER_BYTES = 4 << 20
ROUTER_ALERT_OPTION = bytes((0x94, 0x04, 0x00, 0x00))  # RFC 2113: copied, class 0, number 20, length 4, value 0
_PKTINFO = struct.Struct("=I4s4s")  # struct in_pktinfo: ifindex, spec_dst, addr
_TTL = struct.Struct("=i")
RECV_BUFFER = 65535
_OVERFLOWS = struct.Struct("=I")
_TIMESPEC = struct.Struct("@qq")
TIMESTAMP_BUFFER = socket.CMSG_SPACE(_TIMESPEC.size)
ANCILLARY_BUFFER = (socket.CMSG_SPACE(_PKTINFO.size) + socket.CMSG_SPACE(_TTL.size) + socket.CMSG_SPACE(_OVERFLOWS.size)
                    + TIMESTAMP_BUFFER)
OVERFLOW_DROPS = "drop: socket receive buffer full"
UNUSABLE_BATCH = 64


@dataclasses.dataclass(frozen=True, slots=True)
class Datagram:
    """One received RSVP datagram: the IP payload and what the IP layer said about it."""

    data: bytes
    interface: str
    source: IPv4Address
    destination: IPv4Address
    ttl: int | None
    router_alert: bool
    received_ns: int | None = None  # the kernel's receive time (CLOCK_REALTIME), when it gave one


class Dropped(Exception):
    """A received datagram was not usable; ``reason`` is the drop counter's name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def send_ancillary(ifindex: int, source: IPv4Address, ttl: int, router_alert: bool) -> list[tuple[int, int, bytes]]:
    """The ``sendmsg`` control messages: interface and source, TTL, and the Router Alert option."""
    cmsgs = [
        (socket.IPPROTO_IP, IP_PKTINFO, _PKTINFO.pack(ifindex, source.packed, bytes(4))),
        (socket.IPPROTO_IP, IP_TTL, _TTL.pack(ttl)),
    ]
    if router_alert:
        cmsgs.append((socket.IPPROTO_IP, IP_RETOPTS, ROUTER_ALERT_OPTION))
    return cmsgs


def has_router_alert(options: bytes) -> bool:
    """Whether IPv4 header options carry Router Alert (RFC 791 option walk, RFC 2113)."""
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == 0:  # end of option list
            return False
        if kind == 1:  # no operation
            i += 1
            continue
        if i + 1 >= len(options) or options[i + 1] < 2:
            return False
        if kind == ROUTER_ALERT_OPTION[0]:
            return True
        i += options[i + 1]
    return False


def receive_time(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    """The kernel's receive time in a datagram's control messages (``SO_TIMESTAMPNS``: CLOCK_REALTIME,
    nanoseconds), None if there is none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return seconds * 1_000_000_000 + nanoseconds
    return None


def parse_datagram(packet: bytes, ancillary: list[tuple[int, int, bytes]],
                   interface_name: Callable[[int], str | None]) -> Datagram:
    """An IPv4 packet from the raw socket, with its control messages -> :class:`Datagram`.

    Raises :class:`Dropped` for a packet that is not a whole IPv4 RSVP datagram
    or arrived on an interface ``interface_name`` does not know.
    """
    if len(packet) < 20 or packet[0] >> 4 != 4:
        raise Dropped("not an IPv4 packet")
    header_length = (packet[0] & 0x0F) * 4
    if header_length < 20 or len(packet) < header_length:
        raise Dropped("bad IPv4 header length")
    if packet[9] != IPPROTO_RSVP:
        raise Dropped("not IP protocol 46")
    ttl, ifindex = packet[8], None
    for level, kind, data in ancillary:
        if level != socket.IPPROTO_IP:
            continue
        if kind == IP_PKTINFO and len(data) >= _PKTINFO.size:
            ifindex = _PKTINFO.unpack_from(data)[0]
        elif kind == IP_TTL and len(data) >= _TTL.size:
            ttl = _TTL.unpack_from(data)[0]
    name = interface_name(ifindex) if ifindex is not None else None
    if name is None:
        raise Dropped("arrived on a non-RSVP interface")
    return Datagram(packet[header_length:], name, IPv4Address(packet[12:16]), IPv4Address(packet[16:20]), ttl,
                    has_router_alert(packet[20:header_length]), receive_time(ancillary))


def open_socket() -> socket.socket:
    """The raw protocol-46 socket with Router Alert interception, PKTINFO, RECVTTL, overflow counts, receive
    timestamps and a large receive buffer (needs root)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_RSVP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_ROUTER_ALERT, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:  # beyond net.core.rmem_max (root); else as much as rmem_max allows
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class RawTransport:
    """Sends the engine's :class:`Send` actions and receives datagrams on the RSVP interfaces.

    ``interfaces`` maps each RSVP interface name to (ifindex, address).
    ``counters`` counts sent/received/dropped datagrams (drops by reason).
    """

    def __init__(self, sock: socket.socket, interfaces: dict[str, tuple[int, IPv4Address]]) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.interfaces = interfaces
        self._names = {index: name for name, (index, _) in interfaces.items()}
        self._ancillary: dict[tuple[str, int, bool], list[tuple[int, int, bytes]]] = {}
        self._addresses: dict[IPv4Address, tuple[str, int]] = {}
        self.counters: Counter[str] = Counter()

    def send_nowait(self, action: Send) -> bool:
        """Hand ``action`` to the kernel; False if the socket's send buffer is full (try again when writable).
        A failure (unreachable neighbour, interface down) is counted, not raised: soft state will retry."""
        key = (action.interface, action.data[4], action.router_alert)  # data[4]: the common header's Send_TTL
        cmsgs = self._ancillary.get(key)
        if cmsgs is None:
            index, address = self.interfaces[action.interface]
            cmsgs = self._ancillary[key] = send_ancillary(index, address, key[1], action.router_alert)
        destination = self._addresses.get(action.destination)
        if destination is None:
            if len(self._addresses) > 4096:
                self._addresses.clear()
            destination = self._addresses[action.destination] = (str(action.destination), 0)
        try:
            self.sock.sendmsg([action.data], cmsgs, 0, destination)
        except BlockingIOError:
            return False
        except OSError as exc:
            self.counters[f"send failed: {exc.strerror or exc}"] += 1
            return True
        self.counters["sent"] += 1
        return True

    async def send(self, action: Send) -> None:
        """:meth:`send_nowait`, waiting for room if the send buffer is full (it does not yield otherwise)."""
        while not self.send_nowait(action):
            await trio.lowlevel.wait_writable(self.sock)

    def receive_nowait(self) -> Datagram | None:
        """The next usable datagram already received, or None; unusable ones are counted and skipped
        (None after ``UNUSABLE_BATCH`` of them, so that a flood of junk cannot hold the caller)."""
        for _ in range(UNUSABLE_BATCH):
            try:
                packet, ancillary, _, _ = self.sock.recvmsg(RECV_BUFFER, ANCILLARY_BUFFER)
            except BlockingIOError:
                return None
            except OSError as exc:  # e.g. a pending ICMP error reported on the socket
                self.counters[f"receive failed: {exc.strerror or exc}"] += 1
                continue
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(data) >= _OVERFLOWS.size:
                    self.counters[OVERFLOW_DROPS] = _OVERFLOWS.unpack_from(data)[0]  # since the socket opened
            try:
                datagram = parse_datagram(packet, ancillary, self._names.get)
            except Dropped as drop:
                self.counters[f"drop: {drop.reason}"] += 1
                continue
            self.counters["received"] += 1
            return datagram
        return None

    async def wait_readable(self) -> None:
        await trio.lowlevel.wait_readable(self.sock)

    def close(self) -> None:
        self.sock.close()
