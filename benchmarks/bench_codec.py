"""Codec speed: decode and encode microseconds per message, one core.

    python -m benchmarks.bench_codec [--count 20000] [--repeat 5]

Three decode figures are reported:
* ``first sight``: the decode memos are cleared before the run, then each of the
  2*count distinct messages is decoded once (objects and route hops shared
  between LSPs, such as TIME_VALUES, still hit the memo, as in a router);
* ``no cache``: memoisation off, so every object of every message is decoded
  (the worst case);
* ``refresh``: the same messages again with the cache warm (a refresh round).
Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from rsvp.wire import decode, encode, model

from .generate import messages


def best_of(run, repeat: int) -> float:
    """The shortest wall-clock time of ``repeat`` calls of ``run``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000, help="distinct Paths and as many Resvs (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept (default 5)")
    args = parser.parse_args(argv)

    print(f"generating {args.count} Path + {args.count} Resv messages ...", file=sys.stderr)
    msgs = messages(args.count)
    wire = [encode(m) for m in msgs]
    assert len(set(wire)) == len(wire), "messages are not distinct"
    n = len(wire)
    sizes = sum(map(len, wire)) / n

    def first_sight() -> None:
        model.set_memo_size(1 << 17)
        for raw in wire:
            decode(raw)

    def no_cache() -> None:
        model.set_memo_size(0)
        for raw in wire:
            decode(raw)
        model.set_memo_size(1 << 17)

    def refresh() -> None:
        for raw in wire:
            decode(raw)

    def encode_all() -> None:
        for m in msgs:
            encode(m)

    results = {
        "decode, first sight": best_of(first_sight, args.repeat),
        "decode, no cache": best_of(no_cache, args.repeat),
        "decode, refresh (warm cache)": best_of(refresh, args.repeat),
        "encode": best_of(encode_all, args.repeat),
    }
    print(f"python {platform.python_version()} on {platform.machine()}, {n} messages, mean {sizes:.0f} bytes")
    for name, seconds in results.items():
        print(f"{name:32s} {seconds / n * 1e6:7.2f} us/message")
    assert all(decode(raw) == m for raw, m in zip(wire[:100], msgs[:100]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
