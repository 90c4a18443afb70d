"""``WebContents``: the minimal page object the session API hands out."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import trio

from ._cdp.generated import page as cdp_page
from ._cdp.generated import runtime
from ._cdp.generated import target as cdp_target
from ._errors import (
    BrowserClosedError,
    JavaScriptError,
    NavigationError,
    ProtocolError,
    TargetClosedError,
)
from ._events import Event, EventEmitter
from ._protocol import check_navigable

if TYPE_CHECKING:
    from ._host import Host, Target
    from ._session import Session
    from ._wire import Event as CDPEvent

_ids = itertools.count(1)


class WebContents(EventEmitter):
    """A page of a session (Electron ``WebContents``, the subset the session API needs).

    Events: ``did-finish-load`` ``(event)`` when the main frame's ``load`` fired
    (``Page.loadEventFired``); ``destroyed`` ``()`` when the page went away.
    Made by :meth:`Session.open_page`; not constructed by users.
    """

    def __init__(self, session: Session, host: Host, target: Target) -> None:
        super().__init__(session._app._spawn, session._app._fail)
        self.id = next(_ids)
        self.session = session
        self._host = host
        self._target = target
        self._destroyed = False
        self._listener = host.connection.listen(
            self._on_load, "Page.loadEventFired", session_id=target.session_id
        )

    def __repr__(self) -> str:
        return f"<WebContents id={self.id} url={self._target.url!r}>"

    def _on_load(self, _event: CDPEvent) -> None:
        self.emit("did-finish-load", Event())

    def _listeners_changed(self, event: str) -> None:
        if event == "login":
            self.session._login.changed()

    def _on_gone(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        self._listener.remove()
        self.emit("destroyed")

    def is_destroyed(self) -> bool:
        """True once the page is closed or its browser went away (Electron ``isDestroyed``)."""
        return (
            self._destroyed or self._target.gone.is_set() or self._host.connection.closed.is_set()
        )

    def get_url(self) -> str:
        """The URL of the main frame (Electron ``getURL``).

        Tracked from ``Target.targetInfoChanged``, so it needs no round trip.
        """
        return self._target.url

    def _check_alive(self) -> None:
        if self.is_destroyed():
            raise TargetClosedError(f"WebContents {self.id} is destroyed")

    async def load_url(self, url: str) -> None:
        """Navigate the main frame to ``url`` and wait for its ``load`` event.

        Electron ``webContents.loadURL``. CDP: ``Page.navigate``, ``Page.lifecycleEvent``.
        An HTTP error status (404, 500) still loads; only a failed load raises.

        Raises:
            TypeError: ``url`` is not a str.
            UnsupportedError: ``url`` has a custom scheme the session's ``protocol``
                handles (Chromium navigates only to schemes it knows).
            NavigationError: the load failed, with Chromium's net error text
                (``net::ERR_CONNECTION_REFUSED``, ``net::ERR_INVALID_URL`` ...).
            TargetClosedError: the page was closed meanwhile.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        self._check_alive()
        check_navigable(self.session, url)
        await self.session._settle(self._host, requests=True)
        session_id = self._target.session_id
        conn = self._host.connection
        with conn.subscribe("Page.lifecycleEvent", session_id=session_id) as events:
            try:
                reply = await conn.send(cdp_page.navigate(url=url), session_id)
            except ProtocolError as exc:
                if "invalid URL" in exc.message or "Invalid URL" in exc.message:
                    raise NavigationError(url, "net::ERR_INVALID_URL") from None
                raise
            error = reply.get("errorText")
            if error:
                raise NavigationError(url, error)
            loader_id = reply.get("loaderId")
            frame_id = reply.get("frameId")
            if not loader_id:
                return  # same-document navigation: nothing more will load
            async for event in events:
                params = event.params
                if (
                    params.get("name") == "load"
                    and params.get("loaderId") == loader_id
                    and params.get("frameId") == frame_id
                ):
                    return
        raise TargetClosedError(f"WebContents {self.id} went away while loading {url!r}")

    async def execute_java_script(self, code: str, user_gesture: bool = False) -> Any:
        """Evaluate ``code`` in the main frame; await a returned promise; return the value.

        Electron ``webContents.executeJavaScript``. CDP: ``Runtime.evaluate`` with
        ``awaitPromise`` and ``returnByValue`` (so the value must be JSON-like;
        ``undefined`` gives ``None``).

        Raises:
            JavaScriptError: the script threw or its promise rejected.
        """
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, not {type(code).__name__}")
        self._check_alive()
        await self.session._settle(self._host, requests=True)
        reply = await self._host.send(
            runtime.evaluate(
                expression=code,
                await_promise=True,
                return_by_value=True,
                user_gesture=bool(user_gesture),
            ),
            self._target.session_id,
        )
        details = reply.get("exceptionDetails")
        if details is not None:
            thrown = details.get("exception")
            text = details.get("text", "")
            if thrown is not None:
                text = thrown.get("description") or str(thrown.get("value", text))
            raise JavaScriptError(text)
        return reply.get("result", {}).get("value")

    async def download_url(self, url: str, options: dict[str, Any] | None = None) -> None:
        """Download ``url`` (Electron ``webContents.downloadURL(url[, options])``).

        As :meth:`Session.download_url`, with this page as ``will-download``'s third
        argument. CDP: ``chrome.downloads.download`` in the helper extension.
        """
        self._check_alive()
        await self.session._downloads.download_url(url, options, self, "downloadURL")

    async def close(self) -> None:
        """Close the page and wait until it is gone (Electron ``webContents.close``).

        CDP: ``Target.closeTarget``. Closing a destroyed page does nothing.
        """
        if self.is_destroyed():
            return
        try:
            await self._host.before_closing(self._target)
            await self._host.send(cdp_target.close_target(target_id=self._target.target_id))
        except (TargetClosedError, BrowserClosedError):
            return
        except ProtocolError:
            if not self._target.gone.is_set():
                raise
        await self._target.gone.wait()
        # Let the reader's detach callbacks run before returning.
        await trio.lowlevel.checkpoint()
