"""Generic rendering of decoded messages: JSON and tcpdump -v style text.

Everything is driven by ``dataclasses.fields`` of the model, so objects added
to :mod:`rsvp.wire` later render without changes here.  Conventions:

* enums render as their name, addresses as strings, bytes as hex, floats as
  floats (infinities as the strings ``"inf"`` / ``"-inf"``, which JSON lacks);
* every object carries ``class`` (its model class name), ``class_num`` and
  ``c_type``; nested records carry ``class`` too, so mixed sub-object lists
  stay readable;
* reserved fields (keyword-only, excluded from ``==``) appear only when a
  sender set them non-zero.

JSON text is written directly (one writer per type, built on first sight)
rather than through dicts and ``json.dumps``: ``decode --json`` is measured
against ``tshark -T json``.  The dict form (:func:`message_dict`) is parsed
back from that text, so there is one rendering, not two.  Refreshes repeat
objects and the codec shares decoded objects and hops, so the text of every
record is memoised by identity (the cache holds a reference, so an id is
never reused while cached).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address, IPv6Address
from json.encoder import encode_basestring_ascii as _json_str  # type: ignore[attr-defined]
from socket import inet_ntoa
from typing import Any

from rsvp.wire import ClassNum, MalformedMessage, Message, RsvpObject

_Plan = tuple[tuple[str, bool], ...]  # (field name, is reserved)
_plans: dict[type, _Plan] = {}
_CACHE_LIMIT = 16384
_json_cache: dict[int, tuple[Any, str]] = {}


def _plan(cls: type) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = tuple((f.name, f.kw_only and not f.compare) for f in dataclasses.fields(cls))
        _plans[cls] = plan
    return plan


def _fields(record: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) of a record's fields, reserved ones only when non-zero."""
    for name, is_reserved in _plan(type(record)):
        value = getattr(record, name)
        if is_reserved and not value:
            continue
        yield name, value


def class_name(class_num: int) -> str:
    try:
        return ClassNum(class_num).name
    except ValueError:
        return f"CLASS_{class_num}"


# --- JSON ---------------------------------------------------------------------------------


def _float(value: float) -> str:
    if math.isfinite(value):
        return repr(value)
    return '"inf"' if value > 0 else '"-inf"' if value < 0 else '"nan"'


_writers: dict[type, Callable[[Any], str]] = {
    bool: lambda v: "true" if v else "false",
    int: int.__repr__,
    str: _json_str,
    float: _float,
    type(None): lambda v: "null",
    IPv4Address: lambda v: f'"{inet_ntoa(v.packed)}"',  # same text as str(), several times faster
    IPv6Address: lambda v: f'"{v}"',
    bytes: lambda v: f'"{v.hex()}"',
    tuple: lambda v: "[" + ",".join([json_text(x) for x in v]) + "]",
}


def json_text(value: Any) -> str:
    """Compact JSON text of a model value: message, object, record, tuple or scalar."""
    writer = _writers.get(type(value))
    if writer is None:
        writer = _writers[type(value)] = _writer_for(type(value))
    return writer(value)


def _writer_for(cls: type) -> Callable[[Any], str]:
    if issubclass(cls, enum.Enum):
        return _enum
    if issubclass(cls, Message):
        return message_json
    if dataclasses.is_dataclass(cls):
        return _record_writer(cls)
    for base in (bool, int, str, float, bytes, tuple):  # other subclasses of the scalar types
        if issubclass(cls, base):
            return _writers[base]
    return lambda v: _json_str(repr(v))


def _enum(value: enum.Enum) -> str:
    """The member name; a flag combination without one (or an empty flag) as its number."""
    if value.name:
        return _json_str(value.name)
    return json_text(value.value) if not isinstance(value, int) else str(int(value))


def _record_writer(cls: type) -> Callable[[Any], str]:
    """A memoising writer for one record class: class name, class/C-Type for objects, fields."""
    is_object = issubclass(cls, RsvpObject)
    plan = tuple((n, f',"{n}":', r) for n, r in _plan(cls) if not (is_object and n in ("class_num", "c_type")))
    head = '{"class":' + _json_str(cls.__name__)
    writers = _writers

    def write(record: Any) -> str:
        key = id(record)
        hit = _json_cache.get(key)
        if hit is not None and hit[0] is record:
            return hit[1]
        parts = [head]
        if is_object:
            parts.append(f',"class_num":{int(record.class_num)},"c_type":{int(record.c_type)}')
        for name, prefix, is_reserved in plan:
            value = getattr(record, name)
            if is_reserved and not value:
                continue
            writer = writers.get(type(value))
            parts.append(prefix + (writer(value) if writer else json_text(value)))
        parts.append("}")
        text = "".join(parts)
        if len(_json_cache) >= _CACHE_LIMIT:
            _json_cache.clear()
        _json_cache[key] = (record, text)
        return text

    return write


def message_json(message: Message) -> str:
    """One decoded message as compact JSON text."""
    reserved = f',"reserved":{message.reserved}' if message.reserved else ""
    parts = [
        (
            f'{{"type":"{message.name}","type_num":{int(message.msg_type)},"flags":{message.flags},'
            f'"send_ttl":{message.send_ttl}{reserved},"objects":['
        ),
        ",".join([json_text(o) for o in message.objects]),
        "]",
    ]
    if message.sub_messages:
        parts += [',"sub_messages":[', ",".join([message_json(s) for s in message.sub_messages]), "]"]
    parts.append("}")
    return "".join(parts)


def jsonable(value: Any) -> Any:
    """The JSON-able (dict / list / scalar) form of a model value."""
    return json.loads(json_text(value))


def message_dict(message: Message) -> dict[str, Any]:
    """A decoded message as a JSON-able dict."""
    return json.loads(message_json(message))


def error_dict(error: MalformedMessage) -> dict[str, Any]:
    return {
        "reason": error.reason,
        "offset": error.offset,
        "class_num": error.class_num,
        "c_type": error.c_type,
        "error_code": error.error_code,
        "error_value": error.error_value,
    }


def dumps(value: Any) -> str:
    """Compact JSON text of a JSON-able value (dicts, lists, scalars)."""
    return json.dumps(value, separators=(",", ":"))


# --- text -----------------------------------------------------------------------------------


def _scalar_text(name: str, value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{value.name}({value.value})" if isinstance(value, int) else value.name
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"0x{value:x}" if "flags" in name or name in ("option_vector",) else str(value)
    if isinstance(value, float):
        return format(value, ".9g")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex() or "(empty)"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _is_record(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _record_lines(label: str, record: Any, indent: str, out: list[str]) -> None:
    inline: list[str] = []
    nested: list[tuple[str, Any]] = []
    for name, value in _fields(record):
        if name in ("class_num", "c_type") and label:
            continue
        if _is_record(value) or (isinstance(value, tuple) and any(_is_record(v) for v in value)):
            nested.append((name, value))
        elif isinstance(value, tuple):
            inline.append(f"{name} [{', '.join(_scalar_text(name, v) for v in value)}]")
        else:
            inline.append(f"{name} {_scalar_text(name, value)}")
    out.append(f"{indent}{label}{type(record).__name__}{': ' if inline else ''}{', '.join(inline)}")
    for name, value in nested:
        items = value if isinstance(value, tuple) else (value,)
        out.append(f"{indent}  {name}:")
        for item in items:
            if _is_record(item):
                _record_lines("", item, indent + "    ", out)
            else:
                out.append(f"{indent}    {_scalar_text(name, item)}")


_text_cache: dict[tuple[int, str], tuple[Any, list[str]]] = {}


def object_lines(obj: RsvpObject, indent: str) -> list[str]:
    """One object as text lines, memoised like the JSON text of records."""
    key = (id(obj), indent)
    hit = _text_cache.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]
    lines: list[str] = []
    _record_lines(f"{class_name(obj.class_num)} ({obj.class_num}/{obj.c_type}) ", obj, indent, lines)
    if len(_text_cache) >= _CACHE_LIMIT:
        _text_cache.clear()
    _text_cache[key] = (obj, lines)
    return lines


def message_lines(message: Message, indent: str = "  ") -> list[str]:
    """A decoded message as indented text lines (one per object, nested records below)."""
    out = [
        f"{indent}RSVPv1 {message.name}({int(message.msg_type)}), flags 0x{message.flags:x}, "
        f"send_ttl {message.send_ttl}" + (f", reserved 0x{message.reserved:02x}" if message.reserved else "")
    ]
    for obj in message.objects:
        out.extend(object_lines(obj, indent + "  "))
    for sub in message.sub_messages:
        out.extend(message_lines(sub, indent + "  "))
    return out


def error_text(error: MalformedMessage) -> str:
    return f"MALFORMED: {error}"
