"""Codec speed: decode and encode microseconds per message, one core.

    python -m benchmarks.bench_codec [--count 20000] [--repeat 5]

Three decode figures are reported:
* ``first sight``: the decode memos are cleared before the run, then each of the
  2*count distinct messages is decoded once (objects and route hops shared
  between LSPs, such as TIME_VALUES, still hit the memo, as in a router);
* ``no cache``: memoisation off, so every object of every message is decoded
  (the worst case);
* ``refresh``: the same messages again with the cache warm (a refresh round).
Each figure sums, over chunks of 500 messages, the best of ``--repeat`` runs.
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


def per_item(work, items: list, repeat: int, before_run=None, chunk: int = 500) -> float:
    """Seconds per item of ``work(item)`` over ``items``.

    Each of ``repeat`` runs goes through all items in order (after
    ``before_run``), timing chunks of ``chunk`` items; the figure is the sum of
    each chunk's best time.  On a shared virtual machine this filters out time
    stolen by neighbours without changing what a run does.
    """
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    best = [float("inf")] * len(chunks)
    clock = time.perf_counter
    for _ in range(repeat):
        if before_run is not None:
            before_run()
        for index, part in enumerate(chunks):
            start = clock()
            for item in part:
                work(item)
            best[index] = min(best[index], clock() - start)
    return sum(best) / len(items)


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

    def memo_on() -> None:
        model.set_memo_size(1 << 20)

    def memo_off() -> None:
        model.set_memo_size(0)

    def memo_warm() -> None:
        memo_on()
        for raw in wire:
            decode(raw)

    results = {
        "decode, first sight": per_item(decode, wire, args.repeat, memo_on),
        "decode, no cache": per_item(decode, wire, args.repeat, memo_off),
        "decode, refresh (warm cache)": per_item(decode, wire, args.repeat, memo_warm),
        "encode": per_item(encode, msgs, args.repeat),
    }
    print(f"python {platform.python_version()} on {platform.machine()}, {n} messages, mean {sizes:.0f} bytes")
    for name, seconds in results.items():
        print(f"{name:32s} {seconds * 1e6:7.2f} us/message")
    assert all(decode(raw) == m for raw, m in zip(wire[:100], msgs[:100]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
