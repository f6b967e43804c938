"""structlog set-up (``[log] format, level``) and the session/LSP keys put on every record about a message."""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import structlog

from rsvp.wire import Message
from rsvp.wire.model import ClassNum

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure(format: str, level: str, stream: IO[str] | None = None) -> None:
    """JSON lines or human-readable console records on ``stream`` (stderr), filtered at ``level``."""
    renderer: Any = structlog.processors.JSONRenderer() if format == "json" else \
        structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def message_keys(message: Message) -> dict[str, str]:
    """``session`` (end point/tunnel id/extended tunnel id, RFC 3209 section 4.6.1.1; or destination/protocol/port,
    RFC 2205 appendix A.1) and ``lsp`` (sender/LSP id) of a message, as far as it carries them."""
    keys = {"type": message.name}
    session = message.find(ClassNum.SESSION)
    if hasattr(session, "tunnel_end_point"):
        keys["session"] = f"{session.tunnel_end_point}/{session.tunnel_id}/{session.extended_tunnel_id}"
    elif hasattr(session, "destination"):
        keys["session"] = f"{session.destination}/{session.protocol_id}/{session.destination_port}"
    sender = message.find(ClassNum.SENDER_TEMPLATE) or message.find(ClassNum.FILTER_SPEC)
    if hasattr(sender, "lsp_id"):
        keys["lsp"] = f"{sender.tunnel_sender}/{sender.lsp_id}"
    return keys


def lsp_keys(lsp: dict[str, Any]) -> dict[str, Any]:
    """The keys of an LSP as ``Node.snapshot()`` describes it."""
    return {"lsp": lsp["name"], "session": f"{lsp['destination']}/{lsp.get('tunnel_id')}", "role": lsp["role"]}
