"""Errors shared by the packages that read settings files (rsvpd's configuration, simulator scenarios)."""

from __future__ import annotations


class KeyedError(ValueError):
    """A settings file is invalid: ``key`` says where (``interface[0].name``; None: the whole file),
    ``problem`` what."""

    def __init__(self, key: str | None, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem
