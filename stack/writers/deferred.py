"""A writer that runs after the frames, not between them.

Live, every event written as it happens sat between a request coming in and the answer going
out: formatting a trace line (and decoding the frame's summary) cost more than the stack's own
work on a ping. `Deferred` keeps the events in a list (one append each) and hands them to the
wrapped writer `delay` seconds after the first of a batch, when the loop has sent the answers;
`flush()` writes what is pending (the runner calls it when it stops).

The batch is written in slices of at most `SLICE` seconds, the loop polling its devices between
them: written in one go, a batch held a frame that came in meanwhile for as long as the whole
batch took (at 500 pings a second, most pings). A backlog over `BACKLOG` events (a flood the
writer cannot keep up with) is written in one go, so memory stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from stack.events import Event

if TYPE_CHECKING:  # the loop is the caller's: a simulated run never imports asyncio
    import asyncio

DELAY = 0.005  # seconds: long enough for a ping's answer to go out first
SLICE = 0.001  # seconds of writing before the loop gets to read its devices again
BACKLOG = 20_000  # events pending beyond which a slice writes them all


class Deferred:
    def __init__(
        self, writer: Callable[[Event], None], loop: asyncio.AbstractEventLoop, delay: float = DELAY
    ) -> None:
        self.writer = writer
        self.loop = loop
        self.delay = delay
        self._pending: list[Event] = []
        self._done = 0  # events of `_pending` already written
        self._handle: asyncio.Handle | None = None

    def __call__(self, event: Event) -> None:
        self._pending.append(event)
        if self._handle is None:
            self._handle = self.loop.call_later(self.delay, self._slice)

    def _slice(self) -> None:
        """Write for up to SLICE seconds; the rest after the loop has looked at its devices."""
        self._handle = None
        pending, write = self._pending, self.writer
        if len(pending) - self._done > BACKLOG:
            self.flush()
            return
        i, n = self._done, len(pending)
        clock = time.perf_counter
        until = clock() + SLICE
        try:
            while i < n:
                write(pending[i])
                i += 1
                if not i & 7 and clock() > until:
                    break
        except BaseException:
            # The event that failed is not tried again.
            self._pending, self._done = pending[i + 1 :], 0
            raise
        if i < len(pending):
            self._done = i
            self._handle = self.loop.call_soon(self._slice)
        else:
            self._pending, self._done = [], 0
        self._flush_writer()  # whole lines on disk after every slice: a killed run keeps them

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        pending, done = self._pending, self._done
        self._pending, self._done = [], 0
        write = self.writer
        for event in pending[done:] if done else pending:
            write(event)
        self._flush_writer()

    def _flush_writer(self) -> None:
        flush = getattr(self.writer, "flush", None)
        if flush is not None:
            flush()
