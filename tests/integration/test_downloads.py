"""Downloads against real Chromium: will-download, DownloadItem, Electron behaviours #44-#53."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trio

import cdpsession
from cdpsession import DownloadItem, Response, UnsupportedError

from .fileserver import FileServer

pytestmark = pytest.mark.integration

_names = itertools.count()
_MOCK_PDF = bytes(range(256)) * (5 * 1024 * 1024 // 256)  # 5 MiB
_LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


@pytest.fixture
def files() -> Iterator[FileServer]:
    srv = FileServer()
    yield srv
    srv.close()


async def _page_at(ses: cdpsession.Session, files: FileServer) -> Any:
    """A page on the file server's origin (its ``<a download>`` links are same-origin)."""
    url = files.add("/page.html", b"<!doctype html><body></body>", mime="text/html")
    return await ses.open_page(url)


def _fresh(app: cdpsession.App) -> cdpsession.Session:
    return app.session.from_partition(f"downloads-{next(_names)}")


class Recorder:
    """Every will-download of a session, with each item's updated/done events."""

    def __init__(self, ses: cdpsession.Session, decide: Any = None) -> None:
        self.items: list[tuple[DownloadItem, Any]] = []
        self.events: list[tuple[str, str]] = []
        self.decide = decide
        ses.on("will-download", self._on)

    def _on(self, event: cdpsession.Event, item: DownloadItem, web_contents: Any) -> None:
        self.items.append((item, web_contents))
        item.on("updated", lambda _e, state: self.events.append(("updated", state)))
        item.on("done", lambda _e, state: self.events.append(("done", state)))
        if self.decide is not None:
            self.decide(event, item)

    async def item(self) -> DownloadItem:
        await _until(lambda: self.items)
        return self.items[-1][0]


async def _until(done: Any) -> None:
    """Wait until ``done()`` is true (state the browser changes in the background)."""
    while not done():  # noqa: ASYNC110 - set by events from the browser
        await trio.sleep(0.01)


async def _resumed(ses: cdpsession.Session, **options: Any) -> DownloadItem:
    """``create_interrupted_download(options)``, then ``resume()`` of its item."""
    async with ses.expect_event("will-download") as info:
        ses.create_interrupted_download(options)
    (_event, item, _wc) = await info.value
    await item.resume()
    return item  # type: ignore[no-any-return]


async def _staging_empties(ses: cdpsession.Session) -> None:
    """Chromium removes a cancelled download's partial file soon after it reports it."""
    host = ses._host
    assert host is not None
    with trio.fail_after(10):
        await _until(lambda: not [n for n in os.listdir(host.download_dir) if n[0] != "."])


async def _done(item: DownloadItem) -> str:
    if item._done.is_set():
        return item._state
    (_event, state) = await item.wait_for("done")
    return str(state)


async def test_b45_download_url_to_save_path(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add(
        "/", _MOCK_PDF, mime="application/pdf", disposition='inline; filename="mock.pdf"'
    )
    ses = _fresh(app)
    target = tmp_path / "saved" / "deep" / "mock.pdf"
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(target)))
    with trio.fail_after(60):
        await ses.download_url(url)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert rec.items[0][1] is None  # no WebContents for ses.download_url
    assert item.get_filename() == "mock.pdf"
    assert item.get_save_path() == str(target)
    assert item.save_path == str(target)
    assert item.get_url() == f"http://127.0.0.1:{files.port}/"
    assert item.get_url_chain() == [f"http://127.0.0.1:{files.port}/"]
    assert item.get_mime_type() == "application/pdf"
    assert item.get_received_bytes() == item.get_total_bytes() == 5242880
    assert item.get_percent_complete() == 100
    assert item.get_state() == "completed"
    assert target.read_bytes() == _MOCK_PDF
    assert rec.events[-1] == ("done", "completed")
    assert [e for e in rec.events if e[0] == "done"] == [("done", "completed")]


async def test_b45_web_contents_download_url_names_its_page(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/doc.bin", b"z" * 4096, disposition='attachment; filename="doc.bin"')
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "doc.bin")))
    with trio.fail_after(60):
        page = await ses.open_page("about:blank")
        await page.download_url(url)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert rec.items[0][1] is page
    assert (tmp_path / "doc.bin").read_bytes() == b"z" * 4096


async def test_b44_prevent_default_cancels_and_destroys(
    app: cdpsession.App, files: FileServer
) -> None:
    url = files.add("/", b"m" * 1024, disposition='inline; filename="mockFile.txt"', delay=0.0)
    ses = _fresh(app)
    seen: dict[str, Any] = {}

    def decide(event: cdpsession.Event, item: DownloadItem) -> None:
        event.prevent_default()
        seen["url"] = item.get_url()
        seen["filename"] = item.get_filename()

    rec = Recorder(ses, decide)
    with trio.fail_after(60):
        page = await ses.open_page("about:blank")
        await page.execute_java_script(f"location.href = {url!r}")
        item = await rec.item()
        await trio.sleep(0.3)
    assert seen == {"url": url, "filename": "mockFile.txt"}
    assert rec.items[0][1] is page
    with pytest.raises(RuntimeError, match="DownloadItem used after being destroyed"):
        item.get_url()
    with pytest.raises(RuntimeError, match="DownloadItem used after being destroyed"):
        await item.cancel()
    assert rec.events == []
    assert ses._host is not None
    assert list(await trio.Path(ses._host.download_dir).iterdir()) == []
    assert not await trio.Path(app.user_data_dir, "Downloads", "mockFile.txt").exists()


async def test_b46_download_url_headers_reach_server(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/auth.bin", b"a" * 2048, auth="Basic i-am-an-auth-header")
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "a.bin")))
    floor = int(time.time())
    with trio.fail_after(60):
        await ses.download_url(url, {"headers": {"Authorization": "Basic i-am-an-auth-header"}})
        item = await rec.item()
        assert await _done(item) == "completed"
    assert files.seen("/auth.bin")[0].headers["authorization"] == "Basic i-am-an-auth-header"
    assert item.get_percent_complete() == 100
    assert item.get_current_bytes_per_second() == 0
    assert item.get_start_time() > floor
    assert item.get_end_time() > item.get_start_time()
    assert (tmp_path / "a.bin").read_bytes() == b"a" * 2048


async def test_b46_wrong_auth_header_is_interrupted(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/auth.bin", b"a" * 2048, auth="Basic right")
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "a.bin")))
    with trio.fail_after(60):
        await ses.download_url(url, {"headers": {"Authorization": "Basic wrong"}})
        item = await rec.item()
        assert await _done(item) == "interrupted"
    assert item.get_received_bytes() == 0
    assert item.get_total_bytes() == 0
    assert not (tmp_path / "a.bin").exists()


async def test_b47_bad_headers_raise_electrons_error(app: cdpsession.App) -> None:
    ses = _fresh(app)
    with pytest.raises(TypeError, match="Invalid value for headers - must be an object"):
        await ses.download_url("http://127.0.0.1:1/", {"headers": "i-am-a-bad-header"})
    with pytest.raises(TypeError, match="Invalid value for headers - must be an object"):
        await ses.download_url("http://127.0.0.1:1/", {"headers": {"X": 1}})
    with pytest.raises(ValueError, match="not a valid HTTP header name"):
        await ses.download_url("http://127.0.0.1:1/", {"headers": {"Bad Name": "x"}})
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        await ses.download_url("http://127.0.0.1:1/", {"headers": {"X": "a\r\nB: c"}})
    with pytest.raises(UnsupportedError, match="Referer"):
        await ses.download_url("http://127.0.0.1:1/", {"headers": {"Referer": "http://x/"}})
    with pytest.raises(UnsupportedError, match="with header 'user-agent'"):
        await ses.download_url("http://127.0.0.1:1/", {"headers": {"user-agent": "x"}})
    with pytest.raises(TypeError, match="unknown download option 'header'"):
        await ses.download_url("http://127.0.0.1:1/", {"header": {}})
    with pytest.raises(ValueError, match="not an absolute URL"):
        await ses.download_url("no-scheme")
    with pytest.raises(TypeError, match="url must be a str"):
        await ses.download_url(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot download"):
        await ses.download_url("custom-unhandled://x")
    page = await ses.open_page("about:blank")
    with pytest.raises(TypeError, match="Invalid value for headers - must be an object"):
        await page.download_url("http://127.0.0.1:1/", {"headers": "i-am-a-bad-header"})


async def test_b48_download_through_a_custom_scheme(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/real.bin", b"r" * 3000, disposition='attachment; filename="real.bin"')
    ses = _fresh(app)

    async def forward(request: cdpsession.Request) -> Response:
        return await ses.fetch(url)

    await ses.protocol.handle("custom-dl", forward)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "c.bin")))
    with trio.fail_after(60):
        await ses.download_url("custom-dl://item")
        item = await rec.item()
        assert await _done(item) == "completed"
    assert item.get_url() == "custom-dl://item"
    assert item.get_filename() == "real.bin"
    assert (tmp_path / "c.bin").read_bytes() == b"r" * 3000
    assert item.get_received_bytes() == item.get_total_bytes() == 3000


async def test_b49_cancel_in_will_download(app: cdpsession.App, files: FileServer) -> None:
    url = files.add("/", _MOCK_PDF, mime="application/pdf", disposition="inline")
    ses = _fresh(app)

    async def cancel(_e: cdpsession.Event, item: DownloadItem, _wc: Any) -> None:
        await item.cancel()

    ses.on("will-download", cancel)
    rec = Recorder(ses)
    with trio.fail_after(60):
        page = await _page_at(ses, files)
        await page.download_url(url + "?testFilename")
        api = await rec.item()
        assert await _done(api) == "cancelled"
        # A page's own download: its response headers are known too.
        await page.execute_java_script(
            f"const a = document.createElement('a'); a.href = {url + '?testFilename'!r};"
            "a.download = ''; document.body.appendChild(a); a.click();"
        )
        await _until(lambda: len(rec.items) >= 2)
        item = rec.items[1][0]
        assert await _done(item) == "cancelled"
    for one in (api, item):
        assert one.get_state() == "cancelled"
        assert one.get_filename() == "download.pdf"
        assert one.get_mime_type() == "application/pdf"
        assert one.get_received_bytes() == 0
        assert one.get_total_bytes() == 5242880
    assert item.get_content_disposition() == "inline"
    # chrome.downloads.download's own requests are hidden from its extension's webRequest.
    assert api.get_content_disposition() == ""
    assert rec.events == [("done", "cancelled")] * 2


async def test_b50_save_dialog_options_are_plain_storage(
    app: cdpsession.App, tmp_path: Any
) -> None:
    ses = _fresh(app)
    opts = {
        "title": "Save",
        "defaultPath": "/x/y.pdf",
        "filters": [{"name": "PDF", "extensions": ["pdf"]}],
    }
    seen: dict[str, Any] = {}

    def decide(_e: cdpsession.Event, item: DownloadItem) -> None:
        item.set_save_dialog_options(opts)
        seen["opts"] = item.get_save_dialog_options()
        item.set_save_path(str(tmp_path / "never.bin"))

    rec = Recorder(ses, decide)
    missing = tmp_path / "does-not-exist.txt"
    with trio.fail_after(60):
        page = await ses.open_page("about:blank")
        await page.download_url(missing.as_uri())
        item = await rec.item()
        assert await _done(item) == "interrupted"
    assert seen["opts"] == opts
    assert seen["opts"] is not opts
    assert not (tmp_path / "never.bin").exists()
    assert rec.items[0][1] is page


async def test_b51_create_interrupted_download(app: cdpsession.App, tmp_path: Any) -> None:
    ses = _fresh(app)
    path = str(tmp_path / "partial.pdf")
    rec = Recorder(ses)
    with trio.fail_after(30):
        ses.create_interrupted_download(
            {
                "path": path,
                "urlChain": ["http://127.0.0.1/"],
                "mimeType": "application/pdf",
                "offset": 0,
                "length": 5242880,
            }
        )
        item = await rec.item()
        assert item.get_state() == "interrupted"
        assert item.can_resume() is False  # neither eTag nor lastModified
        await item.cancel()
        assert await _done(item) == "cancelled"
    assert rec.items[0][1] is None
    assert item.get_url_chain() == ["http://127.0.0.1/"]
    assert item.get_mime_type() == "application/pdf"
    assert item.get_received_bytes() == 0
    assert item.get_total_bytes() == 5242880
    assert item.get_save_path() == path


async def test_b51_create_interrupted_download_errors(app: cdpsession.App) -> None:
    ses = app.session.from_partition("interrupted-errors")
    good = {"path": "/tmp/x.bin", "urlChain": ["http://127.0.0.1/"], "length": 10}
    with pytest.raises(ValueError, match=r"Must pass non-empty path, urlChain and length\."):
        ses.create_interrupted_download({**good, "path": ""})
    with pytest.raises(ValueError, match=r"Must pass non-empty path, urlChain and length\."):
        ses.create_interrupted_download({**good, "urlChain": []})
    with pytest.raises(ValueError, match=r"Must pass non-empty path, urlChain and length\."):
        ses.create_interrupted_download({**good, "length": 0})
    with pytest.raises(ValueError, match=r"Must pass an offset value less than length\."):
        ses.create_interrupted_download({**good, "offset": 10})
    with pytest.raises(ValueError, match="must be an absolute path"):
        ses.create_interrupted_download({**good, "path": "relative.bin"})
    with pytest.raises(TypeError, match="unknown createInterruptedDownload option 'size'"):
        ses.create_interrupted_download({**good, "size": 3})
    with pytest.raises(TypeError, match="offset must be a non-negative int"):
        ses.create_interrupted_download({**good, "offset": -1})
    with pytest.raises(TypeError, match="urlChain must be a list"):
        ses.create_interrupted_download({**good, "urlChain": "http://127.0.0.1/"})
    with pytest.raises(TypeError, match="options must be a dict"):
        ses.create_interrupted_download(None)  # type: ignore[arg-type]


async def test_b52_resume_interrupted_download_completes_byte_identical(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    logo = os.urandom(14022)
    url = files.add(
        "/assets/logo.png",
        logo,
        mime="image/png",
        etag='"logo-v1"',
        last_modified=_LAST_MODIFIED,
        ranges=True,
        chunk=4096,
    )
    ses = _fresh(app)
    download_path = str(tmp_path / "logo.png")
    first: list[DownloadItem] = []

    async def cancel_first(_e: cdpsession.Event, item: DownloadItem, _wc: Any) -> None:
        if not first:
            first.append(item)
            item.set_save_path(download_path)
            await item.cancel()

    ses.on("will-download", cancel_first)
    rec = Recorder(ses)
    with trio.fail_after(60):
        page = await ses.open_page("about:blank")
        await page.download_url(url)
        item = await rec.item()
        assert await _done(item) == "cancelled"
        options = {
            "path": item.save_path,
            "urlChain": item.get_url_chain(),
            "mimeType": item.get_mime_type(),
            "offset": item.get_received_bytes(),
            "length": item.get_total_bytes(),
            "lastModified": item.get_last_modified_time(),
            "eTag": item.get_etag(),
        }
        states: list[str] = []

        async def resume(_e: cdpsession.Event, again: DownloadItem, _wc: Any) -> None:
            if again is not item:
                states.append(again.get_state())
                again.set_save_path(download_path)
                await again.resume()

        ses.on("will-download", resume)
        ses.create_interrupted_download(options)
        await _until(lambda: len(rec.items) >= 2)
        again = rec.items[1][0]
        assert await _done(again) == "completed"
    assert states == ["interrupted"]
    assert again.get_filename() == "logo.png"
    assert again.save_path == download_path
    assert again.get_url() == url
    assert again.get_mime_type() == "image/png"
    assert again.get_received_bytes() == again.get_total_bytes() == 14022
    assert (tmp_path / "logo.png").read_bytes() == logo


async def test_page_download_knows_its_validators(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add(
        "/v.png", b"v" * 500, mime="image/png", etag='"e1"', last_modified=_LAST_MODIFIED
    )
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "v.png")))
    with trio.fail_after(60):
        page = await _page_at(ses, files)
        await page.execute_java_script(
            f"const a = document.createElement('a'); a.href = {url!r}; a.download = 'named.png';"
            "document.body.appendChild(a); a.click();"
        )
        item = await rec.item()
        assert await _done(item) == "completed"
    assert rec.items[0][1] is page
    assert item.get_etag() == '"e1"'
    assert item.get_last_modified_time() == _LAST_MODIFIED
    assert item.get_filename() == "named.png"
    assert (tmp_path / "v.png").read_bytes() == b"v" * 500


async def test_b52_resume_appends_with_range_and_if_range(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(200_000)
    url = files.add("/big.bin", body, etag='"big-v1"', ranges=True)
    partial = tmp_path / "big.bin"
    partial.write_bytes(body[:70_000])
    ses = _fresh(app)
    rec = Recorder(ses)
    with trio.fail_after(60):
        ses.create_interrupted_download(
            {
                "path": str(partial),
                "url_chain": [url],
                "offset": 70_000,
                "length": 200_000,
                "etag": '"big-v1"',
            }
        )
        item = await rec.item()
        assert item.can_resume() is True
        assert item.get_received_bytes() == 70_000
        await item.resume()
        assert await _done(item) == "completed"
    seen = files.seen("/big.bin")
    assert len(seen) == 1
    assert seen[0].headers["range"] == "bytes=70000-"
    assert seen[0].headers["if-range"] == '"big-v1"'
    assert partial.read_bytes() == body
    assert item.get_received_bytes() == item.get_total_bytes() == 200_000
    assert ("updated", "progressing") in rec.events
    assert rec.events[-1] == ("done", "completed")


async def test_created_download_interrupted_again_resumes_again(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(400_000)
    server = _flaky(files, "/again.bin", body, "gone", etag='"a1"', ranges=True)
    partial = tmp_path / "again.bin"
    partial.write_bytes(body[:70_000])
    ses = _fresh(app)
    rec = Recorder(ses)
    with trio.fail_after(60):
        ses.create_interrupted_download(
            {
                "path": str(partial),
                "urlChain": [files.url("/again.bin")],
                "offset": 70_000,
                "length": 400_000,
                "eTag": '"a1"',
            }
        )
        item = await rec.item()
        await item.resume()
        await _until(lambda: rec.events.count(("updated", "interrupted")) == 1)
        assert item.get_state() == "interrupted"
        assert item.can_resume() is True
        # What the helper's fetch() handed over before the error: up to 100,000 bytes.
        held = item.get_received_bytes()
        assert 70_000 <= held <= 170_000
        assert partial.stat().st_size == held
        server["up"] = True
        await item.resume()
        assert await _done(item) == "completed"
    assert [s.headers.get("range") for s in files.seen("/again.bin")] == [
        "bytes=70000-",
        f"bytes={held}-",
    ]
    assert partial.read_bytes() == body
    assert [e for e in rec.events if e[0] == "done"] == [("done", "completed")]


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "until-close"])
async def test_b52_changed_validator_starts_over(
    app: cdpsession.App, files: FileServer, tmp_path: Any, length: bool
) -> None:
    # The new file's size is the new response's (none without Content-Length), never the
    # stale length the created download was given.
    body = os.urandom(50_000)
    url = files.add("/v.bin", body, etag='"v2"', ranges=True, length=length)
    partial = tmp_path / "v.bin"
    partial.write_bytes(b"\0" * 10_000)  # bytes of an older version
    ses = _fresh(app)
    with trio.fail_after(60):
        item = await _resumed(
            ses, path=str(partial), urlChain=[url], offset=10_000, length=102_400, eTag='"v1"'
        )
        assert await _done(item) == "completed"
    assert partial.read_bytes() == body
    assert item.get_received_bytes() == item.get_total_bytes() == 50_000


async def test_b53_no_save_path_goes_to_download_path(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/report.txt", b"r1", disposition='attachment; filename="report.txt"')
    ses = _fresh(app)
    rec = Recorder(ses)
    folder = tmp_path / "dl"
    await ses.set_download_path(str(folder))
    with trio.fail_after(60):
        page = await ses.open_page("about:blank")
        for n in (1, 2):
            await page.execute_java_script(f"location.href = {url!r}")
            await _until(lambda n=n: len(rec.items) >= n)
            await _done(rec.items[-1][0])
    assert [i.get_save_path() for i, _ in rec.items] == [
        str(folder / "report.txt"),
        str(folder / "report (1).txt"),
    ]
    assert (folder / "report.txt").read_bytes() == b"r1"
    assert (folder / "report (1).txt").read_bytes() == b"r1"
    assert [e for e in rec.events if e[0] == "done"] == [("done", "completed")] * 2


async def test_default_download_path_is_user_data_dir_downloads(
    app: cdpsession.App, files: FileServer
) -> None:
    url = files.add("/d.txt", b"dd", disposition='attachment; filename="d.txt"')
    ses = app.session.default_session
    rec = Recorder(ses)
    with trio.fail_after(60):
        await ses.download_url(url)
        item = await rec.item()
        assert await _done(item) == "completed"
    expected = os.path.join(app.user_data_dir, "Downloads", "d.txt")
    assert item.get_save_path() == expected
    assert await trio.Path(expected).read_bytes() == b"dd"


async def test_set_download_path_errors(app: cdpsession.App) -> None:
    ses = _fresh(app)
    with pytest.raises(ValueError, match="must be an absolute path"):
        await ses.set_download_path("relative/dir")
    with pytest.raises(TypeError, match="must be a str path"):
        await ses.set_download_path(3)  # type: ignore[arg-type]


async def test_relative_save_path_is_an_error(app: cdpsession.App, files: FileServer) -> None:
    url = files.add("/r.bin", b"x", disposition="attachment")
    ses = _fresh(app)
    errors: list[BaseException] = []

    def decide(_e: cdpsession.Event, item: DownloadItem) -> None:
        try:
            item.set_save_path("relative.bin")
        except ValueError as exc:
            errors.append(exc)
        item.save_path = "/abs/../abs2/x.bin"

    rec = Recorder(ses, decide)
    with trio.fail_after(30):
        await ses.download_url(url)
        item = await rec.item()
        await item.cancel()
    assert "must be an absolute path" in str(errors[0])
    assert item.get_save_path() == "/abs2/x.bin"


async def test_pause_resume_cancel_a_slow_download(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(60 * 16384)  # 3 s: Chromium reports progress about twice a second
    slow = files.add("/slow.bin", body, chunk=16384, delay=0.05, etag='"s"', ranges=True)
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "slow.bin")))
    with trio.fail_after(60):
        await ses.download_url(slow)
        item = await rec.item()
        await _until(lambda: item.get_current_bytes_per_second() > 0)  # two samples apart
        assert item.get_percent_complete() == item.get_received_bytes() * 100 // len(body)
        await item.pause()
        assert item.is_paused() is True
        assert item.get_current_bytes_per_second() == 0
        held = item.get_received_bytes()
        await trio.sleep(1.0)
        assert item.get_received_bytes() == held
        assert item.get_state() == "progressing"
        await item.resume()
        assert item.is_paused() is False
        assert await _done(item) == "completed"
    assert (tmp_path / "slow.bin").read_bytes() == body
    assert len(files.seen("/slow.bin")) == 1  # resumed on the same connection
    assert ("updated", "progressing") in rec.events

    rec2 = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "c.bin")))
    with trio.fail_after(60):
        await ses.download_url(slow)
        await _until(lambda: rec2.items)
        cancelled = rec2.items[0][0]
        await _until(lambda: cancelled.get_received_bytes() != 0)
        await cancelled.cancel()
        assert await _done(cancelled) == "cancelled"
    assert cancelled.get_received_bytes() == 0
    assert not (tmp_path / "c.bin").exists()
    await _staging_empties(ses)


async def test_dropped_connection_is_interrupted_never_a_hang(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(300_000)
    url = files.add("/drop.bin", body, drop_after=100_000)
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "drop.bin")))
    with trio.fail_after(60):
        await ses.download_url(url)
        item = await rec.item()
        await _until(lambda: ("updated", "interrupted") in rec.events)
    # Chromium's own retries gave up; it can start over (no validator): Electron's
    # updated("interrupted"), not done.
    assert item.get_state() == "interrupted"
    assert item.can_resume() is True
    assert item.is_paused() is False
    assert item.get_current_bytes_per_second() == 0
    assert item.get_total_bytes() == 300_000
    assert not [e for e in rec.events if e[0] == "done"]
    assert not (tmp_path / "drop.bin").exists()
    files.files["/drop.bin"].drop_after = None
    with trio.fail_after(60):
        await item.resume()
        assert await _done(item) == "completed"
    assert (tmp_path / "drop.bin").read_bytes() == body
    assert item.get_received_bytes() == item.get_total_bytes() == 300_000
    assert ("updated", "progressing") in rec.events[rec.events.index(("updated", "interrupted")) :]
    assert [e for e in rec.events if e[0] == "done"] == [("done", "completed")]


def _flaky(files: FileServer, path: str, body: bytes, then: str, **how: Any) -> dict[str, Any]:
    """Serve ``body`` at ``path``; the first response drops after 100,000 bytes.

    Then, until ``server["up"]``, every request is closed unanswered (``then="gone"``) or
    answered with headers and no body (``then="empty"``): Chromium's retries give up.
    """
    files.add(path, body, chunk=16384, **how)
    real = files.files[path]
    server: dict[str, Any] = {"requests": 0, "up": False}

    def gate() -> bool:
        server["requests"] += 1
        if server["up"]:
            real.drop_after = None
            return True
        if server["requests"] == 1:
            real.drop_after = 100_000
            return True
        real.drop_after = 0
        return then != "gone"

    files.on_request[path] = gate
    return server


@pytest.mark.parametrize(
    ("then", "sent"),
    [
        # Chromium's retries end on connections closed unanswered: its resume() continues
        # with a Range request, download_url's headers included.
        ("gone", [("bytes=100000-", '"r1"', "t1")]),
        # They end on bodies cut short: Chromium's resume() then sends nothing, and
        # cdpsession asks for the whole file again, download_url's headers included.
        ("empty", [(None, None, "t1")]),
    ],
)
async def test_resumable_interruption_is_resumed(
    app: cdpsession.App,
    files: FileServer,
    tmp_path: Any,
    then: str,
    sent: list[tuple[str | None, ...]],
) -> None:
    body = os.urandom(400_000)
    server = _flaky(files, "/r.bin", body, then, etag='"r1"', ranges=True)
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "r.bin")))
    with trio.fail_after(60):
        await ses.download_url(files.url("/r.bin"), {"headers": {"X-Token": "t1"}})
        item = await rec.item()
        await _until(lambda: ("updated", "interrupted") in rec.events)
        assert item.can_resume() is True
        assert item.get_state() == "interrupted"
        if then == "gone":
            assert item.get_received_bytes() == 100_000
        server["up"] = True
        tries = len(files.seen("/r.bin"))
        await item.resume()
        assert await _done(item) == "completed"
    after = files.seen("/r.bin")[tries:]
    keys = ("range", "if-range", "x-token")
    assert [tuple(s.headers.get(k) for k in keys) for s in after] == sent
    assert (tmp_path / "r.bin").read_bytes() == body
    assert item.get_received_bytes() == item.get_total_bytes() == 400_000
    assert [e for e in rec.events if e[0] == "done"] == [("done", "completed")]
    assert len(rec.items) == 1  # the same item, no second will-download
    await _staging_empties(ses)


async def test_resumable_interruption_can_be_cancelled(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/c.bin", os.urandom(300_000), drop_after=100_000)
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "c.bin")))
    with trio.fail_after(60):
        await ses.download_url(url)
        item = await rec.item()
        await _until(lambda: ("updated", "interrupted") in rec.events)
        await item.cancel()
        assert await _done(item) == "cancelled"
    assert item.get_received_bytes() == 0
    assert item.can_resume() is False
    assert not (tmp_path / "c.bin").exists()
    await _staging_empties(ses)


async def test_redirect_chain(app: cdpsession.App, files: FileServer, tmp_path: Any) -> None:
    # A page's navigation that redirects to an attachment: the page is known (its CDP
    # event names the final URL) and the item has the whole chain.
    final = files.add("/final.bin", b"f" * 100, disposition="attachment")
    files.redirects["/start"] = final
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "f.bin")))
    with trio.fail_after(30):
        page = await ses.open_page("about:blank")
        await page.execute_java_script(f"location.href = {files.url('/start')!r}")
        item = await rec.item()
        assert await _done(item) == "completed"
    assert item.get_url_chain() == [files.url("/start"), final]
    assert item.get_url() == final
    assert item.get_filename() == "final.bin"
    assert rec.items[0][1] is page


async def test_download_from_a_popup_page(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/pop.bin", b"p" * 10, disposition='attachment; filename="pop.bin"')
    ses = _fresh(app)
    await ses.set_download_path(str(tmp_path))
    rec = Recorder(ses)
    with trio.fail_after(30):
        page = await ses.open_page("about:blank")
        await page.execute_java_script(f"void window.open({url!r})", user_gesture=True)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert (tmp_path / "pop.bin").read_bytes() == b"p" * 10


async def test_download_of_50_mb(app: cdpsession.App, files: FileServer, tmp_path: Any) -> None:
    body = os.urandom(50 * 1024 * 1024)
    url = files.add("/50mb.bin", body, chunk=1 << 20)
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "50mb.bin")))
    with trio.fail_after(120):
        await ses.download_url(url)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert item.get_received_bytes() == item.get_total_bytes() == len(body)
    saved = await trio.Path(tmp_path / "50mb.bin").read_bytes()
    assert hashlib.sha256(saved).digest() == hashlib.sha256(body).digest()


async def test_persistent_partition_downloads(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/p.bin", b"pp", disposition="attachment")
    ses = app.session.from_partition("persist:dl")
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "p.bin")))
    with trio.fail_after(30):
        await ses.download_url(url)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert (tmp_path / "p.bin").read_bytes() == b"pp"


async def test_listener_exception_cancels_the_download(
    data_dir: str, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/e.bin", b"e", disposition="attachment")
    with pytest.raises(ZeroDivisionError):  # noqa: PT012 - the app ends by the raise
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("boom")
            ses.on("will-download", lambda _e, _item, _wc: 1 / 0)
            await ses.set_download_path(str(tmp_path))
            with trio.fail_after(30):
                await ses.download_url(url)
                await trio.sleep(30)
    assert not (tmp_path / "e.bin").exists()


async def test_cli_download_shows_progress_and_saves(
    data_dir: str, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(2 * 1024 * 1024)
    url = files.add("/cli.bin", body, disposition='attachment; filename="cli.bin"')
    folder = tmp_path / "out"
    with trio.fail_after(120):
        done = await trio.run_process(
            [
                sys.executable,
                "-m",
                "cdpsession",
                "download",
                url,
                "--partition",
                "cli",
                "--to",
                str(folder),
                "--user-data-dir",
                data_dir,
                "--header",
                "X-From: cli",
            ],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == str(folder / "cli.bin")
    assert (folder / "cli.bin").read_bytes() == body
    assert "cli.bin" in done.stderr.decode()
    assert "100%" in done.stderr.decode()
    assert files.seen("/cli.bin")[0].headers["x-from"] == "cli"


async def test_cli_download_failure_exit_code(
    data_dir: str, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/gone.bin", b"", auth="Basic nobody")
    with trio.fail_after(120):
        done = await trio.run_process(
            [
                sys.executable,
                "-m",
                "cdpsession",
                "download",
                url,
                "--quiet",
                "--to",
                str(tmp_path),
                "--user-data-dir",
                data_dir,
            ],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert done.returncode == 1
    assert "download interrupted" in done.stderr.decode()
    # Bad arguments and an unusable data folder: one line, no traceback.
    for extra, code, start in [
        (["--header", "no-colon"], 2, "cdpsession download: --header 'no-colon' is not"),
        (["--header", "Cookie: a=b"], 2, "cdpsession download: download_url with header"),
        (["--user-data-dir", "/dev/null/x"], 1, "cdpsession download: "),
    ]:
        bad = await trio.run_process(
            [sys.executable, "-m", "cdpsession", "download", url, *extra],
            capture_stderr=True,
            check=False,
        )
        assert bad.returncode == code
        assert bad.stderr.decode().startswith(start)
        assert "Traceback" not in bad.stderr.decode()


async def test_killed_browser_ends_running_downloads_interrupted(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    slow = files.add("/k.bin", os.urandom(64 * 16384), chunk=16384, delay=0.05)
    ranged = files.add(
        "/kr.bin", os.urandom(64 * 16384), chunk=16384, delay=0.05, etag='"k"', ranges=True
    )
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "k.bin")))
    with trio.fail_after(60):
        await ses.download_url(slow)
        chrome_item = await rec.item()
        ses.create_interrupted_download(
            {
                "path": str(tmp_path / "kr.bin"),
                "urlChain": [ranged],
                "length": 64 * 16384,
                "eTag": '"k"',
            }
        )
        await _until(lambda: len(rec.items) >= 2)
        python_item = rec.items[1][0]
        await python_item.resume()
        await _until(lambda: chrome_item.get_received_bytes() and python_item.get_received_bytes())
        assert ses._host is not None
        os.kill(ses._host.browser.process.pid, signal.SIGKILL)
        assert await _done(chrome_item) == "interrupted"
        assert await _done(python_item) == "interrupted"
        # The session starts a new browser on next use, downloads included.
        url = files.add("/after.bin", b"after", disposition="attachment")
        await ses.download_url(url)
        await _until(lambda: len(rec.items) >= 3)
        assert await _done(rec.items[2][0]) == "completed"


async def test_two_downloads_of_one_name_get_two_files(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    a = files.add("/a", b"A" * 200_000, disposition='attachment; filename="same.bin"', delay=0.02)
    b = files.add("/b", b"B" * 100_000, disposition='attachment; filename="same.bin"', delay=0.02)
    ses = _fresh(app)
    await ses.set_download_path(str(tmp_path))
    rec = Recorder(ses)
    with trio.fail_after(60):
        await ses.download_url(a)
        await ses.download_url(b)
        await _until(lambda: len(rec.items) == 2)
        for item, _wc in rec.items:
            assert await _done(item) == "completed"
    by_url = {item.get_url(): item.get_save_path() for item, _wc in rec.items}
    assert sorted(by_url.values()) == [str(tmp_path / "same (1).bin"), str(tmp_path / "same.bin")]
    assert (await trio.Path(by_url[a]).read_bytes()) == b"A" * 200_000
    assert (await trio.Path(by_url[b]).read_bytes()) == b"B" * 100_000


async def test_a_folder_as_save_path_is_interrupted_and_untouched(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/f.bin", b"f" * 10, disposition="attachment")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(folder)))
    with trio.fail_after(30):
        await ses.download_url(url)
        assert await _done(await rec.item()) == "interrupted"
    assert list(folder.iterdir()) == []


async def test_a_name_too_long_is_cut_keeping_its_extension(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    name = "A" * 400 + ".txt"
    url = files.add("/long", b"long", disposition=f'attachment; filename="{name}"')
    ses = _fresh(app)
    await ses.set_download_path(str(tmp_path))
    rec = Recorder(ses)
    with trio.fail_after(30):
        await ses.download_url(url)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert item.get_filename() == name
    assert item.get_save_path() == str(tmp_path / ("A" * 251 + ".txt"))
    assert (tmp_path / ("A" * 251 + ".txt")).read_bytes() == b"long"


async def test_pause_then_resume_at_once_keeps_it_running(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(40 * 16384)
    url = files.add("/pr.bin", body, chunk=16384, delay=0.03)
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "pr.bin")))
    with trio.fail_after(60):
        await ses.download_url(url)
        item = await rec.item()
        await _until(lambda: item.get_received_bytes() != 0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(item.pause)
            await trio.lowlevel.checkpoint()
            nursery.start_soon(item.resume)
        assert item.is_paused() is False
        assert await _done(item) == "completed"
    assert (tmp_path / "pr.bin").read_bytes() == body
    # Electron: a paused download can resume; the getters agree as soon as pause() returns.
    rec2 = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "p2.bin")))
    with trio.fail_after(60):
        await ses.download_url(url)
        second = await rec2.item()
        await _until(lambda: second.get_received_bytes() != 0)
        await second.pause()
        assert (second.is_paused(), second.can_resume()) == (True, True)
        await second.resume()
        assert second.is_paused() is False
        assert await _done(second) == "completed"


async def test_download_url_takes_no_headers_from_an_earlier_page_view(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    old = files.add(
        "/doc", b"v1", mime="text/html", etag='"v1"', disposition='inline; filename="old.html"'
    )
    files.redirects["/start"] = old
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "doc")))
    with trio.fail_after(30):
        page = await ses.open_page(files.url("/start"))
        files.add("/doc", b"v2-binary", etag='"v2"')
        await ses.download_url(old)
        item = await rec.item()
        assert await _done(item) == "completed"
    assert page.get_url() == old
    assert (tmp_path / "doc").read_bytes() == b"v2-binary"
    assert item.get_url_chain() == [old]
    assert item.get_etag() == ""  # download_url's own responses are hidden from the helper
    assert item.get_content_disposition() == ""
    assert item.get_filename() == "doc"


async def test_created_download_of_a_file_url_starts_over_intact(
    app: cdpsession.App, tmp_path: Any
) -> None:
    source = tmp_path / "source.bin"
    body = os.urandom(102_400)
    source.write_bytes(body)
    partial = tmp_path / "out.bin"
    partial.write_bytes(body[:1000])
    ses = _fresh(app)
    with trio.fail_after(30):
        item = await _resumed(
            ses,
            path=str(partial),
            urlChain=[source.as_uri()],
            offset=1000,
            length=102_400,
            eTag='"x"',
        )
        assert await _done(item) == "completed"
    assert partial.read_bytes() == body
    assert item.get_received_bytes() == item.get_total_bytes() == 102_400


async def test_file_url_downloads_copy_and_refuse_a_fifo(
    app: cdpsession.App, tmp_path: Any
) -> None:
    source = tmp_path / "big.bin"
    body = os.urandom(3 * 1024 * 1024)
    source.write_bytes(body)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    ses = _fresh(app)
    rec = Recorder(
        ses, lambda _e, item: item.set_save_path(str(tmp_path / "out" / item.get_filename()))
    )
    with trio.fail_after(30):
        await ses.download_url(source.as_uri())
        copied = await rec.item()
        assert await _done(copied) == "completed"
        await ses.download_url(fifo.as_uri())  # a read of it would wait for a writer
        await _until(lambda: len(rec.items) == 2)
        assert await _done(rec.items[1][0]) == "interrupted"
    assert (tmp_path / "out" / "big.bin").read_bytes() == body
    assert copied.get_received_bytes() == copied.get_total_bytes() == len(body)
    assert not (tmp_path / "out" / "pipe").exists()


async def test_app_closes_while_a_listener_still_waits(
    data_dir: str, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/w.bin", b"w" * 10, disposition="attachment")
    started = trio.Event()
    items: list[DownloadItem] = []

    async def forever(_e: cdpsession.Event, item: DownloadItem, _wc: Any) -> None:
        items.append(item)
        started.set()
        await trio.sleep_forever()

    with trio.fail_after(30):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("waits")
            await ses.set_download_path(str(tmp_path))
            ses.on("will-download", forever)
            await ses.download_url(url)
            await started.wait()
        # Leaving the block cancels the listener; the download never started writing.
    assert items[0].get_state() == "cancelled"
    assert list(tmp_path.iterdir()) == []


async def test_browser_killed_during_will_download_ends_it_interrupted(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/kw.bin", b"k" * 10, disposition="attachment")
    ses = _fresh(app)
    entered, leave = trio.Event(), trio.Event()

    async def waits(_e: cdpsession.Event, item: DownloadItem, _wc: Any) -> None:
        entered.set()
        await leave.wait()
        item.set_save_path(str(tmp_path / "kw.bin"))

    ses.on("will-download", waits)
    rec = Recorder(ses)
    with trio.fail_after(30):
        await ses.download_url(url)
        await entered.wait()
        assert ses._host is not None
        os.kill(ses._host.browser.process.pid, signal.SIGKILL)
        await _until(lambda: ses._host is None or not ses._host.alive)
        leave.set()
        item = await rec.item()
        assert await _done(item) == "interrupted"
    assert rec.events == [("done", "interrupted")]
    assert not (tmp_path / "kw.bin").exists()


async def test_in_memory_downloads_are_staged_on_disk_and_removed(
    data_dir: str, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/s.bin", b"s" * 1000, disposition="attachment")
    with trio.fail_after(30):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("staging")
            rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "s.bin")))
            await ses.download_url(url)
            assert await _done(await rec.item()) == "completed"
            assert ses._host is not None
            staging = ses._host.download_dir
            if app._ram_dir != tempfile.gettempdir():  # /dev/shm is used
                assert ses._host.private_dir.startswith(app._ram_dir)
                assert not staging.startswith(app._ram_dir)
                assert os.path.dirname(staging) == tempfile.gettempdir()
    assert not await trio.Path(staging).exists()
    assert (tmp_path / "s.bin").read_bytes() == b"s" * 1000


async def test_created_download_pause_or_cancel_right_after_resume(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(400_000)
    url = files.add("/pc.bin", body, etag='"pc"', ranges=True, chunk=16384, delay=0.02)
    ses = _fresh(app)
    rec = Recorder(ses)
    options = {"urlChain": [url], "offset": 0, "length": 400_000, "eTag": '"pc"'}
    with trio.fail_after(60):
        ses.create_interrupted_download({**options, "path": str(tmp_path / "c.bin")})
        cancelled = await rec.item()
        await cancelled.resume()
        await cancelled.cancel()  # before the transfer reached the helper's worker
        assert await _done(cancelled) == "cancelled"
        ses.create_interrupted_download({**options, "path": str(tmp_path / "p.bin")})
        await _until(lambda: len(rec.items) == 2)
        paused = rec.items[1][0]
        await paused.resume()
        await paused.pause()
        await trio.sleep(0.5)
        assert paused.is_paused() is True
        assert paused.get_state() == "progressing"
        held = paused.get_received_bytes()
        await trio.sleep(0.5)
        assert paused.get_received_bytes() == held < 400_000
        await paused.resume()
        assert await _done(paused) == "completed"
    assert not (tmp_path / "c.bin").exists()
    assert (tmp_path / "p.bin").read_bytes() == body


async def test_file_url_copy_pauses_and_cancels(app: cdpsession.App, tmp_path: Any) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(os.urandom(4 * 1024 * 1024))
    ses = _fresh(app)

    async def hold(_e: cdpsession.Event, item: DownloadItem, _wc: Any) -> None:
        item.set_save_path(str(tmp_path / "out" / "copy.bin"))
        await item.pause()

    ses.on("will-download", hold)
    rec = Recorder(ses)
    with trio.fail_after(30):
        await ses.download_url(source.as_uri())
        item = await rec.item()
        await trio.sleep(0.5)
        assert (item.is_paused(), item.get_received_bytes(), item.get_state()) == (
            True,
            0,
            "progressing",
        )
        await item.cancel()
        assert await _done(item) == "cancelled"
        await ses.download_url(source.as_uri())
        await _until(lambda: len(rec.items) == 2)
        second = rec.items[1][0]
        await trio.sleep(0.2)
        await second.resume()
        assert await _done(second) == "completed"
    assert (tmp_path / "out" / "copy.bin").read_bytes() == source.read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["copy.bin"]


async def test_closing_the_app_ends_a_python_driven_transfer_interrupted(
    data_dir: str, files: FileServer, tmp_path: Any
) -> None:
    url = files.add("/cl.bin", os.urandom(64 * 16384), etag='"cl"', chunk=16384, delay=0.05)
    events: list[str] = []
    with trio.fail_after(30):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("closing")
            ses.create_interrupted_download(
                {"path": str(tmp_path / "cl.bin"), "urlChain": [url], "length": 64 * 16384}
            )
            (_event, item, _wc) = await ses.wait_for("will-download")
            item.on("done", lambda _e, state: events.append(state))
            await item.resume()
            await _until(lambda: item.get_received_bytes() > 0)
    assert events == ["interrupted"]
    assert item.get_state() == "interrupted"


async def test_a_restart_cut_short_can_be_resumed_again(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    body = os.urandom(400_000)
    server = _flaky(files, "/k.bin", body, "empty")
    ses = _fresh(app)
    rec = Recorder(ses, lambda _e, item: item.set_save_path(str(tmp_path / "k.bin")))
    with trio.fail_after(60):
        await ses.download_url(files.url("/k.bin"))
        item = await rec.item()
        await _until(lambda: rec.events.count(("updated", "interrupted")) == 1)
        server["requests"] = 1  # the fresh request cdpsession makes drops after 100,000 too
        files.files["/k.bin"].drop_after = 100_000
        await item.resume()
        await _until(lambda: rec.events.count(("updated", "interrupted")) == 2)
        assert item.can_resume() is True
        server["up"] = True
        await item.resume()
        assert await _done(item) == "completed"
    assert (tmp_path / "k.bin").read_bytes() == body
    assert [e for e in rec.events if e[0] == "done"] == [("done", "completed")]
    await _staging_empties(ses)


async def test_two_sessions_saving_one_name_into_one_folder(
    app: cdpsession.App, files: FileServer, tmp_path: Any
) -> None:
    a = files.add("/a2", b"A" * 200_000, disposition='attachment; filename="one.bin"', delay=0.02)
    b = files.add("/b2", b"B" * 100_000, disposition='attachment; filename="one.bin"', delay=0.02)
    first, second = _fresh(app), _fresh(app)
    recs = []
    for ses in (first, second):
        await ses.set_download_path(str(tmp_path))
        recs.append(Recorder(ses))
    with trio.fail_after(60):
        await first.download_url(a)
        await second.download_url(b)
        for rec in recs:
            assert await _done(await rec.item()) == "completed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one (1).bin", "one.bin"]
    assert sorted(len(p.read_bytes()) for p in tmp_path.iterdir()) == [100_000, 200_000]
