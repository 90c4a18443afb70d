"""``python -m cdpsession`` / ``cdpsession``: the command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the ``cdpsession`` command; return its exit code."""
    parser = argparse.ArgumentParser(prog="cdpsession", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="tour partitions, isolation, persistence and the user agent")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import main as demo_main  # noqa: PLC0415

        return demo_main()
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
