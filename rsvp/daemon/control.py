"""The control socket: a Unix stream socket (mode 0600) speaking JSON lines.

Each request is one JSON object on one line, ``{"command": ...}``; each answer
one line, ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.
Commands (``docs/daemon.md``): ``show`` (``what``: lsps, sessions, neighbors,
routelets, counters, ledger), ``tunnel-add`` (the ``[[tunnel]]`` keys),
``tunnel-delete`` (``name``), ``reload``, ``shutdown``.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

MAX_LINE = 1 << 20
Dispatch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def decode_request(line: bytes) -> dict[str, Any]:
    """One request line -> dict; ValueError (not JSON) or TypeError (not a request) saying what is wrong."""
    try:
        request = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("command"), str):
        raise TypeError('a request is a JSON object with a "command" string')
    return request


def bind(path: str) -> trio.SocketListener:
    """Listen on ``path`` with permission 0600 (the socket is created under umask 077, then chmod).

    A stale socket file (no one listening) is replaced; a live one is an error.
    """
    target = Path(path)
    if target.exists():
        if not stat.S_ISSOCK(target.stat().st_mode):
            raise OSError(f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            target.unlink()
        else:
            raise OSError(f"{path}: another daemon is listening there")
        finally:
            probe.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        sock.bind(path)
    finally:
        os.umask(mask)
    os.chmod(path, 0o600)
    sock.listen(16)
    return trio.SocketListener(trio.socket.from_stdlib_socket(sock))


async def serve(listener: trio.SocketListener, dispatch: Dispatch,
                task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED) -> None:
    """Answer every connection's requests in order until it closes."""

    async def session(stream: trio.SocketStream) -> None:
        buffer = b""
        async with stream:
            while True:
                while b"\n" not in buffer:
                    chunk = await stream.receive_some(65536)
                    if not chunk or len(buffer) > MAX_LINE:
                        return
                    buffer += chunk
                line, buffer = buffer.split(b"\n", 1)
                if not line.strip():
                    continue
                try:
                    answer = await dispatch(decode_request(line))
                except (ValueError, TypeError) as exc:
                    answer = {"ok": False, "error": str(exc)}
                await stream.send_all(encode(answer))

    await trio.serve_listeners(session, [listener], task_status=task_status)
