"""The interface every routelet backend implements, and the "none" backend (bookkeeping only).

A backend starts idle routelets, gives one a reservation (:meth:`assign`,
also used to resize an assigned one in place), takes it back to idle
(:meth:`unassign`) and stops it (:meth:`destroy`).  Failures raise
:class:`~quasar_glue.model.GlueError` with the reason; :meth:`unassign` and
:meth:`destroy` are idempotent and never raise for missing pieces, so the
manager can always roll back.
"""

from __future__ import annotations

import math
from typing import Protocol

from quasar_glue.config import GlueConfig
from quasar_glue.graph import ForwardingGraph
from quasar_glue.model import GlueError, Routelet

ETH_MAX_FRAME = 1514  # the shaper's depth is at least one full Ethernet frame


class Backend(Protocol):
    name: str

    def existing(self) -> set[str]:
        """Names of routelets (with this config's prefix) present on the host, for reconciliation."""

    def create(self, routelet: Routelet) -> None:
        """Start ``routelet`` idle; fill ``routelet.details``."""

    def assign(self, routelet: Routelet) -> None:
        """Realise the reservation recorded in ``routelet`` (again, if already assigned)."""

    def unassign(self, routelet: Routelet) -> None:
        """Back to idle: forwards nothing, holds no reserved resources."""

    def destroy(self, name: str) -> None:
        """Stop and remove the routelet called ``name``."""

    def close(self) -> None:
        """Release the backend's own resources (connections, qdiscs it added)."""


def graph_for(routelet: Routelet, config: GlueConfig, src_mac: str, dst_mac: str) -> ForwardingGraph:
    """The forwarding graph of the reservation in ``routelet``.

    With Shares: police to (R or r, b), queue ``queue_bytes``, shape to the
    reserved rate with the policer's depth b (at least one maximum packet M):
    what leaves conforms to the TSpec that the next hop polices, and a backlog
    left by a scheduling hiccup drains at once (with a depth of one packet it
    stood for as long as the flow kept sending at exactly R).  Without
    (bandwidth only): police and shape to ``bandwidth_bps`` with the
    configured default depth; a zero rate (best effort) is neither policed
    nor shaped.
    """
    shares = routelet.shares
    if shares is not None:
        rate, burst, queue, packet = (shares.bandwidth_bps, shares.burst_bytes, shares.queue_bytes,
                                      shares.max_packet_bytes)
    else:
        rate = routelet.bandwidth_bps or math.inf
        burst, queue, packet = config.default_burst_bytes, config.default_queue_bytes, ETH_MAX_FRAME
    return ForwardingGraph(
        in_label=routelet.in_label, out_label=routelet.out_label,
        police_rate_bps=rate, police_burst_bytes=burst, queue_bytes=queue,
        shape_rate_bps=rate, shape_burst_bytes=max(burst, packet, ETH_MAX_FRAME), src_mac=src_mac, dst_mac=dst_mac)


class NoBackend:
    """Routelets exist only in the manager's table; nothing on the host is touched or enforced."""

    name = "none"

    def __init__(self, config: GlueConfig) -> None:
        self.config = config

    def existing(self) -> set[str]:
        return set()

    def create(self, routelet: Routelet) -> None:
        routelet.details = {"enforced": []}

    def assign(self, routelet: Routelet) -> None:
        try:
            routelet.graph = graph_for(routelet, self.config, "00:00:00:00:00:00", "00:00:00:00:00:00")
        except ValueError as error:
            raise GlueError(str(error)) from error

    def unassign(self, routelet: Routelet) -> None:
        routelet.graph = None

    def destroy(self, name: str) -> None:
        pass

    def close(self) -> None:
        pass

