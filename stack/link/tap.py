"""A Linux TAP device as a port on a segment: real kernels, namespaces and virtual machines
become peers of the lab's hosts.

`TapPort` moves frames between a `TapDevice` (stack.link.tap_device: opening, creating and
removing the device) and a segment on the asyncio loop. Each frame the device hands us (one
`read`, one Ethernet frame without FCS) is transmitted into the segment as if a NIC had sent
it; every frame the segment delivers to the port is written to the device without its FCS (a
frame damaged by a seeded link fault fails its FCS check and is dropped, as a real NIC would).
Attaching, detaching and trouble with the device are trace events like any other decision.
"""

from __future__ import annotations

import asyncio
import os
import select
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stack.events import TapAttached, TapDetached, TapProblem
from stack.link.tap_device import (
    IFF_NO_PI,
    IFF_TAP,
    READ_SIZE,
    TUNSETIFF,
    TapDevice,
    TapError,
    has_net_admin,
)
from stack.link.tap_offload import VNET_LEN, finish, unwrap

if TYPE_CHECKING:
    from stack.link.segment import Segment

READ_BATCH = 64  # frames read per wake-up before the loop gets a turn
MACS_KEPT = 1024  # source MACs a port remembers seeing behind its device
_CHECKSUMMED = (6, 17)  # TCP, UDP: the protocols whose checksum the kernel may leave to us
REATTACH_EVERY = 1.0  # seconds between looks for a lost device's name

__all__ = [
    "IFF_NO_PI",
    "IFF_TAP",
    "TUNSETIFF",
    "TapAttached",
    "TapDetached",
    "TapDevice",
    "TapError",
    "TapPort",
    "TapProblem",
    "TapSet",
    "has_net_admin",
]


# --- events ---------------------------------------------------------------------------------


# --- the port on a segment ------------------------------------------------------------------


@dataclass
class TapCounters:
    frames_in: int = 0  # device → segment
    bytes_in: int = 0
    frames_out: int = 0  # segment → device
    bytes_out: int = 0
    dropped_fcs: int = 0
    write_errors: int = 0
    dropped_detached: int = 0  # segment → device while the device was gone
    merged_in: int = 0  # frames the kernel handed over merged (TCP segmentation offload)
    cut_in: int = 0  # of those, cut into their segments (not for a host on this segment)


class TapPort:
    """A port on `segment` whose far side is a TAP device; frames move on the asyncio loop."""

    def __init__(
        self, device: TapDevice, segment: Segment, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.device = device
        self.owner = device.name
        self.name = "tap"
        self.segment = segment
        self.counters = TapCounters()
        self._loop = loop or asyncio.get_running_loop()
        self._reading = False
        self._write_problem = ""
        # (frame id, problem) of frames written by `deliver_now` whose `deliver` is to come
        self._sent_early: deque[tuple[int, str]] = deque()
        self.lost = False  # the device went away under us; `_watch` waits for its name
        self._watch_task: asyncio.Task | None = None
        self._closed = False
        # Who is behind the device (the source MACs of what it handed over): the lab's TCP may
        # send those merged segments while the device takes them (`takes_merged`).
        self.macs: set[bytes] = set()
        self.offloading = False  # the kernel leaves checksums to us now (its offloads are on)

    @classmethod
    def open(
        cls,
        segment: Segment,
        ifname: str,
        *,
        netns: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> TapPort:
        """Open (or create) TAP device `ifname` and plug it into `segment`, ready to run."""
        device = TapDevice.open(ifname, netns=netns, mtu=segment.mtu)
        return cls.plug(device, segment, loop=loop)

    @classmethod
    def plug(
        cls, device: TapDevice, segment: Segment, loop: asyncio.AbstractEventLoop | None = None
    ) -> TapPort:
        """Plug an open device into `segment` and start reading from it."""
        try:
            port = cls(device, segment, loop)
            segment.attach(port)
            trace = segment.trace
            trace.emit(
                TapAttached(
                    trace.now(),
                    device.name,
                    (),
                    segment.name,
                    device.name,
                    device.created,
                    device.mac,
                    device.mtu,
                    device.offload,
                )
            )
            port.start()
        except BaseException:
            device.close()
            raise
        return port

    def start(self) -> None:
        if not self._reading:
            self._more = select.poll()
            self._more.register(self.device.fd, select.POLLIN)
            # What is waiting is read and sent into the segment through the clock's `run_now`:
            # the frames' deliveries, and the answers' on to this port, run before the reader
            # returns, so a ping's reply is written in the turn of the loop that read its
            # request (no poll of the loop in between), and a burst's frames are all in before
            # they are delivered, in order, as before. The loop calls it with nothing between.
            run_now = getattr(self.segment.clock, "run_now", None)
            if run_now is None:
                self._loop.add_reader(self.device.fd, self._read_waiting)
            else:
                self._loop.add_reader(self.device.fd, run_now, self._read_waiting)
            self._reading = True

    def _readable(self) -> None:
        """What the loop does when the device is readable."""
        run_now = getattr(self.segment.clock, "run_now", None)
        if run_now is None:
            self._read_waiting()
        else:
            run_now(self._read_waiting)

    def _read_waiting(self) -> None:
        read = os.read
        fd = self.device.fd
        transmit = self.segment.transmit
        counters = self.counters
        offload = self.device.offload
        macs = self.macs
        for n in range(READ_BATCH):
            try:
                frame = read(fd, READ_SIZE)
            except BlockingIOError:
                return
            except OSError as err:
                self._lose(f"read failed ({err.strerror or err})")
                return
            if not frame:
                return
            if offload:
                if frame[1]:  # a merged frame
                    self._unwrap(frame)
                    continue
                if frame[0]:
                    frame = finish(frame)
                    self.offloading = True
                else:
                    frame = frame[VNET_LEN:]
                    if (
                        frame[12:14] == b"\x08\x00"
                        and len(frame) > 23
                        and frame[23] in _CHECKSUMMED
                    ):
                        # A TCP or UDP checksum the kernel worked out itself: its offloads
                        # were turned off (ethtool -K DEV tx off), so we send it no merged ones.
                        self.offloading = False
                source = frame[6:12]
                if source not in macs and len(macs) < MACS_KEPT:
                    macs.add(source)
            counters.frames_in += 1
            counters.bytes_in += len(frame)
            transmit(self, frame)
            if not n and not self._more.poll(0):
                # One frame came (a ping): asking whether another waits costs less than the
                # failed read that would say so (an exception made and caught).
                return

    def _unwrap(self, data: bytes) -> None:
        """A frame whose virtio-net header leaves work to us (stack.link.tap_offload)."""
        self.offloading = True
        frames = unwrap(data, self.segment.ends_here)
        counters = self.counters
        counters.merged_in += 1
        counters.cut_in += len(frames) > 1
        for frame in frames:
            counters.frames_in += 1
            counters.bytes_in += len(frame)
            self.segment.transmit(self, frame)

    def behind(self, mac: bytes) -> bool:
        """Whether `mac` came out of this device, one opened with offloads."""
        return self.device.offload and not self.lost and mac in self.macs

    def takes_merged(self, mac: bytes) -> bool:
        """Whether a TCP frame for `mac` may be larger than the MTU: `mac` is behind the device
        and the kernel cuts what we write (TSO), as it merges what it hands us."""
        return self.offloading and self.behind(mac)

    def deliver(self, frame_id: int, wire: bytes) -> None:
        """A frame (with FCS) from the segment goes out of the device (without it)."""
        sent = self._sent_early
        while sent and sent[0][0] < frame_id:  # its delivery never came (the port was moved)
            sent.popleft()
        if sent and sent[0][0] == frame_id:
            # Written as it was sent (`deliver_now`): here, in its turn, only what came of it.
            problem = sent.popleft()[1]
            if problem:
                self._problem(problem, (frame_id,))
            return
        if self.lost:
            self.counters.dropped_detached += 1
            return
        device = self.device
        if device.closed:
            return
        segment = self.segment
        if wire is segment._last_wire:  # the copy the segment just checked (or knows intact)
            frame = segment._last_checked
        else:
            frame = segment.checked(wire)
        if type(frame) is not bytes:
            self.counters.dropped_fcs += 1
            return
        problem = self._write(frame)
        if problem:
            self._problem(problem, (frame_id,))

    def deliver_now(self, frame_id: int, frame: bytes) -> None:
        """A frame (no FCS) handed over as it is sent, on a segment that neither delays nor
        damages frames: written out at once, ahead of the lab's bookkeeping for the frame it
        answers (the other NICs' verdicts, the unwinding of the host that sent it). `deliver`
        comes for it later, in its place among the segment's deliveries, and says then what
        came of the write, so the trace reads as before."""
        if self.lost or self.device.closed:
            return  # `deliver` counts it as dropped, in its turn
        self._sent_early.append((frame_id, self._write(frame)))

    def _write(self, frame: bytes) -> str:
        """Write `frame` to the device: "" when written, else the problem to say (once, not
        once per frame, for as long as writes keep failing)."""
        try:
            self.device.write(frame, self.segment.mtu)
        except OSError as err:
            self.counters.write_errors += 1
            problem = f"write failed ({err.strerror or err}); frames to it are dropped"
            if problem == self._write_problem:
                return ""
            self._write_problem = problem
            return problem
        self._write_problem = ""
        self.counters.frames_out += 1
        self.counters.bytes_out += len(frame)
        return ""

    def _problem(self, problem: str, frames: tuple[int, ...] = ()) -> None:
        trace = self.segment.trace
        trace.emit(TapProblem(trace.now(), self.device.name, frames, self.device.name, problem))

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            try:
                self._loop.remove_reader(self.device.fd)
            except (ValueError, OSError, RuntimeError):
                pass

    # --- a device deleted from outside, and its return ---------------------------------------

    def _lose(self, why: str) -> None:
        """The device is gone (deleted, or its namespace removed): say so once, keep the lab
        running, and look for a TAP device of the same name to come back."""
        self._stop_reading()
        self.lost = True
        device = self.device
        self._problem(
            f"{why}; the lab runs on without it and reattaches when a TAP device named {device.name} appears"
        )
        try:
            device.close()  # our descriptor only: the index check keeps it off any newcomer
        except (OSError, TapError):
            pass
        self._watch_task = self._loop.create_task(self._watch())

    async def _watch(self) -> None:
        name, netns = self.device.name, self.device.netns
        while self.lost and not self._closed:
            await asyncio.sleep(REATTACH_EVERY)
            try:
                device = await self._loop.run_in_executor(
                    None, TapDevice.reopen, name, netns, self.segment.mtu, False
                )
            except TapError:
                continue  # not there yet, or not a TAP device: keep looking
            if device is not None and not self._closed:
                self._reattached(device)
            elif device is not None:
                device.close()

    async def reattach(self) -> None:
        """Reattach now (a person asked): open the device, creating it when it is missing."""
        if not self.lost or self._closed:
            return
        device = await self._loop.run_in_executor(
            None, TapDevice.reopen, self.device.name, self.device.netns, self.segment.mtu, True
        )
        if device is not None and self.lost and not self._closed:
            self._reattached(device)

    def _reattached(self, device: TapDevice) -> None:
        self.device = device
        self.lost = False
        self._write_problem = ""
        trace = self.segment.trace
        trace.emit(
            TapAttached(
                trace.now(),
                device.name,
                (),
                self.segment.name,
                device.name,
                device.created,
                device.mac,
                device.mtu,
                device.offload,
            )
        )
        self.start()

    def close(self) -> None:
        """Unplug from the segment and give the device back (removing one we created)."""
        if self._closed:
            return
        self._closed = True
        if self._watch_task is not None:
            self._watch_task.cancel()
        if not self.lost and self.device.closed:
            return
        self._stop_reading()
        self.segment.detach(self)
        removed = (
            False if self.lost else self.device.close()
        )  # a lost device's descriptor is already given back
        trace = self.segment.trace
        trace.emit(
            TapDetached(
                trace.now(),
                self.device.name,
                (),
                self.segment.name,
                self.device.name,
                removed,
                self.counters.frames_in,
                self.counters.frames_out,
            )
        )


class TapSet:
    """The TAP ports of one running lab, closed together (last opened, first closed)."""

    def __init__(self, ports: list[TapPort] | None = None) -> None:
        self.ports: list[TapPort] = list(ports or [])

    def add(self, port: TapPort) -> TapPort:
        self.ports.append(port)
        return port

    def close(self) -> None:
        while self.ports:
            self.ports.pop().close()

    def __enter__(self) -> TapSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self):
        return iter(self.ports)

    def __len__(self) -> int:
        return len(self.ports)
