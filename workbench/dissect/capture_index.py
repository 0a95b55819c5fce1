"""Random access to a capture file of any size: where each frame's record starts, found a chunk
at a time (a worker thread does it while the first screen is already up), and each frame read
from the memory-mapped file only when something asks for it.

As Toolong indexes a log's lines, `CaptureIndex` indexes a capture's records: classic pcap
(either byte order, micro- or nanosecond) or pcapng (several sections and interfaces, each
interface's name the frame's segment, its `if_tsresol` honoured). `index(count)` reads only
record headers and appends offsets to an array of 8-byte integers (8 MB for a million frames);
`len()` is the frames indexed so far and `index[i]` builds frame i's `CapturedFrame` on demand,
so a packet list over it decodes only the rows it draws. A file cut short is not an error once
its header has been read: indexing stops at the last whole frame and `problem` says where.

`write_subset` copies chosen frames' records byte for byte into a new file of the same format
(pcapng keeps its section and interface blocks), so nothing a capture held is lost or rounded.
"""

from __future__ import annotations

import mmap
import os
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from workbench.dissect.capture import (
    LINK_TYPES,
    PCAP_MAGIC,
    CapturedFrame,
    CaptureError,
    captured_frame,
    check_link,
    interface_block,
    packet_block,
)

_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_PCAPNG_ORDER = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
_EPB, _PB, _SPB, _IDB, _ISB = 6, 2, 3, 1, 5
_MAX_RECORD = 64 << 20  # a record this large is a corrupt length, not a frame


@dataclass
class _Section:
    """One pcapng section: its byte order and its interfaces (`capture.interface_block`'s)."""

    start: int
    order: str
    interfaces: list = field(default_factory=list)


class CaptureIndex:
    """The frames of the capture at `path` as a growing sequence of `CapturedFrame`s (each read
    by `workbench.dissect.capture`'s own code for one record, so both readers agree).

    Opening reads only the file header (raises `CaptureError` with one sentence, or OSError).
    `index()` may run in a worker thread while the UI reads: it only appends."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = os.path.basename(path)
        self._file = open(path, "rb")  # noqa: SIM115 — held for the mmap's lifetime
        try:
            self.size = os.fstat(self._file.fileno()).st_size
            head = self._file.read(4)
            if not head:
                raise CaptureError(f"{path} is empty, not a capture")
            if head in PCAP_MAGIC:
                self.format = "pcap"
            elif head == _PCAPNG_SHB:
                self.format = "pcapng"
            else:
                raise CaptureError(
                    f"{path} is not a pcap or pcapng capture (it starts with 0x{head.hex()})"
                )
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self._file.close()
            raise
        self.offsets = array("q")  # where each frame's record starts
        self.position = 0  # where indexing continues
        self.done = False
        self.problem: str | None = None  # why indexing stopped before the end of the file
        self.meta: list[int] = []  # pcapng: offsets of the section and interface blocks, for saving
        self._sections: list[_Section] = []
        self._section_starts: list[int] = []
        try:
            if self.format == "pcap":
                self._pcap_header(head)
            else:
                self._pcapng_start()
        except BaseException:
            self.close()
            raise

    # --- the sequence ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> CapturedFrame:
        if i < 0:
            i += len(self.offsets)
        at = self.offsets[i]  # IndexError past the frames indexed so far, as a list would
        if self.format == "pcap":
            sec, frac, caplen, origlen = self._record.unpack_from(self._map, at)
            data = self._map[at + 16 : at + 16 + caplen]
            return captured_frame(
                i + 1,
                sec * 1_000_000_000 + frac * self._tick_ns,
                "",
                data,
                max(origlen, caplen),
                self._linktype,
            )
        return self._pcapng_frame(i + 1, at)

    @property
    def fraction(self) -> float:
        """How much of the file has been indexed, 0 to 1."""
        return 1.0 if self.done or not self.size else min(1.0, self.position / self.size)

    def close(self) -> None:
        if getattr(self, "_map", None) is not None:
            try:
                self._map.close()
            except BufferError:  # a frame's bytes still borrowed: the GC closes it later
                pass
        self._file.close()

    # --- indexing --------------------------------------------------------------------------

    def index(self, count: int) -> int:
        """Find up to `count` more frames; returns how many were found (0: done)."""
        if self.done:
            return 0
        before = len(self.offsets)
        if self.format == "pcap":
            self._index_pcap(count)
        else:
            self._index_pcapng(count)
        return len(self.offsets) - before

    def _cut(self, what: str) -> None:
        self.problem = f"{self.path} was cut short in the middle of {what}; the {len(self.offsets):,} whole frames before it are shown"
        self.done = True

    def _pcap_header(self, head: bytes) -> None:
        order, self._tick_ns = PCAP_MAGIC[head]
        if self.size < 24:
            raise CaptureError(f"{self.path} ends inside its pcap file header")
        self._linktype = struct.unpack_from(order + "I", self._map, 20)[0] & 0xFFFF
        check_link(self.path, self._linktype, "")
        self._record = struct.Struct(order + "IIII")
        self._caplen = struct.Struct(order + "I")
        self.position = 24

    def _index_pcap(self, count: int) -> None:
        data, size, offsets = self._map, self.size, self.offsets
        caplen_at = self._caplen.unpack_from
        at = self.position
        append = offsets.append
        for _ in range(count):
            if at + 16 > size:
                if at < size:
                    self.position = at
                    self._cut(f"the header of frame {len(offsets) + 1:,}")
                    return
                self.position = at
                self.done = True
                return
            (caplen,) = caplen_at(data, at + 8)
            end = at + 16 + caplen
            if caplen > _MAX_RECORD:
                self.position = at
                self.problem = f"{self.path}: frame {len(offsets) + 1:,} claims {caplen:,} bytes, so the file is corrupt from there; the {len(offsets):,} frames before it are shown"
                self.done = True
                return
            if end > size:
                self.position = at
                self._cut(f"frame {len(offsets) + 1:,}")
                return
            append(at)
            at = end
        self.position = at

    def _pcapng_start(self) -> None:
        if self.size < 28:
            raise CaptureError(f"{self.path} ends inside its first pcapng block")
        if bytes(self._map[8:12]) not in _PCAPNG_ORDER:
            raise CaptureError(f"{self.path} has a pcapng section with an unknown byte-order mark")

    def _index_pcapng(self, count: int) -> None:
        data, size, offsets = self._map, self.size, self.offsets
        at = self.position
        found = 0
        while found < count:
            if at + 12 > size:
                self.position = at
                if at < size:
                    self._cut(f"a block after frame {len(offsets):,}")
                else:
                    self.done = True
                return
            if data[at : at + 4] == _PCAPNG_SHB:
                order = _PCAPNG_ORDER.get(bytes(data[at + 8 : at + 12]))
                if order is None:
                    self.position = at
                    self.problem = f"{self.path} has a pcapng section with an unknown byte-order mark after frame {len(offsets):,}; the frames before it are shown"
                    self.done = True
                    return
                section = _Section(at, order)
                self._sections.append(section)
                self._section_starts.append(at)
                kind = None
            else:
                section = self._sections[-1]
                order = section.order
                kind = struct.unpack_from(order + "I", data, at)[0]
            (length,) = struct.unpack_from(order + "I", data, at + 4)
            if length < 12 or length % 4 or length > _MAX_RECORD:
                self.position = at
                self.problem = f"{self.path} has a pcapng block with an impossible length ({length}) after frame {len(offsets):,}; the frames before it are shown"
                self.done = True
                return
            if at + length > size:
                self.position = at
                self._cut(
                    f"frame {len(offsets) + 1:,}"
                    if kind in (_EPB, _PB, _SPB)
                    else f"a block after frame {len(offsets):,}"
                )
                return
            if kind in (_EPB, _PB, _SPB):
                offsets.append(at)
                found += 1
            elif kind == _IDB:
                try:
                    body = bytes(data[at + 8 : at + length - 4])
                    section.interfaces.append(
                        interface_block(
                            body, order, self.path, len(section.interfaces), len(self._sections)
                        )
                    )
                except CaptureError as err:
                    self.position = at
                    self.problem = f"{err}; the {len(offsets):,} frames before it are shown"
                    self.done = True
                    return
                self.meta.append(at)
            elif kind is None or kind != _ISB:  # statistics would count frames a subset lacks
                self.meta.append(at)
            at += length
        self.position = at

    def _pcapng_frame(self, number: int, at: int) -> CapturedFrame:
        section = self._sections[bisect_right(self._section_starts, at) - 1]
        kind, length = struct.unpack_from(section.order + "II", self._map, at)
        body = bytes(self._map[at + 8 : at + length - 4])
        try:
            return packet_block(number, kind, body, section.order, section.interfaces, self.path)
        except CaptureError:  # unreadable block: shown as an empty frame, never a crash
            return captured_frame(number, 0, "", b"", 0, -1)

    def unsupported_link(self) -> str | None:
        """One sentence if a pcapng interface found so far has a link layer we do not decode;
        None while every one is known."""
        for section in self._sections:
            for interface in section.interfaces:
                if interface.linktype not in LINK_TYPES:
                    try:
                        check_link(
                            self.path,
                            interface.linktype,
                            f" (interface {interface.name or len(section.interfaces)})",
                        )
                    except CaptureError as err:
                        return str(err)
        return None

    # --- saving ----------------------------------------------------------------------------

    def write_subset(self, out: BinaryIO, indices: Iterable[int]) -> int:
        """Write the frames at `indices` (ascending) to `out` as a capture of this file's format,
        each record copied byte for byte; returns how many were written."""
        data = self._map
        written = 0
        if self.format == "pcap":
            out.write(data[:24])
            caplen_at = self._caplen.unpack_from
            for i in indices:
                at = self.offsets[i]
                out.write(data[at : at + 16 + caplen_at(data, at + 8)[0]])
                written += 1
            return written
        # pcapng: every section and interface block in file order, among the chosen frames.
        meta, m = self.meta, 0
        length_of = struct.Struct("<I"), struct.Struct(">I")
        for i in indices:
            at = self.offsets[i]
            while m < len(meta) and meta[m] < at:
                m = self._copy_block(out, meta[m], length_of, m)
            out.write(data[at : at + self._block_length(at, length_of)])
            written += 1
        while m < len(meta):
            m = self._copy_block(out, meta[m], length_of, m)
        return written

    def _block_length(self, at: int, length_of) -> int:
        section = self._sections[bisect_right(self._section_starts, at) - 1]
        return (length_of[0] if section.order == "<" else length_of[1]).unpack_from(
            self._map, at + 4
        )[0]

    def _copy_block(self, out: BinaryIO, at: int, length_of, m: int) -> int:
        out.write(self._map[at : at + self._block_length(at, length_of)])
        return m + 1
