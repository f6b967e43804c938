"""Whole-process JSON decode of a pcap: ``python -m conformance decode --json`` against ``tshark -T json``.

    python -m benchmarks.bench_tshark [--count 20000] [--repeat 3]

Writes ``benchmarks/out/bench-<2*count>.pcap`` (Ethernet/IPv4, Router Alert on
Paths) holding the distinct Path and Resv messages of
:mod:`benchmarks.generate`, then times each command end to end (interpreter or
tshark start-up included, output to /dev/null), best of ``--repeat`` runs, and
prints the ratio.  Both decoders see the same file in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from conformance.vectors import HEAD, TAIL, Capture, Frame, write
from rsvp.wire import encode

from .bench_codec import best_of
from .generate import messages

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def _time(command: list[str], repeat: int) -> float:
    return best_of(lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True), repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000, help="distinct Paths and as many Resvs (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the best is kept (default 3)")
    args = parser.parse_args(argv)
    tshark = shutil.which("tshark")
    if tshark is None:
        print("tshark not found: install it (./test.sh does) to run this benchmark", file=sys.stderr)
        return 2
    os.makedirs(OUT, exist_ok=True)
    frames = tuple(Frame(encode(m), HEAD, TAIL) for m in messages(args.count))
    path = write(Capture(f"bench-{len(frames)}.pcap", "codec benchmark", frames), OUT)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(frames)} messages)", file=sys.stderr)
    ours = _time([sys.executable, "-m", "conformance", "decode", "--json", path], args.repeat)
    theirs = _time([tshark, "-r", path, "-T", "json"], args.repeat)
    version = subprocess.run([tshark, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{len(frames)} messages; {version}")
    print(f"python -m conformance decode --json : {ours:7.2f} s  ({ours / len(frames) * 1e6:6.1f} us/message)")
    print(f"tshark -T json                       : {theirs:7.2f} s  ({theirs / len(frames) * 1e6:6.1f} us/message)")
    print(f"ratio tshark / ours                  : {theirs / ours:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
