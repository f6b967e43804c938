"""Message integrity: RFC 2747 keyed digests, replay windows and the integrity handshake.

Theory of operation.  An :class:`IntegrityGuard` holds key chains per interface
and per neighbour (RFC 2747 section 4: the sender picks the security
association by sending interface, optionally refined by destination; a
per-neighbour chain wins over the interface's).  It works on raw bytes, before
and after the codec:

* :meth:`IntegrityGuard.sign` takes an encoded message without INTEGRITY and
  returns it with an INTEGRITY object right after the common header, signed
  per section 4.1: checksum and digest zeroed, HMAC over the whole message,
  then the checksum recomputed if the input carried one (section 1 lets it
  stay 0).  Sequence numbers follow section 3.2: the high 32 bits are wall-clock
  seconds, the low 32 a counter, so they keep increasing across a restart.
* :meth:`IntegrityGuard.verify` reads only the common header, the INTEGRITY
  object and (to name the sending system, section 4) the RSVP_HOP address,
  recomputes one HMAC and checks the per-(sender, key id) replay window of
  section 4.2.  Every outcome is a :class:`Verdict` with a reason to count.
  Integrity Challenge (type 25) and Response (26, RFC 3097 section 2) messages
  are consumed here: the verdict's ``reply`` is the message to send back.

Digests: HMAC-MD5 (16 bytes, the mandatory algorithm of section 6), HMAC-SHA1
(20) and HMAC-SHA-256 (32, untruncated: section 2.1 only asks for a multiple of
4 octets, and the codec accepts any such digest).  Nothing here reads a clock:
``now`` is the engine's time and ``wall_offset_s`` turns it into the wall-clock
seconds that key lifetimes (section 5.1) and sequence numbers are in.
"""

from __future__ import annotations

import collections
import dataclasses
import hmac
import math
import struct
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address, IPv6Address, ip_address

from ..wire import MalformedMessage, Message, MsgType, decode, encode
from ..wire.checksum import internet_checksum
from ..wire.objects.integrity import HANDSHAKE_FLAG, INTEGRITY_DIGEST_OFFSET, Challenge

Address = IPv4Address | IPv6Address

DIGESTS = {"hmac-md5": ("md5", 16), "hmac-sha1": ("sha1", 20), "hmac-sha256": ("sha256", 32)}
"""Algorithm name -> (hashlib name, digest octets)."""

DEFAULT_WINDOW = 32  # the reordering window of RFC 2747 section 4.2's example

# Verdict reasons (the engine counts drops by these).
ACCEPTED = "accepted"
UNSECURED = "unsecured"  # no key chain for this interface or sender: integrity not in use
MALFORMED = "malformed"
MISSING = "missing"  # secured, but the first object is not INTEGRITY (section 4)
UNKNOWN_KEY = "unknown_key"
KEY_NOT_VALID = "key_not_valid"  # outside KeyStartValid..KeyEndValid (section 5.1)
BAD_DIGEST = "bad_digest"
REPLAY = "replay"  # sequence number already seen in the window
TOO_OLD = "too_old"  # below the lower end of the window
UNSYNCHRONISED = "unsynchronised"  # no sequence known yet, handshake under way (section 4.3)
CHALLENGE_ANSWERED = "challenge_answered"
RESYNCHRONISED = "resynchronised"
BAD_CHALLENGE = "bad_challenge"  # a Response that matches no outstanding Challenge

_HEADER = struct.Struct(">BBHBBH")
_INTEGRITY_HEAD = struct.Struct(">HBBBB6sQ")  # Length, Class, C-Type, Flags, Reserved, Key Identifier, Sequence
_OBJECT_HEADER = struct.Struct(">HBB")
_MIN_INTEGRITY = INTEGRITY_DIGEST_OFFSET + 4
_SEQ_MODULUS = 1 << 64
_RSVP_HOP = 3
_INTEGRITY = 4
_HOP_TYPES = frozenset({MsgType.PATH, MsgType.RESV, MsgType.RESV_ERR, MsgType.PATH_TEAR, MsgType.RESV_TEAR})


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    """One authentication key of a security association (RFC 2747 sections 2.2 and 5.1).

    ``key_id`` is the 48-bit Key Identifier; the key is valid from ``start_s``
    (KeyStartValid) up to, not including, ``end_s`` (KeyEndValid), in wall-clock seconds.
    """

    key_id: int
    secret: bytes
    algorithm: str = "hmac-md5"
    start_s: float = -math.inf
    end_s: float = math.inf

    def __post_init__(self) -> None:
        if not 0 <= self.key_id < 1 << 48:
            raise ValueError(f"Key Identifier {self.key_id} is not a 48-bit number")
        if self.algorithm not in DIGESTS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; have {sorted(DIGESTS)}")


class KeyChain:
    """The keys of one security association; several may be live at once during a rollover (section 5.1)."""

    def __init__(self, keys: Iterable[Key]) -> None:
        self.keys = tuple(keys)
        self.by_id = {key.key_id: key for key in self.keys}
        if not self.keys or len(self.by_id) != len(self.keys):
            raise ValueError("a key chain needs one or more keys with distinct Key Identifiers")

    def usable(self, wall_s: float) -> tuple[Key, ...]:
        """Keys valid at ``wall_s``; if none and some have expired, the last to expire, which
        RFC 2747 section 5.3 says to treat as having an infinite lifetime."""
        valid = tuple(k for k in self.keys if k.start_s <= wall_s < k.end_s)
        if valid:
            return valid
        expired = [k for k in self.keys if k.end_s <= wall_s]
        return (max(expired, key=lambda k: k.end_s),) if expired else ()

    def send_key(self, wall_s: float) -> Key | None:
        """The newest usable key (latest start; the last configured on a tie)."""
        usable = self.usable(wall_s)
        return max(reversed(usable), key=lambda k: k.start_s) if usable else None

    def accepts(self, key: Key, wall_s: float) -> bool:
        return key.start_s <= wall_s < key.end_s or key in self.usable(wall_s)


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a received datagram: process it only if ``ok``.

    ``reply``, when set, is an encoded Integrity Challenge or (already signed)
    Response to send as is to ``reply_to`` out of the interface the datagram came in on.
    """

    ok: bool
    reason: str
    reply: bytes | None = None
    reply_to: Address | None = None


_VERDICTS = {reason: Verdict(reason in (ACCEPTED, UNSECURED), reason) for reason in (
    ACCEPTED, UNSECURED, MALFORMED, MISSING, UNKNOWN_KEY, KEY_NOT_VALID, BAD_DIGEST, REPLAY, TOO_OLD,
    UNSYNCHRONISED, RESYNCHRONISED, BAD_CHALLENGE)}


class _Window:
    """Highest sequence number seen and a bitmap of the ``size`` numbers below it (bit 0 = highest)."""

    __slots__ = ("highest", "seen")

    def __init__(self, highest: int) -> None:
        self.highest = highest
        self.seen = 1

    def accept(self, seq: int, size: int) -> str:
        """RFC 2747 section 4.2: accept a number above the highest, or an unseen one within the
        window; comparisons are modulo 2**64 (section 3)."""
        ahead = (seq - self.highest) % _SEQ_MODULUS
        if 0 < ahead < _SEQ_MODULUS >> 1:
            self.seen = (self.seen << ahead | 1) & ((1 << size) - 1) if ahead < size else 1
            self.highest = seq
            return ACCEPTED
        behind = (self.highest - seq) % _SEQ_MODULUS
        if behind >= size:
            return TOO_OLD
        bit = 1 << behind
        if self.seen & bit:
            return REPLAY
        self.seen |= bit
        return ACCEPTED


def payload_offset(data: bytes) -> int:
    """Where the objects after any leading INTEGRITY object start: bytes from here on are the same
    in every transmission of an unchanged message, so they can key refresh recognition."""
    if len(data) >= 12 and data[10] == _INTEGRITY and data[1] != MsgType.BUNDLE:
        return 8 + _OBJECT_HEADER.unpack_from(data, 8)[0]
    return 8


class IntegrityGuard:
    """Signs outgoing and verifies incoming messages for a node (RFC 2747 section 4).

    ``handshake_secret``: when given, a sender whose sequence numbers are not
    yet known and that sets HF is challenged (section 4.3) and its messages
    dropped until it answers; cookies are keyed digests of this local secret.
    When None, and for senders with HF = 0, the first verified message
    starts the window (the section leaves this to the administrator).
    Challenges from others are always answered, so HF is set on every message.
    Each chain serves both directions (the key the two ends of a link, or all
    routers of a subnet, share); security associations stay simplex in that
    each sender's sequence numbers and each receiver's windows are its own.
    """

    def __init__(
        self,
        keys_by_interface: Mapping[str, Iterable[Key]] | None = None,
        keys_by_neighbor: Mapping[Address, Iterable[Key]] | None = None,
        *,
        window: int = DEFAULT_WINDOW,
        handshake_secret: bytes | None = None,
        challenge_retry_s: float = 1.0,
        wall_offset_s: float = 0.0,
    ) -> None:
        if window < 1:
            raise ValueError("the replay window holds at least one sequence number")
        self._by_interface = {name: KeyChain(keys) for name, keys in (keys_by_interface or {}).items()}
        self._by_neighbor = {ip_address(a).packed: KeyChain(keys) for a, keys in (keys_by_neighbor or {}).items()}
        self._window = window
        self._handshake_secret = handshake_secret
        self._challenge_retry_s = challenge_retry_s
        self._wall_offset_s = wall_offset_s
        self._last_sent: dict[int, int] = {}  # key id -> latest sequence number sent (section 2.2)
        self._windows: dict[tuple[bytes, int], _Window] = {}  # (sender address, key id)
        self._challenges: dict[tuple[bytes, int], list] = {}  # (sender, key id) -> [Challenge, sent at]
        self._cookies = 0
        self._counts: collections.Counter[str] = collections.Counter()

    # --- sending ------------------------------------------------------------------------------

    def sign(self, data: bytes, interface: str, neighbor: Address | None, now: float) -> bytes | None:
        """``data`` (an encoded message without INTEGRITY) as it goes out of ``interface`` to
        ``neighbor`` (None: multicast or unknown): signed if a chain covers it, else unchanged.

        None when the chain has no usable key yet (every key starts in the future): the
        message must not go out unauthenticated (section 5.3).  Sign every transmission,
        refreshes included: each needs its own sequence number.
        """
        chain = self._chain(interface, neighbor.packed if neighbor is not None else None)
        if chain is None:
            return data
        key = chain.send_key(now + self._wall_offset_s)
        if key is None:
            self._counts["no_send_key"] += 1
            return None
        return self._sign(data, key, now)

    def _sign(self, data: bytes, key: Key, now: float) -> bytes:
        """RFC 2747 section 4.1 steps 1-9."""
        if data[1] != MsgType.BUNDLE and len(data) >= 12 and data[10] == _INTEGRITY:
            raise ValueError("message already carries INTEGRITY")
        name, size = DIGESTS[key.algorithm]
        object_length = INTEGRITY_DIGEST_OFFSET + size
        length = len(data) + object_length
        if length > 0xFFFF:
            raise ValueError(f"signed message would be {length} bytes, longer than RSVP Length allows")
        seq = max(self._last_sent.get(key.key_id, -1) + 1, int(now + self._wall_offset_s) << 32)
        self._last_sent[key.key_id] = seq
        head = data[:2] + b"\x00\x00" + data[4:6] + length.to_bytes(2, "big") + _INTEGRITY_HEAD.pack(
            object_length, _INTEGRITY, 1, HANDSHAKE_FLAG, 0, key.key_id.to_bytes(6, "big"), seq)
        rest = data[8:]
        signed = head + hmac.digest(key.secret, head + bytes(size) + rest, name) + rest
        self._counts["signed"] += 1
        if data[2] or data[3]:
            return signed[:2] + internet_checksum(signed).to_bytes(2, "big") + signed[4:]
        return signed

    def _chain(self, interface: str, neighbor: bytes | None) -> KeyChain | None:
        return self._by_neighbor.get(neighbor) or self._by_interface.get(interface)  # type: ignore[arg-type]

    # --- receiving ----------------------------------------------------------------------------

    def verify(self, data: bytes, interface: str, source: Address, now: float) -> Verdict:
        """Check a datagram from IP ``source`` on ``interface`` before it is decoded (section 4.2).

        The sending system is the RSVP_HOP address when the message has one, else ``source``
        (section 4).  A Bundle without an outer INTEGRITY passes only if every bundled
        message does.
        """
        verdict = self._verify(data, interface, source.packed, now)
        self._counts[verdict.reason] += 1
        return verdict

    def _verify(self, data: bytes, interface: str, source: bytes, now: float) -> Verdict:
        n = len(data)
        if n < 8 or data[0] >> 4 != 1 or _HEADER.unpack_from(data)[5] != n:
            return _VERDICTS[MALFORMED]
        msg_type = data[1]
        if msg_type == MsgType.INTEGRITY_CHALLENGE:
            return self._answer(data, interface, source, now)
        if msg_type == MsgType.BUNDLE and (n < 12 or data[10] != _INTEGRITY):
            return self._verify_bundle(data, interface, source, now)
        sender = _hop_address(data) if msg_type in _HOP_TYPES else None
        sender = sender or source
        chain = self._chain(interface, sender)
        if chain is None:
            return _VERDICTS[UNSECURED]
        if n < 8 + _MIN_INTEGRITY or data[10] != _INTEGRITY or data[11] != 1:
            return _VERDICTS[MISSING]
        object_length, _, _, flags, _, key_bytes, seq = _INTEGRITY_HEAD.unpack_from(data, 8)
        end = 8 + object_length
        if object_length < _MIN_INTEGRITY or object_length % 4 or end > n:
            return _VERDICTS[MALFORMED]
        key_id = int.from_bytes(key_bytes, "big")
        key = chain.by_id.get(key_id)
        if key is None:
            return _VERDICTS[UNKNOWN_KEY]
        if not chain.accepts(key, now + self._wall_offset_s):
            return _VERDICTS[KEY_NOT_VALID]
        name, size = DIGESTS[key.algorithm]
        digest_at = 8 + INTEGRITY_DIGEST_OFFSET
        if end - digest_at != size:
            return _VERDICTS[BAD_DIGEST]
        zeroed = data[:2] + b"\x00\x00" + data[4:digest_at] + bytes(size) + data[end:]
        if not hmac.compare_digest(hmac.digest(key.secret, zeroed, name), data[digest_at:end]):
            return _VERDICTS[BAD_DIGEST]
        pair = (sender, key_id)
        if msg_type == MsgType.INTEGRITY_RESPONSE:
            return self._resynchronise(pair, data[end:], seq)
        window = self._windows.get(pair)
        if window is not None:
            return _VERDICTS[window.accept(seq, self._window)]
        if self._handshake_secret is not None and flags & HANDSHAKE_FLAG:
            return self._challenge(pair, now)
        self._windows[pair] = _Window(seq)
        return _VERDICTS[ACCEPTED]

    def _verify_bundle(self, data: bytes, interface: str, source: bytes, now: float) -> Verdict:
        """RFC 2961 section 3.2: each bundled message (never a Bundle) may carry its own INTEGRITY."""
        offset, n, verdict = 8, len(data), _VERDICTS[MALFORMED]
        while offset + 8 <= n:
            length = _HEADER.unpack_from(data, offset)[5]
            if length < 8 or offset + length > n or data[offset + 1] == MsgType.BUNDLE:
                return _VERDICTS[MALFORMED]
            verdict = self._verify(data[offset : offset + length], interface, source, now)
            if not verdict.ok:
                return verdict
            offset += length
        return verdict if offset == n else _VERDICTS[MALFORMED]

    # --- the integrity handshake (section 4.3) --------------------------------------------------

    def _challenge(self, pair: tuple[bytes, int], now: float) -> Verdict:
        """Drop the message; send a Challenge, repeated with the same cookie every ``challenge_retry_s``."""
        pending = self._challenges.get(pair)
        if pending is None:
            self._cookies += 1
            material = pair[0] + pair[1].to_bytes(6, "big") + self._cookies.to_bytes(8, "big") + struct.pack(">d", now)
            cookie = int.from_bytes(hmac.digest(self._handshake_secret or b"", material, "sha256")[:8], "big")
            pending = self._challenges[pair] = [Challenge(pair[1], cookie), now]
        elif now - pending[1] < self._challenge_retry_s:
            return _VERDICTS[UNSYNCHRONISED]
        else:
            pending[1] = now
        challenge = encode(Message(MsgType.INTEGRITY_CHALLENGE, (pending[0],)))
        return Verdict(False, UNSYNCHRONISED, challenge, ip_address(pair[0]))

    def _resynchronise(self, pair: tuple[bytes, int], rest: bytes, seq: int) -> Verdict:
        """A verified Response: its CHALLENGE must be ours, byte for byte; then ``seq`` starts the window."""
        pending = self._challenges.get(pair)
        if pending is None or rest != pending[0].encode():
            return _VERDICTS[BAD_CHALLENGE]
        del self._challenges[pair]
        self._windows[pair] = _Window(seq)
        return _VERDICTS[RESYNCHRONISED]

    def _answer(self, data: bytes, interface: str, source: bytes, now: float) -> Verdict:
        """Answer a Challenge, unchecked as section 4.3 says, with a Response signed by the named key."""
        try:
            message = decode(data)
        except MalformedMessage:
            return _VERDICTS[MALFORMED]
        challenge = message.find(Challenge.class_num)
        chain = self._chain(interface, source)
        if not isinstance(challenge, Challenge) or chain is None:
            return _VERDICTS[MALFORMED if chain is not None else UNKNOWN_KEY]
        key = chain.by_id.get(challenge.key_id)
        if key is None:
            return _VERDICTS[UNKNOWN_KEY]
        if not chain.accepts(key, now + self._wall_offset_s):
            return _VERDICTS[KEY_NOT_VALID]
        response = self._sign(encode(Message(MsgType.INTEGRITY_RESPONSE, (challenge,))), key, now)
        return Verdict(False, CHALLENGE_ANSWERED, response, ip_address(source))

    def snapshot(self) -> dict[str, int]:
        """Counters: one per verdict reason seen, ``signed``, ``no_send_key``, and state sizes."""
        return {**self._counts, "windows": len(self._windows), "challenges_pending": len(self._challenges)}


def _hop_address(data: bytes) -> bytes | None:
    """The RSVP_HOP address (C-Types 1/3 IPv4, 2/4 IPv6: RFC 2205 A.2, RFC 3473 8.1), or None."""
    offset, n = 8, len(data)
    while offset + 4 <= n:
        length, class_num, c_type = _OBJECT_HEADER.unpack_from(data, offset)
        if length < 4:
            return None
        if class_num == _RSVP_HOP:
            size = 4 if c_type in (1, 3) else 16 if c_type in (2, 4) else 0
            return data[offset + 4 : offset + 4 + size] if size and length >= 4 + size else None
        offset += length
    return None
