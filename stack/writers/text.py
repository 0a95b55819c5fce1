"""The trace as readable lines: virtual time, who decided, what and why."""

from __future__ import annotations

from typing import TextIO

from stack.events import Event, FrameReceived, FrameSent, FramesFiltered


def format_event(event: Event, describe=None) -> str:
    """`describe(event)` words the sentence (the app gives its language's); default English."""
    text = event.describe() if describe is None else describe(event)
    return f"{event.time:12.6f}  {event.host:<8} {text}"


class TextWriter:
    def __init__(self, out: TextIO, *, hide: frozenset[str] = frozenset(), describe=None) -> None:
        self.out = out
        self.hide = hide
        self.describe = describe
        self.lines = 0

    def __call__(self, event: Event) -> None:
        if event.kind in self.hide:
            return
        if type(event) is FramesFiltered:
            if "frame_received" not in self.hide:
                if self.describe is None:
                    self.out.write(dropped_lines(event))
                    self.lines += event.rows
                else:
                    rows = event.expand()
                    self.out.write("".join(format_event(e, self.describe) + "\n" for e in rows))
                    self.lines += len(rows)
            return
        self.out.write(format_event(event, self.describe) + "\n")
        self.lines += 1

    def flush(self) -> None:
        self.out.flush()


def dropped_lines(event: FramesFiltered) -> str:
    """A bus record's lines, one per NIC that read the header and dropped the frame: the very
    text `format_event` gives each of `event.expand()`'s events, without making them (on a
    busy bus these are most of the trace's lines)."""
    head = f"{event.time:12.6f}  "
    tail = f" drops {_ids(event.frames)}: not for me (destination {event.dst.hex(':')} is not "
    readers, skip = event.readers, event.skip
    return "".join(
        f"{head}{nic.owner:<8} {nic.name}{tail}{nic.mac.hex(':')})\n"
        for i, nic in enumerate(readers[event.start : event.stop], event.start)
        if i != skip
    )


def note_lines(events) -> list[str]:
    """The trace lines kept with a frame in a capture (its packet comments): the frame's own
    summary is left out (the capture shows the frame itself) and a bus's dropped copies are one
    line naming every NIC, so a comment costs little to write."""
    out = []
    for event in events:
        kind = type(event)
        if kind is FrameSent:
            out.append(
                f"{event.time:12.6f}  {event.host:<8} {event.nic} sends {_ids(event.frames)} on {event.segment} ({event.wire_length} bytes with FCS)"
            )
        elif kind is FrameReceived and not event.dst:
            # FrameReceived.describe() without the call (one per frame a NIC keeps).
            out.append(
                f"{event.time:12.6f}  {event.host:<8} {event.nic} {'accepts' if event.accepted else 'drops'} {_ids(event.frames)}: {event.reason}"
            )
        elif kind is FramesFiltered:
            readers = event.readers
            names = ", ".join(
                readers[i].owner for i in range(event.start, event.stop) if i != event.skip
            )
            out.append(
                f"{event.time:12.6f}  {event.host:<8} {names} drop {_ids(event.frames)}: not for me (destination {event.dst.hex(':')})"
            )
        else:
            out.append(f"{event.time:12.6f}  {event.host:<8} {event.describe()}")
    return out


def _ids(frames) -> str:
    if len(frames) == 1:
        return f"#{frames[0]}"
    return ", ".join(f"#{i}" for i in frames)
