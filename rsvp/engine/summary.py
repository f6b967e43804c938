"""Summary refresh bookkeeping per neighbour (RFC 2961 section 5), built for a million LSPs.

Theory of operation
-------------------
Sending (:class:`SummaryOut`): the Message_Identifiers of the Path and Resv
state advertised to one neighbour with MESSAGE_ID objects live in chunks of at
most ``capacity`` ids; each chunk is one Srefresh message carrying one
MESSAGE_ID LIST (section 5.2) and caches its encoding.  New ids are appended
to the last chunk (ids only grow, so chunks stay in id order); removing an id
touches only its chunk; only touched chunks are re-encoded, and neighbouring
touched chunks that fit together are merged first.  An unchanged set of ids is
resent as the very same bytes, with no per-id work.

Receiving (:class:`SummaryIn`): the ids of installed state from one neighbour
(current epoch), each pointing to the record of the last chunk that refreshed
it.  A chunk is keyed by its Srefresh's bytes (or, when one message carries
several lists, by the decoded list object), so a chunk whose bytes repeat is
recognised with one dict lookup, before decoding: its record's time moves,
and every state it covers is refreshed at once (:meth:`SummaryIn.refreshed_at` reads the time when the state's expiry
timer fires).  A new or changed chunk costs set operations over its ids (in C)
and returns the ids with no state, for the caller to NACK (section 5.4).
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Hashable

from rsvp.wire import Message, MsgType, encode
from rsvp.wire.message import REFRESH_REDUCTION_CAPABLE
from rsvp.wire.objects.refresh import MessageIdList

_SREFRESH_OVERHEAD = 8 + 4 + 4  # common header, object header, Flags/Epoch word


def ids_per_srefresh(datagram_bytes: int) -> int:
    """Message_Identifiers that fit one Srefresh of at most ``datagram_bytes`` (RSVP header included)."""
    return (datagram_bytes - _SREFRESH_OVERHEAD) // 4


class _Chunk:
    __slots__ = ("encoded", "ids", "keys")

    def __init__(self) -> None:
        self.ids = array("I")  # Message_Identifiers, in the order sent
        self.keys: list[Hashable] = []  # the engine's state key of each id
        self.encoded: tuple[Message, bytes] | None = None


class SummaryOut:
    """The ids advertised to one neighbour, as Srefresh messages of ``capacity`` ids at most."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("an Srefresh must carry at least one Message_Identifier")
        self.capacity = capacity
        self._chunks: list[_Chunk] = []
        self._where: dict[int, _Chunk] = {}

    def __len__(self) -> int:
        return len(self._where)

    def add(self, message_id: int, key: Hashable) -> None:
        """Refresh the state ``key`` by ``message_id`` from now on (a new id: larger than any before)."""
        chunks = self._chunks
        if not chunks or len(chunks[-1].ids) >= self.capacity:
            chunks.append(_Chunk())
        chunk = chunks[-1]
        chunk.ids.append(message_id)
        chunk.keys.append(key)
        chunk.encoded = None
        self._where[message_id] = chunk

    def remove(self, message_id: int) -> Hashable | None:
        """Stop refreshing ``message_id``; its state key, or None if it was not here."""
        chunk = self._where.pop(message_id, None)
        if chunk is None:
            return None
        index = chunk.ids.index(message_id)
        del chunk.ids[index]
        key = chunk.keys.pop(index)
        chunk.encoded = None
        if not chunk.ids:
            self._chunks.remove(chunk)
        return key

    def key(self, message_id: int) -> Hashable | None:
        """The state key refreshed by ``message_id`` (to answer a NACK, section 5.4)."""
        chunk = self._where.get(message_id)
        return None if chunk is None else chunk.keys[chunk.ids.index(message_id)]

    def keys(self) -> list[Hashable]:
        return [key for chunk in self._chunks for key in chunk.keys]

    def messages(self, epoch: int) -> list[tuple[Message, bytes]]:
        """The Srefresh messages refreshing every id here: cached, re-encoded only where ids changed."""
        self._compact()
        out = []
        for chunk in self._chunks:
            if chunk.encoded is None:
                message = Message(MsgType.SREFRESH, (MessageIdList(epoch, tuple(chunk.ids)),),
                                  flags=REFRESH_REDUCTION_CAPABLE)
                chunk.encoded = (message, encode(message))
            out.append(chunk.encoded)
        return out

    def _compact(self) -> None:
        """Merge a changed chunk with its successor when both fit one message (removals thin chunks out)."""
        chunks, i = self._chunks, 0
        while i < len(chunks) - 1:
            a, b = chunks[i], chunks[i + 1]
            if (a.encoded is None or b.encoded is None) and len(a.ids) + len(b.ids) <= self.capacity:
                a.ids.extend(b.ids)
                a.keys.extend(b.keys)
                a.encoded = None
                self._where.update(zip(b.ids, itertools.repeat(a)))
                del chunks[i + 1]
            else:
                i += 1


class _Seen:
    """A chunk as received: when it last arrived, its id count, and how many had no state then."""

    __slots__ = ("at", "count", "missing")

    def __init__(self, at: float, count: int) -> None:
        self.at = at
        self.count = count
        self.missing = 0


class SummaryIn:
    """Installed state from one neighbour by Message_Identifier, and the chunks that refresh it."""

    def __init__(self) -> None:
        self._known: dict[int, _Seen | None] = {}  # id -> last chunk carrying it (None: none yet)
        self._chunks: dict[Hashable, _Seen] = {}

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, message_id: int) -> bool:
        return message_id in self._known

    def install(self, message_id: int) -> None:
        self._known.setdefault(message_id, None)

    def forget(self, message_id: int) -> None:
        """The state is gone: a chunk that last covered it no longer repeats as all-matched (its
        next arrival is processed in full, so the id is NACKed, section 5.4)."""
        seen = self._known.pop(message_id, None)
        if seen is not None:
            seen.missing += 1

    def refreshed_at(self, message_id: int) -> float | None:
        """When a summary refresh last covered ``message_id``; None if none did."""
        seen = self._known.get(message_id)
        return None if seen is None else seen.at

    def repeat(self, chunk: Hashable, now: float) -> int | None:
        """O(1): ``chunk`` was seen before with every id matched: refresh them all; their count, else None."""
        seen = self._chunks.get(chunk)
        if seen is None or seen.missing:
            return None
        seen.at = now
        return seen.count

    def refresh(self, chunk: Hashable, ids: tuple[int, ...], now: float) -> set[int]:
        """``chunk`` (its bytes, or its decoded list object) carrying ``ids`` arrived: refresh them;
        returns the ids with no state."""
        if self.repeat(chunk, now) is not None:
            return set()
        seen = self._chunks.get(chunk)
        if seen is None:
            seen = self._chunks[chunk] = _Seen(now, len(ids))
        seen.at = now
        known = self._known
        matched = set(ids)
        unknown = matched.difference(known)
        matched -= unknown
        seen.missing = len(unknown)
        # ids that another chunk covered last are this one's now: that chunk no longer repeats as
        # all-matched (its refresh would not reach them), so its next arrival is processed in full
        for other in {known[i] for i in matched} - {None, seen}:
            other.missing += 1
        known.update(zip(matched, itertools.repeat(seen)))
        return unknown

    def prune(self, before: float) -> None:
        """Forget chunks not seen since ``before`` (their states keep the record and its time)."""
        for chunk in [c for c, seen in self._chunks.items() if seen.at < before]:
            del self._chunks[chunk]
