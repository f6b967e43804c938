"""Distinct RSVP-TE Path and Resv messages for the codec benchmarks.

Message ``i`` differs from every other in its tunnel, LSP and sender ids and
its name, and cycles through bandwidths, ERO lengths and RRO contents, as the
LSPs of a large network would.  Objects that real LSPs share (TIME_VALUES,
LABEL_REQUEST, the previous hop) are shared here too.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from rsvp.wire import Message, MsgType
from rsvp.wire.objects import core, intserv, routes, te

_BASE = int(IPv4Address("10.0.0.0"))


def _addr(n: int) -> IPv4Address:
    return IPv4Address(_BASE + n % (1 << 24))


def _tspec(i: int) -> intserv.TokenBucket:
    rate = 125_000.0 * (1 + i % 97)  # 1 Mb/s steps, in bytes/s
    return intserv.TokenBucket(rate, rate / 10, rate, 64, 1500)


def path(i: int) -> Message:
    """An RSVP-TE Path (RFC 3209 section 4.3) as an ingress LSR sends it."""
    hops = 2 + i % 4
    ero = routes.ExplicitRoute(tuple(routes.EroIPv4Prefix(_addr(1000 + (i + h) % 251 * 4 + h)) for h in range(hops)))
    rro = routes.RecordRoute((routes.RroIPv4(_addr(2000 + i % 200)), routes.RroLabel(16 + i % 1000, flags=1)))
    return Message(MsgType.PATH, (
        te.SessionLspTunnelIPv4(_addr(50 + i % 13), i % 65536, _addr(100 + i // 65536)),
        core.RsvpHopIPv4(_addr(7), 3),
        core.TimeValues(30000),
        ero,
        te.LabelRequest(0x0800),
        te.SessionAttribute(7, 7, 0x04, f"lsp-{i:06d}"),
        te.SenderTemplateLspTunnelIPv4(_addr(100 + i // 65536), 1 + i % 4000),
        intserv.SenderTSpec.from_token_bucket(_tspec(i)),
        rro,
    ), send_ttl=64)


def resv(i: int) -> Message:
    """An RSVP-TE Resv with SE style, a label and an RRO (RFC 3209 section 4.1)."""
    return Message(MsgType.RESV, (
        te.SessionLspTunnelIPv4(_addr(50 + i % 13), i % 65536, _addr(100 + i // 65536)),
        core.RsvpHopIPv4(_addr(9), 5),
        core.TimeValues(30000),
        core.Style(0, core.STYLE_SE),
        intserv.FlowSpec.controlled_load(_tspec(i)),
        te.FilterSpecLspTunnelIPv4(_addr(100 + i // 65536), 1 + i % 4000),
        te.Label(16 + i % 1_000_000),
        routes.RecordRoute((routes.RroIPv4(_addr(3000 + i % 300)), routes.RroLabel(16 + i % 1000, flags=1),
                            routes.RroIPv4(_addr(4000 + i % 50)))),
    ), send_ttl=255)


def messages(count: int) -> list[Message]:
    """``count`` Paths then ``count`` Resvs."""
    return [path(i) for i in range(count)] + [resv(i) for i in range(count)]
