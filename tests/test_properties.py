"""Property tests: every object and message round-trips; garbage raises only MalformedMessage."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conformance.fuzz import seeds_from, violation
from rsvp.wire import MalformedMessage, decode, encode
from rsvp.wire.model import OBJECT_TYPES, FixedRecord

from .strategies import STRATEGIES, messages
from .test_codec import PATH_2205, SCAPY_RESV
from .wirehelp import path_message

CORPUS = pathlib.Path(__file__).parent / "corpus"
SEEDS = [SCAPY_RESV, PATH_2205, *seeds_from([str(pathlib.Path(__file__).parent.parent / "captures")])]


def test_every_registered_object_has_a_strategy():
    missing = sorted(f"{k}: {cls.__name__}" for k, cls in OBJECT_TYPES.items() if cls not in STRATEGIES)
    assert not missing, f"objects without a hypothesis strategy: {missing}"


@pytest.mark.parametrize("cls", sorted(STRATEGIES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_object_round_trip(cls):
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(STRATEGIES[cls])
    def check(obj):
        raw = obj.encode()
        again = decode(path_message(raw)).objects[0]
        assert again == obj
        assert again.encode() == raw

    check()




@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_message_round_trip(message):
    raw = encode(message)
    again = decode(raw)
    assert again == message
    assert encode(again) == raw


def _decode_only_malformed(data: bytes) -> None:
    """decode raises only MalformedMessage (with a sane offset); what it accepts re-encodes exactly."""
    try:
        decode(data, verify_checksum=False)
    except MalformedMessage as exc:
        assert exc.reason and (exc.offset is None or 0 <= exc.offset <= len(data))
    assert violation(data) is None


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=200))
@example(b"\x10\x01\x00\x00\xff\x00\x00\x0c\x00\x00\x01\x01")
def test_random_bytes_raise_only_malformed(data):
    _decode_only_malformed(data)


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_messages_raise_only_malformed(seed, data):
    buf = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 6))):
        where = data.draw(st.integers(0, len(buf) - 1))
        buf[where] = data.draw(st.integers(0, 255))
    _decode_only_malformed(bytes(buf))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(max_objects=5))
def test_every_strict_prefix_is_rejected(message):
    raw = encode(message)
    for cut in range(len(raw)):
        with pytest.raises(MalformedMessage):
            decode(raw[:cut])


@pytest.mark.parametrize("cls", sorted({c for c in OBJECT_TYPES.values() if issubclass(c, FixedRecord)},
                                       key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_lowered_layout_agrees_with_construct(cls):
    """The struct fast path and construct's own parser read the same values from the same bytes."""

    @settings(max_examples=40, deadline=None)
    @given(st.binary(min_size=cls.LAYOUT.size, max_size=cls.LAYOUT.size))
    def check(raw):
        try:
            fast = cls.LAYOUT.unpack(raw)
        except ValueError:  # NaN in a float field: rejected by the fast path by design
            return
        parsed = cls.LAYOUT.construct.parse(raw)
        assert fast == [parsed[name] for name in cls.LAYOUT.names]
        assert cls.LAYOUT.construct.build(dict(zip(cls.LAYOUT.names, fast))) == raw or _has_padding(cls)

    check()


def _has_padding(cls) -> bool:
    return cls.LAYOUT.struct.format.count("x") > 0


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.hex")), ids=lambda p: p.stem)
def test_corpus_regressions(path):
    """Inputs that once broke the codec (found by fuzzing), kept forever."""
    data = bytes.fromhex("".join(line.split("#")[0] for line in path.read_text().splitlines()))
    _decode_only_malformed(data)
