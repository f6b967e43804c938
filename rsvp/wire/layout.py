"""Fixed-size layouts: declared with construct, executed with :mod:`struct`.

Every fixed-size body (or fixed-size head of a variable body) is declared once
as a construct ``Struct`` whose field names are the model's field names.  When
the module loads, the declaration is *lowered* to one ``struct.Struct`` plus a few
per-field converters (addresses, 24-bit integers, NaN checks), and
:meth:`Layout.compile` generates, per model class, a constructor-calling
decoder and an encoder with no per-field interpretation left.  construct's own
interpreted parser is ~100x slower; it remains available (``Layout.construct``)
and the test suite checks that both read the same values from the same bytes.

The fast path is only ever run after the framing code has checked that exactly
``size`` bytes are present, which is what makes it safe on untrusted input.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Callable

from construct import Adapter, Bytes, BytesInteger, Construct, FormatField, Padded, Renamed, Struct


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

_ADDRESS_CACHE_LIMIT = 65536


def _interner(factory: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``factory`` memoised by argument, bounded: addresses repeat across objects and refreshes."""
    cache: dict[Any, Any] = {}

    def intern(value: Any) -> Any:
        address = cache.get(value)
        if address is None:
            if len(cache) >= _ADDRESS_CACHE_LIMIT:
                cache.clear()
            address = cache[value] = factory(value)
        return address

    return intern


ipv4: Callable[[int], IPv4Address] = _interner(IPv4Address)
ipv6: Callable[[bytes], IPv6Address] = _interner(IPv6Address)


def _not_nan(value: float) -> float:
    """RSVP floats are rates and sizes: +inf is meaningful, NaN never is (and would not round-trip)."""
    if value != value:
        raise ValueError("NaN in a floating-point field")
    return value


def _int_from(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def _packed(address: IPv6Address) -> bytes:
    return address.packed


class Layout:
    """A construct ``Struct`` lowered to a ``struct.Struct`` with converters."""

    __slots__ = ("construct", "names", "format", "struct", "size", "_decoders", "_encoders")

    def __init__(self, *fields: Construct) -> None:
        self.construct = Struct(*fields)
        fmt: list[str] = []
        names: list[str] = []
        decoders: dict[int, Callable[[Any], Any]] = {}
        encoders: dict[int, Callable[[Any], Any]] = {}
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
                    decoders[index] = _not_nan
            elif isinstance(inner, _Address) and inner.address_class is IPv4Address:
                fmt.append("I")
                decoders[index], encoders[index] = ipv4, int
            elif isinstance(inner, _Address):
                fmt.append("16s")
                decoders[index], encoders[index] = ipv6, _packed
            elif isinstance(inner, BytesInteger) and not inner.signed and not inner.swapped:
                width = inner.length
                fmt.append(f"{width}s")
                decoders[index] = _int_from
                encoders[index] = lambda v, w=width: v.to_bytes(w, "big")
            elif isinstance(inner, Bytes) and isinstance(inner.length, int):
                fmt.append(f"{inner.length}s")
            else:
                raise TypeError(f"cannot lower field {sub.name!r} ({inner!r})")
        self.names = tuple(names)
        self.format = "".join(fmt)
        self.struct = struct.Struct(">" + self.format)
        self.size = self.struct.size
        self._decoders = decoders
        self._encoders = encoders

    def unpack(self, data: bytes, offset: int = 0) -> list[Any]:
        """Field values in declaration order (caller has checked the size)."""
        values = list(self.struct.unpack_from(data, offset))
        for index, convert in self._decoders.items():
            values[index] = convert(values[index])
        return values

    def pack(self, values: list[Any]) -> bytes:
        for index, convert in self._encoders.items():
            values[index] = convert(values[index])
        return self.struct.pack(*values)

    def compile(
        self, build: Callable[..., Any], fields: tuple[str, ...], header: tuple[int, int] | None = None
    ) -> tuple[Callable[..., Any], Callable[[Any], bytes]]:
        """Generate ``make(data, offset=0, *extras)`` and ``pack(obj) -> bytes``.

        ``make`` unpacks the layout and calls ``build`` with the values of
        ``fields`` (the model's fields in constructor order); fields that are not
        in the layout (a sub-object's L bit, say) become further ``make``
        arguments, default False.  With ``header`` = (class_num, c_type) the
        packer emits the 4-byte object header too, in the same ``pack`` call.
        """
        env: dict[str, Any] = {"build": build, "unpack_from": self.struct.unpack_from}
        values = {}
        for i, name in enumerate(self.names):
            values[name] = f"v{i}"
            if i in self._decoders:
                env[f"dec{i}"] = self._decoders[i]
                values[name] = f"dec{i}(v{i})"
        extras = [name for name in fields if name not in values]
        variables = [f"v{i}" for i in range(len(self.names))]
        lines = [
            f"def make({', '.join(['data', 'offset=0', *(f'{n}=False' for n in extras)])}):",
            f"    {', '.join(variables)}{',' if len(variables) == 1 else ''} = unpack_from(data, offset)",
            f"    return build({', '.join(values.get(name, name) for name in fields)})",
        ]
        packed = []
        for i, name in enumerate(self.names):
            if i in self._encoders:
                env[f"enc{i}"] = self._encoders[i]
                packed.append(f"enc{i}(self.{name})")
            else:
                packed.append(f"self.{name}")
        if header is None:
            env["pack_"] = self.struct.pack
        else:
            env["pack_"] = struct.Struct(">HBB" + self.format).pack
            packed = [str(self.size + 4), str(header[0]), str(header[1])] + packed
        lines += ["def pack(self):", f"    return pack_({', '.join(packed)})"]
        exec("\n".join(lines), env)  # noqa: S102 - source built above from field names only
        return env["make"], env["pack"]


class BitLayout:
    """A fixed body of 32-bit words split into bit fields, most significant bit first.

    For the few bodies whose fields are narrower than a byte (RFC 3209 section
    4.2.2/4.2.3 label ranges, RFC 3471 section 3.5.1 Label Set head), which
    :class:`Layout` cannot express.  One-bit fields are bools.
    """

    __slots__ = ("fields", "size", "_struct")

    def __init__(self, *words: tuple[tuple[str, int], ...]) -> None:
        fields = []
        for index, word in enumerate(words):
            shift = 32
            for name, width in word:
                shift -= width
                fields.append((name, index, shift, (1 << width) - 1))
            if shift:
                raise TypeError(f"bit layout word {index} has {32 - shift} bits, not 32")
        self.fields = tuple(fields)
        self._struct = struct.Struct(f">{len(words)}I")
        self.size = self._struct.size

    def unpack(self, data: bytes, offset: int = 0) -> dict[str, Any]:
        """Field values by name from ``size`` bytes at ``offset`` (length already checked)."""
        words = self._struct.unpack_from(data, offset)
        values: dict[str, Any] = {}
        for name, index, shift, mask in self.fields:
            value = (words[index] >> shift) & mask
            values[name] = bool(value) if mask == 1 else value
        return values

    def pack(self, obj: Any) -> bytes:
        words = [0] * (self.size // 4)
        for name, index, shift, mask in self.fields:
            value = int(getattr(obj, name))
            if not 0 <= value <= mask:
                raise ValueError(f"{name}={value} does not fit in {mask.bit_length()} bits")
            words[index] |= value << shift
        return self._struct.pack(*words)
