"""Command line: ``python -m conformance {decode,check,build-vectors} ...``."""

from __future__ import annotations

import argparse
import pathlib
import sys

DESCRIPTION = """\
Conformance tools for the RSVP wire codec (rsvp.wire).

subcommands:
  decode FILE...         print every RSVP message found in pcap/pcapng files, as
                         tcpdump -v style text or (--json) one JSON list; malformed
                         messages are printed with the codec's reason and offset
  check PATH...          for every message in the files (folders are searched for
                         *.pcap, *.pcapng, *.cap): decode with checksum verification,
                         re-encode and compare bytes, then compare field by field
                         with Wireshark's tshark; prints a per-file table and exits
                         non-zero on any difference or unexpected (non-)malformed
                         message not listed in conformance/known_differences.toml
  build-vectors [DIR]    (re)build the hand-made RFC vector captures in captures/
  fuzz PATH...           mutate the well-formed messages of the captures and check
                         that the codec raises only MalformedMessage and re-encodes
                         whatever it accepts; failures go to tests/corpus/
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{decode,check,build-vectors,fuzz}")

    p = sub.add_parser("decode", help="print every RSVP message of capture files")
    p.add_argument("files", nargs="+", metavar="FILE", help="pcap or pcapng file")
    p.add_argument("--json", action="store_true", help="one JSON document: a list of per-message objects")
    p.add_argument(
        "--no-verify-checksum", action="store_true", help="decode messages whose RSVP checksum is wrong"
    )

    p = sub.add_parser("check", help="round-trip and tshark differential check")
    p.add_argument("paths", nargs="+", metavar="PATH", help="capture file or folder (searched recursively)")
    p.add_argument("--known", metavar="TOML", help="known differences and expected malformed inputs "
                   "(default: conformance/known_differences.toml)")
    p.add_argument("--no-tshark", action="store_true", help="skip the tshark comparison")
    p.add_argument("--tshark", default="tshark", metavar="PROGRAM", help="tshark executable (default: tshark)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every difference, including known ones")

    p = sub.add_parser("build-vectors", help="rebuild the hand-made RFC vectors (captures/*.pcap)")
    p.add_argument("directory", nargs="?", help="output folder (default: captures/ of the project)")

    p = sub.add_parser("fuzz", help="mutation fuzzing of the codec from capture messages")
    p.add_argument("paths", nargs="+", metavar="PATH", help="capture file or folder giving the seed messages")
    p.add_argument("--iterations", type=int, default=100_000, help="mutated inputs to try (default 100000)")
    p.add_argument("--seed", type=int, default=1, help="random seed, for a reproducible run (default 1)")
    p.add_argument("--corpus", default=str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "corpus"),
                   metavar="DIR", help="where failing inputs are written (default: tests/corpus)")

    args = parser.parse_args(argv)
    if args.command == "decode":
        from . import decode
        from .pcap import capture_files

        return decode.run(capture_files(args.files), args.json, not args.no_verify_checksum)
    if args.command == "check":
        from . import check

        return check.run(args.paths, known=args.known, use_tshark=not args.no_tshark, tshark_program=args.tshark,
                         verbose=args.verbose)
    if args.command == "fuzz":
        from . import fuzz

        return fuzz.run(args.paths, args.iterations, args.seed, args.corpus)
    from . import vectors

    return vectors.main(args.directory)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(0)
