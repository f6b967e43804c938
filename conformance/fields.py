"""Which tshark field is which model field, and how two values are compared.

The model side is read generically: :func:`leaves` flattens an object into
``(record class, attribute, value)`` triples in wire order (depth first
through nested records and tuples).  A :class:`Rule` names a tshark field and
the model attributes that hold the same value (``"attr"`` or
``"RecordClass.attr"``), optionally filtered by value type or transformed (a
flag bit).  Per object, the tshark values of a field (document order) are
compared with the matching model values (wire order) as lists.

Field names are Wireshark 4.0's (``tshark -G fields | grep -P '\\trsvp\\.'``).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from .tshark import Leaf

Triple = tuple[str, str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    field: str
    names: tuple[str, ...]
    kind: type | tuple[type, ...] | None = None  # model value type filter
    transform: Callable[[Any], Any] | None = None


def _r(field: str, *names: str, kind: Any = None, transform: Callable[[Any], Any] | None = None) -> Rule:
    return Rule(field, names, kind, transform)


def _bit(mask: int) -> Callable[[Any], int]:
    return lambda value: int(bool(int(value) & mask))


_V4, _V6 = IPv4Address, IPv6Address
_INT = (int,)

_SUBOBJECTS = (  # ERO / RRO / SERO / SRRO / PRIMARY_PATH_ROUTE sub-objects (RFC 3209 4.3.3, 4.4.1; RFC 3477)
    _r("rsvp.loose_hop", "loose"),
    _r("rsvp.xro.sobj.lbit", "loose"),  # Wireshark repeats the L bit of ERO IPv6 sub-objects as an XRO L bit
    _r("rsvp.ero_rro_subobjects.ipv4_hop", "address", kind=_V4),
    _r("rsvp.ero_rro_subobjects.ipv6_hop", "address", kind=_V6),
    _r("rsvp.ero_rro_subobjects.prefix_length", "prefix_length"),
    _r("rsvp.ero_rro_subobjects.flags", "flags"),
    _r("rsvp.ero_rro_subobjects.label", "label"),
    _r("rsvp.ero_rro_subobjects.router_id", "router_id"),
    _r("rsvp.ero_rro_subobjects.interface_id", "interface_id"),
    _r("rsvp.ero_rro_subobjects.autonomous_system", "asn"),
    *(
        _r(f"rsvp.rro.flags.{name}", "RroIPv4.flags", "RroIPv6.flags", "RroUnnumbered.flags", transform=_bit(mask))
        for name, mask in (
            ("local_avail", 0x01), ("local_in_use", 0x02), ("bandwidth", 0x04), ("node", 0x08),
            ("node_address", 0x20), ("backup_tunnel_bandwidth", 0x04), ("backup_tunnel_hop", 0x08),
        )
    ),
    _r("rsvp.rro.flags.global_label", "RroLabel.flags", transform=_bit(0x01)),
)

_TOKEN_BUCKET = (
    _r("rsvp.minimum_policed_unit", "TokenBucket.min_policed_unit"),
    _r("rsvp.maximum_packet_size", "TokenBucket.max_packet_size"),
    _r("rsvp.parameter", "Parameter.parameter_id"),
    _r("rsvp.parameter_flags", "Parameter.flags"),
)

_TEMPLATE = (  # SENDER_TEMPLATE and FILTER_SPEC share Wireshark's field names
    _r("rsvp.sender.ip", "source", "tunnel_sender", kind=(_V4, _V6)),  # Wireshark uses it for C-Type 8 too
    _r("rsvp.sender.port", "source_port"),
    _r("rsvp.sender.lsp_id", "lsp_id"),
    _r("rsvp.sender.short_call_id", "reserved"),  # the MBZ field, as Wireshark names it
    _r("rsvp.template_filter.ipv4_tunnel_sender_address", "tunnel_sender", kind=_V4),
    _r("rsvp.template_filter.source_address_ipv6", "source", kind=_V6),
    _r("rsvp.template_filter.source_port", "source_port"),
    _r("rsvp.template_filter.ipv6_tunnel_sender_address", "tunnel_sender", kind=_V6),
    _r("rsvp.template_filter.sub_group_originator_id", "sub_group_originator_id"),
    _r("rsvp.template_filter.sub_group_id", "sub_group_id"),
)

_LABEL = (
    _r("rsvp.label.label", "label", kind=_INT),
    _r("rsvp.label.generalized_label", "label", kind=bytes),
    _r("rsvp.label.data", "label", kind=bytes),
)

_IF_ID = (  # IF_ID TLVs of RSVP_HOP / ERROR_SPEC C-Types 3 and 4 (RFC 3471 9.1.1), kept raw in the model
    _r("rsvp.ifid_tlv.ipv4_address", "IfIdTlv.value", transform=lambda value: IPv4Address(value[:4])),
    _r("rsvp.ifid_tlv.ipv6_address", "IfIdTlv.value", transform=lambda value: IPv6Address(value[:16])),
    _r("rsvp.ifid_tlv.interface_id", "IfIdTlv.value", transform=lambda value: int.from_bytes(value[-4:], "big")),
)

_LSP_ATTRIBUTE_BITS = (  # Wireshark's names for Attribute Flags bits 0.. (IANA RSVP-TE Attribute Flags)
    "e2e", "boundary", "segment", "integrity", "contiguous", "stitching", "preplanned", "nophp", "oobmap",
    "entropy", "oammep", "oammip", "srlgcollect", "Loopback", "p2mp", "rtm", "telinklabel", "lsi", "lsids2e",
)
_LSP_ATTRIBUTES = (  # RFC 5420: the model numbers bits from the MSB (bit n is 1 << n)
    _r("rsvp.lsp_attr", "AttributeFlags.flags", transform=lambda flags: int(f"{flags & 0xFFFFFFFF:032b}"[::-1], 2)),
    *(_r(f"rsvp.lsp_attr.{name}", "AttributeFlags.flags", transform=lambda flags, n=n: flags >> n & 1)
      for n, name in enumerate(_LSP_ATTRIBUTE_BITS)),
)

RULES: dict[int, tuple[Rule, ...]] = {
    1: (  # SESSION (RFC 2205 A.1, RFC 3209 4.6.1, RFC 4875 19.1)
        _r("rsvp.session.ip", "destination", "tunnel_end_point", kind=(_V4, _V6)),  # Wireshark uses it for 1/8 too
        _r("rsvp.session.destination_address", "destination", "tunnel_end_point", kind=_V6),
        _r("rsvp.session.proto", "protocol_id"),
        _r("rsvp.session.protocol", "protocol_id"),
        _r("rsvp.session.flags", "flags"),
        _r("rsvp.session.port", "destination_port"),
        _r("rsvp.session.destination_port", "destination_port"),
        _r("rsvp.session.tunnel_id", "tunnel_id"),
        _r("rsvp.extended_tunnel_id", "extended_tunnel_id", kind=_V4),
        _r("rsvp.session.ext_tunnel_id_ipv6", "extended_tunnel_id", kind=_V6),
        _r("rsvp.extended_tunnel_id_ipv6", "extended_tunnel_id", kind=_V6),
        _r("rsvp.session.p2mp_id", "p2mp_id"),
        _r("rsvp.extended_tunnel", "extended_tunnel_id", kind=(_V4, _V6)),  # Wireshark uses it for 1/14 too
        _r("rsvp.session.short_call_id", "reserved"),  # the MBZ field, as Wireshark names it
    ),
    3: (  # RSVP_HOP (RFC 2205 A.2, RFC 3473 8.1)
        _r("rsvp.hop.neighbor_address_ipv4", "address", kind=_V4),
        _r("rsvp.neighbor_address_ipv6", "address", kind=_V6),
        _r("rsvp.hop.logical_interface", "logical_interface_handle"),
        *_IF_ID,
    ),
    4: (  # INTEGRITY (RFC 2747 2.1)
        _r("rsvp.integrity.flags", "Integrity.flags"),
        _r("rsvp.integrity.flags.handshake", "Integrity.flags", transform=_bit(0x80)),
        _r("rsvp.integrity.key_identifier", "key_id"),
        _r("rsvp.integrity.sequence_number", "sequence_number"),
        _r("rsvp.integrity.hash", "digest"),
    ),
    5: (_r("rsvp.refresh_interval", "refresh_period_ms"),),  # TIME_VALUES (RFC 2205 A.4)
    6: (  # ERROR_SPEC (RFC 2205 A.5)
        _r("rsvp.error.error_node_ipv4", "error_node", kind=_V4),
        _r("rsvp.error.error_node_ipv6", "error_node", kind=_V6),
        _r("rsvp.error_flags", "flags"),
        _r("rsvp.error_flags.in_place", "flags", transform=_bit(0x01)),
        _r("rsvp.error_flags.not_guilty", "flags", transform=_bit(0x02)),
        _r("rsvp.error_flags.path_state_removed", "flags", transform=_bit(0x04)),
        _r("rsvp.error.error_code", "error_code"),
        _r("rsvp.error_value", "error_value"),
        *_IF_ID,
    ),
    7: (  # SCOPE (RFC 2205 A.6)
        _r("rsvp.scope.ipv4_address", "addresses", kind=_V4),
        _r("rsvp.scope.ipv6_address", "addresses", kind=_V6),
    ),
    8: (_r("rsvp.style.flags", "flags"), _r("rsvp.style.style", "option_vector")),  # STYLE (RFC 2205 A.7)
    9: (  # FLOWSPEC (RFC 2210 3.2)
        _r("rsvp.flowspec.service_header", "ServiceData.service"),
        _r("rsvp.flowspec.token_bucket_rate", "TokenBucket.rate"),
        _r("rsvp.flowspec.token_bucket_size", "TokenBucket.bucket_size"),
        _r("rsvp.flowspec.peak_data_rate", "TokenBucket.peak_rate"),
        _r("rsvp.flowspec.rate", "GuaranteedRSpec.rate"),
        _r("rsvp.flowspec.slack_term", "GuaranteedRSpec.slack_term"),
        *_TOKEN_BUCKET,
    ),
    10: _TEMPLATE,
    11: _TEMPLATE,
    12: (  # SENDER_TSPEC (RFC 2210 3.1)
        _r("rsvp.tspec.service_header", "ServiceData.service"),
        _r("rsvp.tspec.token_bucket_rate", "TokenBucket.rate"),
        _r("rsvp.tspec.token_bucket_size", "TokenBucket.bucket_size"),
        _r("rsvp.tspec.peak_data_rate", "TokenBucket.peak_rate"),
        *_TOKEN_BUCKET,
    ),
    13: (  # ADSPEC (RFC 2210 3.3)
        _r("rsvp.adspec.service_header", "ServiceData.service"),
        _r("rsvp.adspec.break_bit", "ServiceData.flags", transform=_bit(0x80)),
        _r("rsvp.adspec.type", "Parameter.parameter_id"),
        _r("rsvp.adspec.uint", "Parameter.value", kind=_INT),
        _r("rsvp.adspec.float", "Parameter.value", kind=float),
    ),
    15: (  # RESV_CONFIRM (RFC 2205 A.13)
        _r("rsvp.confirm.receiver_address_ipv4", "receiver", kind=_V4),
        _r("rsvp.confirm.receiver_address_ipv6", "receiver", kind=_V6),
    ),
    16: _LABEL,  # LABEL (RFC 3209 4.1, RFC 3473 2.3)
    19: (  # LABEL_REQUEST (RFC 3209 4.2, RFC 3473 2.1)
        _r("rsvp.label_request.l3pid", "l3pid"),
        _r("rsvp.label_request.m", "m"),
        _r("rsvp.label_request.min_vpi", "minimum_vpi"),
        _r("rsvp.label_request.min_vci", "minimum_vci"),
        _r("rsvp.label_request.max_vpi", "maximum_vpi"),
        _r("rsvp.label_request.max_vci", "maximum_vci"),
        _r("rsvp.label_request.dlci_length", "dli", transform=lambda dli: {0: 10, 2: 23}.get(dli, dli)),  # bits
        _r("rsvp.label_request.min_dlci", "minimum_dlci"),
        _r("rsvp.label_request.max_dlci", "maximum_dlci"),
        _r("rsvp.label_request.lsp_encoding_type", "lsp_encoding_type"),
        _r("rsvp.label_request.switching_type", "switching_type"),
        _r("rsvp.label_request.g_pid", "gpid"),
    ),
    20: _SUBOBJECTS,
    21: _SUBOBJECTS,
    22: (  # HELLO (RFC 3209 5.2)
        _r("rsvp.hello.source_instance", "src_instance"),
        _r("rsvp.hello.destination_instance", "dst_instance"),
    ),
    23: tuple(_r(f"rsvp.message_id.{n}", m) for n, m in (("flags", "flags"), ("epoch", "epoch"), ("message_id", "message_id"))),
    24: tuple(_r(f"rsvp.message_id_ack.{n}", m) for n, m in (("flags", "flags"), ("epoch", "epoch"), ("message_id", "message_id"))),
    25: (
        _r("rsvp.message_id_list.flags", "flags"),
        _r("rsvp.message_id_list.epoch", "epoch"),
        _r("rsvp.message_id_list.message_id", "message_ids", "message_id"),
    ),
    35: _LABEL,  # UPSTREAM_LABEL (RFC 3473 3.1)
    34: _LABEL,  # RECOVERY_LABEL (RFC 3473 4.1)
    129: _LABEL,  # SUGGESTED_LABEL (RFC 3473 4.1)
    36: (  # LABEL_SET (RFC 3473 2.6)
        _r("rsvp.label_set.action", "action"),
        _r("rsvp.label_set.type", "label_type"),
        _r("rsvp.label_set.subchannel", "subchannels"),
    ),
    37: (  # PROTECTION (RFC 3473 7.1, RFC 4872 14)
        _r("rsvp.protection_info.link_flags", "link_flags"),
        *(
            _r(f"rsvp.pi_link.flags.{name}", "link_flags", transform=_bit(mask))
            for name, mask in (
                ("extra_traffic", 0x01), ("unprotected", 0x02), ("shared", 0x04), ("dedicated1_1", 0x08),
                ("dedicated1plus1", 0x10), ("enhanced", 0x20),
            )
        ),
        _r("rsvp.pi.flags.secondary_lsp", "secondary"),
        _r("rsvp.rfc4872.secondary", "secondary"),
        _r("rsvp.rfc4872.protecting", "protecting"),
        _r("rsvp.rfc4872.notification_msg", "notification"),
        _r("rsvp.rfc4872.operational", "operational"),
        _r("rsvp.protection_info.in_place", "in_place"),
        _r("rsvp.protection_info.required", "required"),
    ),
    50: (  # S2L_SUB_LSP (RFC 4875 19.3)
        _r("rsvp.s2l_sub_lsp.destination_ipv4_address", "destination", kind=_V4),
        _r("rsvp.s2l_sub_lsp.destination_ipv6_address", "destination", kind=_V6),
    ),
    63: (_r("rsvp.detour.plr_id", "plr_id"), _r("rsvp.detour.avoid_node_id", "avoid_node_id")),  # RFC 4090 4.2
    65: (  # DIFFSERV (RFC 3270 5.2)
        _r("rsvp.diffserv.map.exp", "exp"),
        # PHBID encoding (RFC 3140), also used for the L-LSP PSC (RFC 3270 5.3)
        _r("rsvp.diffserv.phbid.dscp", "phbid", "psc", transform=lambda v: v >> 10),
        _r("rsvp.diffserv.phbid.code", "phbid", "psc", transform=lambda v: v >> 4),
        _r("rsvp.diffserv.phbid.bit14", "phbid", "psc", transform=_bit(0x2)),
        _r("rsvp.diffserv.phbid.bit15", "phbid", "psc", transform=_bit(0x1)),
    ),
    66: (_r("rsvp.dste.classtype", "ct"),),  # CLASSTYPE (RFC 4124 6.2.1)
    131: (  # RESTART_CAP (RFC 3473 9.2)
        _r("rsvp.restart_cap.restart_time", "restart_time_ms"),
        _r("rsvp.restart_cap.recovery_time", "recovery_time_ms"),
    ),
    193: (  # LSP_TUNNEL_INTERFACE_ID (RFC 3477 3.1)
        _r("rsvp.lsp_tunnel_if_id.router_id", "router_id"),
        _r("rsvp.lsp_tunnel_if_id.interface_id", "interface_id"),
    ),
    195: (  # NOTIFY_REQUEST (RFC 3473 4.2.1)
        _r("rsvp.notify_request.notify_node_address_ipv4", "notify_node_address", kind=_V4),
        _r("rsvp.notify_request.notify_node_address_ipv6", "notify_node_address", kind=_V6),
    ),
    196: (  # ADMIN_STATUS (RFC 3473 7.1)
        _r("rsvp.admin_status.bits", "flags"),
        _r("rsvp.admin_status.reflect", "flags", transform=_bit(0x80000000)),
        _r("rsvp.admin_status.testing", "flags", transform=_bit(0x4)),
        _r("rsvp.admin_status.down", "flags", transform=_bit(0x2)),
        _r("rsvp.admin_status.delete", "flags", transform=_bit(0x1)),
        _r("rsvp.admin_status.callmgmt", "flags", transform=_bit(0x8)),  # RFC 4974
        _r("rsvp.admin_status.inhibit", "flags", transform=_bit(0x10)),  # RFC 4783
        _r("rsvp.admin_status.lockout", "flags", transform=_bit(0x20)),  # RFC 4872
        _r("rsvp.admin_status.handover", "flags", transform=_bit(0x40)),  # RFC 5852
    ),
    199: (  # ASSOCIATION (RFC 4872 16, RFC 6780)
        _r("rsvp.association.type", "association_type"),
        _r("rsvp.association.id", "association_id"),
        _r("rsvp.association.source_ipv4", "association_source", kind=_V4),
        _r("rsvp.association.source_ipv6", "association_source", kind=_V6),
    ),
    205: (  # FAST_REROUTE (RFC 4090 4.1)
        _r("rsvp.fast_reroute.setup_priority", "setup_priority"),
        _r("rsvp.fast_reroute.hold_priority", "holding_priority"),
        _r("rsvp.fast_reroute.hop_limit", "hop_limit"),
        # C-Type 7 has a reserved byte where C-Type 1 has flags; Wireshark shows it as flags for both
        _r("rsvp.fast_reroute.flags", "FastReroute.flags", "FastRerouteLegacy.reserved"),
        _r("rsvp.frr.flags.one2one_backup", "FastReroute.flags", "FastRerouteLegacy.reserved", transform=_bit(0x01)),
        _r("rsvp.frr.flags.facility_backup", "FastReroute.flags", "FastRerouteLegacy.reserved", transform=_bit(0x02)),
        _r("rsvp.fast_reroute.bandwidth", "bandwidth"),
        _r("rsvp.fast_reroute.include_any", "include_any"),
        _r("rsvp.fast_reroute.exclude_any", "exclude_any"),
        _r("rsvp.fast_reroute.include_all", "include_all"),
    ),
    207: (  # SESSION_ATTRIBUTE (RFC 3209 4.7)
        _r("rsvp.session_attribute.exclude_any", "exclude_any"),
        _r("rsvp.session_attribute.include_any", "include_any"),
        _r("rsvp.session_attribute.include_all", "include_all"),
        _r("rsvp.session_attribute.setup_priority", "setup_priority"),
        _r("rsvp.session_attribute.hold_priority", "holding_priority"),
        _r("rsvp.session_attribute.flags", "flags"),
        *(
            _r(f"rsvp.sa.flags.{name}", "flags", transform=_bit(mask))
            for name, mask in (("local", 0x01), ("label", 0x02), ("se_style", 0x04), ("bandwidth", 0x08), ("node", 0x10))
        ),
        _r("rsvp.session_attribute.name_length", "name", transform=lambda name: len(name.encode("latin-1"))),
        _r("rsvp.session_attribute.name", "name"),
    ),
    232: (  # EXCLUDE_ROUTE (RFC 4874 3.1)
        _r("rsvp.xro.sobj.lbit", "avoid"),
        _r("rsvp.xro.sobj.ipv4.addr", "address", kind=_V4),
        _r("rsvp.xro.sobj.ipv4.prefix", "prefix_length"),
        _r("rsvp.xro.sobj.ipv4.attr", "XroIPv4Prefix.attribute"),
        _r("rsvp.xro.sobj.ipv6.attr", "XroIPv6Prefix.attribute"),
        _r("rsvp.xro.sobj.srlg.id", "srlg_id"),
    ),
}
RULES[200] = RULES[20]  # SECONDARY_EXPLICIT_ROUTE (RFC 4873 6.1)
RULES[201] = RULES[21]  # SECONDARY_RECORD_ROUTE (RFC 4873 6.2)
RULES[67] = RULES[197] = _LSP_ATTRIBUTES

IGNORED = frozenset({
    "rsvp.data_length",  # Int-serv word counts: derived on encode, not model fields
    "rsvp.parameter_length",
    "rsvp.adspec.len",
    "rsvp.ero_rro_subobjects.length",
    "rsvp.xro.sobj.len",
    "rsvp.ifid_tlv.length",
    "rsvp.type",  # sub-object / TLV type: implied by the model's record class
    "rsvp.ctype",  # sub-object C-Type (label sub-objects): compared through the label value
    "rsvp.tspec.message_format_version",  # always 0; the codec rejects others
    "rsvp.flowspec.message_format_version",
    "rsvp.adspec.message_format_version",
    "rsvp.lsp_attributes_tlv",  # type and length word of an Attributes TLV
    "rsvp.diffserv.mapnb",  # number of DIFFSERV MAP entries
    "rsvp.diffserv.map",  # label items without a value
    "rsvp.diffserv.phbid",
    "rsvp.policy.data",  # Wireshark shows POLICY_DATA as raw bytes (rsvp-wire.md 8.4)
    "rsvp.template_filter.data",  # raw bytes where Wireshark does not decode a C-Type (FILTER_SPEC 3)
    "rsvp.message_id_list.data",  # raw bytes of MESSAGE_ID_LIST C-Types 2-5 (rsvp-wire.md 11, item 22)
})
"""tshark fields with no model counterpart by design (lengths, counts, type codes)."""


# --- model side ---------------------------------------------------------------------------

_leaf_cache: dict[int, tuple[Any, list[Triple]]] = {}


def leaves(obj: Any) -> list[Triple]:
    """(record class name, attribute, value) of every scalar in ``obj``, depth first, wire order."""
    hit = _leaf_cache.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    out: list[Triple] = []
    _walk(obj, out)
    if len(_leaf_cache) > 8192:
        _leaf_cache.clear()
    _leaf_cache[id(obj)] = (obj, out)
    return out


def _walk(record: Any, out: list[Triple]) -> None:
    owner = type(record).__name__
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(item) and not isinstance(item, type):
                _walk(item, out)
            else:
                out.append((owner, field.name, item))


def split(obj: Any) -> tuple[list[Triple], tuple[Any, ...]] | None:
    """(triples outside, records) when ``obj`` has exactly one tuple of records (sub-objects, TLVs, services)."""
    found = [f.name for f in dataclasses.fields(obj) if _records(getattr(obj, f.name))]
    if len(found) != 1:
        return None
    own: list[Triple] = []
    owner = type(obj).__name__
    for field in dataclasses.fields(obj):
        if field.name != found[0]:
            value = getattr(obj, field.name)
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                _walk(value, own)
            else:
                own.extend((owner, field.name, v) for v in (value if isinstance(value, tuple) else (value,)))
    return own, getattr(obj, found[0])


def _records(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and all(
        dataclasses.is_dataclass(v) and not isinstance(v, type) for v in value
    )


def model_values(rule: Rule, triples: list[Triple]) -> list[Any]:
    names = rule.names
    out = []
    for owner, name, value in triples:
        if name not in names and f"{owner}.{name}" not in names:
            continue
        if rule.kind is not None and not _is_kind(value, rule.kind):
            continue
        out.append(rule.transform(value) if rule.transform else value)
    return out


def _is_kind(value: Any, kind: Any) -> bool:
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


# --- comparison ---------------------------------------------------------------------------


def same(ours: Any, leaf: Leaf) -> bool:
    """Whether tshark's displayed field means our value."""
    show = leaf.show
    if isinstance(ours, enum.Enum):
        ours = ours.value
    if isinstance(ours, bool):
        ours = int(ours)
    if isinstance(ours, (IPv4Address, IPv6Address)):
        try:
            return ip_address(show) == ours
        except ValueError:
            number = _number(show) if _number(show) is not None else _hex(leaf.value)
            return number == int(ours)
    if isinstance(ours, int):
        number = _number(show)
        if number is None:
            number = _hex(leaf.value)
        return number == ours
    if isinstance(ours, float):
        try:
            theirs = float(show)
        except ValueError:
            return False
        if math.isinf(ours) or math.isinf(theirs):
            return ours == theirs
        return float(f"{ours:.6g}") == float(f"{theirs:.6g}")  # Wireshark shows FLT_DIG (6) digits
    if isinstance(ours, (bytes, bytearray)):
        if _hex(leaf.value) is not None and len(leaf.value) == 2 * len(ours):
            return bytes.fromhex(leaf.value) == bytes(ours)
        number = _number(show)
        return number is not None and number == int.from_bytes(ours, "big")
    if isinstance(ours, str):
        return show == ours
    return str(ours) == show


def shown(value: Any) -> str:
    """Our value written the way a difference report shows it."""
    if isinstance(value, enum.Enum):
        return f"{value.name}({value.value})"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, float):
        return format(value, ".9g")
    return str(value)


def _number(text: str) -> int | None:
    """tshark shows integers in decimal or (flags, identifiers) as 0x-prefixed hex."""
    text = text.strip()
    try:
        if text[:2].lower() == "0x":
            return int(text, 16)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


def _hex(text: str) -> int | None:
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None
