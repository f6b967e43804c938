"""rsvpctl's LSP table marks LSPs whose Path crossed a non-RSVP hop (RFC 2205 section 3.8)."""

from __future__ import annotations

from rsvp.ctl import tables

LSP = {"name": "192.0.2.4/1/192.0.2.1", "role": "transit", "state": "up", "destination": "192.0.2.4",
       "in_label": 17, "out_label": 16, "record_route": ["10.0.1.1"], "bandwidth_bps": 1e6, "reason": None,
       "non_rsvp_hop": False}


def test_non_rsvp_hop_is_marked_with_a_note() -> None:
    plain = tables.lsps([LSP])
    assert tables.NON_RSVP_NOTE not in plain and "192.0.2.1*" not in plain
    marked = tables.lsps([LSP, {**LSP, "name": "192.0.2.4/2/192.0.2.1", "non_rsvp_hop": True}]).splitlines()
    assert marked[2].split()[0] == "192.0.2.4/1/192.0.2.1" and marked[3].split()[0] == "192.0.2.4/2/192.0.2.1*"
    assert marked[-1] == tables.NON_RSVP_NOTE
