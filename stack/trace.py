"""The trace: every frame seen gets an id once; every decision is a typed event.

The UI, the headless runner and the writers (text, JSON Lines, pcap) are all subscribers:
the stack calls `emit` and never knows who listens. Frames are kept (as bytes, without FCS) so
that an event's frame ids can always be looked up — for the whole run, in bounded memory:
the newest `window` frames stay in memory, older ones go to a spill file on disk
(`stack.spill`: a pcapng whose packet comments are the events that followed each frame, plus
an index) and `frame(id)` / `frames[i]` read them back from there. `events` (when kept) is a
bounded window of event objects too; what left it is in the spill file's comments.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

from stack.clock import Clock
from stack.events import Event, expand
from stack.spill import SpillFile
from stack.trace_log import ExpandedLog

Subscriber = Callable[[Event], None]

WINDOW = 10_000  # frames kept in memory by default (WORKBENCH_TRACE_WINDOW overrides)
EVENTS_PER_FRAME = 20  # the event window, in entries, per frame of the frame window
SLACK = 4096  # live, frames past the window before spilling stops waiting for a quiet moment
# The window's bytes, per frame of it: wire-sized frames never reach it, but merged TCP frames
# from a TAP device's offload (up to 64 KB each) leave the window sooner to keep memory bounded.
BYTES_PER_FRAME = 3_200
_spills = itertools.count(1)


class FrameRecord(NamedTuple):
    """One frame as it was put on a segment (no FCS). A tuple: one is made per frame."""

    id: int
    time: float
    segment: str
    origin: str
    data: bytes


_record = tuple.__new__  # a FrameRecord made in C: the named tuple's own __new__ is Python


class TraceError(ValueError):
    """A trace option given wrong (one sentence)."""


def default_window() -> int | None:
    """The frame window from WORKBENCH_TRACE_WINDOW (0: keep everything), else `WINDOW`."""
    text = os.environ.get("WORKBENCH_TRACE_WINDOW", "").strip()
    if not text:
        return WINDOW
    try:
        value = int(text)
    except ValueError:
        raise TraceError(
            f"WORKBENCH_TRACE_WINDOW={text!r} should be a number of frames (0 keeps them all in memory)"
        ) from None
    if value < 0:
        raise TraceError(f"WORKBENCH_TRACE_WINDOW={value} cannot be negative")
    return value or None


def default_spill_path() -> str:
    return os.path.join(
        tempfile.gettempdir(), f"workbench-trace-{os.getpid()}-{next(_spills)}.pcapng"
    )


class Frames:
    """Every frame of the run by position (0 is frame #1): the window from memory, older ones
    read back from the spill file."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace

    def __len__(self) -> int:
        return self._trace.count

    def __bool__(self) -> bool:
        return self._trace.count > 0

    def __getitem__(self, key: int | slice):
        trace = self._trace
        if isinstance(key, slice):
            return [trace.frame(i + 1) for i in range(*key.indices(trace.count))]
        if key < 0:
            key += trace.count
        if not 0 <= key < trace.count:
            raise IndexError(key)
        return trace.frame(key + 1)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, Frames)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[FrameRecord]:
        trace = self._trace
        for frame_id in range(1, trace.count + 1):
            yield trace.frame(frame_id)


class Trace:
    def __init__(
        self,
        clock: Clock,
        *,
        keep_events: bool = True,
        window: int | None | str = "default",
        spill_path: str | None = None,
        epoch: float = 0.0,
    ) -> None:
        self.clock = clock
        self.now = clock.now  # asked once per event: the clock's own method, no call in between
        self.window: int | None = default_window() if window == "default" else window  # type: ignore[assignment]
        self.keep_events = keep_events
        event_window = self.window * EVENTS_PER_FRAME if self.window else None
        self._held_cap = (self.window or 0) * BYTES_PER_FRAME
        # One FrameReceived per NIC when read (see stack.trace_log); the frames its FrameSent
        # entries hold are bounded as the frame window's are.
        self.events = ExpandedLog(event_window, frame_bytes=self._held_cap or None)
        self.count = 0  # frames recorded in the whole run
        self.frames = Frames(self)
        # Each frame as a plain tuple (a FrameRecord's fields): the cycle collector stops
        # tracking a tuple of plain values, never a named tuple, and every full collection
        # would walk the whole window. Made a FrameRecord when read.
        self._window: deque[tuple] = deque()
        # The events about each frame in the window: they become its comments in the spill file.
        self._notes: deque[list[Event]] = deque()
        self._held = 0  # bytes of the frames in the window
        spill_path = spill_path or os.environ.get("WORKBENCH_SPILL") or None
        self.spill = (
            SpillFile(spill_path or default_spill_path(), epoch=epoch, keep=spill_path is not None)
            if self.window
            else None
        )
        self._loop = getattr(clock, "loop", None)  # a real-time clock's asyncio loop
        if self.spill is not None:
            self._finalizer = weakref.finalize(self, self.spill.close)
            # Live, frames leave just after a burst, when the loop is idle anyway, and the
            # loop's CPU share says nothing of a child's cost (see stack.spill_child).
            self.spill.fork = self._loop is None
        self._subscribers: list[Subscriber] = []
        self._object_subscribers = 0  # subscribers that want every event as an object
        self._evicting = False
        self._closed = False

    @property
    def spill_path(self) -> str | None:
        return self.spill.path if self.spill is not None else None

    def where(self) -> str:
        """One sentence: what stays in memory and where the rest goes."""
        if self.spill is None:
            return "the trace keeps every frame in memory"
        fate = "kept after the run" if self.spill.keep else "removed at the end"
        return f"the trace keeps up to the newest {self.window:,} frames in memory (at most {self._held_cap / 1e6:,.0f} MB of them); older ones ({self.spilled:,} so far) are in {self.spill.path} ({fate})"

    @property
    def spilled(self) -> int:
        """Frames that left the memory window for the spill file."""
        return self.spill.count if self.spill is not None else 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """`subscriber(event)` for every event from now on. One with a true `takes_values`
        attribute is also content with an event as its values (`stack.events.COMPACT`), so
        subscribing it does not make every frame's events objects as they happen."""
        self._subscribers.append(subscriber)
        wants_objects = not getattr(subscriber, "takes_values", False)
        self._object_subscribers += wants_objects

        def unsubscribe() -> None:
            self._subscribers.remove(subscriber)
            self._object_subscribers -= wants_objects

        return unsubscribe

    def record_frame(self, segment: str, origin: str, data: bytes) -> int:
        """Give a frame its id (ids start at 1, as in Wireshark's No. column)."""
        self.count = frame_id = self.count + 1
        self._window.append((frame_id, self.now(), segment, origin, data))
        if self.window is not None:
            self._notes.append([])
            self._keep_window(len(data))
        return frame_id

    def record_sent(self, segment: str, origin: str, owner: str, nic: str, data: bytes) -> int:
        """`record_frame`, then the FrameSent about it (`owner`'s `nic` sent it) as its values,
        as `emit_values` gives it: one call for what every frame put on a segment costs."""
        self.count = frame_id = self.count + 1
        now = self.now()
        self._window.append((frame_id, now, segment, origin, data))
        entry = ("frame_sent", now, owner, (frame_id,), nic, segment, len(data) + 4, data)
        if self.window is not None:
            self._notes.append([entry])
            self._keep_window(len(data))
        if self._object_subscribers:
            event = expand(entry)
            if self.keep_events:
                self.events.append(event)
            if self.window is not None:
                self._notes[-1][0] = event
            for subscriber in self._subscribers:
                subscriber(event)
            return frame_id
        if self.keep_events:
            events = self.events
            events.add(entry)
            events.held += len(data)
        for subscriber in self._subscribers:  # each content with the values
            subscriber(entry)
        return frame_id

    def _keep_window(self, size: int) -> None:
        """A frame of `size` bytes came: the frames (and events) past the windows leave memory
        for the spill file."""
        self._held += size
        over = len(self._window) - self.window
        if over > 0 or self._held > self._held_cap:
            if self._loop is None or over > SLACK:
                self._trim()
            elif not self._evicting:
                # Live: write to the spill file just after the frames, not between a request
                # and its answer.
                self._evicting = True
                self._loop.call_later(0.005, self._evict_over)
        if self.keep_events:
            self.events.trim()

    def _evict_over(self) -> None:
        self._evicting = False
        if self._closed:
            # The run ended (and its spill file with it) before this wait was over: a late
            # write would open the file again and find its frame count wrong.
            return
        self._trim()

    def _trim(self) -> None:
        """Spill the frames past the window, and a batch more (a 64th of the window): frames
        leave memory a batch at a time, each batch one write (per frame, the calls cost as
        much as the writing)."""
        window = self.window or 0
        frames = self._window
        keep = window - (window >> 6)
        if len(frames) > window:
            self._evict(len(frames) - keep)
        while self._held > self._held_cap and frames:
            self._evict(max(1, min(len(frames), window >> 6)))

    def _evict(self, count: int) -> None:
        frames, notes = self._window, self._notes
        batch = [frames.popleft() for _ in range(count)]
        self._held -= sum([len(frame[4]) for frame in batch])
        self.spill.write_events(batch, [notes.popleft() for _ in range(count)])

    def frame(self, frame_id: int) -> FrameRecord:
        window = self._window
        first = self.count - len(window) + 1
        if frame_id >= first:
            if frame_id > self.count:
                raise IndexError(f"no frame #{frame_id} yet (the run has {self.count})")
            return _record(FrameRecord, window[frame_id - first])
        if frame_id < 1 or self.spill is None:
            raise IndexError(f"no frame #{frame_id}")
        spilled = self.spill.read(frame_id)
        return FrameRecord(spilled.id, spilled.time, spilled.segment, spilled.origin, spilled.data)

    def notes(self, frame_id: int) -> list[str]:
        """The trace lines of the events about frame `frame_id`, as text."""
        window = self._window
        first = self.count - len(window) + 1
        if self.spill is not None and first <= frame_id <= self.count:
            from stack.writers.text import note_lines

            return note_lines(self._notes[frame_id - first])
        if self.spill is not None and self.spill.holds(frame_id):
            return list(self.spill.read(frame_id).notes)
        raise IndexError(f"no frame #{frame_id}")

    def emit(self, event: Event) -> None:
        if self.keep_events:
            self.events.append(event)
        notes = self._notes
        if notes:
            # A frame's notes are the events about it (the newest frame an event names), else
            # what happened while it was the newest frame.
            frames = event.frames
            if not frames or frames[-1] == self.count:  # nearly always: the newest frame
                notes[-1].append(event)
            else:
                at = frames[-1] - self.count - 1
                notes[at if -len(notes) <= at < 0 else -1].append(event)
        for subscriber in self._subscribers:
            subscriber(event)

    def emit_values(self, entry: tuple) -> None:
        """`emit` for an event given as its values (see `stack.events.COMPACT`): kept so until
        someone reads it, unless a subscriber waits for the object now."""
        if self._object_subscribers:
            self.emit(expand(entry))
            return
        if self.keep_events:
            self.events.add(entry)  # the event window is kept as frames are recorded
        notes = self._notes
        if notes:
            frames = entry[3]
            if not frames or frames[-1] == self.count:
                notes[-1].append(entry)
            else:
                at = frames[-1] - self.count - 1
                notes[at if -len(notes) <= at < 0 else -1].append(entry)
        for subscriber in self._subscribers:  # each content with the values
            subscriber(entry)

    def now(self) -> float:  # replaced per instance by the clock's bound `now`
        return self.clock.now()

    def close(self) -> None:
        """Remove a temporary spill file (one given by path is kept, complete)."""
        self._closed = True
        if self.spill is not None:
            if self.spill.keep:
                while self._window:
                    self._evict(min(len(self._window), 1024))
            self.spill.close()
