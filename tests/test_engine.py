"""Engine behaviour on a line of nodes, over real encoded bytes."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from rsvp.engine import (
    EroHop, InstallLabel, LabelInstalled, MessageReceived, Send, Tunnel, TunnelAdded, TunnelRemoved, lifetime_s,
)
from rsvp.wire import ClassNum, Message, MsgType, UnknownObject, decode
from rsvp.wire.objects.attributes import AttributeFlags, LspAttributes, LspRequiredAttributes
from rsvp.wire.objects.frr import FastReroute, FastRerouteFlags
from rsvp.wire.objects.routes import RecordRoute, RroIPv4
from rsvp.wire.objects.te import SuggestedLabel, UpstreamLabel

from .engine_harness import Line


def tunnel(line: Line, tail: int, bandwidth: float = 10e6, **kw) -> Tunnel:
    return Tunnel("t1", line.address(tail), bandwidth, tunnel_id=1, **kw)


def test_lsp_comes_up_with_labels_consistent_hop_by_hop():
    line = Line(4)
    line.handle(0, TunnelAdded(tunnel(line, 3)))
    line.run(1.0)
    head = line.lsps(0)[0]
    assert head["state"] == "up" and head["role"] == "ingress" and head["reason"] is None
    records = [line.lsps(i)[0] for i in range(4)]
    assert [r["role"] for r in records] == ["ingress", "transit", "transit", "egress"]
    for upstream, downstream in zip(records, records[1:]):
        assert upstream["out_label"] == downstream["in_label"] is not None
    assert head["record_route"] == ["10.0.0.2", "10.0.1.2", "10.0.2.2"]
    assert all(r["state"] == "up" for r in records)
    # one forwarding entry per node: push, two swaps, pop
    entries = [list(line.installed[i].values()) for i in range(4)]
    assert [len(e) for e in entries] == [1, 1, 1, 1]
    assert entries[0][0].in_label is None and entries[3][0].out_label is None
    assert entries[1][0].bandwidth_bps == 10e6


def test_state_survives_refreshes_and_refreshes_do_not_retrigger_work():
    line = Line(3, refresh_reduction=False)  # standard refresh (Srefresh: tests/test_engine_neighbors.py)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(1.0)
    installs = line.nodes[1].counters["sent RESV"]
    line.run(600.0)  # twenty refresh periods
    assert all(r["state"] == "up" for i in range(3) for r in line.lsps(i))
    assert line.nodes[1].counters["Path refresh"] >= 10 and line.nodes[1].counters["Resv refresh"] >= 10
    assert len(line.installed[1]) == 1  # refreshes re-installed nothing
    assert line.nodes[1].counters["sent RESV"] - installs >= 10  # but were passed on as refreshes


def test_refresh_interval_is_jittered_within_half_to_one_and_a_half_r():
    line = Line(2, refresh_s=30.0, refresh_reduction=False)
    line.handle(0, TunnelAdded(tunnel(line, 1)))
    line.run(3000.0)
    sent = line.nodes[0].counters["sent PATH"]
    assert 3000 / 45 <= sent <= 3000 / 15 + 1  # mean R=30: about 100 sends, never faster than 0.5R


def test_deleting_the_tunnel_tears_everything_down():
    line = Line(4)
    line.handle(0, TunnelAdded(tunnel(line, 3)))
    line.run(1.0)
    line.handle(0, TunnelRemoved("t1"))
    line.run(2.0)
    for i in range(4):
        assert line.lsps(i) == [] and line.installed[i] == {}
        assert not line.nodes[i].labels.in_use


def test_state_times_out_after_lifetime_when_refreshes_stop():
    line = Line(3, hello=False)  # soft state alone (Hello notices far sooner: tests/test_engine_neighbors.py)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(1.0)
    line.down.add(0)  # silently lose everything on the first link, no LinkDown event
    line.run(1.0 + lifetime_s(30.0, 3) + 46)  # L plus one worst-case refresh interval
    assert line.lsps(1) == [] and line.lsps(2) == []
    head = line.lsps(0)[0]
    assert head["state"] == "down" and head["reason"] == "reservation timed out"


def test_admission_failure_is_reported_and_retried():
    line = Line(3, bandwidth_bps=5e6)
    line.handle(0, TunnelAdded(tunnel(line, 2, bandwidth=10e6)))
    line.run(0.5)
    head = line.lsps(0)[0]
    assert head["state"] == "down" and head["reason"] == "PathErr 1/2 from 10.0.0.2"  # the transit's CAC
    line.run(30.0)
    assert line.nodes[0].counters["ingress LSP down"] >= 3  # retried with back-off 1, 2, 4, 8 s ...
    assert line.nodes[0].counters["ingress LSP down"] <= 6


def test_transit_admission_failure_sends_path_err_upstream():
    line = Line(3)
    line.nodes[1].admission._capacity["down"] = 1e6  # the second link is narrow at the transit
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(0.5)
    assert line.lsps(0)[0]["reason"] == "PathErr 1/2 from 10.0.0.2"
    assert line.nodes[1].counters["sent RESV_ERR"] == 1


def test_strict_ero_and_bad_strict_hop():
    line = Line(3)
    good = tunnel(line, 2, ero=(EroHop(IPv4Address("10.0.0.2")), EroHop(IPv4Address("10.0.1.2"))))
    line.handle(0, TunnelAdded(good))
    line.run(1.0)
    assert line.lsps(0)[0]["state"] == "up"
    line.handle(0, TunnelRemoved("t1"))
    bad = tunnel(line, 2, ero=(EroHop(IPv4Address("10.0.0.2")), EroHop(IPv4Address("10.9.9.9"))))
    line.handle(0, TunnelAdded(bad))
    line.run(2.0)
    assert line.lsps(0)[0]["reason"] == "PathErr 24/2 from 10.0.0.2"


def test_loose_ero_hop_is_expanded():
    line = Line(4)
    line.handle(0, TunnelAdded(tunnel(line, 3, ero=(EroHop(IPv4Address("192.168.0.2"), loose=True),))))
    line.run(1.0)
    assert line.lsps(0)[0]["state"] == "up"


def test_link_down_fails_the_lsp_at_once_and_it_recovers():
    line = Line(3)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(1.0)
    line.link_down(1)
    line.run(1.5)
    assert line.lsps(0)[0]["state"] == "down"
    assert line.lsps(0)[0]["reason"] == "PathErr 24/5 from 10.0.0.2"
    line.down.discard(1)
    line.routes[1].set_link("down", True)
    line.routes[2].set_link("up", True)
    line.run(120.0)
    assert line.lsps(0)[0]["state"] == "up"


def test_label_install_failure_at_the_egress_is_reported_upstream():
    line = Line(3)
    line.fail_installs.add((2, 1))  # the egress's first install (its pop entry)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(0.5)
    assert line.lsps(0)[0]["state"] == "down"
    assert line.lsps(0)[0]["reason"] == "PathErr 22/7 from 10.0.1.2"
    assert line.nodes[2].labels.in_use == set()


def test_label_install_failure_at_transit_fails_the_reservation_with_its_error():
    """RFC 2205 3.5: the transit's routelet cannot be made: ResvErr 22/x toward the receiver, PathErr
    toward the head, admission and label released; the head's retry then succeeds."""
    line = Line(3)
    line.fail_installs.add((1, 1))  # the transit's first install (its swap entry)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(0.5)
    transit = line.nodes[1]
    assert line.lsps(0)[0]["state"] == "down"
    assert line.lsps(0)[0]["reason"] == "PathErr 22/7 from 10.0.0.2"
    assert transit.counters["ResvErr 22/7 sent"] == 1
    assert line.nodes[2].counters["ResvErr received"] == 1
    assert transit.admission.reserved_bps("down") == 0
    assert transit.labels.in_use == set()
    line.run(120.0)  # the head retries with back-off; the next install (handle 2) succeeds
    assert line.lsps(0)[0]["state"] == "up"
    assert transit.admission.reserved_bps("down") == pytest.approx(10e6)


@pytest.mark.parametrize("count", [50])
def test_many_lsps_share_a_path(count):
    line = Line(3)
    for n in range(count):
        line.handle(0, TunnelAdded(Tunnel(f"t{n}", line.address(2), 1e6, tunnel_id=n + 1)))
    line.run(2.0)
    assert sum(r["state"] == "up" for r in line.lsps(0)) == count
    assert len(line.nodes[1].labels.in_use) == count
    assert line.nodes[1].admission.reserved_bps("down") == pytest.approx(count * 1e6)


def test_ingress_admission_failure_keeps_its_reason():
    line = Line(3)
    line.nodes[0].admission._capacity["down"] = 1e6
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(0.5)
    assert line.lsps(0)[0]["reason"].startswith("admission failed 1/2: 10000000 b/s requested on down")


def _path_from_head(line: Line) -> Message:
    sends = [a for a in line.nodes[0].handle(TunnelAdded(tunnel(line, 2)), 0.0) if isinstance(a, Send)]
    return sends[-1].message


def test_unknown_objects_in_path_follow_their_class_number_rule():
    line = Line(3)
    path = _path_from_head(line)
    forward, ignore = UnknownObject(250, 1, b"\x01\x02\x03\x04"), UnknownObject(150, 1, b"\x05\x06\x07\x08")
    actions = line.nodes[1].handle(MessageReceived(
        Message(path.msg_type, path.objects + (forward, ignore)), "up", IPv4Address("10.0.0.1")), 0.0)
    sent = [a.message for a in actions if isinstance(a, Send)]
    assert forward in sent[0].objects and ignore not in sent[0].objects
    reject = UnknownObject(100, 1, b"")
    actions = line.nodes[1].handle(MessageReceived(
        Message(path.msg_type, path.objects + (reject,)), "up", IPv4Address("10.0.0.1")), 0.0)
    error = [a for a in actions if isinstance(a, Send)][0]
    assert error.message.msg_type is MsgType.PATH_ERR and error.destination == IPv4Address("10.0.0.1")
    spec = error.message.find(ClassNum.ERROR_SPEC)
    assert (spec.error_code, spec.error_value) == (13, 100 * 256 + 1)


def test_known_objects_the_engine_does_not_act_on_follow_the_same_rule():
    """FAST_REROUTE and LSP_ATTRIBUTES (11bbbbbb) go on downstream unchanged, as a real head's FRR request
    must reach the points of local repair; SUGGESTED_LABEL (10bbbbbb) is dropped; LSP_REQUIRED_ATTRIBUTES
    (0bbbbbbb: RFC 5420 section 4.2, "an LSR that does not support the object MUST" refuse) and
    UPSTREAM_LABEL (a bidirectional LSP) refuse the Path with error 13."""
    line = Line(3)
    path = _path_from_head(line)
    frr_request = FastReroute(7, 0, 16, FastRerouteFlags.FACILITY_BACKUP_DESIRED, 0.0)
    attributes = LspAttributes((AttributeFlags(1),))
    suggested = SuggestedLabel(1000)
    actions = line.nodes[1].handle(MessageReceived(
        Message(path.msg_type, path.objects + (frr_request, attributes, suggested)), "up", IPv4Address("10.0.0.1")),
        0.0)
    (sent,) = [a.message for a in actions if isinstance(a, Send)]
    assert sent.msg_type is MsgType.PATH
    assert sent.find(ClassNum.FAST_REROUTE) == frr_request and sent.find(ClassNum.LSP_ATTRIBUTES) == attributes
    assert sent.find(ClassNum.SUGGESTED_LABEL) is None
    for refused in (LspRequiredAttributes((AttributeFlags(1),)), UpstreamLabel(1000)):
        node = Line(3).nodes[1]
        actions = node.handle(MessageReceived(Message(path.msg_type, path.objects + (refused,)), "up",
                                              IPv4Address("10.0.0.1")), 0.0)
        (error,) = [a.message for a in actions if isinstance(a, Send)]
        spec = error.find(ClassNum.ERROR_SPEC)
        assert (error.msg_type, spec.error_code, spec.error_value) == \
            (MsgType.PATH_ERR, 13, refused.class_num << 8 | refused.c_type)
        assert node.snapshot()["lsps"] == []


def test_record_route_loop_is_refused():
    line = Line(3)
    path = _path_from_head(line)
    looped = tuple(RecordRoute((RroIPv4(IPv4Address("10.0.1.1")),)) if o.class_num == ClassNum.RECORD_ROUTE else o
                   for o in path.objects)
    actions = line.nodes[1].handle(MessageReceived(Message(path.msg_type, looped), "up",
                                                   IPv4Address("10.0.0.1")), 0.0)
    spec = [a for a in actions if isinstance(a, Send)][0].message.find(ClassNum.ERROR_SPEC)
    assert (spec.error_code, spec.error_value) == (24, 7)
    assert line.lsps(1) == []


def test_changed_tunnel_is_rerouted_make_before_break():
    line = Line(3, bandwidth_bps=15e6)
    line.handle(0, TunnelAdded(tunnel(line, 2, bandwidth=10e6)))
    line.run(1.0)
    first = line.lsps(0)[0]
    assert first["lsp_id"] == 1 and first["state"] == "up"
    # 12 Mb/s fits only because the new LSP shares (SE) the old one's 10 Mb/s on each link
    line.handle(0, TunnelAdded(tunnel(line, 2, bandwidth=12e6)))
    line.run(2.0)
    records = line.lsps(0)
    assert [(r["lsp_id"], r["state"], r["bandwidth_bps"]) for r in records] == [(2, "up", 12e6)]
    assert [r["lsp_id"] for r in line.lsps(1)] == [2]
    assert line.nodes[1].admission.reserved_bps("down") == 12e6
    assert len(line.installed[1]) == 1


def test_unchanged_tunnel_is_left_alone():
    line = Line(2)
    line.handle(0, TunnelAdded(tunnel(line, 1)))
    line.run(1.0)
    sent = line.nodes[0].counters["sent PATH"]
    line.handle(0, TunnelAdded(tunnel(line, 1)))
    assert line.nodes[0].counters["sent PATH"] == sent and line.lsps(0)[0]["lsp_id"] == 1


def test_higher_priority_lsp_preempts_a_lower_one():
    line = Line(3, bandwidth_bps=15e6)
    line.handle(0, TunnelAdded(Tunnel("low", line.address(2), 10e6, tunnel_id=1, setup_priority=7,
                                      hold_priority=7)))
    line.run(1.0)
    line.handle(0, TunnelAdded(Tunnel("high", line.address(2), 10e6, tunnel_id=2, setup_priority=0,
                                      hold_priority=0)))
    line.run(1.5)
    states = {r["name"]: r for r in line.lsps(0)}
    assert states["high"]["state"] == "up"
    assert states["low"]["state"] == "down"
    assert states["low"]["reason"] in ("PathErr 12/0 from 10.0.0.2", "preempted by a higher-priority LSP")
    assert line.nodes[1].counters["preempted"] + line.nodes[0].counters["preempted"] >= 1
    line.run(60.0)  # the low one keeps retrying and keeps failing: there is no room
    assert {r["name"]: r["state"] for r in line.lsps(0)} == {"high": "up", "low": "down"}


def test_equal_priority_does_not_preempt():
    line = Line(3, bandwidth_bps=15e6)
    line.handle(0, TunnelAdded(Tunnel("a", line.address(2), 10e6, tunnel_id=1, setup_priority=3,
                                      hold_priority=3)))
    line.run(1.0)
    line.handle(0, TunnelAdded(Tunnel("b", line.address(2), 10e6, tunnel_id=2, setup_priority=3,
                                      hold_priority=3)))
    line.run(1.5)
    assert {r["name"]: r["state"] for r in line.lsps(0)} == {"a": "up", "b": "down"}


def test_counters_per_neighbour_and_drop_reasons():
    line = Line(3)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(100.0)
    snap = line.nodes[1].snapshot()
    up, down = snap["neighbors"]["10.0.0.1"], snap["neighbors"]["10.0.1.2"]
    # one Path and one Resv each way, refreshed by Srefresh (RFC 2961) every R = 30 s since
    assert up["received PATH"] == 1 and up["sent RESV"] == 1 and up["received SREFRESH"] >= 2
    assert down["sent PATH"] == 1 and down["received RESV"] == 1 and down["sent SREFRESH"] >= 2
    assert up["received HELLO"] >= 15 and snap["refresh_reduction"]["counters"]["acknowledged"] == 2  # piggy-backed
    stray = MessageReceived(decode(line.nodes[0].lsps[next(iter(line.nodes[0].lsps))].path_data), "down",
                            IPv4Address("10.0.1.2"))
    line.nodes[1].handle(stray, line.now)  # a Path of an LSP we hold, from the wrong side: counted
    line.nodes[1].handle(MessageReceived(Message(MsgType.HELLO, ()), "up", IPv4Address("10.0.0.1")), line.now)
    drops = {k: v for k, v in line.nodes[1].snapshot()["counters"].items() if k.startswith("drop:")}
    assert drops.get("drop: HELLO: HELLO missing") == 1
    assert drops.get("drop: Path would leave on the interface it arrived on") == 1
    assert line.lsps(1)[0]["state"] == "up"


def test_paths_the_node_cannot_carry_are_refused_with_the_rfc_error():
    from rsvp.wire.objects import intserv, te

    line = Line(3)
    path = _path_from_head(line)
    cases = [
        (intserv.SenderTSpec(()), (21, 4)),
        (intserv.SenderTSpec.from_token_bucket(intserv.TokenBucket(-1.0, 1.0, 1.0, 0, 1500)), (21, 4)),
        (intserv.SenderTSpec.from_token_bucket(intserv.TokenBucket(float("inf"), 1.0, 1.0, 0, 1500)), (21, 4)),
        (te.LabelRequest(0x86DD), (24, 10)),
        (te.GeneralizedLabelRequest(1, 1, 0x0800), (24, 10)),
    ]
    for replacement, expected in cases:
        objects = tuple(replacement if o.class_num == replacement.class_num else o for o in path.objects)
        actions = line.nodes[1].handle(MessageReceived(Message(path.msg_type, objects), "up",
                                                       IPv4Address("10.0.0.1")), 0.0)
        spec = [a for a in actions if isinstance(a, Send)][0].message.find(ClassNum.ERROR_SPEC)
        assert (spec.error_code, spec.error_value) == expected, replacement
        assert line.lsps(1) == []


def test_unknown_forward_objects_of_a_resv_travel_upstream():
    line = Line(3)
    line.handle(0, TunnelAdded(tunnel(line, 2)))
    line.run(1.0)
    resv = decode(line.nodes[2].lsps[next(iter(line.nodes[2].lsps))].resv_data)
    forward, ignore = UnknownObject(250, 9, b"\x0a\x0b\x0c\x0d"), UnknownObject(150, 9, b"\x01\x02\x03\x04")
    known = LspAttributes((AttributeFlags(1),))  # known to the codec, not acted on: 11bbbbbb goes on too
    actions = line.nodes[1].handle(MessageReceived(Message(resv.msg_type, resv.objects + (forward, ignore, known)),
                                                   "down", IPv4Address("10.0.1.2")), line.now)
    for action in actions:  # the swap is re-installed, then the Resv goes upstream
        if isinstance(action, InstallLabel):
            actions += line.nodes[1].handle(LabelInstalled(action.handle), line.now)
    upstream = [a.message for a in actions if isinstance(a, Send) and a.message.msg_type is MsgType.RESV]
    assert upstream and forward in upstream[-1].objects and ignore not in upstream[-1].objects
    assert known in upstream[-1].objects


def test_expiry_follows_the_neighbours_latest_refresh_period():
    """Lifetime L comes from the last TIME_VALUES: a neighbour that shortens R shortens L too."""
    line = Line(2, refresh_s=30.0)
    line.handle(0, TunnelAdded(tunnel(line, 1)))
    line.run(1.0)
    path = decode(line.nodes[0].lsps[next(iter(line.nodes[0].lsps))].path_data)
    from rsvp.wire.objects.core import TimeValues

    fast = Message(path.msg_type, tuple(TimeValues(1000) if o.class_num == ClassNum.TIME_VALUES else o
                                        for o in path.objects))
    line.down.add(0)  # from now on the head's own refreshes are lost
    line.nodes[1].handle(MessageReceived(fast, "up", IPv4Address("10.0.0.1")), line.now)
    line.run(line.now + lifetime_s(1.0, 3) + 0.5)  # L for R = 1 s is 5.25 s, far below the 157.5 s of R = 30 s
    assert line.lsps(1) == []


@pytest.mark.parametrize("stopping", [0, 1, 2, 3])
def test_shutdown_leaves_no_state_on_the_neighbours(stopping):
    """ShutdownRequested at the head, a transit or the tail: the node tears its LSPs both ways (PathTear
    downstream, ResvTear upstream) and releases everything; within half a second (well before Hello,
    5 s x 3.5, or the refresh lifetime could tell) no other node holds state or a forwarding entry for
    the LSP, and the head has it down for the tear."""
    from rsvp.engine.actions import RemoveLabel
    from rsvp.engine.events import ShutdownRequested

    line = Line(4)
    line.handle(0, TunnelAdded(tunnel(line, 3)))
    line.run(1.0)
    assert all(line.lsps(i)[0]["state"] == "up" for i in range(4))
    actions = line.nodes[stopping].handle(ShutdownRequested(), line.now)
    sent = sorted((a.interface, a.data[1]) for a in actions if isinstance(a, Send))
    expected = {0: [("down", MsgType.PATH_TEAR)], 3: [("up", MsgType.RESV_TEAR)]}.get(
        stopping, [("down", MsgType.PATH_TEAR), ("up", MsgType.RESV_TEAR)])
    assert sent == expected
    assert [a for a in actions if isinstance(a, RemoveLabel)]
    line._perform(stopping, actions)
    line.run(1.5)
    node = line.nodes[stopping]
    assert line.lsps(stopping) == [] and not node.labels.in_use
    assert all(node.admission.reserved_bps(i.name) == 0 for i in node.config.interfaces)
    for i in range(4):
        if i == stopping:
            continue
        assert line.installed[i] == {} and not line.nodes[i].labels.in_use
        if i == 0:
            head = line.lsps(0)[0]
            assert head["state"] == "down" and head["reason"] == "ResvTear from downstream"
        else:
            assert line.lsps(i) == [], (i, line.lsps(i))
    if stopping:  # the head retries (after 1 s): the stopped node refuses the Path and passes nothing on
        line.run(3.0)
        assert node.counters["drop: Path while shutting down"] >= 1
        assert line.lsps(stopping) == [] and all(line.lsps(i) == [] for i in range(stopping + 1, 4))


def test_shutdown_during_setup_has_the_head_tear_the_path():
    """A transit stopping before any Resv came back has no reservation to tear upstream: its PathErr
    (23/0, RSVP system error) reaches the head, which tears its Path, so the nodes before it forget
    the LSP at once instead of after the path state lifetime."""
    from rsvp.engine.events import ShutdownRequested

    line = Line(4)
    line.down.add(2)  # link 2-3: node 2's Path never reaches the tail, no Resv comes back
    line.handle(0, TunnelAdded(tunnel(line, 3)))
    line.run(1.0)
    assert [len(line.lsps(i)) for i in range(4)] == [1, 1, 1, 0] and line.lsps(0)[0]["state"] == "down"
    line.handle(2, ShutdownRequested())
    line.run(1.3)
    assert line.lsps(0)[0]["reason"] == "PathErr 23/0 from 10.0.1.2"
    assert line.lsps(1) == [] and line.lsps(2) == []


def test_non_rsvp_hop_is_detected_from_the_ip_ttl_and_sets_the_adspec_break_bit():
    """RFC 2205 section 3.8: a Path whose IP TTL differs from its Send_TTL crossed routers that did not
    intercept it; the node records and counts that, shows it, and sets the global break bit (the
    default general parameters fragment's, RFC 2210 section 3.3.1) in the ADSPEC it passes on."""
    import dataclasses

    from rsvp.engine import PacketReceived
    from rsvp.wire import encode
    from rsvp.wire.objects.intserv import AdSpec, Parameter, ServiceData

    line = Line(3, hello=False, refresh_reduction=False)
    sent = line.nodes[0].handle(TunnelAdded(tunnel(line, 2)), 0.0)
    message = decode(next(a for a in sent if isinstance(a, Send)).data)
    general = ServiceData(1, (Parameter(4, 1), Parameter(6, 1.25e8), Parameter(8, 0), Parameter(10, 1500)))
    objects = list(message.objects)
    objects.insert(objects.index(message.find(ClassNum.SENDER_TSPEC)) + 1, AdSpec((general, ServiceData(5, ()))))
    data = encode(dataclasses.replace(message, objects=tuple(objects)))
    assert data[4] == 255  # Send_TTL
    transit, previous = line.nodes[1], IPv4Address("10.0.0.1")

    def receive(ttl, now):
        out = transit.handle(PacketReceived(data, "up", previous, ip_ttl=ttl), now)
        paths = [decode(a.data) for a in out if isinstance(a, Send) and a.data[1] == MsgType.PATH]
        return transit.snapshot()["lsps"][0]["non_rsvp_hop"], paths

    across, paths = receive(252, 0.0)  # three routers decremented the TTL without intercepting the Path
    assert across is True and transit.counters["Path across a non-RSVP hop"] == 1
    adspec = paths[0].find(ClassNum.ADSPEC)
    assert adspec.service(1).break_bit and adspec.service(1).parameters == general.parameters
    assert not adspec.service(5).break_bit  # only the global break bit
    across, paths = receive(255, 1.0)  # the same bytes straight from the previous hop: no longer
    assert across is False and not paths[0].find(ClassNum.ADSPEC).service(1).break_bit
    across, paths = receive(255, 2.0)  # and again: a pure refresh, nothing passed on
    assert across is False and paths == [] and transit.counters["Path across a non-RSVP hop"] == 1
    across, paths = receive(254, 3.0)  # identical bytes across a cloud again: not taken for a refresh
    assert across is True and paths[0].find(ClassNum.ADSPEC).service(1).break_bit
    across, paths = receive(254, 4.0)  # refreshed across it: counted, still marked
    assert across is True and paths == [] and transit.counters["Path across a non-RSVP hop"] == 3
    assert line.nodes[0].snapshot()["lsps"][0]["non_rsvp_hop"] is False  # the head's own LSP
