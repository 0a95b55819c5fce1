"""The trace: every frame seen gets an id once; every decision is a typed event.

The UI, the headless runner and the writers (text, JSON Lines, pcap) are all subscribers:
the stack calls `emit` and never knows who listens. Frames are kept (as bytes, without FCS) so
that an event's frame ids can always be looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from stack.clock import Clock
from stack.events import Event
from stack.trace_log import ExpandedLog

Subscriber = Callable[[Event], None]


class FrameRecord(NamedTuple):
    """One frame as it was put on a segment (no FCS). A tuple: one is made per frame."""

    id: int
    time: float
    segment: str
    origin: str
    data: bytes


class Trace:
    def __init__(self, clock: Clock, *, keep_events: bool = True) -> None:
        self.clock = clock
        self.frames: list[FrameRecord] = []
        self.events = ExpandedLog()  # one FrameReceived per NIC when read; see stack.trace_log
        self.keep_events = keep_events
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def record_frame(self, segment: str, origin: str, data: bytes) -> int:
        """Give a frame its id (ids start at 1, as in Wireshark's No. column)."""
        record = FrameRecord(len(self.frames) + 1, self.clock.now(), segment, origin, data)
        self.frames.append(record)
        return record.id

    def frame(self, frame_id: int) -> FrameRecord:
        return self.frames[frame_id - 1]

    def emit(self, event: Event) -> None:
        if self.keep_events:
            self.events.append(event)
        for subscriber in self._subscribers:
            subscriber(event)

    def now(self) -> float:
        return self.clock.now()
