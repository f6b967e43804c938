"""Client for Click's ControlSocket protocol, and live updates of a running Click routelet.

The protocol (Click ``elements/userlevel/controlsocket.hh``, version 1.x;
``reference/quasar-glue.md`` section 2.4): on connect the server sends a line
``Click::ControlSocket/1.3``.  Commands are single text lines; every command
is answered by reply lines ``NNN-text`` (continued) ... ``NNN text`` (last),
with 2xy success (220: success, the handler warned) and 5xy failure (500
syntax, 501 unimplemented, 510 no such element, 511 no such handler, 520
handler error, 530 permission denied, 540 no router).  A successful READ or
LLRPC is followed by ``DATA n`` and n raw bytes; WRITEDATA sends n raw bytes
after its line.

:func:`update` moves a Click routelet (``click -R`` with ``-p PORT`` or
``-u PATH``) from the graph it runs to the wanted one: rates and queue size
are written to the handlers :func:`quasar_glue.click.live_values` names, any
other change is a hot-swap through the global ``hotconfig`` handler (the old
router keeps running if the new configuration fails, and control connections
survive).
"""

from __future__ import annotations

import dataclasses
import socket
from typing import Self

from quasar_glue import click
from quasar_glue.graph import ForwardingGraph

GREETING = "Click::ControlSocket/"
TIMEOUT_S = 5.0


class ControlSocketError(Exception):
    """The server refused a command: ``handler`` it named, reply ``code`` and ``messages``."""

    def __init__(self, handler: str, code: int, messages: list[str]) -> None:
        super().__init__(f"Click handler {handler!r}: {code} {' '.join(messages)}")
        self.handler, self.code, self.messages = handler, code, messages


def open_socket(address: str, timeout: float = TIMEOUT_S) -> socket.socket:
    """Connect to ``unix:PATH`` (or a bare ``/PATH``) or ``tcp:HOST:PORT`` (or ``HOST:PORT``)."""
    kind, _, rest = address.partition(":")
    if address.startswith("/") or kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address if address.startswith("/") else rest)
        except OSError:
            sock.close()
            raise
        return sock
    host, _, port = (rest if kind == "tcp" else address).rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"ControlSocket address {address!r}: expected unix:PATH or tcp:HOST:PORT")
    return socket.create_connection((host.strip("[]"), int(port)), timeout)


class ControlSocket:
    """One connection.  Use as a context manager (QUIT on exit); blocking, ``timeout`` per operation."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._in = sock.makefile("rb")
        greeting = self._line()
        if not greeting.startswith(GREETING):
            self.close()
            raise ConnectionError(f"not a Click ControlSocket (greeting {greeting!r})")
        self.version = greeting.removeprefix(GREETING)

    @classmethod
    def connect(cls, address: str, timeout: float = TIMEOUT_S) -> ControlSocket:
        return cls(open_socket(address, timeout))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc) -> None:
        self.quit()

    def _line(self) -> str:
        raw = self._in.readline()
        if not raw.endswith(b"\n"):
            raise ConnectionError("Click ControlSocket closed the connection")
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    def _reply(self) -> tuple[int, list[str]]:
        messages = []
        while True:
            line = self._line()
            if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in ("", " ", "-"):
                raise ConnectionError(f"Click ControlSocket: malformed reply {line!r}")
            messages.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), messages

    def _command(self, line: str, data: bytes = b"") -> tuple[int, list[str]]:
        self._sock.sendall(line.encode() + b"\r\n" + data)
        return self._reply()

    def _call(self, handler: str, line: str, data: bytes = b"") -> list[str]:
        """Run a command; its messages on success, ControlSocketError naming ``handler`` otherwise."""
        if not handler or any(c.isspace() for c in handler):
            raise ValueError(f"bad handler name {handler!r}")
        code, messages = self._command(line, data)
        if code >= 300:
            raise ControlSocketError(handler, code, messages)
        return messages

    def _data(self) -> bytes:
        line = self._line()
        word, _, size = line.partition(" ")
        if word != "DATA" or not size.isdigit():
            raise ConnectionError(f"Click ControlSocket: expected DATA, got {line!r}")
        data = self._in.read(int(size))
        if len(data) != int(size):
            raise ConnectionError("Click ControlSocket closed the connection inside DATA")
        return data

    def _with_value(self, verb: str, handler: str, value: str) -> list[str]:
        """``VERB handler value`` for a one-line value, else ``VERBDATA handler n`` and its bytes."""
        if value == value.strip() and "\n" not in value and "\r" not in value:
            return self._call(handler, f"{verb} {handler} {value}".rstrip())
        data = value.encode()
        return self._call(handler, f"{verb}DATA {handler} {len(data)}", data)

    def read(self, handler: str, params: str = "") -> str:
        """The value of read ``handler`` (``element.name``, ``N.name`` or a global name)."""
        self._with_value("READ", handler, params)
        return self._data().decode("utf-8", "replace")

    def write(self, handler: str, value: str = "") -> list[str]:
        """Call write ``handler`` with ``value``; the server's messages (its warnings when it answered 220)."""
        return self._with_value("WRITE", handler, value)

    def _check(self, verb: str, handler: str) -> bool:
        try:
            self._call(handler, f"{verb} {handler}")
        except ControlSocketError:
            return False
        return True

    def check_read(self, handler: str) -> bool:
        """Whether ``handler`` exists and is readable (CHECKREAD)."""
        return self._check("CHECKREAD", handler)

    def check_write(self, handler: str) -> bool:
        """Whether ``handler`` exists and is writable (CHECKWRITE)."""
        return self._check("CHECKWRITE", handler)

    def llrpc(self, element: str, command: int, data: bytes = b"") -> bytes:
        """Call a flat LLRPC: ``command`` in network format (``CLICK_LLRPC_HTON``), ``data`` its input."""
        name = f"{element}#{command:x}"
        self._call(name, f"LLRPC {name} {len(data)}" if data else f"LLRPC {name}", data)
        return self._data()

    def hotconfig(self, config: str) -> list[str]:
        """Replace the running configuration (needs ``click -R``); the old one stays if this fails."""
        return self.write("hotconfig", config)

    def quit(self) -> None:
        """QUIT and close (never raises for a connection already gone)."""
        try:
            self._command("QUIT")
        except OSError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self._in.close()
        self._sock.close()


def live_writes(running: ForwardingGraph | None, wanted: ForwardingGraph | None) -> dict[str, str] | None:
    """Handler writes that turn ``running`` into ``wanted``, or None when only a hot-swap can.

    Live: queue capacity and the policer's and shaper's rates, as long as
    each stays limited or unlimited (an unlimited one has no element).
    """
    if running is None or wanted is None:
        return None
    rates = ("police_rate_bps", "shape_rate_bps", "queue_bytes")
    if dataclasses.replace(running, **{f: getattr(wanted, f) for f in rates}) != wanted:
        return None
    old, new = click.live_values(running), click.live_values(wanted)
    if old.keys() != new.keys():
        return None
    return {handler: value for handler, value in new.items() if old[handler] != value}


def update(address: str, name: str, running: ForwardingGraph | None, wanted: ForwardingGraph | None) -> str:
    """Bring the Click routelet at ``address`` from ``running`` to ``wanted`` (None: idle).

    Returns ``"live"`` (rates written) or ``"hotconfig"`` (configuration swapped).
    """
    writes = live_writes(running, wanted)
    with ControlSocket.connect(address) as control:
        if writes is None:
            control.hotconfig(click.render(wanted, name) if wanted else click.idle(name))
            return "hotconfig"
        for handler, value in writes.items():
            control.write(handler, value)
        return "live"
