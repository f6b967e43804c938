"""A blocking client for rsvpd's control socket: one JSON line out, one JSON line back (rsvp.daemon.control)."""

from __future__ import annotations

import json
import socket
from typing import Any


class ControlError(Exception):
    """The daemon could not be reached, or answered ``ok: false`` (the message is its error)."""


def request(path: str, command: dict[str, Any], timeout_s: float = 10.0) -> Any:
    """Send ``command`` to the daemon listening on ``path``; the ``result`` of its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(path)
            sock.sendall(json.dumps(command).encode() + b"\n")
            buffer = b""
            while not buffer.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
        except OSError as exc:
            raise ControlError(f"{path}: {exc.strerror or exc}") from None
    try:
        answer = json.loads(buffer)
    except ValueError:
        raise ControlError(f"{path}: the daemon closed the connection without an answer") from None
    if not answer.get("ok"):
        raise ControlError(answer.get("error") or "the daemon refused the request")
    return answer.get("result")
