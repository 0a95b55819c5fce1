"""A log of trace events in which one record may stand for several rows.

A frame's delivery on a bus is one record however many NICs dropped it (`FramesFiltered`),
and the commonest events are kept as a tuple of their values (`stack.events.expand`);
whoever reads the log by row — the event pane, `trace.events`, the tests — sees one
`FrameReceived` per NIC, made only when that row is read. Appending costs one list slot and
one integer, whatever the record holds.

`window` bounds what stays in memory: older entries are forgotten (rows keep their numbers;
`frame_bytes` bounds the bytes of the frames the kept `FrameSent` entries hold, which a TAP
device's merged 64 KB frames would otherwise make a gigabyte;
reading a forgotten row raises `IndexError`, or asks `recall` for it when one is given — the
spill file on disk answers there, see `stack.spill`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any

from stack.events import FrameSent, FramesFiltered, expand


def _frame_bytes(entry: Any) -> int:
    """The bytes of the frame an entry holds (a FrameSent's), else 0."""
    if type(entry) is tuple:
        return len(entry[7]) if entry[0] == "frame_sent" else 0
    return len(entry.data) if type(entry) is FrameSent else 0


class ExpandedLog:
    """Append-only rows; `window` (entries, not rows) bounds memory, None keeps everything.

    Appending only puts the entry in a list: the row each entry starts at is worked out when
    someone first reads the log by row (`_index`), not per event."""

    def __init__(
        self,
        window: int | None = None,
        recall: Callable[[int], Any] | None = None,
        frame_bytes: int | None = None,
    ) -> None:
        self._entries: list[Any] = []
        self._starts = array("q")  # row number of each indexed entry's first row
        self._indexed = 0  # entries (from the front of `_entries`) whose starts are known
        self._rows = 0  # rows of the indexed entries, forgotten ones included
        self._dropped_entries = 0  # entries forgotten from the front (compacted in chunks)
        self._dead = 0  # forgotten entries still physically at the front of the lists
        self.window = window
        self.recall = recall
        self.frame_bytes = frame_bytes
        self.held = 0  # bytes of frames in the kept FrameSent entries (`add`'s caller counts)
        # A bound `list.append`: a single entry appended in C, the window kept by `trim`.
        self.add = self._entries.append

    def _index(self) -> None:
        """Work out the first row of every entry appended since the last read."""
        entries = self._entries
        indexed = self._indexed
        if indexed == len(entries):
            return
        starts = self._starts
        rows = self._rows
        for entry in entries[indexed:]:
            starts.append(rows)
            rows += entry.rows if type(entry) is FramesFiltered else 1
        self._rows = rows
        self._indexed = len(entries)

    def __len__(self) -> int:
        self._index()
        return self._rows

    def __bool__(self) -> bool:
        return len(self._entries) > self._dead or self._rows > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, ExpandedLog)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @property
    def first_row(self) -> int:
        """The first row still in memory."""
        self._index()
        return self._starts[self._dead] if self._dead < len(self._starts) else self._rows

    def append(self, entry: Any) -> None:
        self._entries.append(entry)
        if type(entry) is FrameSent:
            self.held += len(entry.data)
        window = self.window
        if window is not None and (
            len(self._entries) - self._dead > window
            or (self.frame_bytes is not None and self.held > self.frame_bytes)
        ):
            self.trim()

    def trim(self) -> None:
        """Forget the oldest entries beyond the window and the frame bytes (after `add`): past
        the window, down to a 64th of it below, so that entries are forgotten a batch at a
        time."""
        window = self.window
        if window is None:
            return
        live = len(self._entries) - self._dead
        if live > window:
            self._forget(live - (window - (window >> 6)))
        cap = self.frame_bytes
        if cap is not None and self.held > cap:
            # Past the bytes: down to a 64th of them below, as for the entries.
            target = cap - (cap >> 6)
            entries, held = self._entries, self.held
            at, end = self._dead, len(entries)
            while held > target and at < end:
                held -= _frame_bytes(entries[at])
                at += 1
            self._forget(at - self._dead, held)

    def _forget(self, count: int, held: int | None = None) -> None:
        # Forget the oldest `count` entries (`held`: the frame bytes left after them, when the
        # caller has counted them); compact the lists in chunks so each append stays O(1) on
        # average.
        self._index()
        entries = self._entries
        dead = self._dead
        if held is not None:
            self.held = held
        elif self.held:
            self.held -= sum([_frame_bytes(entry) for entry in entries[dead : dead + count]])
        entries[dead : dead + count] = [None] * count
        self._dead = dead = dead + count
        if dead >= max(1024, (self.window or 0) // 4):
            del entries[:dead]
            del self._starts[:dead]
            self._indexed -= dead
            self._dropped_entries += dead
            self._dead = 0

    def _locate(self, row: int) -> Any:
        self._index()
        if row < 0:
            row += self._rows
        if not 0 <= row < self._rows:
            raise IndexError(row)
        starts = self._starts
        if row < self.first_row:
            if self.recall is not None:
                return self.recall(row)
            raise IndexError(f"row {row} is no longer in memory")
        i = bisect_right(starts, row, self._dead) - 1
        entry = self._entries[i]
        if type(entry) is FramesFiltered:
            return entry.expand()[row - starts[i]]
        if type(entry) is tuple:
            return expand(entry)
        return entry

    def __getitem__(self, key: int | slice) -> Any:
        self._index()
        if isinstance(key, slice):
            return (
                [self._locate(r) for r in range(*key.indices(self._rows))]
                if key.step not in (None, 1)
                else self._span(*key.indices(self._rows)[:2])
            )
        return self._locate(key)

    def _span(self, start: int, stop: int) -> list[Any]:
        out: list[Any] = []
        if start >= stop:
            return out
        first = self.first_row
        while start < min(stop, first):
            out.append(self._locate(start))
            start += 1
        if start >= stop:
            return out
        i = bisect_right(self._starts, start, self._dead) - 1
        entries, starts = self._entries, self._starts
        row = start
        while row < stop and i < len(entries):
            entry = entries[i]
            if type(entry) is FramesFiltered:
                rows = entry.expand()
                skip = row - starts[i]
                take = rows[skip : skip + stop - row]
                out.extend(take)
                row += len(take)
            else:
                out.append(expand(entry) if type(entry) is tuple else entry)
                row += 1
            i += 1
        return out

    def __iter__(self) -> Iterator[Any]:
        start = self.first_row
        if start and self.recall is not None:
            for row in range(start):
                yield self.recall(row)
        for entry in self._entries[self._dead :]:
            if type(entry) is FramesFiltered:
                yield from entry.expand()
            elif type(entry) is tuple:
                yield expand(entry)
            else:
                yield entry

    def records(self) -> list[Any]:
        """The entries in memory as they were appended: a bus record not expanded into its
        rows (an event kept as its values is made, one entry each)."""
        return [expand(e) if type(e) is tuple else e for e in self._entries[self._dead :]]
