"""Message grammar validation, separate from decoding (RFC 2205 section 3.1, RFC 2961, 3209, 3473, 2747).

Decoding checks that bytes are well framed; :func:`validate` checks that a
decoded message is a message a router may act on, tolerating any object order
as RFC 2205 section 3.1 asks ("accept in any permissible order").  Failures
raise :class:`MalformedMessage` carrying the error a router would send:

* 13 / 14 (value class*256 + C-Type) for an object of an unknown class or C-Type
  whose class number says "reject" (RFC 2205 section 3.10);
* 6 for an unknown reservation style (RFC 2205 appendix B);
* ``None`` where no RFC assigns a code (a missing or repeated mandatory object):
  such a message is dropped and counted, not answered.  RFC 2205 appendix B
  lists "Required object class (specify) missing" among the formatting errors
  that are logged locally, not reported (only codes 13 and 14 are), and
  RFC 3209 (section 7.3) adds no code for them.

Order matters only where the grammar gives it meaning: INTEGRITY must
immediately follow the common header (RFC 2205 section 3.1.3) and a Resv's flow
descriptor list is read in order (FLOWSPEC before the FILTER_SPECs it covers;
LABEL right after each FILTER_SPEC in RSVP-TE, RFC 3209 section 4.1).
"""

from __future__ import annotations


from .errors import MalformedMessage
from .message import MSG_TYPES, Message, MsgType
from .model import ClassNum as C
from .model import UnknownObject, UnknownRule
from .objects.core import STYLE_NAMES, STYLE_SE, STYLE_WF

LSP_TUNNEL_SESSIONS = frozenset({7, 8, 13, 14})
"""SESSION C-Types of RSVP-TE (RFC 3209 section 4.6.1, RFC 4875 section 19.1)."""

# Classes that must appear exactly once, per message type.
_REQUIRED: dict[int, tuple[int, ...]] = {
    MsgType.PATH: (C.SESSION, C.RSVP_HOP, C.TIME_VALUES),
    MsgType.RESV: (C.SESSION, C.RSVP_HOP, C.TIME_VALUES, C.STYLE),
    MsgType.PATH_ERR: (C.SESSION, C.ERROR_SPEC),
    MsgType.RESV_ERR: (C.SESSION, C.RSVP_HOP, C.ERROR_SPEC, C.STYLE),
    MsgType.PATH_TEAR: (C.SESSION, C.RSVP_HOP),
    MsgType.RESV_TEAR: (C.SESSION, C.RSVP_HOP, C.STYLE),
    MsgType.RESV_CONF: (C.SESSION, C.ERROR_SPEC, C.RESV_CONFIRM, C.STYLE),
    MsgType.RESV_TEAR_CONFIRM: (C.SESSION, C.STYLE),
    MsgType.BUNDLE: (),
    MsgType.ACK: (),
    MsgType.SREFRESH: (),  # one or more list objects: _check_srefresh_lists
    MsgType.HELLO: (C.HELLO,),
    MsgType.NOTIFY: (C.ERROR_SPEC,),
    MsgType.INTEGRITY_CHALLENGE: (C.CHALLENGE,),
    MsgType.INTEGRITY_RESPONSE: (C.INTEGRITY, C.CHALLENGE),
}

_SRC_LIST_C_TYPES = frozenset({2, 3})
"""MESSAGE_ID_LIST C-Types of the SRC_LIST (RFC 2961 section 5.1)."""

# Classes that may appear at most once in any message that carries them.
_AT_MOST_ONCE = (
    C.INTEGRITY, C.MESSAGE_ID, C.TIME_VALUES, C.EXPLICIT_ROUTE, C.LABEL_REQUEST,
    C.SESSION_ATTRIBUTE, C.SENDER_TEMPLATE, C.SENDER_TSPEC, C.ADSPEC, C.RESV_CONFIRM, C.SCOPE,
)
# Messages with exactly one sender descriptor in the grammar ([<sender descriptor>] for Path/PathTear/PathErr).
_SENDER_MESSAGES = frozenset({MsgType.PATH, MsgType.PATH_TEAR, MsgType.PATH_ERR})
_FLOW_MESSAGES = frozenset({MsgType.RESV, MsgType.RESV_TEAR, MsgType.RESV_CONF, MsgType.RESV_TEAR_CONFIRM})


def validate(message: Message) -> None:
    """Raise :class:`MalformedMessage` if ``message`` breaks its grammar; Bundles recursively."""
    msg_type = MSG_TYPES.get(message.msg_type)
    if msg_type is None:
        raise MalformedMessage(f"unknown message type {message.msg_type}")
    _check_objects(message)
    if msg_type == MsgType.BUNDLE:
        if message.objects or not message.sub_messages:
            raise MalformedMessage("a Bundle carries one or more messages and no objects (RFC 2961 section 3.2)")
        for sub in message.sub_messages:
            validate(sub)
        return
    if message.sub_messages:
        raise MalformedMessage(f"{message.name} cannot carry bundled messages")
    counts: dict[int, int] = {}
    for obj in message.objects:
        counts[obj.class_num] = counts.get(obj.class_num, 0) + 1
    if C.INTEGRITY in counts and message.objects[0].class_num != C.INTEGRITY:
        raise MalformedMessage("INTEGRITY must be the first object (RFC 2205 section 3.1.3)", class_num=C.INTEGRITY)
    for class_num in _REQUIRED[msg_type]:
        count = counts.get(class_num, 0)
        if count != 1:
            what = "missing" if count == 0 else f"present {count} times"
            raise MalformedMessage(f"{message.name}: {C(class_num).name} {what}", class_num=class_num)
    if len(counts) < len(message.objects):  # some class repeats
        for class_num in _AT_MOST_ONCE:
            if counts.get(class_num, 0) > 1:
                raise MalformedMessage(f"{message.name}: {C(class_num).name} repeated", class_num=class_num)
    if msg_type == MsgType.ACK and C.MESSAGE_ID_ACK not in counts:
        raise MalformedMessage("ACK without MESSAGE_ID_ACK or MESSAGE_ID_NACK (RFC 2961 section 4.4)")
    if msg_type == MsgType.NOTIFY and C.SESSION not in counts:
        raise MalformedMessage("Notify without a session (RFC 3473 section 4.3)", class_num=C.SESSION)
    if msg_type == MsgType.SREFRESH:
        _check_srefresh_lists(message)
    te = _is_te(message)
    if msg_type in _SENDER_MESSAGES:
        _check_sender_descriptor(message, counts, required=te and msg_type == MsgType.PATH)
        if te and msg_type == MsgType.PATH and counts.get(C.LABEL_REQUEST) != 1:
            raise MalformedMessage("RSVP-TE Path without LABEL_REQUEST (RFC 3209 section 3.1)", class_num=C.LABEL_REQUEST)
    if msg_type in _FLOW_MESSAGES or msg_type == MsgType.RESV_ERR:
        _check_flow_descriptors(message, te and msg_type == MsgType.RESV, optional=msg_type == MsgType.RESV_ERR)


def _check_objects(message: Message) -> None:
    """Per-object rules: unknown objects (RFC 2205 section 3.10), empty routes (RFC 3209)."""
    for obj in message.objects:
        if obj.class_num in (C.EXPLICIT_ROUTE, C.RECORD_ROUTE) and not getattr(obj, "subobjects", True):
            if obj.class_num == C.EXPLICIT_ROUTE:  # RFC 3209 section 4.3.4.1
                raise MalformedMessage("empty EXPLICIT_ROUTE", class_num=C.EXPLICIT_ROUTE, error_code=24,
                                       error_value=1)
            raise MalformedMessage("empty RECORD_ROUTE is illegal (RFC 3209 section 4.4.1)", class_num=C.RECORD_ROUTE)
        if isinstance(obj, UnknownObject) and obj.rule is UnknownRule.REJECT:
            code, value = obj.error
            kind = "C-Type" if code == 14 else "class"
            raise MalformedMessage(
                f"unknown object {kind} {obj.class_num}/{obj.c_type} (RFC 2205 section 3.10)",
                class_num=obj.class_num, c_type=obj.c_type, error_code=code, error_value=value,
            )


def _check_srefresh_lists(message: Message) -> None:
    """One or more MESSAGE_ID_LIST / MCAST_LIST objects, or one or more SRC_LISTs (RFC 2961 section 5.2)."""
    src_lists = [o.c_type in _SRC_LIST_C_TYPES for o in message.objects if o.class_num == C.MESSAGE_ID_LIST]
    if not src_lists:
        raise MalformedMessage(f"{message.name}: MESSAGE_ID_LIST missing", class_num=C.MESSAGE_ID_LIST)
    if any(src_lists) and not all(src_lists):
        raise MalformedMessage(f"{message.name}: SRC_LIST mixed with other list C-Types (RFC 2961 section 5.2)",
                               class_num=C.MESSAGE_ID_LIST)


def _is_te(message: Message) -> bool:
    session = message.find(C.SESSION)
    return session is not None and session.c_type in LSP_TUNNEL_SESSIONS


def _check_sender_descriptor(message: Message, counts: dict[int, int], required: bool) -> None:
    templates, tspecs = counts.get(C.SENDER_TEMPLATE, 0), counts.get(C.SENDER_TSPEC, 0)
    if message.msg_type == MsgType.PATH and templates != tspecs:
        raise MalformedMessage("Path sender descriptor needs both SENDER_TEMPLATE and SENDER_TSPEC",
                               class_num=C.SENDER_TSPEC if templates else C.SENDER_TEMPLATE)
    if required and not templates:
        raise MalformedMessage("RSVP-TE Path without a sender descriptor (RFC 3209 section 3.1)",
                               class_num=C.SENDER_TEMPLATE)


def _check_flow_descriptors(message: Message, needs_labels: bool, optional: bool) -> None:
    """Walk the flow descriptor list in order against the STYLE (RFC 2205 section 3.1.4)."""
    style = message.find(C.STYLE)
    vector = style.option_vector & 0x1F  # type: ignore[union-attr]
    if vector not in STYLE_NAMES:
        raise MalformedMessage(f"unknown reservation style 0x{style.option_vector:06x}",  # type: ignore[union-attr]
                               class_num=C.STYLE, error_code=6, error_value=0)
    flow = [o.class_num for o in message.objects if o.class_num in (C.FLOWSPEC, C.FILTER_SPEC, C.LABEL)]
    flowspecs, filters = flow.count(C.FLOWSPEC), flow.count(C.FILTER_SPEC)
    name = STYLE_NAMES[vector]
    if (optional or message.msg_type == MsgType.RESV_TEAR) and not flow:
        return
    needs_flowspec = message.msg_type in (MsgType.RESV, MsgType.RESV_CONF)  # a ResvTear may omit it (3.1.6)
    if vector == STYLE_WF:
        if flowspecs > 1 or filters or (needs_flowspec and not flowspecs):
            raise MalformedMessage(f"{message.name} WF: one FLOWSPEC and no FILTER_SPEC expected", class_num=C.FLOWSPEC)
        return
    if not filters:
        raise MalformedMessage(f"{message.name} {name}: no FILTER_SPEC", class_num=C.FILTER_SPEC)
    if vector == STYLE_SE and flowspecs > 1:
        raise MalformedMessage(f"{message.name} SE: more than one FLOWSPEC", class_num=C.FLOWSPEC)
    if needs_flowspec and flow[0] != C.FLOWSPEC:
        raise MalformedMessage(f"{message.name} {name}: flow descriptor does not start with FLOWSPEC",
                               class_num=C.FLOWSPEC)
    if needs_labels:
        for index, class_num in enumerate(flow):
            if class_num == C.FILTER_SPEC and (index + 1 >= len(flow) or flow[index + 1] != C.LABEL):
                raise MalformedMessage("RSVP-TE Resv: FILTER_SPEC not followed by LABEL (RFC 3209 section 4.1)",
                                       class_num=C.LABEL)
