"""Partitions and identity (behaviours #1-#6) against real headless Chromium.

Also: storage isolation between partitions, persistence across a restart, hostile partition
names, folder modes, bad arguments and the life of an in-memory profile.
"""

from __future__ import annotations

import os
import stat
import tempfile
import uuid
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Request, Server

pytestmark = pytest.mark.integration


Req = Request
Srv = Server


def _random_name() -> str:
    return uuid.uuid4().hex


def _host_of(ses: cdpsession.Session) -> Any:
    host = ses._host
    assert host is not None, f"{ses!r} has no browser yet"
    return host


def _folder(path: str) -> dict[str, Any]:
    """What is on disk at ``path`` (sync: blocking file-system calls stay out of async code)."""
    if not os.path.lexists(path):
        return {"exists": False}
    st = os.lstat(path)
    return {
        "exists": True,
        "dir": stat.S_ISDIR(st.st_mode),
        "mode": oct(stat.S_IMODE(st.st_mode)),
        "has_files": bool(os.listdir(path)) if stat.S_ISDIR(st.st_mode) else False,
    }


def _inside(path: str, parent: str) -> bool:
    """``path`` resolves to something strictly inside ``parent``."""
    real, top = os.path.realpath(path), os.path.realpath(parent)
    return real != top and os.path.commonpath([real, top]) == top


DIR_0700 = {"exists": True, "dir": True, "mode": "0o700", "has_files": True}


# -- #1 - #5: identity and storage paths (no browser needed) --------------------------------


async def test_b01_default_session_is_from_partition_empty(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        # Plain bookkeeping: nothing here may wait for the browser.
        await trio.lowlevel.checkpoint()
        assert app.session.default_session is app.session.from_partition("")
        assert app.session.default_session is app.session.default_session
        test = app.session.from_partition("test")
        assert app.session.from_partition("test") is test
        assert test is not app.session.default_session
        assert isinstance(test, cdpsession.Session)


async def test_b02_session_created_fires_once_with_the_returned_object(
    app: cdpsession.App,
) -> None:
    with trio.fail_after(30):
        # Plain bookkeeping: nothing here may wait for the browser.
        await trio.lowlevel.checkpoint()
        created: list[Any] = []
        app.on("session-created", lambda *args: created.append(args))
        name = _random_name()
        ses = app.session.from_partition(name)
        assert len(created) == 1
        (args,) = created
        assert len(args) == 1
        assert args[0] is ses
        again = app.session.from_partition(name)
        assert again is ses
        assert len(created) == 1


async def test_b03_is_persistent(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        # Plain bookkeeping: nothing here may wait for the browser.
        await trio.lowlevel.checkpoint()
        assert app.session.default_session.is_persistent() is True
        assert app.session.from_partition(f"persist:{_random_name()}").is_persistent() is True
        assert app.session.from_partition(_random_name()).is_persistent() is False


async def test_b04_storage_path(app: cdpsession.App, data_dir: str) -> None:
    with trio.fail_after(30):
        # Plain bookkeeping: nothing here may wait for the browser.
        await trio.lowlevel.checkpoint()
        default = app.session.default_session
        assert isinstance(default.storage_path, str)
        assert default.storage_path == data_dir
        assert default.get_storage_path() == data_dir

        memory = app.session.from_partition("in-memory")
        assert memory.storage_path is None
        assert memory.get_storage_path() is None

        one = app.session.from_partition("persist:one")
        two = app.session.from_partition("persist:two")
        assert two.storage_path != default.storage_path
        assert one.storage_path != two.storage_path
        assert one.storage_path == os.path.join(data_dir, "Partitions", "one")
        assert one.get_storage_path() == one.storage_path
        assert two.storage_path == os.path.join(data_dir, "Partitions", "two")

        # Escaped byte by byte to [a-z0-9_-] plus %XX (README, "Partitions").
        shop = app.session.from_partition("persist:My Shop.v2")
        assert shop.storage_path == os.path.join(data_dir, "Partitions", "%4Dy%20%53hop%2Ev2")


async def test_b05_from_path(app: cdpsession.App) -> None:
    with trio.fail_after(30), tempfile.TemporaryDirectory(prefix="cdps-test-frompath-") as path:
        # Plain bookkeeping: nothing here may wait for the browser.
        await trio.lowlevel.checkpoint()
        ses = app.session.from_path(path)
        assert ses.storage_path == path
        assert ses.get_storage_path() == path
        assert ses.is_persistent() is True
        assert app.session.from_path(path) is ses
        assert ses is not app.session.default_session

        with pytest.raises(TypeError) as empty:
            app.session.from_path("")
        assert str(empty.value) == "An empty path was specified"
        with pytest.raises(TypeError) as relative:
            app.session.from_path("rel/dir")
        assert str(relative.value) == "An absolute path was not provided"


async def test_b05_from_path_session_loads_and_writes_its_folder(
    app: cdpsession.App, server: Srv, data_dir: str
) -> None:
    server.html("/", "<title>p</title>")
    # Inside data_dir, so the folder outlives the browser (the app closes before data_dir goes).
    path = os.path.join(data_dir, "elsewhere", "profile")
    with trio.fail_after(60):
        ses = app.session.from_path(path)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("document.title") == "p"
        assert _host_of(ses).user_data_dir == path
        assert _folder(path)["has_files"], "Chromium wrote nothing into the from_path folder"
        await page.close()
        assert _folder(os.path.join(data_dir, "Partitions")) == {"exists": False}


# -- #6: options -------------------------------------------------------------------------


def _cache_probe(server: Srv) -> None:
    server.routes["/cached"] = lambda _req: (
        200,
        [("Content-Type", "text/plain"), ("Cache-Control", "max-age=3600")],
        b"cached body",
    )
    server.html(
        "/probe",
        """<script>
        window.fetchTwice = async (tag) => {
          const a = await (await fetch('/cached?t=' + tag)).text();
          await new Promise((r) => setTimeout(r, 100));
          const b = await (await fetch('/cached?t=' + tag)).text();
          return [a, b];
        };
        </script>""",
    )


def _hits(server: Srv, tag: str) -> int:
    return len([r for r in server.seen("/cached") if r.query.get("t") == [tag]])


async def test_b06_options_ignored_on_existing_partition_and_cache_false_works(
    app: cdpsession.App, server: Srv
) -> None:
    _cache_probe(server)
    with trio.fail_after(60):
        existing = app.session.from_partition("x")
        assert app.session.from_partition("x", {"cache": False}) is existing

        no_cache = app.session.from_partition(f"nocache-{_random_name()}", {"cache": False})
        page = await no_cache.open_page(server.url("/probe"))
        assert page.get_url() == server.url("/probe")
        assert await page.execute_java_script("fetchTwice('nc')") == ["cached body"] * 2
        assert _hits(server, "nc") == 2, "cache False: both fetches must reach the server"

        # "x" ignored its late {"cache": False}: its HTTP cache works.
        normal = await existing.open_page(server.url("/probe"))
        assert await normal.execute_java_script("fetchTwice('x')") == ["cached body"] * 2
        assert _hits(server, "x") == 1, "a normal session serves the second fetch from cache"


async def test_b06_cache_false_bypasses_cache_for_page_subresources(
    app: cdpsession.App, server: Srv
) -> None:
    """A cached ``<script src>`` is fetched again on reload when the cache is off."""
    server.routes["/lib.js"] = lambda _req: (
        200,
        [("Content-Type", "text/javascript"), ("Cache-Control", "max-age=3600")],
        b"window.libLoaded = (window.libLoaded || 0) + 1;",
    )
    server.html("/with-lib", '<script src="/lib.js"></script>')
    with trio.fail_after(60):
        ses = app.session.from_partition(f"nocache-{_random_name()}", {"cache": False})
        page = await ses.open_page(server.url("/with-lib"))
        other = await ses.open_page(server.url("/with-lib"))
        assert await other.execute_java_script("window.libLoaded") == 1
        assert await page.execute_java_script("window.libLoaded") == 1
        assert len(server.seen("/lib.js")) == 2


# -- isolation -----------------------------------------------------------------------------


def _cookie_routes(server: Srv, max_age: bool = False) -> None:
    def set_cookie(req: Req) -> tuple[int, list[tuple[str, str]], bytes]:
        tag = req.query["t"][0]
        attrs = "; Path=/" + ("; Max-Age=3600" if max_age else "")
        return (
            200,
            [("Content-Type", "text/html"), ("Set-Cookie", f"srv_{tag}=1{attrs}")],
            b"<title>set</title>",
        )

    server.routes["/set"] = set_cookie
    server.html("/read", "<title>read</title>")


async def _write_state(page: cdpsession.WebContents, server: Srv, tag: str, persist: bool) -> None:
    await page.load_url(server.url(f"/set?t={tag}"))
    age = "; max-age=3600" if persist else ""
    await page.execute_java_script(
        f"document.cookie = 'doc_{tag}=1; path=/{age}'; localStorage.setItem('ls_{tag}', '1');"
    )


async def _read_state(page: cdpsession.WebContents, server: Srv, tag: str) -> dict[str, Any]:
    await page.load_url(server.url(f"/read?t={tag}"))
    requests = [r for r in server.seen("/read") if r.query.get("t") == [tag]]
    result: dict[str, Any] = await page.execute_java_script(
        "({cookies: document.cookie.split('; ').filter(Boolean).sort(),"
        " storage: Object.keys(localStorage).sort()})"
    )
    result["header"] = requests[-1].header("cookie")
    return result


async def test_cookies_and_local_storage_are_isolated_between_partitions(
    app: cdpsession.App, server: Srv
) -> None:
    _cookie_routes(server)
    with trio.fail_after(90):
        sessions = {
            "def": app.session.default_session,
            "pa": app.session.from_partition("persist:a"),
            "pb": app.session.from_partition("persist:b"),
            "mem": app.session.from_partition(f"mem-{_random_name()}"),
        }
        pages = {tag: await ses.open_page() for tag, ses in sessions.items()}
        for tag, page in pages.items():
            await _write_state(page, server, tag, persist=False)
        for tag, page in pages.items():
            state = await _read_state(page, server, tag + "-r")
            assert state == {
                "cookies": [f"doc_{tag}=1", f"srv_{tag}=1"],
                "storage": [f"ls_{tag}"],
                "header": f"srv_{tag}=1; doc_{tag}=1",
            }, tag


# -- persistence across a restart ----------------------------------------------------------


async def test_persistent_cookies_and_local_storage_survive_a_restart(
    data_dir: str, server: Srv
) -> None:
    _cookie_routes(server, max_age=True)
    memory_name = f"mem-{_random_name()}"
    with trio.fail_after(90):
        async with cdpsession.open_app(data_dir) as app:
            for tag, partition in (("def", ""), ("keep", "persist:keep"), ("mem", memory_name)):
                page = await app.session.from_partition(partition).open_page()
                await _write_state(page, server, tag, persist=True)

        async with cdpsession.open_app(data_dir) as app:
            for tag, partition in (("def", ""), ("keep", "persist:keep")):
                page = await app.session.from_partition(partition).open_page()
                state = await _read_state(page, server, tag + "-again")
                assert state["cookies"] == [f"doc_{tag}=1", f"srv_{tag}=1"], tag
                assert state["storage"] == [f"ls_{tag}"], tag
                assert state["header"] is not None, tag
                assert sorted(state["header"].split("; ")) == [f"doc_{tag}=1", f"srv_{tag}=1"]
            page = await app.session.from_partition(memory_name).open_page()
            state = await _read_state(page, server, "mem-again")
            assert state == {"cookies": [], "storage": [], "header": None}


# -- hostile names and folders -------------------------------------------------------------

HOSTILE = (
    "persist:../../etc",
    "persist:a/b",
    "persist:..",
    "persist:" + "x" * 1000,
    "persist:Case",
    "persist:case",
    "persist:é",
)


async def test_hostile_partition_names_stay_inside_partitions(
    app: cdpsession.App, server: Srv, data_dir: str
) -> None:
    server.html("/", "<title>h</title>")
    parent = os.path.dirname(data_dir)
    escape_targets = [
        os.path.join(parent, "etc"),
        os.path.join(data_dir, "etc"),
        os.path.join(data_dir, "Partitions", "a"),
    ]
    before = {p: _folder(p) for p in escape_targets}
    partitions_dir = os.path.join(data_dir, "Partitions")
    with trio.fail_after(90):
        paths: dict[str, str] = {}
        for name in HOSTILE:
            ses = app.session.from_partition(name)
            assert ses.is_persistent() is True
            page = await ses.open_page(server.url("/"))
            await page.execute_java_script("localStorage.setItem('k', 'v')")
            path = ses.storage_path
            assert path is not None
            assert _host_of(ses).user_data_dir == path
            paths[name] = path

        assert len(set(paths.values())) == len(HOSTILE)
        for name, path in paths.items():
            assert os.path.dirname(path) == partitions_dir, name
            assert _inside(path, partitions_dir), name
            assert len(os.path.basename(path)) <= 120, name
        assert {name: _folder(path) for name, path in paths.items()} == dict.fromkeys(
            HOSTILE, DIR_0700
        )
        assert sorted(os.listdir(partitions_dir)) == sorted(
            os.path.basename(p) for p in paths.values()
        )
        assert _folder(partitions_dir)["mode"] == "0o700"
        assert paths["persist:Case"] != paths["persist:case"]
        assert {p: _folder(p) for p in escape_targets} == before

    # Long names that differ only past the cut still get distinct folders.
    a = app.session.from_partition("persist:" + "x" * 999 + "a").storage_path
    b = app.session.from_partition("persist:" + "x" * 999 + "b").storage_path
    assert a is not None
    assert b is not None
    assert a != b
    assert os.path.dirname(a) == partitions_dir


async def test_bad_partition_arguments(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        # Plain bookkeeping: nothing here may wait for the browser.
        await trio.lowlevel.checkpoint()
        with pytest.raises(TypeError):
            app.session.from_partition(None)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            app.session.from_partition(b"persist:x")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="persist:"):
            app.session.from_partition("persist:")
        with pytest.raises(ValueError, match="NUL"):
            app.session.from_partition("a\0b")
        with pytest.raises(TypeError, match="cach"):
            app.session.from_partition("ok", {"cach": False})
        with pytest.raises(TypeError):
            app.session.from_partition("ok2", {"cache": "no"})
        with pytest.raises(TypeError, match="cach"):
            app.session.from_path("/tmp/cdps-never-created", {"cach": False})
        # A rejected call creates nothing.
        created: list[Any] = []
        app.on("session-created", lambda *args: created.append(args))
        with pytest.raises(TypeError):
            app.session.from_partition("fresh", {"cach": False})
        assert created == []
        assert app.session.from_partition("fresh") is not None
        assert len(created) == 1


# -- in-memory profile -----------------------------------------------------------------------


async def test_in_memory_profile_lives_in_ram_and_is_removed_at_close(
    data_dir: str, server: Srv
) -> None:
    server.html("/", "<title>m</title>")
    shm = "/dev/shm"
    ram_root = shm if os.access(shm, os.W_OK | os.X_OK) else tempfile.gettempdir()
    with trio.fail_after(60):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition(f"mem-{_random_name()}")
            page = await ses.open_page(server.url("/"))
            await page.execute_java_script("localStorage.setItem('k', 'v')")
            profile = _host_of(ses).user_data_dir
            assert isinstance(profile, str)
            assert _inside(profile, ram_root)
            assert not _inside(profile, data_dir)
            assert _folder(profile) == DIR_0700
        assert _folder(profile) == {"exists": False}
        assert _folder(os.path.dirname(profile)) == {"exists": False}
        assert _folder(os.path.join(data_dir, "Partitions")) == {"exists": False}


async def test_from_path_spellings_of_one_folder_are_one_session(
    app: cdpsession.App, data_dir: str
) -> None:
    target = os.path.join(data_dir, "profiles", "one")
    os.makedirs(target)
    link = os.path.join(data_dir, "link-to-one")
    os.symlink(target, link)
    first = app.session.from_path(target)
    assert app.session.from_path(target + "/") is first
    assert (
        app.session.from_path(os.path.join(data_dir, "profiles", "..", "profiles", "one")) is first
    )
    assert app.session.from_path(link) is first
    assert first.storage_path == target
    # The app's own folder is the default session's profile.
    assert app.session.from_path(data_dir) is app.session.default_session
    persist = app.session.from_partition("persist:shop")
    assert persist.storage_path is not None
    assert app.session.from_path(persist.storage_path) is persist
