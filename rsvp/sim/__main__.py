"""``python -m rsvp.sim``: run a scenario file and print the network's final state."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import (
    Scenario,
    ScenarioError,
    Simulation,
    SimulationError,
    bundled_scenarios,
    load,
    loads,
    summary,
    tables,
)

FORMAT = """\
scenario file (TOML):

  duration_s = 600          # simulated seconds to run (required)
  seed = 7                  # random seed (default 1); --seed overrides
  refresh_s = 30            # RSVP refresh period R (default 30)
  keep_multiplier = 3       # K; state lives L = (K + 0.5) * 1.5 * R (default 3)
  description = "..."       # optional
  refresh_reduction = true  # RFC 2961 MESSAGE_ID/ACK, Srefresh, NACK (default true)
  hello = true              # RFC 3209 Hello with every neighbour (default true)
  hello_interval_s = 5      # Hello interval (default 5)
  hello_misses = 3.5        # intervals without a Hello before a neighbour is dead (default 3.5)
  integrity_key = "s3cret"  # RFC 2747 INTEGRITY (HMAC-SHA-256, key id 1) on every link
                            #   (default: none); a [[node]] or [[link]] may set its own

  [[node]]                  # one per router
  name = "A"                # letters, digits, '_', '-', '.'
  router_id = "192.0.2.1"   # its loopback; reachable from every node
  integrity_key = "..."     # optional: this node's secret on all its links (wins over link and file)

  [[link]]                  # a point-to-point link; link i (from 0) is 10.x.y.0/30
  a = "A"                   #   with x.y = i + 1 as 16 bits: a end .1, b end .2;
  b = "B"                   #   the interfaces are named to-<peer>
  delay_ms = 2              # one-way delay (required)
  bandwidth_bps = 1e9       # capacity admission may hand out (required)
  loss = 0.01               # probability a message is lost (default 0)
  duplicate = 0.0           # probability it arrives twice (default 0)
  reorder = 0.0             # probability it is held back up to reorder_ms
  reorder_ms = 10           #   (default: delay_ms, at least 1 ms) and may be overtaken
  corrupt = 0.0             # probability one byte is flipped (the receiver counts a decode failure)
  integrity_key = "..."     # optional: the secret of both ends on this link (wins over the file's)

  [[lsp]]                   # an ingress tunnel, set up at time 0 unless the first
  name = "a-to-d"           #   event naming it is add-lsp
  head = "A"
  tail = "D"
  bandwidth_bps = 10e6      # (required)
  ero = ["B", "loose:D"]    # node names or addresses/prefixes, "loose:" for loose hops;
                            #   a strict node name is its address on the link from the
                            #   previous hop, a loose one its router id (default [])
  setup_priority = 7        # 0..7 (default 7)
  hold_priority = 0         # 0..7 (default 0)

  [[event]]
  at_s = 100
  action = "link-down"      # link-down | link-up: target "A-B" (every link between them)
  target = "B-C"            # kill | restart: a node name (restart = fresh state, tunnels re-added)
                            # delete-lsp | add-lsp: an lsp name

Unknown keys, unknown names and missing fields are errors naming the key (exit 2).
Tunnel ids count 1, 2, ... per head in file order.  Routes are shortest paths by
hop count over the links that are up (ties: lower link index); a killed node is
routed around but its neighbours' interfaces stay up, so RSVP notices it only by
soft-state timeout.  Every message is encoded, carried as bytes and decoded.

output: per LSP its state, path (router ids from the head's record route), labels
(the label on each link of the path, from the downstream node) and reason; per node
its path/resv state block counts, forwarding entries and messages sent/received by
type; per link what it did with the messages.  The same file and seed always give
the same output.

exit status: 0 ran, 1 an engine raised (a bug; the message names node and time),
2 bad arguments or scenario file.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rsvp.sim",
        description="Deterministic discrete-event simulation of a network of RSVP-TE engines.",
        epilog=FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", help="scenario TOML file, or the name of a bundled scenario (see --list)")
    parser.add_argument("--json", action="store_true", help="print the final state as JSON instead of tables")
    parser.add_argument("--seed", type=int, help="random seed (overrides the file's seed)")
    parser.add_argument("--duration", type=float, metavar="S", help="simulated seconds to run (overrides duration_s)")
    parser.add_argument("--list", action="store_true", help="list the bundled example scenarios and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    args = parser.parse_args(argv)

    bundled = bundled_scenarios()
    if args.list:
        for name, text in bundled.items():
            print(f"{name:12} {loads(text).description}")
        return 0
    if args.file is None:
        parser.error("a scenario file is required (or --list)")
    if args.duration is not None and args.duration < 0:
        parser.error("--duration must be >= 0")
    try:
        scenario = _scenario(args.file, bundled).with_overrides(seed=args.seed, duration_s=args.duration)
        sim = Simulation(scenario)
        _run(sim, progress=not args.no_progress)
    except ScenarioError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    except SimulationError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    result = summary(sim)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(tables(result, sim))
    return 0


def _scenario(file: str, bundled: dict[str, str]) -> Scenario:
    if not Path(file).exists() and file in bundled:
        return loads(bundled[file])
    return load(file)


def _run(sim: Simulation, progress: bool, every_s: float = 3.0) -> None:
    """Run in slices, printing simulated progress on stderr every few seconds of wall time."""
    start = last = time.monotonic()
    printed = False
    end = sim.scenario.duration_s
    while not sim.run(max_events=2000):
        wall = time.monotonic()
        if progress and wall - last >= every_s:
            last = wall
            rate = sim.now / (wall - start) if wall > start else 0.0
            line = (f"t = {sim.now:,.1f} / {end:,.1f} s simulated, {sim.counters['events']:,} events, "
                    f"{rate:,.0f} simulated s per wall s")
            print(f"\r{line}" if sys.stderr.isatty() else line, end="" if sys.stderr.isatty() else "\n",
                  file=sys.stderr, flush=True)
            printed = True
    if printed and sys.stderr.isatty():
        print(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
