"""Building the RFC 2205 messages of IPv4 Int-serv sessions (object orders of RFC 2205 section 3.1).

A flow descriptor list is given as ``(spec, senders)`` pairs: FF has one pair
per sender, SE one pair with all its senders, WF one pair with no senders.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any, Iterable

from rsvp.wire import Message, MsgType
from rsvp.wire.objects import core

from .flowspecs import Spec, to_flowspec

Sender = tuple[IPv4Address, int]  # SENDER_TEMPLATE / FILTER_SPEC IPv4: source address and port


def filter_spec(sender: Sender) -> core.FilterSpecIPv4:
    return core.FilterSpecIPv4(sender[0], sender[1])


def _flows(descriptors: Iterable[tuple[Spec | None, Iterable[Sender]]]) -> list[Any]:
    objects: list[Any] = []
    for spec, senders in descriptors:
        if spec is not None:
            objects.append(to_flowspec(spec))
        objects.extend(filter_spec(s) for s in senders)
    return objects


def path(session: core.SessionIPv4, hop: IPv4Address, lih: int, refresh_ms: int, template: Any, tspec: Any,
         adspec: Any, forward: tuple[Any, ...]) -> Message:
    objects: list[Any] = [session, core.RsvpHopIPv4(hop, lih), core.TimeValues(refresh_ms), *forward, template, tspec]
    if adspec is not None:
        objects.append(adspec)
    return Message(MsgType.PATH, tuple(objects), send_ttl=255)


def path_tear(session: core.SessionIPv4, hop: IPv4Address, lih: int, template: Any, tspec: Any) -> Message:
    return Message(MsgType.PATH_TEAR, (session, core.RsvpHopIPv4(hop, lih), template, tspec), send_ttl=255)


def resv(session: core.SessionIPv4, hop: IPv4Address, lih: int, refresh_ms: int, style: int,
         descriptors: list[tuple[Spec, tuple[Sender, ...]]], confirm: Any = None,
         forward: tuple[Any, ...] = ()) -> Message:
    objects: list[Any] = [session, core.RsvpHopIPv4(hop, lih), core.TimeValues(refresh_ms)]
    if confirm is not None:
        objects.append(confirm)
    objects.extend(forward)
    objects.append(core.Style(0, style))
    objects.extend(_flows(descriptors))
    return Message(MsgType.RESV, tuple(objects), send_ttl=255)


def resv_tear(session: core.SessionIPv4, hop: IPv4Address, lih: int, style: int, spec: Spec | None,
              senders: tuple[Sender, ...]) -> Message:
    """FLOWSPECs are ignored in a ResvTear (RFC 2205 section 3.1.6); WF keeps its one FLOWSPEC, as the
    grammar of its flow descriptor has nothing else."""
    flows = _flows([(spec if style == core.STYLE_WF else None, senders)])
    return Message(MsgType.RESV_TEAR, (session, core.RsvpHopIPv4(hop, lih), core.Style(0, style), *flows),
                   send_ttl=255)


def resv_err(session: core.SessionIPv4, hop: IPv4Address, lih: int, error: core.ErrorSpecIPv4, style: int,
             flowspec: Any, filters: tuple[Any, ...]) -> Message:
    """The error flow descriptor is ``flowspec`` (a FLOWSPEC object, as received or built) and ``filters``."""
    flows = ([flowspec] if flowspec is not None else []) + list(filters)
    return Message(MsgType.RESV_ERR, (session, core.RsvpHopIPv4(hop, lih), error, core.Style(0, style), *flows),
                   send_ttl=255)


def resv_conf(session: core.SessionIPv4, node: IPv4Address, confirm: core.ResvConfirmIPv4, style: int,
              spec: Spec, senders: tuple[Sender, ...]) -> Message:
    """Error code 0 "Confirmation" (RFC 2205 appendix B) from ``node``, with the confirmed reservation."""
    return Message(MsgType.RESV_CONF, (
        session, core.ErrorSpecIPv4(node, 0, 0, 0), confirm, core.Style(0, style), *_flows([(spec, senders)]),
    ), send_ttl=255)
