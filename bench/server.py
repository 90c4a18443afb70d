"""Loopback HTTP/1.1 server for the benchmarks, in its own process.

No client under test shares its event loop or its GIL. Binds 127.0.0.1 on a free port,
prints the port, serves until its stdin closes.

Routes: ``/small.html`` (a ~250-byte page), ``/fetch.html`` (defines
``runFetches(n, tag)``), ``/r/<anything>`` (64 bytes, ``no-store``), anything else 404.
"""

from __future__ import annotations

import asyncio
import sys

SMALL = (
    b"<!doctype html><html><head><meta charset=utf-8><title>small</title></head>"
    b"<body><h1>small page</h1><p>cdpsession benchmark</p></body></html>"
)
FETCH = b"""<!doctype html><html><head><meta charset=utf-8><title>fetch</title><script>
window.runFetches = async (n, tag) => {
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(fetch('/r/' + tag + '/' + i).then(r => r.text()));
  const bodies = await Promise.all(ps);
  return bodies.length;
};
</script></head><body>fetch page</body></html>"""


def _response(status: bytes, ctype: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype
        + b"\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n" + body
    )  # fmt: skip


ROUTES = {
    b"/small.html": _response(b"200 OK", b"text/html; charset=utf-8", SMALL),
    b"/fetch.html": _response(b"200 OK", b"text/html; charset=utf-8", FETCH),
}
RESOURCE = _response(b"200 OK", b"text/plain", b"x" * 64)
NOT_FOUND = _response(b"404 Not Found", b"text/plain", b"not found")


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            parts = head.split(b"\r\n", 1)[0].split(b" ")
            path = parts[1] if len(parts) > 1 else b""
            if path.startswith(b"/r/"):
                writer.write(RESOURCE)
            else:
                writer.write(ROUTES.get(path, NOT_FOUND))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _main() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the harness closes our stdin
    server.close()


if __name__ == "__main__":
    asyncio.run(_main())
