"""Mutation fuzzing of the codec from real messages: ``python -m conformance fuzz PATH...``.

Seeds are the well-formed messages of the given captures.  Each round takes a
seed and applies a few random mutations (byte flips, length-field rewrites,
truncation, splicing objects from another seed, duplicating a slice), then
checks the codec's contract: :func:`rsvp.wire.decode` raises nothing but
:class:`~rsvp.wire.MalformedMessage`, and whatever it accepts re-encodes to the
same bytes (checksum fields aside, since mutations break them).  Every input that
breaks the contract is written as a hex file into the corpus folder, which the
test suite replays forever (``tests/test_properties.py``).
"""

from __future__ import annotations

import pathlib
import random
import sys
import time
import traceback
from typing import Callable

from rsvp.wire import MalformedMessage, decode, encode

from .check import mask_checksums
from .pcap import RsvpPacket, capture_files, read_file

Mutation = Callable[[random.Random, bytearray, list[bytes]], None]


def _flip(rng: random.Random, buf: bytearray, seeds: list[bytes]) -> None:
    buf[rng.randrange(len(buf))] = rng.randrange(256)


def _length_field(rng: random.Random, buf: bytearray, seeds: list[bytes]) -> None:
    """Rewrite a 16-bit word at a 4-byte boundary, where object and message lengths live."""
    at = rng.randrange(0, max(1, len(buf) - 1), 4)
    value = rng.choice([0, 1, 2, 3, 4, 5, 8, 0xFFFF, rng.randrange(0x10000), len(buf), len(buf) + 4])
    buf[at : at + 2] = value.to_bytes(2, "big")


def _truncate(rng: random.Random, buf: bytearray, seeds: list[bytes]) -> None:
    del buf[rng.randrange(1, len(buf)) :]


def _splice(rng: random.Random, buf: bytearray, seeds: list[bytes]) -> None:
    other = rng.choice(seeds)
    start = rng.randrange(8, len(other), 4) if len(other) > 8 else 0
    buf[rng.randrange(8, len(buf) + 1, 4) if len(buf) > 8 else 0 :] = other[start:]


def _duplicate(rng: random.Random, buf: bytearray, seeds: list[bytes]) -> None:
    start = rng.randrange(len(buf))
    piece = buf[start : start + rng.choice([1, 2, 4, 8, 12])]
    buf[start:start] = piece


MUTATIONS: tuple[Mutation, ...] = (_flip, _flip, _length_field, _truncate, _splice, _duplicate)


def violation(data: bytes) -> str | None:
    """What is wrong with the codec's handling of ``data``, or None if it kept its contract."""
    try:
        message = decode(data, verify_checksum=False)
    except MalformedMessage:
        return None
    except Exception:  # noqa: BLE001 - any other exception is exactly what we hunt
        return "decode raised " + traceback.format_exc(limit=-1).strip().splitlines()[-1]
    try:
        raw = encode(message)
    except Exception:  # noqa: BLE001
        return "encode of a decoded message raised " + traceback.format_exc(limit=-1).strip().splitlines()[-1]
    if mask_checksums(raw, message) != mask_checksums(data, message):
        return "decoded message does not re-encode to the same bytes"
    return None


def seeds_from(paths: list[str]) -> list[bytes]:
    seeds = []
    for file in capture_files(paths):
        for record in read_file(file):
            if isinstance(record, RsvpPacket) and not record.missing:
                try:
                    decode(record.data, verify_checksum=False)
                except MalformedMessage:
                    continue
                seeds.append(record.data)
    return seeds


def run(paths: list[str], iterations: int, seed: int, corpus: str) -> int:
    seeds = seeds_from(paths)
    if not seeds:
        print("fuzz: no well-formed RSVP message in the given captures to start from", file=sys.stderr)
        return 2
    rng = random.Random(seed)
    found: dict[str, bytes] = {}
    started = last = time.monotonic()
    for done in range(1, iterations + 1):
        buf = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            if len(buf) > 1:
                rng.choice(MUTATIONS)(rng, buf, seeds)
        problem = violation(bytes(buf))
        if problem and problem not in found:
            found[problem] = bytes(buf)
            print(f"fuzz: {problem}", file=sys.stderr)
        if time.monotonic() - last > 2 or done == iterations:
            last = time.monotonic()
            rate = done / (last - started)
            print(f"\rfuzz: {done}/{iterations} inputs, {rate:.0f}/s, {len(found)} problem(s)",
                  end="" if done < iterations else "\n", file=sys.stderr)
    for index, (problem, data) in enumerate(found.items()):
        path = pathlib.Path(corpus) / f"fuzz-{seed}-{index}.hex"
        path.write_text(f"# found by python -m conformance fuzz --seed {seed}: {problem}\n{data.hex()}\n")
        print(f"fuzz: wrote {path}", file=sys.stderr)
    print(f"{iterations} inputs from {len(seeds)} seed messages: {len(found)} distinct problem(s)")
    return 1 if found else 0
