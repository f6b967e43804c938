"""``python -m conformance decode``: every RSVP message of some captures, as text or JSON."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from rsvp.wire import MalformedMessage, Message, decode
from rsvp.wire.checksum import internet_checksum

from . import render
from .pcap import RsvpPacket, Undecodable, read_file


def decode_packet(packet: RsvpPacket, verify_checksum: bool = True) -> tuple[Message | None, MalformedMessage | None]:
    """Decode one extracted message: (message, None) or (None, error)."""
    try:
        return decode(packet.data, verify_checksum=verify_checksum), None
    except MalformedMessage as exc:
        return None, exc


def checksum_status(data: bytes, declared: int | None) -> str:
    """"correct", "incorrect", "none" (zero: not transmitted, RFC 2205 section 3.1.1) or "unchecked"."""
    if declared is None or len(data) != declared:
        return "unchecked"
    wire = int.from_bytes(data[2:4], "big")
    if wire == 0:
        return "none"
    return "correct" if internet_checksum(data[:2] + b"\x00\x00" + data[4:]) == wire else "incorrect"


def head_json(packet: RsvpPacket, status: str, file_json: str) -> str:
    """The JSON members saying where a message was found (no closing brace).

    Written directly rather than through ``json.dumps``: every value here is a
    number, a boolean or a string that needs no escaping (addresses,
    encapsulation names), except the file name, passed in already encoded.
    """
    data = packet.data
    checksum = f'"0x{data[2]:02x}{data[3]:02x}"' if len(data) >= 4 else "null"
    length = "null" if packet.declared_length is None else packet.declared_length
    return (
        f'{{"file":{file_json},"frame":{packet.frame},"time":{packet.time!r},'
        f'"encapsulation":"{packet.encapsulation}","offset":{packet.offset},'
        f'"ip":{{"version":{packet.ip_version},"src":"{packet.src}","dst":"{packet.dst}","ttl":{packet.ttl},'
        f'"protocol":{packet.protocol},"router_alert":{"true" if packet.router_alert else "false"}}},'
        f'"rsvp":{{"length":{length},"captured":{len(data)},"trailing":{packet.trailing},'
        f'"missing":{packet.missing},"checksum":{checksum},"checksum_status":"{status}"}}'
    )


def _status(packet: RsvpPacket, message: Message | None, verify: bool) -> str:
    if message is not None and verify:  # decode verified it (or it is zero)
        return "none" if packet.data[2:4] == b"\x00\x00" else "correct"
    if not verify:
        return "unverified"
    return checksum_status(packet.data, packet.declared_length)


def run(files: Iterable[str], as_json: bool, verify_checksum: bool, out: TextIO = sys.stdout) -> int:
    """Print every message; 1 if a file could not be read (malformed messages are output, not failures)."""
    separator = "\n"
    unreadable = False
    if as_json:
        out.write("[")
    for path in files:
        file_json = render.dumps(path)
        for packet in read_file(path):
            if isinstance(packet, Undecodable):
                print(f"{packet.file}: frame {packet.frame}: {packet.reason}", file=sys.stderr)
                unreadable = unreadable or packet.frame == 0
                continue
            message, error = decode_packet(packet, verify_checksum)
            status = _status(packet, message, verify_checksum)
            if not as_json:
                out.write(_text(packet, status, message, error))
                continue
            if message is not None:
                body = ',"message":' + render.message_json(message)
            else:
                body = ',"error":' + render.dumps(render.error_dict(error))  # type: ignore[arg-type]
            out.write(separator + head_json(packet, status, file_json) + body + "}")
            separator = ",\n"
    if as_json:
        out.write("\n]\n")
    return 1 if unreadable else 0


def _text(packet: RsvpPacket, status: str, message: Message | None, error: MalformedMessage | None) -> str:
    data = packet.data
    checksum = f"0x{data[2]:02x}{data[3]:02x}" if len(data) >= 4 else "none"
    extra = ""
    if packet.trailing:
        extra += f", {packet.trailing} bytes trailing"
    if packet.missing:
        extra += f", {packet.missing} bytes missing"
    lines = [
        (
            f"{packet.file} frame {packet.frame} {packet.encapsulation}: {packet.src} > {packet.dst}, "
            f"ttl {packet.ttl}{', router alert' if packet.router_alert else ''}, "
            f"length {packet.declared_length}, checksum {checksum} ({status}){extra}"
        )
    ]
    if message is not None:
        lines.extend(render.message_lines(message))
    else:
        lines.append("  " + render.error_text(error))  # type: ignore[arg-type]
    return "\n".join(lines) + "\n"
