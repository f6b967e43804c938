"""A routelet's forwarding graph: the one description both data planes are generated from.

classify (incoming label, or IPv4 at an ingress push) -> police to the TSpec
(r, b) -> label operation (swap with TTL decrement, push, pop) -> rewrite the
Ethernet addresses for the next hop -> bounded queue -> shape to the reserved
rate -> send.  :mod:`quasar_glue.click` renders it as a Click configuration,
:mod:`quasar_glue.forwarder` runs it over AF_PACKET.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Literal

from quasar_glue.mpls import check_label

Operation = Literal["swap", "push", "pop"]
ROUTELET_DEVICE = "eth0"  # the routelet's one interface (its vif in a Xen domU, its veth end in a netns)


@dataclasses.dataclass(frozen=True, slots=True)
class ForwardingGraph:
    """Rates in bits/s (``math.inf``: no policing or shaping), sizes in bytes, MACs as ``aa:bb:..``."""

    in_label: int | None  # None: ingress push, the routelet takes IPv4
    out_label: int | None  # None: egress pop
    police_rate_bps: float
    police_burst_bytes: int
    queue_bytes: int
    shape_rate_bps: float
    shape_burst_bytes: int  # at least one maximum-size packet M
    src_mac: str
    dst_mac: str
    device: str = ROUTELET_DEVICE

    def __post_init__(self) -> None:
        if self.in_label is None and self.out_label is None:
            raise ValueError("a routelet needs an incoming or an outgoing label")
        for label in (self.in_label, self.out_label):
            if label is not None:
                check_label(label)
        if self.police_rate_bps <= 0 or self.shape_rate_bps <= 0:
            raise ValueError("rates must be positive (math.inf for unlimited)")

    @property
    def operation(self) -> Operation:
        if self.in_label is None:
            return "push"
        return "pop" if self.out_label is None else "swap"

    def to_json(self) -> str:
        return json.dumps({k: (None if v == math.inf else v) for k, v in dataclasses.asdict(self).items()})

    @classmethod
    def from_json(cls, text: str) -> ForwardingGraph:
        fields = json.loads(text)
        for rate in ("police_rate_bps", "shape_rate_bps"):
            fields[rate] = math.inf if fields[rate] is None else fields[rate]
        return cls(**fields)
