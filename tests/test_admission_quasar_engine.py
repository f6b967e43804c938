"""QuasarAdmission inside real engines: an LSP the transit's CPU cannot carry is refused with 1/2.

The engine's RSVP-TE head sends SENDER_TSPEC r = b = p = bandwidth / 8 bytes/s,
m = 0, M = 1500.  With m read as 64 bytes and 10 us per packet, a 10 Mb/s LSP
costs 1,250,000 / 64 * 10e-6 = 0.195 of a CPU and a 30 Mb/s one 0.586: over
the transit's 0.5 (one CPU, max_cpu_fraction 0.5) while its links are 1 Gb/s.
"""

from __future__ import annotations

import pytest

from admission.quasar import QuasarAdmission
from rsvp.engine import Tunnel, TunnelAdded, TunnelRemoved

from .engine_harness import Line


def quasar_line() -> Line:
    line = Line(3)
    transit = line.nodes[1]
    transit.admission = QuasarAdmission(transit.config.interfaces, cpus=1.0, max_cpu_fraction=0.5,
                                        per_packet_cost_s=10e-6)
    return line


def test_an_lsp_over_the_transit_cpu_is_refused_and_a_smaller_one_comes_up():
    line = quasar_line()
    line.handle(0, TunnelAdded(Tunnel("big", line.address(2), 30e6, tunnel_id=1)))
    line.handle(0, TunnelAdded(Tunnel("small", line.address(2), 10e6, tunnel_id=2)))
    line.run(0.5)
    states = {r["name"]: r for r in line.lsps(0)}
    assert states["small"]["state"] == "up"
    assert states["big"]["state"] == "down" and states["big"]["reason"] == "PathErr 1/2 from 10.0.0.2"
    assert line.nodes[1].counters["sent RESV_ERR"] == 1
    policy = line.nodes[1].admission
    snap = policy.snapshot()
    assert snap["cpu"]["used"] == pytest.approx(1_250_000 / 64 * 10e-6)
    (record,) = snap["reservations"]
    assert record["bandwidth_bps"] == 10e6 and record["interface"] == "down"
    assert record["shares"]["queue_bytes"] == 1_250_000 + 1500  # b = one second of r, plus M


def test_tearing_the_lsp_down_gives_the_transit_its_cpu_back():
    line = quasar_line()
    line.handle(0, TunnelAdded(Tunnel("small", line.address(2), 10e6, tunnel_id=2)))
    line.run(0.5)
    assert line.nodes[1].admission.ledger.used("cpu") > 0
    line.handle(0, TunnelRemoved("small"))
    line.run(1.0)
    assert line.nodes[1].admission.snapshot()["reservations"] == []
    assert line.nodes[1].admission.ledger.used("cpu") == pytest.approx(0.0)
