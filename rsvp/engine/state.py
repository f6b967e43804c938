"""Per-LSP state: the path state block (PSB) and reservation state (RSB) of one sender.

RSVP-TE point-to-point LSPs have one sender per (session, LSP id), so the PSB
(RFC 2205 section 3.1, what the previous hop sent) and the RSB (what the next
hop reserved for it) live in one record keyed by (session, sender).
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address
from typing import Any, NamedTuple

from rsvp.wire import Message

from .config import Tunnel


class SessionKey(NamedTuple):
    """LSP_TUNNEL_IPv4 SESSION (RFC 3209 section 4.6.1.1); addresses as ints (they hash far faster)."""

    end_point: int
    tunnel_id: int
    extended_tunnel_id: int


class LspKey(NamedTuple):
    """A session and one sender (SENDER_TEMPLATE / FILTER_SPEC LSP_TUNNEL_IPv4); the sender as an int."""

    session: SessionKey
    sender: int
    lsp_id: int


@dataclasses.dataclass(slots=True, eq=False)
class Lsp:
    key: LspKey
    role: str  # "ingress" | "transit" | "egress"
    tunnel: Tunnel | None = None  # ingress only
    # path state (from upstream, or configured at the ingress)
    objects: dict[str, Any] = dataclasses.field(default_factory=dict)  # session, sender, tspec, attribute, ...
    forward: tuple[Any, ...] = ()  # unknown 11bbbbbb objects to pass on unchanged (RFC 2205 section 3.10)
    phop: IPv4Address | None = None
    in_interface: str | None = None
    out_interface: str | None = None
    next_hop: IPv4Address | None = None
    ero_out: tuple[Any, ...] | None = None
    rro_in: tuple[Any, ...] | None = None
    path_out: Message | None = None
    path_data: bytes = b""  # path_out encoded, resent as is on refresh
    path_in: tuple[Any, ...] = ()  # the objects of the last Path processed, to spot pure refreshes
    path_lifetime_s: float = 0.0
    path_expires_at: float = 0.0
    routes_version: int | None = None  # routing table version the next hop was resolved with
    # reservation state (from downstream) and what was installed and sent upstream
    out_label: int | None = None
    resv_rro: tuple[Any, ...] = ()
    resv_forward: tuple[Any, ...] = ()  # unknown 11bbbbbb objects of the downstream Resv, passed upstream
    in_label: int | None = None
    handle: int | None = None
    installed: bool = False
    admitted: bool = False
    resv_out: Message | None = None
    resv_data: bytes = b""
    resv_in: tuple[Any, ...] = ()  # the objects of the last Resv processed
    resv_lifetime_s: float = 0.0
    resv_expires_at: float = 0.0
    # ingress bookkeeping
    up: bool = False
    reason: str | None = "signalling"
    retry_s: float = 0.0

    @property
    def bandwidth_bps(self) -> float:
        tspec = self.objects.get("tspec")
        bucket = tspec.token_bucket if tspec is not None else None
        return bucket.rate * 8 if bucket is not None else 0.0

    @property
    def shared(self) -> bool:
        """SE style desired (RFC 3209 section 4.7.1 flag 0x04)."""
        attribute = self.objects.get("attribute")
        return bool(attribute is not None and attribute.flags & 0x04)
