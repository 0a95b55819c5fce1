"""The trace as readable lines: virtual time, who decided, what and why."""

from __future__ import annotations

from typing import TextIO

from stack.events import (
    Event,
    Forwarded,
    FrameReceived,
    FrameSent,
    FramesFiltered,
    address_text,
    expand,
)
from stack.frame_summary import frame_summary


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
        self._time, self._stamp = None, ""
        # In English a frame's sent, kept and forwarded events may come as their values
        # (stack.events.COMPACT, as the trace keeps them), and their lines are % formatted
        # from them: no event object made for this writer.
        self.takes_values = describe is None

    def _values(self, entry: tuple) -> None:
        """The line `format_event` gives `expand(entry)` (see stack.events.COMPACT)."""
        tag = entry[0]
        if tag in self.hide:
            return
        time = entry[1]
        if time != self._time:  # a frame's events mostly share one moment
            self._time, self._stamp = time, "%12.6f  " % time  # noqa: UP031
        frames = entry[3]
        ids = "#%d" % frames[0] if len(frames) == 1 else _ids(frames)  # noqa: UP031
        if tag == "frame_sent":
            host, nic, segment, length = entry[2], entry[4], entry[5], entry[6]
            data = entry[7] if len(entry) > 7 else b""  # entries leave the defaults out
            line = "%s%-8s %s sends %s on %s (%d bytes with FCS): %s\n" % (  # noqa: UP031
                self._stamp,
                host,
                nic,
                ids,
                segment,
                length,
                frame_summary(data),
            )
        elif tag == "frame_received":
            host, nic, accepted, reason = entry[2], entry[4], entry[5], entry[6]
            dst = entry[7] if len(entry) > 7 else b""
            line = "%s%-8s %s %s %s: %s%s\n" % (  # noqa: UP031
                self._stamp,
                host,
                nic,
                "accepts" if accepted else "drops",
                ids,
                reason,
                f" (destination {dst.hex(':')} is not {entry[8].hex(':')})" if dst else "",
            )
        elif tag == "forwarded":
            _, _, host, _, src, dst, ttl, came, went, via = entry
            line = "%s%-8s forwards %s → %s from %s to %s via %s, TTL %d → %d\n" % (  # noqa: UP031
                self._stamp,
                host,
                address_text(src),
                address_text(dst),
                came,
                went,
                via,
                ttl,
                ttl - 1,
            )
        else:
            self(expand(entry))
            return
        self.out.write(line)
        self.lines += 1

    def __call__(self, event: Event | tuple) -> None:
        if type(event) is tuple:
            if self.describe is None:
                self._values(event)
                return
            event = expand(event)
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


_DROP_LINES: dict[tuple, tuple] = {}


def dropped_lines(event: FramesFiltered) -> str:
    """A bus record's lines, one per NIC that read the header and dropped the frame: the very
    text `format_event` gives each of `event.expand()`'s events, without making them (on a
    busy bus these are most of the trace's lines). The words around the time and frame ids
    are made once per roster, run of NICs and destination (keyed by the roster's id, which the
    entry holds so that it stays its own)."""
    readers = event.readers
    key = (id(readers), event.start, event.stop, event.skip, event.dst)
    found = _DROP_LINES.get(key)
    if found is None or found[0] is not readers:
        if len(_DROP_LINES) >= 1024:  # rosters change rarely: stay bounded all the same
            _DROP_LINES.clear()
        dst, skip = event.dst.hex(":"), event.skip
        found = _DROP_LINES[key] = (
            readers,
            [
                (
                    f"{nic.owner:<8} {nic.name} drops ",
                    f": not for me (destination {dst} is not {nic.mac.hex(':')})\n",
                )
                for i, nic in enumerate(readers[event.start : event.stop], event.start)
                if i != skip
            ],
        )
    head = f"{event.time:12.6f}  "
    ids = _ids(event.frames)
    return "".join([head + before + ids + after for before, after in found[1]])


def note_lines(events) -> list[str]:
    """The trace lines kept with a frame in a capture (its packet comments): the frame's own
    summary is left out (the capture shows the frame itself) and a bus's dropped copies are one
    line naming every NIC, so a comment costs little to write.

    Written for every frame that leaves the trace's window, so the common kinds are formatted
    with one `%` each, from parts worked out once per sender (the same text as `describe`)."""
    out = []
    append = out.append
    last_time, stamp = None, ""
    for event in events:
        if type(event) is tuple:  # kept as its values (stack.events.COMPACT)
            event = expand(event)
        kind = type(event)
        time = event.time
        if time != last_time:  # a frame's events mostly share one moment
            last_time, stamp = time, "%12.6f  " % time  # noqa: UP031
        frames = event.frames
        ids = "#%d" % frames[0] if len(frames) == 1 else _ids(frames)  # noqa: UP031
        if kind is FrameSent:
            append(
                "%s%-8s %s sends %s on %s (%d bytes with FCS)"  # noqa: UP031
                % (stamp, event.host, event.nic, ids, event.segment, event.wire_length)
            )
        elif kind is FrameReceived and not event.dst:
            # FrameReceived.describe() without the call (one per frame a NIC keeps).
            append(
                "%s%-8s %s %s %s: %s"  # noqa: UP031
                % (
                    stamp,
                    event.host,
                    event.nic,
                    "accepts" if event.accepted else "drops",
                    ids,
                    event.reason,
                )
            )
        elif kind is FramesFiltered:
            append(
                "%s%-8s %s%s%s"  # noqa: UP031
                % (
                    stamp,
                    event.host,
                    *_dropped_parts(event),
                )
            )
        elif kind is Forwarded:
            append(
                "%s%-8s forwards %s → %s from %s to %s via %s, TTL %d → %d"  # noqa: UP031
                % (
                    stamp,
                    event.host,
                    address_text(event.src),
                    address_text(event.dst),
                    event.in_interface,
                    event.out_interface,
                    event.next_hop,
                    event.ttl,
                    event.ttl - 1,
                )
            )
        else:
            append(f"{stamp}{event.host:<8} {event.describe()}")
    return out


_SHAPES: dict[tuple, tuple] = {}


def note_bytes(events) -> list[bytes]:
    """`note_lines` as the spill file stores them (UTF-8), for every frame that leaves the
    trace's window: the words around a line's time and frame id are encoded once per shape
    (sender, segment, length, reason …), so a line is then one bytes `%`."""
    out = []
    append = out.append
    shapes = _SHAPES
    last_time, stamp = None, b""
    for event in events:
        if type(event) is tuple:  # kept as its values (stack.events.COMPACT)
            time = event[1]
            if time != last_time:
                last_time, stamp = time, b"%12.6f  " % time
            tag, frames = event[0], event[3]
            if tag == "forwarded":
                src, dst = event[4], event[5]
                key = (Forwarded, event[2], id(src), id(dst), *event[7:], event[6])
                shape = shapes.get(key)
                if shape is not None and shape[1] is src and shape[2] is dst:
                    append(stamp + shape[0])
                    continue
            elif len(frames) == 1:
                # FrameSent (host, nic, segment, length) or a kept FrameReceived (host, nic,
                # accepted, reason): the same shapes as the events' below.
                kind = FrameSent if tag == "frame_sent" else FrameReceived
                shape = shapes.get((kind, event[2], event[4], event[5], event[6]))
                if shape is not None:
                    append(b"%b%b%d%b" % (stamp, shape[0], frames[0], shape[1]))  # noqa: UP031
                    continue
            event = expand(event)
        kind = type(event)
        time = event.time
        if time != last_time:
            last_time, stamp = time, b"%12.6f  " % time
        frames = event.frames
        if len(frames) != 1:
            append(_encoded(event))
            continue
        if kind is FrameSent:
            key = (kind, event.host, event.nic, event.segment, event.wire_length)
            shape = shapes.get(key)
            if shape is None:
                shape = _shape(
                    key,
                    f"{event.host:<8} {event.nic} sends #",
                    f" on {event.segment} ({event.wire_length} bytes with FCS)",
                )
            append(b"%b%b%d%b" % (stamp, shape[0], frames[0], shape[1]))  # noqa: UP031
        elif kind is FrameReceived and not event.dst:
            key = (kind, event.host, event.nic, event.accepted, event.reason)
            shape = shapes.get(key)
            if shape is None:
                verdict = "accepts" if event.accepted else "drops"
                shape = _shape(key, f"{event.host:<8} {event.nic} {verdict} #", f": {event.reason}")
            append(b"%b%b%d%b" % (stamp, shape[0], frames[0], shape[1]))  # noqa: UP031
        elif kind is FramesFiltered:
            key = (kind, event.readers, event.start, event.stop, event.skip, event.dst)
            shape = shapes.get(key)
            if shape is None:
                head, _ids_text, tail = _dropped_parts(event)
                shape = _shape(key, f"{event.host:<8} {head}#", tail)
            append(b"%b%b%d%b" % (stamp, shape[0], frames[0], shape[1]))  # noqa: UP031
        elif kind is Forwarded:
            # No frame id in its words: the whole line after the time is the shape. Keyed by
            # the address objects' ids, which the shape holds so that they stay theirs.
            src, dst = event.src, event.dst
            key = (
                kind,
                event.host,
                id(src),
                id(dst),
                event.in_interface,
                event.out_interface,
                event.next_hop,
                event.ttl,
            )
            shape = shapes.get(key)
            if shape is None or shape[1] is not src or shape[2] is not dst:
                line = _note_line(event)
                shape = _shape(key, line[len(stamp) :], src, dst)
            append(stamp + shape[0])
        else:
            append(_encoded(event))
    return out


def _shape(key: tuple, head: str, *rest) -> tuple:
    if len(_SHAPES) >= 4096:  # a long run's shapes are few; stay bounded all the same
        _SHAPES.clear()
    shape = _SHAPES[key] = (
        head.encode(),
        *(part.encode() if type(part) is str else part for part in rest),
    )
    return shape


def _note_line(event) -> str:
    return note_lines((event,))[0]


def _encoded(event) -> bytes:
    return _note_line(event).encode()


_DROPPED: dict[tuple, tuple[str, str]] = {}


def _dropped_parts(event: FramesFiltered) -> tuple[str, str, str]:
    """The words around a bus record's frame ids, once per run of NICs and destination."""
    key = (event.readers, event.start, event.stop, event.skip, event.dst)
    parts = _DROPPED.get(key)
    if parts is None:
        if len(_DROPPED) >= 1024:  # rosters change rarely: stay bounded all the same
            _DROPPED.clear()
        readers = event.readers
        names = ", ".join(
            readers[i].owner for i in range(event.start, event.stop) if i != event.skip
        )
        parts = _DROPPED[key] = (
            f"{names} drop ",
            f": not for me (destination {event.dst.hex(':')})",
        )
    head, tail = parts
    return head, _ids(event.frames), tail


def _ids(frames) -> str:
    if len(frames) == 1:
        return f"#{frames[0]}"
    return ", ".join(f"#{i}" for i in frames)
