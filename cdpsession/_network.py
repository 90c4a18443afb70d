"""Session-wide network emulation (Electron ``ses.enableNetworkEmulation``).

CDP throttles per target: each page, out-of-process iframe, dedicated, shared and service
worker has its own DevTools session, and conditions act on a target only while its
``Network`` domain is enabled. So the session registers a setup hook that gives every new
target the current conditions before it runs, and pushes a change to every target already
attached. ``Network.emulateNetworkConditions`` is deprecated in Chromium 156: the
non-deprecated pair is ``Network.emulateNetworkConditionsByRule`` (the requests) and
``Network.overrideNetworkState`` (``navigator.onLine`` and ``navigator.connection``).
"""

from __future__ import annotations

import json
import math
import urllib.parse
from typing import Any

from ._errors import UnsupportedError
from ._options import check_options

__all__ = [
    "EmulationCommands",
    "check_emulation_options",
    "check_preconnect_options",
    "check_resolve_host_options",
    "emulation_commands",
    "ntlm_flags",
    "preconnect_js",
    "ssl_flags",
]

_EMULATION_KEYS = {
    "offline": "offline",
    "latency": "latency",
    "downloadThroughput": "downloadThroughput",
    "download_throughput": "downloadThroughput",
    "uploadThroughput": "uploadThroughput",
    "upload_throughput": "uploadThroughput",
}
_NUMBER_KEYS = ("latency", "downloadThroughput", "uploadThroughput")

EmulationCommands = list[tuple[str, dict[str, Any] | None]]


def check_emulation_options(options: Any) -> dict[str, Any]:
    """Electron's ``enableNetworkEmulation`` options, with their defaults filled in.

    ``offline`` (bool, default False), ``latency`` (ms of round trip), ``downloadThroughput``
    and ``uploadThroughput`` (bytes per second); 0 means "no throttling" for each number.

    Raises:
        TypeError: not a dict, an unknown key, a value of the wrong type.
        ValueError: a negative, infinite or NaN number.
    """
    opts = check_options(
        options, _EMULATION_KEYS, arg="options", what="network emulation option", required=True
    )
    offline = opts.get("offline", False)
    if not isinstance(offline, bool):
        raise TypeError(f"offline must be a bool, not {type(offline).__name__}")
    out: dict[str, Any] = {"offline": offline}
    for key in _NUMBER_KEYS:
        value = opts.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{key} must be a number, not {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{key} must be a finite number >= 0, not {value!r}")
        out[key] = float(value)
    return out


# Dedicated workers answer Network.overrideNetworkState with "Not supported" (Chromium 156);
# their requests still follow the conditions.
_NO_NETWORK_STATE = frozenset({"worker"})


def emulation_commands(state: dict[str, Any] | None, target_type: str) -> EmulationCommands:
    """The commands that put one target of ``target_type`` under ``state`` (None: none).

    ``Network.enable`` comes first: without it the conditions have no effect on the target.
    """
    if state is None:
        commands: EmulationCommands = [
            ("Network.emulateNetworkConditionsByRule", {"matchedNetworkConditions": []}),
        ]
        if target_type not in _NO_NETWORK_STATE:
            reset = {"offline": False, "latency": 0, "downloadThroughput": -1}
            commands.append(("Network.overrideNetworkState", reset | {"uploadThroughput": -1}))
        return commands
    # CDP's "no throttling" is -1; Electron's is 0.
    conditions = {
        "urlPattern": "",  # every request of the target
        "latency": state["latency"],
        "downloadThroughput": state["downloadThroughput"] or -1,
        "uploadThroughput": state["uploadThroughput"] or -1,
        "offline": state["offline"],
    }
    commands = [
        ("Network.enable", None),
        (
            "Network.emulateNetworkConditionsByRule",
            {
                "matchedNetworkConditions": [conditions],
                "emulateOfflineServiceWorker": state["offline"],
            },
        ),
    ]
    if target_type not in _NO_NETWORK_STATE:
        network_state = {key: value for key, value in conditions.items() if key != "urlPattern"}
        commands.append(("Network.overrideNetworkState", network_state))
    return commands


_PRECONNECT_KEYS = {
    "url": "url",
    "numSockets": "numSockets",
    "num_sockets": "numSockets",
}
_MAX_SOCKETS = 6


def check_preconnect_options(options: Any) -> str:
    """The origin to preconnect to, from Electron's ``preconnect`` options.

    Raises:
        TypeError: Electron's ``"Must pass non-empty valid url to session.preconnect."``,
            ``"numSocketsToPreconnect is outside range [1,6]"``, an unknown key.
        ValueError: a URL that is not http or https (Chromium preconnects nothing else).
        UnsupportedError: ``numSockets`` above 1.
    """
    opts = check_options(options, _PRECONNECT_KEYS, arg="options", what="preconnect option")
    url = opts.get("url")
    parts = None
    if isinstance(url, str) and url:
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018 - raises for a malformed port
        except ValueError:
            parts = None
    if parts is None or not parts.scheme or not parts.hostname:
        raise TypeError("Must pass non-empty valid url to session.preconnect.")
    sockets = opts.get("numSockets", 1)
    if isinstance(sockets, bool) or not isinstance(sockets, int):
        raise TypeError(f"numSockets must be an int, not {type(sockets).__name__}")
    if not 1 <= sockets <= _MAX_SOCKETS:
        raise TypeError(f"numSocketsToPreconnect is outside range [1,{_MAX_SOCKETS}]")
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"preconnect needs an http or https URL, not {url!r}")
    if sockets > 1:
        raise UnsupportedError(
            f"preconnect(numSockets={sockets})",
            "a client can only ask Chromium for a <link rel=preconnect>, which opens one socket",
        )
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme.lower()}://{netloc}"


def preconnect_js(origin: str) -> str:
    """Script for a hidden page: one ``<link rel=preconnect>`` to ``origin`` (credentialed)."""
    return (
        "(() => { const link = document.createElement('link'); link.rel = 'preconnect';"
        f" link.href = {json.dumps(origin)}; document.head.appendChild(link);"
        " link.remove(); })()"
    )


_SSL_KEYS = {
    "minVersion": "minVersion",
    "min_version": "minVersion",
    "maxVersion": "maxVersion",
    "max_version": "maxVersion",
    "disabledCipherSuites": "disabledCipherSuites",
    "disabled_cipher_suites": "disabledCipherSuites",
}
_MIN_VERSIONS = ("tls1", "tls1.1", "tls1.2", "tls1.3")
_MAX_VERSIONS = ("tls1.2", "tls1.3")


def ssl_flags(config: Any) -> tuple[str, ...]:
    """Chromium's flags for Electron's ``setSSLConfig(config)``.

    ``minVersion`` ``tls1``/``tls1.1``/``tls1.2`` need no flag: Chromium negotiates nothing
    below TLS 1.2 any more. ``maxVersion`` ``tls1.3`` is the default.

    Raises:
        TypeError: not a dict, an unknown key, a wrong type.
        ValueError: an unknown version, ``minVersion`` above ``maxVersion``, a cipher suite
            that is not a 16-bit number.
    """
    opts = check_options(config, _SSL_KEYS, arg="config", what="SSL config option", required=True)
    low = opts.get("minVersion", "tls1")
    high = opts.get("maxVersion", "tls1.3")
    for key, value, allowed in (
        ("minVersion", low, _MIN_VERSIONS),
        ("maxVersion", high, _MAX_VERSIONS),
    ):
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a str, not {type(value).__name__}")
        if value not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
    if _MIN_VERSIONS.index(low) > _MIN_VERSIONS.index(high):
        raise ValueError(f"minVersion {low!r} is above maxVersion {high!r}")
    suites = opts.get("disabledCipherSuites", [])
    if not isinstance(suites, list | tuple):
        raise TypeError("disabledCipherSuites must be a list of int")
    for suite in suites:
        if isinstance(suite, bool) or not isinstance(suite, int):
            raise TypeError(f"disabledCipherSuites takes ints, not {type(suite).__name__}")
        if not 0 <= suite <= 0xFFFF:
            raise ValueError(f"cipher suite {suite!r} is not a 16-bit number (0xAABB)")
    flags = []
    if low == "tls1.3":
        flags.append("--ssl-version-min=tls1.3")
    if high == "tls1.2":
        flags.append("--ssl-version-max=tls1.2")
    if suites:
        listed = ",".join(f"0x{suite:04x}" for suite in dict.fromkeys(suites))
        flags.append(f"--cipher-suite-blacklist={listed}")
    return tuple(flags)


def ntlm_flags(domains: Any) -> tuple[str, ...]:
    """Chromium's flag for Electron's ``allowNTLMCredentialsForDomains(domains)``.

    Raises:
        TypeError: ``domains`` is not a str.
        ValueError: a control character in it.
    """
    if not isinstance(domains, str):
        raise TypeError(f"domains must be a str, not {type(domains).__name__}")
    if any(ord(ch) < 0x20 for ch in domains):
        raise ValueError("domains must not contain control characters")
    listed = ",".join(part.strip() for part in domains.split(",") if part.strip())
    return (f"--auth-server-allowlist={listed}",) if listed else ()


_RESOLVE_KEYS = {
    "queryType": "queryType",
    "query_type": "queryType",
    "source": "source",
    "cacheUsage": "cacheUsage",
    "cache_usage": "cacheUsage",
    "secureDnsPolicy": "secureDnsPolicy",
    "secure_dns_policy": "secureDnsPolicy",
}
_RESOLVE_CHOICES = {
    "queryType": ("A", "AAAA"),
    "source": ("any", "system", "dns", "mdns", "localOnly"),
    "cacheUsage": ("allowed", "staleAllowed", "disallowed"),
    "secureDnsPolicy": ("allow", "disable"),
}
_RESOLVE_UNSUPPORTED = {
    ("source", "mdns"): "no way to ask Chromium's resolver for multicast DNS alone",
    ("source", "localOnly"): "no way to ask Chromium's resolver to answer from its cache only",
    ("secureDnsPolicy", "disable"): (
        "no way to make Chromium's resolver skip secure DNS for one lookup"
    ),
}


def check_resolve_host_options(host: Any, options: Any) -> tuple[str, dict[str, str]]:
    """Electron's ``resolveHost(host, options)`` arguments, with defaults filled in.

    Raises:
        TypeError: ``host`` not a str, an unknown option, an option that is not a str.
        ValueError: an option value that is not one of Electron's (Electron ignores those
            silently: a typo like ``queryType: "AAA"`` would ask for both families).
        UnsupportedError: ``source`` ``mdns`` or ``localOnly``, ``secureDnsPolicy``
            ``disable``.
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str, not {type(host).__name__}")
    opts = check_options(options, _RESOLVE_KEYS, arg="options", what="resolve_host option")
    out = {"source": "any", "cacheUsage": "allowed", "secureDnsPolicy": "allow"}
    for key, value in opts.items():
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a str, not {type(value).__name__}")
        choices = _RESOLVE_CHOICES[key]
        if value not in choices:
            raise ValueError(f"{key} must be one of {', '.join(choices)}, not {value!r}")
        why = _RESOLVE_UNSUPPORTED.get((key, value))
        if why is not None:
            raise UnsupportedError(f"resolve_host({key}={value!r})", why)
        out[key] = value
    return host, out
