"""HTTP and proxy authentication: Electron's ``login`` event, for a session.

Electron asks for credentials with a ``login`` event on the ``WebContents`` that made the
request, which forwards it to ``app`` first; cdpsession raises it on the ``Session`` (its
``app``: one per session here), then on the ``WebContents`` (when the request has one).

The challenges come from the helper extension's ``chrome.webRequest.onAuthRequired``
(``asyncBlocking``), which sees every challenge of the profile, from a site (401) or a proxy
(407, also for ``CONNECT`` tunnels), pages, workers and service workers alike, and costs
nothing per request: unlike CDP's ``Fetch.authRequired``, which is only reported for
requests that Fetch pauses (every request, while a handler is set). The extension runs from
the session's start: without a listener it cancels every challenge, as Electron does (headless
Chromium alone would fail navigations and leave a page's fetch waiting forever);
``chrome.debugger.getTargets`` maps the request's tab to its page.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import trio

from ._errors import BrowserClosedError
from ._events import Event

if TYPE_CHECKING:
    from ._events import EventEmitter
    from ._host import Host, Target
    from ._session import Session
    from ._web_contents import WebContents

__all__ = ["Login", "LoginCallback"]

log = logging.getLogger("cdpsession")

_BINDING = "cdpsessionAuthRequired"


class LoginCallback:
    """Electron's ``callback([username, password])`` of one challenge.

    Called with a username (and password): the credentials are sent. Called with nothing:
    the challenge is cancelled (the page gets the 401 or 407 response). Only the first call
    counts.
    """

    def __init__(self) -> None:
        self.answered = trio.Event()
        self.credentials: tuple[str, str] | None = None

    def __call__(self, username: str | None = None, password: str | None = None) -> None:
        if self.answered.is_set():
            log.warning("login callback called more than once; the first answer stands")
            return
        if username is not None:
            if not isinstance(username, str) or not isinstance(password, str | None):
                raise TypeError("login callback takes (username: str, password: str)")
            self.credentials = (username, password or "")
        self.answered.set()

    def answer(self, value: Any) -> None:
        """A listener's return value as the answer: ``(username, password)``."""
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            self(*value)
        else:
            raise TypeError(f"a login listener returns (username, password) or None, not {value!r}")


async def _run(emitter: EventEmitter, args: tuple[Any, ...], callback: LoginCallback) -> None:
    # Listeners in order, to completion (an async one is awaited): prevent_default() and a
    # callback() made by any of them count before the default answer is chosen. A listener
    # may instead return (username, password).
    event: Event = args[0]
    for listener in emitter._take("login"):
        result = listener(*args)
        if inspect.isawaitable(result):
            result = await result
        if result is not None and not callback.answered.is_set():
            event.prevent_default()
            callback.answer(result)


class Login:
    """One session's handling of authentication challenges (the ``login`` event)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # The host, the helper extension's worker and whether challenges go to Python.
        self._applied: tuple[Host, Target, bool] | None = None
        self._lock = trio.Lock()

    def wanted(self) -> bool:
        """Whether anyone listens for ``login`` (on the session or one of its pages)."""
        session = self._session
        return session.listener_count("login") > 0 or any(
            wc.listener_count("login") for wc in session._web_contents.values()
        )

    def pending(self, host: Host) -> bool:
        """Whether the browser does not yet know if challenges go to Python.

        Also after the helper extension's worker crashed (it is made again without it).
        """
        applied = self._applied
        return (
            applied is None
            or applied[0] is not host
            or applied[1].gone.is_set()
            or applied[2] != self.wanted()
        )

    def changed(self) -> None:
        """Listeners were added or removed: tell the browser in the background."""
        host = self._session._host
        if host is not None and host.alive and self.pending(host):
            self._session._app._spawn(lambda: self.sync(host))

    async def sync(self, host: Host) -> None:
        """Make the helper extension send challenges to Python exactly while it is wanted."""
        async with self._lock:
            wanted = self.wanted()
            if not self.pending(host):
                return
            try:
                if wanted:
                    ext = await host.extension_binding(
                        _BINDING, lambda payload: self._on_challenge(host, payload)
                    )
                else:
                    ext = await host.helper_extension()
                # Challenges already handed to Python are still answered from here.
                await host.call(
                    "Runtime.evaluate",
                    {"expression": f"self.cdpsession.authWanted = {json.dumps(wanted)}"},
                    ext.worker.session_id,
                )
            except BrowserClosedError:
                return  # its successor is set up when it starts
            self._applied = (host, ext.worker, wanted)

    def _on_challenge(self, host: Host, payload: str) -> None:
        self._session._app._spawn(lambda: self._answer(host, payload))

    async def _answer(self, host: Host, payload: str) -> None:
        info = json.loads(payload)
        answer: dict[str, Any] = {"cancel": True}
        ext = await host.helper_extension()
        worker = ext.worker.session_id
        try:
            credentials = await self._ask(host, worker, info)
            if credentials is not None:
                username, password = credentials
                answer = {"authCredentials": {"username": username, "password": password}}
        finally:
            # Answered whatever happened (a listener's exception, cancellation): a challenge
            # left waiting would hang its request.
            expression = (
                f"self.cdpsession.answerAuth({json.dumps(info['id'])}, {json.dumps(answer)})"
            )
            with (
                trio.CancelScope(shield=True),
                trio.move_on_after(5),
                contextlib.suppress(BrowserClosedError),
            ):
                await host.call("Runtime.evaluate", {"expression": expression}, worker)

    async def _ask(self, host: Host, worker: str, info: dict[str, Any]) -> tuple[str, str] | None:
        """Run the ``login`` listeners; the credentials to send, or None to cancel."""
        session = self._session
        web_contents: WebContents | None = None
        if isinstance(info.get("tabId"), int) and info["tabId"] >= 0:
            reply = await host.call(
                "Runtime.evaluate",
                {
                    "expression": f"self.cdpsession.targetOfTab({info['tabId']})",
                    "awaitPromise": True,
                    "returnByValue": True,
                },
                worker,
            )
            target_id = reply.get("result", {}).get("value")
            if isinstance(target_id, str):
                web_contents = session._web_contents.get(target_id)
        details = {"url": str(info.get("url", ""))}
        auth_info = {
            "isProxy": bool(info.get("isProxy")),
            "scheme": str(info.get("scheme", "")).lower(),
            "host": str(info.get("host", "")),
            "port": int(info.get("port") or 0),
            "realm": str(info.get("realm", "")),
        }
        event = Event()
        callback = LoginCallback()
        # As Electron, where a WebContents forwards its "login" to app before its own
        # listeners run: the session's listeners first, then the page's, one event for all.
        if session.listener_count("login"):
            await _run(session, (event, web_contents, details, auth_info, callback), callback)
        if web_contents is not None and web_contents.listener_count("login"):
            await _run(web_contents, (event, details, auth_info, callback), callback)
        if not event.default_prevented:
            if callback.answered.is_set():
                log.warning("login callback called without event.prevent_default(): ignored")
            return None
        # As in Electron, the request waits until a listener calls back (maybe later).
        await callback.answered.wait()
        return callback.credentials
