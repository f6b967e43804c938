"""The netns backend's control pipes to a forwarder, without root: a forwarder that exits at once."""

from __future__ import annotations

import json
import os

import pytest

from quasar_glue import cgroups
from quasar_glue.model import GlueError
from quasar_glue.netns_backend import Forwarder


class ExitedAtOnce:
    """A zygote whose forwarder wrote ``last_words`` (if any) and exited before it was asked anything."""

    def __init__(self, last_words: dict | None) -> None:
        self.last_words = last_words

    def spawn(self, netns_path: str, cgroup_join: list[str], device: str):
        in_read, in_write = os.pipe()
        out_read, out_write = os.pipe()
        if self.last_words is not None:
            os.write(out_write, (json.dumps(self.last_words) + "\n").encode())
        os.close(in_read)
        os.close(out_write)
        return 12345, os.fdopen(in_write, "w"), os.fdopen(out_read)


def cgroup(root) -> cgroups.Cgroup:
    """A v1-shaped cgroup under ``root``: the forwarder is handed only the files to join."""
    (root / "cpu").mkdir()
    (root / "memory").mkdir()
    return cgroups.Cgroup("quasar-test", "absent", root=root)


def test_why_a_forwarder_could_not_start_is_reported_though_it_exited_before_it_was_asked(tmp_path):
    zygote = ExitedAtOnce({"ok": False, "error": "cannot enter the routelet: [Errno 2] No such file"})
    with pytest.raises(GlueError, match="cannot enter the routelet"):
        Forwarder(zygote, "absent", cgroup(tmp_path))


def test_a_forwarder_that_exited_silently_is_reported_as_exited(tmp_path):
    with pytest.raises(GlueError, match="forwarder 12345 exited"):
        Forwarder(ExitedAtOnce(None), "absent", cgroup(tmp_path))
