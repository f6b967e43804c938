"""All object strategies in one table, and strategies for whole messages."""

from __future__ import annotations

import importlib

from hypothesis import strategies as st

from rsvp.wire import Message
from rsvp.wire.message import MsgType

STRATEGIES: dict[type, st.SearchStrategy] = {}
for _name in ("strategies_core", "strategies_te", "strategies_misc", "strategies_extra"):
    STRATEGIES.update(importlib.import_module(f"tests.{_name}").STRATEGIES)

any_object = st.one_of(*STRATEGIES.values())

_plain_types = st.sampled_from([t for t in MsgType if t is not MsgType.BUNDLE])


def messages(max_objects: int = 8) -> st.SearchStrategy[Message]:
    """Any message type with any objects (grammar is not enforced: the codec must round-trip anyway)."""
    plain = st.builds(
        Message, _plain_types, st.lists(any_object, max_size=max_objects).map(tuple),
        flags=st.integers(0, 15), send_ttl=st.integers(0, 255), send_checksum=st.booleans(),
        reserved=st.integers(0, 255),
    )
    bundle = st.builds(
        Message, st.just(MsgType.BUNDLE), st.just(()), st.lists(plain, min_size=1, max_size=3).map(tuple),
        flags=st.integers(0, 15),
    )
    return st.one_of(plain, bundle)
