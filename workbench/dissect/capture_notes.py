"""A capture's single pass kept for random access: what the app needs to show any frame as
`workbench dissect` (and tshark) show it, without a second decoder.

`workbench dissect` runs `CaptureState` over the frames in file order and forgets each frame's
`FrameNotes` once it is printed. The app shows frames in any order (a scroll, a jump, a
filter), so `CaptureNotes` runs the same pass as far as something has asked for
(`advance(upto)`: the rows on screen, a filter's worker, the selected frame) and keeps every
frame's notes: pickled a chunk at a time and compressed (about 35 bytes a frame, 35 MB for a
million), with a few chunks unpacked behind an LRU. Each note's `Facts` are read again from
the record when it is unpacked (they are the frame's own header values).

Rows, the filter and the tree then read a frame through `noted_row`, `NotedScan` and
`workbench.dissect.noted_tree`, which put the notes on top of the protocol model exactly as
`workbench dissect` does: relative Seq/Ack (`tcp.seq_raw` for the wire's), the scaled window,
`tcp.analysis.*` in Info, "[TCP segment of a reassembled PDU]", reassembled IP datagrams.

`advance` may run in a worker thread while the UI thread reads: stepping the state is
serialised by one lock, and the storage's short swaps by another.
"""

from __future__ import annotations

import pickle
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence

from stack.proto.frame import Frame
from stack.proto.mac_names import column_name
from stack.proto.model import Row
from workbench.dissect.capture_state import CaptureState, FrameNotes, _Bytes, frame_for
from workbench.dissect.facts import facts_of
from workbench.dissect.filter import DisplayFilter
from workbench.dissect.frame_view import FrameView
from workbench.dissect.rows import RowCache
from workbench.dissect.scan import FilterScan

CHUNK = 512  # notes pickled together (they share their classes' names: ~10x smaller)
UNPACKED = 16  # chunks kept unpacked (8,192 frames: a few screens either side of the view)
BATCH = 256  # frames stepped per hold of the stepping lock
NEAR = 3_000  # a row this few frames past the analysis is analysed on the spot (~0.3 s)


class CaptureNotes:
    def __init__(self, frames: Sequence) -> None:
        self.frames = frames
        self.state = CaptureState()
        self._packed: list[bytes] = []
        self._open: list[FrameNotes] = []
        self._unpacked: OrderedDict[int, list[FrameNotes]] = OrderedDict()
        self._step_lock = threading.Lock()
        self._store_lock = threading.Lock()
        self.analysed = 0  # frames [0, analysed) have notes

    def advance(self, upto: int, cancelled: Callable[[], bool] = lambda: False) -> int:
        """Run the pass over frames up to index `upto` (exclusive; at most those indexed so far);
        returns how far it has got. `cancelled` is asked between batches."""
        while self.analysed < min(upto, len(self.frames)) and not cancelled():
            with self._step_lock:
                end = min(upto, len(self.frames), self.analysed + BATCH)
                step, frames = self.state.step, self.frames
                for index in range(self.analysed, end):
                    self._keep(step(frames[index]))
                    self.analysed = index + 1
        return self.analysed

    def _keep(self, notes: FrameNotes) -> None:
        self._open.append(notes)
        if len(self._open) == CHUNK:
            packed = zlib.compress(pickle.dumps(self._open, pickle.HIGHEST_PROTOCOL), 1)
            with self._store_lock:
                self._packed.append(packed)
                self._open = []

    def get(self, index: int) -> FrameNotes | None:
        """Frame `index`'s notes, or None while the pass has not reached it."""
        if index >= self.analysed:
            return None
        chunk, at = divmod(index, CHUNK)
        with self._store_lock:
            if chunk == len(self._packed):
                return self._open[at]
            notes = self._unpacked.get(chunk)
            if notes is None:
                notes = pickle.loads(zlib.decompress(self._packed[chunk]))
                self._unpacked[chunk] = notes
                if len(self._unpacked) > UNPACKED:
                    self._unpacked.popitem(last=False)
            else:
                self._unpacked.move_to_end(chunk)
        found = notes[at]
        if found.facts is None:
            record = self.frames[index]
            rebuilt = found.frame_bytes
            found.facts = facts_of(_Bytes(record, rebuilt) if rebuilt else record)
        return found

    def near(self, index: int) -> FrameNotes | None:
        """Frame `index`'s notes, running the pass there first when it is `NEAR` (a row just
        scrolled into view); None when it is further (a worker gets there)."""
        if index >= self.analysed and index - self.analysed < NEAR:
            self.advance(index + 1)
        return self.get(index)

    def reach(self, index: int) -> FrameNotes:
        """Frame `index`'s notes, however far the pass must run for them (the tree of a frame
        the person chose)."""
        self.advance(index + 1)
        notes = self.get(index)
        assert notes is not None
        return notes


def noted_row(record, notes: FrameNotes) -> Row:
    """The packet-list row `workbench dissect` prints for `record` (vendor names, relative
    numbers, analysis prefixes, reassembly), coloured as its protocol."""
    frame = frame_for(record, notes)
    base = frame.row()
    protocol, info = notes.row(base.protocol, base.info)
    kind = base.kind
    if protocol != base.protocol and kind not in ("malformed", "bad-checksum"):
        kind = _COLOUR.get(protocol, kind)
    return Row(protocol, column_name(base.source), column_name(base.destination), info, kind)


_COLOUR = {"HTTP": "http", "TCP": "tcp", "IPv4": "ip", "IPv6": "ip"}


class NotedRows(RowCache):
    """Rows from the capture's pass. A row the pass has not reached yet is the frame alone
    and is not kept, so it is drawn again once the pass has been there; `unreached(index)` is
    told, so that someone can run the pass there (a list scrolled far by the mouse)."""

    def __init__(
        self,
        frames: Sequence,
        notes: CaptureNotes,
        size: int = 4096,
        unreached: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(frames, size)
        self.notes = notes
        self.unreached = unreached

    def decode(self, index: int) -> tuple[Row, bool]:
        notes = self.notes.near(index)
        record = self.frames[index]
        if notes is None:
            if self.unreached is not None:
                self.unreached(index)
            return super().decode(index)[0], False
        return noted_row(record, notes), True


class NotedScan(FilterScan):
    """A display filter over the capture's pass: each frame as `workbench dissect -Y` sees it."""

    chunk = 2_000  # frames between progress reports (the pass runs too)

    def __init__(
        self, frames: Sequence, display_filter: DisplayFilter, notes: CaptureNotes
    ) -> None:
        super().__init__(frames, display_filter)
        self.notes = notes

    def find(self, start: int, end: int) -> list[int]:
        self.notes.advance(end)
        frames, get, keep = self.frames, self.notes.get, self.filter
        found = []
        for index in range(start, min(end, self.notes.analysed)):
            try:
                record, notes = frames[index], get(index)
                frame = frame_for(record, notes) if keep.needs_decode else _EMPTY
                if keep.predicate(frame, FrameView.of(record, notes)):
                    found.append(index)
            except Exception:  # noqa: BLE001 — a decoder bug hides one row, never the list
                continue
        return found


_EMPTY = Frame(b"")
