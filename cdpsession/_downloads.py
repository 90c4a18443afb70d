"""Downloads: the session's ``will-download`` event and ``DownloadItem`` (Electron).

One owner for every download: the helper extension's ``chrome.downloads``. It sees the
downloads pages start (links, navigations, ``Content-Disposition: attachment``) and the ones
cdpsession starts (``chrome.downloads.download`` with headers), pauses, resumes and cancels
them for real. Its ``onDeterminingFilename`` waits while the ``will-download`` listeners run;
the file is then written into the profile's own download folder (a preference written before
the browser starts, see :func:`._host.write_download_prefs`) and moved to the item's save path
when complete. Chromium takes only file names relative to that folder, and silently writes
elsewhere any it refuses, so no save path is ever handed to it.

Two kinds of item are driven from Python instead: downloads of ``file:`` URLs and of schemes
the session's protocol handlers serve (Chromium cannot fetch either for an extension), and
items made by ``create_interrupted_download``, whose ``resume()`` continues with a Range
request (``If-Range`` with the ETag or Last-Modified) made by the helper's ``fetch()`` on the
session's network stack, appended to the partial file.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import email.message
import errno
import itertools
import json
import logging
import mimetypes
import os
import re
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from collections import deque
from typing import TYPE_CHECKING, Any

import attrs
import trio

from ._errors import BrowserClosedError, CDPSessionError, TargetClosedError, UnsupportedError
from ._events import Event, EventEmitter
from ._fetch import is_header_name, is_header_value
from ._groups import leaves_of
from ._net_fetch import forbidden_header, local_file
from ._net_internals import NetworkError
from ._options import check_options

if TYPE_CHECKING:
    from ._host import Host, Target
    from ._session import Session
    from ._web_contents import WebContents
    from ._wire import Event as CDPEvent

log = logging.getLogger("cdpsession")

_BINDING = "cdpsessionDownload"
_TRANSFER_BINDING = "cdpsessionTransfer"
_DESTROYED = "DownloadItem used after being destroyed"
# How long a page's download waits for the CDP event that names its page.
_PAGE_WAIT = 0.5
# How long resume() of an interrupted download waits for Chromium to continue it.
_RESUME_WAIT = 1.0
_INTERRUPTED_KEYS = {
    "path": "path",
    "urlChain": "urlChain",
    "url_chain": "urlChain",
    "mimeType": "mimeType",
    "mime_type": "mimeType",
    "offset": "offset",
    "length": "length",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "eTag": "eTag",
    "etag": "eTag",
    "e_tag": "eTag",
    "startTime": "startTime",
    "start_time": "startTime",
}
_DOWNLOAD_KEYS = {"headers": "headers"}
# chrome.downloads errors for a response that was no download (an HTTP error status).
_ERROR_RESPONSES = frozenset(
    {"SERVER_FAILED", "SERVER_BAD_CONTENT", "SERVER_UNAUTHORIZED", "SERVER_FORBIDDEN"}
)
_tokens = itertools.count(1)


def _epoch(value: Any) -> float:
    """An ISO 8601 time of ``chrome.downloads`` as seconds since the epoch (0 when absent)."""
    if not isinstance(value, str) or not value:
        return 0.0
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _disposition_filename(disposition: str) -> str | None:
    """The file name a Content-Disposition header gives (``filename*`` first), if any."""
    if not disposition:
        return None
    message = email.message.Message()
    message["content-disposition"] = disposition
    name = message.get_filename()
    if not name:
        return None
    return name


def generate_filename(url: str, disposition: str, mime: str) -> str:
    """The file name of a download, by Chromium's rules (``net::GenerateFileName``).

    The Content-Disposition name, else the URL's last path segment, else ``download``; with
    the extension of ``mime`` when the name has none. Path separators and control characters
    become ``_``; a name of dots only becomes ``download``.
    """
    name = _disposition_filename(disposition)
    if name:
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
    else:
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", name.strip()).strip(" .")
    if not name:
        name = "download"
    if "." not in name:
        ext = mimetypes.guess_extension(mime.split(";", maxsplit=1)[0].strip()) if mime else None
        if ext:
            name += ext
    return name


_NAME_MAX = 255  # bytes of one file name (Linux, macOS)


def _uniquified(path: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A free path for a download, by Chromium's rules.

    ``path``, or its ``name (1).ext`` form when a file of that name exists or another
    running download holds it (``taken``); a name too long for the file system is cut in
    its base, keeping its extension.
    """
    folder, name = os.path.split(path)
    base, ext = os.path.splitext(name)
    if len(ext.encode()) > 64:
        base, ext = name, ""
    for n in itertools.count():
        tail = (f" ({n})" if n else "") + ext
        cut = base.encode()[: _NAME_MAX - len(tail.encode())].decode(errors="ignore")
        candidate = os.path.join(folder, (cut or "download") + tail)
        if candidate not in taken and not os.path.lexists(candidate):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def check_headers(value: Any, what: str) -> dict[str, str]:
    """Validate the ``headers`` option of ``download_url``: a dict of str to str.

    Raises:
        TypeError: not a dict of strings (Electron's message).
        ValueError: a malformed header name or value.
        UnsupportedError: a header Chromium lets no download set (Cookie, Referer, ...).
    """
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError("Invalid value for headers - must be an object")
    for name, text in value.items():
        if not is_header_name(name):
            raise ValueError(f"{what}: {name!r} is not a valid HTTP header name")
        if not is_header_value(text):
            raise ValueError(f"{what}: the value of header {name!r} has CR, LF or NUL")
        # fetch() may set User-Agent; chrome.downloads.download still refuses it.
        if forbidden_header(name) or name.lower() == "user-agent":
            raise UnsupportedError(
                f"{what} with header {name!r}",
                "chrome.downloads, the only way to start a download with headers, refuses "
                "the headers the web's fetch() may not set (Cookie, Referer, Origin, "
                "User-Agent, Sec-*, Proxy-* ...)",
            )
    return dict(value)


def _check_url(url: Any, what: str) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    if not re.match(r"\s*[A-Za-z][A-Za-z0-9+.\-]*:", url) or any(c in url for c in "\r\n\0"):
        raise ValueError(f"{what}: {url!r} is not an absolute URL")
    return url.strip()


class DownloadItem(EventEmitter):
    """One download (Electron ``DownloadItem``).

    Events: ``updated`` ``(event, state)`` with ``"progressing"`` or ``"interrupted"`` (a
    resumable interruption) on every change while it runs; ``done`` ``(event, state)``
    once, with ``"completed"``, ``"cancelled"`` or ``"interrupted"``.

    The getters are plain; ``pause``, ``resume`` and ``cancel`` are async (they ask the
    browser). After ``event.prevent_default()`` in ``will-download`` the item is destroyed
    and every member but the save path and dialog options raises
    ``RuntimeError("DownloadItem used after being destroyed")``.
    """

    def __init__(
        self,
        downloads: Downloads,
        *,
        url_chain: list[str],
        mime: str,
        filename: str,
        content_disposition: str,
        etag: str,
        last_modified: str,
        start_time: float,
        total: int,
        state: str = "progressing",
    ) -> None:
        super().__init__(downloads._session._app._spawn, downloads._session._app._fail)
        self._downloads = downloads
        self._url_chain = url_chain
        self._mime = mime
        self._filename = filename
        self._content_disposition = content_disposition
        self._etag = etag
        self._last_modified = last_modified
        self._start_time = start_time
        self._end_time = 0.0
        self._total = total
        self._received = 0
        self._state = state
        self._paused = False
        self._can_resume = False
        self._user_gesture = False
        self._save_path = ""
        self._dialog_options: dict[str, Any] = {}
        self._destroyed = False
        self._speed_mark: tuple[float, int] | None = None
        self._speed = 0
        self._done = trio.Event()
        # Chrome-driven items: the host and chrome.downloads id. Python-driven: a driver.
        self._host: Host | None = None
        self._chrome_id: int | None = None
        self._staging = ""
        self._driver: _Transfer | None = None
        self._cancel_asked = False
        self._headers: dict[str, str] = {}  # of download_url, sent again by a restart
        self._claimed = ""  # the default save path it holds while it runs
        self._control = trio.Lock()  # pause, resume and cancel, in the order called
        self._deciding = False  # will-download listeners run

    def __repr__(self) -> str:
        url = self._url_chain[-1] if self._url_chain else ""
        return f"<DownloadItem url={url!r} state={self._state!r}>"

    def _alive(self) -> None:
        if self._destroyed:
            raise RuntimeError(_DESTROYED)

    # -- save path and dialog options (plain storage, as in Electron) ------------------------

    def set_save_path(self, path: str | os.PathLike[str]) -> None:
        """Where the file is written (Electron ``item.setSavePath``).

        Takes effect when set in a ``will-download`` listener; missing folders are made.

        Raises:
            TypeError: not a path.
            ValueError: a relative path, or one with NUL.
        """
        text = os.fspath(path) if isinstance(path, str | os.PathLike) else path
        if not isinstance(text, str):
            raise TypeError(f"save path must be a str path, not {type(path).__name__}")
        if "\0" in text or not os.path.isabs(text):
            raise ValueError(f"save path {text!r} must be an absolute path")
        self._save_path = os.path.normpath(text)

    def get_save_path(self) -> str:
        """The save path (Electron ``item.getSavePath``); ``""`` until one is known."""
        return self._save_path

    @property
    def save_path(self) -> str:
        """Same as :meth:`get_save_path`; settable (Electron ``item.savePath``)."""
        return self._save_path

    @save_path.setter
    def save_path(self, path: str) -> None:
        self.set_save_path(path)

    def set_save_dialog_options(self, options: dict[str, Any]) -> None:
        """Store save dialog options (Electron ``item.setSaveDialogOptions``).

        No dialog exists here: they are kept and given back, nothing else.
        """
        if not isinstance(options, dict):
            raise TypeError(f"options must be a dict, not {type(options).__name__}")
        self._dialog_options = json.loads(json.dumps(options))

    def get_save_dialog_options(self) -> dict[str, Any]:
        """The stored save dialog options (Electron ``item.getSaveDialogOptions``)."""
        return json.loads(json.dumps(self._dialog_options))  # type: ignore[no-any-return]

    # -- state ----------------------------------------------------------------------------

    def get_url(self) -> str:
        """The download's URL, the last of its redirect chain (Electron ``item.getURL``)."""
        self._alive()
        return self._url_chain[-1] if self._url_chain else ""

    def get_url_chain(self) -> list[str]:
        """Every URL of its redirect chain, first to last (Electron ``item.getURLChain``)."""
        self._alive()
        return list(self._url_chain)

    def get_mime_type(self) -> str:
        """The response's MIME type (Electron ``item.getMimeType``)."""
        self._alive()
        return self._mime

    def has_user_gesture(self) -> bool:
        """Whether a user gesture started it (Electron ``item.hasUserGesture``).

        Neither ``chrome.downloads`` nor CDP reports it: False for every download, which is
        right for ``download_url`` and ``create_interrupted_download`` (no gesture) and for
        scripted page downloads.
        """
        self._alive()
        return self._user_gesture

    def get_filename(self) -> str:
        """The file name (Electron ``item.getFilename``), by Chromium's naming rules.

        From Content-Disposition, else the URL, else ``download`` plus the MIME type's
        extension (``download.pdf``). Not the save path's name.
        """
        self._alive()
        return self._filename

    def get_current_bytes_per_second(self) -> int:
        """The current speed, 0 unless it runs (Electron ``item.getCurrentBytesPerSecond``)."""
        self._alive()
        return self._speed if self._state == "progressing" and not self._paused else 0

    def get_total_bytes(self) -> int:
        """The size, 0 when unknown (Electron ``item.getTotalBytes``)."""
        self._alive()
        return self._total

    def get_received_bytes(self) -> int:
        """Bytes received so far (Electron ``item.getReceivedBytes``)."""
        self._alive()
        return self._received

    def get_percent_complete(self) -> int:
        """Percent received, -1 when the size is unknown (Electron ``getPercentComplete``)."""
        self._alive()
        if self._state == "completed":
            return 100
        if self._total <= 0:
            return -1
        return int(self._received * 100 / self._total)

    def get_content_disposition(self) -> str:
        """The response's Content-Disposition (Electron ``item.getContentDisposition``)."""
        self._alive()
        return self._content_disposition

    def get_state(self) -> str:
        """``progressing``, ``completed``, ``cancelled`` or ``interrupted`` (Electron)."""
        self._alive()
        return self._state

    def get_last_modified_time(self) -> str:
        """The response's Last-Modified (Electron ``item.getLastModifiedTime``)."""
        self._alive()
        return self._last_modified

    def get_etag(self) -> str:
        """The response's ETag (Electron ``item.getETag``)."""
        self._alive()
        return self._etag

    def get_start_time(self) -> float:
        """When it started, seconds since the epoch (Electron ``item.getStartTime``)."""
        self._alive()
        return self._start_time

    def get_end_time(self) -> float:
        """When it ended, seconds since the epoch, 0 while it runs (Electron)."""
        self._alive()
        return self._end_time

    def is_paused(self) -> bool:
        """Whether it is paused (Electron ``item.isPaused``)."""
        self._alive()
        return self._paused

    def can_resume(self) -> bool:
        """Whether ``resume()`` can continue it (Electron ``item.canResume``).

        For a ``create_interrupted_download`` item: False when neither ``eTag`` nor
        ``lastModified`` was given (a Range request could not be validated).
        """
        self._alive()
        return self._can_resume

    # -- actions --------------------------------------------------------------------------

    async def pause(self) -> None:
        """Pause it (Electron ``item.pause``). CDP: ``chrome.downloads.pause`` in the helper.

        A Python-driven transfer stops reading its response. ``pause``, ``resume`` and
        ``cancel`` take effect in the order they are called.
        """
        self._alive()
        async with self._control:
            if self._state != "progressing" or self._paused:
                return
            if self._driver is not None:
                await self._driver.pause(True)
                self._set_paused(True)
            elif self._chrome_id is not None:
                await self._downloads._worker_call(self, "downloadPause", self._chrome_id)
                self._set_paused(True)

    async def resume(self) -> None:
        """Resume a paused or interrupted download (Electron ``item.resume``).

        A paused download continues on its connection (``chrome.downloads.resume``). An
        interrupted one that ``can_resume()`` (it emitted ``updated("interrupted")``) is
        continued by Chromium (``chrome.downloads.resume``: a Range request with
        ``If-Range``, or from the start without a validator). A
        ``create_interrupted_download`` item sends a Range request from its offset and
        appends to its partial file; the server's 200 (the validator no longer matches)
        starts the file over. Nothing happens once it is done.
        """
        self._alive()
        async with self._control:
            if self._done.is_set():
                return
            if self._driver is not None:
                if self._state == "progressing" and self._paused:
                    await self._driver.pause(False)
                    self._set_paused(False)
                elif self._state == "interrupted":
                    await self._driver.start()
            elif self._chrome_id is not None and self._paused:
                await self._downloads._worker_call(self, "downloadResume", self._chrome_id)
                self._set_paused(False)
            elif self._chrome_id is not None and self._state == "interrupted":
                await self._downloads._resume_interrupted(self)

    async def cancel(self) -> None:
        """Cancel it: ``done`` with ``"cancelled"``, the partial file removed (Electron).

        CDP: ``chrome.downloads.cancel`` in the helper extension.
        """
        self._alive()
        self._cancel_asked = True
        async with self._control:
            if self._done.is_set():
                return
            if self._driver is not None:
                await self._driver.cancel()
            elif self._chrome_id is not None and self._state == "interrupted":
                await self._downloads._drop_interrupted(self)
            elif self._chrome_id is not None:
                await self._downloads._worker_call(self, "downloadCancel", self._chrome_id)

    # -- internal -------------------------------------------------------------------------

    def _set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            self._can_resume = paused  # a paused download can resume (Electron)
            self._speed_mark = None
            self.emit("updated", Event(), self._state)

    def _progress(self, received: int, *, emit: bool = True) -> None:
        now = time.monotonic()
        if self._speed_mark is not None and now > self._speed_mark[0]:
            then, before = self._speed_mark
            self._speed = max(0, int((received - before) / (now - then)))
        self._speed_mark = (now, received)
        self._received = received
        if emit:
            self.emit("updated", Event(), self._state)

    def _interrupt(self) -> None:
        """A resumable interruption: ``updated("interrupted")``, not done (Electron)."""
        if self._state == "interrupted" and self._can_resume:
            return
        self._state = "interrupted"
        self._paused = False
        self._speed = 0
        self._speed_mark = None
        self._can_resume = True
        self.emit("updated", Event(), "interrupted")

    def _finish(self, state: str) -> None:
        if self._done.is_set():
            return
        self._state = state
        self._paused = False
        self._speed = 0
        self._can_resume = False
        if state == "cancelled":
            self._received = 0
        self._end_time = time.time()
        self._done.set()
        self._downloads._taken.discard(self._claimed)
        self._downloads._forget(self)
        self.emit("done", Event(), state)


@attrs.define
class _Whole:
    """A download's content known at once: a local file to copy or a body, else an error."""

    source: str | None = None
    body: bytes | None = None
    error: str | None = None
    size: int = 0
    mime: str = ""
    disposition: str = ""
    etag: str = ""
    last_modified: str = ""


class _Transfer:
    """A Python-driven download.

    A ``create_interrupted_download`` item, a ``file:`` URL or a handled scheme.
    """

    def __init__(
        self,
        downloads: Downloads,
        item: DownloadItem,
        partial: str,
        offset: int,
        *,
        staged: str = "",
    ) -> None:
        self._downloads = downloads
        self._item = item
        self.partial = partial
        # A name in the running browser's download folder, for a transfer that always
        # starts over (a Chromium download taken over): the partial file is there.
        self.staged = staged
        self.offset = offset
        self.id = ""  # of the running request: each attempt has its own
        self._host: Host | None = None
        self._worker: Target | None = None
        self._running = False
        # The last attempt ended on a network error that a Range request can continue.
        self._resumable = False
        self.send: trio.MemorySendChannel[dict[str, Any]] | None = None
        # Asked for by pause(), kept until the transfer runs (and while it copies a file).
        self.paused = False
        self._unpaused = trio.Event()
        # What a file: URL or a handled scheme gave (read before will-download, or at
        # resume() of a created download): written at start, never a Range request.
        self.whole: _Whole | None = None

    async def start(self) -> None:
        item = self._item
        if self._running:
            return
        self._running = True
        item._state = "progressing"
        item._paused = self.paused  # pause() in will-download holds it from the start
        item.emit("updated", Event(), "progressing")
        item._downloads._session._app._spawn(self._run)

    async def _run(self) -> None:
        item = self._item
        url = item._url_chain[-1]
        try:
            if self.whole is None and not url.lower().startswith(("http:", "https:")):
                self.whole = await self._downloads._read_whole(url, item._headers)
            if self.whole is not None:
                await self._write_whole(self.whole)
            else:
                await self._range_request()
        except BaseException as exc:
            item._finish("interrupted")
            # The browser going away or a file error ends the item; the app closing (a
            # Cancelled, maybe in a group from a nursery inside) or a bug goes on up.
            leaves = list(leaves_of(exc))
            if not all(isinstance(e, BrowserClosedError | OSError) for e in leaves):
                raise
            for error in leaves:
                if isinstance(error, OSError):
                    log.warning("download %s: %s", url, error)
        finally:
            self._running = False
        if self._resumable and not item._done.is_set():
            item._interrupt()  # after _running is reset: a listener may resume() at once

    async def _write_whole(self, whole: _Whole) -> None:
        item = self._item
        if whole.error is not None:
            log.warning("download %s: %s", item._url_chain[-1], whole.error)
            item._finish("interrupted")
            return
        if item._cancel_asked:
            item._finish("cancelled")
            return
        if whole.source is not None:
            if not await self._copy(whole.source, item._save_path):
                item._finish("cancelled")
                return
        else:
            body = whole.body or b""
            await _write_file(item._save_path, body)
            item._progress(len(body), emit=False)
        item._total = item._received
        item._finish("completed")

    async def _copy(self, source: str, target: str) -> bool:
        """Copy a local file to ``target`` by chunks, as a download (progress, pause, cancel).

        Returns False when cancelled (nothing is left at ``target``).
        """
        item = self._item
        item._received = 0  # a whole copy: a created download's offset does not count
        tmp = await trio.to_thread.run_sync(_temp_beside, target)
        try:
            async with (
                await trio.open_file(source, "rb") as src,
                await trio.open_file(tmp, "wb") as out,
            ):
                while chunk := await src.read(1 << 20):
                    while self.paused and not item._cancel_asked:
                        await self._unpaused.wait()
                    if item._cancel_asked:
                        break
                    await out.write(chunk)
                    item._progress(item._received + len(chunk))
            if item._cancel_asked:
                await trio.Path(tmp).unlink()
                return False
            await trio.Path(tmp).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)  # also when cancelled: no await here
            raise
        return True

    async def _range_request(self) -> None:
        item = self._item
        downloads = self._downloads
        host = await downloads._session._ensure_host()
        await downloads._session._settle(host, requests=True)
        send, receive = trio.open_memory_channel[dict[str, Any]](float("inf"))
        self.send = send
        self._resumable = False
        ext = await host.extension_binding(_TRANSFER_BINDING, downloads._on_transfer)
        if self.staged:
            self.partial = os.path.join(host.download_dir, self.staged)
        self.id = f"t{next(_tokens)}"
        downloads._transfers[self.id] = self
        offset = self.offset
        try:
            size = (await trio.Path(self.partial).stat()).st_size
        except OSError:
            size = -1
        validator = item._etag or item._last_modified
        headers = dict(item._headers)
        if offset > 0 and size == offset and validator:
            headers.update({"Range": f"bytes={offset}-", "If-Range": validator})
        else:
            offset = 0
        paused = self.paused
        spec = {"id": self.id, "url": item._url_chain[-1], "headers": headers, "paused": paused}
        try:
            await host.call(
                "Runtime.evaluate",
                {"expression": f"self.cdpsession.transferStart({json.dumps(spec)})"},
                ext.worker.session_id,
            )
            # pause() and cancel() reach the worker from now on; what they asked for
            # meanwhile is sent now.
            self._host, self._worker = host, ext.worker
            if self.paused != paused:
                await self._call("transferPause", self.id, self.paused)
            if item._cancel_asked:
                await self.cancel_request()
            async with trio.open_nursery() as nursery:
                # The worker or the browser going away ends the messages.
                nursery.start_soon(_close_when_gone, ext.worker, host, send)
                await self._receive(receive, offset)
                nursery.cancel_scope.cancel()
            if not item._done.is_set() and not self._resumable:
                item._finish("interrupted")  # the messages stopped before the end
        finally:
            downloads._transfers.pop(self.id, None)

    async def _receive(
        self, receive: trio.MemoryReceiveChannel[dict[str, Any]], offset: int
    ) -> None:
        item = self._item
        out = None
        try:
            async for message in receive:
                kind = message.get("kind")
                if kind == "response":
                    status = int(message.get("status", 0))
                    headers = {str(k).lower(): str(v) for k, v in message.get("headers", [])}
                    if status == 206 and offset > 0 and _range_start(headers) == offset:
                        mode = "ab"
                    elif 200 <= status < 300 and status != 206:
                        mode, offset = "wb", 0  # a new file: its size is this response's
                        length = headers.get("content-length", "")
                        # fetch() decodes a Content-Encoding: the length is not the body's.
                        known = length.isdigit() and not headers.get("content-encoding")
                        item._total = int(length) if known else 0
                    else:
                        await self.cancel_request()
                        item._finish("interrupted")
                        return
                    os.makedirs(os.path.dirname(self.partial) or ".", exist_ok=True)
                    out = open(self.partial, mode)  # noqa: SIM115, ASYNC230 - closed below
                    item._progress(offset)
                elif kind == "data" and out is not None:
                    data = base64.b64decode(message.get("data", ""))
                    await trio.to_thread.run_sync(out.write, data)
                    item._progress(item._received + len(data))
                elif kind == "end":
                    if out is not None:
                        out.close()
                        out = None
                    if item._cancel_asked:  # asked before the end arrived
                        with contextlib.suppress(OSError):
                            os.remove(self.partial)
                        item._finish("cancelled")
                        return
                    if item._total and item._received != item._total:
                        item._finish("interrupted")
                        return
                    item._total = item._received
                    if item._save_path and item._save_path != self.partial:
                        await _move(self.partial, item._save_path)
                    item._finish("completed")
                    return
                elif kind == "error":
                    if item._cancel_asked:
                        with contextlib.suppress(OSError):
                            os.remove(self.partial)
                        item._finish("cancelled")
                    elif item._etag or item._last_modified or self.staged:
                        self.offset = item._received
                        self._resumable = True
                    else:
                        item._finish("interrupted")
                    return
        finally:
            if out is not None:
                out.close()

    async def pause(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self._unpaused = trio.Event()
        else:
            self._unpaused.set()
        await self._call("transferPause", self.id, paused)

    async def cancel(self) -> None:
        item = self._item
        self._unpaused.set()  # a paused copy sees the cancel
        if not self._running:
            if self.partial:
                with contextlib.suppress(OSError):
                    os.remove(self.partial)
            item._finish("cancelled")
            return
        await self.cancel_request()

    async def cancel_request(self) -> None:
        await self._call("transferCancel", self.id)

    async def _call(self, name: str, *args: Any) -> None:
        host, worker = self._host, self._worker
        if host is None or worker is None:
            return
        expression = f"self.cdpsession.{name}({', '.join(json.dumps(a) for a in args)})"
        with contextlib.suppress(BrowserClosedError, TargetClosedError):
            await host.call("Runtime.evaluate", {"expression": expression}, worker.session_id)


async def _close_when_gone(
    worker: Target, host: Host, send: trio.MemorySendChannel[dict[str, Any]]
) -> None:
    async with trio.open_nursery() as nursery:

        async def wait(event: trio.Event) -> None:
            await event.wait()
            nursery.cancel_scope.cancel()

        nursery.start_soon(wait, worker.gone)
        nursery.start_soon(wait, host.gone)
    send.close()


def _range_start(headers: dict[str, str]) -> int | None:
    match = re.match(r"\s*bytes\s+(\d+)-", headers.get("content-range", ""))
    return int(match.group(1)) if match else None


def _temp_beside(target: str) -> str:
    """A new empty file beside ``target`` (a save path, which must not be a folder)."""
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "the save path is a folder", target)
    fd, tmp = tempfile.mkstemp(prefix=".cdpsession-", suffix=".part", dir=folder)
    os.close(fd)
    return tmp


def _into_place(target: str, fill: Any) -> None:
    """Write a file through ``fill(tmp_path)`` beside ``target``, then rename it there.

    The save path never holds a partly written file, and a folder is never written into.
    """
    tmp = _temp_beside(target)
    try:
        fill(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


async def _write_file(path: str, body: bytes) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as out:
            out.write(body)

    await trio.to_thread.run_sync(_into_place, path, write)


async def _move(source: str, target: str) -> None:
    """Move a finished file to its save path (a copy and a rename across file systems)."""

    def move() -> None:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.replace(source, target)  # refuses a folder as target
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            _into_place(target, lambda tmp: shutil.copyfile(source, tmp))
            os.remove(source)

    await trio.to_thread.run_sync(move)


class Downloads:
    """One session's downloads: the helper's events, its items, the default folder."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._path: str | None = None
        self._items: dict[tuple[int, int], DownloadItem] = {}  # (id(host), chrome id)
        self._queues: dict[tuple[int, int], trio.MemorySendChannel[dict[str, Any]]] = {}
        # download_url's own downloads: their page and headers, by token.
        self._tokens: dict[int, tuple[WebContents | None, dict[str, str]]] = {}
        self._pages: dict[int, deque[tuple[str, str]]] = {}  # id(host) -> (url, frame id)
        self._page_arrived = trio.Event()
        self._applied: tuple[Host, Target] | None = None
        self._lock = trio.Lock()
        self._transfers: dict[str, _Transfer] = {}

    # -- the default folder -----------------------------------------------------------------

    def default_path(self) -> str:
        """The folder downloads without a save path go to."""
        if self._path is not None:
            return self._path
        return os.path.join(self._session._app.user_data_dir, "Downloads")

    def set_path(self, path: Any) -> None:
        """Validate and set the default folder (``set_download_path``)."""
        text = os.fspath(path) if isinstance(path, str | os.PathLike) else path
        if not isinstance(text, str):
            raise TypeError(f"path must be a str path, not {type(path).__name__}")
        if "\0" in text or not os.path.isabs(text):
            raise ValueError(f"download path {text!r} must be an absolute path")
        self._path = os.path.normpath(text)

    # -- the browser side -------------------------------------------------------------------

    async def install(self, host: Host) -> None:
        """On a new host: hear which page starts a download (CDP ``Browser.downloadWillBegin``).

        CDP: ``Browser.setDownloadBehavior(default, eventsEnabled)`` keeps Chromium's own
        handling (the helper extension names the file) and reports page downloads.
        """
        key = id(host)
        self._pages[key] = deque(maxlen=64)

        def arrived(event: CDPEvent) -> None:
            self._pages[key].append(
                (str(event.params.get("url", "")), str(event.params.get("frameId", "")))
            )
            self._page_arrived.set()
            self._page_arrived = trio.Event()

        host.connection.listen(arrived, "Browser.downloadWillBegin")
        host.add_close_hook(lambda: self._cancel_running(host))
        await host.call(
            "Browser.setDownloadBehavior", {"behavior": "default", "eventsEnabled": True}
        )

    async def _cancel_running(self, host: Host) -> None:
        # Before Browser.close: a running download would hold the browser's exit up (its
        # "quit anyway?" question) until the close timeout.
        worker = host.extension_worker()
        if worker is None:
            return
        await self._call(host, worker, "downloadCancelRunning")

    def pending(self, host: Host) -> bool:
        """Whether the helper extension's worker does not yet report to this session."""
        applied = self._applied
        return applied is None or applied[0] is not host or applied[1].gone.is_set()

    async def sync(self, host: Host) -> None:
        """Bind the helper's download events to this session (again after a worker crash)."""
        async with self._lock:
            if not self.pending(host):
                return
            ext = await host.extension_binding(
                _BINDING, lambda payload: self._on_message(host, payload)
            )
            await host.call(
                "Runtime.evaluate",
                {"expression": "self.cdpsession.downloadsAttach()"},
                ext.worker.session_id,
            )
            self._applied = (host, ext.worker)

    def host_gone(self) -> None:
        """The browser went away: the downloads it ran end ``interrupted``."""
        for key, item in list(self._items.items()):
            host = item._host
            if host is not None and (host.stop_requested.is_set() or not host.alive):
                queue = self._queues.pop(key, None)
                if queue is not None:
                    queue.close()
                if not item._deciding:  # else its will-download task ends it
                    item._finish("interrupted")
                self._pages.pop(id(host), None)

    @property
    def _taken(self) -> set[str]:
        """Default save paths of running downloads, app-wide (sessions may share a folder)."""
        return self._session._app._download_paths

    def _claim_default_path(self, item: DownloadItem) -> None:
        """No save path was set: the download folder, under a name no other download holds."""
        path = _uniquified(os.path.join(self.default_path(), item._filename), self._taken)
        self._taken.add(path)
        item._save_path = item._claimed = path

    def _forget(self, item: DownloadItem) -> None:
        if item._chrome_id is not None and item._host is not None:
            key = (id(item._host), item._chrome_id)
            self._items.pop(key, None)
            queue = self._queues.pop(key, None)
            if queue is not None:
                queue.close()

    async def _worker_call(self, item: DownloadItem, name: str, *args: Any) -> Any:
        host = item._host
        if host is None or not host.alive:
            return None
        ext = await host.helper_extension()
        expression = f"self.cdpsession.{name}({', '.join(json.dumps(a) for a in args)})"
        reply = await host.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            ext.worker.session_id,
        )
        details = reply.get("exceptionDetails")
        if details is not None:
            thrown = details.get("exception") or {}
            raise CDPSessionError(f"{name}: {thrown.get('description') or details.get('text', '')}")
        return reply.get("result", {}).get("value")

    def _on_message(self, host: Host, payload: str) -> None:
        message = json.loads(payload)
        item_info = message.get("item") or {}
        chrome_id = item_info.get("id")
        if not isinstance(chrome_id, int):
            return
        key = (id(host), chrome_id)
        queue = self._queues.get(key)
        if message.get("kind") == "created" and queue is None:
            send, receive = trio.open_memory_channel[dict[str, Any]](float("inf"))
            self._queues[key] = send
            self._session._app._spawn(lambda: self._drive(host, message, receive))
        elif queue is not None:
            queue.send_nowait(message)

    def _on_transfer(self, payload: str) -> None:
        message = json.loads(payload)
        transfer = self._transfers.get(str(message.get("id")))
        if transfer is not None and transfer.send is not None:
            transfer.send.send_nowait(message)

    async def _page_of(self, host: Host, urls: set[str]) -> WebContents | None:
        """The page a page-started download came from (``Browser.downloadWillBegin``).

        ``urls``: the download's first and final URL (a redirected navigation names either).
        """
        with trio.move_on_after(_PAGE_WAIT):
            while True:
                pages = self._pages.get(id(host))
                if pages is None:
                    return None
                for entry in pages:
                    if entry[0] in urls:
                        pages.remove(entry)
                        return self._session._web_contents.get(entry[1])
                await self._page_arrived.wait()
        return None

    async def _drive(
        self,
        host: Host,
        message: dict[str, Any],
        receive: trio.MemoryReceiveChannel[dict[str, Any]],
    ) -> None:
        """One Chromium download, from ``will-download`` to ``done``."""
        info = message["item"]
        chrome_id = int(info["id"])
        headers = message.get("headers") or {}
        chain = [str(u) for u in message.get("chain") or [info.get("url", "")]]
        final = str(info.get("finalUrl") or info.get("url") or "")
        if not chain or chain[-1] != final:
            chain = [*(chain if chain and chain[0] == info.get("url") else [info["url"]]), final]
            chain = list(dict.fromkeys(chain))
        token = message.get("token")
        sent: dict[str, str] = {}
        if isinstance(token, int):
            web_contents, sent = self._tokens.pop(token, (None, {}))
        else:
            web_contents = await self._page_of(host, {str(info.get("url", "")), final})
        filename = os.path.basename(str(info.get("filename") or "")) or generate_filename(
            final, headers.get("content-disposition", ""), str(info.get("mime") or "")
        )
        item = DownloadItem(
            self,
            url_chain=chain,
            mime=str(info.get("mime") or ""),
            filename=filename,
            content_disposition=headers.get("content-disposition", ""),
            etag=headers.get("etag", ""),
            last_modified=headers.get("last-modified", ""),
            start_time=_epoch(info.get("startTime")) or time.time(),
            total=max(0, int(info.get("totalBytes") or 0)),
        )
        item._host = host
        item._chrome_id = chrome_id
        item._headers = sent
        item._received = max(0, int(info.get("bytesReceived") or 0))
        self._items[(id(host), chrome_id)] = item
        try:
            worker = await host.helper_extension()
        except BrowserClosedError:
            item._finish("interrupted")  # the browser went away before will-download
            return
        # A neutral name in the profile's download folder: Chromium judges a file's danger
        # by its extension, and would hold a "dangerous" one for a confirmation.
        name = f"item-{chrome_id}.part"
        decided = False
        item._deciding = True
        try:
            event = Event()
            await self._session.emit_and_wait("will-download", event, item, web_contents)
            if event.default_prevented:
                item._destroyed = True
                await self._call(host, worker.worker, "downloadCancel", chrome_id)
                decided = True
                await self._call(host, worker.worker, "downloadErase", chrome_id)
                self._forget(item)
                return
            if item._cancel_asked:
                decided = True
            else:
                if not item._save_path:
                    self._claim_default_path(item)
                item._staging = os.path.join(host.download_dir, name)
                await self._call(host, worker.worker, "downloadName", chrome_id, name)
                decided = True
        finally:
            item._deciding = False
            if not decided:
                # A listener failed or the app is closing: nothing is written.
                item._finish("cancelled")
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    await self._call(host, worker.worker, "downloadCancel", chrome_id)
        async for update in receive:
            if update.get("kind") == "created":
                # Chromium restarted the transfer (a dropped connection, no validator) and
                # asks for the name again: the same file.
                await self._call(host, worker.worker, "downloadName", chrome_id, name)
                continue
            await self._update(item, update.get("item") or {})
            if item._done.is_set():
                break
        if not item._done.is_set() and item._chrome_id == chrome_id:
            item._finish("interrupted")  # the browser went away during will-download

    async def _resume_interrupted(self, item: DownloadItem) -> None:
        """Resume an interrupted Chromium download; start it over when Chromium will not.

        CDP: ``chrome.downloads.resume`` in the helper extension. After its own retries ran
        out on a body cut short (``SERVER_CONTENT_LENGTH_MISMATCH``), Chromium still says
        ``canResume`` but its ``resume()`` sends no request and changes nothing: the item
        then becomes a Python-driven transfer (a fresh request with its ``download_url``
        headers, through the helper's ``fetch()``), written beside Chromium's file.
        """
        host, chrome_id = item._host, item._chrome_id
        if host is None or chrome_id is None:
            return
        await self._worker_call(item, "downloadResume", chrome_id)
        with trio.move_on_after(_RESUME_WAIT) as waited:
            while item._state == "interrupted" and not item._done.is_set():  # noqa: ASYNC110
                await trio.sleep(0.05)  # set by the helper's reports
        if not waited.cancelled_caught or item._done.is_set() or not host.alive:
            return
        self._forget(item)  # Chromium's reports of the old download no longer count
        item._chrome_id = None
        try:
            worker = await host.helper_extension()
        except BrowserClosedError:
            item._finish("interrupted")
            return
        await self._call(host, worker.worker, "downloadCancel", chrome_id)
        await self._call(host, worker.worker, "downloadErase", chrome_id)
        item._driver = _Transfer(self, item, "", 0, staged=f"item-{chrome_id}.restart")
        await item._driver.start()

    async def _drop_interrupted(self, item: DownloadItem) -> None:
        """Cancel an interrupted Chromium download: ``chrome.downloads.cancel`` ignores one.

        CDP: ``chrome.downloads.erase`` in the helper extension; the item ends cancelled.
        """
        host, chrome_id = item._host, item._chrome_id
        self._forget(item)
        item._chrome_id = None
        item._finish("cancelled")
        if host is not None and chrome_id is not None and host.alive:
            with contextlib.suppress(BrowserClosedError):  # then nothing is left to erase
                worker = await host.helper_extension()
                await self._call(host, worker.worker, "downloadErase", chrome_id)

    async def _call(self, host: Host, worker: Target, name: str, *args: Any) -> None:
        expression = f"self.cdpsession.{name}({', '.join(json.dumps(a) for a in args)})"
        with contextlib.suppress(BrowserClosedError, TargetClosedError):
            await host.call(
                "Runtime.evaluate",
                {"expression": expression, "awaitPromise": True},
                worker.session_id,
            )

    async def _update(self, item: DownloadItem, info: dict[str, Any]) -> None:
        total = info.get("totalBytes")
        if isinstance(total, int) and total > 0:
            item._total = total
        state = info.get("state")
        received = max(0, int(info.get("bytesReceived") or 0))
        paused = bool(info.get("paused"))
        item._can_resume = bool(info.get("canResume"))
        end = _epoch(info.get("endTime"))
        if state == "complete":
            written = str(info.get("filename") or "")
            if written and os.path.dirname(written) == os.path.dirname(item._staging):
                item._staging = written  # Chromium may have changed the name's extension
            if item._staging and item._save_path:
                try:
                    await _move(item._staging, item._save_path)
                except OSError as exc:
                    log.warning(
                        "download %s: cannot move it to %s: %s",
                        item.get_url(),
                        item._save_path,
                        exc,
                    )
                    item._received = received
                    item._finish("interrupted")
                    return
            item._received = received
            item._total = item._total or received
            item._finish("completed")
            item._end_time = end or item._end_time
            return
        if state == "interrupted":
            item._received = received
            error = info.get("error")
            if received == 0 and error in _ERROR_RESPONSES:
                item._total = 0  # an error response: its body is not the download
            if error != "USER_CANCELED" and info.get("canResume"):
                # Chromium's own retries (Range requests, up to 5) gave up, but resume()
                # can still continue it: Electron's updated("interrupted"), not done.
                item._interrupt()
                return
            item._finish("cancelled" if error == "USER_CANCELED" else "interrupted")
            if end:
                item._end_time = end
            return
        changed = (
            received != item._received or paused != item._paused or item._state != "progressing"
        )
        item._state = "progressing"
        if paused != item._paused:
            item._paused = paused
            item._speed_mark = None
        if changed:
            item._progress(received)

    # -- members ----------------------------------------------------------------------------

    async def download_url(
        self, url: Any, options: Any, web_contents: WebContents | None, what: str
    ) -> None:
        """Start a download (``ses.download_url``, ``web_contents.download_url``)."""
        text = _check_url(url, what)
        opts = check_options(options, _DOWNLOAD_KEYS, arg="options", what="download option")
        headers = check_headers(opts["headers"], what) if "headers" in opts else {}
        scheme = text.split(":", 1)[0].lower()
        session = self._session
        if scheme == "file" or session._protocol._entry(scheme) is not None:
            await self._download_here(text, headers, web_contents)
            return
        if scheme not in ("http", "https", "data", "blob"):
            raise ValueError(f"{what}: cannot download {scheme}: URLs ({text!r})")
        host = await session._ensure_host()
        await session._settle(host, requests=True)
        ext = await host.helper_extension()
        token = next(_tokens)
        self._tokens[token] = (web_contents, headers)
        pairs = [{"name": k, "value": v} for k, v in headers.items()]
        reply = await host.call(
            "Runtime.evaluate",
            {
                "expression": (
                    f"self.cdpsession.downloadStart({json.dumps(text)}, {json.dumps(pairs)}, "
                    f"{token})"
                ),
                "awaitPromise": True,
                "returnByValue": True,
            },
            ext.worker.session_id,
        )
        value = reply.get("result", {}).get("value") or {}
        if "error" in value:
            self._tokens.pop(token, None)
            if "nsafe" in str(value["error"]):
                raise UnsupportedError(
                    f"{what} with these headers", f"chrome.downloads: {value['error']}"
                )
            raise ValueError(f"{what}: Chromium refused {text!r}: {value['error']}")

    async def _read_whole(self, url: str, headers: dict[str, str]) -> _Whole:
        """A ``file:`` URL or a handled scheme's response, for a download read in Python.

        A local file (no ``file`` handler) is copied, never read into memory; anything else
        comes through ``ses.fetch`` (the session's protocol handlers).
        """
        whole = _Whole()
        handled = self._session._protocol._entry("file") is not None
        if url.split(":", 1)[0].lower() == "file" and not handled:
            try:
                whole.source, whole.size = await local_file(url)
            except NetworkError as exc:
                whole.error = str(exc)
                return whole
            whole.mime = mimetypes.guess_type(whole.source)[0] or ""
            return whole
        try:
            response = await self._session.fetch(url, {"headers": headers})
        except NetworkError as exc:
            whole.error = str(exc)
            return whole
        if not 200 <= response.status < 300:
            whole.error = f"HTTP {response.status}"
            return whole
        whole.body = response.body or b""
        whole.size = len(whole.body)
        whole.mime = (response.header("content-type") or "").split(";")[0].strip()
        whole.disposition = response.header("content-disposition") or ""
        whole.etag = response.header("etag") or ""
        whole.last_modified = response.header("last-modified") or ""
        return whole

    async def _download_here(
        self, url: str, headers: dict[str, str], web_contents: WebContents | None
    ) -> None:
        """A download of a ``file:`` URL or a handled scheme, read in Python."""
        whole = await self._read_whole(url, headers)
        item = DownloadItem(
            self,
            url_chain=[url],
            mime=whole.mime,
            filename=generate_filename(url, whole.disposition, whole.mime),
            content_disposition=whole.disposition,
            etag=whole.etag,
            last_modified=whole.last_modified,
            start_time=time.time(),
            total=whole.size,
        )
        transfer = _Transfer(self, item, "", 0)
        transfer.whole = whole
        item._driver = transfer
        self._session._app._spawn(lambda: self._run_here(item, transfer, web_contents))

    async def _run_here(
        self, item: DownloadItem, transfer: _Transfer, web_contents: WebContents | None
    ) -> None:
        event = Event()
        try:
            await self._session.emit_and_wait("will-download", event, item, web_contents)
        except BaseException:
            item._finish("cancelled")
            raise
        if event.default_prevented:
            item._destroyed = True
            return
        if item._cancel_asked or item._done.is_set():
            item._finish("cancelled")
            return
        if not item._save_path:
            self._claim_default_path(item)
        await transfer.start()

    def create_interrupted(self, options: Any) -> None:
        """``create_interrupted_download``: a Python-driven item, ``will-download`` fired."""
        opts = check_options(
            options,
            _INTERRUPTED_KEYS,
            arg="options",
            what="createInterruptedDownload option",
            required=True,
        )
        path = opts.get("path")
        chain = opts.get("urlChain")
        length = opts.get("length", 0)
        offset = opts.get("offset", 0)
        if path is not None and not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str path, not {type(path).__name__}")
        if chain is not None and (
            not isinstance(chain, list | tuple) or not all(isinstance(u, str) for u in chain)
        ):
            raise TypeError("urlChain must be a list of URL strings")
        for name in ("offset", "length"):
            value = opts.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TypeError(f"{name} must be a non-negative int, not {value!r}")
        for name in ("mimeType", "lastModified", "eTag"):
            if not isinstance(opts.get(name, ""), str):
                raise TypeError(f"{name} must be a str")
        start = opts.get("startTime", time.time())
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise TypeError("startTime must be a number (seconds since the epoch)")
        if not path or not chain or length == 0:
            raise ValueError("Must pass non-empty path, urlChain and length.")
        if offset >= length:
            raise ValueError("Must pass an offset value less than length.")
        text = os.fspath(path)
        if "\0" in text or not os.path.isabs(text):
            raise ValueError(f"path {text!r} must be an absolute path")
        for url in chain:
            _check_url(url, "createInterruptedDownload")
        item = DownloadItem(
            self,
            url_chain=list(chain),
            mime=opts.get("mimeType", ""),
            filename=os.path.basename(text),
            content_disposition="",
            etag=opts.get("eTag", ""),
            last_modified=opts.get("lastModified", ""),
            start_time=float(start),
            total=length,
            state="interrupted",
        )
        item._received = offset
        item._save_path = os.path.normpath(text)
        item._can_resume = bool(item._etag or item._last_modified)
        item._driver = _Transfer(self, item, item._save_path, offset)
        self._session._app._spawn(lambda: self._announce(item))

    async def _announce(self, item: DownloadItem) -> None:
        event = Event()
        await self._session.emit_and_wait("will-download", event, item, None)
        if event.default_prevented:
            item._destroyed = True
