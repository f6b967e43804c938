"""The evaluation's traffic: a paced sender of raw UDP/IPv4 frames and a capturing sink.

A frame is Ethernet, then (for a reserved flow) one bottom-of-stack MPLS
entry carrying the flow's incoming label at the router, then IPv4/UDP whose
payload starts with a probe: magic, flow id, sequence number and the send
time in CLOCK_MONOTONIC nanoseconds.  Every network namespace of one host
reads the same CLOCK_MONOTONIC, so the sink's receive time minus the probe's
send time is the one-way latency (sender socket to sink socket).

Both ends use AF_PACKET, as the routelet forwarder does: the sender writes
whole frames addressed to the router's MAC, the sink reads every frame on its
interface (the receiving kernel drops them: MPLS is not routed there and the
best-effort destination address is not local, with forwarding off).

Run inside a namespace (the testbed does, through ``ip netns exec``)::

    python -m evaluation.traffic send DEVICE --dst-mac M --flow 3 [--label 1001] --rate-bps 2e6 \
        --size 500 --start-at T --duration 3      # prints a JSON summary of what was really sent
    python -m evaluation.traffic sink DEVICE --until T --out records.bin   # until T or end of stdin

The sink writes one record per probe, six native int64s: flow, sequence,
send_ns, receive_ns (the kernel's timestamp of the frame reaching the sink's
interface), frame length, read_ns (when the sink read it).
"""

from __future__ import annotations

import argparse
import array
import json
import select
import socket
import struct
import sys
import time

from quasar_glue.mpls import ETH_HEADER, ETH_P_IP, ETH_P_MPLS_UC, LabelEntry
from rsvp.daemon.transport import SO_TIMESTAMPNS, TIMESTAMP_BUFFER, receive_time
from rsvp.wire.checksum import internet_checksum

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6  # struct tpacket_stats {tp_packets, tp_drops}
IPPROTO_UDP = 17
IP_HEADER, UDP_HEADER = 20, 8
PROBE = struct.Struct("!IHIQ")  # magic, flow, sequence, send_ns
MAGIC = 0x51455631  # "QEV1"
RECORD_FIELDS = ("flow", "seq", "send_ns", "recv_ns", "length", "read_ns")
MAX_CATCH_UP = 64  # frames sent back to back when the sender wakes late


def min_frame(labelled: bool) -> int:
    return ETH_HEADER + (4 if labelled else 0) + IP_HEADER + UDP_HEADER + PROBE.size


def build_frame(size: int, dst_mac: str, src_mac: str, label: int | None, src_ip: str, dst_ip: str,
                port: int) -> tuple[bytearray, int]:
    """A ``size``-byte frame (Ethernet header included, FCS not) and the offset of its probe."""
    if size < min_frame(label is not None):
        raise ValueError(f"frame size {size} below the minimum {min_frame(label is not None)}")
    ethernet = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    if label is None:
        ethernet += ETH_P_IP.to_bytes(2, "big")
    else:
        ethernet += ETH_P_MPLS_UC.to_bytes(2, "big") + LabelEntry(label, 0, True, 64).pack()
    ip_length = size - len(ethernet)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_length, 0, 0x4000, 64, IPPROTO_UDP, 0,
                               socket.inet_aton(src_ip), socket.inet_aton(dst_ip)))
    ip[10:12] = internet_checksum(bytes(ip)).to_bytes(2, "big")
    udp = struct.pack("!HHHH", port, port, ip_length - IP_HEADER, 0)  # checksum 0: none (IPv4)
    frame = bytearray(ethernet + ip + udp + bytes(ip_length - IP_HEADER - UDP_HEADER))
    return frame, len(ethernet) + IP_HEADER + UDP_HEADER


def probe_offset(frame: bytes | bytearray | memoryview, length: int) -> int | None:
    """Where the probe starts in a received frame (under any number of labels), None if none."""
    offset, ethertype = ETH_HEADER, (frame[12] << 8 | frame[13]) if length >= ETH_HEADER else -1
    if ethertype == ETH_P_MPLS_UC:
        while offset + 4 <= length:
            offset += 4
            if frame[offset - 2] & 1:
                break
        ethertype = ETH_P_IP if offset < length and frame[offset] >> 4 == 4 else -1
    if ethertype != ETH_P_IP or offset + IP_HEADER > length or frame[offset + 9] != IPPROTO_UDP:
        return None
    offset += (frame[offset] & 0x0F) * 4 + UDP_HEADER
    if offset + PROBE.size > length or PROBE.unpack_from(frame, offset)[0] != MAGIC:
        return None
    return offset


def send(device: str, frame: bytearray, offset: int, flow: int, rate_pps: float, start_at: float,
         duration_s: float, stride: int = 1, phase: int = 0) -> dict:
    """Send ``frame`` at ``rate_pps`` from monotonic ``start_at`` for ``duration_s``; what was really sent.

    Paced by the schedule (packet k is due at start + k / rate): a late
    wake-up sends what is due, at most MAX_CATCH_UP back to back.  One flow
    faster than one process can send is shared by ``stride`` senders, each
    at rate / stride: sender ``phase`` numbers its k-th packet
    ``phase + k * stride``.
    """
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind((device, 0))
    total = int(rate_pps * duration_s)
    sent = errors = 0
    time.sleep(max(0.0, start_at - time.monotonic()))
    first = time.monotonic()
    late, start_at = first - start_at, max(start_at, first)  # a late start shifts the schedule, not a burst
    try:
        while sent + errors < total:
            now = time.monotonic()
            due = min(total, int((now - start_at) * rate_pps) + 1) - sent - errors
            for _ in range(min(due, MAX_CATCH_UP)):
                PROBE.pack_into(frame, offset, MAGIC, flow, phase + (sent + errors) * stride, time.monotonic_ns())
                try:
                    sock.send(frame)
                    sent += 1
                except OSError:
                    errors += 1
            wait = start_at + (sent + errors) / rate_pps - time.monotonic()
            if wait > 0:
                time.sleep(wait)
    finally:
        sock.close()
    last = time.monotonic()
    return {"flow": flow, "sent": sent, "send_errors": errors, "size": len(frame), "late_start_s": late,
            "start_ns": int(start_at * 1e9), "elapsed_s": last - first,
            "offered_bps": sent * len(frame) * 8 / duration_s}


def sink(device: str, until: float, out_path: str, stop=None) -> dict:
    """Record every probe arriving on ``device`` until monotonic ``until`` or until ``stop`` (a file
    object, e.g. stdin) is readable (end of file: the senders are done); write them to ``out_path``.

    A probe's receive time is the kernel's timestamp of the frame reaching ``device`` (SO_TIMESTAMPNS,
    CLOCK_REALTIME, moved onto CLOCK_MONOTONIC by their offset at start): the router's latency without
    the sink's own scheduling delay, which the read time (taken when the sink read the frame) adds."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind((device, ETH_P_ALL))
    sock.setblocking(False)
    realtime_offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.monotonic_ns()
    buffer = bytearray(2048)
    view = memoryview(buffer)
    records = array.array("q")
    untimed = 0
    while (remaining := until - time.monotonic()) > 0:
        readable = select.select([sock, *([stop] if stop else [])], [], [], remaining)[0]
        if stop in readable:
            break
        if not readable:
            continue
        while True:
            try:
                length, cmsgs, _, address = sock.recvmsg_into([buffer], TIMESTAMP_BUFFER)
            except BlockingIOError:
                break
            read = time.monotonic_ns()
            if address[2] == PACKET_OUTGOING:
                continue
            offset = probe_offset(view, length)
            if offset is None:
                continue
            received = receive_time(cmsgs)
            if received is None:
                untimed += 1
                continue
            _, flow, seq, sent = PROBE.unpack_from(buffer, offset)
            records.extend((flow, seq, sent, received - realtime_offset, length, read))
    _, drops = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    sock.close()
    with open(out_path, "wb") as out:
        records.tofile(out)
    return {"records": len(records) // len(RECORD_FIELDS), "socket_drops": drops, "untimed": untimed}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evaluation.traffic", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sender = commands.add_parser("send", help="send one paced flow")
    sender.add_argument("device")
    sender.add_argument("--dst-mac", required=True)
    sender.add_argument("--src-mac", default="02:00:00:00:00:01")
    sender.add_argument("--flow", type=int, required=True)
    sender.add_argument("--label", type=int, help="incoming MPLS label at the router (omit: plain IPv4)")
    sender.add_argument("--src-ip", default="10.0.0.1")
    sender.add_argument("--dst-ip", required=True)
    sender.add_argument("--size", type=int, default=500, help="frame bytes, Ethernet header included")
    rate = sender.add_mutually_exclusive_group(required=True)
    rate.add_argument("--rate-bps", type=float, help="frame bits per second")
    rate.add_argument("--rate-pps", type=float, help="frames per second")
    sender.add_argument("--start-at", type=float, help="CLOCK_MONOTONIC seconds (default: now)")
    sender.add_argument("--duration", type=float, default=3.0)
    sender.add_argument("--stride", type=int, default=1, help="senders sharing this flow (each at its rate)")
    sender.add_argument("--phase", type=int, default=0, help="this sender's place among them, 0..stride-1")
    receiver = commands.add_parser("sink", help="record probes until a deadline")
    receiver.add_argument("device")
    receiver.add_argument("--until", type=float, required=True, help="CLOCK_MONOTONIC seconds")
    receiver.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "send":
        frame, offset = build_frame(args.size, args.dst_mac, args.src_mac, args.label, args.src_ip, args.dst_ip,
                                    40000 + args.flow)
        pps = args.rate_pps or args.rate_bps / (8 * args.size)
        start = time.monotonic() if args.start_at is None else args.start_at
        summary = send(args.device, frame, offset, args.flow, pps, start, args.duration, args.stride, args.phase)
    else:
        summary = sink(args.device, args.until, args.out, sys.stdin)
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
