"""The receiving side's out-of-order queue: segments that arrived ahead of RCV.NXT, kept as
disjoint sorted ranges until the hole before them is filled (RFC 9293 §3.10.7.4, step 7).

Sequence numbers here are unwrapped (plain integers that keep growing), so ordering is `<`.
"""

from __future__ import annotations

from bisect import bisect_left


class OutOfOrderQueue:
    __slots__ = ("_starts", "_chunks", "fin_at", "bytes")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._chunks: list[bytes] = []
        self.fin_at: int | None = None  # sequence number of a FIN seen ahead of time
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._starts)

    def add(self, seq: int, data: bytes) -> None:
        """Keep [seq, seq+len) minus anything already held."""
        starts, chunks = self._starts, self._chunks
        end = seq + len(data)
        i = bisect_left(starts, seq)
        # Trim against the range before, which may overlap our front.
        if i > 0:
            prev_end = starts[i - 1] + len(chunks[i - 1])
            if prev_end >= end:
                return
            if prev_end > seq:
                data = data[prev_end - seq :]
                seq = prev_end
        # Swallow ranges that we cover entirely; trim our tail at the first one we do not.
        while i < len(starts) and starts[i] < end:
            s, c = starts[i], chunks[i]
            if s + len(c) <= end:
                del starts[i], chunks[i]
                self.bytes -= len(c)
                continue
            data = data[: s - seq]
            end = s
            break
        if data:
            starts.insert(i, seq)
            chunks.insert(i, data)
            self.bytes += len(data)

    def pop_ready(self, rcv_nxt: int) -> tuple[int, list[bytes]]:
        """Take the ranges that now continue from `rcv_nxt`; returns the new RCV.NXT."""
        starts, chunks = self._starts, self._chunks
        out: list[bytes] = []
        while starts and starts[0] <= rcv_nxt:
            s, c = starts.pop(0), chunks.pop(0)
            self.bytes -= len(c)
            end = s + len(c)
            if end > rcv_nxt:
                out.append(c[rcv_nxt - s :])
                rcv_nxt = end
        return rcv_nxt, out

    def clear(self) -> None:
        self._starts.clear()
        self._chunks.clear()
        self.fin_at = None
        self.bytes = 0
