"""``python -m cdpsession`` / ``cdpsession``: the command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the ``cdpsession`` command; return its exit code."""
    parser = argparse.ArgumentParser(
        prog="cdpsession", description="Electron's session API on headless Chromium."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "demo", help="tour partitions, cookies, a download, the network and web requests"
    )
    dl = sub.add_parser("download", help="download URL into a folder, with a progress bar")
    dl.add_argument("url")
    dl.add_argument("--partition", default="", help="the session's partition (default: default)")
    dl.add_argument("--to", default=".", help="the folder to save into (default: .)")
    dl.add_argument("--user-data-dir", default=None, help="the app's data folder")
    dl.add_argument(
        "--header", action="append", metavar="'NAME: VALUE'", help="a request header (repeat)"
    )
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "download":
        from ._cli_download import main as download_main  # noqa: PLC0415

        return download_main(args)
    if args.command == "demo":
        from ._demo import main as demo_main  # noqa: PLC0415

        return demo_main()
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
