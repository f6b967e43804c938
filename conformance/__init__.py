"""Conformance tooling: RSVP out of captures, rendering, round-trip and tshark checks (not imported by rsvp/)."""
