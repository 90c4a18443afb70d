"""PAC scripts and Electron's ``ses.resolveProxy(url)``, computed in Python.

Chromium answers ``resolveProxy`` from its proxy service; CDP has no command for it. So the
stored config is resolved here the way Chromium 156's ``net/`` code does, and PAC scripts run
in QuickJS with the helper functions Chromium gives them (``_pac_library.js``):

- URLs are canonicalized and sanitized before a script sees them
  (``SanitizeUrlForProxyResolution``: no credentials or fragment; ``https``/``wss`` keep only
  ``scheme://host[:port]/``); ``FindProxyForURL(url, host)`` gets the host without brackets.
- localhost, loopback and link-local URLs never reach a PAC script (``ApplyPacBypassRules``).
- The result string is read as ``ProxyList::SetFromPacString`` reads it and printed as
  ``ToPacString`` prints it: ``PROXY foopy:80;SOCKS5 bar:1080;DIRECT``.
- A script that fails (throws, loops past the time limit, runs out of memory, returns no
  string or non-ASCII) gives ``DIRECT``; in Electron's ``pac_script`` mode the script is
  mandatory and a failure gives ``""``, as ``resolveProxy`` resolves when Chromium refuses.
- Name lookups (``dnsResolve``, ``myIpAddress``, ...) never block a script: it runs against a
  cache, the names it missed are resolved with the injected async resolver, and it runs again,
  as Chromium's tracing resolver does; no thread calls back into Python.

Fixed rules are resolved by the PAC script :func:`~._proxy_config.compile_pac` makes from
them, evaluated here without the PAC-only loopback shortcut, so ``<-loopback>`` works.
"""

from __future__ import annotations

import base64
import codecs
import datetime
import functools
import importlib.resources
import ipaddress
import json
import logging
import re
import socket
import ssl
import urllib.parse
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

import attrs
import quickjs
import trio

from ._errors import CDPSessionError
from ._proxy_config import (
    ProxyConfig,
    ProxyServer,
    compile_pac,
    ip_functions_js,
    proxy_from_host_port,
    system_proxy_config,
)
from ._url import CanonicalURL, canonical_url, ip_literal

__all__ = [
    "WPAD_URL",
    "CanonicalURL",
    "MyAddresses",
    "PacFetchError",
    "PacScript",
    "Resolver",
    "ascii_script",
    "canonical_url",
    "choose_my_addresses",
    "fetch_pac",
    "implicitly_bypassed",
    "my_ip_addresses",
    "pac_url_for",
    "parse_pac_result",
    "resolve_proxy",
]

log = logging.getLogger("cdpsession")

Resolver = Callable[[str], Awaitable[list[str]]]
"""Resolves a host name: its addresses (IPv4 and IPv6 text), ``[]`` if it does not resolve."""

MyAddresses = Callable[[bool], Awaitable[list[str]]]
"""The machine's addresses for ``myIpAddress`` (False) or ``myIpAddressEx`` (True)."""

# Chromium auto-detects with DNS only on Linux (no DHCP): the host "wpad".
WPAD_URL: Final = "http://wpad/wpad.dat"


# Per run of a script: QuickJS interrupts it after this long, or when its heap is full.
_TIME_LIMIT_S = 1.0
_MEMORY_LIMIT = 64 << 20
# A script is run again after each round of name lookups; past these it gives up, as a
# script that keeps asking for new names will never finish.
_MAX_RUNS = 33
_MAX_LOOKUPS = 64

# PacFileFetcherImpl: 1 MiB at most, 30 s; URLRequest follows 20 redirects.
_MAX_PAC_BYTES = 1 << 20
_MAX_REDIRECTS = 20
_MAX_HEADER_BYTES = 64 << 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# The UDP "connections" PacMyIpAddress asks the routing table about (connect() on a UDP
# socket sends nothing): public addresses first, then one per private range.
_PUBLIC_ROUTES = ("8.8.8.8", "2001:4860:4860::8888")
_PRIVATE_ROUTES = ("10.0.0.0", "172.16.0.0", "192.168.0.0", "fc00::")


class PacFetchError(CDPSessionError):
    """A PAC script could not be fetched.

    Attributes:
        url: the script's URL.
        reason: why (an HTTP status, a network error, a timeout, a size limit).
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"could not fetch the PAC script {url!r}: {reason}")


def implicitly_bypassed(url: CanonicalURL) -> bool:
    """``ProxyBypassRules::MatchesImplicitRules``: localhost, loopback and link-local hosts.

    That is ``localhost``, ``*.localhost`` (a trailing dot allowed), 127/8, ``::1``,
    IPv4-mapped 127/8, 169.254/16, ``fe80::/10`` and IPv4-mapped 169.254/16. Chromium sends
    these direct without asking a PAC script (and the fixed rules bypass them unless
    ``<-loopback>`` says otherwise, which the compiled rules handle themselves).
    """
    name = url.host[:-1] if url.host.endswith(".") else url.host
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = ip_literal(url.host_no_brackets)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address == ipaddress.IPv6Address("::1"):
            return True
        else:
            return address in ipaddress.IPv6Network("fe80::/10")
    if address is None:
        return False
    return address.packed[0] == 127 or address.packed[:2] == b"\xa9\xfe"


# --- PAC results -----------------------------------------------------------------------------

_PAC_TYPES = {
    "proxy": "http",
    "https": "https",
    "socks": "socks4",
    "socks4": "socks4",
    "socks5": "socks5",
}


def _pac_element(element: str) -> ProxyServer | None:
    # PacResultElementToProxyChain: "<type> <host>[:<port>]" or "DIRECT"; release Chromium
    # knows no QUIC type.
    text = element.strip(" \t")
    space = len(text)
    for i, char in enumerate(text):
        if char in " \t":
            space = i
            break
    kind, host_and_port = text[:space].lower(), text[space:]
    if kind == "direct" and not host_and_port:
        return ProxyServer("direct")
    scheme = _PAC_TYPES.get(kind)
    return None if scheme is None else proxy_from_host_port(scheme, host_and_port)


def parse_pac_result(text: str) -> str:
    r"""A ``FindProxyForURL`` result as Electron's ``resolveProxy`` prints it.

    ``ProxyList::SetFromPacString`` then ``ToPacString``: ``;``-separated, keywords in any
    case, whitespace ignored, default ports filled in, invalid elements skipped, nothing valid
    is ``DIRECT``: ``"PROXY foopy1 ; proxy foopy2;\t DIRECT"`` is
    ``"PROXY foopy1:80;PROXY foopy2:80;DIRECT"``.
    """
    servers = [server for piece in text.split(";") if piece for server in [_pac_element(piece)]]
    valid = [server.to_pac() for server in servers if server is not None]
    return ";".join(valid) if valid else "DIRECT"


# --- running scripts -------------------------------------------------------------------------


@functools.cache
@functools.cache
def _library() -> str:
    text = importlib.resources.files(__package__).joinpath("_pac_library.js").read_text("utf-8")
    return text.replace("  /*IP_FUNCTIONS*/\n", ip_functions_js())


@attrs.frozen
class _Clock:
    now_ms: float
    offset_ms: float

    @classmethod
    def at(cls, now: datetime.datetime | None) -> _Clock:
        moment = now if now is not None else datetime.datetime.now()
        if moment.tzinfo is None:
            moment = moment.astimezone()
        offset = moment.utcoffset() or datetime.timedelta()
        return cls(moment.timestamp() * 1000.0, offset.total_seconds() * 1000.0)


@attrs.define
class _Answers:
    """What one evaluation has looked up so far: name -> addresses (None: no answer)."""

    names: dict[str, list[str] | None] = attrs.field(factory=dict)
    my: list[str] | None = None
    my_ex: list[str] | None = None

    def state(self, clock: _Clock) -> str:
        dns = {}
        dns_ex = {}
        for name, addresses in self.names.items():
            found = addresses or []
            dns[name] = next((a for a in found if ":" not in a), None)
            dns_ex[name] = ";".join(found)
        state: dict[str, Any] = {"dns": dns, "dnsEx": dns_ex, "now": clock.now_ms}
        state["offset"] = clock.offset_ms
        if self.my is not None:
            state["my"] = self.my[0] if self.my else "127.0.0.1"
        if self.my_ex is not None:
            state["myEx"] = ";".join(self.my_ex)
        return json.dumps(state)

    async def fill(self, run: _Run, resolver: Resolver, my_addresses: MyAddresses | None) -> bool:
        """Look up what ``run`` missed; False when that is more than a script may ask."""
        if len(self.names) + len(run.missing) > _MAX_LOOKUPS:
            return False
        for name in run.missing:
            self.names[name] = await _lookup(name, resolver)
        source = my_addresses or functools.partial(my_ip_addresses, resolver)
        if run.want_my and self.my is None:
            self.my = await source(False)
        if run.want_my_ex and self.my_ex is None:
            self.my_ex = await source(True)
        return True


async def _lookup(name: str, resolver: Resolver) -> list[str] | None:
    # dnsResolve's argument goes to the host resolver, IDNA-encoded when not ASCII (host
    # names are case-insensitive: the resolver gets them in lower case).
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name.lower()
    except UnicodeError:
        return None
    if not name:
        return None
    literal = ip_literal(name)
    if literal is not None:
        return [literal.compressed]
    try:
        found = await resolver(name)
    except (CDPSessionError, OSError):
        return None
    addresses = []
    for text in found:
        address = ip_literal(text)
        if address is not None and address.compressed not in addresses:
            addresses.append(address.compressed)
    return addresses or None


@attrs.frozen
class _Run:
    """One run of script code: its value or error, and the lookups it missed."""

    value: str | None = None
    error: str | None = None
    missing: tuple[str, ...] = ()
    want_my: bool = False
    want_my_ex: bool = False
    alerts: tuple[str, ...] = ()
    broken: bool = False

    @property
    def needs_lookups(self) -> bool:
        return bool(self.missing) or self.want_my or self.want_my_ex


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _ScriptError(Exception):
    """The script ran but is not a usable PAC script."""


class _Runtime:
    """One QuickJS context holding the PAC library and the user's script."""

    def __init__(self, time_limit: float, memory_limit: int) -> None:
        self.context = quickjs.Context()
        self.context.set_memory_limit(memory_limit)
        self.context.set_time_limit(time_limit)
        self.controller = self.context.eval(_library())

    def _healthy(self) -> bool:
        # After running out of memory a QuickJS context fails everything; it is replaced.
        try:
            self.context.eval("0")
        except quickjs.JSException:
            return False
        return True

    def _execute(self, state: str, action: Callable[[], str | None]) -> _Run:
        value: str | None = None
        error: str | None = None
        broken = False
        try:
            self.controller("begin", state)
            value = action()
        except quickjs.JSException as exc:
            error = _first_line(exc)
            # A heap that ran full stays (nearly) full; Chromium's resolver process dies and
            # the script is loaded again, so the context is replaced, state and all.
            broken = "out of memory" in error or error == "null" or not self._healthy()
        except _ScriptError as exc:
            error = str(exc)
        except UnicodeError as exc:  # a string QuickJS cannot hand to Python
            error = f"non-Unicode text: {exc}"
        try:
            report = json.loads(self.controller("end"))
        except (quickjs.JSException, ValueError):
            return _Run(error=error or "the PAC environment failed", broken=True)
        return _Run(
            value=value,
            error=error,
            missing=tuple(report["missing"]),
            want_my=report["my"],
            want_my_ex=report["myEx"],
            alerts=tuple(report["alerts"]),
            broken=broken,
        )

    def load(self, text: str, state: str) -> _Run:
        """Run the script's top level (``ProxyResolverV8::Context::InitV8``)."""

        def action() -> str | None:
            self.context.eval(text)
            if self.context.eval("typeof FindProxyForURL") != "function":
                raise _ScriptError("FindProxyForURL is undefined or not a function.")
            return None

        return self._execute(state, action)

    def call(self, state: str, url: str, host: str) -> _Run:
        """Run ``FindProxyForURL(url, host)``."""

        def action() -> str | None:
            report = json.loads(self.controller("call", url, host))
            if not report["ok"]:
                raise _ScriptError(report["error"])
            value = report["value"]
            assert isinstance(value, str)
            return value

        run = self._execute(state, action)
        if run.value is not None and not run.value.isascii():
            return attrs.evolve(
                run, value=None, error="FindProxyForURL() returned a non-ASCII string"
            )
        return run


class PacScript:
    """One PAC script and the QuickJS context it runs in.

    The context is kept between calls, as Chromium keeps a script's global state. Each run
    is limited to ``time_limit`` seconds and ``memory_limit`` bytes; a script past either
    counts as failed (running out of memory also replaces the context). A run holds the
    event loop (no thread runs scripts), so the time limit also bounds that pause.
    """

    def __init__(self, text: str, *, time_limit: float, memory_limit: int) -> None:
        self.text = text
        self._time_limit = time_limit
        self._memory_limit = memory_limit
        self._runtime: _Runtime | None = None
        self._init_answers = _Answers()
        self._error: str | None = None

    @classmethod
    def compile(
        cls,
        text: str,
        *,
        time_limit: float = _TIME_LIMIT_S,
        memory_limit: int = _MEMORY_LIMIT,
    ) -> PacScript:
        """Load ``text``: its top level runs now.

        Never raises for a broken script: its ``find_proxy`` fails instead, and :attr:`error`
        says why when that is already known.
        """
        script = cls(text, time_limit=time_limit, memory_limit=memory_limit)
        script._load(_Clock.at(None))
        return script

    @property
    def error(self) -> str | None:
        """Why the script cannot run (a syntax error, no ``FindProxyForURL``), if known."""
        return self._error

    def _load(self, clock: _Clock) -> _Run | None:
        if not self.text:
            self._error = "the PAC script is empty"
            return None
        runtime = _Runtime(self._time_limit, self._memory_limit)
        run = runtime.load(self.text, self._init_answers.state(clock))
        if run.needs_lookups:
            return run  # not final: the top level is run again once the names are known
        for alert in run.alerts:
            log.info("PAC script alert: %s", alert)
        if run.error is not None:
            self._error = run.error
            log.warning("PAC script failed to load: %s", run.error)
            return None
        self._runtime = runtime
        return run

    async def _ready(
        self, resolver: Resolver, clock: _Clock, my_addresses: MyAddresses | None
    ) -> _Runtime | None:
        runs = 0
        while self._runtime is None and self._error is None:
            run = self._load(clock)
            if run is None or not run.needs_lookups:
                continue  # loaded, or failed for good
            runs += 1
            if runs >= _MAX_RUNS or not await self._init_answers.fill(run, resolver, my_addresses):
                self._error = "the PAC script looks up too many names while loading"
                log.warning("%s", self._error)
        return self._runtime

    async def find_proxy(
        self,
        url: str | CanonicalURL,
        resolver: Resolver,
        *,
        mandatory: bool = False,
        now: datetime.datetime | None = None,
        my_addresses: MyAddresses | None = None,
    ) -> str:
        """Electron's ``resolveProxy`` string for ``url`` from this script.

        Runs ``FindProxyForURL`` with the sanitized URL and the host without brackets (it does
        not apply the loopback shortcut: see :func:`resolve_proxy`). A failing script gives
        ``"DIRECT"``, or ``""`` when ``mandatory``.

        Args:
            url: the URL (canonicalized here).
            resolver: answers ``dnsResolve``, ``dnsResolveEx``, ``isResolvable``... lookups.
            mandatory: the script is mandatory (Electron's ``pac_script`` mode).
            now: the clock for ``weekdayRange``/``dateRange``/``timeRange`` (default: now;
                a naive time is local). Local time uses the offset in force at ``now``.
            my_addresses: the machine's addresses for ``myIpAddress``/``myIpAddressEx``
                (default: :func:`my_ip_addresses`).

        Raises:
            ValueError: ``url`` is not a URL proxies apply to.
        """
        target = canonical_url(url)
        failure = "" if mandatory else "DIRECT"
        clock = _Clock.at(now)
        answers = _Answers()
        for attempt in range(_MAX_RUNS):
            # Each run holds the event loop (up to the time limit): let others in between.
            await trio.lowlevel.checkpoint()
            runtime = await self._ready(resolver, clock, my_addresses)
            if runtime is None:
                return failure
            run = runtime.call(answers.state(clock), target.pac_spec, target.host_no_brackets)
            if run.broken:
                self._runtime = None
            if run.needs_lookups:
                if attempt + 1 < _MAX_RUNS and await answers.fill(run, resolver, my_addresses):
                    continue
                break
            for alert in run.alerts:
                log.info("PAC script alert: %s", alert)
            if run.error is not None or run.value is None:
                log.warning("PAC script failed for %s: %s", target.pac_spec, run.error)
                return failure
            return parse_pac_result(run.value)
        log.warning("PAC script looks up too many names for %s", target.pac_spec)
        return failure


# --- myIpAddress -----------------------------------------------------------------------------


class _AddressCollector:
    """Chromium's ``MyIpAddressImpl``: which probed addresses ``myIpAddress`` gives.

    Candidates in order, loopback never, link-local as a last resort; ``myIpAddress`` stops
    at the first IPv4 address (IPv4 is favoured).
    """

    def __init__(self, *, ex: bool) -> None:
        self.ex = ex
        self.done = False
        self.candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
        self.link_local: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
        self._seen: set[str] = set()

    def add(self, text: str | None) -> None:
        address = ip_literal(text) if text else None
        if self.done or address is None or address.is_loopback:
            return
        if address.compressed in self._seen:
            return
        self._seen.add(address.compressed)
        if address.is_link_local:
            self.link_local.append(address)
            return
        if not self.ex and address.version == 4:
            self.done = True
        self.candidates.append(address)

    def end_stage(self) -> None:
        if self.candidates:
            self.done = True

    def result(self) -> list[str]:
        def single(found: list[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> list[str]:
            chosen = next((a for a in found if a.version == 4), found[0] if found else None)
            return [] if chosen is None else [chosen.compressed]

        if self.candidates:
            return [a.compressed for a in self.candidates] if self.ex else single(self.candidates)
        return single(self.link_local)


def choose_my_addresses(stages: Iterable[Iterable[str | None]], *, ex: bool) -> list[str]:
    """Pick the addresses ``myIpAddress`` (``ex`` False) or ``myIpAddressEx`` gives.

    ``stages`` are what Chromium probes, in order: public routes, the host name's addresses,
    private routes; a stage that found a candidate ends the search. ``myIpAddress`` gets one
    address or none.
    """
    collector = _AddressCollector(ex=ex)
    for stage in stages:
        if collector.done:
            break
        for address in stage:
            collector.add(address)
        collector.end_stage()
    return collector.result()


def _route_source(destination: str) -> str | None:
    family = socket.AF_INET6 if ":" in destination else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((destination, 80))  # UDP: no packet is sent
            source = probe.getsockname()[0]
    except OSError:
        return None
    return source if isinstance(source, str) else None


async def my_ip_addresses(resolver: Resolver, ex: bool) -> list[str]:
    """The machine's addresses as Chromium's ``PacMyIpAddress``/``PacMyIpAddressEx`` find them.

    The source address of UDP "connections" to 8.8.8.8 and 2001:4860:4860::8888 (no packet
    leaves), else the addresses of the machine's host name (through ``resolver``; Chromium
    asks the system resolver), else routes to the private ranges. Empty when none is found
    (``myIpAddress`` then says ``127.0.0.1``).
    """
    collector = _AddressCollector(ex=ex)
    for destination in _PUBLIC_ROUTES:
        collector.add(_route_source(destination))
    collector.end_stage()
    if not collector.done:
        for address in await _lookup(socket.gethostname(), resolver) or []:
            collector.add(address)
        collector.end_stage()
    if not collector.done:
        for destination in _PRIVATE_ROUTES:
            collector.add(_route_source(destination))
    return collector.result()


# --- fetching PAC scripts --------------------------------------------------------------------

_BOMS = ((b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"), (b"\xef\xbb\xbf", "utf-8"))


def _decode(body: bytes, charset: str | None) -> str:
    # PacFileFetcherImpl's ConvertResponseToUTF16: the declared charset (undecodable bytes
    # become U+FFFD), else a byte order mark, else ISO-8859-1.
    if charset:
        try:
            return body.decode(codecs.lookup(charset).name, errors="replace")
        except LookupError:
            pass
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    return body.decode("latin-1")


def _charset(media_type: str) -> str | None:
    for parameter in media_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _data_url(url: str) -> str:
    # net::DataURL::Parse: data:[<media type>][;base64],<data>; the data is percent-decoded
    # (then base64-decoded, whitespace ignored). No media type means text/plain;US-ASCII.
    header, comma, payload = url.partition(",")
    if not comma:
        raise PacFetchError(url, "a data: URL needs a ','")
    meta = header[len("data:") :]
    parameters = [p.strip() for p in meta.split(";")]
    is_base64 = len(parameters) > 1 and parameters[-1].lower() == "base64"
    if is_base64:
        parameters.pop()
    media_type = ";".join(parameters)
    charset = _charset(media_type)
    if not parameters[0] and charset is None:
        charset = "us-ascii"
    body = urllib.parse.unquote_to_bytes(payload)
    if is_base64:
        compact = re.sub(rb"[\t\n\f\r ]", b"", body)
        compact += b"=" * (-len(compact) % 4)
        try:
            body = base64.b64decode(compact, validate=True)
        except ValueError as exc:
            raise PacFetchError(url, f"invalid base64 data: {exc}") from None
    return _decode(body, charset)


async def _file_url(url: str, max_bytes: int) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise PacFetchError(url, "file: URLs of other hosts are not supported")
    path = trio.Path(urllib.parse.unquote(parts.path))
    try:
        async with await path.open("rb") as file:
            body = await file.read(max_bytes + 1)
    except OSError as exc:
        raise PacFetchError(url, exc.strerror or str(exc)) from None
    if len(body) > max_bytes:
        raise PacFetchError(url, f"larger than {max_bytes} bytes")
    return _decode(body, None)


class _Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


async def _receive_response(stream: trio.abc.Stream, url: str, max_bytes: int) -> _Response:
    buffer = bytearray()
    eof = False

    async def more() -> None:
        nonlocal eof
        chunk = await stream.receive_some(65536)
        if not chunk:
            eof = True
        buffer.extend(chunk)

    async def exactly(count: int) -> bytes:
        while len(buffer) < count and not eof:
            await more()
        if len(buffer) < count:
            raise PacFetchError(url, "the connection closed mid-response")
        data = bytes(buffer[:count])
        del buffer[:count]
        return data

    async def line() -> bytes:
        while b"\r\n" not in buffer:
            if eof or len(buffer) > _MAX_HEADER_BYTES:
                raise PacFetchError(url, "malformed HTTP response")
            await more()
        end = buffer.index(b"\r\n")
        return await exactly(end + 2)

    while True:
        status_line = (await line()).decode("latin-1").strip()
        match = re.fullmatch(r"HTTP/\d(?:\.\d)? ([0-9]{3})(?: .*)?", status_line)
        if match is None:
            raise PacFetchError(url, f"malformed HTTP status line {status_line!r}")
        headers: dict[str, str] = {}
        while header := (await line()).decode("latin-1").strip():
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(match.group(1))
        if not 100 <= status < 200:
            break
    body = bytearray()

    def take(data: bytes) -> None:
        if len(body) + len(data) > max_bytes:
            raise PacFetchError(url, f"larger than {max_bytes} bytes")
        body.extend(data)

    if "chunked" in headers.get("transfer-encoding", "").lower():
        while size := int((await line()).split(b";")[0].strip() or b"0", 16):
            take(await exactly(size))
            await exactly(2)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        if length > max_bytes:
            raise PacFetchError(url, f"larger than {max_bytes} bytes")
        take(await exactly(length))
    else:
        while not eof:
            take(bytes(buffer))
            buffer.clear()
            await more()
        take(bytes(buffer))
    encoding = headers.get("content-encoding", "").lower()
    data = bytes(body)
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            data = zlib.decompress(data, 47 if encoding != "deflate" else zlib.MAX_WBITS)
        except zlib.error as exc:
            raise PacFetchError(url, f"invalid {encoding} body: {exc}") from None
    elif encoding not in ("", "identity"):
        raise PacFetchError(url, f"unsupported content encoding {encoding!r}")
    return _Response(status, headers, data)


def _describe(exc: BaseException) -> str:
    # trio wraps TLS and socket failures in BrokenResourceError with an empty message.
    while not str(exc) and exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}"


async def _http_get(
    target: CanonicalURL,
    url: str,
    resolver: Resolver,
    max_bytes: int,
    ssl_context: ssl.SSLContext | None,
) -> _Response:
    host = target.host_no_brackets
    if ip_literal(host) is not None:
        addresses = [host]
    else:
        try:
            addresses = await resolver(host)
        except (CDPSessionError, OSError) as exc:
            raise PacFetchError(url, f"{host} did not resolve: {exc}") from None
    if not addresses:
        raise PacFetchError(url, "net::ERR_NAME_NOT_RESOLVED")
    port = target.effective_port
    stream: trio.abc.Stream | None = None
    failure: OSError | None = None
    for address in addresses:
        try:
            stream = await trio.open_tcp_stream(address, port)
            break
        except OSError as exc:
            failure = exc
    if stream is None:
        raise PacFetchError(url, f"could not connect to {host}:{port}: {failure}")
    try:
        if target.scheme == "https":
            context = ssl_context or ssl.create_default_context()
            stream = trio.SSLStream(stream, context, server_hostname=host, https_compatible=True)
            await stream.do_handshake()
        path = target.path + (f"?{target.query}" if target.query is not None else "")
        host_header = target.host + (f":{target.port}" if target.port is not None else "")
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n"
        )
        await stream.send_all(request.encode("ascii"))
        return await _receive_response(stream, url, max_bytes)
    except (OSError, trio.BrokenResourceError, ValueError) as exc:
        raise PacFetchError(url, _describe(exc)) from None
    finally:
        await trio.aclose_forcefully(stream)


async def _fetch(
    url: str, resolver: Resolver, max_bytes: int, ssl_context: ssl.SSLContext | None
) -> str:
    scheme = url.partition(":")[0].lower()
    if scheme == "data":
        return _data_url(url)
    if scheme == "file":
        return await _file_url(url, max_bytes)
    current = url
    for _ in range(_MAX_REDIRECTS + 1):
        try:
            target = canonical_url(current)
        except ValueError as exc:
            raise PacFetchError(url, str(exc)) from None
        if target.scheme not in ("http", "https"):
            raise PacFetchError(url, f"unsupported URL scheme {target.scheme!r}")
        response = await _http_get(target, url, resolver, max_bytes, ssl_context)
        location = response.headers.get("location")
        if response.status in _REDIRECTS and location:
            current = urllib.parse.urljoin(target.spec, location)
            if current.partition(":")[0].lower() not in ("http", "https"):
                raise PacFetchError(url, f"unsafe redirect to {current!r}")
            continue
        if response.status != 200:
            raise PacFetchError(url, f"HTTP status {response.status}")
        content_type = response.headers.get("content-type", "")
        return _decode(response.body, _charset(content_type))
    raise PacFetchError(url, f"more than {_MAX_REDIRECTS} redirects")


async def fetch_pac(
    url: str,
    resolver: Resolver,
    *,
    timeout: float = 30.0,
    max_bytes: int = _MAX_PAC_BYTES,
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """Fetch a PAC script as Chromium's ``PacFileFetcherImpl`` does, always direct.

    ``http``/``https`` (the host resolved with ``resolver``; ``ssl_context`` defaults to
    Python's default context), following up to 20 redirects to ``http``/``https``; only status
    200 counts. Also ``data:`` (base64 or percent-encoded) and ``file://`` (which Chromium's
    fetcher refuses; cdpsession hands Chromium the script's text). The text is decoded with
    the declared charset, else a byte order mark, else ISO-8859-1.

    Raises:
        PacFetchError: any failure, including more than ``max_bytes`` (default 1 MiB, as
            Chromium) or ``timeout`` seconds (default 30, as Chromium).
    """
    with trio.move_on_after(timeout) as scope:
        return await _fetch(url, resolver, max_bytes, ssl_context)
    assert scope.cancelled_caught
    raise PacFetchError(url, f"timed out after {timeout:g} s")


def ascii_script(text: str) -> str:
    r"""``text`` with every character outside printable ASCII as a JavaScript escape.

    Chromium's ``chrome.proxy`` takes a script's text in ASCII only, and QuickJS no NUL; in a
    string or a regular expression ``\uXXXX`` is the same character, in a comment it stays
    a comment: the script means what it meant.
    """
    if text.isascii() and "\0" not in text:
        return text
    out: list[str] = []
    for char in text:
        code = ord(char)
        if code > 0x7F or code == 0:
            units = char.encode("utf-16-be", "surrogatepass")
            out.extend(f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))
        else:
            out.append(char)
    return "".join(out)


# --- resolveProxy ----------------------------------------------------------------------------


def pac_url_for(config: ProxyConfig, env: Mapping[str, str]) -> str | None:
    """The URL of the PAC script ``config`` runs, or None when it runs none.

    That script is what :func:`resolve_proxy` needs as ``pac_text``: ``pacScript``,
    :data:`WPAD_URL` for ``auto_detect``, the system's ``auto_proxy``.
    """
    if config.mode == "system":
        config = system_proxy_config(env)
    if config.mode == "auto_detect":
        return WPAD_URL
    if config.mode == "pac_script":
        return config.pac_url
    return None


async def resolve_proxy(
    config: ProxyConfig,
    url: str,
    *,
    pac_text: str | PacScript | None,
    resolver: Resolver,
    env: Mapping[str, str],
    now: datetime.datetime | None = None,
    my_addresses: MyAddresses | None = None,
) -> str:
    """Electron's ``ses.resolveProxy(url)`` for ``config``.

    Args:
        config: the parsed ``setProxy`` config.
        url: the URL to resolve.
        pac_text: the script from :func:`pac_url_for`'s URL, fetched (a :class:`PacScript`
            keeps the script's global state between calls); None when it could not be
            fetched (then Electron resolves ``""`` in ``pac_script`` mode and ``DIRECT`` in
            the others). Unused when the config runs no script.
        resolver: answers the script's name lookups.
        env: the browser's environment (``system`` mode).
        now: the clock for the script's date and time functions.
        my_addresses: the machine's addresses for ``myIpAddress`` (default: probed).

    Raises:
        ValueError: ``url`` is not a URL proxies apply to.
    """
    target = canonical_url(url)
    effective = system_proxy_config(env) if config.mode == "system" else config
    if effective.mode == "direct":
        return "DIRECT"
    if effective.mode == "fixed_servers":
        assert effective.rules is not None
        if effective.rules.empty:
            return "DIRECT"
        script = PacScript.compile(compile_pac(effective.rules))
        return await script.find_proxy(target, resolver, now=now, my_addresses=my_addresses)
    if effective.mode == "pac_script" and effective.pac_url is None:
        return "DIRECT"
    if implicitly_bypassed(target):
        return "DIRECT"
    if pac_text is None:
        return "" if effective.pac_mandatory else "DIRECT"
    script = pac_text if isinstance(pac_text, PacScript) else PacScript.compile(pac_text)
    return await script.find_proxy(
        target,
        resolver,
        mandatory=effective.pac_mandatory,
        now=now,
        my_addresses=my_addresses,
    )
