"""rsvpd's configuration file (TOML), checked strictly.

Every problem is a :class:`ConfigError` naming the key (``tunnel[1].ero[0]``)
and what is wrong with it: an unknown or misspelt key is an error, never a
silently ignored setting.  ``docs/daemon.md`` lists the keys.
"""

from __future__ import annotations

import dataclasses
import math
import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

from rsvp.engine.config import (
    DEFAULT_KEEP_MULTIPLIER,
    DEFAULT_REFRESH_S,
    EroHop,
    Interface,
    NodeConfig,
    Tunnel,
)
from rsvp.engine.integrity import Key
from rsvp.settings import KeyedError, parse_toml, read_toml

LOOSE = "loose:"
GLUE_BACKENDS = ("none", "libvirt", "netns")
NAME_PREFIX = re.compile(r"[a-z][a-z0-9]{0,7}")
CGROUP_NAME = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-]{1,64}")
LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("debug", "info", "warning", "error")
DEFAULT_SOCKET = "/run/rsvpd.sock"
INTEGRITY_KEY_ID = 1  # the Key Identifier of an interface's integrity_key (RFC 2747 section 2.1), both ends alike
INTERFACE_KEYS = {"name", "bandwidth_bps", "max_reservable", "hello", "integrity_key"}
TUNNEL_KEYS = {"name", "destination", "bandwidth_bps", "ero", "setup_priority", "hold_priority", "record_route"}
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


class ConfigError(KeyedError):
    """An invalid rsvpd configuration."""


@dataclasses.dataclass(frozen=True, slots=True)
class InterfaceConfig:
    """An RSVP interface; its address is read from the kernel when the daemon starts."""

    name: str
    bandwidth_bps: float
    max_reservable: float = 1.0
    hello: bool = False
    integrity_key: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class TunnelConfig:
    """An ingress tunnel as configured (the engine's :class:`Tunnel` without its tunnel id)."""

    name: str
    destination: IPv4Address
    bandwidth_bps: float
    ero: tuple[EroHop, ...] = ()
    setup_priority: int = 7
    hold_priority: int = 0
    record_route: bool = True

    def tunnel(self, tunnel_id: int) -> Tunnel:
        return Tunnel(self.name, self.destination, self.bandwidth_bps, tunnel_id, self.ero,
                      self.setup_priority, self.hold_priority, self.record_route)


@dataclasses.dataclass(frozen=True, slots=True)
class DaemonConfig:
    router_id: IPv4Address
    interfaces: tuple[InterfaceConfig, ...]
    tunnels: tuple[TunnelConfig, ...] = ()
    refresh_s: float = DEFAULT_REFRESH_S
    keep_multiplier: int = DEFAULT_KEEP_MULTIPLIER
    hello_interval_s: float = 5.0
    admission_policy: str = "bandwidth"
    admission_options: tuple[tuple[str, Any], ...] = ()  # keyword arguments of the policy (sorted pairs)
    glue_backend: str = "none"
    glue_uri: str = ""
    glue_pool_size: int = 2
    glue_name_prefix: str = "qrl"
    glue_cgroup_parent: str = "quasar"
    control_socket: str = DEFAULT_SOCKET
    log_format: str = "json"
    log_level: str = "info"
    metrics_listen: tuple[str, int] | None = None

    def placeholder_interfaces(self) -> tuple[Interface, ...]:
        """The interfaces with address 0.0.0.0 (``rsvpd check`` builds the admission policy before the
        kernel's addresses are known)."""
        return tuple(Interface(i.name, IPv4Address(0), i.bandwidth_bps, 32, i.max_reservable)
                     for i in self.interfaces)

    def node_config(self, addresses: dict[str, IPv4Interface]) -> NodeConfig:
        """The engine's configuration, given each interface's kernel address (name -> address/prefix)."""
        interfaces = []
        for i, spec in enumerate(self.interfaces):
            address = addresses.get(spec.name)
            if address is None:
                raise ConfigError(f"interface[{i}].name", f"{spec.name!r} has no IPv4 address on this host")
            interfaces.append(Interface(spec.name, address.ip, spec.bandwidth_bps, address.network.prefixlen,
                                        spec.max_reservable))
        return NodeConfig(self.router_id, tuple(interfaces), self.refresh_s, self.keep_multiplier,
                          hello=any(i.hello for i in self.interfaces), hello_interval_s=self.hello_interval_s,
                          integrity_by_interface=tuple(
                              (i.name, (Key(INTEGRITY_KEY_ID, bytes.fromhex(i.integrity_key)),))
                              for i in self.interfaces if i.integrity_key))

    def not_yet_enforced(self) -> list[str]:
        """Settings the file may hold that the engine does not act on as written."""
        if any(i.hello for i in self.interfaces) and not all(i.hello for i in self.interfaces):
            return [("interface hello is per router in the engine: Hello (RFC 3209 section 5) runs with the far end "
                     "of every point-to-point RSVP interface once any interface has hello = true")]
        return []


# --- reading ---------------------------------------------------------------------------------------


def load(path: str | Path) -> DaemonConfig:
    return from_dict(read_toml(path, ConfigError))


def loads(text: str) -> DaemonConfig:
    return from_dict(parse_toml(text, ConfigError))


def from_dict(data: dict[str, Any]) -> DaemonConfig:
    top = _Table(data, None, {"router", "timers", "interface", "admission", "glue", "tunnel", "control", "log",
                              "metrics"})
    router = top.table("router", {"id"}, required=True)
    timers = top.table("timers", {"refresh_s", "keep_multiplier", "hello_interval_s"})
    admission = top.table("admission", {"policy", "options"})
    glue = top.table("glue", {"backend", "uri", "pool_size", "name_prefix", "cgroup_parent"})
    control = top.table("control", {"socket"})
    log = top.table("log", {"format", "level"})
    metrics = top.table("metrics", {"listen"})
    interfaces = tuple(_interface(t) for t in top.tables("interface", INTERFACE_KEYS, required=True))
    _unique(interfaces, "interface", "name")
    tunnels = tuple(_tunnel(t) for t in top.tables("tunnel", TUNNEL_KEYS))
    _unique(tunnels, "tunnel", "name")
    listen = metrics.string("listen", "")
    return DaemonConfig(
        router_id=router.address("id", required=True),
        interfaces=interfaces,
        tunnels=tunnels,
        refresh_s=timers.number("refresh_s", DEFAULT_REFRESH_S, above=0.0),
        keep_multiplier=timers.integer("keep_multiplier", DEFAULT_KEEP_MULTIPLIER, 1, 255),
        hello_interval_s=timers.number("hello_interval_s", 5.0, above=0.0),
        admission_policy=admission.string("policy", "bandwidth", nonempty=True),
        admission_options=admission.options("options"),
        glue_backend=glue.choice("backend", "none", GLUE_BACKENDS),
        glue_uri=glue.string("uri", ""),
        glue_pool_size=glue.integer("pool_size", 2, 0, 1024),
        glue_name_prefix=glue.matching("name_prefix", "qrl", NAME_PREFIX, "1 to 8 lower-case letters and digits, "
                                       "starting with a letter (routelet names, namespaces and vifs <prefix>-<n>v "
                                       "must fit the kernel's 15-character interface names)"),
        glue_cgroup_parent=glue.matching("cgroup_parent", "quasar", CGROUP_NAME,
                                         "one cgroup directory name: letters, digits, '.', '_' or '-', not '.' or "
                                         "'..'"),
        control_socket=control.string("socket", DEFAULT_SOCKET, nonempty=True),
        log_format=log.choice("format", "json", LOG_FORMATS),
        log_level=log.choice("level", "info", LOG_LEVELS),
        metrics_listen=parse_listen(listen, metrics.where("listen")) if listen else None,
    )


def parse_listen(text: str, key: str) -> tuple[str, int]:
    """``host:port`` (``:port`` for all addresses) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(key, f"{text!r} is not host:port (e.g. 127.0.0.1:9180)")
    return host.strip("[]") or "0.0.0.0", int(port)


def _interface(table: _Table) -> InterfaceConfig:
    name = table.string("name", required=True, nonempty=True)
    if len(name) > 15 or any(c in name for c in "/ \t:"):
        raise ConfigError(table.where("name"), f"{name!r} is not a Linux interface name (at most 15 characters, "
                          "no '/', ':' or spaces)")
    key = table.string("integrity_key", "")
    if key and (len(key) % 2 or any(c not in "0123456789abcdefABCDEF" for c in key)):
        raise ConfigError(table.where("integrity_key"), "must be the HMAC key in hex (RFC 2747), an even number "
                          "of hex digits")
    return InterfaceConfig(
        name=name,
        bandwidth_bps=table.number("bandwidth_bps", required=True, above=0.0),
        max_reservable=table.fraction("max_reservable", 1.0),
        hello=table.boolean("hello", False),
        integrity_key=key or None,
    )


def parse_tunnel(data: Any, where: str = "tunnel") -> TunnelConfig:
    """One tunnel given as a dict with the ``[[tunnel]]`` keys (``rsvpctl tunnel add``)."""
    return _tunnel(_Table(data, where, TUNNEL_KEYS))


def _tunnel(table: _Table) -> TunnelConfig:
    name = table.string("name", required=True, nonempty=True)
    if len(name) > 64 or not set(name) <= NAME_CHARS:
        raise ConfigError(table.where("name"), f"{name!r}: at most 64 letters, digits, '_', '-' and '.'")
    setup = table.integer("setup_priority", 7, 0, 7)
    hold = table.integer("hold_priority", 0, 0, 7)
    if hold > setup:
        raise ConfigError(table.where("hold_priority"), f"{hold} is weaker than setup_priority {setup}; the "
                          "holding priority must not be lower than the setup priority (RFC 3209 section 4.7.1)")
    return TunnelConfig(
        name=name,
        destination=table.address("destination", required=True),
        bandwidth_bps=table.number("bandwidth_bps", required=True, minimum=0.0),
        ero=tuple(parse_ero_hop(item, table.where(f"ero[{i}]")) for i, item in enumerate(table.list("ero"))),
        setup_priority=setup,
        hold_priority=hold,
        record_route=table.boolean("record_route", True),
    )


def parse_ero_hop(item: Any, key: str) -> EroHop:
    """``10.0.1.2``, ``10.0.1.0/30`` or ``loose:192.0.2.4`` (RFC 3209 section 4.3.3)."""
    if not isinstance(item, str) or not item:
        raise ConfigError(key, f"must be an IPv4 address or prefix, 'loose:' for a loose hop, not {item!r}")
    loose = item.startswith(LOOSE)
    text = item[len(LOOSE):] if loose else item
    try:
        network = IPv4Network(text, strict=True)
    except ValueError:
        raise ConfigError(key, _not_ipv4(text, "address or prefix (host bits must be zero)")) from None
    return EroHop(network.network_address, network.prefixlen, loose)


def _not_ipv4(text: str, what: str) -> str:
    """Why ``text`` is refused where an IPv4 ``what`` belongs; an IPv6 one is named as such."""
    try:
        IPv6Network(text)
    except ValueError:
        return f"{text!r} is not an IPv4 {what}"
    return f"{text!r} is IPv6: rsvpd speaks RSVP over IPv4 only (no IPv6 sessions or transport)"


def _unique(items: tuple[Any, ...], table: str, key: str) -> None:
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value in seen:
            raise ConfigError(f"{table}[{i}].{key}", f"{value!r} repeats {table}[{seen[value]}].{key}")
        seen[value] = i


_MISSING = object()


class _Table:
    """One TOML table and where it sits (``tunnel[2]``); typed getters that raise :class:`ConfigError`."""

    def __init__(self, data: Any, path: str | None, allowed: set[str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(path, f"must be a table, written [{path}]")
        self.data, self.path = data, path
        for key in data:
            if key not in allowed:
                raise ConfigError(self.where(key), f"unknown key; allowed here: {', '.join(sorted(allowed))}")

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def table(self, key: str, allowed: set[str], required: bool = False) -> _Table:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                raise ConfigError(key, f"missing: the file needs a [{key}] table")
            value = {}
        return _Table(value, self.where(key), allowed)

    def tables(self, key: str, allowed: set[str], required: bool = False) -> list[_Table]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise ConfigError(key, f"must be an array of tables, written [[{key}]]")
        if required and not value:
            raise ConfigError(key, f"missing: the file needs at least one [[{key}]] table")
        return [_Table(t, f"{key}[{i}]", allowed) for i, t in enumerate(value)]

    def _get(self, key: str, default: Any, required: bool) -> Any:
        if key in self.data:
            return self.data[key]
        if required:
            raise ConfigError(self.where(key), "missing")
        return default

    def options(self, key: str) -> tuple[tuple[str, Any], ...]:
        """A table of keyword options handed on as they are (their owner checks them)."""
        value = self._get(key, {}, False)
        if not isinstance(value, dict):
            raise ConfigError(self.where(key), f"must be a table of options, not {value!r}")
        return tuple(sorted(value.items()))

    def string(self, key: str, default: str = "", required: bool = False, nonempty: bool = False) -> str:
        value = self._get(key, default, required)
        if not isinstance(value, str):
            raise ConfigError(self.where(key), f"must be a string, not {value!r}")
        if nonempty and not value:
            raise ConfigError(self.where(key), "must not be empty")
        return value

    def matching(self, key: str, default: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.string(key, default)
        if not pattern.fullmatch(value):
            raise ConfigError(self.where(key), f"{value!r} is not {what}")
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise ConfigError(self.where(key), f"{value!r} is not one of {', '.join(map(repr, choices))}")
        return value

    def number(self, key: str, default: float = 0.0, required: bool = False, minimum: float | None = None,
               above: float | None = None) -> float:
        value = self._get(key, default, required)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(self.where(key), f"must be a finite number, not {value!r}")
        if minimum is not None and value < minimum:
            raise ConfigError(self.where(key), f"must be >= {minimum:g}, not {value!r}")
        if above is not None and value <= above:
            raise ConfigError(self.where(key), f"must be > {above:g}, not {value!r}")
        return float(value)

    def fraction(self, key: str, default: float) -> float:
        value = self.number(key, default, above=0.0)
        if value > 1.0:
            raise ConfigError(self.where(key), f"is a fraction of bandwidth_bps, must be in (0, 1], not {value!r}")
        return value

    def integer(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self._get(key, default, False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.where(key), f"must be an integer, not {value!r}")
        if not minimum <= value <= maximum:
            raise ConfigError(self.where(key), f"must be in [{minimum}, {maximum}], not {value}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default, False)
        if not isinstance(value, bool):
            raise ConfigError(self.where(key), f"must be true or false, not {value!r}")
        return value

    def address(self, key: str, required: bool = False) -> IPv4Address:
        text = self.string(key, required=required, nonempty=True)
        try:
            return IPv4Address(text)
        except ValueError:
            raise ConfigError(self.where(key), _not_ipv4(text, "address")) from None

    def list(self, key: str) -> list[Any]:
        value = self._get(key, [], False)
        if not isinstance(value, list):
            raise ConfigError(self.where(key), f"must be a list, not {value!r}")
        return value
