"""Reading settings files (rsvpd's configuration, simulator scenarios): TOML, and errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class KeyedError(ValueError):
    """A settings file is invalid: ``key`` says where (``interface[0].name``; None: the whole file),
    ``problem`` what."""

    def __init__(self, key: str | None, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem


def read_toml(path: str | Path, error: type[KeyedError]) -> dict[str, Any]:
    """The table in file ``path``; ``error`` (a KeyedError) when it cannot be read or is not TOML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(None, f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_toml(text, error)


def parse_toml(text: str, error: type[KeyedError]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(None, f"not valid TOML: {exc}") from exc
