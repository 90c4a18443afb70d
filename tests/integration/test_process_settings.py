"""Per-process settings: ``set_ssl_config`` (#61) and ``allow_ntlm_credentials_for_domains``.

Chromium reads them only at start, so a running session's browser is relaunched on the same
profile. TLS servers accept one version each; Chromium trusts their leaves by SPKI hash.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import trio
import trustme

import cdpsession
from tests.integration.netservers import TlsServer

pytestmark = pytest.mark.integration

MISMATCH = "net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH"


@pytest.fixture
def tls() -> Iterator[tuple[TlsServer, TlsServer]]:
    ca = trustme.CA()
    # TLS 1.2 with a single suite: TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009c), Electron's #61.
    with (
        TlsServer(versions="tls1.2", ciphers="AES128-GCM-SHA256", ca=ca) as tls12,
        TlsServer(versions="tls1.3", ca=ca) as tls13,
    ):
        yield tls12, tls13


@pytest.fixture
async def tls_app(data_dir: str, tls: tuple[TlsServer, TlsServer]) -> AsyncIterator[cdpsession.App]:
    spki = ",".join(server.spki for server in tls)
    async with cdpsession.open_app(
        data_dir, extra_args=[f"--ignore-certificate-errors-spki-list={spki}"]
    ) as app:
        yield app


async def _load(ses: cdpsession.Session, url: str) -> str:
    """The page text at ``url``, or Chromium's net error."""
    page = await ses.open_page()
    try:
        await page.load_url(url)
        text: str = await page.execute_java_script("document.body.innerText")
    except cdpsession.NavigationError as exc:
        text = exc.error_text
    await page.close()
    return text


def _cmdline(ses: cdpsession.Session) -> list[str]:
    host = ses._host
    assert host is not None
    with open(f"/proc/{host.browser.process.pid}/cmdline", "rb") as f:
        return f.read().decode().split("\0")


@pytest.mark.parametrize("partition", ["persist:ssl", "in-memory-ssl"])
async def test_b61_ssl_config_on_a_running_session_relaunches_and_keeps_its_data(
    tls_app: cdpsession.App, tls: tuple[TlsServer, TlsServer], partition: str
) -> None:
    tls12, tls13 = tls
    with trio.fail_after(90):
        ses = tls_app.session.from_partition(partition)
        assert await _load(ses, tls12.url("/")) == "tls TLSv1.2 /"
        assert await _load(ses, tls13.url("/")) == "tls TLSv1.3 /"
        page = await ses.open_page(tls13.url("/page"))
        await page.execute_java_script("localStorage.setItem('kept', 'yes')")
        await ses.cookies.set({"url": tls12.url("/"), "name": "session", "value": "1"})
        before = ses._host

        await ses.set_ssl_config({"minVersion": "tls1.3"})
        assert ses._host is not before
        assert page.is_destroyed()
        assert await _load(ses, tls12.url("/")) == MISMATCH
        assert await _load(ses, tls13.url("/")) == "tls TLSv1.3 /"
        assert "--ssl-version-min=tls1.3" in _cmdline(ses)
        cookies = await ses.cookies.get({"name": "session"})
        assert [(c["value"], c["session"]) for c in cookies] == [("1", True)]
        again = await ses.open_page(tls13.url("/page"))
        assert await again.execute_java_script("localStorage.getItem('kept')") == "yes"

        await ses.set_ssl_config({"maxVersion": "tls1.2"})
        assert await _load(ses, tls12.url("/")) == "tls TLSv1.2 /"
        assert await _load(ses, tls13.url("/")) == MISMATCH

        await ses.set_ssl_config({"disabledCipherSuites": [0x009C]})
        assert await _load(ses, tls12.url("/")) == MISMATCH
        assert await _load(ses, tls13.url("/")) == "tls TLSv1.3 /"
        assert "--cipher-suite-blacklist=0x009c" in _cmdline(ses)

        await ses.set_ssl_config({})
        assert await _load(ses, tls12.url("/")) == "tls TLSv1.2 /"
        assert not [flag for flag in _cmdline(ses) if flag.startswith(("--ssl", "--cipher"))]


async def test_ssl_config_before_first_use_needs_no_relaunch(
    tls_app: cdpsession.App, tls: tuple[TlsServer, TlsServer]
) -> None:
    tls12, tls13 = tls
    with trio.fail_after(60):
        ses = tls_app.session.from_partition("ssl-early")
        await ses.set_ssl_config({"maxVersion": "tls1.2", "minVersion": "tls1"})
        assert ses._host is None
        assert await _load(ses, tls13.url("/")) == MISMATCH
        first = ses._host
        assert await _load(ses, tls12.url("/")) == "tls TLSv1.2 /"
        await ses.set_ssl_config({"minVersion": "tls1.1", "maxVersion": "tls1.2"})
        assert ses._host is first, "the same flags: nothing to relaunch"


async def test_allow_ntlm_credentials_for_domains_reaches_the_browser(
    app: cdpsession.App,
) -> None:
    with trio.fail_after(60):
        ses = app.session.from_partition("ntlm")
        await ses.allow_ntlm_credentials_for_domains("*example.com, *foobar.com, *baz")
        await ses.open_page()
        assert "--auth-server-allowlist=*example.com,*foobar.com,*baz" in _cmdline(ses)
        await ses.allow_ntlm_credentials_for_domains("*")
        assert "--auth-server-allowlist=*" in _cmdline(ses)
        await ses.allow_ntlm_credentials_for_domains("")
        assert not [flag for flag in _cmdline(ses) if flag.startswith("--auth-server")]


async def test_process_settings_bad_input(app: cdpsession.App) -> None:
    ses = app.session.from_partition("ssl-bad")
    with trio.fail_after(30):
        with pytest.raises(ValueError, match="minVersion must be one of"):
            await ses.set_ssl_config({"minVersion": "tls1.4"})
        with pytest.raises(ValueError, match="maxVersion must be one of"):
            await ses.set_ssl_config({"maxVersion": "tls1.1"})
        with pytest.raises(ValueError, match="above maxVersion"):
            await ses.set_ssl_config({"minVersion": "tls1.3", "maxVersion": "tls1.2"})
        with pytest.raises(TypeError, match="unknown SSL config option"):
            await ses.set_ssl_config({"min": "tls1.2"})
        with pytest.raises(ValueError, match="16-bit"):
            await ses.set_ssl_config({"disabledCipherSuites": [0x10000]})
        with pytest.raises(TypeError):
            await ses.set_ssl_config({"disabledCipherSuites": ["0x009c"]})
        with pytest.raises(TypeError):
            await ses.allow_ntlm_credentials_for_domains(["a"])  # type: ignore[arg-type]
        assert ses._host is None
        assert ses._launch_flags() == []


async def test_cancelled_relaunch_leaves_a_working_session(
    tls_app: cdpsession.App, tls: tuple[TlsServer, TlsServer]
) -> None:
    # Cancelled anywhere in the relaunch, the session must start again on next use, and the
    # in-memory profile handed over must not be left behind (the suite's leak check).
    tls12, tls13 = tls
    with trio.fail_after(120):
        ses = tls_app.session.from_partition("ssl-cancel")
        for i, deadline in enumerate((0.0, 0.01, 0.05, 0.1, 0.3)):
            await ses.open_page()
            version = "tls1.3" if i % 2 else "tls1.2"
            with trio.move_on_after(deadline):
                await ses.set_ssl_config({"maxVersion": version})
        await ses.set_ssl_config({"maxVersion": "tls1.2"})
        assert await _load(ses, tls12.url("/")) == "tls TLSv1.2 /"
        assert await _load(ses, tls13.url("/")) == MISMATCH


@pytest.mark.parametrize("partition", ["in-memory-kept", "persist:kept"])
async def test_cancelled_relaunch_keeps_the_session_data(
    tls_app: cdpsession.App, tls: tuple[TlsServer, TlsServer], partition: str
) -> None:
    _, tls13 = tls
    with trio.fail_after(120):
        ses = tls_app.session.from_partition(partition)
        for i, deadline in enumerate((0.05, 0.1, 0.2, 0.3)):
            page = await ses.open_page(tls13.url("/page"))
            await page.execute_java_script(f"localStorage.setItem('kept', '{i}')")
            await ses.cookies.set({"url": tls13.url("/"), "name": "session", "value": str(i)})
            suite = 0x009C if i % 2 else 0x002F  # a new flag each time: a relaunch
            with trio.move_on_after(deadline):
                await ses.set_ssl_config({"disabledCipherSuites": [suite]})
            again = await ses.open_page(tls13.url("/page"))
            assert await again.execute_java_script("localStorage.getItem('kept')") == str(i)
            cookies = await ses.cookies.get({"name": "session"})
            assert [c["value"] for c in cookies] == [str(i)], deadline
