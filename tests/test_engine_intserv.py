"""Classic RSVP (RFC 2205) IPv4 sessions in the engine: styles, merging, blockade, confirmation, tears.

Most scenarios run on an X-shaped tree (tests/engine_harness.py ``Tree``):

    sender 0 --.                 .-- 3 receiver
                1 ---- 2 (branch)
    sender 5 --'                 '-- 4 receiver

Link 1-2 is the shared link: every reservation of the multicast group crosses
it, merged according to the style.
"""

from __future__ import annotations

import json
import math
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rsvp.engine import MessageReceived, PacketReceived, Send, lifetime_s
from rsvp.engine.config import FlowRequest, IntServSession, TrafficSpec
from rsvp.engine.events import (
    ReservationRemoved, ReservationRequested, SenderAdded, SenderRemoved, ShutdownRequested,
)
from rsvp.engine.flowspecs import Spec, covers, f32, glb, lub, strictly_greater
from rsvp.wire import ClassNum, Message, MsgType, UnknownObject, encode
from rsvp.wire.objects import core, intserv, refresh

from .engine_harness import Line, Tree

GROUP = IPv4Address("225.1.1.1")
SESSION = IntServSession(GROUP, 17, 5000)
X_EDGES = [(0, 1), (5, 1), (1, 2), (2, 3), (2, 4)]
LINKS = [(0, 1), (5, 1), (1, 2), (2, 3), (2, 4)]  # downstream direction of each link


def cl(mbps: float) -> FlowRequest:
    return FlowRequest(TrafficSpec(mbps * 1e6))


def x_tree(**kw) -> Tree:
    tree = Tree(X_EDGES, **kw)
    tree.groups[GROUP] = {3, 4}
    return tree


def with_senders(tree: Tree, *nodes: int) -> Tree:
    for node in nodes:
        tree.handle(node, SenderAdded(SESSION, 1000 + node, TrafficSpec(10e6)))
    tree.run(tree.now + 0.5)
    return tree


def reserved(tree: Tree) -> list[float]:
    return [tree.reserved(a, b) / 1e6 for a, b in LINKS]


def session(tree: Tree, node: int) -> dict:
    (only,) = tree.sessions(node)
    return only


def assert_all_gone(tree: Tree) -> None:
    for index, node in enumerate(tree.nodes):
        assert node.snapshot()["sessions"] == [], index
        for interface in node.config.interfaces:
            assert node.admission.reserved_bps(interface.name) == 0, (index, interface.name)
        assert not [k for k in node._timers._generation if k[0].startswith("intserv")], index


# --- unicast on a line ----------------------------------------------------------------------------------


def test_unicast_ff_reservation_is_made_hop_by_hop_and_confirmed():
    line = Line(4)
    unicast = IntServSession(line.address(3), 17, 5000)
    line.handle(0, SenderAdded(unicast, 4000, TrafficSpec(2e6)))
    line.handle(3, ReservationRequested(unicast, "FF", cl(1), confirm=True))
    line.run(1.0)
    assert [line.nodes[i].admission.reserved_bps("down") for i in range(3)] == [1e6, 1e6, 1e6]
    receiver = line.nodes[3].snapshot()["sessions"][0]["receiver"]
    assert receiver["confirmations"] == 1 and receiver["errors"] == []
    assert line.nodes[0].counters["intserv ResvConf sent"] == 1  # the sender's node confirms
    transit = line.nodes[1].snapshot()["sessions"][0]
    assert transit["senders"][0]["previous_hop"] == "10.0.0.1" and transit["senders"][0]["out_interfaces"] == ["down"]
    assert transit["reservations"][0]["filters"] == ["192.168.0.0:4000"]
    json.dumps([node.snapshot() for node in line.nodes])  # plain data


def test_state_limits_count_classic_senders_with_lsps():
    """NodeConfig.max_state_per_neighbor bounds path state blocks of both kinds: a second sender from
    the same previous hop is refused with PathErr 2/4 (RFC 2750), and fits once the first has gone."""
    line = Line(3, max_state_per_neighbor=1)
    first, second = (IntServSession(line.address(2), 17, port) for port in (5000, 5001))
    line.handle(0, SenderAdded(first, 4000, TrafficSpec(2e6)))
    line.run(0.5)
    line.handle(0, SenderAdded(second, 4001, TrafficSpec(2e6)))
    line.run(1.0)
    transit = line.nodes[1]
    assert [s["destination_port"] for s in line.nodes[1].snapshot()["sessions"]] == [5000]
    assert transit.counters["intserv PathErr 2/4 sent"] >= 1 and transit.counters["intserv state limit reached"] >= 1
    errors = {s["destination_port"]: s["senders"][0]["error"] for s in line.nodes[0].snapshot()["sessions"]}
    assert errors[5000] is None and errors[5001].startswith("PathErr 2/4")
    line.handle(0, SenderRemoved(first, 4000))
    line.run(1.5)
    assert transit.limits.total == 0
    line.run(40.0)  # the refused sender's next refresh is accepted
    assert [s["destination_port"] for s in line.nodes[1].snapshot()["sessions"]] == [5001]
    assert transit.limits.total == 1


def test_shutdown_of_a_transit_tears_classic_sessions_both_ways():
    """ShutdownRequested: the transit's reservation is torn upstream (the sender's node releases its
    bandwidth) and its path state downstream (the receiver's node forgets the sender)."""
    line = Line(3)
    unicast = IntServSession(line.address(2), 17, 5000)
    line.handle(0, SenderAdded(unicast, 4000, TrafficSpec(2e6)))
    line.handle(2, ReservationRequested(unicast, "FF", cl(1)))
    line.run(1.0)
    assert line.nodes[0].admission.reserved_bps("down") == 1e6
    line.handle(1, ShutdownRequested())
    line.run(1.5)
    assert line.nodes[1].snapshot()["sessions"] == []
    assert line.nodes[0].admission.reserved_bps("down") == 0
    assert line.nodes[0].counters["received RESV_TEAR"] == 1 and line.nodes[2].counters["received PATH_TEAR"] == 1
    assert [s["senders"] for s in line.nodes[2].snapshot()["sessions"]] == [[]]  # its receiver's request stays


def test_refreshes_keep_state_without_new_admission_work():
    line = Line(3)
    unicast = IntServSession(line.address(2), 17, 5000)
    line.handle(0, SenderAdded(unicast, 4000, TrafficSpec(2e6)))
    line.handle(2, ReservationRequested(unicast, "SE", cl(1)))
    line.run(1.0)
    calls = []
    admit = line.nodes[1].admission.admit
    line.nodes[1].admission.admit = lambda request: calls.append(request) or admit(request)  # type: ignore
    line.run(1200.0)
    assert calls == []  # forty refresh periods, no trigger
    assert line.nodes[1].counters["intserv Path refresh"] >= 20
    assert line.nodes[1].counters["intserv Resv refresh"] >= 20
    assert line.nodes[1].admission.reserved_bps("down") == 1e6
    sent = line.nodes[0].counters["sent PATH"]
    assert 1200 / 45 <= sent <= 1200 / 15 + 1  # jittered in [0.5R, 1.5R]


def test_unicast_path_that_would_leave_on_its_arrival_interface_is_dropped():
    line = Line(3)
    unicast = IntServSession(line.address(0), 17, 5000)
    line.handle(2, SenderAdded(unicast, 1, TrafficSpec(1e6)))
    line.run(0.5)
    assert line.nodes[0].snapshot()["sessions"][0]["senders"][0]["previous_hop"] == "10.0.0.2"
    path = line.nodes[2].intserv.sessions[(line.address(0), 17, 5000)].psbs[(line.address(2), 1)].paths["up"]
    line.nodes[1].handle(MessageReceived(path, "up", IPv4Address("10.0.0.1")), line.now)  # as if from node 0
    assert line.nodes[1].counters["drop: Path would leave on the interface it arrived on"] == 1


# --- styles and merging on the shared link ------------------------------------------------------------------


@pytest.mark.parametrize("style, expected", [
    ("FF", [3, 3, 6, 4, 6]),  # distinct: per sender, LUB over receivers, summed over senders on a link
    ("SE", [3, 3, 3, 2, 3]),  # shared: one reservation per link, the LUB of the receivers
    ("WF", [3, 3, 3, 2, 3]),
])
def test_styles_merge_on_the_shared_link(style, expected):
    tree = with_senders(x_tree(), 0, 5)
    tree.handle(3, ReservationRequested(SESSION, style, cl(2)))
    tree.handle(4, ReservationRequested(SESSION, style, cl(3)))
    tree.run(1.0)
    assert reserved(tree) == expected
    shared_link = session(tree, 1)
    controls = shared_link["traffic_control"]
    if style == "FF":
        assert [(c["interface"], c["sender"], c["bandwidth_bps"]) for c in controls] == [
            ("to2", "192.168.0.0:1000", 3e6), ("to2", "192.168.0.5:1005", 3e6)]
    else:
        assert [(c["interface"], c["sender"], c["bandwidth_bps"]) for c in controls] == [("to2", None, 3e6)]
        assert controls[0]["filters"] == ([] if style == "WF" else ["192.168.0.0:1000", "192.168.0.5:1005"])
    # node 1 merges per previous hop: one Resv to each sender, for the senders behind it only
    assert shared_link["resv_sent_to"] == ["10.1.0.1", "10.1.1.1"]
    assert session(tree, 2)["style"] == style
    assert tree.misaddressed == 0
    tree.run(700.0)  # refreshes change nothing
    assert reserved(tree) == expected


@pytest.mark.parametrize("style", ["FF", "SE", "WF"])
def test_removing_receivers_shrinks_then_tears_and_senders_tear_the_rest(style):
    tree = with_senders(x_tree(), 0, 5)
    tree.handle(3, ReservationRequested(SESSION, style, cl(2)))
    tree.handle(4, ReservationRequested(SESSION, style, cl(3)))
    tree.run(1.0)
    tree.handle(4, ReservationRemoved(SESSION))
    tree.run(1.5)
    per_sender = 2 if style == "FF" else 1
    assert reserved(tree) == [2, 2, 2 * per_sender, 2 * per_sender, 0]  # a smaller Resv, not a tear, upstream
    assert tree.nodes[2].counters["sent RESV_TEAR"] == 0
    tree.handle(3, ReservationRemoved(SESSION))
    tree.run(2.0)
    assert reserved(tree) == [0, 0, 0, 0, 0]
    assert tree.nodes[1].counters["sent RESV_TEAR"] == 2  # one to each previous hop
    assert session(tree, 0)["reservations"] == []
    tree.handle(0, SenderRemoved(SESSION, 1000))
    tree.handle(5, SenderRemoved(SESSION, 1005))
    tree.run(3.0)
    assert_all_gone(tree)


def test_a_sender_leaving_keeps_the_shared_reservation_for_the_other():
    tree = with_senders(x_tree(), 0, 5)
    tree.handle(3, ReservationRequested(SESSION, "WF", cl(2)))
    tree.run(1.0)
    tree.handle(0, SenderRemoved(SESSION, 1000))
    tree.run(1.5)
    assert reserved(tree) == [0, 2, 2, 2, 0]
    assert [s["sender"] for s in session(tree, 2)["senders"]] == ["192.168.0.5:1005"]


def test_ff_reservation_goes_with_its_sender():
    tree = with_senders(x_tree(), 0, 5)
    tree.handle(3, ReservationRequested(SESSION, "FF", cl(2)))
    tree.run(1.0)
    assert reserved(tree) == [2, 2, 4, 4, 0]
    tree.handle(5, SenderRemoved(SESSION, 1005))
    tree.run(1.5)
    assert reserved(tree) == [2, 0, 2, 2, 0]
    assert [r["filters"] for r in session(tree, 1)["reservations"]] == [["192.168.0.0:1000"]]


def test_ff_and_se_requests_for_named_senders_only():
    tree = with_senders(x_tree(), 0, 5)
    only = ((IPv4Address("192.168.0.5"), 1005),)
    tree.handle(3, ReservationRequested(SESSION, "SE", cl(2), senders=only))
    tree.run(1.0)
    assert reserved(tree) == [0, 2, 2, 2, 0]


def test_guaranteed_and_controlled_load_requests_merge_into_a_guaranteed_one():
    tree = with_senders(x_tree(), 0)
    tree.handle(3, ReservationRequested(SESSION, "WF", FlowRequest(TrafficSpec(2e6), guaranteed_rate_bps=4e6,
                                                                    slack_us=100)))
    tree.handle(4, ReservationRequested(SESSION, "WF", cl(3)))
    tree.run(1.0)
    (control,) = session(tree, 1)["traffic_control"]
    assert control["flowspec"]["service"] == "guaranteed"
    assert control["flowspec"]["rate_bps"] == 3e6 and control["flowspec"]["rspec_rate_bps"] == 4e6
    assert reserved(tree)[:3] == [4, 0, 4]


# --- style conflicts -----------------------------------------------------------------------------------


def test_conflicting_style_is_refused_with_error_5():
    tree = with_senders(x_tree(), 0)
    tree.handle(3, ReservationRequested(SESSION, "FF", cl(2)))
    tree.run(1.0)
    tree.handle(4, ReservationRequested(SESSION, "WF", cl(3)))
    tree.run(2.0)
    errors = session(tree, 4)["receiver"]["errors"]
    assert errors and errors[0].startswith(f"ResvErr 5/{core.STYLE_FF} from 10.1.4.1")
    assert tree.nodes[2].counters[f"intserv ResvErr 5/{core.STYLE_FF} sent"] >= 1
    assert reserved(tree) == [2, 0, 2, 2, 0]


def test_local_receiver_conflicting_with_downstream_style_is_reported():
    tree = with_senders(x_tree(), 0)
    tree.groups[GROUP].add(2)  # the branch node is a receiver as well
    tree.handle(3, ReservationRequested(SESSION, "FF", cl(2)))
    tree.run(1.0)
    tree.handle(2, ReservationRequested(SESSION, "SE", cl(5)))
    tree.run(1.5)
    assert session(tree, 2)["receiver"]["conflict"].startswith("error 5/0xa")
    assert reserved(tree)[2] == 2
    tree.handle(2, ReservationRequested(SESSION, "FF", cl(5)))
    tree.run(2.0)
    assert session(tree, 2)["receiver"]["conflict"] is None and reserved(tree)[2] == 5


# --- admission failure, ResvErr and blockade (the killer reservation, RFC 2205 sections 2.5 and 3.5) -----


@pytest.mark.parametrize("style", ["FF", "SE", "WF"])
@pytest.mark.parametrize("big_first", [True, False])
def test_blockade_lets_the_smaller_request_through(style, big_first):
    tree = with_senders(x_tree(), 0)
    tree.nodes[1].admission._capacity["to2"] = 4e6  # the shared link holds 4 Mb/s
    big = ReservationRequested(SESSION, style, cl(5))
    small = ReservationRequested(SESSION, style, cl(2), confirm=True)
    for node, request in ((3, big), (4, small)) if big_first else ((4, small), (3, big)):
        tree.handle(node, request)
        tree.run(tree.now + 0.1)
    tree.run(2.0)
    assert reserved(tree)[:3] == [2, 0, 2]  # the 5 Mb/s merge failed at node 1, the 2 Mb/s one got through
    assert reserved(tree)[3:] == [5, 2]  # below the merge point each receiver keeps what it asked for
    (blockade,) = session(tree, 2)["blockades"]
    assert blockade["flowspec"]["rate_bps"] == 5e6
    assert ("previous_hop" if style == "WF" else "sender") in blockade
    assert session(tree, 3)["receiver"]["errors"][0].startswith("ResvErr 1/2 from 10.1.2.1")
    small_receiver = session(tree, 4)["receiver"]
    assert small_receiver["confirmations"] == 1
    if not big_first:  # the 2 Mb/s reservation was in place: the failure was not its fault (InPlace)
        assert small_receiver["errors"] == []
    # Tb = Kb * R later the blockade lapses, the big request is merged again, fails again
    rejected = tree.nodes[1].counters["intserv admission rejected"]
    tree.run(2.0 + 4 * 45)
    assert tree.nodes[1].counters["intserv admission rejected"] > rejected
    assert reserved(tree)[:3] == [2, 0, 2] and session(tree, 4)["receiver"]["errors"] in ([], small_receiver["errors"])
    # the big receiver scales down to what fits: merged at once, the blockade does not hold it back
    tree.handle(3, ReservationRequested(SESSION, style, cl(3)))
    tree.run(tree.now + 1.0)
    assert reserved(tree) == [3, 0, 3, 3, 2]


def test_admission_failure_of_a_new_request_leaves_nothing_behind():
    line = Line(3)
    line.nodes[0].admission._capacity["down"] = 1e6
    unicast = IntServSession(line.address(2), 17, 5000)
    line.handle(0, SenderAdded(unicast, 4000, TrafficSpec(2e6)))
    line.handle(2, ReservationRequested(unicast, "FF", cl(2)))
    line.run(1.0)
    assert line.nodes[0].admission.reserved_bps("down") == 0
    assert line.nodes[1].admission.reserved_bps("down") == 2e6
    assert line.nodes[0].snapshot()["sessions"][0]["reservations"] == []
    assert line.nodes[2].snapshot()["sessions"][0]["receiver"]["errors"][0].startswith("ResvErr 1/2 from 10.0.0.1")


# --- confirmation ---------------------------------------------------------------------------------------


def test_a_request_merged_into_a_larger_one_is_confirmed_at_the_merge_point():
    tree = with_senders(x_tree(), 0)
    tree.handle(3, ReservationRequested(SESSION, "WF", cl(5)))
    tree.run(1.0)
    assert tree.nodes[0].counters["intserv ResvConf sent"] == 0  # nobody asked
    tree.handle(4, ReservationRequested(SESSION, "WF", cl(2), confirm=True))
    tree.run(2.0)
    assert session(tree, 4)["receiver"]["confirmations"] == 1
    assert tree.nodes[2].counters["intserv ResvConf sent"] == 1 and tree.nodes[0].counters["intserv ResvConf sent"] == 0
    tree.run(300.0)  # refreshes do not ask again
    assert session(tree, 4)["receiver"]["confirmations"] == 1


def test_the_largest_request_carries_its_confirmation_to_the_sender():
    tree = with_senders(x_tree(), 0)
    tree.handle(3, ReservationRequested(SESSION, "SE", cl(2)))
    tree.run(1.0)
    tree.handle(4, ReservationRequested(SESSION, "SE", cl(5), confirm=True))
    tree.run(2.0)
    assert session(tree, 4)["receiver"]["confirmations"] == 1
    assert tree.nodes[0].counters["intserv ResvConf sent"] == 1  # from the sender's node, routed to node 4
    assert tree.nodes[1].counters["sent RESV_CONF"] == 1 and tree.nodes[2].counters["sent RESV_CONF"] == 1


# --- soft state ----------------------------------------------------------------------------------------------


def test_state_times_out_when_refreshes_stop():
    tree = with_senders(x_tree(), 0)
    tree.handle(3, ReservationRequested(SESSION, "WF", cl(2)))
    tree.run(1.0)
    tree.down.add(0)  # link 0-1 silently loses everything
    tree.run(1.0 + lifetime_s(30.0, 3) + 46)
    for node in (1, 2, 3):
        assert tree.sessions(node) == [] or not tree.sessions(node)[0]["senders"], node
    assert reserved(tree) == [0, 0, 0, 0, 0]  # the sender's own reservation timed out too
    assert tree.nodes[0].counters["intserv reservation timed out"] == 1
    assert tree.nodes[1].counters["intserv path state timed out"] == 1


def test_reservation_times_out_when_resv_refreshes_stop_but_path_state_stays():
    tree = with_senders(x_tree(), 0)
    tree.handle(3, ReservationRequested(SESSION, "FF", cl(2)))
    tree.run(1.0)
    tree.nodes[3].intserv.sessions[(GROUP, 17, 5000)].resv_timer = True  # its refreshes will never fire
    tree.nodes[3]._timers.cancel(("intserv resv refresh", (GROUP, 17, 5000)))
    tree.run(1.0 + lifetime_s(30.0, 3) + 46)
    assert reserved(tree) == [0, 0, 0, 0, 0]
    assert [s["sender"] for s in session(tree, 2)["senders"]] == ["192.168.0.0:1000"]


def test_narrowing_an_se_request_tears_the_dropped_sender_upstream():
    tree = with_senders(x_tree(), 0, 5)
    tree.handle(3, ReservationRequested(SESSION, "SE", cl(2)))
    tree.run(1.0)
    assert session(tree, 1)["traffic_control"][0]["filters"] == ["192.168.0.0:1000", "192.168.0.5:1005"]
    tree.handle(3, ReservationRequested(SESSION, "SE", cl(2), senders=((IPv4Address("192.168.0.0"), 1000),)))
    tree.run(2.0)
    assert session(tree, 1)["traffic_control"][0]["filters"] == ["192.168.0.0:1000"]
    assert reserved(tree) == [2, 0, 2, 2, 0]


def test_se_filters_accumulate_and_expire_one_by_one():
    tree = with_senders(x_tree(), 0, 5)  # node 3 asks for nothing itself: its Resvs are made up here
    hop = IPv4Address("10.1.3.2")
    known = core.SessionIPv4(GROUP, 17, 0, 5000)
    flowspec = intserv.FlowSpec.controlled_load(intserv.TokenBucket(2.5e5, 1500, math.inf, 64, 1500))
    both = [core.FilterSpecIPv4(IPv4Address("192.168.0.0"), 1000), core.FilterSpecIPv4(IPv4Address("192.168.0.5"),
                                                                                         1005)]

    def resv(filters):
        message = _resv(known, hop, core.STYLE_SE, [flowspec, *filters])
        tree._perform(2, tree.nodes[2].handle(MessageReceived(message, "to3", hop), tree.now))

    resv(both)
    tree.run(tree.now + 1.0)
    resv(both[:1])  # names one sender only: the other filter stays until it times out
    assert session(tree, 2)["traffic_control"][0]["filters"] == ["192.168.0.0:1000", "192.168.0.5:1005"]
    end = tree.now + lifetime_s(30.0, 3) + 1
    while tree.now < end:
        tree.run(tree.now + 30.0)
        resv(both[:1])
    assert session(tree, 2)["traffic_control"][0]["filters"] == ["192.168.0.0:1000"]
    assert reserved(tree) == [2, 0, 2, 2, 0]


# --- errors on received messages ------------------------------------------------------------------------


def _resv(session_object, hop, style, flows) -> Message:
    return Message(MsgType.RESV, (session_object, core.RsvpHopIPv4(hop), core.TimeValues(30000),
                                  core.Style(0, style), *flows))


def _error_of(actions) -> core.ErrorSpecIPv4:
    (send,) = [a for a in actions if isinstance(a, Send)]
    return send.message.find(ClassNum.ERROR_SPEC)


def test_resv_without_path_state_and_for_unknown_senders_get_errors_3_and_4():
    tree = with_senders(x_tree(), 0)
    flowspec = intserv.FlowSpec.controlled_load(intserv.TokenBucket(1e5, 1500, math.inf, 64, 1500))
    unknown = core.SessionIPv4(IPv4Address("225.9.9.9"), 17, 0, 1)
    hop = IPv4Address("10.1.3.2")
    actions = tree.nodes[2].handle(MessageReceived(_resv(unknown, hop, core.STYLE_WF, [flowspec]), "to3", hop), 1.0)
    assert (_error_of(actions).error_code, _error_of(actions).error_value) == (3, 0)
    known = core.SessionIPv4(GROUP, 17, 0, 5000)
    stranger = core.FilterSpecIPv4(IPv4Address("192.168.0.99"), 7)
    actions = tree.nodes[2].handle(MessageReceived(_resv(known, hop, core.STYLE_FF, [flowspec, stranger]), "to3", hop),
                                   1.0)
    assert _error_of(actions).error_code == 4


def test_unsupported_service_gets_error_21():
    tree = with_senders(x_tree(), 0)
    general = intserv.FlowSpec((intserv.ServiceData(intserv.Service.GENERAL, (
        intserv.Parameter(intserv.ParameterId.TOKEN_BUCKET_TSPEC, intserv.TokenBucket(1e5, 1500, 1e6, 64, 1500)),)),))
    hop = IPv4Address("10.1.3.2")
    message = _resv(core.SessionIPv4(GROUP, 17, 0, 5000), hop, core.STYLE_WF, [general])
    error = _error_of(tree.nodes[2].handle(MessageReceived(message, "to3", hop), 1.0))
    assert (error.error_code, error.error_value) == (21, 2)


def test_conflicting_sender_and_destination_ports_get_path_errors_8_and_7():
    tree = with_senders(x_tree(), 0)
    path = next(iter(tree.nodes[0].intserv.sessions.values())).psbs[(tree.address(0), 1000)].paths["to1"]
    zero_port = Message(MsgType.PATH, tuple(core.SenderTemplateIPv4(o.source, 0) if o.class_num ==
                                            ClassNum.SENDER_TEMPLATE else o for o in path.objects))
    actions = tree.nodes[1].handle(MessageReceived(zero_port, "to0", IPv4Address("10.1.0.1")), 1.0)
    assert _error_of(actions).error_code == 8
    other_port = Message(MsgType.PATH, tuple(core.SessionIPv4(GROUP, 17, 0, 0) if o.class_num == ClassNum.SESSION
                                             else o for o in path.objects))
    actions = tree.nodes[1].handle(MessageReceived(other_port, "to0", IPv4Address("10.1.0.1")), 1.0)
    assert _error_of(actions).error_code == 7


def test_path_err_reaches_the_local_sender():
    tree = with_senders(x_tree(), 0)
    path = next(iter(tree.nodes[0].intserv.sessions.values())).psbs[(tree.address(0), 1000)].paths["to1"]
    error = Message(MsgType.PATH_ERR, (path.find(ClassNum.SESSION), core.ErrorSpecIPv4(IPv4Address("10.1.4.2"),
                                                                                       0, 21, 4),
                                       path.find(ClassNum.SENDER_TEMPLATE), path.find(ClassNum.SENDER_TSPEC)))
    tree._perform(2, tree.nodes[2].handle(MessageReceived(error, "to4", IPv4Address("10.1.4.2")), tree.now))
    tree.run(tree.now + 0.1)
    assert session(tree, 0)["senders"][0]["error"] == "PathErr 21/4 from 10.1.4.2"


def test_a_forwarded_path_err_leaves_its_hop_by_hop_objects_behind():
    """A PathErr passed on toward the sender drops the MESSAGE_ID its last hop put on it (RFC 2961
    section 4: it concerns that hop only)."""
    tree = with_senders(x_tree(), 0)
    path = next(iter(tree.nodes[0].intserv.sessions.values())).psbs[(tree.address(0), 1000)].paths["to1"]
    error = Message(MsgType.PATH_ERR, (refresh.MessageId(7, 42, flags=refresh.ACK_DESIRED), path.find(ClassNum.SESSION),
                                       core.ErrorSpecIPv4(IPv4Address("10.1.4.2"), 0, 21, 4),
                                       path.find(ClassNum.SENDER_TEMPLATE), path.find(ClassNum.SENDER_TSPEC)))
    actions = tree.nodes[2].handle(MessageReceived(error, "to4", IPv4Address("10.1.4.2")), tree.now)
    (sent,) = [a.message for a in actions if isinstance(a, Send) and a.message.msg_type == MsgType.PATH_ERR]
    assert sent.find(ClassNum.MESSAGE_ID) is None and sent.find(ClassNum.ERROR_SPEC).error_code == 21


def test_unknown_forward_objects_in_a_path_are_passed_on():
    tree = with_senders(x_tree(), 0)
    path = next(iter(tree.nodes[0].intserv.sessions.values())).psbs[(tree.address(0), 1000)].paths["to1"]
    forward, ignore = UnknownObject(250, 1, b"\x01\x02\x03\x04"), UnknownObject(150, 1, b"\x05\x06\x07\x08")
    changed = Message(MsgType.PATH, path.objects + (forward, ignore))
    actions = tree.nodes[1].handle(MessageReceived(changed, "to0", IPv4Address("10.1.0.1")), tree.now)
    (sent,) = [a.message for a in actions if isinstance(a, Send) and a.message.msg_type == MsgType.PATH]
    assert forward in sent.objects and ignore not in sent.objects


def test_te_sessions_are_untouched_and_other_session_types_still_dropped():
    """An IPv6 session's Path is dropped and answered with PathErr 14, Unknown object C-Type (RFC 2205
    section 3.10), value Class-Num 1 * 256 + C-Type 2."""
    line = Line(2)
    other = Message(MsgType.PATH, (core.SessionIPv6(IPv6Address("2001:db8::1"), 17),
                                   core.RsvpHopIPv4(IPv4Address("10.0.0.1")), core.TimeValues(30000)))
    actions = line.nodes[1].handle(MessageReceived(other, "up", IPv4Address("10.0.0.1")), 0.0)
    assert line.nodes[1].counters["drop: session type not supported"] == 1
    (error,) = [a.message for a in actions if isinstance(a, Send)]
    spec = error.find(ClassNum.ERROR_SPEC)
    assert (error.msg_type, spec.error_code, spec.error_value) == (MsgType.PATH_ERR, 14, 1 << 8 | 2)


def test_a_neighbours_message_id_on_a_classic_path_is_acked_and_its_srefresh_nacked():
    """RFC 2961 with a neighbour that uses it for classic sessions too: its Path's MESSAGE_ID asking
    for an ACK is acknowledged (section 4.6); the id is not kept with the state, so an Srefresh naming
    it is NACKed (section 5.4) and the neighbour sends the Path in full again."""
    tree = with_senders(x_tree(), 0)
    path = next(iter(tree.nodes[0].intserv.sessions.values())).psbs[(tree.address(0), 1000)].paths["to1"]
    with_id = Message(MsgType.PATH, (refresh.MessageId(7, 42, flags=refresh.ACK_DESIRED), *path.objects), flags=1)
    node, source = tree.nodes[1], IPv4Address("10.1.0.1")
    node.handle(PacketReceived(encode(with_id), "to0", source), tree.now)
    srefresh = Message(MsgType.SREFRESH, (refresh.MessageIdList(7, (42,)),), flags=1)
    node.handle(PacketReceived(encode(srefresh), "to0", source), tree.now + 1)
    sent = [a.message for t in (tree.now + 2, tree.now + 3) for a in node.on_timer(t)
            if isinstance(a, Send) and a.destination == source]
    objects = [o for m in sent if m.msg_type == MsgType.ACK for o in m.objects]
    assert refresh.MessageIdAck(7, 42) in objects and refresh.MessageIdNack(7, 42) in objects, sent


# --- the flowspec order (RFC 2210/2211/2212) ---------------------------------------------------------------

_values = st.sampled_from([0.0, 1e3, 1e5, 1.25e6, math.inf])
_specs = st.builds(
    lambda r, b, p, m, big_m, extra, slack: Spec(f32(r), f32(b), max(f32(p), f32(r)), m, big_m,
                                                 f32(r + extra) if slack is not None else f32(r),
                                                 slack if slack is not None else math.inf),
    st.sampled_from([0.0, 1e3, 1e5, 1.25e6]), _values, _values, st.sampled_from([0, 64, 128]),
    st.sampled_from([64, 1500, 9000]), st.sampled_from([0.0, 1e4]), st.none() | st.sampled_from([0, 10, 1000]))


@given(_specs, _specs)
def test_lub_and_glb_bound_both_and_commute(a, b):
    assert covers(lub(a, b), a) and covers(lub(a, b), b) and lub(a, b) == lub(b, a)
    assert covers(a, glb(a, b)) and covers(b, glb(a, b)) and glb(a, b) == glb(b, a)
    assert lub(a, a) == a and glb(a, a) == a
    assert not strictly_greater(a, a)
    assert lub(a, b).rspec_rate >= lub(a, b).rate and glb(a, b).rspec_rate >= glb(a, b).rate
    if covers(a, b):
        assert lub(a, b) == a and glb(a, b) == b


def test_a_route_change_moves_path_and_reservation_state_at_the_next_refresh():
    from ipaddress import IPv4Network

    from rsvp.engine import Route

    tree = Tree([(0, 1), (0, 2), (1, 3), (2, 3)])  # a diamond: 0 reaches 3 through 1, or else through 2
    unicast = IntServSession(tree.address(3), 17, 5000)
    tree.routes[0]._routes.append((IPv4Network("0.0.0.0/0"), Route("to2", tree.peer_address(0, 2))))
    tree.handle(0, SenderAdded(unicast, 1, TrafficSpec(5e6)))
    tree.handle(3, ReservationRequested(unicast, "FF", cl(1)))
    tree.run(1.0)
    assert [tree.reserved(0, 1), tree.reserved(1, 3), tree.reserved(0, 2), tree.reserved(2, 3)] == [1e6, 1e6, 0, 0]
    tree.routes[0].set_link("to1", False)  # the routing table moves to the default route
    tree.run(1.0 + 46)  # the next Path refresh notices (RFC 2205 section 3.6)
    assert [tree.reserved(0, 1), tree.reserved(1, 3), tree.reserved(0, 2), tree.reserved(2, 3)] == [0, 0, 1e6, 1e6]
    assert tree.sessions(1) == []
    assert session(tree, 3)["senders"][0]["previous_hop"] == str(tree.peer_address(3, 2))
