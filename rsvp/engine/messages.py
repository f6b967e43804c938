"""Building the messages a node sends (RFC 2205 section 3.1 and RFC 3209 section 4 object orders)."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address
from typing import Any

from rsvp.wire import Message, MsgType
from rsvp.wire.model import ClassNum as C
from rsvp.wire.objects import core, intserv, routes, te

from .state import Lsp

LABEL_RECORDING = 0x02  # SESSION_ATTRIBUTE flag (RFC 3209 section 4.7.1)
GENERAL_PARAMETERS = 1  # service number of the default general characterization parameters (RFC 2215)


def _hop(address: IPv4Address) -> core.RsvpHopIPv4:
    return core.RsvpHopIPv4(address, 0)


def path(lsp: Lsp, hop_address: IPv4Address, refresh_ms: int, rro: tuple[Any, ...] | None) -> Message:
    objects: list[Any] = [lsp.session, _hop(hop_address), core.TimeValues(refresh_ms)]
    if lsp.ero_out is not None:
        objects.append(routes.ExplicitRoute(lsp.ero_out))
    objects.append(lsp.label_request)
    if lsp.attribute is not None:
        objects.append(lsp.attribute)
    objects.extend(lsp.forward)
    objects += [lsp.sender, lsp.tspec]
    if lsp.adspec is not None:
        objects.append(broken(lsp.adspec) if lsp.non_rsvp_hop else lsp.adspec)
    if rro is not None:
        objects.append(routes.RecordRoute(rro))
    return Message(MsgType.PATH, tuple(objects), send_ttl=255)


def broken(adspec: intserv.AdSpec) -> intserv.AdSpec:
    """``adspec`` with the global break bit set: the break bit of its default general parameters
    fragment (service 1), which says a hop without Int-serv support lies on the path (RFC 2210
    section 3.3.1, RFC 2215 section 2); what RFC 2205 section 3.8 has a node do after a non-RSVP hop."""
    services = tuple(dataclasses.replace(s, flags=s.flags | intserv.BREAK_BIT) if s.service == GENERAL_PARAMETERS
                     else s for s in adspec.services)
    return dataclasses.replace(adspec, services=services)


def resv(lsp: Lsp, hop_address: IPv4Address, refresh_ms: int, rro: tuple[Any, ...] | None) -> Message:
    sender = lsp.sender
    style = core.Style(0, core.STYLE_SE if lsp.shared else core.STYLE_FF)
    bucket = lsp.tspec.token_bucket
    objects: list[Any] = [
        lsp.session, _hop(hop_address), core.TimeValues(refresh_ms), *lsp.resv_forward, style,
        intserv.FlowSpec.controlled_load(bucket),
        te.FilterSpecLspTunnelIPv4(sender.tunnel_sender, sender.lsp_id),
        te.Label(lsp.in_label),
    ]
    if rro is not None:
        objects.append(routes.RecordRoute(rro))
    return Message(MsgType.RESV, tuple(objects), send_ttl=255)


def path_tear(lsp: Lsp, hop_address: IPv4Address) -> Message:
    return Message(MsgType.PATH_TEAR, (lsp.session, _hop(hop_address), lsp.sender, lsp.tspec), send_ttl=255)


def resv_tear(lsp: Lsp, hop_address: IPv4Address) -> Message:
    sender = lsp.sender
    style = core.Style(0, core.STYLE_SE if lsp.shared else core.STYLE_FF)
    return Message(MsgType.RESV_TEAR, (
        lsp.session, _hop(hop_address), style, te.FilterSpecLspTunnelIPv4(sender.tunnel_sender, sender.lsp_id),
    ), send_ttl=255)


def path_err(session: Any, sender: Any, tspec: Any, node: IPv4Address, code: int, value: int) -> Message:
    objects = [session, core.ErrorSpecIPv4(node, 0, code, value)]
    if sender is not None and tspec is not None:
        objects += [sender, tspec]
    return Message(MsgType.PATH_ERR, tuple(objects), send_ttl=255)


def resv_err(lsp: Lsp, hop_address: IPv4Address, node: IPv4Address, code: int, value: int) -> Message:
    sender = lsp.sender
    style = core.Style(0, core.STYLE_SE if lsp.shared else core.STYLE_FF)
    return Message(MsgType.RESV_ERR, (
        lsp.session, _hop(hop_address), core.ErrorSpecIPv4(node, 0, code, value), style,
        intserv.FlowSpec.controlled_load(lsp.tspec.token_bucket),
        te.FilterSpecLspTunnelIPv4(sender.tunnel_sender, sender.lsp_id),
    ), send_ttl=255)


_HOP_BY_HOP = frozenset({C.INTEGRITY, C.MESSAGE_ID, C.MESSAGE_ID_ACK})


def hop_by_hop_removed(message: Message) -> Message:
    """A received message to pass on: without the objects that concern one hop only (INTEGRITY,
    RFC 2747 section 4; MESSAGE_ID, ACK and NACK, RFC 2961 section 4)."""
    objects = tuple(o for o in message.objects if o.class_num not in _HOP_BY_HOP)
    return message if len(objects) == len(message.objects) else dataclasses.replace(message, objects=objects)
