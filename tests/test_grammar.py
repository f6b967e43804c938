"""Grammar validation: order tolerance, mandatory objects, RFC error codes."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from rsvp.wire import MalformedMessage, Message, MsgType, UnknownObject, decode, validate
from rsvp.wire.objects import core as c
from rsvp.wire.objects import intserv as i
from rsvp.wire.objects.integrity import Challenge, Integrity
from rsvp.wire.objects.refresh import (
    McastEntryIPv4, McastListIPv4, MessageIdAck, MessageIdList, SourceEntryIPv4, SourceListIPv4,
)
from rsvp.wire.objects.routes import EroIPv4Prefix, ExplicitRoute, RecordRoute, RroIPv4
from rsvp.wire.objects.te import (
    FilterSpecLspTunnelIPv4, HelloRequest, Label, LabelRequest, SenderTemplateLspTunnelIPv4, SessionLspTunnelIPv4,
)

from .test_codec import PATH_2205, SCAPY_RESV

A = IPv4Address("10.0.0.1")
SESSION = c.SessionIPv4(A, 17, 0, 5000)
HOP = c.RsvpHopIPv4(IPv4Address("10.0.0.2"), 0)
TIME = c.TimeValues(30000)
TB = i.TokenBucket(1000.0, 1000.0, 1000.0, 64, 1500)
FLOWSPEC = i.FlowSpec.controlled_load(TB)
FILTER = c.FilterSpecIPv4(IPv4Address("10.0.0.3"), 4000)


def test_valid_messages_pass():
    validate(decode(PATH_2205))
    validate(decode(SCAPY_RESV))  # RSVP-TE Resv: FILTER_SPEC followed by LABEL


def test_any_object_order_is_accepted():
    msg = decode(PATH_2205)
    validate(Message(MsgType.PATH, tuple(reversed(msg.objects))))


@pytest.mark.parametrize("objects, reason", [
    ((HOP, TIME), "SESSION missing"),
    ((SESSION, SESSION, HOP, TIME), "SESSION present 2 times"),
    ((SESSION, HOP, TIME, TIME), "TIME_VALUES present 2 times"),
    ((SESSION, HOP, TIME, c.SenderTemplateIPv4(A, 1)), "needs both SENDER_TEMPLATE and SENDER_TSPEC"),
    ((SESSION, HOP, TIME, UnknownObject(4, 9, bytes(32))), "unknown object C-Type"),
])
def test_path_grammar_errors(objects, reason):
    with pytest.raises(MalformedMessage, match=reason):
        validate(Message(MsgType.PATH, objects))


def test_unknown_class_gives_error_13_with_class_and_c_type():
    msg = Message(MsgType.PATH, (SESSION, HOP, TIME, UnknownObject(99, 3, b"")))
    with pytest.raises(MalformedMessage) as err:
        validate(msg)
    assert (err.value.error_code, err.value.error_value) == (13, 99 * 256 + 3)
    # Unknown 10bbbbbb / 11bbbbbb classes are ignored or forwarded, never rejected.
    validate(Message(MsgType.PATH, (SESSION, HOP, TIME, UnknownObject(150, 1, b""), UnknownObject(250, 1, b""))))


def test_integrity_must_come_first():
    integrity = Integrity(key_id=1, sequence_number=7, digest=bytes(16))
    hello = HelloRequest(1, 0)
    validate(Message(MsgType.HELLO, (integrity, hello)))
    with pytest.raises(MalformedMessage, match="INTEGRITY must be the first object"):
        validate(Message(MsgType.HELLO, (hello, integrity)))
    with pytest.raises(MalformedMessage, match="INTEGRITY repeated|INTEGRITY present"):
        validate(Message(MsgType.HELLO, (integrity, integrity, hello)))


def test_unknown_message_type():
    with pytest.raises(MalformedMessage, match="unknown message type 99"):
        validate(Message(99, ()))


def test_rsvp_te_path_needs_label_request_and_sender():
    te_session = SessionLspTunnelIPv4(A, 1, A)
    sender = (SenderTemplateLspTunnelIPv4(A, 1), i.SenderTSpec.from_token_bucket(TB))
    validate(Message(MsgType.PATH, (te_session, HOP, TIME, LabelRequest(0x0800)) + sender))
    with pytest.raises(MalformedMessage, match="without LABEL_REQUEST") as err:
        validate(Message(MsgType.PATH, (te_session, HOP, TIME) + sender))
    assert err.value.error_code is None
    with pytest.raises(MalformedMessage, match="without a sender descriptor"):
        validate(Message(MsgType.PATH, (te_session, HOP, TIME, LabelRequest(0x0800))))


def test_te_resv_needs_a_label_after_each_filter_spec():
    te_session = SessionLspTunnelIPv4(A, 1, A)
    flt = FilterSpecLspTunnelIPv4(A, 1)
    head = (te_session, HOP, TIME, c.Style(0, c.STYLE_SE), FLOWSPEC)
    validate(Message(MsgType.RESV, head + (flt, Label(16))))
    with pytest.raises(MalformedMessage, match="not followed by LABEL"):
        validate(Message(MsgType.RESV, head + (flt,)))


@pytest.mark.parametrize("msg_type, objects, reason", [
    (MsgType.HELLO, (), "HELLO missing"),
    (MsgType.ACK, (), "ACK without MESSAGE_ID_ACK"),
    (MsgType.SREFRESH, (), "MESSAGE_ID_LIST missing"),
    (MsgType.INTEGRITY_RESPONSE, (Challenge(1, 2),), "INTEGRITY missing"),
    (MsgType.NOTIFY, (c.ErrorSpecIPv4(A, 0, 25, 3),), "Notify without a session"),
])
def test_refresh_hello_and_integrity_message_grammars(msg_type, objects, reason):
    with pytest.raises(MalformedMessage, match=reason):
        validate(Message(msg_type, objects))


def test_refresh_messages_pass():
    validate(Message(MsgType.ACK, (MessageIdAck(5, 6),)))
    validate(Message(MsgType.SREFRESH, (MessageIdList(5, (1, 2, 3)),)))
    validate(Message(MsgType.INTEGRITY_CHALLENGE, (Challenge(1, 2),)))


def test_srefresh_carries_one_or_more_lists():
    """RFC 2961 section 5.2: <srefresh list> (LIST / MCAST_LIST, mixed) | <source srefresh list> (SRC_LISTs only)."""
    ids = MessageIdList(5, (1, 2))
    mcast = McastListIPv4(5, (McastEntryIPv4(3, A, IPv4Address("224.0.0.5")),))
    src = SourceListIPv4(5, (SourceEntryIPv4(4, A),))
    validate(Message(MsgType.SREFRESH, (ids, mcast, MessageIdList(6, (7,)))))
    validate(Message(MsgType.SREFRESH, (src, SourceListIPv4(6, (SourceEntryIPv4(8, A),)))))
    with pytest.raises(MalformedMessage, match="SRC_LIST mixed") as err:
        validate(Message(MsgType.SREFRESH, (ids, src)))
    assert err.value.error_code is None


@pytest.mark.parametrize("style, flow, reason", [
    (c.STYLE_WF, (FLOWSPEC,), None),
    (c.STYLE_WF, (FLOWSPEC, FILTER), "WF: one FLOWSPEC and no FILTER_SPEC"),
    (c.STYLE_FF, (FLOWSPEC, FILTER, FLOWSPEC, FILTER), None),
    (c.STYLE_FF, (FLOWSPEC,), "no FILTER_SPEC"),
    (c.STYLE_FF, (FILTER, FLOWSPEC), "does not start with FLOWSPEC"),
    (c.STYLE_SE, (FLOWSPEC, FILTER, FILTER), None),
    (c.STYLE_SE, (FLOWSPEC, FILTER, FLOWSPEC, FILTER), "SE: more than one FLOWSPEC"),
])
def test_resv_flow_descriptors(style, flow, reason):
    msg = Message(MsgType.RESV, (SESSION, HOP, TIME, c.Style(0, style)) + flow)
    if reason is None:
        validate(msg)
    else:
        with pytest.raises(MalformedMessage, match=reason):
            validate(msg)


def test_unknown_style_is_error_6():
    with pytest.raises(MalformedMessage) as err:
        validate(Message(MsgType.RESV, (SESSION, HOP, TIME, c.Style(0, 0x1B), FLOWSPEC)))
    assert err.value.error_code == 6


def test_resv_err_may_omit_flow_descriptor():
    err = c.ErrorSpecIPv4(A, 0, 1, 2)
    validate(Message(MsgType.RESV_ERR, (SESSION, HOP, err, c.Style(0, c.STYLE_FF))))


def test_bundle_validates_each_message():
    good = decode(PATH_2205)
    validate(Message(MsgType.BUNDLE, (), (good, good)))
    with pytest.raises(MalformedMessage, match="SESSION missing"):
        validate(Message(MsgType.BUNDLE, (), (good, Message(MsgType.PATH_TEAR, (HOP,)))))
    with pytest.raises(MalformedMessage, match="no objects"):
        validate(Message(MsgType.BUNDLE, (TIME,), (good,)))
    with pytest.raises(MalformedMessage, match="one or more messages"):
        validate(Message(MsgType.BUNDLE, (), ()))


def test_empty_routes():
    te_session = SessionLspTunnelIPv4(A, 1, A)
    sender = (SenderTemplateLspTunnelIPv4(A, 1), i.SenderTSpec.from_token_bucket(TB))
    head = (te_session, HOP, TIME, LabelRequest(0x0800)) + sender
    with pytest.raises(MalformedMessage, match="empty EXPLICIT_ROUTE") as err:
        validate(Message(MsgType.PATH, head + (ExplicitRoute(()),)))
    assert (err.value.error_code, err.value.error_value) == (24, 1)
    with pytest.raises(MalformedMessage, match="empty RECORD_ROUTE"):
        validate(Message(MsgType.PATH, head + (RecordRoute(()),)))
    validate(Message(MsgType.PATH, head + (ExplicitRoute((EroIPv4Prefix(A),)), RecordRoute((RroIPv4(A),)))))


def test_resv_tear_may_omit_flowspecs():
    """RFC 2205 section 3.1.6: FLOWSPECs in a ResvTear may be omitted, for any style."""
    for style, flow in ((c.STYLE_WF, ()), (c.STYLE_FF, (FILTER,)), (c.STYLE_SE, (FILTER, FILTER))):
        validate(Message(MsgType.RESV_TEAR, (SESSION, HOP, c.Style(0, style)) + flow))
    with pytest.raises(MalformedMessage, match="WF: one FLOWSPEC"):
        validate(Message(MsgType.RESV, (SESSION, HOP, TIME, c.Style(0, c.STYLE_WF))))
