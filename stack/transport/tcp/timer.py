"""A restartable timer that does not churn the clock's heap.

TCP restarts its retransmission timer on almost every ACK. Cancelling and re-adding a timer
each time would fill the virtual clock's heap with dead entries; instead the deadline is a
number that moves, and the one scheduled callback, when it fires early, reschedules itself
for the deadline as it now stands.
"""

from __future__ import annotations

from collections.abc import Callable

from stack.clock import Clock


class LazyTimer:
    __slots__ = ("clock", "callback", "deadline", "_handle", "_at")

    def __init__(self, clock: Clock, callback: Callable[[], None]) -> None:
        self.clock = clock
        self.callback = callback
        self.deadline: float | None = None
        self._handle = None
        self._at = 0.0

    @property
    def armed(self) -> bool:
        return self.deadline is not None

    def start(self, delay: float) -> None:
        """(Re)arm to fire `delay` seconds from now."""
        clock = self.clock
        deadline = clock.now() + delay
        self.deadline = deadline
        if self._handle is None:
            self._at = deadline
            self._handle = clock.call_later(delay, self._fire)
        elif self._at > deadline:
            self._handle.cancel()
            self._at = deadline
            self._handle = clock.call_later(delay, self._fire)

    def start_if_idle(self, delay: float) -> None:
        if self.deadline is None:
            self.start(delay)

    def stop(self) -> None:
        self.deadline = None

    def cancel(self) -> None:
        """Stop and drop the scheduled callback (the connection is going away)."""
        self.deadline = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        deadline = self.deadline
        if deadline is None:
            return
        now = self.clock.now()
        if now < deadline:
            self._at = deadline
            self._handle = self.clock.call_later(deadline - now, self._fire)
            return
        self.deadline = None
        self.callback()
