"""Fixed-size layouts: declared with construct, executed with :mod:`struct`.

Every fixed-size body (or fixed-size head of a variable body) is declared once
as a construct ``Struct`` whose field names are the model's field names.  At
import time the declaration is *lowered* to one ``struct.Struct`` plus a few
per-field converters (addresses, 24-bit integers), so decoding a body is one
``unpack_from`` and a constructor call.  construct's own interpreted parser is
~100x slower; it remains available (``Layout.construct``) and the test suite
checks that both agree.

Lowering is only ever applied after the framing code has checked that exactly
``size`` bytes are present, which is what makes the fast path safe on
untrusted input.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Callable

from construct import (
    Adapter,
    Bytes,
    BytesInteger,
    Construct,
    FormatField,
    Padded,
    Renamed,
    Struct,
)


class _Address(Adapter):
    """An IPv4 or IPv6 address field (``ipaddress`` objects in the model)."""

    def __init__(self, cls: type) -> None:
        super().__init__(Bytes(4 if cls is IPv4Address else 16))
        self.address_class = cls

    def _decode(self, obj: bytes, context: Any, path: Any) -> Any:
        return self.address_class(obj)

    def _encode(self, obj: Any, context: Any, path: Any) -> bytes:
        return self.address_class(obj).packed


IPv4 = _Address(IPv4Address)
IPv6 = _Address(IPv6Address)


class Layout:
    """A construct ``Struct`` lowered to a ``struct.Struct`` with converters."""

    __slots__ = ("construct", "names", "struct", "size", "_decoders", "_encoders")

    def __init__(self, *fields: Construct) -> None:
        self.construct = Struct(*fields)
        fmt = [">"]
        names: list[str] = []
        decoders: list[tuple[int, Callable[[Any], Any]]] = []
        encoders: list[tuple[int, Callable[[Any], Any]]] = []
        for sub in self.construct.subcons:
            inner = sub.subcon if isinstance(sub, Renamed) else sub
            if isinstance(inner, Padded):  # anonymous padding: skipped on both sides
                fmt.append(f"{inner.length}x")
                continue
            if not isinstance(sub, Renamed):
                raise TypeError(f"unnamed field {sub!r} in layout")
            index = len(names)
            names.append(sub.name)
            if isinstance(inner, FormatField):
                fmt.append(inner.fmtstr[1:])
                if inner.fmtstr[1:] == "f":
                    decoders.append((index, _not_nan))
            elif isinstance(inner, _Address):
                fmt.append(f"{inner.subcon.length}s")
                decoders.append((index, inner.address_class))
                encoders.append((index, _packed))
            elif isinstance(inner, BytesInteger) and not inner.signed and not inner.swapped:
                width = inner.length
                fmt.append(f"{width}s")
                decoders.append((index, _from_bytes))
                encoders.append((index, lambda v, w=width: v.to_bytes(w, "big")))
            elif isinstance(inner, Bytes) and isinstance(inner.length, int):
                fmt.append(f"{inner.length}s")
            else:
                raise TypeError(f"cannot lower field {sub.name!r} ({inner!r})")
        self.names = tuple(names)
        self.struct = struct.Struct("".join(fmt))
        self.size = self.struct.size
        self._decoders = tuple(decoders)
        self._encoders = tuple(encoders)

    def unpack(self, data: bytes, offset: int = 0) -> list[Any]:
        """Field values in declaration order (caller has checked the size)."""
        values = list(self.struct.unpack_from(data, offset))
        for index, convert in self._decoders:
            values[index] = convert(values[index])
        return values

    def pack(self, values: list[Any]) -> bytes:
        for index, convert in self._encoders:
            values[index] = convert(values[index])
        return self.struct.pack(*values)


def _not_nan(value: float) -> float:
    """RSVP floats are rates and sizes: +inf is meaningful, NaN never is (and would not round-trip)."""
    if value != value:
        raise ValueError("NaN in a floating-point field")
    return value


def _packed(address: Any) -> bytes:
    return address.packed


def _from_bytes(raw: bytes) -> int:
    return int.from_bytes(raw, "big")
