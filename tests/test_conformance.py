"""The conformance package: capture reading, rendering, the check command, the RFC vectors."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import os
import struct
import subprocess
import sys
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import check, fields, pcap, render, tshark, vectors
from conformance.decode import checksum_status, decode_packet
from rsvp.wire import MalformedMessage, UnknownObject, decode, encode, validate
from rsvp.wire.model import OBJECT_TYPES
from rsvp.wire.objects.core import FilterSpecIPv4
from rsvp.wire.objects.intserv import TokenBucket

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "captures"
CAPTURES = ROOT / "captures"
TSHARK = tshark.find()

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

# A Hello REQUEST written from RFC 2205 3.1.1 and RFC 3209 5.2 (not by our encoder):
# header 1/0, type 20, checksum, Send_TTL 1, length 20; HELLO 22/1 src 0x01020304, dst 0.
HELLO = bytes.fromhex("10140000" "01000014" "000c1601" "01020304" "00000000")
HELLO = vectors.with_checksum(HELLO)
PATH = vectors.msg(vectors.PATH, vectors.session4("203.0.113.9", 17, 0, 5004), vectors.hop4("192.0.2.1"),
                   vectors.time_values(), vectors.filter4("192.0.2.1", 5004, 11),
                   vectors.tspec(1000.0, 2000.0, 3000.0, 64, 1500), send_ttl=63)


# --- pcap extraction --------------------------------------------------------------------------


def _ipv4(payload: bytes, protocol: int = 46, ttl: int = 63, options: bytes = b"", total: int | None = None) -> bytes:
    header_length = 20 + len(options)
    length = header_length + len(payload) if total is None else total
    head = struct.pack(">BBHHHBBH4s4s", 0x40 | header_length // 4, 0, length, 0, 0, ttl, protocol, 0,
                       bytes([192, 0, 2, 1]), bytes([203, 0, 113, 9]))
    return head + options + payload


def _ipv6(payload: bytes, next_header: int = 46, extensions: bytes = b"", hop_limit: int = 63) -> bytes:
    body = extensions + payload
    return (struct.pack(">IHBB", 0x60000000, len(body), next_header, hop_limit)
            + bytes.fromhex("20010db8000000000000000000000001") + bytes.fromhex("20010db8000900000000000000000009")
            + body)


def _eth(payload: bytes, *types: int) -> bytes:
    """Ethernet with ``types`` = outer tags (8100/88a8 ...) then the final EtherType."""
    out = bytes(6) + bytes.fromhex("020000000001")
    for tag in types[:-1]:
        out += struct.pack(">H", tag) + b"\x00\x05"  # TPID, then a TCI of VLAN 5
    return out + struct.pack(">H", types[-1]) + payload


def _mpls(payload: bytes, labels: int = 1) -> bytes:
    entries = [struct.pack(">I", (16 + i) << 12 | (1 if i == labels - 1 else 0) << 8 | 64) for i in range(labels)]
    return b"".join(entries) + payload


def _udp(payload: bytes, port: int) -> bytes:
    return struct.pack(">HHHH", 40000, port, 8 + len(payload), 0) + payload


def _write(path: Path, frames: list[bytes], linktype: int = 1, ng: bool = False) -> str:
    with open(path, "wb") as handle:
        writer = (dpkt.pcapng.Writer if ng else dpkt.pcap.Writer)(handle, linktype=linktype)
        for index, frame in enumerate(frames):
            writer.writepkt(frame, ts=1000 + index)
    return str(path)


def _packets(path: str) -> list:
    return list(pcap.read_file(path))


RA4 = bytes.fromhex("94040000")  # RFC 2113
HBH_RA = bytes([46, 0, 5, 2, 0, 0, 1, 0])  # hop-by-hop: next 46, Router Alert (RFC 2711), PadN
DEST_OPTS = bytes([0, 0, 1, 4, 0, 0, 0, 0])  # destination options header, next header 0 (HBH)

ENCAPSULATIONS = [
    ("eth:ip", 1, _eth(_ipv4(PATH, options=RA4), 0x0800), True),
    ("eth:vlan:ip", 1, _eth(_ipv4(PATH), 0x8100, 0x0800), False),
    ("eth:vlan:vlan:ip", 1, _eth(_ipv4(PATH), 0x88A8, 0x8100, 0x0800), False),
    ("eth:vlan:vlan:vlan:ip", 1, _eth(_ipv4(PATH), 0x88A8, 0x8100, 0x8100, 0x0800), False),
    ("eth:mpls:ip", 1, _eth(_mpls(_ipv4(PATH, options=RA4)), 0x8847), True),  # IHL 6: dpkt's guess fails here
    ("eth:mpls:ip6", 1, _eth(_mpls(_ipv6(PATH), labels=3), 0x8847), False),
    ("eth:ip6", 1, _eth(_ipv6(PATH, 0, HBH_RA), 0x86DD), True),
    ("eth:ip6", 1, _eth(_ipv6(PATH, 60, DEST_OPTS + HBH_RA), 0x86DD), True),
    ("eth:ip:udp", 1, _eth(_ipv4(_udp(PATH, 1698), 17), 0x0800), False),
    ("eth:ip:udp", 1, _eth(_ipv4(_udp(PATH, 1699), 17), 0x0800), False),
    ("eth:ip:udp", 1, _eth(_ipv4(_udp(PATH, 3455), 17), 0x0800), False),
    ("eth:ip", 1, _eth(_ipv4(PATH, protocol=134), 0x0800), False),
    ("eth:ip:ip", 1, _eth(_ipv4(_ipv4(PATH), protocol=4), 0x0800), False),
    ("eth:snap:ip", 1, bytes(12) + struct.pack(">H", 8 + 20 + len(PATH)) + bytes.fromhex("aaaa03000000") + b"\x08\x00"
     + _ipv4(PATH), False),
    ("sll:ip", 113, bytes(14) + b"\x08\x00" + _ipv4(PATH), False),
    ("sll2:ip", 276, b"\x08\x00" + bytes(18) + _ipv4(PATH), False),
    ("raw:ip", 101, _ipv4(PATH), False),
    ("raw:ip6", 229, _ipv6(PATH), False),
    ("null:ip", 0, struct.pack("<I", 2) + _ipv4(PATH), False),
    ("null:ip6", 0, struct.pack(">I", 30) + _ipv6(PATH), False),
]


@pytest.mark.parametrize(("encapsulation", "linktype", "frame", "alert"), ENCAPSULATIONS)
def test_extracts_every_encapsulation(tmp_path, encapsulation, linktype, frame, alert):
    (packet,) = _packets(_write(tmp_path / "x.pcap", [frame], linktype))
    assert isinstance(packet, pcap.RsvpPacket)
    assert packet.encapsulation == encapsulation
    assert packet.data == PATH
    assert frame[packet.offset : packet.offset + len(PATH)] == PATH
    assert packet.router_alert is alert
    assert (packet.trailing, packet.missing, packet.declared_length) == (0, 0, len(PATH))
    assert packet.ttl == 63
    if packet.ip_version == 4:
        assert packet.src == "192.0.2.1" and packet.dst == "203.0.113.9"
    else:
        assert packet.src == "2001:db8::1" and packet.dst == "2001:db8:9::9"
    assert decode(packet.data).msg_type == vectors.PATH


def test_pcapng_and_frame_numbers(tmp_path):
    frames = [_eth(_ipv4(b"not rsvp", protocol=6), 0x0800), _eth(_ipv4(PATH), 0x0800), _eth(_ipv4(HELLO), 0x0800)]
    packets = _packets(_write(tmp_path / "x.pcapng", frames, ng=True))
    assert [(p.frame, p.data) for p in packets] == [(2, PATH), (3, HELLO)]
    assert packets[0].time == pytest.approx(1001.0)


def test_trailing_bytes_are_cut_at_rsvp_length(tmp_path):
    (packet,) = _packets(_write(tmp_path / "x.pcap", [_eth(_ipv4(HELLO + b"\xde\xad\xbe\xef"), 0x0800)]))
    assert (packet.data, packet.trailing, packet.missing) == (HELLO, 4, 0)


def test_ethernet_padding_is_not_trailing(tmp_path):
    (packet,) = _packets(_write(tmp_path / "x.pcap", [_eth(_ipv4(HELLO), 0x0800) + bytes(10)]))
    assert (packet.data, packet.trailing) == (HELLO, 0)


def test_truncated_frame_yields_what_is_there(tmp_path):
    frame = _eth(_ipv4(PATH), 0x0800)
    (packet,) = _packets(_write(tmp_path / "x.pcap", [frame[:-30]]))
    assert packet.data == PATH[:-30]
    assert (packet.declared_length, packet.missing) == (len(PATH), 30)
    with pytest.raises(MalformedMessage, match="truncated"):
        decode(packet.data)


def test_header_shorter_than_eight_bytes(tmp_path):
    (packet,) = _packets(_write(tmp_path / "x.pcap", [_eth(_ipv4(PATH), 0x0800)[:34 + 5]]))
    assert (packet.data, packet.declared_length, packet.missing) == (PATH[:5], None, 3)
    with pytest.raises(MalformedMessage, match="shorter than the 8-byte"):
        decode(packet.data)


def test_later_fragments_and_other_protocols_are_skipped(tmp_path):
    fragment = bytearray(_ipv4(PATH))
    fragment[6:8] = struct.pack(">H", 100)  # fragment offset 800 bytes
    frames = [_eth(bytes(fragment), 0x0800), _eth(_ipv4(PATH, protocol=6), 0x0800),
              _eth(_ipv4(_udp(PATH, 53), 17), 0x0800), _eth(b"\x00" * 20, 0x0806)]
    assert _packets(_write(tmp_path / "x.pcap", frames)) == []


def test_undecodable_frames_and_files_are_reported_not_raised(tmp_path):
    frames = [_eth(b"\x45", 0x0800), _eth(_ipv4(PATH), 0x0800), _eth(b"\x75" + bytes(40), 0x0800)]
    records = _packets(_write(tmp_path / "x.pcap", frames))
    assert [type(r).__name__ for r in records] == ["Undecodable", "RsvpPacket", "Undecodable"]
    assert "IPv4 header truncated" in records[0].reason and "IP version 7" in records[2].reason
    (unsupported,) = _packets(_write(tmp_path / "y.pcap", [PATH], linktype=147))
    assert "link type 147" in unsupported.reason
    (missing,) = _packets(str(tmp_path / "absent.pcap"))
    assert missing.frame == 0 and "cannot open" in missing.reason
    not_pcap = tmp_path / "z.pcap"
    not_pcap.write_bytes(b"this is not a capture file")
    (bad,) = _packets(str(not_pcap))
    assert bad.frame == 0 and "not a pcap" in bad.reason
    damaged = tmp_path / "d.pcap"
    damaged.write_bytes(Path(_write(tmp_path / "ok.pcap", frames[1:2] * 2)).read_bytes()[:-20])
    records = _packets(str(damaged))
    assert isinstance(records[0], pcap.RsvpPacket)


@settings(max_examples=300, deadline=None)
@given(linktype=st.sampled_from([0, 1, 101, 113, 229, 276]), frame=st.binary(max_size=120),
       prefix=st.sampled_from([b"", _eth(b"", 0x8847)[:14], _eth(b"", 0x86DD)[:14], _eth(b"", 0x0800)[:14]]))
def test_fuzzed_frames_never_raise(linktype, frame, prefix):
    try:
        found = pcap.frame_messages("fuzz", 1, 0.0, linktype, prefix + frame)
    except pcap.UndecodableFrame:
        return
    for packet in found:
        assert len(packet.data) <= len(prefix + frame)
        try:
            decode(packet.data)
        except MalformedMessage:
            pass


def test_capture_files_recurses_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.pcapng").write_bytes(b"")
    (tmp_path / "y.cap").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"")
    found = pcap.capture_files([str(tmp_path), "explicit.bin"])
    assert [os.path.relpath(f, tmp_path) for f in found[:-1]] == ["y.cap", os.path.join("a", "x.pcapng")]
    assert found[-1] == "explicit.bin"


# --- rendering --------------------------------------------------------------------------------


def _all_messages():
    for path in pcap.capture_files([str(CAPTURES)] + ([str(SHARED)] if SHARED.is_dir() else [])):
        for packet in pcap.read_file(path):
            if isinstance(packet, pcap.RsvpPacket):
                message, _ = decode_packet(packet, verify_checksum=False)
                if message is not None:
                    yield message


def _reference(value):
    """An independent, slow rendering of the documented JSON conventions (the test oracle)."""

    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (IPv4Address, IPv6Address)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return [_reference(v) for v in value]
    out = {"class": type(value).__name__}
    if hasattr(type(value), "decode_body"):
        out.update(class_num=int(value.class_num), c_type=int(value.c_type))
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if not (field.kw_only and not field.compare and not item):
            out[field.name] = _reference(item)
    return out


def test_message_json_follows_the_conventions():
    count = 0
    for message in _all_messages():
        expected = {"type": message.name, "type_num": int(message.msg_type), "flags": message.flags,
                    "send_ttl": message.send_ttl, "objects": [_reference(o) for o in message.objects]}
        if message.reserved:
            expected["reserved"] = message.reserved
        rendered = json.loads(render.message_json(message))
        if message.sub_messages:
            assert [s["type"] for s in rendered.pop("sub_messages")] == [s.name for s in message.sub_messages]
        assert rendered == expected
        count += 1
    assert count >= 47


def test_jsonable_conventions():
    bucket = TokenBucket(float("inf"), 1.5, float("-inf"), 0, 1500)
    assert render.jsonable(bucket) == {"class": "TokenBucket", "rate": "inf", "bucket_size": 1.5,
                                       "peak_rate": "-inf", "min_policed_unit": 0, "max_packet_size": 1500}
    message = decode(PATH)
    rendered = render.message_dict(message)
    assert rendered["type"] == "PATH" and rendered["send_ttl"] == 63
    session = rendered["objects"][0]
    assert session == {"class": "SessionIPv4", "class_num": 1, "c_type": 1, "destination": "203.0.113.9",
                       "protocol_id": 17, "flags": 0, "destination_port": 5004}
    unknown = UnknownObject(200, 9, b"\x01\x02\x03\x04")
    assert render.jsonable(unknown) == {"class": "UnknownObject", "class_num": 200, "c_type": 9, "body": "01020304"}


def test_reserved_fields_render_only_when_set():
    quiet = render.jsonable(FilterSpecIPv4(IPv4Address("192.0.2.1"), 7))
    loud = render.jsonable(FilterSpecIPv4(IPv4Address("192.0.2.1"), 7, reserved=9))
    assert "reserved" not in quiet and loud["reserved"] == 9


def test_text_rendering_is_readable():
    lines = render.message_lines(decode(PATH))
    assert lines[0] == "  RSVPv1 PATH(1), flags 0x0, send_ttl 63"
    assert lines[1] == ("    SESSION (1/1) SessionIPv4: destination 203.0.113.9, protocol_id 17, flags 0x0, "
                        "destination_port 5004")
    assert any("TokenBucket: rate 1000, bucket_size 2000, peak_rate 3000" in line for line in lines)


# --- decode command ---------------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, check=False)


@needs_shared
def test_decode_json_peafowl_matches_the_capture_readme():
    """Values from ../shared/captures/README.md 2.1 (checked there with tshark), not from our output."""
    done = _run("decode", "--json", str(SHARED / "peafowl_rsvp.pcap"))
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["message"]["type"] for r in records] == ["PATH", "RESV", "RESV_CONF"]
    assert [r["ip"]["router_alert"] for r in records] == [True, False, True]
    assert all(r["rsvp"]["checksum_status"] == "correct" and r["encapsulation"] == "eth:ip" for r in records)
    path, resv, conf = (r["message"] for r in records)
    session = path["objects"][0]
    assert (session["class_num"], session["c_type"], session["destination"], session["protocol_id"],
            session["destination_port"]) == (1, 1, "10.1.12.1", 17, 16388)
    by_class = {o["class_num"]: o for o in path["objects"]}
    assert by_class[11]["source"] == "10.1.24.4"
    assert by_class[5]["refresh_period_ms"] == 30000
    bucket = by_class[12]["services"][0]["parameters"][0]["value"]
    assert (bucket["rate"], bucket["bucket_size"], bucket["peak_rate"]) == (6000.0, 6000.0, 6000.0)
    resv_classes = {o["class_num"]: o for o in resv["objects"]}
    assert resv_classes[8]["option_vector"] == 0x0A  # Fixed-Filter
    assert resv_classes[9]["services"][0]["service"] == 5  # Controlled-Load
    assert 15 in resv_classes  # RESV_CONFIRM
    error = next(o for o in conf["objects"] if o["class_num"] == 6)
    assert error["error_code"] == 0


@needs_shared
def test_decode_reports_malformed_messages_with_reason():
    done = _run("decode", "--json", str(SHARED / "tcpdump_rsvp_uni-oobr-3.pcap"), str(SHARED / "tcpdump_rsvp_cap.pcap"))
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["frame"] for r in records] == [2, 3, 1]
    assert records[0]["error"]["reason"] == "RSVP Length 65527 but 20 bytes: message truncated"
    assert records[0]["error"]["offset"] == 6
    assert records[0]["rsvp"]["missing"] == 65507
    assert records[2]["error"]["reason"] == "bad checksum 0x7d4d, expected 0x7d62"
    unverified = json.loads(_run("decode", "--json", "--no-verify-checksum", str(SHARED / "tcpdump_rsvp_cap.pcap")).stdout)
    assert [o["class_num"] for o in unverified[0]["message"]["objects"]] == [22, 131, 134]
    text = _run("decode", str(SHARED / "tcpdump_rsvp_cap.pcap")).stdout
    assert "eth:vlan:ip: 10.0.57.5 > 10.0.57.7, ttl 1" in text and "MALFORMED: bad checksum 0x7d4d" in text


def test_help_explains_each_subcommand():
    done = _run("--help")
    assert done.returncode == 0
    for word in ("decode FILE", "check PATH", "build-vectors", "known_differences.toml"):
        assert word in done.stdout


def test_checksum_status():
    assert checksum_status(HELLO, len(HELLO)) == "correct"
    assert checksum_status(HELLO[:2] + b"\x00\x00" + HELLO[4:], len(HELLO)) == "none"
    assert checksum_status(HELLO[:2] + b"\x12\x34" + HELLO[4:], len(HELLO)) == "incorrect"
    assert checksum_status(HELLO[:10], len(HELLO)) == "unchecked"


# --- malformed captures -----------------------------------------------------------------------

MALFORMED = {  # ../shared/captures/README.md 2.2 and 2.3: file -> (frames, what the reason must say)
    "tcpdump_rsvp-infinite-loop.pcap": ([1, 2, 3, 4, 5], "sub-object Length 0"),
    "tcpdump_rsvp-inf-loop-2.pcapng": ([1], "bad checksum 0x0ca3"),
    "tcpdump_rsvp-rsvp_obj_print-oobr.pcap": ([3], "RSVP Length 16384 but 13 bytes"),
    "tcpdump_rsvp_fast_reroute-oobr.pcap": ([1], "RSVP Length 41218 but 17 bytes"),
    "tcpdump_rsvp_uni-oobr-1.pcap": ([1], "RSVP Length 65527 but 20 bytes"),
    "tcpdump_rsvp_uni-oobr-2.pcap": ([1], "RSVP Length 65527 but 20 bytes"),
    "tcpdump_rsvp_uni-oobr-3.pcap": ([2, 3], "RSVP Length 65527 but 20 bytes"),
    "tcpdump_rsvp_cap.pcap": ([1], "bad checksum 0x7d4d, expected 0x7d62"),
}


@needs_shared
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_captures_fail_with_the_right_reason(name):
    frames, reason = MALFORMED[name]
    packets = [p for p in pcap.read_file(str(SHARED / name)) if isinstance(p, pcap.RsvpPacket)]
    assert [p.frame for p in packets] == frames
    for packet in packets:
        message, error = decode_packet(packet)
        assert message is None and reason in error.reason
    result = check.check_file(str(SHARED / name), check.Known(), None)
    assert result.expected_malformed == len(frames) and result.differences == []


@needs_shared
def test_inf_loop_2_structural_fault_behind_the_bad_checksum():
    (packet,) = pcap.read_file(str(SHARED / "tcpdump_rsvp-inf-loop-2.pcapng"))
    with pytest.raises(MalformedMessage, match="prefix length 70") as caught:
        decode(packet.data, verify_checksum=False)
    assert caught.value.class_num == 20


# --- the check command ------------------------------------------------------------------------


def _check(paths: list[str], tmp_path: Path, known: str | None = None, tshark_on: bool = True):
    out = tmp_path / "out.txt"
    with open(out, "w") as handle, open(os.devnull, "w") as err:
        code = check.run(paths, known=known, use_tshark=tshark_on, out=handle, err=err)
    return code, out.read_text()


@needs_shared
def test_check_shared_captures_passes(tmp_path):
    code, text = _check([str(SHARED)], tmp_path)
    assert code == 0, text
    assert "TOTAL" in text and "tcpdump-pr1265_rsvp_session.pcap" in text


def test_check_project_captures_passes(tmp_path):
    code, text = _check([str(CAPTURES)], tmp_path)
    assert code == 0, text
    rows = {cells[0]: cells[1:4] for cells in map(str.split, text.splitlines())
            if cells and (cells[0] == "TOTAL" or cells[0].endswith(".pcap")) and len(cells) > 4}
    assert rows["TOTAL"][0] == rows["TOTAL"][1] == rows["TOTAL"][2]  # messages, decoded, round-trip ok
    vectors_total = sum(int(counts[0]) for name, counts in rows.items() if name.startswith(("rfc", "ipv6")))
    assert vectors_total == 47 and int(rows["testbed-chain4.pcap"][0]) > 0


def test_check_without_tshark_says_so(tmp_path):
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with open(out, "w") as handle, open(err, "w") as errors:
        code = check.run([str(CAPTURES / "rfc3209-hello.pcap")], tshark_program="no-such-tshark", out=handle, err=errors)
    assert code == 0 and "no-such-tshark not found" in err.read_text()


def test_check_without_tshark_still_round_trips(tmp_path):
    results = [check.check_file(p, check.Known(), None) for p in pcap.capture_files([str(CAPTURES)])]
    assert all(r.compared == 0 and r.messages == r.roundtrip_ok for r in results)


def test_unlisted_malformed_message_is_a_difference(tmp_path):
    broken = bytearray(PATH)
    broken[9] = 3  # SESSION object Length 3
    path = _write(tmp_path / "broken.pcap", [_eth(_ipv4(vectors.with_checksum(bytes(broken))), 0x0800)])
    code, text = _check([path], tmp_path, tshark_on=False)
    assert code == 1 and "[malformed] decode: object Length 3" in text


def _known_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "known.toml"
    path.write_text(text)
    return str(path)


def test_expectations_catch_success_and_wrong_reason(tmp_path):
    good = _write(tmp_path / "good.pcap", [_eth(_ipv4(PATH), 0x0800)])
    known = _known_file(tmp_path, '[[malformed]]\nfile = "good.pcap"\nreason = "truncated"\n')
    result = check.check_file(good, check.Known(known), None)
    assert [d.kind for d in result.differences] == ["not-malformed"]
    cut = _write(tmp_path / "cut.pcap", [_eth(_ipv4(PATH), 0x0800)[:-8]])
    wrong = _known_file(tmp_path, '[[malformed]]\nfile = "cut*"\nframes = [1]\nreason = "bad checksum"\n')
    result = check.check_file(cut, check.Known(wrong), None)
    assert [d.kind for d in result.differences] == ["malformed-reason"]
    right = _known_file(tmp_path, '[[malformed]]\nfile = "cut*"\nreason = "message truncated$"\n')
    assert check.check_file(cut, check.Known(right), None).expected_malformed == 1


def test_bad_checksum_inside_a_bundle_is_reported_and_looked_behind(tmp_path):
    bad_hello = HELLO[:2] + b"\x00\x01" + HELLO[4:]
    bundle = vectors.msg(vectors.BUNDLE, PATH, bad_hello)  # the Bundle's own checksum is right
    path = _write(tmp_path / "b.pcap", [_eth(_ipv4(bundle), 0x0800)])
    known = _known_file(tmp_path, '[[malformed]]\nfile = "b.pcap"\nreason = "^bad checksum 0x0001"\n')
    result = check.check_file(path, check.Known(known), TSHARK)
    assert result.differences == []
    assert (result.expected_malformed, result.decoded, result.roundtrip_ok) == (1, 1, 1)


def test_round_trip_difference_is_reported(tmp_path, monkeypatch):
    path = _write(tmp_path / "x.pcap", [_eth(_ipv4(PATH), 0x0800)])
    monkeypatch.setattr(check, "encode", lambda message: encode(message)[:-1] + b"\xff")
    result = check.check_file(path, check.Known(), None)
    assert result.roundtrip_ok == 0
    assert [d.kind for d in result.differences] == ["roundtrip"]
    assert f"at offset {len(PATH) - 1}" in result.differences[0].detail


def test_tshark_failure_is_a_difference(tmp_path):
    path = _write(tmp_path / "x.pcap", [_eth(_ipv4(PATH), 0x0800)])
    result = check.check_file(path, check.Known(), "/bin/false")
    assert [(d.kind, d.field) for d in result.differences] == [("file", "tshark")]


def test_known_file_is_validated(tmp_path):
    with pytest.raises(ValueError, match="unknown difference kind"):
        check.Known(_known_file(tmp_path, '[[difference]]\nfile = "*"\nkind = "nope"\nfield = "*"\nreason = "x"\n'))
    with pytest.raises(ValueError, match="lacks 'reason'"):
        check.Known(_known_file(tmp_path, '[[malformed]]\nfile = "*"\n'))


# --- tshark comparison ------------------------------------------------------------------------


@needs_tshark
@needs_shared
def test_tshark_comparison_covers_the_te_capture():
    result = check.check_file(str(SHARED / "tcpdump-pr1265_rsvp_session.pcap"), check.Known(), TSHARK)
    assert result.unknown == [] and result.compared > 400
    assert not result.uncompared, result.uncompared
    kinds = {d.field for d in result.differences}
    assert kinds == {"SECONDARY_EXPLICIT_ROUTE 200/2", "SECONDARY_RECORD_ROUTE 201/2"}


@needs_tshark
def test_tshark_disagreement_is_found(tmp_path, monkeypatch):
    """Tamper with our decoded SESSION port: tshark's reading of the bytes must expose it."""
    path = _write(tmp_path / "x.pcap", [_eth(_ipv4(PATH, options=RA4), 0x0800)])
    real = check.decode_packet

    def tampered(packet, verify_checksum=True):
        message, error = real(packet, verify_checksum)
        session = dataclasses.replace(message.objects[0], destination_port=5005)
        return dataclasses.replace(message, objects=(session,) + message.objects[1:]), error

    monkeypatch.setattr(check, "decode_packet", tampered)
    result = check.check_file(path, check.Known(), TSHARK)
    fields_differing = {d.field for d in result.differences if d.kind == "field"}
    assert fields_differing == {"rsvp.session.port"}


@needs_tshark
def test_known_wireshark_bugs_are_still_there():
    """Each known difference of captures/ is observed: a fixed Wireshark would show up here."""
    known = check.Known()
    for path in pcap.capture_files([str(CAPTURES)]):
        check.check_file(path, known, TSHARK)
    unused = [e.field for e in known.differences if e.used == 0 and e.file == "*" and "SECONDARY" not in e.field
              and "CAPABILITY" not in e.field]
    assert unused == []


@needs_tshark
def test_checksum_verdict_comparison(tmp_path):
    bad = HELLO[:2] + b"\x00\x01" + HELLO[4:]
    path = _write(tmp_path / "x.pcap", [_eth(_ipv4(HELLO), 0x0800), _eth(_ipv4(bad), 0x0800)])
    known = _known_file(tmp_path, '[[malformed]]\nfile = "x.pcap"\nframes = [2]\nreason = "^bad checksum"\n')
    result = check.check_file(path, check.Known(known), TSHARK)
    assert result.differences == [] and result.roundtrip_ok == 2 and result.expected_malformed == 1


def test_field_value_comparison():
    leaf = tshark.Leaf
    assert fields.same(IPv4Address("1.1.1.1"), leaf("x", "16843009", "01010101", 0, 4))
    assert fields.same(0x46, leaf("x", "0x46", "46", 0, 1))
    assert fields.same(True, leaf("x", "1", "1", 0, 1))
    assert fields.same(1.25e6, leaf("x", "1.25e+06", "", 0, 4))
    assert fields.same(float("inf"), leaf("x", "inf", "", 0, 4))
    assert not fields.same(1.26e6, leaf("x", "1.25e+06", "", 0, 4))
    assert fields.same(b"\x00\x00\x01\x02", leaf("x", "258", "00000102", 0, 4))
    assert fields.same("TestTunnel", leaf("x", "TestTunnel", "", 0, 10))
    assert not fields.same(5004, leaf("x", "5005", "138d", 0, 2))


# --- the vectors ------------------------------------------------------------------------------


def test_build_vectors_reproduces_the_committed_files(tmp_path):
    assert vectors.main(str(tmp_path)) == 0
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in CAPTURES.glob("*.pcap") if not p.name.startswith("testbed-"))
    for name in built:
        assert (tmp_path / name).read_bytes() == (CAPTURES / name).read_bytes(), name


def test_vectors_exercise_model_classes_and_grammar():
    seen = set()
    for path in pcap.capture_files([str(CAPTURES)]):
        for packet in pcap.read_file(path):
            message = decode(packet.data)
            validate(message)
            assert encode(message) == packet.data
            for part in message.walk():
                for obj in part.objects:
                    assert not isinstance(obj, UnknownObject), (path, obj)
                    seen.add((obj.class_num, obj.c_type))
    assert seen - set(OBJECT_TYPES) == {(0, 9)}  # NULL takes any C-Type (RFC 2205 A.0)
    assert len(seen) >= 75


def test_vector_helpers_follow_rfc_layouts():
    # SESSION_ATTRIBUTE example of rsvp-wire.md 8.6 (1-byte name length, NUL padding).
    assert vectors.session_attribute(7, 7, 0x04, "tunnl") == bytes.fromhex("0010cf07070704057475 6e6e6c000000")
    # RFC 2205 3.1.1: Length counts the header; the checksum of the whole message sums to 0xffff.
    assert HELLO[6:8] == b"\x00\x14"
    total = sum(struct.unpack(f">{len(HELLO) // 2}H", HELLO))
    assert (total % 0xFFFF) in (0, 0xFFFF)


def test_fuzz_campaign_keeps_the_contract_and_reports_violations(tmp_path, monkeypatch):
    from conformance import fuzz

    assert fuzz.run([str(CAPTURES)], iterations=3000, seed=3, corpus=str(tmp_path)) == 0
    assert not list(tmp_path.iterdir())

    def broken(data, verify_checksum=True):
        raise IndexError("planted bug")

    monkeypatch.setattr(fuzz, "decode", broken)
    assert fuzz.violation(b"\x10\x01\x00\x00\xff\x00\x00\x08") == "decode raised IndexError: planted bug"
