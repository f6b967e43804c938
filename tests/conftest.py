"""Shared fixtures: paths to captures, and helpers to read them."""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED_CAPTURES = ROOT.parent / "shared" / "captures"
OWN_CAPTURES = ROOT / "captures"


@pytest.fixture
def shared_captures() -> pathlib.Path:
    if not SHARED_CAPTURES.is_dir():
        pytest.skip(f"third-party captures not found at {SHARED_CAPTURES}")
    return SHARED_CAPTURES
