"""The exceptions cdpsession raises.

One root, so callers can catch everything cdpsession means with one clause::

    CDPSessionError
    ├── LaunchError            Chromium could not be found or started (argv, stderr tail)
    ├── BrowserClosedError     the browser (or the connection to it) went away
    │   └── TargetClosedError  the page or worker a command was for went away
    ├── ProtocolError          Chromium answered a command with an error (method, code, message)
    ├── NavigationError        a page load failed (url, Chromium's net error text)
    ├── JavaScriptError        script run in a page threw (the exception's description)
    ├── EventOverflowError     an event subscriber fell too far behind the browser
    └── UnsupportedError       Chromium cannot do what Electron does (what, why)

Misuse (bad arguments) is not on this tree: it raises ``TypeError`` or ``ValueError`` with
Electron's message text where Electron has one.
"""

from __future__ import annotations

from collections.abc import Sequence


class CDPSessionError(Exception):
    """Root of every error cdpsession raises for something other than misuse."""


class LaunchError(CDPSessionError):
    """Chromium could not be found, started, or did not answer in time.

    Attributes:
        argv: the command line that was run (empty when no browser was found).
        stderr_tail: the last lines Chromium wrote to stderr, when any.
    """

    def __init__(self, message: str, *, argv: Sequence[str] = (), stderr_tail: str = "") -> None:
        self.argv = tuple(argv)
        self.stderr_tail = stderr_tail
        text = message
        if stderr_tail:
            text += f"\n--- chromium stderr (tail) ---\n{stderr_tail}"
        super().__init__(text)


class BrowserClosedError(CDPSessionError):
    """The browser went away (closed, crashed, killed) before answering."""


class TargetClosedError(BrowserClosedError):
    """The page, frame or worker a command was sent to went away before answering."""


class ProtocolError(CDPSessionError):
    """Chromium answered a command with a CDP error.

    Attributes:
        method: the CDP method that failed, e.g. ``"Page.navigate"``.
        code: the JSON-RPC error code Chromium sent (``-32601`` for an unknown method).
        message: Chromium's error message.
        data: Chromium's optional ``data`` field.
    """

    def __init__(self, method: str, code: int, message: str, data: str | None = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        detail = f" ({data})" if data else ""
        super().__init__(f"{method}: {message} [code {code}]{detail}")


class NavigationError(CDPSessionError):
    """A page load failed.

    ``error_text`` is Chromium's net error, e.g. ``net::ERR_CONNECTION_REFUSED``.
    """

    def __init__(self, url: str, error_text: str) -> None:
        self.url = url
        self.error_text = error_text
        super().__init__(f"{error_text} loading {url!r}")


class JavaScriptError(CDPSessionError):
    """Script evaluated in a page threw; ``description`` is the exception as the page printed it."""

    def __init__(self, description: str) -> None:
        self.description = description
        super().__init__(description)


class EventOverflowError(CDPSessionError):
    """An event subscription buffered more events than its limit without reading them."""


class UnsupportedError(CDPSessionError):
    """Chromium cannot do what Electron does here.

    Attributes:
        what: the Electron member or option concerned.
        why: the reason, naming the Chromium limit.
    """

    def __init__(self, what: str, why: str) -> None:
        self.what = what
        self.why = why
        super().__init__(f"{what} is not supported: {why}")
