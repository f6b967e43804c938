"""Running a piece of test code inside a network namespace (root tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_namespace(namespace: str, make: Callable[[], T]) -> T:
    """``make()`` run in ``namespace``: setns affects only the calling thread, so it runs in a thread of its
    own; a socket made there stays in that namespace."""
    from pyroute2 import netns

    made: list[T] = []

    def run() -> None:
        netns.setns(namespace, flags=0)
        made.append(make())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if not made:
        raise RuntimeError(f"could not run in namespace {namespace}")
    return made[0]
