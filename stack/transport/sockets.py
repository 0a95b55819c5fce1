"""Sockets for asyncio code, over the callback API of `host.tcp` and `host.udp`.

    reader, writer = await open_connection(host, (IPv4Address("172.194.72.105"), 80))
    writer.write(b"GET / HTTP/1.1\\r\\n\\r\\n")
    await writer.drain()
    reply = await reader.read()          # until the peer's FIN
    writer.close()

`reader` and `writer` are the same `TcpStream` (it has both halves, as a socket does). With
the RealtimeClock the stack runs on the asyncio loop itself. With the VirtualClock nothing
moves until the clock is stepped: `drive_virtual(clock, coroutine)` steps it whenever the
coroutine is waiting, so the same code runs in virtual time.

Errors map to the built-in ones: ConnectionRefusedError, ConnectionResetError, TimeoutError,
ConnectionError ("unreachable", "aborted").
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any, TypeVar

from stack.transport.tcp.connection import TcpConnection
from stack.transport.tcp.layer import TcpListener
from stack.transport.udp import UdpSocket

if TYPE_CHECKING:
    from stack.clock import VirtualClock
    from stack.host import Host
    from stack.net.interface import Interface

T = TypeVar("T")
READ_LIMIT = 256 * 1024  # pause reading (the peer sees the window close) above this


def error_for(reason: str) -> Exception:
    if reason == "refused":
        return ConnectionRefusedError("connection refused")
    if reason == "reset by peer":
        return ConnectionResetError("connection reset by peer")
    if reason == "timed out":
        return TimeoutError("connection timed out")
    return ConnectionError(reason)


class _Waiter:
    """One future at a time, woken from stack callbacks."""

    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: asyncio.Future | None = None

    async def wait(self) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.future = fut
        try:
            await fut
        finally:
            self.future = None

    def wake(self) -> None:
        fut = self.future
        if fut is not None and not fut.done():
            fut.set_result(None)


class TcpStream:
    """Both halves of a TCP connection for asyncio: `read`, `readuntil`,
    `write`, `drain`, `close`, `wait_closed`."""

    def __init__(self, conn: TcpConnection, limit: int = READ_LIMIT) -> None:
        self.conn = conn
        self.limit = limit
        self._buf = bytearray()
        self._eof = False
        self._reason: str | None = None
        self._readable = _Waiter()
        self._writable = _Waiter()
        self._closed = _Waiter()
        conn.on_data = self._on_data
        conn.on_eof = self._on_eof
        conn.on_closed = self._on_closed
        conn.on_writable = self._writable.wake
        leftover = conn.read()
        if leftover:
            self._buf += leftover

    # --- from the stack -------------------------------------------------------------------

    def _on_data(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) >= self.limit:
            self.conn.pause_reading()
        self._readable.wake()

    def _on_eof(self) -> None:
        self._eof = True
        self._readable.wake()

    def _on_closed(self, reason: str) -> None:
        self._reason = reason
        self._eof = True
        self._readable.wake()
        self._writable.wake()
        self._closed.wake()

    def _failed(self) -> Exception | None:
        reason = self._reason
        return error_for(reason) if reason is not None and reason != "closed" else None

    # --- reading --------------------------------------------------------------------------

    def at_eof(self) -> bool:
        return self._eof and not self._buf

    async def _fill(self) -> bool:
        """Wait for more data; False at end of stream."""
        if self._eof:
            error = self._failed()
            if error is not None and not self._buf:
                raise error
            return False
        await self._readable.wait()
        return True

    def _take(self, n: int) -> bytes:
        buf = self._buf
        out = bytes(buf[:n])
        del buf[:n]
        if len(buf) < self.limit // 2:
            self.conn.resume_reading()
        return out

    async def recv(self, n: int = 65536) -> bytes:
        """Up to `n` bytes as soon as any are there; b"" at end of stream."""
        while not self._buf:
            if not await self._fill():
                return b""
        return self._take(n)

    async def read(self, n: int = -1) -> bytes:
        """`n` < 0: everything until the peer's FIN; else like `recv`."""
        if n >= 0:
            return await self.recv(n)
        while await self._fill():
            if len(self._buf) >= self.limit:
                self.conn.resume_reading()  # reading everything: keep the window open
        return self._take(len(self._buf))

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        start = 0
        while True:
            at = self._buf.find(separator, start)
            if at >= 0:
                return self._take(at + len(separator))
            start = max(0, len(self._buf) - len(separator) + 1)
            if not await self._fill():
                partial = self._take(len(self._buf))
                raise asyncio.IncompleteReadError(partial, None)

    async def readline(self) -> bytes:
        try:
            return await self.readuntil(b"\n")
        except asyncio.IncompleteReadError as err:
            return err.partial

    # --- writing --------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        error = self._failed()
        if error is not None:
            raise error
        self.conn.send(data)

    async def drain(self) -> None:
        """Wait until the send buffer is below its limit (back-pressure)."""
        while not self.conn.writable:
            error = self._failed()
            if error is not None:
                raise error
            if self._reason is not None:
                return
            await self._writable.wait()
        error = self._failed()
        if error is not None:
            raise error

    def write_eof(self) -> None:
        self.conn.shutdown()

    def close(self) -> None:
        self.conn.close()

    def abort(self) -> None:
        self.conn.abort()

    async def wait_closed(self) -> None:
        """Until the connection is closed (TIME-WAIT counts: the application is done)."""
        while self._reason is None:
            await self._closed.wait()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        conn = self.conn
        return {
            "peername": (conn.remote_ip, conn.remote_port),
            "sockname": (conn.local_ip, conn.local_port),
            "connection": conn,
        }.get(name, default)


async def open_connection(
    host: Host,
    dest: tuple[IPv4Address, int],
    *,
    src_port: int | None = None,
    limit: int = READ_LIMIT,
) -> tuple[TcpStream, TcpStream]:
    """Connect and wait for the handshake; returns (reader, writer), one `TcpStream`."""
    done = _Waiter()
    conn = host.tcp.connect(dest, src_port=src_port)
    outcome: list[str] = []
    conn.on_connected = lambda: (outcome.append("connected"), done.wake())
    conn.on_closed = lambda reason: (outcome.append(reason), done.wake())
    while not outcome:
        await done.wait()
    if outcome[0] != "connected":
        raise error_for(outcome[0])
    stream = TcpStream(conn, limit)
    return stream, stream


class TcpServer:
    def __init__(self, listener: TcpListener) -> None:
        self.listener = listener
        self.tasks: set[asyncio.Task] = set()

    def close(self) -> None:
        self.listener.close()

    @property
    def port(self) -> int:
        return self.listener.port


async def start_server(
    host: Host,
    port: int,
    client_connected: Callable[[TcpStream, TcpStream], Any],
    *,
    address: IPv4Address | None = None,
    limit: int = READ_LIMIT,
) -> TcpServer:
    """Listen; for each connection call `client_connected(reader, writer)` (a coroutine
    function becomes a task, as with asyncio.start_server)."""
    server: TcpServer

    def accept(conn: TcpConnection) -> None:
        stream = TcpStream(conn, limit)
        result = client_connected(stream, stream)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            server.tasks.add(task)
            task.add_done_callback(server.tasks.discard)

    server = TcpServer(host.tcp.listen(port, accept, address))
    return server


class DatagramSocket:
    """A UDP socket for asyncio: `await recvfrom()`, `sendto()`."""

    def __init__(self, sock: UdpSocket) -> None:
        self.sock = sock
        self._queue: list[tuple[bytes, tuple[IPv4Address, int]]] = []
        self._waiter = _Waiter()
        sock.on_datagram = self._on_datagram

    @property
    def port(self) -> int:
        return self.sock.port

    def _on_datagram(
        self,
        data: bytes,
        src: tuple[IPv4Address, int],
        dst: IPv4Address,
        iface: Interface,
        frames: tuple[int, ...],
    ) -> None:
        self._queue.append((data, src))
        self._waiter.wake()

    async def recvfrom(self) -> tuple[bytes, tuple[IPv4Address, int]]:
        while not self._queue:
            await self._waiter.wait()
        return self._queue.pop(0)

    def sendto(self, data: bytes, dest: tuple[IPv4Address, int], **kw: Any) -> bool:
        return self.sock.sendto(data, dest, **kw)

    def close(self) -> None:
        self.sock.close()


def open_datagram(
    host: Host, port: int | None = None, address: IPv4Address | None = None
) -> DatagramSocket:
    return DatagramSocket(host.udp.open(port, address))


async def drive_virtual(
    clock: VirtualClock, awaitable: Awaitable[T], *, limit: float | None = None
) -> T:
    """Run `awaitable` on the running loop, stepping the virtual clock whenever it waits.
    Raises TimeoutError if virtual time passes `limit` or nothing is left to happen."""
    task = asyncio.ensure_future(awaitable)
    deadline = None if limit is None else clock.now() + limit
    while not task.done():
        await asyncio.sleep(0)
        if task.done():
            break
        nxt = clock.next_time()
        if nxt is None or (deadline is not None and nxt > deadline):
            for _ in range(3):  # let anything the task just scheduled on the loop run
                await asyncio.sleep(0)
            if task.done():
                break
            if clock.next_time() is None or (deadline is not None and clock.next_time() > deadline):
                task.cancel()
                raise TimeoutError(
                    "virtual time: nothing left to happen and the coroutine still waits"
                )
            continue
        # Step everything due at the same instant, then let the coroutines react.
        clock.step()
        while clock.next_time() == nxt:
            clock.step()
    return task.result()


__all__ = [
    "DatagramSocket",
    "TcpServer",
    "TcpStream",
    "drive_virtual",
    "error_for",
    "open_connection",
    "open_datagram",
    "start_server",
]
