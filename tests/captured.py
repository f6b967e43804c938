"""The RSVP payloads of an Ethernet pcap, for tests that replay a shared capture's messages."""

from __future__ import annotations

import dpkt


def payloads(path) -> list[bytes]:
    """The IP payload (the RSVP message) of each Ethernet frame of ``path``, in capture order."""
    with open(path, "rb") as fh:
        return [bytes(dpkt.ethernet.Ethernet(frame).data.data) for _, frame in dpkt.pcap.Reader(fh)]
