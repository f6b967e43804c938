"""Running tshark and reading its RSVP dissection (PDML).

tshark is run once per file with ``-T pdml``.  PDML carries, for every field,
what ``-T json`` carries (name and displayed value) plus three things the
comparison needs: the byte position of each field (so our objects and
tshark's are lined up by offset, never by guesswork), duplicate fields in
order, and the display text, which is the only place where Wireshark 4.0
states its checksum verdict ("Message Checksum: 0x7d4d [incorrect, should be
0x7d62]"; there is no checksum-status field).

``-o rsvp.process_bundle:TRUE`` makes Wireshark dissect the messages inside a
Bundle (when the preference exists), and ``-d udp.port==1698,rsvp`` /
``1699`` decode RFC 2205 appendix C UDP encapsulation, which Wireshark does
not register by default (it registers UDP 3455 only).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from xml.etree import ElementTree

_CHECKSUM_VERDICT = re.compile(r"\[(correct|incorrect|ignored)[^\]]*\]")


@dataclasses.dataclass(slots=True)
class Leaf:
    """One displayed field: name, displayed value, raw hex value, byte position."""

    name: str
    show: str
    value: str
    pos: int
    size: int


@dataclasses.dataclass(slots=True)
class Group:
    """An unnamed subtree of an object (a sub-object, TLV or service block): its title and fields."""

    title: str
    leaves: list[Leaf]


@dataclasses.dataclass(slots=True)
class TsharkObject:
    """One RSVP object as tshark dissected it: its own fields and its groups, in document order."""

    name: str  # the object's tree item, e.g. "rsvp.session", "rsvp.obj_unknown"
    pos: int
    size: int
    class_num: int | None
    c_type: int | None
    length: int | None
    leaves: list[Leaf]
    groups: list[Group]

    def all_leaves(self) -> list[Leaf]:
        return self.leaves + [leaf for group in self.groups for leaf in group.leaves]


@dataclasses.dataclass(slots=True)
class TsharkMessage:
    pos: int
    header: dict[str, Leaf]
    checksum_verdict: str | None  # "correct", "incorrect", "ignored" or None (not shown)
    objects: list[TsharkObject]
    sub_messages: list[TsharkMessage]


@dataclasses.dataclass(slots=True)
class TsharkPacket:
    frame: int
    messages: list[TsharkMessage]


class TsharkError(Exception):
    """tshark could not be run or its output could not be read."""


def find(program: str = "tshark") -> str | None:
    """The path of the tshark executable, or None."""
    return shutil.which(program)


@functools.cache
def _preferences(program: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [program, "-G", "defaultprefs"], capture_output=True, text=True, timeout=120, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(m.group(1) for m in re.finditer(r"^#?\s*(rsvp\.[\w.]+):", out, re.MULTILINE))


@functools.cache
def version(program: str = "tshark") -> str:
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.splitlines()[0] if out else "unknown"


def command(path: str, program: str = "tshark") -> list[str]:
    args = [program, "-n", "-r", path, "-T", "pdml", "-d", "udp.port==1698,rsvp", "-d", "udp.port==1699,rsvp"]
    if "rsvp.process_bundle" in _preferences(program):
        args += ["-o", "rsvp.process_bundle:TRUE"]
    return args


def dissect(path: str, program: str = "tshark") -> Iterator[TsharkPacket]:
    """tshark's dissection of every frame of ``path`` that has RSVP in it."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: tshark never blocks on stderr
        try:
            proc = subprocess.Popen(command(path, program), stdout=subprocess.PIPE, stderr=errors)
        except OSError as exc:
            raise TsharkError(f"cannot run {program}: {exc}") from None
        assert proc.stdout is not None
        try:
            for _, element in ElementTree.iterparse(proc.stdout, events=("end",)):
                if element.tag != "packet":
                    continue
                packet = _packet(element)
                element.clear()
                if packet is not None:
                    yield packet
        except ElementTree.ParseError as exc:
            raise TsharkError(f"unreadable tshark output for {path}: {exc}") from None
        finally:
            proc.stdout.close()
            code = proc.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    if code not in (0, 2):  # 2: the capture was cut short, the packets read are still reported
        raise TsharkError(f"{program} exited with status {code}: {stderr}")


def _packet(element: ElementTree.Element) -> TsharkPacket | None:
    frame = 0
    messages = []
    for proto in element:
        name = proto.get("name")
        if name == "geninfo":
            for field in proto:
                if field.get("name") == "num":
                    frame = int(field.get("show", "0"))
        elif name == "rsvp":
            messages.append(_message(proto))
    return TsharkPacket(frame, messages) if messages else None


def _int(text: str | None) -> int | None:
    try:
        return int(text, 0) if text is not None else None
    except ValueError:
        return None


def _message(proto: ElementTree.Element) -> TsharkMessage:
    header: dict[str, Leaf] = {}
    verdict = None
    objects, subs = [], []
    for child in proto:
        if child.tag == "proto" and child.get("name") == "rsvp":
            subs.append(_message(child))
            continue
        direct = {c.get("name"): c for c in child}
        if "rsvp.msg" in direct:
            for name, field in direct.items():
                header[name or ""] = _leaf(field)
            checksum = direct.get("rsvp.message_checksum")
            if checksum is not None:
                found = _CHECKSUM_VERDICT.search(checksum.get("showname", ""))
                verdict = found.group(1) if found else None
        elif "rsvp.object" in direct or "rsvp.length" in direct:
            objects.append(_object(child, direct))
    return TsharkMessage(int(proto.get("pos", "0")), header, verdict, objects, subs)


def _object(element: ElementTree.Element, direct: dict) -> TsharkObject:
    def number(name: str) -> int | None:
        field = direct.get(name)
        return _int(field.get("show")) if field is not None else None

    leaves: list[Leaf] = []
    groups: list[Group] = []
    for field in element:  # the object header is read above; rsvp.ctype.<class> repeats the C-Type
        name = field.get("name", "")
        if name in ("rsvp.length", "rsvp.object") or name.startswith("rsvp.ctype"):
            continue
        if not name and len(field):
            group = Group(field.get("show", ""), [])
            for child in field:
                _collect(child, group.leaves)
            groups.append(group)
        else:
            _collect(field, leaves)
    return TsharkObject(
        element.get("name", ""),
        int(element.get("pos", "0")),
        int(element.get("size", "0")),
        number("rsvp.object"),
        number("rsvp.ctype"),
        number("rsvp.length"),
        leaves,
        groups,
    )


def _collect(field: ElementTree.Element, leaves: list[Leaf]) -> None:
    """Depth-first, document order; hidden duplicates (hide="yes") and expert infos are skipped."""
    name = field.get("name", "")
    if name.startswith("_ws."):
        return
    if name and field.get("hide") != "yes" and "show" in field.attrib:
        leaves.append(_leaf(field))
    for child in field:
        _collect(child, leaves)


def _leaf(field: ElementTree.Element) -> Leaf:
    return Leaf(
        field.get("name", ""),
        field.get("show", ""),
        field.get("value", ""),
        int(field.get("pos", "0")),
        int(field.get("size", "0")),
    )
