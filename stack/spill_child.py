"""The spill file written by a forked child process.

A frame leaving the trace's window costs its note lines and its pcapng block (~10 µs of a
bulk run's ~35 µs a frame, in cache misses too: the frames left the caches 10,000 frames
ago). In a simulated run the trace hands each batch to `SpillChild.send`, which pickles the
frames with their events as values (a third of that) into a pipe; a child forked from this
process makes the lines and writes them with the very `SpillFile` code, on another CPU.

The parent keeps answering for the file: it counts what it sent, knows each segment's
interface number (the child numbers them in the same order, from the same frames), and reads
a frame back once the child has written it — the child writes a batch's blocks, then their
index entries, so the index's length says what is on disk. `close()` closes the pipe and waits
for the child to write the rest. The child pays only with a CPU of its own: it is forked when
one is idle (`cpu_free`), and when this process then gets less than `SHARE` of one (the child
takes it, or a full pipe makes us wait), the child writes what it has and the parent appends
the rest itself (`SpillFile._take_back`). The
batches the index does not cover yet are kept here; if the child is gone (killed, or its disk
full), they and every later spilled frame stay in this process's memory, said once on
stderr, and are read back from there: no frame is lost.
"""

from __future__ import annotations

import io
import os
import pickle
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from stack.writers.forked import HEADER, PIPE_SIZE, EventPickler, batches, fork_reader

if TYPE_CHECKING:
    from stack.spill import SpillFile

SPAN = 0.1  # seconds over which `behind` weighs this process's share of a CPU
SHARE = 0.85  # below it, the child costs more than it saves


class SpillChild:
    """The parent's end: `send` batches, `written()` frames on disk, `close` waits."""

    def __init__(self, pid: int, fd: int, index_path: str, first_id: int) -> None:
        self.pid = pid
        self.first_id = first_id  # the spill file's first frame
        self._fd = fd
        self._index_fd = os.open(index_path, os.O_RDONLY)
        self._rosters: dict = {}
        self._sent: deque[tuple] = deque()  # (frames, notes) the index may not cover yet
        self._confirmed = 0  # frames the index covers, as last seen
        self.returncode: int | None = None
        self._since = (time.perf_counter(), time.process_time())  # see `behind`

    @classmethod
    def start(cls, spill: SpillFile) -> SpillChild | None:
        """Fork the child that writes `spill` from now on (`can_fork()` said it can be)."""
        spill.flush()  # what is buffered now would otherwise be written by both processes
        pid, wfd = fork_reader(
            lambda rfd: _write_batches(rfd, spill), set(spill.file_descriptors())
        )
        return cls(pid, wfd, spill.index_path, spill.first_id)

    def send(self, frames, notes) -> bool:
        """Hand the child `frames` (id, time, segment, origin, data) with each one's events;
        False if the child is gone (nothing of this batch was taken)."""
        if self._fd < 0:
            return False
        buf = io.BytesIO()
        buf.write(b"\0" * HEADER)
        try:
            EventPickler(buf, self._rosters).dump((frames, notes, False))
        except (pickle.PicklingError, TypeError, AttributeError):
            # An event holding what is not sent: this batch's lines are made here.
            from stack.writers.text import notes_bytes

            buf = io.BytesIO()
            buf.write(b"\0" * HEADER)
            EventPickler(buf, self._rosters).dump((frames, notes_bytes(notes), True))
        data = buf.getbuffer()
        data[:HEADER] = (len(data) - HEADER).to_bytes(HEADER, "big")
        try:
            view = memoryview(data)
            while view:  # a full pipe waits for the child (`behind` sees it)
                view = view[os.write(self._fd, view) :]
        except OSError:  # the child is gone: what it had not written is kept by the caller
            del view, data
            self.close()
            return False
        del view, data
        self._sent.append((frames, notes))
        self._forget_written()
        return True

    def behind(self) -> bool:
        """Whether this process has had less than `SHARE` of a CPU over the last `SPAN` seconds
        (a simulated run uses all it gets): the child takes it from us — no CPU is free for it,
        and its pickling only adds to the work — or we wait for it on a full pipe."""
        wall, cpu = time.perf_counter(), time.process_time()
        since_wall, since_cpu = self._since
        if wall - since_wall < SPAN:
            return False
        self._since = (wall, cpu)
        return cpu - since_cpu < SHARE * (wall - since_wall)

    def written(self) -> int:
        """Frames the child has written (the index's entries)."""
        if self._index_fd >= 0:
            self._confirmed = os.fstat(self._index_fd).st_size // 8
        return self._confirmed

    def _forget_written(self) -> None:
        end = self.first_id + self.written()  # the first frame id not on disk yet
        sent = self._sent
        while sent and sent[0][0][-1][0] < end:
            sent.popleft()

    def wait_for(self, count: int) -> bool:
        """Wait until the child has written the file's first `count` frames; False if it ended
        before (the rest are in `unwritten()`)."""
        if self._confirmed >= count:
            return True
        delay = 0.0002
        while self.written() < count:
            if self._fd < 0 or self._ended():
                return self.written() >= count
            time.sleep(delay)
            delay = min(delay * 2, 0.01)
        return True

    def _ended(self) -> bool:
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False
        self.returncode = os.waitstatus_to_exitcode(status)
        return True

    def unwritten(self) -> list[tuple]:
        """The batches sent that the index does not cover, oldest first (after the child
        ended: what it did not write)."""
        end = self.first_id + self.written()
        return [(f, n) for f, n in self._sent if f[-1][0] >= end]

    def close(self) -> None:
        """Close the pipe and wait until the child has written everything it was sent."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self.returncode is None:
            try:
                self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
            except ChildProcessError:  # already reaped
                self.returncode = 0
        self.written()

    def release(self) -> None:
        if self._index_fd >= 0:
            os.close(self._index_fd)
            self._index_fd = -1


def can_fork() -> bool:
    """Whether a child could write the spill file at all: fork exists, no other thread (a
    fork could leave a lock it holds held forever), and more than one CPU (with one, the
    child would only add the pickling to it)."""
    return hasattr(os, "fork") and threading.active_count() == 1 and _cpus() >= 2


def cpu_free() -> bool:
    """Whether a CPU other than ours is idle now: fewer tasks running or waiting to run than
    CPUs (/proc/loadavg counts ours). With none, a child would take its CPU from us."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return True  # no way to tell: `behind` still takes the writing back
    return running < _cpus()


def _cpus() -> int:
    """CPUs this process may run on: with one, a child would only add the pickling to it."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _write_batches(fd: int, spill: SpillFile) -> None:
    """The child's whole life: each batch's lines made and its blocks written, then its index
    entries (so the index's length says what is on disk), until the pipe's end."""
    notes_bytes = None
    buf = bytearray()
    while True:
        chunk = os.read(fd, PIPE_SIZE)
        if not chunk:
            break
        buf += chunk
        for data in batches(buf):
            frames, notes, formatted = pickle.loads(data)
            if not formatted:
                if notes_bytes is None:
                    from stack.writers.text import notes_bytes
                notes = notes_bytes(notes)
            spill.write_many(frames, notes)
            spill.flush()
    spill.close_files()


__all__ = ["SpillChild"]
