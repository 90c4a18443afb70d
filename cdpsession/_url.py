r"""URLs and hosts, canonicalized as Chromium's ``GURL`` (the URL Standard) does.

Cookies and proxies must read a URL exactly as the browser does: a backslash is a slash in
http URLs (``http://a.com\@b.com/`` is on ``a.com``), IPv4 addresses come in many forms
(``127.1``, ``0x7f.1``), international names are encoded with UTS 46 (``faß.de`` is
``xn--fa-hia.de``), paths are percent-encoded and their dot segments removed.
"""

from __future__ import annotations

import ipaddress
import re

import attrs
import idna

__all__ = [
    "CanonicalURL",
    "canonical_host",
    "canonical_url",
    "ip_literal",
    "lower_ascii",
    "parse_ipv6",
]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789!\"$&'()+,-.;=_`{}~")
_SPECIAL_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_CRYPTOGRAPHIC = frozenset({"https", "wss"})


def lower_ascii(text: str) -> str:
    """ASCII lower case (``str.lower`` also folds non-ASCII letters)."""
    return text.translate(_ASCII_LOWER)


# --- hosts and IP literals -------------------------------------------------------------------


def _ipv4_part(part: str) -> int | None:
    # An IPv4 number as the URL Standard (and url_canon_ip.cc) reads it: 0x hex, 0 octal.
    if not part:
        return None
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    digits = {16: "0123456789abcdefABCDEF", 10: "0123456789", 8: "01234567"}[radix]
    if any(c not in digits for c in part):
        return None
    return int(part, radix)


def _ends_in_number(host: str) -> bool:
    # URL Standard "ends in a number": the last label (a trailing dot ignored) is all digits
    # or an IPv4 number; then the host must parse as IPv4 or it is invalid.
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    return bool(last) and ((last.isascii() and last.isdigit()) or _ipv4_part(last) is not None)


def _parse_ipv4(host: str) -> int | None:
    """``url::IPv4AddressToNumber``: the address as a number, None if it is not one."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_ipv4_part(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n << (8 * (3 - i))
    return address


def parse_ipv6(text: str) -> ipaddress.IPv6Address | None:
    """An IPv6 address without brackets, None if it is not one."""
    # Chromium's IPv6 literals have no zone; Python's parser would take "%eth0".
    if "%" in text or not text.isascii():
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def ip_literal(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``IPAddress::AssignFromIPLiteral``: an unbracketed IPv6 or an IPv4 (shorthand allowed)."""
    if ":" in text:
        return parse_ipv6(text)
    if not text.isascii() or not _ends_in_number(text):
        return None
    number = _parse_ipv4(text)
    return None if number is None else ipaddress.IPv4Address(number)


def _percent_decode(text: str) -> str | None:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        if raw[i] == 0x25:  # '%'
            pair = raw[i + 1 : i + 3]
            if len(pair) != 2 or not all(chr(b) in "0123456789abcdefABCDEF" for b in pair):
                return None
            out.append(int(pair, 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None


def canonical_host(text: str) -> str | None:
    """A host as ``url::CanonicalizeHost`` writes it (IPv6 in brackets), None if invalid.

    Percent escapes are decoded, names are lower-cased and IDNA-encoded as Chromium does
    (UTS 46, non-transitional: ``faß.de`` is ``xn--fa-hia.de``), IPv4 addresses in any form
    Chromium reads (``127.1``, ``0x7f.1``) become dotted quads, IPv6 addresses are compressed.
    """
    if not text:
        return None
    if text[0] == "[":
        if text[-1] != "]":
            return None
        address = parse_ipv6(text[1:-1])
        return None if address is None else f"[{address.compressed}]"
    host = _percent_decode(text) if "%" in text else text
    if host is None or not host:
        return None
    if not host.isascii():
        try:
            host = ".".join(
                idna.encode(label, uts46=True, transitional=False).decode("ascii")
                if label and not label.isascii()
                else label
                for label in host.split(".")
            )
        except (idna.IDNAError, UnicodeError):
            return None
    host = lower_ascii(host)
    if not set(host) <= _HOST_CHARS | {"*"}:
        return None
    if _ends_in_number(host):
        number = _parse_ipv4(host)
        return None if number is None else str(ipaddress.IPv4Address(number))
    return host.replace("*", "%2A")


# --- URLs ------------------------------------------------------------------------------------


@attrs.frozen
class CanonicalURL:
    """The parts of a URL proxy resolution looks at, canonicalized as ``GURL`` does.

    Credentials and the fragment are dropped (proxy resolution never uses them).

    Attributes:
        scheme: lower case; one of ``http``, ``https``, ``ws``, ``wss``, ``ftp``.
        host: the canonical host, an IPv6 address in brackets.
        port: the explicit port, None when absent or the scheme's default.
        path: the canonical path (starts with ``/``).
        query: the query without ``?``, None when absent.
    """

    scheme: str
    host: str
    port: int | None
    path: str
    query: str | None

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _SPECIAL_PORTS[self.scheme]

    @property
    def host_no_brackets(self) -> str:
        return self.host[1:-1] if self.host.startswith("[") else self.host

    @property
    def spec(self) -> str:
        origin = f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port is not None else "")
        return origin + self.path + (f"?{self.query}" if self.query is not None else "")

    @property
    def pac_spec(self) -> str:
        """What a PAC script is given: ``https``/``wss`` URLs lose their path and query."""
        if self.scheme in _CRYPTOGRAPHIC:
            return attrs.evolve(self, path="/", query=None).spec
        return self.spec


# The URL Standard's percent-encode sets for special URLs (besides C0 controls and non-ASCII).
_PATH_ESCAPED = frozenset(' "<>`{}\x7f')
_QUERY_ESCAPED = frozenset(" \"#<>'\x7f")


def _escape(text: str, escaped: frozenset[str]) -> str:
    out = []
    for char in text:
        if char in escaped or ord(char) < 0x20 or ord(char) > 0x7E:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass")))
        else:
            out.append(char)
    return "".join(out)


def _dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        lowered = segment.lower()
        last = i == len(segments) - 1
        if lowered in (".", "%2e"):
            if last:
                out.append("")
        elif lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def canonical_url(url: str | CanonicalURL) -> CanonicalURL:
    r"""Parse ``url`` as Chromium's ``GURL`` would, for proxy resolution.

    Supports the schemes proxies apply to (``http``, ``https``, ``ws``, ``wss``, ``ftp``):
    hosts are lower-cased, IDNA-encoded, IPv4 in any form Chromium reads (``127.1``) becomes a
    dotted quad, IPv6 is compressed; the scheme's default port is dropped; ``\`` counts as
    ``/``; dot segments are removed and paths and queries percent-encoded.

    Raises:
        ValueError: not an absolute URL of those schemes, or an invalid host or port.
    """
    if isinstance(url, CanonicalURL):
        return url
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    text = re.sub("[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", text)
    if match is None:
        raise ValueError(f"{url!r} is not an absolute URL")
    scheme = match.group(1).lower()
    if scheme not in _SPECIAL_PORTS:
        raise ValueError(f"{url!r}: proxies apply to http, https, ws, wss and ftp URLs only")
    rest = text[match.end() :].lstrip("/\\")
    end = len(rest)
    for delimiter in "/\\?#":
        found = rest.find(delimiter)
        if found != -1:
            end = min(end, found)
    authority, rest = rest[:end], rest[end:]
    authority = authority[authority.rfind("@") + 1 :]
    if authority.startswith("["):
        close = authority.find("]")
        host_text, port_text = authority[: close + 1], authority[close + 1 :]
        if close == -1 or (port_text and not port_text.startswith(":")):
            raise ValueError(f"{url!r} has an invalid host")
        port_text = port_text[1:]
    else:
        host_text, _, port_text = authority.partition(":")
    host = canonical_host(host_text)
    if host is None:
        raise ValueError(f"{url!r} has an invalid host")
    port: int | None = None
    if port_text:
        if not re.fullmatch("[0-9]+", port_text) or int(port_text) > 0xFFFF:
            raise ValueError(f"{url!r} has an invalid port")
        port = int(port_text)
        if port == _SPECIAL_PORTS[scheme]:
            port = None
    rest = rest.partition("#")[0]
    path, question, query = rest.partition("?")
    path = _dot_segments(_escape(path.replace("\\", "/") or "/", _PATH_ESCAPED))
    return CanonicalURL(
        scheme, host, port, path, _escape(query, _QUERY_ESCAPED) if question else None
    )
