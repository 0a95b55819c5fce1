"""Which frames of a growing list pass a display filter, found a chunk at a time.

The packet list keeps one `FilterScan` per filter: `find(start, end)` only reads (so a worker
thread can run it while the stack appends frames), `accept(found, upto)` records the result
on the UI's side. Matches are frame indices, ascending, in an array of 8-byte integers: a
million matches cost 8 MB, not the 36 MB of a list of ints.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workbench.dissect.filter import DisplayFilter

if TYPE_CHECKING:  # stack.trace brings the lab's events: a capture's rows never need them
    from stack.trace import FrameRecord


class FilterScan:
    chunk = 20_000  # frames a worker filters between progress reports

    def __init__(self, frames: Sequence[FrameRecord], display_filter: DisplayFilter) -> None:
        self.frames = frames
        self.filter = display_filter
        self.matches = array("q")
        self.scanned = 0  # frames looked at so far, from the first

    def __len__(self) -> int:
        return len(self.matches)

    @property
    def text(self) -> str:
        return self.filter.text

    @property
    def pending(self) -> int:
        """Frames not looked at yet."""
        return len(self.frames) - self.scanned

    def find(self, start: int, end: int) -> list[int]:
        """Indices in [start, end) that pass. Reads only: safe from a worker thread."""
        frames, matches = self.frames, self.filter.matches
        found = []
        for index in range(start, end):
            try:
                if matches(frames[index]):
                    found.append(index)
            except Exception:  # noqa: BLE001 — a decoder bug hides one row, never the list
                continue
        return found

    def accept(self, found: list[int], upto: int) -> None:
        """Record what `find(self.scanned, upto)` returned."""
        self.matches.extend(found)
        self.scanned = upto

    def catch_up(self) -> None:
        """Look at every pending frame now (for a few: the caller decides what few means)."""
        end = len(self.frames)
        self.accept(self.find(self.scanned, end), end)

    def row_of(self, index: int) -> int | None:
        """The row showing frame index `index`, or None if it does not pass (or not yet)."""
        row = bisect_left(self.matches, index)
        if row < len(self.matches) and self.matches[row] == index:
            return row
        return None
