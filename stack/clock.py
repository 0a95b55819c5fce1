"""Time for the stack: one interface, a deterministic virtual clock and a real-time one.

Protocol engines ask the clock for `now()` and for timers; they never sleep or read wall time.
`VirtualClock` is a heap of timers ordered by (time, sequence), so two runs of the same lab
fire the same callbacks in the same order. `RealtimeClock` puts the same timers on an asyncio
loop and reads the loop's monotonic time.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from contextvars import Context, copy_context
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # a simulated run never loads asyncio (a third of the import time)
    import asyncio


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer: ...

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> Timer: ...

    def post(self, delay: float, callback: Callable[..., Any], *args: Any) -> None: ...


class VirtualTimer:
    __slots__ = ("when", "callback", "args", "cancelled")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """Deterministic time: nothing happens until someone steps it."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        # (when, sequence, timer): tuples compare in C, and the sequence breaks ties in order.
        # A posted callback, which no one can cancel, is (when, sequence, None, callback, args).
        self._heap: list[tuple] = []
        self._seq = itertools.count()
        self.fired = 0

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> VirtualTimer:
        when = self._now + delay if delay > 0 else self._now
        timer = VirtualTimer(when, callback, args)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        return timer

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> VirtualTimer:
        timer = VirtualTimer(self._now, callback, args)
        heapq.heappush(self._heap, (self._now, next(self._seq), timer))
        return timer

    def post(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        """`call_later` (`call_soon` for no delay) with no timer to cancel: a segment posts
        one per frame it carries, and the timer object was most of the cost."""
        now = self._now
        heapq.heappush(
            self._heap, (now + delay if delay > 0 else now, next(self._seq), None, callback, args)
        )

    def next_time(self) -> float | None:
        """When the next live timer fires, or None when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][2] is not None and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def step(self) -> bool:
        """Fire the next timer (advancing time to it). False when there is nothing to do."""
        heap = self._heap
        while heap:
            entry = heapq.heappop(heap)
            timer = entry[2]
            if timer is None:
                self._now = entry[0]
                self.fired += 1
                entry[3](*entry[4])
                return True
            if timer.cancelled:
                continue
            self._now = timer.when
            self.fired += 1
            timer.callback(*timer.args)
            return True
        return False

    def run_until(self, when: float) -> None:
        """Fire every timer due up to `when`, then stand at `when`."""
        while True:
            nxt = self.next_time()
            if nxt is None or nxt > when:
                break
            self.step()
        self._now = max(self._now, when)

    def stand_at(self, when: float) -> None:
        """Move time forward to `when` firing nothing: a replay standing where an input came
        (a timer due at `when` may still be waiting, as it was when the input came)."""
        if when > self._now:
            self._now = when

    def run_until_idle(self, limit: float | None = None, max_steps: int = 50_000_000) -> int:
        """Fire timers until none is left (or time passes `limit`); returns how many fired."""
        steps = 0
        while steps < max_steps:
            nxt = self.next_time()
            if nxt is None or (limit is not None and nxt > limit):
                break
            self.step()
            steps += 1
        return steps

    def pending(self) -> int:
        return sum(1 for entry in self._heap if entry[2] is None or not entry[2].cancelled)


class _Soon:
    """What `RealtimeClock.call_soon` gives back: `cancel()` before the callback runs and it
    never does."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class RealtimeClock:
    """The same interface on an asyncio loop, in seconds since the clock was made.

    `call_soon` keeps its own queue, run from one asyncio callback: a frame's delivery and what
    it sets off (the answer's delivery, the next hop's) run one after the other in the same
    turn of the loop, where asyncio would poll its descriptors between each (each a system
    call, and on a busy machine the caches gone cold between them). `run_now` calls a function
    and then what it queued, in this turn: a device's reader calls the segment through it, so
    an answer is written before the reader returns. A turn runs at most `BUDGET` callbacks
    (the rest in the next one), so a lab busy inside itself still lets the loop read its
    devices and draw the screen.
    """

    BUDGET = 64

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if loop is None:
            import asyncio

            loop = asyncio.get_event_loop()
        self._loop = loop
        self._origin = origin = self._loop.time()
        # (callback, args, the caller's context, its handle or None), run in order
        self._soon: deque[tuple[Callable[..., Any], tuple, Context, _Soon | None]] = deque()
        self._running = False  # the queue is being run: call_soon need not ask the loop
        self._asked = False  # the loop will call `_turn`
        from asyncio.base_events import BaseEventLoop

        if type(loop).time is BaseEventLoop.time:
            # Asked for every event: the loop's clock read directly, one call instead of two.
            from time import monotonic

            self.now = lambda: monotonic() - origin  # type: ignore[method-assign]

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def now(self) -> float:
        return self._loop.time() - self._origin

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any
    ) -> asyncio.TimerHandle:
        return self._loop.call_later(max(delay, 0.0), callback, *args)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> _Soon:
        soon = _Soon()
        self._queue((callback, args, copy_context(), soon))
        return soon

    def post(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        if delay > 0:
            self._loop.call_later(delay, callback, *args)
            return
        self._queue((callback, args, copy_context(), None))  # no handle: none is asked for

    def _queue(self, item: tuple) -> None:
        """Put a callback in the queue, and ask the loop for a turn unless one is running or
        asked for already."""
        self._soon.append(item)
        if not self._running and not self._asked:
            self._ask()

    def _ask(self) -> None:
        self._asked = True
        self._loop.call_soon(self._turn)

    def run_now(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)`, then the callbacks it queued (and theirs), up to the budget."""
        if self._running:  # inside a turn already: its queue runs them
            return fn(*args)
        self._running = True
        try:
            return fn(*args)
        finally:
            self._run_queue()

    def _turn(self) -> None:
        self._asked = False
        if not self._running:
            self._running = True
            self._run_queue()

    def _run_queue(self) -> None:
        queue = self._soon
        budget = self.BUDGET
        try:
            while queue and budget:
                callback, args, context, soon = queue.popleft()
                if soon is not None and soon.cancelled:
                    continue
                budget -= 1
                try:
                    context.run(callback, *args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:  # as asyncio does for a handle: say it, go on
                    self._loop.call_exception_handler(
                        {"message": f"Exception in callback {callback!r}", "exception": exc}
                    )
        finally:
            self._running = False
            if queue and not self._asked:
                self._ask()
