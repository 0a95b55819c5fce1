"""The trace's spill file: frames that left the in-memory window, on disk, read back by id.

The file is a pcapng a person can open in Wireshark: one interface per segment (named after
it), each frame an Enhanced Packet Block whose comments say who sent it (`sent by pc eth0`)
and, one comment each, the trace lines of the events about it (`  0.000055  pc2      eth0
drops #2: not for me …`; an event naming no frame goes with the newest frame at the time). Timestamps are nanoseconds, the trace's
time plus `epoch` (0 in simulation: lab seconds; wall-clock seconds live).

Beside it, `PATH.idx` holds each frame's offset in the pcapng as 8 bytes (frame id N at byte
8·(N−1)), so reading frame N back is two reads, and memory holds nothing per spilled frame.
"""

from __future__ import annotations

import os
import struct
import sys
from typing import NamedTuple

LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
SHB, IDB, EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
OPT_COMMENT = 1
SENT_BY = "sent by "
RETRY = 16  # batches written here before looking again for a CPU free for a child
# Batches written here before a child is thought of (a window's worth of frames, 10,000 by
# default): the fork of a big process and the pages then copied on write cost about what a
# child saves on 5,000 frames (`tcp_bulk --mb 5`, which spills 5,495, ran 16.1 MB/s with a
# child from its first batch against 18.35 without, medians of 12 at load 1.0).
FORK_AFTER = 64


class SpilledFrame(NamedTuple):
    id: int
    time: float
    segment: str
    origin: str
    data: bytes
    notes: tuple[str, ...]  # the trace lines of the events about the frame


_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")
_HEAD = struct.Struct("<HH").pack
_END = struct.pack("<HH", 0, 0)


def options(items: list[tuple[int, bytes]]) -> bytes:
    """pcapng options: code, length, value padded to 4 bytes; then opt_endofopt."""
    if not items:
        return b""
    parts = []
    for code, value in items:
        parts += (_HEAD(code, len(value)), value, _PAD[len(value) % 4])
    parts.append(_END)
    return b"".join(parts)


def block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def section_header(app: str = "Packet Workbench") -> bytes:
    return block(SHB, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + options([(4, app.encode())]))


def interface(name: str, nanoseconds: bool = True) -> bytes:
    # if_name (2), if_tsresol (9): 9 → nanoseconds, 6 → microseconds.
    resol = b"\x09" if nanoseconds else b"\x06"
    return block(
        IDB,
        struct.pack("<HHI", LINKTYPE_ETHERNET, 0, SNAPLEN)
        + options([(2, name.encode()), (9, resol)]),
    )


_EPB_HEAD = struct.Struct("<IIIIIII").pack
_LENGTH = struct.Struct("<I").pack
_OFFSET = struct.Struct("<Q").pack


def packet(index: int, stamp: int, data: bytes, comments: list[str] | list[bytes]) -> bytes:
    """An Enhanced Packet Block with one comment option each (text, or its UTF-8 bytes):
    `block(EPB, …)` with `options(…)`, put together in one join."""
    return b"".join(packet_parts(index, stamp, data, comments)[1])


def packet_parts(
    index: int, stamp: int, data: bytes, comments: list[str] | list[bytes]
) -> tuple[int, list[bytes]]:
    """`packet`'s length and the pieces that make it, unjoined: the spill file joins a whole
    batch of blocks at once (the frame's bytes copied once, not per block)."""
    n = len(data)
    parts = [b"", data, _PAD[n & 3]]  # the head, made once the length is known
    size = 32 + n + (-n & 3)  # the head's 28 bytes and the trailing length's 4
    if comments:
        for comment in comments:
            value = comment if type(comment) is bytes else comment.encode()
            m = len(value)
            if m > 65000:
                value, m = value[:65000], 65000
            parts += (_HEAD(OPT_COMMENT, m), value, _PAD[m & 3])
            size += 4 + m + (-m & 3)
        parts.append(_END)
        size += 4
    parts[0] = _EPB_HEAD(EPB, size, index, stamp >> 32, stamp & 0xFFFFFFFF, n, n)
    parts.append(_LENGTH(size))
    return size, parts


class SpillFile:
    """Append frames (with their notes) and read any of them back by id. Created on first write."""

    def __init__(self, path: str, *, epoch: float = 0.0, keep: bool = False) -> None:
        self.path = path
        self.epoch = epoch
        self.keep = keep  # False: the files are removed by `close()` (a temporary spill)
        self.count = 0  # frames written
        self.first_id = 0
        self._out = None
        self._index = None
        self._offset = 0
        self._interfaces: dict[str, int] = {}
        self._names: list[str] = []
        self._sent_by: dict[str, bytes] = {}  # each origin's first comment, encoded once
        self._dirty = False
        self._read_fd = -1
        self._index_fd = -1
        # `write_events` hands the writing to a forked child (stack.spill_child) once a CPU is
        # free for it; False: it stays in this process (forked once, or it cannot be).
        self.fork = True
        self._fork_in = FORK_AFTER  # batches before looking for a free CPU (again)
        self._child = None  # the SpillChild, while it writes the file
        self._handed = False  # the child has the file: this process only reads it
        self._kept: dict[int, tuple] | None = None  # frames the child did not write (it ended)

    @property
    def index_path(self) -> str:
        return self.path + ".idx"

    @property
    def started(self) -> bool:
        return self._out is not None or self._handed

    def _open(self) -> None:
        self._out = open(self.path, "wb", buffering=1 << 16)  # noqa: SIM115 - closed in close()
        self._index = open(self.index_path, "wb", buffering=1 << 14)  # noqa: SIM115
        self._out.write(section_header())
        self._offset = self._out.tell()

    def write(
        self,
        frame_id: int,
        time: float,
        segment: str,
        origin: str,
        data: bytes,
        notes: list[str] | list[bytes],
    ) -> None:
        self.write_many(((frame_id, time, segment, origin, data),), (notes,))

    def write_events(self, frames, notes) -> None:
        """`write_many` with each frame's events (its notes as the trace keeps them, values or
        objects) rather than their lines: the lines are made, and the blocks written, by a
        forked child when there can be one, else here."""
        if not frames:
            return
        if self.fork:
            if self._fork_in > 0:  # counted here: this runs for every batch until a fork
                self._fork_in -= 1
            else:
                self._hand_over(frames[0][0])
        child = self._child
        if child is not None:
            if child.send(frames, notes):
                self._sent(frames)
                if child.behind():
                    self._take_back()
                return
            self._child_lost()
        if self._kept is not None:
            kept = self._kept
            for frame, events in zip(frames, notes, strict=True):
                kept[frame[0]] = (frame, events)
            self._sent(frames)
            return
        from stack.writers.text import notes_bytes

        self.write_many(frames, notes_bytes(notes))

    def _hand_over(self, first_id: int) -> None:
        """Fork the child that writes from now on, when it can be and a CPU is free for it;
        with none free, look again `RETRY` batches on."""
        from stack.spill_child import SpillChild, can_fork, cpu_free

        if not can_fork():
            self.fork = False
            return
        if not cpu_free():
            self._fork_in = RETRY
            return
        self.fork = False
        if self._out is None:
            self._open()
            self.first_id = first_id
        child = SpillChild.start(self)
        self._child, self._handed = child, True
        # This process's copies of the files are closed (their buffers were written before
        # the fork): from now on the child appends and this process reads.
        self._out.close()
        self._index.close()
        self._out = self._index = None

    def _take_back(self) -> None:
        """The child has no CPU of its own (it takes ours, or we wait for it): it writes what
        it has, then this process appends the rest itself, as when it could not fork."""
        if not self._end_child():
            return
        self._handed = False
        self._out = open(self.path, "ab", buffering=1 << 16)  # noqa: SIM115 - closed in close()
        self._index = open(self.index_path, "ab", buffering=1 << 14)  # noqa: SIM115
        self._offset = self._out.tell()

    def _sent(self, frames) -> None:
        """Count frames the child took, numbering their segments' interfaces as it does."""
        interfaces = self._interfaces
        for frame in frames:
            if frame[2] not in interfaces:
                interfaces[frame[2]] = len(self._names)
                self._names.append(frame[2])
        self.count += len(frames)

    def _end_child(self) -> bool:
        """Close the child's pipe and wait until it has written what it was sent; False if it
        ended without (`_child_lost`)."""
        child = self._child
        child.close()
        if child.returncode:
            self._child_lost()
            return False
        self._child = None
        child.release()
        return True

    def _child_lost(self) -> None:
        """The child ended: what it did not write, and every later frame, stays in memory."""
        child, self._child = self._child, None
        child.close()
        end = self.first_id + child.written()  # the first frame not on disk
        self._kept = {}
        for frames, notes in child.unwritten():
            for frame, events in zip(frames, notes, strict=True):
                if frame[0] >= end:
                    self._kept[frame[0]] = (frame, events)
        child.release()
        sys.stderr.write(
            f"workbench: the process writing {self.path} ended (status {child.returncode}); "
            f"frames from #{end:,} on stay in memory"
            + (", and will not be in that file\n" if self.keep else "\n")
        )

    def write_many(self, frames, notes) -> None:
        """`write` for each of `frames` (tuples of id, time, segment, origin, data, in order)
        with its `notes` (each frame's comment lines, UTF-8 or text): the blocks go to the file in
        one write, their offsets to the index in another (the trace spills in batches)."""
        if not frames:
            return
        if self._out is None:
            if self._handed:
                raise RuntimeError("the spill file is written by its child process")
            self._open()
            self.first_id = frames[0][0]
        expected = self.first_id + self.count
        if frames[0][0] != expected or frames[-1][0] != expected + len(frames) - 1:
            raise ValueError(f"spill expects frames from #{expected}, got #{frames[0][0]}…")
        interfaces, sent_by_of, epoch = self._interfaces, self._sent_by, self.epoch
        parts: list[bytes] = []
        offsets = []
        offset = self._offset
        for (_id, time, segment, origin, data), lines in zip(frames, notes, strict=True):
            index = interfaces.get(segment)
            if index is None:
                index = interfaces[segment] = len(self._names)
                self._names.append(segment)
                idb = interface(segment)
                parts.append(idb)
                offset += len(idb)
            sent_by = sent_by_of.get(origin)
            if sent_by is None:
                sent_by = sent_by_of[origin] = (SENT_BY + origin).encode()
            stamp = int(round((epoch + time) * 1_000_000_000))
            size, block = packet_parts(index, stamp, data, [sent_by, *lines])
            offsets.append(offset)
            offset += size
            parts += block
        self._out.write(b"".join(parts))
        self._index.write(struct.pack(f"<{len(offsets)}Q", *offsets))
        self._offset = offset
        self.count += len(frames)
        self._dirty = True

    def holds(self, frame_id: int) -> bool:
        return self.count > 0 and self.first_id <= frame_id < self.first_id + self.count

    def _sync(self) -> None:
        if self._dirty:
            self._out.flush()
            self._index.flush()
            self._dirty = False
        if self._read_fd < 0:
            self._read_fd = os.open(self.path, os.O_RDONLY)
            self._index_fd = os.open(self.index_path, os.O_RDONLY)

    def read(self, frame_id: int) -> SpilledFrame:
        if not self.holds(frame_id):
            raise IndexError(f"frame #{frame_id} is not in the spill file")
        if self._child is not None and not self._child.wait_for(frame_id - self.first_id + 1):
            self._child_lost()
        if self._kept is not None and frame_id in self._kept:
            from stack.writers.text import note_lines

            frame, events = self._kept[frame_id]
            return SpilledFrame(*frame, tuple(note_lines(events)))
        self._sync()
        (offset,) = struct.unpack("<Q", os.pread(self._index_fd, 8, 8 * (frame_id - self.first_id)))
        head = os.pread(self._read_fd, 8, offset)
        _kind, length = struct.unpack("<II", head)
        return self._parse(frame_id, os.pread(self._read_fd, length, offset))

    def _parse(self, frame_id: int, raw: bytes) -> SpilledFrame:
        index, high, low, captured, _orig = struct.unpack_from("<IIIII", raw, 8)
        data = raw[28 : 28 + captured]
        at = 28 + captured + (-captured % 4)
        end = len(raw) - 4
        origin, notes = "", []
        while at + 4 <= end:
            code, size = struct.unpack_from("<HH", raw, at)
            if code == 0:
                break
            value = raw[at + 4 : at + 4 + size]
            at += 4 + size + (-size % 4)
            if code == OPT_COMMENT:
                text = value.decode("utf-8", "replace")
                if not origin and text.startswith(SENT_BY):
                    origin = text[len(SENT_BY) :]
                else:
                    notes.append(text)
        time = ((high << 32) | low) / 1_000_000_000 - self.epoch
        return SpilledFrame(frame_id, time, self._names[index], origin, bytes(data), tuple(notes))

    def file_descriptors(self) -> list[int]:
        """The descriptors this object writes through (a forked child keeps them)."""
        return [f.fileno() for f in (self._out, self._index) if f is not None]

    def flush(self) -> None:
        """Everything handed over so far on disk (waiting for the child, if it writes)."""
        if self._child is not None and not self._child.wait_for(self.count):
            self._child_lost()
        if self._out is not None:
            self._out.flush()
            self._index.flush()
            self._dirty = False

    def close_files(self) -> None:
        """Write what is buffered and close the files (the child's end of its work)."""
        if self._out is not None:
            self._out.close()
            self._index.close()
            self._out = self._index = None

    def close(self) -> None:
        if self._child is not None:
            self._end_child()  # the child writes what it was sent, then ends
        for fd in (self._read_fd, self._index_fd):
            if fd >= 0:
                os.close(fd)
        self._read_fd = self._index_fd = -1
        started = self.started
        self.close_files()
        if started:
            if not self.keep:
                for path in (self.path, self.index_path):
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
