"""QEMU virtual machines as ports on a segment, over QEMU's socket network back ends — no root.

`QemuListener.open(segment, address)` listens where `address` says (stack.link.qemu_address)
and plugs every VM that reaches it into the segment as a port of its own, beside the lab's
simulated NICs and any TAP port: any number of VMs share the bus.

- `-netdev stream` (unix or TCP): QEMU connects; each frame is a 4-byte big-endian length and
  the Ethernet frame without FCS. One read may hold part of a frame or several (`StreamFramer`).
  Frames the VM cannot take yet wait in a per-connection buffer.
- `-netdev dgram` (unix datagrams or UDP): one frame per datagram; a VM is known by the address
  it sends from. A send that would block (EAGAIN: the guest is slow, `net.unix.max_dgram_qlen`
  is small) is queued and sent when the socket drains.

Nothing is dropped silently: a backlog past its bound loses the newest frames, counted and said
once as a trace event; every join, leave and problem is a trace event like any other decision.
Frames move on the asyncio loop, so a segment with VMs runs on the RealtimeClock.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import stat
import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stack.events import Event
from stack.link.qemu_address import DGRAM, QemuAddress
from stack.record import record
from stack.wire.errors import WireError
from stack.wire.ethernet import strip_fcs

if TYPE_CHECKING:
    from stack.link.segment import Segment

MAX_FRAME = 65536 + 4096  # QEMU's largest packet (NET_BUFSIZE); a longer length is garbage
READ_SIZE = 256 * 1024
READ_BATCH = 64  # reads per wake-up before the loop gets a turn
STREAM_BACKLOG = 4 * 1024 * 1024  # bytes waiting for a VM that does not read
DGRAM_BACKLOG = 4096  # datagrams waiting for one VM
_LENGTH = struct.Struct("!I")


class QemuError(Exception):
    """A socket that cannot be listened on; the message is the one sentence to show."""


# --- events ---------------------------------------------------------------------------------


@record
class QemuListening(Event):
    segment: str
    address: str
    how: str

    kind = "qemu_listening"

    def describe(self) -> str:
        return f"segment {self.segment} waits for QEMU virtual machines ({self.how})"


@record
class QemuPeerJoined(Event):
    segment: str
    peer: str

    kind = "qemu_joined"

    def describe(self) -> str:
        return f"virtual machine {self.host} plugged into segment {self.segment} ({self.peer})"


@record
class QemuPeerLeft(Event):
    segment: str
    why: str
    frames_in: int
    frames_out: int
    lost: int

    kind = "qemu_left"

    def describe(self) -> str:
        lost = f", {self.lost} lost to a full backlog" if self.lost else ""
        return f"virtual machine {self.host} left segment {self.segment}: {self.why} ({self.frames_in} frames in, {self.frames_out} out{lost})"


@record
class QemuBackpressure(Event):
    """A VM stopped taking frames (queue formed), caught up again, or its backlog overflowed."""

    what: str
    queued: int
    lost: int

    kind = "qemu_backpressure"

    def describe(self) -> str:
        return f"{self.host}: {self.what}"


@record
class QemuProblem(Event):
    problem: str

    kind = "qemu_problem"

    def describe(self) -> str:
        return f"{self.host}: {self.problem}"


# --- stream framing -------------------------------------------------------------------------


class FramingError(ValueError):
    pass


class StreamFramer:
    """Bytes from a `-netdev stream` socket in, whole Ethernet frames out, in order."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        frames = []
        at = 0
        end = len(buf)
        while end - at >= 4:
            (length,) = _LENGTH.unpack_from(buf, at)
            if length > MAX_FRAME:
                raise FramingError(
                    f"a frame length of {length} bytes (over {MAX_FRAME}): the stream is out of step"
                )
            if end - at - 4 < length:
                break
            if length:
                frames.append(bytes(buf[at + 4 : at + 4 + length]))
            at += 4 + length
        del buf[:at]
        return frames


def stream_record(frame: bytes) -> bytes:
    return _LENGTH.pack(len(frame)) + frame


# --- ports ----------------------------------------------------------------------------------


@dataclass
class QemuCounters:
    frames_in: int = 0  # VM → segment
    bytes_in: int = 0
    frames_out: int = 0  # segment → VM (handed to the socket)
    bytes_out: int = 0
    queued: int = 0  # frames that had to wait (EAGAIN / a full socket buffer)
    lost: int = 0  # frames given up because the backlog was full
    dropped_fcs: int = 0


class _Peer:
    """One VM on the segment: a port whose far side is a QEMU process."""

    def __init__(self, listener: QemuListener, owner: str, label: str) -> None:
        self.listener = listener
        self.owner = owner
        self.name = "net0"
        self.label = label
        self.segment = listener.segment
        self.counters = QemuCounters()
        self.closed = False
        self.mac = b""  # the source MAC of its first frame, for the hosts pane
        self._waiting = False  # a backlog episode is under way
        self._episode_lost = 0

    def _emit(self, event_type, *fields) -> None:
        trace = self.segment.trace
        trace.emit(event_type(trace.now(), self.owner, (), *fields))

    def _frame_in(self, frame: bytes) -> None:
        counters = self.counters
        if not counters.frames_in:
            self.mac = frame[6:12]
        counters.frames_in += 1
        counters.bytes_in += len(frame)
        self.segment.transmit(self, frame)

    def _unwire(self, wire: bytes) -> bytes | None:
        try:
            return strip_fcs(wire)
        except WireError:
            self.counters.dropped_fcs += 1  # damaged by a seeded fault: a real NIC drops it too
            return None

    def _queue_started(self) -> None:
        if not self._waiting:
            self._waiting = True
            self._episode_lost = 0
            self._emit(
                QemuBackpressure,
                "the VM is not taking frames as fast as they come (the socket would block): queuing them",
                self.backlog(),
                0,
            )

    def _queue_drained(self) -> None:
        if self._waiting:
            self._waiting = False
            lost = (
                f", {self._episode_lost} lost to the full backlog"
                if self._episode_lost
                else ", none lost"
            )
            self._emit(
                QemuBackpressure,
                f"the VM caught up: queued frames sent{lost}",
                0,
                self._episode_lost,
            )

    def _overflow(self) -> None:
        self.counters.lost += 1
        self._episode_lost += 1
        if self._episode_lost == 1:
            self._emit(
                QemuBackpressure,
                f"backlog full ({self.backlog()} frames waiting): newer frames to this VM are lost and counted until it catches up",
                self.backlog(),
                1,
            )

    def backlog(self) -> int:
        raise NotImplementedError

    def leave(self, why: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._release()
        if self in self.segment.ports:
            self.segment.ports.remove(self)
        self.listener.peers.remove(self)
        c = self.counters
        self._emit(QemuPeerLeft, self.segment.name, why, c.frames_in, c.frames_out, c.lost)

    def _release(self) -> None:
        pass


class _StreamPeer(_Peer):
    def __init__(self, listener: QemuListener, owner: str, label: str, conn: socket.socket) -> None:
        super().__init__(listener, owner, label)
        self.conn = conn
        self.framer = StreamFramer()
        self._out = bytearray()
        self._out_frames: deque[int] = deque()  # record sizes in _out, to count frames as they go
        self._writing = False
        listener.loop.add_reader(conn.fileno(), self._readable)

    def backlog(self) -> int:
        return len(self._out_frames)

    def _readable(self) -> None:
        for _ in range(READ_BATCH):
            try:
                data = self.conn.recv(READ_SIZE)
            except BlockingIOError:
                return
            except OSError as err:
                self.leave(f"read failed ({err.strerror or err})")
                return
            if not data:
                self.leave("QEMU closed the connection")
                return
            try:
                frames = self.framer.feed(data)
            except FramingError as err:
                self._emit(QemuProblem, str(err))
                self.leave("its stream went out of step")
                return
            for frame in frames:
                if self.closed:
                    return
                self._frame_in(frame)

    def deliver(self, frame_id: int, wire: bytes) -> None:
        if self.closed:
            return
        frame = self._unwire(wire)
        if frame is None:
            return
        record = stream_record(frame)
        if self._out:
            if len(self._out) + len(record) > STREAM_BACKLOG:
                self._overflow()
                return
            self._out += record
            self._out_frames.append(len(record))
            self.counters.queued += 1
            return
        try:
            sent = self.conn.send(record)
        except BlockingIOError:
            sent = 0
        except OSError as err:
            self.leave(f"write failed ({err.strerror or err})")
            return
        if sent == len(record):
            self.counters.frames_out += 1
            self.counters.bytes_out += len(frame)
            return
        # Part of the record went; the rest (and everything after it) waits for the socket.
        self._out += record[sent:]
        self._out_frames.append(len(record) - sent)
        self.counters.queued += 1
        self._queue_started()
        self._want_write()

    def _want_write(self) -> None:
        if not self._writing:
            self._writing = True
            self.listener.loop.add_writer(self.conn.fileno(), self._writable)

    def _writable(self) -> None:
        try:
            sent = self.conn.send(self._out)
        except BlockingIOError:
            return
        except OSError as err:
            self.leave(f"write failed ({err.strerror or err})")
            return
        del self._out[:sent]
        sizes = self._out_frames
        while sizes and sent >= sizes[0]:
            sent -= sizes.popleft()
            self.counters.frames_out += 1
        if sizes:
            sizes[0] -= sent
        if not self._out:
            self._writing = False
            self.listener.loop.remove_writer(self.conn.fileno())
            self._queue_drained()

    def _release(self) -> None:
        loop = self.listener.loop
        fd = self.conn.fileno()
        if fd >= 0:
            loop.remove_reader(fd)
            if self._writing:
                loop.remove_writer(fd)
        self.conn.close()


class _DgramPeer(_Peer):
    def __init__(self, listener: QemuListener, owner: str, label: str, address) -> None:
        super().__init__(listener, owner, label)
        self.address = address
        self.queue: deque[bytes] = deque()

    def backlog(self) -> int:
        return len(self.queue)

    def deliver(self, frame_id: int, wire: bytes) -> None:
        if self.closed:
            return
        frame = self._unwire(wire)
        if frame is None:
            return
        if self.queue:
            if len(self.queue) >= DGRAM_BACKLOG:
                self._overflow()
                return
            self.queue.append(frame)
            self.counters.queued += 1
            return
        if not self.send(frame):
            self.queue.append(frame)
            self.counters.queued += 1
            self._queue_started()
            self.listener.want_write()

    def send(self, frame: bytes) -> bool:
        """One datagram to the VM; False when it would block (the caller queues it)."""
        try:
            self.listener.sock.sendto(frame, self.address)
        except BlockingIOError:
            return False
        except OSError as err:
            if err.errno == errno.ENOBUFS:
                return False
            if err.errno in (errno.ECONNREFUSED, errno.ENOENT):
                self.leave("its socket is gone (QEMU stopped)")
            else:
                self._emit(
                    QemuProblem, f"a frame could not be sent ({err.strerror or err}); it is lost"
                )
                self.counters.lost += 1
            return True
        self.counters.frames_out += 1
        self.counters.bytes_out += len(frame)
        return True

    def flush(self) -> bool:
        """Send what waits; True when the queue is empty."""
        queue = self.queue
        while queue and not self.closed:
            if not self.send(queue[0]):
                return False
            queue.popleft()
        self._queue_drained()
        return True

    def _release(self) -> None:
        self.queue.clear()


class QemuListener:
    """A segment's socket for QEMU: every VM that reaches it becomes a port on the segment."""

    def __init__(
        self,
        segment: Segment,
        address: QemuAddress,
        loop: asyncio.AbstractEventLoop,
        *,
        owner: str = "qemu",
    ) -> None:
        self.segment = segment
        self.address = address
        self.loop = loop
        self.owner = owner  # a VM the workbench started gets its own name; others qemu1, qemu2…
        self.peers: list[_Peer] = []
        self.sock: socket.socket | None = None
        self.joined = 0
        self._made_path = False
        self._writing = False
        self._unknown_sender_said = False

    @classmethod
    def open(
        cls,
        segment: Segment,
        address: QemuAddress,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        owner: str = "qemu",
    ) -> QemuListener:
        listener = cls(segment, address, loop or asyncio.get_running_loop(), owner=owner)
        listener._listen()
        trace = segment.trace
        trace.emit(
            QemuListening(trace.now(), owner, (), segment.name, str(address), address.describe())
        )
        return listener

    def _listen(self) -> None:
        address = self.address
        kind = socket.SOCK_STREAM if address.mode != DGRAM else socket.SOCK_DGRAM
        family = socket.AF_UNIX if address.unix else socket.AF_INET
        sock = socket.socket(family, kind | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)
        try:
            if address.unix:
                _clear_stale(address.path, kind)
                target = address.path
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                target = (address.host, address.port)
            sock.bind(target)
            self._made_path = address.unix
            if kind == socket.SOCK_STREAM:
                sock.listen(16)
        except OSError as err:
            sock.close()
            raise QemuError(f"cannot listen for QEMU at {address}: {err.strerror or err}") from None
        self.sock = sock
        self.loop.add_reader(
            sock.fileno(), self._accept if kind == socket.SOCK_STREAM else self._datagrams
        )

    def _name(self) -> str:
        self.joined += 1
        if self.owner != "qemu":
            return self.owner if self.joined == 1 else f"{self.owner}-{self.joined}"
        return f"qemu{self.joined}"

    def _join(self, peer: _Peer) -> None:
        self.peers.append(peer)
        self.segment.attach(peer)
        trace = self.segment.trace
        trace.emit(QemuPeerJoined(trace.now(), peer.owner, (), self.segment.name, peer.label))

    def _accept(self) -> None:
        assert self.sock is not None
        while True:
            try:
                conn, remote = self.sock.accept()
            except BlockingIOError:
                return
            except OSError as err:
                trace = self.segment.trace
                trace.emit(
                    QemuProblem(
                        trace.now(), self.owner, (), f"accept failed ({err.strerror or err})"
                    )
                )
                return
            conn.setblocking(False)
            label = (
                f"-netdev stream, {self.address}"
                if self.address.unix
                else f"-netdev stream from {remote[0]}:{remote[1]}"
            )
            self._join(_StreamPeer(self, self._name(), label, conn))

    def _datagrams(self) -> None:
        sock = self.sock
        assert sock is not None
        for _ in range(READ_BATCH):
            try:
                frame, sender = sock.recvfrom(MAX_FRAME)
            except BlockingIOError:
                return
            except OSError as err:
                trace = self.segment.trace
                trace.emit(
                    QemuProblem(
                        trace.now(), self.owner, (), f"receive failed ({err.strerror or err})"
                    )
                )
                return
            if not sender:
                # An unbound unix sender cannot be answered: say it once, still carry its frames.
                if not self._unknown_sender_said:
                    self._unknown_sender_said = True
                    trace = self.segment.trace
                    trace.emit(
                        QemuProblem(
                            trace.now(),
                            self.owner,
                            (),
                            "datagrams from a socket with no address (no local.path): they reach the segment, but nothing can be sent back",
                        )
                    )
                if frame:
                    self.segment.inject(f"{self.owner} net0", frame)
                continue
            peer = self._peer_at(sender)
            if frame and not peer.closed:
                peer._frame_in(frame)

    def _peer_at(self, sender) -> _DgramPeer:
        for peer in self.peers:
            if isinstance(peer, _DgramPeer) and peer.address == sender:
                return peer
        where = sender if isinstance(sender, str) else f"{sender[0]}:{sender[1]}"
        peer = _DgramPeer(self, self._name(), f"-netdev dgram from {where}", sender)
        self._join(peer)
        return peer

    def want_write(self) -> None:
        if not self._writing and self.sock is not None:
            self._writing = True
            self.loop.add_writer(self.sock.fileno(), self._flush)

    def _flush(self) -> None:
        if all(peer.flush() for peer in list(self.peers) if isinstance(peer, _DgramPeer)):
            self._writing = False
            if self.sock is not None:
                self.loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        """Unplug every VM and stop listening (removing the socket file we made)."""
        for peer in list(self.peers):
            peer.leave("the workbench is closing the segment")
        if self.sock is not None:
            fd = self.sock.fileno()
            self.loop.remove_reader(fd)
            if self._writing:
                self.loop.remove_writer(fd)
            self.sock.close()
            self.sock = None
        if self._made_path and self.address.path:
            try:
                os.unlink(self.address.path)
            except OSError:
                pass
            self._made_path = False


def _clear_stale(path: str, kind: int) -> None:
    """A socket file left by an earlier run is removed; anything else at the path is refused."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(errno.EEXIST, f"{path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, kind)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # nobody listens: a leftover
        return
    finally:
        probe.close()
    raise OSError(errno.EADDRINUSE, "another program is listening there")
