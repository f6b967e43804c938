"""EXPLICIT_ROUTE processing (RFC 3209 section 4.3.4): choose the next hop, trim the ERO.

Pure functions over the sub-objects; errors come back as the Routing Problem
(code 24) value to send in a PathErr.
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Callable

from rsvp.wire.objects.routes import EroIPv4Prefix

from .routing import Route, Routes

ROUTING_PROBLEM = 24
BAD_EXPLICIT_ROUTE = 1
BAD_STRICT_NODE = 2
BAD_LOOSE_NODE = 3
BAD_INITIAL_SUBOBJECT = 4
NO_ROUTE = 5
ROUTING_LOOP = 7  # RRO indicated routing loops
LABEL_ALLOCATION_FAILURE = 9


@dataclasses.dataclass(frozen=True, slots=True)
class EroError:
    value: int  # the Routing Problem sub-code
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class Hop:
    """Where a Path goes next and the ERO it carries there (None: no ERO, route by destination)."""

    route: Route
    ero: tuple[Any, ...] | None


def _contains(sub: Any, is_local: Callable[[IPv4Address], bool], locals_: tuple[IPv4Address, ...]) -> bool:
    """Is this node part of the abstract node ``sub`` (RFC 3209 section 4.3.4.1)?"""
    if not isinstance(sub, EroIPv4Prefix):
        return False
    if sub.prefix_length == 32:
        return is_local(sub.address)
    network = IPv4Network(f"{sub.address}/{sub.prefix_length}", strict=False)
    return any(address in network for address in locals_)


def next_hop(
    ero: tuple[Any, ...] | None,
    destination: IPv4Address,
    routes: Routes,
    is_local: Callable[[IPv4Address], bool],
    local_addresses: tuple[IPv4Address, ...],
    received: bool,
) -> Hop | EroError:
    """The next hop for a Path towards ``destination`` carrying ``ero``.

    ``received``: the ERO came in a Path (its first sub-object must describe
    this node, step 1 of RFC 3209 section 4.3.4.1); False at the ingress, where
    the configured ERO starts at the first hop.
    """
    subs = list(ero) if ero is not None else None
    if subs is not None and received:
        if not subs or not _contains(subs[0], is_local, local_addresses):
            return EroError(BAD_INITIAL_SUBOBJECT, "first ERO sub-object does not describe this node")
        while subs and _contains(subs[0], is_local, local_addresses):
            subs.pop(0)
    if not subs:  # no ERO, or it is used up: ordinary routing (RFC 3209 section 4.3.4.1, step 2)
        route = routes.route(destination)
        if route is None:
            return EroError(NO_ROUTE, f"no route to {destination}")
        return Hop(route, None)
    target = subs[0]
    if not isinstance(target, EroIPv4Prefix):
        return EroError(BAD_EXPLICIT_ROUTE, f"unsupported ERO sub-object {type(target).__name__}")
    if not target.loose:
        route = routes.adjacent(target.address)
        if route is None:
            return EroError(BAD_STRICT_NODE, f"strict hop {target.address} is not adjacent")
        return Hop(route, tuple(subs))
    route = routes.route(target.address)
    if route is None:
        return EroError(BAD_LOOSE_NODE, f"no route to loose hop {target.address}")
    if route.next_hop != target.address:  # expand the loose hop: the next node must find itself first
        subs.insert(0, EroIPv4Prefix(route.next_hop))
    return Hop(route, tuple(subs))
