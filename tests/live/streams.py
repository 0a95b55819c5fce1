"""The workbench's side of live TCP transfers, on the callback API of `host.tcp`: a sink that
hashes what arrives until the peer's FIN, a source that sends seeded bytes as fast as the send
buffer allows and closes right after the last send, and a 1-byte echo server."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

PEER = Path(__file__).with_name("peer.py")


def peer_argv(*args: object) -> list[str]:
    """The command line of the kernel-side peer program (run it with `ip netns exec`)."""
    return [sys.executable, str(PEER), *map(str, args)]


class Sink:
    """Accept one connection on `port`; `done` resolves to (bytes, sha256) at end of stream."""

    def __init__(self, host, port: int) -> None:
        loop = asyncio.get_running_loop()
        self.done: asyncio.Future = loop.create_future()
        self.digest = hashlib.sha256()
        self.bytes = 0
        self.first = self.last = 0.0
        self.conn = None
        self.clock = host.clock
        self.listener = host.tcp.listen(port, self._accept)

    def _accept(self, conn) -> None:
        self.conn = conn
        conn.on_data = self._data
        conn.on_eof = self._eof
        conn.on_closed = self._closed

    def _data(self, data: bytes) -> None:
        if not self.bytes:
            self.first = self.clock.now()
        self.bytes += len(data)
        self.digest.update(data)
        self.last = self.clock.now()

    def _eof(self) -> None:
        self.conn.close()
        if not self.done.done():
            self.done.set_result((self.bytes, self.digest.hexdigest()))

    def _closed(self, reason: str) -> None:
        if not self.done.done():
            self.done.set_exception(
                AssertionError(
                    f"connection closed before end of stream: {reason} after {self.bytes:,} bytes"
                )
            )

    def close(self) -> None:
        self.listener.close()


class Source:
    """Connect to `dest` and send `data`, then close at once; `done` resolves when the
    connection is closed (reason string). Back-pressure is the connection's: write while it is
    `writable`, then wait for `on_writable`."""

    CHUNK = 64 * 1024

    def __init__(self, host, dest, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        self.data = memoryview(data)
        self.offset = 0
        self.done: asyncio.Future = loop.create_future()
        self.clock = host.clock
        self.started = self.clock.now()
        self.conn = host.tcp.connect(dest, on_connected=self._pump)
        self.conn.on_writable = self._pump
        self.conn.on_closed = self._closed
        self.conn.on_eof = lambda: None

    def _pump(self) -> None:
        conn = self.conn
        data = self.data
        while self.offset < len(data) and conn.writable:
            n = conn.send(bytes(data[self.offset : self.offset + self.CHUNK]))
            if not n:
                return
            self.offset += n
        if self.offset >= len(data):
            conn.close()  # right after the last send

    def _closed(self, reason: str) -> None:
        if not self.done.done():
            self.done.set_result(reason)


class Echo:
    """Echo every byte back on each accepted connection (Nagle off: answer at once)."""

    def __init__(self, host, port: int) -> None:
        self.listener = host.tcp.listen(port, self._accept)
        self.conns = []

    def _accept(self, conn) -> None:
        conn.nagle = False
        conn.delayed_ack = False
        conn.on_data = conn.send
        conn.on_eof = conn.close
        self.conns.append(conn)

    def close(self) -> None:
        self.listener.close()
