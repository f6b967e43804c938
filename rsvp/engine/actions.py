"""Engine outputs: what the node asks its environment to do, in the imperative.

Actions that can fail (installing a forwarding entry) are round trips: the
outcome comes back as an event (:class:`~rsvp.engine.events.LabelInstalled` or
:class:`~rsvp.engine.events.LabelInstallFailed`) carrying the same handle.
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address

from rsvp.wire import Message, decode


@dataclasses.dataclass(frozen=True, slots=True)
class Send:
    """Send the RSVP message ``data`` (encoded, checksum included) out of ``interface`` to IP
    ``destination``.  Refreshes resend the very bytes sent before.

    ``router_alert``: add the IP Router Alert option (Path, PathTear and
    ResvConf, RFC 2205 section 3.1.3), so each RSVP hop intercepts it.
    """

    data: bytes
    interface: str
    destination: IPv4Address
    router_alert: bool = False

    @property
    def message(self) -> Message:
        """``data`` decoded (for observers and tests; decoding is not free)."""
        return decode(self.data)

    @property
    def msg_type(self) -> int:
        return self.data[1]


@dataclasses.dataclass(frozen=True, slots=True)
class InstallLabel:
    """Install a label-forwarding entry; answer with LabelInstalled/LabelInstallFailed(handle).

    ``in_label`` None: ingress push (traffic of the tunnel enters here);
    ``out_label`` None: egress pop.  ``bandwidth_bps`` is what admission
    granted, for the data plane to police or shape.  ``reservation`` is the
    admission key behind it (``Request.key``), so a performer can ask the
    policy what else it granted (``admission.quasar``: CPU and memory shares);
    ``in_interface`` is where the labelled traffic arrives (None at an ingress).
    """

    handle: int
    in_label: int | None
    out_label: int | None
    out_interface: str | None
    next_hop: IPv4Address | None
    bandwidth_bps: float
    reservation: object = None
    in_interface: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RemoveLabel:
    """Remove the entry installed under ``handle`` (no answer expected)."""

    handle: int


Action = Send | InstallLabel | RemoveLabel
