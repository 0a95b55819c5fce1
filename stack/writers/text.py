"""The trace as readable lines: virtual time, who decided, what and why."""

from __future__ import annotations

from typing import TextIO

from stack.events import (
    FORWARDED_WORDS,
    NOT_MINE,
    RECEIVED_WORDS,
    SENT_WORDS,
    Event,
    Forwarded,
    FrameReceived,
    FrameSent,
    FramesFiltered,
    address_text,
    expand,
)
from stack.frame_summary import frame_summary

# `format_event`'s line for the commonest events, one % each from their values (the words are
# the events' own, stack.events): time, host, then the event's words.
_SENT_LINE = "%s%-8s " + SENT_WORDS + ": %s\n"
_RECEIVED_LINE = "%s%-8s " + RECEIVED_WORDS + "%s\n"
_FORWARDED_LINE = "%s%-8s " + FORWARDED_WORDS + "\n"


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
            data = entry[7] if len(entry) > 7 else b""  # entries leave the defaults out
            line = _SENT_LINE % (
                self._stamp,
                entry[2],
                entry[4],
                ids,
                entry[5],
                entry[6],
                frame_summary(data),
            )
        elif tag == "frame_received":
            dst = entry[7] if len(entry) > 7 else b""
            line = _RECEIVED_LINE % (
                self._stamp,
                entry[2],
                entry[4],
                "accepts" if entry[5] else "drops",
                ids,
                entry[6],
                NOT_MINE % (dst.hex(":"), entry[8].hex(":")) if dst else "",
            )
        elif tag == "forwarded":
            _, _, host, _, src, dst, ttl, came, went, via = entry
            line = _FORWARDED_LINE % (
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


_ROSTERS: dict[tuple, tuple] = {}


def _drop_words(event: FramesFiltered) -> tuple:
    """The words of a bus record, once per roster, run of NICs and destination: the roster
    (held so that its id, in the key, stays its own), each dropping NIC's line as the words
    before and after its frame ids (`FrameReceived.describe`'s), and their names for the
    one-line note."""
    readers = event.readers
    key = (id(readers), event.start, event.stop, event.skip, event.dst)
    found = _ROSTERS.get(key)
    if found is None or found[0] is not readers:
        if len(_ROSTERS) >= 1024:  # rosters change rarely: stay bounded all the same
            _ROSTERS.clear()
        dst, skip = event.dst.hex(":"), event.skip
        nics = [
            nic for i, nic in enumerate(readers[event.start : event.stop], event.start) if i != skip
        ]
        lines = []
        for nic in nics:
            words = RECEIVED_WORDS % (nic.name, "drops", "\0", "not for me")
            before, after = words.split("\0")
            mine = NOT_MINE % (dst, nic.mac.hex(":"))
            lines.append((f"{nic.owner:<8} {before}", f"{after}{mine}\n"))
        found = _ROSTERS[key] = (readers, lines, ", ".join(nic.owner for nic in nics))
    return found


def dropped_lines(event: FramesFiltered) -> str:
    """A bus record's lines, one per NIC that read the header and dropped the frame: the very
    text `format_event` gives each of `event.expand()`'s events, without making them (on a
    busy bus these are most of the trace's lines)."""
    head = f"{event.time:12.6f}  "
    ids = _ids(event.frames)
    return "".join([head + before + ids + after for before, after in _drop_words(event)[1]])


def note_lines(events) -> list[str]:
    """The trace lines kept with a frame in a capture (its packet comments): the frame's own
    summary is left out (the capture shows the frame itself) and a bus's dropped copies are one
    line naming every NIC, so a comment costs little to write. `note_bytes`, as text."""
    return [line.decode() for line in note_bytes(events)]


_SHAPES: dict[tuple, tuple] = {}


_last_stamp: tuple = (None, b"")  # the time of the last line `note_bytes` wrote, and its text


def note_bytes(events) -> list[bytes]:
    """`note_lines` as the spill file and a pcapng capture store them (UTF-8): one frame's
    lines, `notes_bytes` for a single frame."""
    return notes_bytes((events,))[0]


def notes_bytes(frames) -> list[list[bytes]]:
    """`note_bytes` of each frame's events in `frames` (the spill file writes the frames that
    leave the trace's window in batches: one call for all of them). The words around a line's
    time and frame ids are worked out and encoded once per shape (sender, segment, length,
    reason …, see `_shape`), so a line is then one bytes `%`."""
    global _last_stamp
    shapes = _SHAPES
    last_time, stamp = _last_stamp  # a frame is often sent at the moment the last one came
    result = []
    for events in frames:
        out = []
        append = out.append
        result.append(out)
        for event in events:
            if type(event) is tuple:  # kept as its values (stack.events.COMPACT)
                time = event[1]
                if time != last_time:
                    last_time, stamp = time, b"%12.6f  " % time
                tag = event[0]
                if tag == "forwarded":
                    src, dst = event[4], event[5]
                    shape = shapes.get((tag, event[2], id(src), id(dst), event[6:]))
                    if shape is not None and shape[2] is src and shape[3] is dst:
                        append(stamp + shape[0])
                        continue
                else:
                    ids = event[3]
                    # FrameSent (host, nic, segment, length) or a kept FrameReceived (host,
                    # nic, accepted, reason): the keys `_shape` gives the events.
                    shape = shapes.get((tag, event[2], event[4], event[5], event[6]))
                    if shape is not None and len(ids) == 1:
                        append(b"%b%b#%d%b" % (stamp, shape[0], ids[0], shape[1]))  # noqa: UP031
                        continue
                event = expand(event)
            time = event.time
            if time != last_time:
                last_time, stamp = time, b"%12.6f  " % time
            head, tail = _shape(event)[:2]
            if tail is None:  # no frame ids in its words
                append(stamp + head)
                continue
            ids = event.frames
            if len(ids) == 1:
                append(b"%b%b#%d%b" % (stamp, head, ids[0], tail))  # noqa: UP031
            else:
                append(b"%b%b%b%b" % (stamp, head, _ids(ids).encode(), tail))  # noqa: UP031
    _last_stamp = last_time, stamp
    return result


def _shape(event) -> tuple:
    """A note line's words after its time, encoded: (before the frame ids, after them, the
    objects whose ids the key holds) for the commonest events, remembered by their values;
    (the whole line, None) for an event whose line names no frame id, or any other."""
    kind = type(event)
    held: tuple = ()
    if kind is FrameSent:
        key = (kind.kind, event.host, event.nic, event.segment, event.wire_length)
    elif kind is FrameReceived and not event.dst:
        key = (kind.kind, event.host, event.nic, event.accepted, event.reason)
    elif kind is FramesFiltered:
        held = (event.readers,)
        key = (kind.kind, id(event.readers), event.start, event.stop, event.skip, event.dst)
    elif kind is Forwarded:
        # No frame id in its words: the whole line after the time is the shape. Keyed by the
        # address objects' ids, which the shape holds so that they stay theirs.
        held = (event.src, event.dst)
        key = (
            kind.kind,
            event.host,
            id(event.src),
            id(event.dst),
            (event.ttl, event.in_interface, event.out_interface, event.next_hop),
        )
    else:
        return (f"{event.host:<8} {event.describe()}".encode(), None)
    shape = _SHAPES.get(key)
    if shape is not None and (
        not held or shape[2] is held[0] and (len(held) == 1 or shape[3] is held[1])
    ):
        return shape
    host = "%-8s " % event.host  # noqa: UP031
    if kind is FrameSent:
        words = SENT_WORDS % (event.nic, "\0", event.segment, event.wire_length)
    elif kind is FrameReceived:
        verdict = "accepts" if event.accepted else "drops"
        words = RECEIVED_WORDS % (event.nic, verdict, "\0", event.reason)
    elif kind is FramesFiltered:
        words = f"{_drop_words(event)[2]} drop \0: not for me (destination {event.dst.hex(':')})"
    else:
        words = FORWARDED_WORDS % (
            address_text(event.src),
            address_text(event.dst),
            event.in_interface,
            event.out_interface,
            event.next_hop,
            event.ttl,
            event.ttl - 1,
        )
    before, _, after = (host + words).partition("\0")
    if len(_SHAPES) >= 4096:  # a long run's shapes are few; stay bounded all the same
        _SHAPES.clear()
    shape = _SHAPES[key] = (before.encode(), after.encode() if _ else None, *held)
    return shape


def _ids(frames) -> str:
    if len(frames) == 1:
        return f"#{frames[0]}"
    return ", ".join(f"#{i}" for i in frames)
