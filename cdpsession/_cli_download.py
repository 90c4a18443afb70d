"""``cdpsession download URL``: download one file through a session, with a progress bar."""

from __future__ import annotations

import os
import sys
from typing import Any

import trio
from tqdm import tqdm

from ._app import open_app
from ._downloads import DownloadItem
from ._errors import CDPSessionError, UnsupportedError
from ._events import Event


def _headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"--header {value!r} is not 'Name: value'")
        headers[name.strip()] = text.strip()
    return headers


async def download(
    url: str,
    *,
    partition: str,
    to: str,
    user_data_dir: str | None,
    headers: dict[str, str],
    progress: bool = True,
) -> int:
    """Download ``url`` into the folder ``to`` through ``partition``'s session.

    Shows a tqdm progress bar on stderr; returns 0 when completed, 1 otherwise, and prints
    the saved file's path on stdout.
    """
    folder = os.path.abspath(to)  # noqa: ASYNC240 - no I/O
    async with open_app(user_data_dir) as app:
        ses = app.session.from_partition(partition)
        await ses.set_download_path(folder)
        done = trio.Event()
        result: dict[str, Any] = {}
        bar: tqdm[Any] | None = None

        def on_download(_event: Event, item: DownloadItem, _wc: object) -> None:
            nonlocal bar
            if result:
                return  # only the first download is ours
            result["item"] = item
            if progress:
                bar = tqdm(
                    total=item.get_total_bytes() or None,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=item.get_filename(),
                    file=sys.stderr,
                )

            def updated(_e: Event, state: str) -> None:
                if bar is not None:
                    if item.get_total_bytes() and bar.total != item.get_total_bytes():
                        bar.total = item.get_total_bytes()
                    bar.update(item.get_received_bytes() - bar.n)
                if state == "interrupted":
                    finished(_e, state)  # Chromium's own retries gave up: no one to resume it

            def finished(_e: Event, state: str) -> None:
                if done.is_set():
                    return
                if bar is not None:
                    bar.update(item.get_received_bytes() - bar.n)
                    bar.close()
                result["state"] = state
                done.set()

            item.on("updated", updated)
            item.on("done", finished)

        ses.on("will-download", on_download)
        await ses.download_url(url, {"headers": headers} if headers else None)
        try:
            await done.wait()
        finally:
            item = result.get("item")
            if item is not None and result.get("state") != "completed":
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    await item.cancel()  # nothing is left half written
        item = result["item"]
        if result["state"] != "completed":
            print(f"download {result['state']}: {url}", file=sys.stderr)
            return 1
        print(item.get_save_path())
        return 0


def main(args: Any) -> int:
    """Run ``cdpsession download`` with parsed arguments.

    Exit codes: 0 completed; 1 the download or the browser failed; 2 bad arguments (a
    malformed URL or header, a header Chromium refuses); 130 interrupted (Ctrl-C).
    """
    try:
        headers = _headers(args.header or [])
        return trio.run(
            lambda: download(
                args.url,
                partition=args.partition,
                to=args.to,
                user_data_dir=args.user_data_dir,
                headers=headers,
                progress=not args.quiet,
            )
        )
    except (ValueError, TypeError, UnsupportedError) as exc:
        print(f"cdpsession download: {exc}", file=sys.stderr)
        return 2
    except (CDPSessionError, OSError) as exc:  # OSError: the data or target folder
        print(f"cdpsession download: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cdpsession download: interrupted", file=sys.stderr)
        return 130
