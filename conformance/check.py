"""``python -m conformance check``: round trips and a field-by-field comparison with tshark.

For every RSVP message of every capture:

1. decode with checksum verification; a message that fails is decoded again
   without verification, so that a wrong checksum is reported and the rest is
   still checked;
2. re-encode and compare the bytes (checksum fields masked when the sender's
   checksum was wrong, since the encoder writes a correct one);
3. with tshark's dissection of the same file (one ``tshark -T pdml`` run),
   line messages and objects up by byte offset and compare the header, each
   object's class / C-Type / length, and every field of :mod:`.fields`.

Anything that disagrees is a :class:`Difference`; it is *known* when an entry
of ``known_differences.toml`` explains it.  Malformed inputs are expected
only where that file says so (with the reason the codec must give); an
unexpected failure, an unexpected success, or another reason is a
difference.  The exit status is 1 when any difference is not known.
"""

from __future__ import annotations

import collections
import dataclasses
import fnmatch
import os
import re
import struct
import sys
import time
import tomllib
from collections.abc import Iterable
from typing import Any, TextIO

from rsvp.wire import Message, UnknownObject, encode
from rsvp.wire.model import RsvpObject

from . import fields, tshark
from .decode import checksum_status, decode_packet
from .pcap import RsvpPacket, Undecodable, capture_files, read_file
from .render import class_name

DEFAULT_KNOWN = os.path.join(os.path.dirname(__file__), "known_differences.toml")
KINDS = frozenset({
    "file",  # the file could not be read as a capture, or tshark failed on it
    "roundtrip",  # encode(decode(bytes)) != bytes
    "malformed",  # the codec rejected a message no expectation lists
    "not-malformed",  # the codec accepted a message listed as malformed
    "malformed-reason",  # rejected, but not for the listed reason
    "message",  # one side sees an RSVP message the other does not
    "object",  # objects do not line up (class, C-Type, length, position)
    "checksum",  # checksum verdicts differ
    "field",  # a field value differs
})
_U16 = struct.Struct(">H")


@dataclasses.dataclass(slots=True)
class Difference:
    file: str
    frame: int
    kind: str
    field: str
    detail: str
    known: str | None = None

    def __str__(self) -> str:
        where = f"{os.path.basename(self.file)} frame {self.frame}"
        return f"{where}: [{self.kind}] {self.field}: {self.detail}"


@dataclasses.dataclass(slots=True)
class FileResult:
    path: str
    messages: int = 0
    decoded: int = 0
    roundtrip_ok: int = 0
    compared: int = 0
    expected_malformed: int = 0
    undecodable_frames: int = 0
    differences: list[Difference] = dataclasses.field(default_factory=list)
    uncompared: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    @property
    def unknown(self) -> list[Difference]:
        return [d for d in self.differences if d.known is None]


# --- expectations -------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Entry:
    file: str
    frames: frozenset[int] | None
    kind: str
    field: str
    reason: str
    pattern: re.Pattern[str] | None = None  # [[malformed]]: the reason; [[difference]]: optional detail
    used: int = 0

    def matches(self, path: str, frame: int) -> bool:
        name = os.path.basename(path)
        if not (fnmatch.fnmatch(name, self.file) or fnmatch.fnmatch(path, self.file)):
            return False
        return self.frames is None or frame in self.frames


class Known:
    """``known_differences.toml``: expected malformed inputs and explained differences."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or DEFAULT_KNOWN
        with open(self.path, "rb") as handle:
            data = tomllib.load(handle)
        self.malformed = [self._entry(e, "malformed") for e in data.get("malformed", [])]
        self.differences = [self._entry(e, "difference") for e in data.get("difference", [])]

    @staticmethod
    def _entry(raw: dict[str, Any], table: str) -> _Entry:
        for key in ("file", "reason") if table == "malformed" else ("file", "kind", "field", "reason"):
            if key not in raw:
                raise ValueError(f"a [[{table}]] entry lacks {key!r}: {raw}")
        frames = raw.get("frames")
        entry = _Entry(
            raw["file"],
            frozenset(frames) if frames is not None else None,
            raw.get("kind", "malformed"),
            raw.get("field", "*"),
            raw["reason"],
        )
        if table == "malformed":
            entry.pattern = re.compile(raw["reason"], re.IGNORECASE | re.DOTALL)
        else:
            if entry.kind not in KINDS:
                raise ValueError(f"unknown difference kind {entry.kind!r} (one of {sorted(KINDS)})")
            if "detail" in raw:
                entry.pattern = re.compile(raw["detail"])
        return entry

    def expected_malformed(self, path: str, frame: int) -> _Entry | None:
        for entry in self.malformed:
            if entry.matches(path, frame):
                return entry
        return None

    def explain(self, diff: Difference) -> str | None:
        for entry in self.differences:
            if (
                entry.kind == diff.kind
                and fnmatch.fnmatchcase(diff.field, entry.field)
                and entry.matches(diff.file, diff.frame)
                and (entry.pattern is None or entry.pattern.search(diff.detail))
            ):
                entry.used += 1
                return entry.reason
        return None


# --- one file -----------------------------------------------------------------------------


class _Progress:
    """At most one progress line per second on stderr."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.last = time.monotonic()

    def __call__(self, text: str) -> None:
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            print(f"check: {text}", file=self.out, flush=True)


def check_file(path: str, known: Known, program: str | None, progress: _Progress | None = None) -> FileResult:
    result = FileResult(path)
    found: dict[tuple[int, int], tuple[RsvpPacket, Message | None, str]] = {}
    for record in read_file(path):
        if isinstance(record, Undecodable):
            if record.frame == 0:
                result.differences.append(Difference(path, 0, "file", "capture", record.reason))
            else:
                result.undecodable_frames += 1
            continue
        result.messages += 1
        message, status = _decode(record, known, result)
        found[(record.frame, record.offset)] = (record, message, status)
        if progress:
            progress(f"{os.path.basename(path)}: {result.messages} messages")
    if program is not None and result.messages:
        try:
            _compare_file(path, found, program, result, progress)
        except tshark.TsharkError as exc:
            result.differences.append(Difference(path, 0, "file", "tshark", str(exc)))
    for diff in result.differences:
        diff.known = known.explain(diff)
    return result


def _decode(packet: RsvpPacket, known: Known, result: FileResult) -> tuple[Message | None, str]:
    """Decode (checksum verified, then unverified if only the checksum failed) and round-trip."""
    path, frame = packet.file, packet.frame
    expected = known.expected_malformed(path, frame)
    message, error = decode_packet(packet)
    reasons = []
    status = "none" if packet.data[2:4] == b"\x00\x00" else "correct"
    if error is not None:  # a wrong checksum (of the message or of a bundled one) hides the rest: look behind it
        reasons.append(error.reason)
        status = checksum_status(packet.data, packet.declared_length)
        message, second = decode_packet(packet, verify_checksum=False)
        if second is not None and second.reason != error.reason:
            reasons.append(second.reason)
    if reasons:
        text = "; ".join(reasons)
        if expected is None:
            result.differences.append(Difference(path, frame, "malformed", "decode", text))
        elif expected.pattern is not None and not expected.pattern.search(text):
            result.differences.append(
                Difference(path, frame, "malformed-reason", "decode", f"{text!r} does not match {expected.reason!r}")
            )
        else:
            expected.used += 1
            result.expected_malformed += 1
    elif expected is not None:
        result.differences.append(
            Difference(path, frame, "not-malformed", "decode", f"decoded, but expected: {expected.reason!r}")
        )
    if message is None:
        return None, status
    result.decoded += 1
    wire = encode(message)
    original = packet.data
    if reasons:  # decoded without verification: the encoder writes correct checksums instead
        wire, original = mask_checksums(wire, message), mask_checksums(original, message)
    if wire == original:
        result.roundtrip_ok += 1
    else:
        at = next((i for i, (a, b) in enumerate(zip(wire, original)) if a != b), min(len(wire), len(original)))
        result.differences.append(Difference(
            path, frame, "roundtrip", message.name,
            f"re-encoded {len(wire)} bytes differ from the {len(original)} captured bytes at offset {at}",
        ))
    return message, status


def mask_checksums(data: bytes, message: Message) -> bytes:
    """``data`` with the checksum of the message (and of each bundled message) zeroed."""
    out = bytearray(data)
    out[2:4] = b"\x00\x00"
    _, subs = _offsets(data, message)
    for offset in subs:
        out[offset + 2 : offset + 4] = b"\x00\x00"
    return bytes(out)


def _offsets(data: bytes, message: Message) -> tuple[list[int], list[int]]:
    """Byte offsets of the message's objects and of its bundled messages (decoded data only)."""
    offset, objects, subs = 8, [], []
    for _ in message.objects:
        objects.append(offset)
        offset += _U16.unpack_from(data, offset)[0]
    for _ in message.sub_messages:
        subs.append(offset)
        offset += _U16.unpack_from(data, offset + 6)[0]
    return objects, subs


# --- tshark comparison --------------------------------------------------------------------


def _compare_file(
    path: str,
    found: dict[tuple[int, int], tuple[RsvpPacket, Message | None, str]],
    program: str,
    result: FileResult,
    progress: _Progress | None,
) -> None:
    matched: set[tuple[int, int]] = set()
    for packet in tshark.dissect(path, program):
        if progress:
            progress(f"{os.path.basename(path)}: tshark frame {packet.frame}")
        for tmessage in packet.messages:
            key = (packet.frame, tmessage.pos)
            entry = found.get(key)
            if entry is None:
                result.differences.append(Difference(
                    path, packet.frame, "message", "rsvp",
                    f"tshark dissects an RSVP message at frame offset {tmessage.pos} where we found none",
                ))
                continue
            matched.add(key)
            ours, message, status = entry
            if message is not None:
                _Comparer(path, packet.frame, result).message(message, ours.data, tmessage, status)
    for key, (ours, message, _) in found.items():
        if key not in matched and message is not None:
            result.differences.append(Difference(
                path, ours.frame, "message", "rsvp",
                f"tshark shows no RSVP message at frame offset {ours.offset} ({ours.encapsulation})",
            ))


class _Comparer:
    """Compares one decoded message with tshark's dissection of it."""

    def __init__(self, path: str, frame: int, result: FileResult) -> None:
        self.path, self.frame, self.result = path, frame, result

    def diff(self, kind: str, field: str, detail: str) -> None:
        self.result.differences.append(Difference(self.path, self.frame, kind, field, detail))

    def value(self, field: str, ours: Any, leaf: tshark.Leaf | None, where: str) -> None:
        if leaf is None:
            return
        self.result.compared += 1
        if not fields.same(ours, leaf):
            self.diff("field", field, f"{where}: ours {fields.shown(ours)}, tshark {leaf.show}")

    def message(self, message: Message, data: bytes, tm: tshark.TsharkMessage, status: str) -> None:
        head = tm.header
        where = message.name
        for field, ours in (
            ("rsvp.version", 1),
            ("rsvp.flags", message.flags),
            ("rsvp.msg", int(message.msg_type)),
            ("rsvp.sending_ttl", message.send_ttl),
            ("rsvp.message_length", len(data)),
            ("rsvp.message_checksum", _U16.unpack_from(data, 2)[0]),
        ):
            self.value(field, ours, head.get(field), where)
        if tm.checksum_verdict is not None:
            self.result.compared += 1
            agree = status == tm.checksum_verdict or (status == "none" and tm.checksum_verdict == "ignored")
            if not agree:
                ours_text = "zero (none transmitted)" if status == "none" else status
                self.diff("checksum", "rsvp.message_checksum", f"{where}: ours {ours_text}, tshark {tm.checksum_verdict}")
        object_offsets, sub_offsets = _offsets(data, message)
        by_pos = {o.pos - tm.pos: o for o in tm.objects}
        for obj, offset in zip(message.objects, object_offsets):
            self.object(obj, data, offset, by_pos.pop(offset, None), where)
        for offset, tobj in sorted(by_pos.items()):
            self.diff("object", tobj.name, f"{where}: tshark shows an object at offset {offset} that we do not")
        subs = {s.pos - tm.pos: s for s in tm.sub_messages}
        for sub, offset in zip(message.sub_messages, sub_offsets):
            length = _U16.unpack_from(data, offset + 6)[0]
            tsub = subs.pop(offset, None)
            if tsub is None:
                self.diff("message", "rsvp", f"{where}: tshark does not dissect the bundled {sub.name} at offset {offset}")
                continue
            sub_data = data[offset : offset + length]
            self.message(sub, sub_data, tsub, checksum_status(sub_data, length))
        for offset in sorted(subs):
            self.diff("message", "rsvp", f"{where}: tshark dissects a bundled message at offset {offset} that we do not")

    def object(self, obj: RsvpObject, data: bytes, offset: int, tobj: tshark.TsharkObject | None, where: str) -> None:
        label = f"{where} {class_name(obj.class_num)} {obj.class_num}/{obj.c_type}"
        if tobj is None:
            self.diff("object", class_name(obj.class_num), f"{label}: tshark shows no object at offset {offset}")
            return
        for field, ours, theirs in (
            ("rsvp.object", obj.class_num, tobj.class_num),
            ("rsvp.ctype", obj.c_type, tobj.c_type),
            ("rsvp.length", _U16.unpack_from(data, offset)[0], tobj.length),
        ):
            if theirs is None:
                continue
            self.result.compared += 1
            if ours != theirs:
                self.diff("object", field, f"{label} at offset {offset}: ours {ours}, tshark {theirs}")
        if isinstance(obj, UnknownObject) or type(obj).__name__ == "NullObject":
            return  # we keep it opaque: nothing to compare inside
        if _opaque_to_tshark(tobj):
            self.diff("object", f"{class_name(obj.class_num)} {obj.class_num}/{obj.c_type}",
                      f"{label}: tshark shows it as undecoded data (we decode {type(obj).__name__})")
            return
        rules = fields.RULES.get(obj.class_num, ())
        parts = fields.split(obj)
        if parts is not None and tobj.groups and len(parts[1]) == len(tobj.groups):
            own, records = parts  # sub-objects, TLVs or service blocks, paired in order
            self.rules(rules, own, tobj.leaves, label, type(obj).__name__)
            for index, (record, group) in enumerate(zip(records, tobj.groups)):
                kind = type(record).__name__
                where = f"{label} {kind} #{index + 1}"
                if group.title.lower().startswith("unknown") and not kind.startswith("Unknown"):
                    self.diff("object", f"{class_name(obj.class_num)}.{kind}",
                              f"{where}: tshark does not decode it ({group.title!r})")
                self.rules(rules, fields.leaves(record), group.leaves, where, kind)
        else:
            self.rules(rules, fields.leaves(obj), tobj.all_leaves(), label, type(obj).__name__)

    def rules(
        self, rules: tuple[fields.Rule, ...], triples: list, leaves: list[tshark.Leaf], label: str, owner: str
    ) -> None:
        """Compare, per rule, the model values with the tshark values of the same fields (in order)."""
        shown_fields: dict[str, list[tshark.Leaf]] = collections.defaultdict(list)
        for leaf in leaves:
            shown_fields[leaf.name].append(leaf)
        for rule in rules:
            theirs = shown_fields.pop(rule.field, None)
            if not theirs:
                continue  # tshark does not show this field here
            ours = fields.model_values(rule, triples)
            if not ours:
                self.result.uncompared[f"{rule.field} (no model value in {owner})"] += 1
                continue
            if len(ours) != len(theirs):
                self.result.compared += 1
                self.diff("field", rule.field, f"{label}: ours {[fields.shown(v) for v in ours]}, "
                          f"tshark {[leaf.show for leaf in theirs]}")
                continue
            for index, (value, leaf) in enumerate(zip(ours, theirs)):
                self.value(rule.field, value, leaf, label + (f" #{index + 1}" if len(ours) > 1 else ""))
        for name, unused in shown_fields.items():
            if name not in fields.IGNORED:
                self.result.uncompared[name] += len(unused)


def _opaque_to_tshark(tobj: tshark.TsharkObject) -> bool:
    """tshark shows the object only as undecoded data ("Unknown object", an undecoded C-Type)."""
    leaves = tobj.all_leaves()
    return bool(leaves) and all(leaf.name.endswith(".data") for leaf in leaves)


# --- driver -------------------------------------------------------------------------------


def run(
    paths: Iterable[str],
    known: str | None = None,
    use_tshark: bool = True,
    tshark_program: str = "tshark",
    verbose: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Check every capture under ``paths``; print the table; 0 when every difference is known."""
    expectations = Known(known)
    program = None
    if use_tshark:
        program = tshark.find(tshark_program)
        if program is None:
            print(f"check: {tshark_program} not found: the tshark comparison is skipped", file=err)
        else:
            print(f"check: comparing with {tshark.version(program)}", file=err)
    files = capture_files(list(paths))
    progress = _Progress(err)
    results = [check_file(path, expectations, program, progress) for path in files]
    report(results, expectations, verbose, out)
    return 1 if any(r.unknown for r in results) or not files else 0


def report(results: list[FileResult], known: Known, verbose: bool, out: TextIO) -> None:
    columns = ("messages", "decoded", "round-trip ok", "tshark fields", "differences", "known", "expected malformed")
    rows = []
    for r in results:
        rows.append((os.path.basename(r.path), r.messages, r.decoded, r.roundtrip_ok, r.compared,
                     len(r.unknown), len(r.differences) - len(r.unknown), r.expected_malformed))
    total = ["TOTAL"] + [sum(row[i] for row in rows) for i in range(1, len(columns) + 1)]
    width = max([len("file"), len("TOTAL")] + [len(row[0]) for row in rows])
    head = f"{'file':<{width}}  " + "  ".join(columns)
    print(head, file=out)
    print("-" * len(head), file=out)
    for row in rows + [tuple(total)]:
        cells = "  ".join(f"{value:>{len(name)}}" for name, value in zip(columns, row[1:]))
        print(f"{row[0]:<{width}}  {cells}", file=out)
    for r in results:
        if r.undecodable_frames:
            print(f"note: {os.path.basename(r.path)}: {r.undecodable_frames} frame(s) with an undecodable link layer",
                  file=out)
    unknown = [d for r in results for d in r.unknown]
    if unknown:
        print(f"\n{len(unknown)} difference(s) not in {os.path.relpath(known.path)}:", file=out)
        for diff in unknown:
            print(f"  {diff}", file=out)
    if verbose:
        explained = [d for r in results for d in r.differences if d.known is not None]
        if explained:
            print(f"\n{len(explained)} known difference(s):", file=out)
            for diff in explained:
                print(f"  {diff}\n      known: {' '.join(diff.known.split())}", file=out)
        unused = [e for e in known.differences + known.malformed if not e.used]
        if unused:
            print(f"\nentries of {os.path.relpath(known.path)} that matched nothing in this run:", file=out)
            for entry in unused:
                print(f"  {entry.file} {entry.kind} {entry.field}", file=out)
        uncompared: collections.Counter = collections.Counter()
        for r in results:
            uncompared.update(r.uncompared)
        if uncompared:
            print("\ntshark fields shown but not compared (no rule or no model value):", file=out)
            for name, count in sorted(uncompared.items()):
                print(f"  {name}: {count}", file=out)
