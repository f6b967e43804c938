"""rsvpd configuration: the example is valid, and each mistake is reported with its key."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

import pytest

from rsvp.daemon import cli
from rsvp.daemon.config import ConfigError, loads, parse_tunnel
from rsvp.daemon.performers import glue_config
from rsvp.engine.config import EroHop

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = """
[router]
id = "192.0.2.1"
[[interface]]
name = "eth0"
bandwidth_bps = 1e9
"""


def test_example_has_every_key() -> None:
    config = loads((ROOT / "examples" / "rsvpd.toml").read_text())
    assert config.router_id == IPv4Address("192.0.2.1")
    assert [i.name for i in config.interfaces] == ["eth1", "eth2"]
    assert config.interfaces[0].max_reservable == 0.75
    tunnel = config.tunnels[0]
    assert tunnel.ero == (EroHop(IPv4Address("10.0.1.2")), EroHop(IPv4Address("192.0.2.4"), 32, True))
    assert config.metrics_listen == ("127.0.0.1", 9180)
    assert tunnel.tunnel(5).tunnel_id == 5
    glue = glue_config(config)
    assert (glue.name_prefix, glue.cgroup_parent) == ("qrl", "quasar")
    assert glue_config(loads(MINIMAL + "[glue]\nname_prefix = 'ev12q'\ncgroup_parent = 'quasar-12'")
                       ).cgroup_parent == "quasar-12"


def test_defaults_and_node_config() -> None:
    config = loads(MINIMAL)
    assert (config.refresh_s, config.keep_multiplier, config.glue_backend, config.log_format) == (30.0, 3, "none", "json")
    node = config.node_config({"eth0": IPv4Interface("10.0.0.1/30")})
    assert node.interfaces[0].address == IPv4Address("10.0.0.1") and node.interfaces[0].prefix_length == 30
    with pytest.raises(ConfigError, match=r"interface\[0\].name: 'eth0' has no IPv4 address"):
        config.node_config({})
TWO_TUNNELS_NAMED_T = ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'\nbandwidth_bps = 1\n"
                       "[[tunnel]]\nname = 't'\ndestination = '192.0.2.8'\nbandwidth_bps = 1")


@pytest.mark.parametrize(("extra", "key", "problem"), [
    ("[timers]\nrefresh_s = 0", "timers.refresh_s", "must be > 0"),
    ("[timers]\nrefresh = 30", "timers.refresh", "unknown key"),
    ("[glue]\nbackend = 'xen'", "glue.backend", "not one of"),
    ("[glue]\nname_prefix = 'routelets'", "glue.name_prefix", "1 to 8 lower-case"),
    ("[glue]\nname_prefix = 'Q1'", "glue.name_prefix", "1 to 8 lower-case"),
    ("[glue]\ncgroup_parent = 'a/b'", "glue.cgroup_parent", "one cgroup directory name"),
    ("[glue]\ncgroup_parent = '..'", "glue.cgroup_parent", "one cgroup directory name"),
    ("[log]\nformat = 'text'", "log.format", "not one of"),
    ("[metrics]\nlisten = 'localhost'", "metrics.listen", "not host:port"),
    ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'", "tunnel[0].bandwidth_bps", "missing"),
    ("[[tunnel]]\nname = 't'\ndestination = 'x'\nbandwidth_bps = 1", "tunnel[0].destination", "not an IPv4"),
    ("[[tunnel]]\nname = 't'\ndestination = '2001:db8::1'\nbandwidth_bps = 1", "tunnel[0].destination",
     "is IPv6: rsvpd speaks RSVP over IPv4 only"),
    ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'\nbandwidth_bps = 1\nero = ['loose:2001:db8::/64']",
     "tunnel[0].ero[0]", "is IPv6"),
    ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'\nbandwidth_bps = 1\nero = ['10.0.0.1/24']",
     "tunnel[0].ero[0]", "host bits"),
    ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'\nbandwidth_bps = 1\nsetup_priority = 8",
     "tunnel[0].setup_priority", "[0, 7]"),
    ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'\nbandwidth_bps = 1\nsetup_priority = 0\nhold_priority = 3",
     "tunnel[0].hold_priority", "RFC 3209"),
    ("[[tunnel]]\nname = 't'\ndestination = '192.0.2.9'\nbandwidth_bps = 1\nextened_tunnel_id = 3",
     "tunnel[0].extened_tunnel_id", "unknown key"),
    (TWO_TUNNELS_NAMED_T, "tunnel[1].name", "repeats"),
    ("[[interface]]\nname = 'eth0'\nbandwidth_bps = 1", "interface[1].name", "repeats"),
    ("[[interface]]\nname = 'eth1'\nbandwidth_bps = 1\nmax_reservable = 1.5", "interface[1].max_reservable",
     "(0, 1]"),
    ("[[interface]]\nname = 'eth1'\nbandwidth_bps = 1\nintegrity_key = 'xyz'", "interface[1].integrity_key", "hex"),
    ("[[interface]]\nname = 'a-very-long-interface'\nbandwidth_bps = 1", "interface[1].name", "15 characters"),
    ("[[interface]]\nname = 'eth1'\nbandwidth_bps = true", "interface[1].bandwidth_bps", "finite number"),
])
def test_errors_name_the_key(extra: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        loads(MINIMAL + extra)
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_whole_file_errors() -> None:
    with pytest.raises(ConfigError, match="router: missing"):
        loads("[[interface]]\nname = 'eth0'\nbandwidth_bps = 1")
    with pytest.raises(ConfigError, match="interface: missing"):
        loads("[router]\nid = '192.0.2.1'")
    with pytest.raises(ConfigError, match="not valid TOML"):
        loads("[router\n")


def test_parse_tunnel_for_the_control_socket() -> None:
    tunnel = parse_tunnel({"name": "x", "destination": "192.0.2.4", "bandwidth_bps": 5e6, "ero": ["loose:192.0.2.4"]})
    assert tunnel.ero[0].loose and tunnel.bandwidth_bps == 5e6
    with pytest.raises(ConfigError, match=r"tunnel.ero\[0\]"):
        parse_tunnel({"name": "x", "destination": "192.0.2.4", "bandwidth_bps": 1, "ero": [3]})


def test_rsvpd_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL + "[[interface]]\nname = 'eth1'\nbandwidth_bps = 1\nhello = true\n")
    assert cli.main(["check", "-c", str(good)]) == 0
    out = capsys.readouterr().out
    assert "ok: router 192.0.2.1, 2 interface(s)" in out and "hello is per router" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL + "[admission]\npolicy = 'nonesuch'\n")
    assert cli.main(["check", "-c", str(bad)]) == 2
    assert "admission.policy: no admission policy 'nonesuch'; known: bandwidth, quasar" in capsys.readouterr().err
    routelets = tmp_path / "glue.toml"
    routelets.write_text(MINIMAL + "[glue]\nbackend = 'xen'\n")
    assert cli.main(["check", "-c", str(routelets)]) == 2
    assert "glue.backend" in capsys.readouterr().err
    options = tmp_path / "options.toml"
    options.write_text(MINIMAL + "[admission]\npolicy = 'quasar'\noptions = { cpus = 4, colour = 'red' }\n")
    assert cli.main(["check", "-c", str(options)]) == 2
    assert "admission.options: admission policy 'quasar' takes no option colour" in capsys.readouterr().err
    options.write_text(MINIMAL + "[admission]\npolicy = 'quasar'\noptions = { cpus = 4, memory_bytes = 8e9 }\n")
    assert cli.main(["check", "-c", str(options)]) == 0
    assert cli.main(["check", "-c", str(tmp_path / "missing.toml")]) == 2


def test_examples_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "-c", str(ROOT / "examples" / "rsvpd.toml")]) == 0
