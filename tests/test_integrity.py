"""RFC 2747 integrity: signing, verification, replay windows, key rollover, the handshake, oracles."""

from __future__ import annotations

import hmac
import shutil
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import pcap, vectors
from rsvp.engine import integrity as i
from rsvp.engine.integrity import IntegrityGuard, Key, payload_offset
from rsvp.wire import Message, MsgType, decode, encode
from rsvp.wire.objects.integrity import Challenge, Integrity

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
HEAD, MID, TAIL = IPv4Address(vectors.HEAD), IPv4Address(vectors.MID), IPv4Address(vectors.TAIL)
SECRET = b"quasar-test-secret"
# Built field by field from the RFC diagrams (not by our encoder); RSVP_HOP is HEAD.
PATH = vectors.msg(vectors.PATH, vectors.session4(vectors.TAIL, 17, 0, 5004), vectors.hop4(vectors.HEAD, 3),
                   vectors.time_values(), vectors.filter4(vectors.HEAD, 5004, 11), vectors.tspec(*vectors.CL_BUCKET))
HELLO = vectors.msg(vectors.HELLO, vectors.obj(22, 1, vectors.u32(7), vectors.u32(0)))


def pair(algorithm: str = "hmac-md5", **receiver) -> tuple[IntegrityGuard, IntegrityGuard]:
    key = Key(0xA1, SECRET, algorithm)
    return IntegrityGuard({"a-b": [key]}), IntegrityGuard({"b-a": [key]}, **receiver)


def verify(rx: IntegrityGuard, data: bytes, now: float = 10.0, source: IPv4Address = HEAD) -> i.Verdict:
    return rx.verify(data, "b-a", source, now)


@pytest.mark.parametrize("algorithm, size", [("hmac-md5", 16), ("hmac-sha1", 20), ("hmac-sha256", 32)])
def test_signed_message_decodes_and_verifies(algorithm, size):
    tx, rx = pair(algorithm)
    signed = tx.sign(PATH, "a-b", MID, 10.0)
    message = decode(signed)  # the real codec: lengths and checksum right
    first = message.objects[0]
    assert isinstance(first, Integrity) and first.key_id == 0xA1 and first.handshake
    assert len(first.digest) == size and first.sequence_number == 10 << 32  # RFC 2747 3.2: seconds, then a counter
    assert message.objects[1:] == decode(PATH).objects
    assert payload_offset(signed) == 8 + 20 + size and signed[payload_offset(signed):] == PATH[8:]
    assert verify(rx, signed) == i.Verdict(True, i.ACCEPTED)


def test_zero_checksum_stays_zero_and_double_signing_is_a_bug():
    tx, rx = pair()
    unsummed = PATH[:2] + b"\x00\x00" + PATH[4:]
    signed = tx.sign(unsummed, "a-b", None, 1.0)
    assert signed[2:4] == b"\x00\x00" and decode(signed).objects[1:] == decode(PATH).objects
    assert verify(rx, signed).ok
    with pytest.raises(ValueError, match="already"):
        tx.sign(signed, "a-b", None, 1.0)


def test_golden_vector_from_the_rfc_capture():
    """conformance/vectors.py signs with its own HMAC code: our verifier must accept its Path and Response."""
    frames = [p for p in pcap.read_file(str(CAPTURES / "rfc2747-integrity.pcap")) if isinstance(p, pcap.RsvpPacket)]
    path = next(p for p in frames if p.data[1] == MsgType.PATH)
    rx = IntegrityGuard({"x": [Key(0xA1, vectors.INTEGRITY_KEY)]})
    assert rx.verify(path.data, "x", IPv4Address(path.src), 0.0).ok
    tampered = bytearray(path.data)
    tampered[-1] ^= 1
    assert rx.verify(bytes(tampered), "x", IPv4Address(path.src), 0.0).reason == i.BAD_DIGEST


def test_every_tampered_byte_is_rejected():
    """Every byte but the checksum (outside the digest, section 4.2 step 1) is covered."""
    tx, rx = pair(window=1 << 12)
    signed = tx.sign(PATH, "a-b", None, 1.0)
    for index in range(len(signed)):
        if index in (2, 3):
            continue
        for flip in (0x01, 0x80):
            damaged = bytearray(signed)
            damaged[index] ^= flip
            assert not verify(rx, bytes(damaged)).ok, index
    assert verify(rx, signed).ok
    counts = rx.snapshot()
    assert counts[i.BAD_DIGEST] > 0 and counts[i.ACCEPTED] == 1


def test_missing_unknown_and_unsecured():
    tx, rx = pair()
    assert verify(rx, PATH).reason == i.MISSING
    other = IntegrityGuard({"a-b": [Key(0xB2, SECRET)]}).sign(PATH, "a-b", None, 1.0)
    assert verify(rx, other).reason == i.UNKNOWN_KEY
    assert rx.verify(PATH, "unsecured-if", HEAD, 1.0) == i.Verdict(True, i.UNSECURED)
    assert tx.sign(PATH, "unsecured-if", None, 1.0) == PATH
    assert verify(rx, PATH[:-4]).reason == i.MALFORMED


def test_replay_and_reordering_window():
    tx, rx = pair(window=4)
    sent = [tx.sign(HELLO, "a-b", None, 5.0) for _ in range(8)]
    assert [verify(rx, sent[k]).reason for k in (0, 3, 2, 2, 1, 0)] == [
        i.ACCEPTED, i.ACCEPTED, i.ACCEPTED, i.REPLAY, i.ACCEPTED, i.REPLAY]
    assert verify(rx, sent[7]).ok
    assert verify(rx, sent[3]).reason == i.TOO_OLD  # 7 - 3 = 4: below the 4-number window
    assert verify(rx, sent[4]).ok
    assert verify(rx, sent[4]).reason == i.REPLAY


def test_window_of_one_accepts_only_increasing_numbers():
    tx, rx = pair(window=1)
    first, second = (tx.sign(HELLO, "a-b", None, 5.0) for _ in range(2))
    assert verify(rx, second).ok
    assert verify(rx, first).reason == i.TOO_OLD


def test_sequence_numbers_are_modulo_2_64():
    window = i._Window((1 << 64) - 2)
    assert window.accept(1, 8) == i.ACCEPTED and window.highest == 1  # 2**64 - 2 -> 1 is three ahead
    assert window.accept((1 << 64) - 1, 8) == i.ACCEPTED
    assert window.accept((1 << 64) - 2, 8) == i.REPLAY
    assert window.accept(1 << 40, 8) == i.ACCEPTED  # a jump far ahead resets the bitmap cheaply


def test_sequence_increases_across_a_restart():
    """RFC 2747 section 3.2: a restarted sender (new guard, clock moved on) still sends higher numbers."""
    tx, rx = pair()
    before = [tx.sign(HELLO, "a-b", None, 100.0) for _ in range(3)]
    after = IntegrityGuard({"a-b": [Key(0xA1, SECRET)]}).sign(HELLO, "a-b", None, 101.0)
    seqs = [decode(m).objects[0].sequence_number for m in before + [after]]
    assert seqs == sorted(set(seqs)) and seqs[0] == 100 << 32
    assert all(verify(rx, m).ok for m in before + [after])


def test_key_rollover():
    """RFC 2747 section 5.1: overlapping lifetimes; send with the newest, accept any valid one."""
    old, new = Key(1, b"old", start_s=0, end_s=100), Key(2, b"new", "hmac-sha256", start_s=50)
    tx = IntegrityGuard({"a-b": [old, new]})
    rx = IntegrityGuard({"b-a": [old, new]})
    early, overlap = tx.sign(HELLO, "a-b", None, 10.0), tx.sign(HELLO, "a-b", None, 60.0)
    assert decode(early).objects[0].key_id == 1 and decode(overlap).objects[0].key_id == 2
    assert verify(rx, early, now=60.0).ok and verify(rx, overlap, now=60.0).ok
    late_old = IntegrityGuard({"a-b": [old]}).sign(HELLO, "a-b", None, 20.0)
    assert verify(rx, late_old, now=120.0).reason == i.KEY_NOT_VALID
    assert verify(rx, overlap, now=40.0).reason == i.KEY_NOT_VALID  # before KeyStartValid


def test_expired_last_key_lives_on_and_future_key_cannot_send():
    """RFC 2747 section 5.3: never fall back to unauthenticated; the last key stays in use."""
    expired = Key(1, SECRET, end_s=10)
    tx, rx = IntegrityGuard({"a-b": [expired]}), IntegrityGuard({"b-a": [expired]})
    assert verify(rx, tx.sign(HELLO, "a-b", None, 50.0), now=50.0).ok
    future = IntegrityGuard({"a-b": [Key(1, SECRET, start_s=100)]})
    assert future.sign(HELLO, "a-b", None, 50.0) is None and future.snapshot()["no_send_key"] == 1


def test_wall_offset_maps_engine_time_to_key_lifetimes():
    key = Key(1, SECRET, start_s=1_000_000)
    tx = IntegrityGuard({"a-b": [key]}, wall_offset_s=1_000_000)
    signed = tx.sign(HELLO, "a-b", None, 5.0)
    assert decode(signed).objects[0].sequence_number == 1_000_005 << 32


def test_neighbor_chain_wins_and_sender_comes_from_rsvp_hop():
    """Path's IP source may be the ingress (RFC 2205 3.1.3): RSVP_HOP names the sender (RFC 2747 section 4)."""
    hop_key, if_key = Key(7, b"neighbour"), Key(8, b"interface")
    tx = IntegrityGuard({"a-b": [if_key]}, {MID: [hop_key]})
    rx = IntegrityGuard({"b-a": [if_key]}, {HEAD: [hop_key]})
    to_mid, to_other = tx.sign(PATH, "a-b", MID, 1.0), tx.sign(PATH, "a-b", TAIL, 1.0)
    assert decode(to_mid).objects[0].key_id == 7 and decode(to_other).objects[0].key_id == 8
    assert rx.verify(to_mid, "b-a", IPv4Address("10.9.9.9"), 1.0).ok  # RSVP_HOP HEAD -> neighbour chain
    assert rx.verify(tx.sign(HELLO, "a-b", MID, 1.0), "b-a", HEAD, 1.0).ok  # no RSVP_HOP: IP source
    # a replay from another IP source is still the same sender's replay
    assert rx.verify(to_mid, "b-a", IPv4Address("10.1.1.1"), 1.0).reason == i.REPLAY


def test_bundles():
    """RFC 2961 section 3.2: sign the Bundle as a whole, or each bundled message."""
    tx, rx = pair()
    bundle = vectors.msg(12, HELLO, PATH)
    assert verify(rx, tx.sign(bundle, "a-b", None, 1.0)).ok
    inner = vectors.msg(12, tx.sign(HELLO, "a-b", None, 1.0), tx.sign(PATH, "a-b", None, 1.0))
    assert verify(rx, inner).ok
    assert verify(rx, inner).reason == i.REPLAY
    assert verify(rx, vectors.msg(12, tx.sign(HELLO, "a-b", None, 2.0), PATH)).reason == i.MISSING
    assert verify(rx, vectors.msg(12, vectors.msg(12, HELLO))).reason == i.MALFORMED


def test_challenge_response_round_trip():
    """RFC 2747 section 4.3 with the RFC 3097 message types 25/26."""
    tx, rx = pair(handshake_secret=b"local", challenge_retry_s=2.0)
    stale = tx.sign(PATH, "a-b", None, 1.0)
    first = verify(rx, stale, now=3.0)
    assert (first.ok, first.reason, first.reply_to) == (False, i.UNSYNCHRONISED, HEAD)
    challenge = decode(first.reply)
    assert challenge.msg_type == MsgType.INTEGRITY_CHALLENGE
    cookie = challenge.objects[0]
    assert isinstance(cookie, Challenge) and cookie.key_id == 0xA1
    assert verify(rx, tx.sign(PATH, "a-b", None, 1.0), now=4.0).reply is None  # not repeated within the retry time
    repeat = verify(rx, tx.sign(PATH, "a-b", None, 1.0), now=5.0)
    assert decode(repeat.reply).objects == challenge.objects  # repeated with the same cookie

    answer = tx.verify(first.reply, "a-b", MID, 5.0)  # accepted unchecked by the sender
    assert (answer.ok, answer.reason, answer.reply_to) == (False, i.CHALLENGE_ANSWERED, MID)
    response = decode(answer.reply)
    assert response.msg_type == MsgType.INTEGRITY_RESPONSE and response.objects[1] == cookie

    assert verify(rx, answer.reply, source=HEAD, now=5.0) == i.Verdict(False, i.RESYNCHRONISED)
    assert verify(rx, answer.reply, source=HEAD, now=5.0).reason == i.BAD_CHALLENGE  # no replay of Responses
    assert verify(rx, stale, now=6.0).reason == i.TOO_OLD  # signed before the Response
    assert verify(rx, tx.sign(PATH, "a-b", None, 6.0), now=6.0).ok
    assert rx.snapshot()["challenges_pending"] == 0


def test_forged_or_foreign_challenge_responses():
    tx, rx = pair(handshake_secret=b"local")
    verdict = verify(rx, tx.sign(HELLO, "a-b", None, 1.0))
    (real,) = decode(verdict.reply).objects
    forged = encode(Message(MsgType.INTEGRITY_CHALLENGE, (Challenge(real.key_id, real.cookie ^ 1),)))
    wrong = tx.verify(forged, "a-b", MID, 1.0).reply
    assert verify(rx, wrong).reason == i.BAD_CHALLENGE
    unknown = encode(Message(MsgType.INTEGRITY_CHALLENGE, (Challenge(0xFF, 1),)))
    assert tx.verify(unknown, "a-b", MID, 1.0).reason == i.UNKNOWN_KEY
    assert tx.verify(unknown, "unsecured-if", MID, 1.0).reason == i.UNKNOWN_KEY
    assert tx.verify(unknown[:-4], "a-b", MID, 1.0).reason == i.MALFORMED


def test_senders_without_handshake_flag_start_the_window():
    """Section 4.3: receivers SHOULD NOT handshake with senders whose HF is 0."""
    _, rx = pair(handshake_secret=b"local")
    signed = bytearray(IntegrityGuard({"a-b": [Key(0xA1, SECRET)]}).sign(HELLO, "a-b", None, 1.0))
    signed[12], signed[28:44] = 0, bytes(16)  # clear HF and re-sign, as an HF = 0 implementation would
    signed[28:44] = hmac.digest(SECRET, bytes(signed[:2]) + b"\0\0" + bytes(signed[4:]), "md5")
    assert verify(rx, bytes(signed)) == i.Verdict(True, i.ACCEPTED)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.sampled_from([0, 1, 12, 25, 26]))
def test_garbage_never_raises(data, msg_type):
    tx, rx = pair(handshake_secret=b"s")
    for blob in (data, bytes([0x10, msg_type, 0, 0, 1, 0]) + (len(data) + 8).to_bytes(2, "big") + data):
        assert isinstance(verify(rx, blob), i.Verdict)
        assert isinstance(tx.verify(blob, "a-b", MID, 1.0), i.Verdict)


def test_configuration_errors():
    with pytest.raises(ValueError):
        Key(1 << 48, SECRET)
    with pytest.raises(ValueError):
        Key(1, SECRET, "md4")
    with pytest.raises(ValueError):
        IntegrityGuard({"x": [Key(1, b"a"), Key(1, b"b")]})
    with pytest.raises(ValueError):
        IntegrityGuard({"x": []})
    with pytest.raises(ValueError):
        IntegrityGuard(window=0)


# --- independent oracles ---------------------------------------------------------------------


def _capture(tmp_path, *messages: bytes) -> str:
    frames = tuple(vectors.Frame(m, vectors.HEAD, vectors.TAIL) for m in messages)
    return vectors.write(vectors.Capture("signed.pcap", "signed by IntegrityGuard", frames), str(tmp_path))


def test_tshark_shows_our_integrity_object(tmp_path):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    md5 = IntegrityGuard({"e": [Key(0xA1B2C3, SECRET)]}).sign(PATH, "e", None, 7.0)
    sha = IntegrityGuard({"e": [Key(0xD4, SECRET, "hmac-sha256")]}).sign(PATH, "e", None, 9.0)
    out = subprocess.run(["tshark", "-r", _capture(tmp_path, md5, sha), "-V"], capture_output=True, text=True,
                         check=True).stdout
    assert "Key Identifier: 000000a1b2c3" in out and f"Sequence Number: {7 << 32}" in out
    assert "Key Identifier: 0000000000d4" in out and f"Sequence Number: {9 << 32}" in out
    assert out.count("Message Checksum") == 2 and "incorrect" not in out
    assert f"Hash: {decode(sha).objects[0].digest.hex()}" in out


def test_tcpdump_verifies_our_hmac_md5(tmp_path):
    """tcpdump -M checks RSVP HMAC-MD5 digests with its own code (print-rsvp.c, signature.c)."""
    if shutil.which("tcpdump") is None:
        pytest.skip("tcpdump is not installed")
    signed = IntegrityGuard({"e": [Key(0xA1, SECRET)]}).sign(PATH, "e", None, 7.0)
    path = _capture(tmp_path, signed)
    def tcpdump(secret: str) -> str:
        return subprocess.run(["tcpdump", "-r", path, "-vvv", "-M", secret], check=False, capture_output=True,
                              text=True).stdout

    good = tcpdump(SECRET.decode())
    if "MD5-sum" not in good:
        pytest.skip("this tcpdump does not verify RSVP digests")
    assert "(valid)" in good
    assert "(invalid)" in tcpdump("other")
