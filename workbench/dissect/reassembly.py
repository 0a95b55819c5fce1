"""IP reassembly across frames, as Wireshark does it: fragments wait, the last one completes.

`IpReassembly.add(facts)` takes every frame in capture order. A fragment that does not
complete its datagram returns a `FragmentNote` (Wireshark shows it as "Fragmented IP
protocol"); the fragment that completes it returns a note with the whole datagram's payload
(`datagram`) and the frames it was made of, so the caller dissects the datagram on that frame
Fragments are keyed as RFC
791 says — source, destination, protocol, identification — and overlapping data keeps the
first copy. A datagram that never completes simply stays fragments, bounded by `MAX_PENDING`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from workbench.dissect.facts import Facts

MAX_PENDING = 4096  # datagrams waiting for fragments; the oldest is forgotten beyond this


class _Pending:
    __slots__ = ("pieces", "frames", "total", "parts")

    def __init__(self) -> None:
        self.pieces: dict[int, bytes] = {}  # offset → bytes
        self.frames: list[int] = []
        self.parts: list[tuple[int, int, int]] = []  # (offset, frame, bytes) of each fragment
        self.total: int | None = None  # known once the last fragment (MF clear) arrives


class FragmentNote(NamedTuple):
    """(A named tuple: one is made for every completed datagram of a capture.)"""

    frames: tuple[int, ...]  # the frames of this datagram so far (all of them when complete)
    datagram: bytes | None = None  # the reassembled payload, on the completing frame only
    parts: tuple[tuple[int, int, int], ...] = ()  # (frame, offset, bytes) by offset, then too


class IpReassembly:
    def __init__(self) -> None:
        self._pending: OrderedDict[tuple, _Pending] = OrderedDict()
        # The keys of every datagram begun, and the most waiting at once, when the caller asks
        # (the second part of a pass in two processes: `workbench.dissect.halves`).
        self.opened: set[tuple] | None = None
        self.peak = 0

    def pending_keys(self) -> set[tuple]:
        """The keys of the datagrams still waiting for fragments."""
        return set(self._pending)

    def add(self, f: Facts) -> FragmentNote | None:
        if not f.fragmented or f.ip_id is None:
            return None
        key = (f.ip_version, f.src, f.dst, f.proto, f.ip_id)
        return self.add_piece(key, f.number, f.frag_offset, f.more_fragments, f.ip_payload, True)

    def add_piece(
        self,
        key: tuple,
        number: int,
        offset: int,
        more: bool,
        payload: bytes,
        waiting=False,
        wanted=None,
    ) -> FragmentNote | None:
        """One fragment, keyed as `add` keys it (version, source and destination text,
        protocol, identification): the note of the datagram it completes, or None (with
        `waiting`, a note of the frames so far). `wanted(key, head, length)`, if given, is
        asked before a completed datagram is put together, with its first fragment's bytes
        and its length: False lets it go unbuilt, and None is returned."""
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending()
            if self.opened is not None:
                self.opened.add(key)
                self.peak = max(self.peak, len(self._pending))
            if len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
        pending.frames.append(number)
        pending.parts.append((offset, number, len(payload)))
        pending.pieces.setdefault(offset, payload)
        if not more:
            pending.total = offset + len(payload)
        if wanted is not None:
            if pending.total is None:  # the last fragment not seen yet: nothing to judge
                return FragmentNote(tuple(pending.frames)) if waiting else None
            length = _covered(pending)
            if length is None:
                return FragmentNote(tuple(pending.frames)) if waiting else None
            if not wanted(key, pending.pieces[0], length):
                del self._pending[key]
                return None
        datagram = _whole(pending)
        if datagram is None:
            return FragmentNote(tuple(pending.frames)) if waiting else None
        del self._pending[key]
        parts = tuple((number, at, size) for at, number, size in sorted(pending.parts))
        return FragmentNote(tuple(pending.frames), datagram, parts)


def _covered(pending: _Pending) -> int | None:
    """The length `_whole` would give the datagram, without putting it together: None while
    a fragment is missing (the first fragment is then at offset 0)."""
    total = pending.total
    if total is None:
        return None
    pieces = pending.pieces
    end = 0
    for offset in sorted(pieces):
        if offset > end:
            return None
        end = max(end, offset + len(pieces[offset]))
    return total if end >= total else None


def _whole(pending: _Pending) -> bytes | None:
    if pending.total is None:
        return None
    out = bytearray()
    for offset in sorted(pending.pieces):
        piece = pending.pieces[offset]
        if offset > len(out):
            return None  # a hole: a fragment is still missing
        out += piece[len(out) - offset :]
    return bytes(out[: pending.total]) if len(out) >= pending.total else None
