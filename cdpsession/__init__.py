"""cdpsession: Electron's ``session`` API for Python, on real headless Chromium.

A trio-based client that launches Chromium, speaks the Chrome DevTools Protocol to it over
``--remote-debugging-pipe``, and gives Electron's ``Session`` members Python twins.
"""

from ._app import App as App
from ._app import open_app as open_app
from ._cookies import Cookies as Cookies
from ._downloads import DownloadItem as DownloadItem
from ._errors import BrowserClosedError as BrowserClosedError
from ._errors import CDPSessionError as CDPSessionError
from ._errors import EventOverflowError as EventOverflowError
from ._errors import JavaScriptError as JavaScriptError
from ._errors import LaunchError as LaunchError
from ._errors import NavigationError as NavigationError
from ._errors import ProtocolError as ProtocolError
from ._errors import TargetClosedError as TargetClosedError
from ._errors import UnsupportedError as UnsupportedError
from ._events import Event as Event
from ._events import EventWaiter as EventWaiter
from ._http import Request as Request
from ._http import Response as Response
from ._net_internals import NetworkError as NetworkError
from ._protocol import Protocol as Protocol
from ._session import Session as Session
from ._session import SessionModule as SessionModule
from ._storage import ClearDataError as ClearDataError
from ._web_contents import WebContents as WebContents
from ._web_request import WebRequest as WebRequest

__version__ = "0.1.0.dev0"

__all__ = [
    "App",
    "BrowserClosedError",
    "CDPSessionError",
    "ClearDataError",
    "Cookies",
    "DownloadItem",
    "Event",
    "EventOverflowError",
    "EventWaiter",
    "JavaScriptError",
    "LaunchError",
    "NavigationError",
    "NetworkError",
    "Protocol",
    "ProtocolError",
    "Request",
    "Response",
    "Session",
    "SessionModule",
    "TargetClosedError",
    "UnsupportedError",
    "WebContents",
    "WebRequest",
    "open_app",
]
