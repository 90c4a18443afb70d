"""Storage, cache and auth-cache clearing of a session (the ``clear*`` members of ``Session``).

Per-profile commands that the browser session refuses run on the helper extension's worker,
the one hidden target of the profile: ``Storage.clearDataForOrigin`` and
``Network.clearBrowserCache`` there act on the whole profile. ``clear_data`` and
``clear_auth_cache`` use ``chrome.browsingData``, Chromium's own data remover, which matches
origins at the registrable-domain level for cookies as Electron's ``clearData`` does.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING, Any

from ._cookies import CookieURL
from ._errors import CDPSessionError, UnsupportedError
from ._options import check_options

if TYPE_CHECKING:
    from ._host import Host, Target
    from ._session import Session

# Electron's clearStorageData names -> CDP Storage.StorageType (websql is gone from Chromium).
STORAGE_TYPES = {
    "cookies": "cookies",
    "filesystem": "file_systems",
    "indexdb": "indexeddb",
    "localstorage": "local_storage",
    "shadercache": "shader_cache",
    "serviceworkers": "service_workers",
    "cachestorage": "cache_storage",
    "websql": None,
}
_QUOTAS = frozenset({"temporary", "persistent", "syncable"})
_STORAGE_KEYS = {"origin": "origin", "storages": "storages", "quotas": "quotas"}

# Electron's clearData dataTypes -> chrome.browsingData.DataTypeSet keys.
DATA_TYPES: dict[str, tuple[str, ...]] = {
    "backgroundFetch": (),
    "cache": ("cache", "cacheStorage"),
    "cookies": ("cookies",),
    "downloads": ("downloads",),
    "fileSystems": ("fileSystems",),
    "indexedDB": ("indexedDB",),
    "localStorage": ("localStorage",),
    "serviceWorkers": ("serviceWorkers",),
    "webSQL": (),
}
_CLEAR_DATA_KEYS = {
    "dataTypes": "dataTypes",
    "data_types": "dataTypes",
    "origins": "origins",
    "excludeOrigins": "excludeOrigins",
    "exclude_origins": "excludeOrigins",
    "avoidClosingConnections": "avoidClosingConnections",
    "avoid_closing_connections": "avoidClosingConnections",
    "originMatchingMode": "originMatchingMode",
    "origin_matching_mode": "originMatchingMode",
}
_CODE_CACHE_KEYS = {"urls": "urls"}
_CACHE_FOLDER = ("Default", "Cache")


class ClearDataError(CDPSessionError):
    """``clear_data`` could not clear some data types (Electron's "Failed to clear data").

    Attributes:
        failed_data_types: the Electron data type names that failed.
    """

    def __init__(self, failed_data_types: list[str], why: str) -> None:
        self.failed_data_types = failed_data_types
        super().__init__(f"Failed to clear data ({why})")


def _str_list(arg: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{arg} must be a list of str")
    return list(value)


def _serialized_origin(text: str) -> str | None:
    """``scheme://host[:port]`` of a tuple origin, None for an opaque or malformed one."""
    url = CookieURL.parse(text)
    if url is None or url.scheme not in ("http", "https", "ws", "wss"):
        return None
    default = 443 if url.scheme in ("https", "wss") else 80
    suffix = f":{url.port}" if url.port != default else ""
    return f"{url.scheme}://{url.host}{suffix}"


def check_clear_storage_options(options: Any) -> tuple[str, list[str] | None]:
    """``(origin, CDP storage types)`` for Electron ``clearStorageData`` options.

    ``None`` types means all; an empty list means nothing to clear.
    """
    opts = check_options(options, _STORAGE_KEYS, arg="options", what="clear_storage_data option")
    origin = opts.get("origin", "")
    if not isinstance(origin, str):
        raise TypeError(f"origin must be a str, not {type(origin).__name__}")
    if origin and origin.lower() != "file://" and _serialized_origin(origin) is None:
        raise ValueError(f"origin {origin!r} is not an origin (scheme://host[:port])")
    quotas = _str_list("quotas", opts.get("quotas", []))
    unknown = sorted({q.lower() for q in quotas} - _QUOTAS)
    if unknown:
        raise ValueError(
            f"unknown quota type {unknown[0]!r} (known: persistent, syncable, temporary)"
        )
    if "storages" not in opts:
        return origin, None
    types: list[str] = []
    for name in _str_list("storages", opts["storages"]):
        # Case-insensitive, unknown names dropped (Electron).
        cdp = STORAGE_TYPES.get(name.lower())
        if cdp is not None and cdp not in types:
            types.append(cdp)
    return origin, types


async def clear_storage_data(session: Session, options: Any) -> None:
    origin, types = check_clear_storage_options(options)
    if types == []:
        return
    host, worker = await worker_target(session)
    await host.call(
        "Storage.clearDataForOrigin",
        {"origin": origin, "storageTypes": ",".join(types) if types else "all"},
        worker,
    )
    if types is None or "local_storage" in types:
        await _clear_open_local_storage(host, origin)


def _page_origin(url: str) -> str | None:
    if url[:5].lower() == "file:":
        return "file://"
    return _serialized_origin(url)


async def _clear_open_local_storage(host: Host, origin: str) -> None:
    # A page's localStorage write may reach the storage backend after the clear above (the
    # page sends it on its own connection), which then keeps the item for good. Clearing
    # through each open page of the origin as well (CDP DOMStorage.clear goes the page's
    # way) orders the clear after the page's own writes.
    wanted = origin.lower() if origin.lower() == "file://" else _serialized_origin(origin)

    def commands(target: Target) -> list[tuple[str, dict[str, Any] | None]]:
        page_origin = _page_origin(target.url)
        if target.type not in ("page", "iframe") or page_origin is None:
            return []
        if origin and page_origin != wanted:
            return []
        storage_id = {"securityOrigin": page_origin, "isLocalStorage": True}
        return [("DOMStorage.clear", {"storageId": storage_id})]

    await host.broadcast(commands)


def check_clear_data_options(options: Any) -> tuple[dict[str, Any], dict[str, bool], list[str]]:
    """``(browsingData options, DataTypeSet, Electron types asked)`` for ``clearData``."""
    opts = check_options(options, _CLEAR_DATA_KEYS, arg="options", what="clear_data option")
    if "origins" in opts and "excludeOrigins" in opts:
        raise TypeError("Cannot provide both 'origins' and 'excludeOrigins'")
    removal: dict[str, Any] = {"since": 0}
    for key in ("origins", "excludeOrigins"):
        if key in opts:
            origins = []
            for text in _str_list(key, opts[key]):
                origin = _serialized_origin(text)
                if origin is None:
                    raise TypeError(f"Invalid origin: '{text}'")
                origins.append(origin)
            if origins or key == "origins":
                removal[key] = origins  # excludeOrigins=[] excludes nothing
    avoid = opts.get("avoidClosingConnections", False)
    if not isinstance(avoid, bool):
        raise TypeError("avoidClosingConnections must be a bool")
    if avoid:
        raise UnsupportedError(
            "clear_data(avoidClosingConnections=True)",
            "Chromium's browsing-data remover, the only one reachable, always closes them",
        )
    mode = opts.get("originMatchingMode", "third-parties-included")
    if mode not in ("third-parties-included", "origin-in-all-contexts"):
        raise TypeError(
            "originMatchingMode must be 'third-parties-included' or 'origin-in-all-contexts'"
        )
    if mode != "third-parties-included":
        raise UnsupportedError(
            "clear_data(originMatchingMode='origin-in-all-contexts')",
            "chrome.browsingData always includes third-party contexts",
        )
    if "dataTypes" in opts:
        asked = _str_list("dataTypes", opts["dataTypes"])
        for name in asked:
            if name not in DATA_TYPES:
                known = ", ".join(sorted(DATA_TYPES))
                raise ValueError(f"unknown data type {name!r} (known, case-sensitive: {known})")
        if "backgroundFetch" in asked:
            raise UnsupportedError(
                "clear_data(dataTypes=['backgroundFetch'])",
                "neither CDP nor chrome.browsingData clears Background Fetch alone; "
                "'serviceWorkers' removes it with the registrations that own it",
            )
        if "downloads" in asked and len(removal) > 1:
            raise UnsupportedError(
                "clear_data(dataTypes=['downloads']) with origins or excludeOrigins",
                "chrome.browsingData cannot filter the download history by origin",
            )
    else:
        # Everything that can be cleared; with an origin filter, everything filterable.
        unfilterable = (
            ("backgroundFetch", "downloads") if len(removal) > 1 else ("backgroundFetch",)
        )
        asked = [name for name in DATA_TYPES if name not in unfilterable]
    data_types = {key: True for name in asked for key in DATA_TYPES[name]}
    return removal, data_types, asked


async def clear_data(session: Session, options: Any) -> None:
    removal, data_types, asked = check_clear_data_options(options)
    if not data_types or removal.get("origins") == []:
        return  # nothing asked for, or no origin to clear
    try:
        await remove_browsing_data(session, removal, data_types)
    except _RemoveError as exc:
        raise ClearDataError(asked, exc.text) from None


class _RemoveError(Exception):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)


async def remove_browsing_data(
    session: Session, removal: dict[str, Any], data_types: dict[str, bool]
) -> None:
    """``chrome.browsingData.remove(removal, data_types)`` in the helper extension."""
    host, worker = await worker_target(session)
    expression = (
        f"self.cdpsession.removeBrowsingData({json.dumps(removal)}, {json.dumps(data_types)})"
    )
    reply = await host.call(
        "Runtime.evaluate",
        {"expression": expression, "awaitPromise": True, "returnByValue": True},
        worker,
    )
    details = reply.get("exceptionDetails")
    if details is not None:
        thrown = details.get("exception") or {}
        raise _RemoveError(str(thrown.get("description") or details.get("text", "")))


_RESTORED_FIELDS = (
    "name",
    "value",
    "domain",
    "path",
    "secure",
    "httpOnly",
    "sameSite",
    "priority",
    "sourceScheme",
    "sourcePort",
    "partitionKey",
)


def _identity(cookie: dict[str, Any]) -> tuple[str, str, str, str]:
    return cookie["name"], cookie["domain"], cookie["path"], str(cookie.get("partitionKey"))


# chrome.browsingData's "cookies" remover is the only way to Chromium's HTTP auth cache. Limited
# to "protectedWeb" origins (installed hosted apps, which a cdpsession profile has none of) it
# deletes no cookie; the auth cache knows no origin types and is cleared whole (Chromium 156).
_AUTH_CACHE_ONLY = {"since": 0, "originTypes": {"protectedWeb": True}}


async def clear_auth_cache(session: Session) -> None:
    await remove_browsing_data(session, _AUTH_CACHE_ONLY, {"cookies": True})


async def restore_cookies(session: Session, host: Host, snapshot: list[dict[str, Any]]) -> None:
    """Put back the cookies of ``snapshot`` (CDP ``Network.Cookie`` dicts) the store lacks.

    A cookie written since the snapshot (a page, a concurrent set) is newer and stays.
    Muted: ``cookies.on("changed")`` does not report the restored ones.
    """
    now = (await host.call("Storage.getCookies")).get("cookies", [])
    written = {_identity(c) for c in now}
    restore, entries = [], []
    for cookie in snapshot:
        if _identity(cookie) in written:
            continue
        entry = {key: cookie[key] for key in _RESTORED_FIELDS if key in cookie}
        if not cookie.get("session"):
            entry["expires"] = cookie["expires"]
        restore.append(cookie)
        entries.append(entry)
    if entries:
        session.cookies._mute_inserts(restore)
        await host.call("Storage.setCookies", {"cookies": entries})


async def worker_target(session: Session) -> tuple[Host, str]:
    """The session's host and the CDP session of its helper extension's worker."""
    host = await session._ensure_host()
    ext = await host.helper_extension()
    return host, ext.worker.session_id


async def clear_cache(session: Session) -> None:
    host, worker = await worker_target(session)
    await host.call("Network.clearBrowserCache", None, worker)


def check_code_cache_options(options: Any) -> None:
    opts = check_options(options, _CODE_CACHE_KEYS, arg="options", what="clear_code_caches option")
    if _str_list("urls", opts.get("urls", [])):
        raise UnsupportedError(
            "clear_code_caches(urls=[...])",
            "Chromium clears its code cache only as a whole (Network.clearBrowserCache)",
        )


def folder_size(path: str) -> int:
    """Bytes of every file under ``path`` (0 when it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):  # removed while walking
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def cache_folder(profile: str) -> str:
    """Where the profile folder ``profile`` keeps its HTTP cache."""
    return os.path.join(profile, *_CACHE_FOLDER)
