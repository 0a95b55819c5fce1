"""An HTTP/1.1 client connection (RFC 9112): requests one after another on one TCP connection,
responses framed by Content-Length, chunked coding, or the connection closing.

`HttpClient.fetch(request, callback)` queues a request; the connection is opened on first use
and kept open between requests while both sides say keep-alive (no pipelining: the next
request goes when the previous response is complete, as browsers and curl do). A response
that says `Connection: close`, or a request that did, ends the connection; a later request
opens a new one. Each exchange reports whether it reused the connection.

`request_for(url_host, path)` is the ordinary GET (Host, User-Agent, Accept, Connection);
`seed_request` is the seed's browser request, padded with a long Cookie to an exact size
(4,960 bytes in the seed's example).

With `one_segment` the whole request goes to TCP as one segment, whatever the MSS — the
seed's picture, which IP then has to fragment. Otherwise TCP cuts it by its MSS, and the
trace says so: how many segments and why IP did not need to fragment any of them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.events import HttpRequestSent, HttpResponseReceived, SegmentationExplained
from stack.apps.http_server import framing_text
from stack.record import record
from stack.wire.errors import WireError
from stack.wire.http import HTTPRequest, HTTPResponse, expected_length, message_length

if TYPE_CHECKING:
    from stack.host import Host

USER_AGENT = "workbench-browse/0.1"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# The seed's request (its §9.4), the headers a browser of its day sent.
SEED_HEADERS = (
    ("Connection", "keep-alive"),
    (
        "User-Agent",
        "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/31.0.1650.57 Safari/537.36",
    ),
    ("Accept", ACCEPT),
    ("Accept-Encoding", "gzip,deflate,sdch"),
    ("Accept-Language", "zh-CN,zh;q=0.8"),
    ("Accept-Charset", "GBK,utf-8;q=0.7,*;q=0.3"),
)
SEED_SIZE = 4960
_COOKIE_HEAD = "PREF=ID=5b3a9c1e7d2f4a60:U=2c81d0e4f7a9b356:FF=0:LD=zh-CN:TM=1386741962:LM=1386741962:S=Jq3vXoD8mN2pLk7R; NID=67="
_COOKIE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def request_for(url_host: str, path: str = "/", *, keep_alive: bool = True) -> HTTPRequest:
    return HTTPRequest.make(
        "GET",
        path,
        host=url_host,
        headers=[
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Connection", "keep-alive" if keep_alive else "close"),
        ],
    )


def seed_request(url_host: str, path: str = "/", size: int = SEED_SIZE) -> HTTPRequest:
    """The seed's GET, its Cookie grown so the whole message is exactly `size` bytes."""
    base = HTTPRequest.make(
        "GET", path, host=url_host, headers=[*SEED_HEADERS, ("Cookie", _COOKIE_HEAD)]
    )
    missing = size - len(base.build())
    if missing < 0:
        raise ValueError(
            f"a request for {url_host}{path} is already {size - missing} bytes, over {size}"
        )
    return HTTPRequest.make(
        "GET",
        path,
        host=url_host,
        headers=[*SEED_HEADERS, ("Cookie", _COOKIE_HEAD + _filler(missing))],
    )


def _filler(n: int) -> str:
    """`n` cookie characters that look like a session token (deterministic)."""
    out = []
    block = b"seed"
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += [_COOKIE_CHARS[b & 63] for b in block]
    return "".join(out[:n])


@record(frozen=False)
class Exchange:
    request: HTTPRequest
    response: HTTPResponse | None = None
    error: str = ""
    reused: bool = False
    connection: int = 0
    local: str = ""
    segments: int = 0
    mss: int = 0


Callback = Callable[[Exchange], None]


class HttpClient:
    """Requests to one server (address, port) over one connection at a time."""

    def __init__(
        self, host: Host, address: IPv4Address, port: int = 80, *, one_segment: bool = False
    ) -> None:
        self.host = host
        self.address = address
        self.port = port
        self.one_segment = one_segment
        self.conn = None
        self.connected = False
        self.connections = 0
        self.queue: list[tuple[Exchange, Callback]] = []
        self.current: tuple[Exchange, Callback] | None = None
        # What arrived and is not yet a response; appended to in place (a body of many
        # segments is not copied again for each one).
        self.buffer = bytearray()
        self._need: int | None = None  # bytes the response takes, once its head says so
        self._chunks = [0]  # where the chunks of a chunked body found whole end (message_length)
        self.served_on_conn = 0
        self.on_connected: Callable[[str], None] | None = (
            None  # told "local:port" when a connection opens
        )
        self.on_closed: Callable[[str], None] | None = (
            None  # told the reason when a connection ends
        )

    def fetch(self, request: HTTPRequest, callback: Callback) -> None:
        self.queue.append((Exchange(request), callback))
        if self.conn is None:
            self._connect()
        elif self.connected and self.current is None:
            self._send_next()

    def close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            self.connected = False
            conn.close()

    # --- the connection --------------------------------------------------------------------

    def _connect(self) -> None:
        self.connections += 1
        self.served_on_conn = 0
        self.buffer = bytearray()
        self._need = None
        self._chunks = [0]
        self.connected = False
        conn = self.host.tcp.connect(
            (self.address, self.port), on_connected=lambda *_: self._connected(conn)
        )
        conn.on_data = lambda data: self._data(conn, data)
        conn.on_eof = lambda: self._eof(conn)
        conn.on_closed = lambda reason: self._closed(conn, reason)
        self.conn = conn

    def _connected(self, conn) -> None:
        if conn is not self.conn:
            return
        self.connected = True
        if self.on_connected is not None:
            self.on_connected(conn.local)
        self._send_next()

    def _send_next(self) -> None:
        if self.current is not None or not self.queue or not self.connected:
            return
        host = self.host
        exchange, callback = self.current = self.queue.pop(0)
        exchange.reused = self.served_on_conn > 0
        exchange.connection = self.connections - 1
        conn = self.conn
        data = exchange.request.build()
        local, remote = conn.local, conn.remote
        exchange.local = local
        req = exchange.request
        host.trace.emit(
            HttpRequestSent(
                host.clock.now(),
                host.name,
                (),
                local,
                remote,
                f"{req.method} {req.target} {req.version}",
                len(data),
            )
        )
        mss = conn.mss
        exchange.mss = mss
        exchange.segments = 1 if self.one_segment or not mss else math.ceil(len(data) / mss)
        if not self.one_segment and mss:
            mtu = self._mtu()
            host.trace.emit(
                SegmentationExplained(
                    host.clock.now(),
                    host.name,
                    (),
                    local,
                    remote,
                    len(data),
                    exchange.segments,
                    mss,
                    mtu,
                    False,
                )
            )
        if self.one_segment:
            conn.send(data, one_segment=True)
        else:
            conn.send(data)

    def _mtu(self) -> int:
        decision = self.host.ip.decide(self.address)
        if decision.route is None:
            return 1500
        return self.host.interfaces[decision.route.interface].mtu

    def _data(self, conn, data: bytes) -> None:
        if conn is not self.conn:
            return
        self.buffer += data
        if self._need is not None and len(self.buffer) < self._need:
            return  # the head declared a length the body has not reached yet
        self._try_complete(at_eof=False)

    def _eof(self, conn) -> None:
        """The server sent FIN: a response delimited by the close is complete now."""
        if conn is not self.conn:
            return
        if self.current is not None and not self._try_complete(at_eof=True):
            self._fail("the server closed the connection before the whole response")
        if conn is self.conn:
            self.close()

    def _try_complete(self, at_eof: bool) -> bool:
        if self.current is None:
            return False
        exchange, callback = self.current
        method = exchange.request.method
        try:
            data = bytes(self.buffer)
            size = message_length(data, request_method=method, at_eof=at_eof, progress=self._chunks)
            if size is None:
                if self._need is None:
                    self._need = expected_length(data, request_method=method)
                return False
            response = HTTPResponse.parse(data[:size], request_method=method)
        except WireError as err:
            self._fail(f"malformed response: {err}")
            return True
        del self.buffer[:size]
        self._need = None
        self._chunks = [0]
        self.current = None
        self.served_on_conn += 1
        exchange.response = response
        host = self.host
        host.trace.emit(
            HttpResponseReceived(
                host.clock.now(),
                host.name,
                (),
                exchange.local,
                f"{self.address}:{self.port}",
                f"{response.version} {response.status} {response.reason}",
                len(response.content),
                framing_text(response),
            )
        )
        if not response.keep_alive or not exchange.request.keep_alive:
            self.close()
        callback(exchange)
        if self.queue:
            if self.conn is None:
                self._connect()
            else:
                self._send_next()
        return True

    def _closed(self, conn, reason: str) -> None:
        if self.on_closed is not None:
            self.on_closed(reason)
        if conn is not self.conn:
            return  # one we closed ourselves
        was_connected = self.connected
        self.conn = None
        self.connected = False
        if self.current is not None and self._try_complete(at_eof=True):
            return
        if self.current is not None:
            self._fail(f"the server closed the connection before the whole response ({reason})")
        elif self.queue and not was_connected:
            self._fail(str(reason) or "could not connect")
        elif self.queue:
            self._connect()

    def _fail(self, why: str) -> None:
        failed = [self.current] if self.current is not None else []
        failed += self.queue
        self.current = None
        self.queue = []
        self.close()
        for exchange, callback in failed:
            exchange.error = why
            callback(exchange)
