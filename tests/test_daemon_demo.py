"""rsvpd demo: four engines over real bytes; one LSP refused for bandwidth, one preempted."""

from __future__ import annotations

import json

import pytest

from rsvp.daemon import cli, demo


def test_demo_story() -> None:
    result = demo.run()
    lsps = {l["name"]: l for l in result["lsps"]}
    assert lsps["silver"]["state"] == "up" and lsps["gold"]["state"] == "up"
    assert lsps["gold"]["labels_consistent"] and len(lsps["gold"]["labels"]) == 3
    assert lsps["bulk"]["state"] == "down" and "PathErr 1/2" in lsps["bulk"]["reason"]  # bandwidth unavailable
    assert any(h["lsp"] == "bronze" and "PathErr 12/0" in (h["reason"] or "") for h in result["history"])  # preempted
    b_to_c = next(r for r in result["ledger"]["B"]["bandwidth"] if r["interface"] == "to-C")
    assert b_to_c["reserved_bps"] == 90e6 and b_to_c["free_bps"] == 10e6
    assert result["admission"]["B"]["rejected"] >= 1
    # one libvirt routelet (test:///default domain) per reservation, sized by the quasar shares
    routelets = result["routelets"]["B"]
    assert sorted(r["bandwidth_bps"] for r in routelets) == [40e6, 50e6]
    assert all(r["backend"] == "libvirt" and r["state"] == "assigned" and r["shares"]["memory_bytes"] > 16 << 20
               for r in routelets)
    cpu = next(r for r in result["ledger"]["B"]["router"] if r["resource"] == "cpu")
    assert cpu["used"] == pytest.approx(sum(r["shares"]["cpu_sustained"] for r in routelets))


def test_demo_leaves_no_domains() -> None:
    import libvirt

    demo.run()
    connection = libvirt.open("test:///default")
    try:
        assert not [d.name() for d in connection.listAllDomains() if d.name().startswith("demo")]
    finally:
        connection.close()


def test_demo_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    text = capsys.readouterr().out
    for heading in ("What the head saw", "LSPs at the end", "Routelets", "Ledger"):
        assert heading in text
    assert cli.main(["demo", "--json"]) == 0
    assert {"lsps", "routelets", "ledger", "history"} <= json.loads(capsys.readouterr().out).keys()
    assert cli.main(["demo", "--policy", "nonesuch"]) == 2
