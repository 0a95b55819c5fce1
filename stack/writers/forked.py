"""The live text trace, formatted and written by a forked child process.

A trace line can cost more CPU than the stack's own work for its frame (the frame's decoded
summary above all: ~20 µs for a frame the protocol model decodes, ~7 µs for a plain TCP
segment, a lookup at a packet's later hops (stack.frame_summary), against ~4 µs to pickle it). `Deferred` moves that work
after the frames, but on the loop's thread it still takes the CPU the next frames need (half
the loop's time in a profile of a TCP transfer into the lab), and a backlog past its bound is
written in one go, seconds in which no frame moves. `Forked` keeps the events of a few
milliseconds in a list and pickles the batch into a pipe; a child forked from this process
formats each event with the very writer it was given (same code, same language, same file) and
writes the lines, on another CPU when there is one. A child far behind makes sends wait a
step at a time, so memory stays bounded (`UNSENT`).

Every line reaches the file, in order: the child writes the batches in the order they were
sent, and `close()` sends what is pending, closes the pipe and waits for the child to write
the rest — the runner calls it however the run ends (normally, Ctrl-C, an error). The child
ignores Ctrl-C (its parent stops, then closes the pipe) and ends at the pipe's end of file,
also when its parent is killed. An event holding something other than plain values, addresses
and a bus's roster is formatted here, in its place among the others. If the child is gone,
the rest is written here as `Deferred` writes it.
"""

from __future__ import annotations

import gc
import io
import ipaddress
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from stack.events import Event, FramesFiltered, expand
from stack.wire.mac import MAC
from stack.writers.deferred import Deferred
from stack.writers.text import TextWriter

if TYPE_CHECKING:  # the loop is the caller's: a simulated run never imports asyncio
    import asyncio

DELAY = 0.005  # seconds from the first event of a batch to its sending: after the frames
BACKLOG = 20_000  # events pending beyond which a batch goes at once (memory stays bounded)
RUN_BATCH = 1_000  # events a batch holds in a simulated run (no loop): the child starts early
PIPE_SIZE = 1 << 20  # bytes the pipe holds
STEP = 1 << 20  # bytes a send waits for the child to take when it is too far behind
UNSENT = 16 << 20  # bytes kept here while the child is behind (about what 20,000 events held
# in memory): past it a send waits for the child
PAUSE = 0.05  # seconds the child waits after writing what it had, so that the next gather
HEADER = 4  # bytes: each batch goes as its length, then the pickle
_VALUES = (MAC, ipaddress.IPv4Address, ipaddress.IPv4Network, ipaddress.IPv4Interface)


class Reader(tuple):
    """What a trace line needs of a port on a bus (owner, name, mac), without the port."""

    __slots__ = ()

    def __new__(cls, owner: str, name: str, mac: bytes) -> Reader:
        return tuple.__new__(cls, (owner, name, mac))

    def __reduce__(self):
        return (Reader, tuple(self))

    owner = property(lambda self: self[0])
    name = property(lambda self: self[1])
    mac = property(lambda self: self[2])


class EventPickler(pickle.Pickler):
    """Events by value; a bus's roster as Readers (one conversion per roster, not per frame);
    anything else is refused, so no event drags a host or a connection into the pipe."""

    def __init__(self, file, rosters: dict) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.rosters = rosters

    def reducer_override(self, obj):
        kind = type(obj)
        if kind is FramesFiltered:
            readers = obj.readers
            known = self.rosters.get(id(readers))
            if known is None or known[0] is not readers:
                # The roster itself is kept too, so its id cannot be reused while it is known.
                known = self.rosters[id(readers)] = (
                    readers,
                    tuple(Reader(p.owner, p.name, getattr(p, "mac", b"")) for p in readers),
                )
            return (
                FramesFiltered,
                (
                    obj.time,
                    obj.frames,
                    obj.segment,
                    known[1],
                    obj.start,
                    obj.stop,
                    obj.skip,
                    obj.dst,
                ),
            )
        if kind is Reader or isinstance(obj, Event) or isinstance(obj, _VALUES):
            return NotImplemented
        if isinstance(obj, type):  # a class, pickled by name
            return NotImplemented
        raise pickle.PicklingError(f"{kind.__name__} is not sent to the trace writer")


class Forked:
    """Send events to `writer` (a TextWriter) in a forked child; see the module's note."""

    def __init__(
        self, writer: TextWriter, loop: asyncio.AbstractEventLoop | None, pid: int, fd: int
    ):
        self.writer = writer
        self.loop = loop
        self.pid = pid
        self._fd = fd
        self._pending: list[Event] = []
        self._handle: asyncio.Handle | None = None
        self._rosters: dict = {}
        self._here: Deferred | None = None  # the child is gone: written here from then on
        self._unsent = bytearray()  # batches the pipe could not take yet
        self._draining = False  # the loop tells us when the pipe has room
        self.returncode: int | None = None  # the child's, once `close()` has waited for it

    @classmethod
    def start(cls, writer: TextWriter, loop: asyncio.AbstractEventLoop | None) -> Forked | None:
        """Fork the child that writes `writer.out`; None where that cannot be (a file object
        with no descriptor, as in tests, or no fork on this platform). Without a `loop` (a
        simulated run) a batch goes every `RUN_BATCH` events, and what the pipe cannot take
        yet goes with the next."""
        out = writer.out
        try:
            out.fileno()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        if not hasattr(os, "fork"):
            return None
        out.flush()  # what is buffered now would otherwise be written by both processes

        def child(rfd: int) -> None:
            # Live, lines can wait, frames cannot: on a busy machine the child sharing the
            # loop's CPU held it for a scheduler slice (ping's p99 at 500/s: 0.7–4 ms,
            # 0.23–0.27 ms with the child niced); a child far behind still makes sends wait
            # (UNSENT). A simulated run waits for its child as much as for itself: not niced.
            if loop is not None:
                try:
                    os.nice(10)
                except OSError:
                    pass
            # Live, the child pauses after each write (see `_write_batches`); in a simulated
            # run nothing waits on the CPU it would leave.
            _write_batches(rfd, writer, PAUSE if loop is not None else 0.0)

        pid, wfd = fork_reader(child, {out.fileno()})
        os.set_blocking(wfd, False)  # a child behind keeps batches here, not the loop waiting
        return cls(writer, loop, pid, wfd)

    takes_values = True  # an event as its values is sent as it is, made an object by the child

    def __call__(self, event: Event | tuple) -> None:
        if (event[0] if type(event) is tuple else event.kind) in self.writer.hide:
            return
        if self._here is not None:
            self._here(expand(event) if type(event) is tuple else event)
            return
        self._pending.append(event)
        if len(self._pending) > BACKLOG:
            self.flush()
        elif self.loop is None:
            if len(self._pending) >= RUN_BATCH:
                self.flush()
        elif self._handle is None:
            self._handle = self.loop.call_later(DELAY, self.flush)

    def flush(self) -> None:
        """Send what is pending now (what the pipe cannot take yet goes when it can)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        if self._here is not None:
            for event in batch:
                self._here(event)
            return
        data = self._pickle(batch)
        self._unsent += len(data).to_bytes(HEADER, "big")
        self._unsent += data
        if len(self._unsent) > UNSENT:
            # The child is far behind: wait until it has taken a step's worth (memory stays
            # bounded, and the wait is short: the two keep working side by side).
            self._drain(until=UNSENT - STEP)
        elif not self._draining:
            self._drain()

    def _drain(self, until: int | None = None) -> None:
        """Write what the pipe takes without waiting (or, `until` given, wait until no more
        than that is left here); the loop calls again when the pipe has room."""
        fd, unsent = self._fd, self._unsent
        wait = until is not None
        try:
            if wait:
                os.set_blocking(fd, True)
                while len(unsent) > until:
                    del unsent[: os.write(fd, unsent[:STEP])]
            while unsent:
                try:
                    written = os.write(fd, unsent)
                except BlockingIOError:
                    break
                del unsent[:written]
        except OSError:  # the child is gone: what it did not get, and the rest, is written here
            self._lost_child()
            return
        finally:
            if wait and self._fd >= 0:
                os.set_blocking(fd, False)
        if self.loop is None:
            return  # what is left goes with the next batch (or at `close`)
        if unsent and not self._draining:
            self._draining = True
            self.loop.add_writer(fd, self._drain)
        elif not unsent and self._draining:
            self._draining = False
            self.loop.remove_writer(fd)

    def _lost_child(self) -> None:
        if self._draining:
            self._draining = False
            self.loop.remove_writer(self._fd)
        self._here = Deferred(self.writer, self.loop) if self.loop is not None else self.writer
        unsent, self._unsent = self._unsent, bytearray()
        for data in batches(unsent):  # whole batches only: a torn one was half-read
            for item in pickle.loads(data):
                _write_item(self.writer, item)

    def close(self) -> None:
        """Send what is pending and wait until the child has written every line."""
        self.flush()
        if self._unsent and self._here is None:
            self._drain(until=0)
        if self._here is not None:
            self._here.flush()
        if self._fd >= 0:
            if self._draining:
                self._draining = False
                try:
                    self.loop.remove_writer(self._fd)
                except (RuntimeError, ValueError):  # the loop is closed already
                    pass
            os.close(self._fd)
            self._fd = -1
            try:
                self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
            except ChildProcessError:  # already reaped
                pass

    def _pickle(self, batch: list) -> bytes:
        buf = io.BytesIO()
        try:
            EventPickler(buf, self._rosters).dump(batch)
        except (pickle.PicklingError, TypeError, AttributeError):
            # Some event holds what is not sent: those are formatted here, in their place.
            items: list = []
            for event in batch:
                try:
                    EventPickler(io.BytesIO(), self._rosters).dump(event)
                    items.append(event)
                except (pickle.PicklingError, TypeError, AttributeError):
                    items.append(_text_of(self.writer, event))
            buf = io.BytesIO()
            EventPickler(buf, self._rosters).dump(items)
        return buf.getvalue()


def fork_reader(body: Callable[[int], None], keep: set[int]) -> tuple[int, int]:
    """Fork a child that runs `body(fd)` on the read end of a new pipe, then ends (status 1
    if `body` raised); it holds only that end, stderr and the descriptors in `keep`, and
    ignores Ctrl-C and SIGTERM (its parent stops, then closes the pipe). Returns the child's
    pid and the write end (blocking)."""
    rfd, wfd = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(wfd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # a smaller pipe: sends wait for the child sooner
    # Ctrl-C and SIGTERM are held back across the fork: one reaching the child before it
    # ignores them would end it with nothing written (seen in CI)
    stops = {signal.SIGINT, signal.SIGTERM}
    held = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    pid = os.fork()
    if pid == 0:  # the child: never returns into the parent's code
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            signal.set_wakeup_fd(-1)  # the loop's wake-up pipe is the parent's
            close_inherited_fds({rfd, 2, *keep})
            gc.freeze()  # the parent's objects are not walked (and so not copied) by our GC
            body(rfd)
            status = 0
        except Exception as err:
            try:
                sys.stderr.write(f"workbench: a writer process failed ({err})\n")
            except Exception:
                pass
        finally:
            os._exit(status)
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    os.close(rfd)
    return pid, wfd


def close_inherited_fds(keep: set[int]) -> None:
    """In a forked child: close every descriptor but `keep`. Another child's pipe, a TAP
    device or a socket held here would stay open until this child ends: a pipe's reader would
    then wait for an end of file its writer has already given (two children at once: the
    text trace's and the spill file's, each waiting for the other's end)."""
    start = 0
    for fd in sorted(keep):
        if fd >= start:
            os.closerange(start, fd)
            start = fd + 1
    os.closerange(start, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)


def _text_of(writer: TextWriter, event: Event | tuple) -> str:
    """The lines `writer` writes for `event`, as text."""
    out, writer.out = writer.out, io.StringIO()
    try:
        _write_item(writer, event)
        return writer.out.getvalue()
    finally:
        writer.out = out


def _write_item(writer: TextWriter, item) -> None:
    if type(item) is str:  # formatted by the parent
        writer.out.write(item)
    elif type(item) is tuple:  # an event as its values, which the text writer formats as such
        writer(item)
    else:
        writer(item)


def batches(buf: bytearray):
    """The whole batches at the head of `buf` (taken out of it), in order."""
    at = 0
    while at + HEADER <= len(buf):
        size = int.from_bytes(buf[at : at + HEADER], "big")
        if at + HEADER + size > len(buf):
            break
        yield buf[at + HEADER : at + HEADER + size]
        at += HEADER + size
    del buf[:at]


def _write_batches(fd: int, writer: TextWriter, pause: float = PAUSE) -> None:
    """The child's whole life: batches from `fd`, each event through `writer`, until the end."""
    failed = False
    buf = bytearray()
    while True:
        chunk = os.read(fd, PIPE_SIZE)  # whatever the pipe holds: every batch sent so far
        if not chunk:
            break  # the parent closed the pipe (a batch torn by its death is left out)
        buf += chunk
        for data in batches(buf):
            for item in pickle.loads(data):
                try:
                    _write_item(writer, item)
                except Exception as err:  # one bad line does not end the trace
                    if not failed:
                        failed = True
                        sys.stderr.write(f"workbench: a trace line could not be written ({err})\n")
        writer.flush()
        # Woken by every batch, the child would take the CPU (and the caches) from the lab
        # 200 times a second (on a busy machine the two share one); after a pause it takes
        # all that came meanwhile in one go.
        if pause:
            time.sleep(pause)
    writer.flush()


__all__ = [
    "HEADER",
    "EventPickler",
    "Forked",
    "Reader",
    "batches",
    "close_inherited_fds",
    "fork_reader",
]
