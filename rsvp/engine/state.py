"""Per-LSP state: the path state block (PSB) and reservation state (RSB) of one sender.

RSVP-TE point-to-point LSPs have one sender per (session, LSP id), so the PSB
(RFC 2205 section 3.1, what the previous hop sent) and the RSB (what the next
hop reserved for it) live in one record keyed by (session, sender).

The record is built to be small (a transit router holds hundreds of
thousands): slots only, the decoded objects the node needs to build its own
messages, the bytes it last sent (resent as they are on refresh), and for
what it received only the hash of the datagram (a refresh is recognised by
its bytes, see :meth:`rsvp.engine.node.Node._refreshed`).
"""

from __future__ import annotations

import dataclasses
import math
from ipaddress import IPv4Address
from typing import Any, NamedTuple

from rsvp.wire.layout import ipv4
from rsvp.wire.objects import te

from .config import Tunnel

NEVER = math.inf


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
    # path state (from upstream, or configured at the ingress): the objects passed on downstream
    # (SESSION and SENDER_TEMPLATE are rebuilt from the key when needed: see the properties)
    tspec: Any = None  # SENDER_TSPEC
    label_request: Any = None
    attribute: Any = None  # SESSION_ATTRIBUTE, if any
    forward: tuple[Any, ...] = ()  # unknown 11bbbbbb objects to pass on unchanged (RFC 2205 section 3.10)
    phop: IPv4Address | None = None
    in_interface: str | None = None
    out_interface: str | None = None
    next_hop: IPv4Address | None = None
    ero_out: tuple[Any, ...] | None = None
    rro_in: tuple[Any, ...] | None = None
    adspec: Any = None  # ADSPEC of the Path, if any: passed on (with the break bit after a non-RSVP hop)
    non_rsvp_hop: bool = False  # the Path crossed a non-RSVP hop: IP TTL != Send_TTL (RFC 2205 section 3.8)
    path_data: bytes = b""  # the Path sent downstream (b"": none), resent as is on refresh
    path_seen: int | None = None  # hash of the last Path datagram processed, to spot pure refreshes
    path_lifetime_s: float = 0.0
    path_expires_at: float = NEVER
    path_refresh_at: float = NEVER
    routes_version: int | None = None  # routing table version the next hop was resolved with
    # reservation state (from downstream) and what was installed and sent upstream
    out_label: int | None = None
    resv_rro: tuple[Any, ...] = ()
    resv_forward: tuple[Any, ...] = ()  # unknown 11bbbbbb objects of the downstream Resv, passed upstream
    in_label: int | None = None
    handle: int | None = None
    installed: bool = False
    admitted: bool = False
    resv_data: bytes = b""  # the Resv sent upstream (b"": none)
    resv_seen: int | None = None  # hash of the last Resv datagram processed
    resv_lifetime_s: float = 0.0
    resv_expires_at: float = NEVER
    resv_refresh_at: float = NEVER
    wake: float = NEVER  # the deadline this record is filed under in the node's wake-ups
    # RFC 2961 Message_Identifiers (None: none): of the Path / Resv state received (installed in the
    # neighbour's summary), and of the Path / Resv sent (refreshed by Srefresh instead of a timer)
    path_mid_in: int | None = None
    resv_mid_in: int | None = None
    path_mid_out: int | None = None
    resv_mid_out: int | None = None

    @property
    def session(self) -> te.SessionLspTunnelIPv4:
        session = self.key.session
        return te.SessionLspTunnelIPv4(ipv4(session.end_point), session.tunnel_id, ipv4(session.extended_tunnel_id))

    @property
    def sender(self) -> te.SenderTemplateLspTunnelIPv4:
        return te.SenderTemplateLspTunnelIPv4(ipv4(self.key.sender), self.key.lsp_id)

    @property
    def bandwidth_bps(self) -> float:
        bucket = self.tspec.token_bucket if self.tspec is not None else None
        return bucket.rate * 8 if bucket is not None else 0.0

    @property
    def shared(self) -> bool:
        """SE style desired (RFC 3209 section 4.7.1 flag 0x04)."""
        return bool(self.attribute is not None and self.attribute.flags & 0x04)

    @property
    def next_wake(self) -> float:
        """The earliest of this record's refresh and expiry deadlines."""
        return min(self.path_refresh_at, self.resv_refresh_at, self.path_expires_at, self.resv_expires_at)


@dataclasses.dataclass(slots=True, eq=False)
class IngressLsp(Lsp):
    """An LSP this node heads: its tunnel, whether it is up, why not, the retry back-off, and the last
    Notify PathErr heard for it (RFC 3209 section 7, error code 25, e.g. 25/3 Tunnel locally repaired)."""

    tunnel: Tunnel | None = None
    up: bool = False
    reason: str | None = "signalling"
    retry_s: float = 0.0
    notice: str | None = None
