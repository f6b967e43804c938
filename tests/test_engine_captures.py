"""The engine against real routers' and hosts' messages, from two captures in ../shared/captures.

tcpdump-pr1265_rsvp_session.pcap (RSVP-TE) is the link between R1 (head 1.1.1.1, 10.0.12.1) and R2
(10.0.12.2) of a chain R1 - R2 - R3 (10.0.23.3, tail 3.3.3.3): R1's Path, PathTear and P2MP Path;
R2's Resv, PathErr 25/3 and ResvTear.  Our node stands in for R2 (fed R1's messages) or for R1 (fed
R2's), and what it sends is compared with what the real router sent in the same place.  One
difference is by design (rsvp/engine/node.py): our Path and PathTear are addressed to the next hop,
R1's to the tail.

peafowl_rsvp.pcap (classic RSVP, RFC 2205) is the link between a router (10.1.12.2) and a receiver
host (10.1.12.1) of a UDP session from the sender 10.1.24.4: the router's Path, the receiver's Resv
(FF, asking for confirmation) and the ResvConf.  Our node stands in for the receiver, then for the
router.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Network

import pytest

from rsvp.engine import (
    EroHop, FlowRequest, InstallLabel, Interface, IntServSession, LabelInstalled, Node, NodeConfig, PacketReceived,
    RemoveLabel, ReservationRequested, Route, Send, StaticRoutes, TrafficSpec, Tunnel, TunnelAdded,
)
from rsvp.wire import Message, MsgType, decode, encode
from rsvp.wire.model import ClassNum as C
from rsvp.wire.objects import core, routes, te

from .captured import payloads

R1, R2_UP, R2_DOWN, R3 = (IPv4Address(a) for a in ("10.0.12.1", "10.0.12.2", "10.0.23.2", "10.0.23.3"))
HEAD, TAIL = IPv4Address("1.1.1.1"), IPv4Address("3.3.3.3")
P2P_PATH, P2P_RESV, P2P_PATH_ERR, P2P_PATH_TEAR, P2P_RESV_TEAR, P2MP_PATH = range(6)
P2MP_PATH_TEAR = 8
ROUTER, RECEIVER, SENDER = (IPv4Address(a) for a in ("10.1.12.2", "10.1.12.1", "10.1.24.4"))
UDP_SESSION = IntServSession(RECEIVER, 17, 16388)
CLASSIC_PATH, CLASSIC_RESV, CLASSIC_CONF = range(3)


@pytest.fixture
def frames(shared_captures) -> list[bytes]:
    return payloads(shared_captures / "tcpdump-pr1265_rsvp_session.pcap")


@pytest.fixture
def classic(shared_captures) -> list[bytes]:
    return payloads(shared_captures / "peafowl_rsvp.pcap")


def as_r2() -> Node:
    interfaces = (Interface("to-r1", R2_UP, 1e9, 24), Interface("to-r3", R2_DOWN, 1e9, 24))
    table = {IPv4Network(f"{TAIL}/32"): Route("to-r3", R3), IPv4Network(f"{HEAD}/32"): Route("to-r1", R1)}
    return Node(NodeConfig(IPv4Address("2.2.2.2"), interfaces, refresh_reduction=False, hello=False),
                StaticRoutes(interfaces, table), random.Random(1))


def as_r1() -> Node:
    interfaces = (Interface("to-r2", R1, 1e9, 24),)
    return Node(NodeConfig(HEAD, interfaces, refresh_reduction=False, hello=False),
                StaticRoutes(interfaces, {IPv4Network(f"{TAIL}/32"): Route("to-r2", R2_UP)}), random.Random(1))


def sends(actions) -> list[tuple[Send, Message]]:
    return [(a, decode(a.data)) for a in actions if isinstance(a, Send)]


def one(actions, kind):
    found = [a for a in actions if isinstance(a, kind)]
    assert len(found) == 1, actions
    return found[0]


def with_label(message: Message, old: int, new: int) -> tuple:
    """``message``'s objects with label ``old`` (in LABEL and the RRO's Label sub-objects) made ``new``."""
    out = []
    for o in message.objects:
        if isinstance(o, te.Label) and o.label == old:
            o = te.Label(new)
        elif isinstance(o, routes.RecordRoute):
            o = routes.RecordRoute(tuple(routes.RroLabel(new, s.c_type, s.flags)
                                         if isinstance(s, routes.RroLabel) and s.label == old else s
                                         for s in o.subobjects))
        out.append(o)
    return tuple(out)


def test_as_transit_our_resv_is_the_real_next_hops_but_for_the_label(frames):
    node = as_r2()
    path_in = decode(frames[P2P_PATH])
    [(send, path_out)] = sends(node.handle(PacketReceived(frames[P2P_PATH], "to-r1", R1, 255), 1.0))
    assert (send.interface, send.destination, send.router_alert) == ("to-r3", R3, True)  # R1 sent to TAIL
    for cls in (C.SESSION, C.SENDER_TEMPLATE, C.SESSION_ATTRIBUTE, C.LABEL_REQUEST, C.SENDER_TSPEC, C.TIME_VALUES):
        assert path_out.find(cls) == path_in.find(cls), cls
    assert path_out.find(C.RSVP_HOP) == core.RsvpHopIPv4(R2_DOWN, 0)
    assert path_out.find(C.EXPLICIT_ROUTE).subobjects == path_in.find(C.EXPLICIT_ROUTE).subobjects[1:]
    assert path_out.find(C.RECORD_ROUTE).subobjects == (routes.RroIPv4(R2_DOWN),
                                                         *path_in.find(C.RECORD_ROUTE).subobjects)

    # R3's Resv to R2: the real R2's Resv seen from below (R3's hop, label and the RRO from R3 on)
    real = decode(frames[P2P_RESV])
    rro = real.find(C.RECORD_ROUTE).subobjects
    assert rro[2] == routes.RroIPv4(R3)
    from_r3 = tuple(core.RsvpHopIPv4(R3, 0) if o.class_num == C.RSVP_HOP else te.Label(rro[3].label)
                    if o.class_num == C.LABEL else routes.RecordRoute(rro[2:]) if o.class_num == C.RECORD_ROUTE
                    else o for o in real.objects)
    actions = node.handle(PacketReceived(encode(Message(MsgType.RESV, from_r3)), "to-r3", R3, 255), 2.0)
    install = one(actions, InstallLabel)
    assert (install.out_label, install.out_interface, install.next_hop) == (rro[3].label, "to-r3", R3)
    assert not sends(actions)  # the Resv goes up once the label is in place
    [(send, resv_out)] = sends(node.handle(LabelInstalled(install.handle), 2.0))
    assert (send.interface, send.destination, send.router_alert) == ("to-r1", R1, False)
    assert resv_out.objects == with_label(real, real.find(C.LABEL).label, install.in_label)

    actions = node.handle(PacketReceived(frames[P2P_PATH_TEAR], "to-r1", R1, 255), 3.0)
    [(send, tear)] = sends(actions)
    assert (send.interface, send.destination, send.router_alert, tear.msg_type) == ("to-r3", R3, True,
                                                                                   MsgType.PATH_TEAR)
    assert one(actions, RemoveLabel).handle == install.handle
    assert node.snapshot()["lsps"] == []


def test_as_head_a_real_resv_brings_the_lsp_up_and_a_notify_leaves_it_up(frames):
    node = as_r1()
    real_path = decode(frames[P2P_PATH])
    tunnel = Tunnel("TestTunnelP2p", TAIL, 0.0, 1, (EroHop(R2_UP), EroHop(R3)), setup_priority=7, hold_priority=0)
    [(send, path)] = sends(node.handle(TunnelAdded(tunnel), 1.0))
    assert (send.interface, send.destination, send.router_alert) == ("to-r2", R2_UP, True)  # R1 sent to TAIL
    for cls in (C.SESSION, C.RSVP_HOP, C.TIME_VALUES, C.EXPLICIT_ROUTE, C.LABEL_REQUEST, C.SENDER_TEMPLATE,
                C.RECORD_ROUTE):
        assert path.find(cls) == real_path.find(cls), cls
    assert path.find(C.SESSION_ATTRIBUTE).name == "TestTunnelP2p"

    install = one(node.handle(PacketReceived(frames[P2P_RESV], "to-r2", R2_UP, 253), 1.1), InstallLabel)
    assert (install.in_label, install.out_label, install.out_interface) == (None, 200000, "to-r2")
    node.handle(LabelInstalled(install.handle), 1.1)
    [lsp] = node.snapshot()["lsps"]
    assert (lsp["state"], lsp["out_label"], lsp["record_route"]) == ("up", 200000, [str(R2_UP), str(R3)])

    # PathErr 25/3 "Tunnel locally repaired" (RFC 4090) is news, not a failure: nothing is torn down
    assert node.handle(PacketReceived(frames[P2P_PATH_ERR], "to-r2", R2_UP, 255), 1.2) == []
    [lsp] = node.snapshot()["lsps"]
    assert (lsp["state"], lsp["notice"]) == ("up", f"PathErr 25/3 from {R2_UP}")

    actions = node.handle(PacketReceived(frames[P2P_RESV_TEAR], "to-r2", R2_UP, 255), 1.3)
    assert one(actions, RemoveLabel).handle == install.handle
    [lsp] = node.snapshot()["lsps"]
    assert (lsp["state"], lsp["reason"]) == ("down", "ResvTear from downstream")


def test_a_p2mp_path_is_refused_as_an_unknown_session_c_type(frames):
    """RFC 2205 section 3.10: SESSION C-Type 13 (P2MP, RFC 4875) is one this node does not implement."""
    node = as_r2()
    path = decode(frames[P2MP_PATH])
    [(send, error)] = sends(node.handle(PacketReceived(frames[P2MP_PATH], "to-r1", R1, 255), 1.0))
    assert (send.interface, send.destination, error.msg_type) == ("to-r1", R1, MsgType.PATH_ERR)
    spec = error.find(C.ERROR_SPEC)
    assert (spec.error_node, spec.error_code, spec.error_value) == (R2_UP, 14, C.SESSION << 8 | 13)
    assert error.find(C.SESSION) == path.find(C.SESSION)
    assert error.find(C.SENDER_TEMPLATE) == path.find(C.SENDER_TEMPLATE)
    assert decode(frames[P2MP_PATH_TEAR]).msg_type == MsgType.PATH_TEAR  # R1's, for the LSP refused
    assert node.handle(PacketReceived(frames[P2MP_PATH_TEAR], "to-r1", R1, 255), 2.0) == []
    assert node.snapshot()["lsps"] == []


def test_as_receiver_our_resv_is_the_real_receivers_byte_for_byte(classic):
    interfaces = (Interface("to-router", RECEIVER, 1e9, 24),)
    node = Node(NodeConfig(RECEIVER, interfaces, refresh_reduction=False, hello=False), StaticRoutes(interfaces),
                random.Random(1))
    # what the real receiver asked for: FF, Controlled-Load r = p = 6000 B/s, b = 6000 B, m = M = 0, confirmed
    wanted = FlowRequest(TrafficSpec(48_000, 6000, 48_000, 0, 0))
    assert node.handle(ReservationRequested(UDP_SESSION, "FF", wanted, ((SENDER, 16388),), confirm=True), 0.5) == []
    [(send, _)] = sends(node.handle(PacketReceived(classic[CLASSIC_PATH], "to-router", SENDER, 254), 1.0))
    assert (send.interface, send.destination, send.router_alert) == ("to-router", ROUTER, False)
    assert send.data == classic[CLASSIC_RESV]
    assert node.handle(PacketReceived(classic[CLASSIC_CONF], "to-router", ROUTER, 255), 1.2) == []
    [session] = node.snapshot()["sessions"]
    assert session["receiver"]["confirmations"] == 1


def test_as_router_between_real_hosts_we_send_what_the_real_router_sent(classic):
    interfaces = (Interface("to-sender", IPv4Address("10.1.24.2"), 1e9, 24), Interface("to-receiver", ROUTER, 1e9, 24))
    node = Node(NodeConfig(IPv4Address("2.2.2.2"), interfaces, refresh_reduction=False, hello=False),
                StaticRoutes(interfaces), random.Random(1))
    real_path = decode(classic[CLASSIC_PATH])
    # the sender's Path to the router: the router's, with the sender as the previous hop
    from_sender = tuple(core.RsvpHopIPv4(SENDER, 0) if o.class_num == C.RSVP_HOP else o for o in real_path.objects)
    [(send, path)] = sends(node.handle(PacketReceived(encode(Message(MsgType.PATH, from_sender)), "to-sender",
                                                      SENDER, 64), 1.0))
    assert (send.interface, send.destination, send.router_alert) == ("to-receiver", RECEIVER, True)
    assert path.find(C.RSVP_HOP).address == ROUTER  # its logical interface handle is ours
    assert [o for o in path.objects if o.class_num != C.RSVP_HOP] == \
           [o for o in real_path.objects if o.class_num != C.RSVP_HOP]

    [(send, resv)] = sends(node.handle(PacketReceived(classic[CLASSIC_RESV], "to-receiver", RECEIVER, 255), 1.1))
    assert (send.interface, send.destination) == ("to-sender", SENDER)
    real_resv = decode(classic[CLASSIC_RESV])
    assert resv.find(C.RSVP_HOP) == core.RsvpHopIPv4(IPv4Address("10.1.24.2"), 0)  # the sender's Path's handle
    assert [o for o in resv.objects if o.class_num != C.RSVP_HOP] == \
           [o for o in real_resv.objects if o.class_num != C.RSVP_HOP]  # RESV_CONFIRM passed on up

    # the sender's confirmation, addressed to the receiver, goes on to it as the real router sent it
    [(send, _)] = sends(node.handle(PacketReceived(classic[CLASSIC_CONF], "to-sender", SENDER, 255), 1.2))
    assert (send.interface, send.destination, send.router_alert) == ("to-receiver", RECEIVER, True)
    assert send.data == classic[CLASSIC_CONF]


def test_every_captured_message_is_handled_or_counted_as_dropped(shared_captures):
    """Each RSVP message of every capture, malformed ones included, handed to a transit node as from its
    neighbour: nothing raises, and each message is either received or dropped with a reason."""
    from conformance import pcap

    messages = [p for path in sorted(shared_captures.glob("*.pcap*")) for p in pcap.read_file(str(path))
                if isinstance(p, pcap.RsvpPacket)]
    assert len(messages) == 27  # as ../shared/captures/README.md counts them
    node = as_r2()
    for i, packet in enumerate(messages):
        before = sum(node.counters.values())
        node.handle(PacketReceived(packet.data, "to-r1", R1, packet.ttl), float(i))
        counted = [k for k in node.counters if k.startswith(("received ", "drop: "))]
        assert counted and sum(node.counters.values()) > before, packet
    drops = {k: n for k, n in node.counters.items() if k.startswith("drop: ")}
    assert sum(drops.values()) >= 13, drops  # the 12 of the malformed captures and the wrong checksum at least
