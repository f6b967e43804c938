"""rsvpctl: argument parsing, the requests it sends, its tables, and its errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from rsvp.ctl import cli, tables

LSP = {"name": "a-d", "role": "ingress", "state": "up", "destination": "192.0.2.4", "tunnel_id": 1, "lsp_id": 1,
       "in_label": None, "out_label": 16, "record_route": ["10.0.1.2", "10.0.2.2"], "bandwidth_bps": 10e6,
       "reason": None}


@pytest.mark.parametrize(("text", "bps"), [("10e6", 10e6), ("10M", 10e6), ("1.5G", 1.5e9), ("640k", 640e3),
                                           ("7", 7.0)])
def test_bandwidth(text: str, bps: float) -> None:
    assert cli.bandwidth(text) == bps


@pytest.mark.parametrize("text", ["fast", "-1M", "M"])
def test_bad_bandwidth(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli.bandwidth(text)


def test_requests() -> None:
    parse = cli.parser().parse_args
    assert cli.command_of(parse(["show", "ledger"])) == {"command": "show", "what": "ledger"}
    add = cli.command_of(parse(["tunnel", "add", "x", "--to", "192.0.2.4", "--bandwidth", "5M", "--ero", "10.0.1.2",
                                "loose:192.0.2.4", "--priority", "4", "0", "--no-record-route"]))
    assert add == {"command": "tunnel-add", "name": "x", "destination": "192.0.2.4", "bandwidth_bps": 5e6,
                   "ero": ["10.0.1.2", "loose:192.0.2.4"], "setup_priority": 4, "hold_priority": 0,
                   "record_route": False}
    assert cli.command_of(parse(["tunnel", "delete", "x"])) == {"command": "tunnel-delete", "name": "x"}
    assert cli.command_of(parse(["shutdown"])) == {"command": "shutdown"}
    with pytest.raises(SystemExit):
        parse(["tunnel", "add", "x", "--to", "192.0.2.4", "--bandwidth", "1M", "--priority", "9", "0"])


def test_tables() -> None:
    text = tables.lsps([LSP, {**LSP, "name": "b", "state": "down", "out_label": None, "record_route": [],
                              "reason": "PathErr 1/2 from 10.0.1.2"},
                        {**LSP, "name": "c", "notice": "PathErr 25/3 from 10.0.1.2"}])
    lines = text.splitlines()
    assert lines[0].split() == ["name", "role", "state", "destination", "in", "out", "bandwidth", "record", "route",
                                "reason/notice"]
    assert lines[2].split() == ["a-d", "ingress", "up", "192.0.2.4", "-", "16", "10M", "10.0.1.2", "10.0.2.2", "-"]
    assert lines[3].endswith("PathErr 1/2 from 10.0.1.2")
    assert lines[4].split()[2] == "up" and lines[4].endswith("PathErr 25/3 from 10.0.1.2")
    ledger = tables.ledger({"bandwidth": [{"interface": "to-C", "bandwidth_bps": 1e8, "reservable_bps": 1e8,
                                           "reserved_bps": 9e7, "free_bps": 1e7}],
                            "router": [{"resource": "cpu", "unit": "CPUs", "capacity": 2.0, "used": 0.5}]})
    assert "to-C" in ledger and "1.5 CPUs" in ledger
    neighbors = tables.neighbors([{"address": "10.0.1.1", "counters": {"received PATH": 2, "sent RESV": 1}}])
    assert "RESV:1" in neighbors and "PATH:2" in neighbors
    assert "engine" in tables.counters({"engine": {"sent PATH": 1}, "transport": {}})


def test_help_explains(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["show", "--help"], ["tunnel", "add", "--help"]):
        with pytest.raises(SystemExit) as done:
            cli.main(argv)
        assert done.value.code == 0
    out = capsys.readouterr().out
    assert "record_route" in out and "--priority" in out and "lsps: every LSP" in out


def test_unreachable_daemon(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-s", str(tmp_path / "none.sock"), "show", "lsps"]) == 1
    assert "none.sock" in capsys.readouterr().err
