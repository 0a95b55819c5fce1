"""An HTTP/1.1 origin server (RFC 9110, RFC 9112) serving the lab's pages over TCP.

`Site` turns one request into one response and decides nothing else (pure): GET and HEAD of
a page are 200 with Content-Length, or with chunked transfer coding for a page marked so; an
unknown path is 404; other methods 405; a 1.1 request without Host 400 (RFC 9112 §3.2).
`HttpServer` listens on a port and runs each connection: requests are framed out of the byte
stream as they arrive (a request may come in many segments, or several in one), answered in
order, and the connection stays open for the next one unless the client said
`Connection: close` (or spoke HTTP/1.0 without keep-alive). An idle connection is closed after
`IDLE_TIMEOUT` seconds, as Apache does after 5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stack.apps.events import HttpRequestReceived, HttpResponseSent
from stack.record import record, replace
from stack.wire.errors import WireError

if TYPE_CHECKING:
    from stack.host import Host
    from stack.wire.http import HTTPRequest, HTTPResponse

# stack.wire.http is imported where a request is served, not here: building a lab with a web
# server then does not pay for the codec (~10 ms) before anyone asks for a page.

SERVER = "workbench-httpd/0.1"
IDLE_TIMEOUT = 5.0
CHUNK_SIZE = 128  # bytes per chunk of a chunked page (small, so the chunks show)
MAX_REQUESTS = 100  # per connection, then Connection: close


@record
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    chunked: bool = False
    status: int = 200


class Site:
    def __init__(self, pages: dict[str, Page]) -> None:
        self.pages = pages

    @classmethod
    def from_config(cls, pages: dict[str, dict]) -> Site:
        """From the lab's checked `pages` table: path → {body, chunked, type, status}."""
        out = {}
        for path, page in pages.items():
            out[path] = Page(
                page["body"],
                page.get("type", "text/html; charset=utf-8"),
                page.get("chunked", False),
                page.get("status", 200),
            )
        if not out:
            out["/"] = Page(b"<html><body><h1>It works!</h1></body></html>\n")
        return cls(out)

    def respond(self, request: HTTPRequest, keep_alive: bool = True) -> HTTPResponse:
        """The response to one request; `keep_alive` False adds Connection: close."""
        from stack.wire.http import REASONS, HTTPResponse, chunk_encode

        connection = [("Connection", "keep-alive" if keep_alive else "close")]
        if request.version not in ("HTTP/1.0", "HTTP/1.1"):
            return _error(505, connection)
        if request.version == "HTTP/1.1" and request.header("host") is None:
            return _error(400, connection, "A request in HTTP/1.1 needs a Host header.")
        if request.method not in ("GET", "HEAD"):
            return _error(405, connection + [("Allow", "GET, HEAD")], head=request.method == "HEAD")
        path = request_path(request.target)
        page = self.pages.get(path) if path is not None else None
        if page is None:
            return _error(
                404,
                connection,
                f"The requested URL {path or request.target} was not found on this server.",
                head=request.method == "HEAD",
            )
        headers = [("Server", SERVER), ("Content-Type", page.content_type), *connection]
        if page.chunked and request.version == "HTTP/1.1":
            response = HTTPResponse(
                "HTTP/1.1",
                page.status,
                REASONS.get(page.status, ""),
                tuple(headers) + (("Transfer-Encoding", "chunked"),),
                chunk_encode(page.body, CHUNK_SIZE),
            )
        else:
            response = HTTPResponse.make(page.status, page.body, headers=headers)
        if request.method == "HEAD":
            response = replace(response, body=b"")
        return response


def request_path(target: str) -> str | None:
    """The path of an origin-form ("/a?b") or absolute-form ("http://h/a") target."""
    if target.startswith("/"):
        return target.split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = target.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        path = "/" + rest.partition("/")[2]
        return path.split("?", 1)[0]
    return None


def _error(status: int, headers: list, text: str = "", head: bool = False) -> HTTPResponse:
    from stack.wire.http import REASONS, HTTPResponse

    reason = REASONS.get(status, "")
    body = f"<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1><p>{text}</p></body></html>\n".encode()
    response = HTTPResponse.make(
        status,
        body,
        headers=[("Server", SERVER), ("Content-Type", "text/html; charset=utf-8"), *headers],
    )
    return replace(response, body=b"") if head else response


def framing_text(response: HTTPResponse) -> str:
    if response.chunked:
        chunks = response.body.count(b"\r\n") // 2
        return f"chunked ({len(response.content):,} bytes in {max(chunks - 1, 0)} chunk{'s' if chunks - 1 != 1 else ''} and the last)"
    length = response.header("content-length")
    return (
        f"of Content-Length {int(length):,}"
        if length is not None
        else "to the end of the connection"
    )


class HttpServer:
    def __init__(self, host: Host, site: Site, port: int = 80) -> None:
        self.host = host
        self.site = site
        self.port = port
        self.connections: list[ServerConnection] = []
        self.stats = {"connections": 0, "requests": 0, "responses": {}}
        self.listener = host.tcp.listen(port, on_accept=self._accept)

    def close(self) -> None:
        self.listener.close()
        for conn in list(self.connections):
            conn.close()

    def _accept(self, conn) -> None:
        self.stats["connections"] += 1
        self.connections.append(ServerConnection(self, conn))


class ServerConnection:
    def __init__(self, server: HttpServer, conn) -> None:
        self.server = server
        self.conn = conn
        # What arrived and is not yet a request; appended to in place (a long body is not
        # copied again for each segment).
        self.buffer = bytearray()
        self._need: int | None = None  # bytes the request takes, once its head says so
        self._chunks = [0]  # where the chunks of a chunked body found whole end (message_length)
        self.served = 0
        self.closing = False
        self.idle = None
        conn.on_data = self._data
        conn.on_closed = self._closed
        self._arm()

    def _arm(self) -> None:
        clock = self.server.host.clock
        if self.idle is not None:
            self.idle.cancel()
        self.idle = clock.call_later(IDLE_TIMEOUT, self._idle_timeout)

    def _data(self, data: bytes) -> None:
        from stack.wire.http import HTTPRequest, expected_length, message_length

        if self.closing:
            return
        self.buffer += data
        self._arm()
        if self._need is not None and len(self.buffer) < self._need:
            return  # the head declared a length the body has not reached yet
        while self.buffer and not self.closing:
            try:
                raw = bytes(self.buffer)
                size = message_length(raw, progress=self._chunks)
                if size is None:
                    self._need = expected_length(raw)
                    return
                request = HTTPRequest.parse(raw[:size])
            except WireError as err:
                self._send(
                    _error(400, [("Connection", "close")], f"Malformed request: {err.problem}"),
                    None,
                    keep=False,
                )
                return
            del self.buffer[:size]
            self._need = None
            self._chunks = [0]
            self._serve(request, size)

    def _serve(self, request: HTTPRequest, size: int) -> None:
        server = self.server
        host = server.host
        self.served += 1
        server.stats["requests"] += 1
        local, remote = _ends(self.conn)
        host.trace.emit(
            HttpRequestReceived(
                host.clock.now(),
                host.name,
                (),
                local,
                remote,
                f"{request.method} {request.target} {request.version}",
                size,
            )
        )
        keep = request.keep_alive and self.served < MAX_REQUESTS
        response = server.site.respond(request, keep)
        self._send(response, request, keep)

    def _send(self, response: HTTPResponse, request: HTTPRequest | None, keep: bool) -> None:
        server = self.server
        host = server.host
        counts = server.stats["responses"]
        counts[response.status] = counts.get(response.status, 0) + 1
        local, remote = _ends(self.conn)
        host.trace.emit(
            HttpResponseSent(
                host.clock.now(),
                host.name,
                (),
                local,
                remote,
                f"{response.version} {response.status} {response.reason}",
                framing_text(response)
                if response.body or request is None or request.method != "HEAD"
                else "none (HEAD)",
                keep,
            )
        )
        self.conn.send(response.build())
        if not keep:
            self.close()

    def _idle_timeout(self) -> None:
        self.idle = None
        if not self.closing:
            self.close()

    def close(self) -> None:
        if self.closing:
            return
        self.closing = True
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        self.conn.close()

    def _closed(self, reason: str) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        self.closing = True
        if self in self.server.connections:
            self.server.connections.remove(self)


def _ends(conn) -> tuple[str, str]:
    return conn.local, conn.remote
