"""``rsvpd``: run the daemon, check a configuration, run the demo, drive the namespace testbed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import ConfigError, load

EPILOG = """\
commands:
  rsvpd run -c /etc/rsvpd.toml        run the router (root: raw sockets); SIGHUP reloads, SIGTERM stops
  rsvpd check -c /etc/rsvpd.toml      validate a configuration file; errors name the key (exit 2)
  rsvpd demo [--json]                 four routers in one process, no root: admission refusal and preemption
  rsvpd testbed up|down|status FILE   namespaces + veth + one rsvpd per router (root); FILE is a
                                      simulator scenario (python -m rsvp.sim --help for the format)

The configuration keys are in docs/daemon.md and examples/*.toml.
exit status: 0 fine, 1 runtime failure, 2 invalid configuration or arguments.
"""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rsvpd", description="QuaSAR-RSVP router daemon (RSVP-TE over raw IP).",
                                  epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the daemon", description="Run rsvpd in the foreground (needs root "
                              "for raw sockets).  SIGHUP re-reads the file; SIGTERM tears down and exits 0.")
    run.add_argument("-c", "--config", required=True, type=Path, help="configuration file (TOML)")
    check = commands.add_parser("check", help="validate a configuration file",
                                description="Validate a configuration file without starting anything.")
    check.add_argument("-c", "--config", required=True, type=Path, help="configuration file (TOML)")
    demo = commands.add_parser("demo", help="simulated four-router network, no root",
                               description="A four-router QuaSAR network in one process over the real codec "
                               "and engines, with QuaSAR admission (bandwidth, CPU and memory shares) and one "
                               "libvirt routelet per reservation on the embedded test:///default driver (no "
                               "Xen, no root): LSPs set up, one refused for lack of bandwidth, one preempted by "
                               "a higher-priority LSP; prints the LSP, routelet and ledger tables.")
    demo.add_argument("--json", action="store_true", help="print the tables as JSON")
    demo.add_argument("--policy", default="quasar", help="admission policy by name (default quasar)")
    demo.add_argument("--glue", default="libvirt", choices=["libvirt", "none"],
                      help="routelet backend (default libvirt on test:///default; none: bookkeeping only)")
    testbed = commands.add_parser("testbed", help="network-namespace testbed (root)",
                                  description="Build, inspect or remove a testbed: one network namespace per "
                                  "router, veth pairs for links, static routes, one rsvpd per router.")
    testbed.add_argument("action", choices=["up", "down", "status"])
    testbed.add_argument("topology", type=Path, help="scenario TOML: [[node]], [[link]], [[lsp]] (events ignored)")
    testbed.add_argument("--run-dir", type=Path, help="configs, logs, pids and sockets (default /run/rsvpd-<name>)")
    testbed.add_argument("--prefix", help="namespace name prefix (default: the file's stem)")
    testbed.add_argument("--json", action="store_true", help="status as JSON")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "check":
        return _check(args.config)
    if args.command == "demo":
        return _demo(args.json, args.policy, args.glue)
    if args.command == "testbed":
        from .testbed import command

        return command(args.action, args.topology, args.run_dir, args.prefix, args.json)
    return _run(args.config)


def _check(path: Path) -> int:
    from .policies import make_admission

    try:
        config = load(path)
        make_admission(config.admission_policy, config.placeholder_interfaces(), dict(config.admission_options))
    except ConfigError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: ok: router {config.router_id}, {len(config.interfaces)} interface(s), "
          f"{len(config.tunnels)} tunnel(s), admission {config.admission_policy!r}, glue {config.glue_backend!r}")
    for note in config.not_yet_enforced():
        print(f"note: {note}")
    return 0


def _demo(as_json: bool, policy: str, glue: str) -> int:
    from .demo import render, run

    try:
        result = run(policy, glue)
    except ConfigError as exc:
        print(f"rsvpd demo: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if as_json else render(result), end="" if not as_json else "\n")
    return 0


def _run(path: Path) -> int:
    import trio

    from .runner import run

    try:
        return trio.run(run, path)
    except ConfigError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"rsvpd: {exc}: raw sockets need root (CAP_NET_RAW)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"rsvpd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
