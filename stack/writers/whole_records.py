"""A capture that survives a crash: the file on disk always ends on a record boundary.

A buffered file hands the kernel 8 KB at a time, cut wherever the buffer filled, so a process
killed mid-run (SIGKILL, the OOM killer, a power cut of the terminal) left a pcap whose last
record stops half-way and tshark refused the whole file's end ("cut short in the middle of a
packet"). `WholeRecords` keeps whole records in memory and gives them to an unbuffered file in
one write; `LiveSync` makes a live run write what it holds within a fraction of a second, so a
crash loses at most that fraction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from stack.events import Event

if TYPE_CHECKING:
    import asyncio  # a live run's loop; a simulated run never loads asyncio

LIMIT = 1 << 16  # bytes of whole records held before they go to the file
SYNC = 0.2  # seconds: how long a live run may hold a frame before it is on disk


class WholeRecords:
    """Wraps an unbuffered binary file; each `write` is one whole record (header, block)."""

    def __init__(self, raw: BinaryIO, limit: int = LIMIT) -> None:
        self.raw = raw
        self.limit = limit
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, record: bytes) -> int:
        self._pending.append(record)
        self._size += len(record)
        if self._size >= self.limit:
            self.flush()
        return len(record)

    def flush(self) -> None:
        if not self._pending:
            return
        data = memoryview(b"".join(self._pending))
        self._pending.clear()
        self._size = 0
        while data:  # a raw write may take part of it (a signal, a nearly full disk)
            done = self.raw.write(data)
            data = data[done or 0 :]

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.raw.close()

    def __enter__(self) -> WholeRecords:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LiveSync:
    """A live run's capture writer, put on disk `delay` seconds after its frames at most.

    A pcapng writer holds its newest frames back for the events that explain them; those
    events come within the same turn of the loop, so frames older than `delay` are released
    even when no newer frame pushes them out."""

    def __init__(
        self,
        writer,
        file: WholeRecords,
        loop: asyncio.AbstractEventLoop,
        clock,
        delay: float = SYNC,
    ) -> None:
        self.writer = writer
        self.file = file
        self.loop = loop
        self.clock = clock
        self.delay = delay
        self._handle: asyncio.TimerHandle | None = None

    def __call__(self, event: Event) -> None:
        self.writer(event)
        if self._handle is None:
            self._handle = self.loop.call_later(self.delay, self.sync)

    def sync(self) -> None:
        self._handle = None
        release = getattr(self.writer, "release", None)
        if release is not None and release(self.clock.now() - self.delay):
            self._handle = self.loop.call_later(self.delay, self.sync)  # frames still held
        self.file.flush()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
