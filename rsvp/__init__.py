"""QuaSAR-RSVP: an RSVP-TE protocol stack for a QoS-aware, per-flow partitioned router.

Layers (see DESIGN.md): :mod:`rsvp.wire` (bytes <-> typed messages), then the
sans-IO engine and the daemon built on it.
"""
