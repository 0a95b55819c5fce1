"""A writer that runs after the frames, not between them.

Live, every event written as it happens sat between a request coming in and the answer going
out: formatting a trace line (and decoding the frame's summary) cost more than the stack's own
work on a ping. `Deferred` keeps the events in a list (one append each) and hands them to the
wrapped writer `delay` seconds after the first of a batch, when the loop has sent the answers;
`flush()` writes what is pending (the runner calls it when it stops).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from stack.events import Event

DELAY = 0.005  # seconds: long enough for a ping's answer to go out first


class Deferred:
    def __init__(
        self, writer: Callable[[Event], None], loop: asyncio.AbstractEventLoop, delay: float = DELAY
    ) -> None:
        self.writer = writer
        self.loop = loop
        self.delay = delay
        self._pending: list[Event] = []
        self._handle: asyncio.TimerHandle | None = None

    def __call__(self, event: Event) -> None:
        self._pending.append(event)
        if self._handle is None:
            self._handle = self.loop.call_later(self.delay, self.flush)

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        pending, self._pending = self._pending, []
        write = self.writer
        for event in pending:
            write(event)
        flush = getattr(self.writer, "flush", None)
        if flush is not None:
            flush()
