"""Selective acknowledgment (RFC 2018): which blocks a receiver reports, and the sender's
scoreboard of what the peer already holds above SND.UNA, so that loss recovery and the
go-back after a timeout resend only the holes (in the spirit of RFC 6675, kept simple).

Sequence numbers are unwrapped integers, as everywhere in this package.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right


class Intervals:
    """Disjoint, merged [start, end) ranges in order."""

    __slots__ = ("starts", "ends", "total")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.total = 0

    def __bool__(self) -> bool:
        return bool(self.starts)

    def __len__(self) -> int:
        return len(self.starts)

    def add(self, start: int, end: int) -> bool:
        """Merge [start, end) in; True when it covered anything new."""
        if end <= start:
            return False
        starts, ends = self.starts, self.ends
        i = bisect_left(ends, start)  # first range that ends at or after our start
        j = bisect_right(starts, end)  # ranges before j start at or before our end
        if i < j:
            new_start = min(start, starts[i])
            new_end = max(end, ends[j - 1])
            covered = sum(ends[k] - starts[k] for k in range(i, j))
            if new_end - new_start == covered:
                return False
            del starts[i:j], ends[i:j]
        else:
            new_start, new_end, covered = start, end, 0
        starts.insert(i, new_start)
        ends.insert(i, new_end)
        self.total += new_end - new_start - covered
        return True

    def drop_below(self, seq: int) -> None:
        starts, ends = self.starts, self.ends
        while starts and ends[0] <= seq:
            self.total -= ends[0] - starts[0]
            del starts[0], ends[0]
        if starts and starts[0] < seq:
            self.total -= seq - starts[0]
            starts[0] = seq

    def containing(self, seq: int) -> int:
        """Index of the range holding `seq`, or -1."""
        i = bisect_right(self.starts, seq) - 1
        if i >= 0 and seq < self.ends[i]:
            return i
        return -1

    def next_start(self, seq: int) -> int | None:
        """Start of the first range that begins after `seq`."""
        i = bisect_right(self.starts, seq)
        return self.starts[i] if i < len(self.starts) else None

    def covered_in(self, lo: int, hi: int) -> int:
        """How much of [lo, hi) the ranges cover."""
        if hi <= lo or not self.starts:
            return 0
        starts, ends = self.starts, self.ends
        i = bisect_right(ends, lo)
        total = 0
        while i < len(starts) and starts[i] < hi:
            total += min(ends[i], hi) - max(starts[i], lo)
            i += 1
        return total

    @property
    def high(self) -> int:
        return self.ends[-1] if self.ends else 0

    def clear(self) -> None:
        self.starts.clear()
        self.ends.clear()
        self.total = 0

    def blocks(self, latest: int, limit: int = 4) -> list[tuple[int, int]]:
        """RFC 2018 §4: the block holding the latest arrival first, then the others from the
        top of the sequence space down."""
        out: list[tuple[int, int]] = []
        first = self.containing(latest)
        if first >= 0:
            out.append((self.starts[first], self.ends[first]))
        for k in range(len(self.starts) - 1, -1, -1):
            if len(out) >= limit:
                break
            if k != first:
                out.append((self.starts[k], self.ends[k]))
        return out
