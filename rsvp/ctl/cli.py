"""``rsvpctl``: show what rsvpd is doing, add and delete tunnels, reload, stop."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rsvp.daemon.config import DEFAULT_SOCKET

from . import tables
from .client import ControlError, request

EPILOG = """\
examples:
  rsvpctl -s /run/rsvpd.sock show lsps
  rsvpctl show lsps --json            # name, role, state, destination, record_route,
                                      #   in_label, out_label, bandwidth_bps, reason
  rsvpctl tunnel add to-d --to 192.0.2.4 --bandwidth 10M --ero 10.0.1.2 loose:192.0.2.4 --priority 4 0
  rsvpctl tunnel delete to-d
  rsvpctl reload                      # same as SIGHUP: re-read the configuration file
  rsvpctl shutdown                    # same as SIGTERM: tear down and exit

Tunnels added here live until deleted or the daemon stops; a reload leaves them
alone.  exit status: 0 done, 1 the daemon refused or could not be reached, 2 usage.
"""

SUFFIXES = {"k": 1e3, "m": 1e6, "g": 1e9}


def bandwidth(text: str) -> float:
    """``10e6``, ``10M``, ``1.5G``, ``640k`` -> bits per second."""
    scale = SUFFIXES.get(text[-1:].lower(), 1.0)
    try:
        value = float(text[:-1] if scale != 1.0 else text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate in bits/s (e.g. 10e6, 10M, 1.5G)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a bandwidth cannot be negative")
    return value


def priority(text: str) -> int:
    if not text.isdigit() or int(text) > 7:
        raise argparse.ArgumentTypeError(f"{text!r}: a priority is 0 (highest) to 7 (lowest)")
    return int(text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rsvpctl", description="Operate rsvpd through its control socket.",
                                  epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("-s", "--socket", default=DEFAULT_SOCKET,
                     help=f"the daemon's control socket ([control] socket; default {DEFAULT_SOCKET})")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="show lsps|sessions|neighbors|routelets|counters|ledger",
                               description="Show one of the daemon's tables.")
    show.add_argument("what", choices=list(tables.VIEWS), help="lsps: every LSP this router takes part in; "
                      "sessions: classic RSVP sessions; neighbors: messages per neighbour; routelets: installed "
                      "forwarding entries; counters: engine, transport and admission counters; ledger: "
                      "bandwidth per interface")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tunnel = commands.add_parser("tunnel", help="add or delete an ingress tunnel",
                                 description="Add or delete an ingress tunnel (RSVP-TE LSP from this router).")
    actions = tunnel.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add (or change) a tunnel", description="Add a tunnel, or change one "
                             "added here (a change is re-signalled make-before-break).")
    add.add_argument("name", help="tunnel name (letters, digits, '_', '-', '.')")
    add.add_argument("--to", required=True, metavar="ADDR", help="destination: the tail router's id")
    add.add_argument("--bandwidth", required=True, type=bandwidth, metavar="BPS",
                     help="bits per second (10e6, 10M, 1.5G)")
    add.add_argument("--ero", nargs="+", default=[], metavar="HOP",
                     help="explicit route: addresses or prefixes, 'loose:' before a loose hop")
    add.add_argument("--priority", nargs=2, type=priority, metavar=("S", "H"),
                     help="setup and holding priority, 0 (highest) to 7 (default 7 0)")
    add.add_argument("--no-record-route", action="store_true", help="do not ask for a RECORD_ROUTE")
    delete = actions.add_parser("delete", help="delete a tunnel (PathTear sent)", description="Delete a tunnel.")
    delete.add_argument("name")
    commands.add_parser("reload", help="re-read the configuration file (as SIGHUP)",
                        description="Re-read the configuration file: tunnels added, removed or changed, the others "
                        "untouched; an invalid file is refused and the running configuration kept.")
    commands.add_parser("shutdown", help="stop the daemon gracefully (as SIGTERM)",
                        description="Tear down every tunnel, release routelets and stop the daemon.")
    return top


def command_of(args: argparse.Namespace) -> dict[str, Any]:
    if args.command == "show":
        return {"command": "show", "what": args.what}
    if args.command == "tunnel" and args.action == "add":
        setup, hold = args.priority or (7, 0)
        return {"command": "tunnel-add", "name": args.name, "destination": args.to, "bandwidth_bps": args.bandwidth,
                "ero": args.ero, "setup_priority": setup, "hold_priority": hold,
                "record_route": not args.no_record_route}
    if args.command == "tunnel":
        return {"command": "tunnel-delete", "name": args.name}
    return {"command": args.command}


def render(args: argparse.Namespace, result: Any) -> str:
    if args.command == "show" and not args.json:
        return tables.VIEWS[args.what](result)
    if args.command == "reload" and not getattr(args, "json", False):
        return "\n".join(f"{key}: {', '.join(value) or '-'}" for key, value in result.items())
    return json.dumps(result, indent=2) if not isinstance(result, str) else result


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result = request(args.socket, command_of(args))
    except ControlError as exc:
        print(f"rsvpctl: {exc}", file=sys.stderr)
        return 1
    print(render(args, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
