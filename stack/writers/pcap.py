"""Captures for Wireshark and tshark: classic pcap, or pcapng with one interface per segment
(so a frame's segment survives as its interface name). Frames are written without FCS, as
captures usually are; timestamps are the trace's (virtual seconds from 0, or real seconds).

A pcapng also carries the trace: each frame's packet comments are the trace lines of the
events about it (`pc2 eth0 drops #2: not for me …`), so Wireshark shows why next to what.
Events about a frame arrive after it, so the writer holds the newest `HOLD` frames back and
writes each as it leaves that window (and every held frame at `close()`)."""

from __future__ import annotations

import struct
from collections import deque
from typing import BinaryIO

from stack.events import Event, FrameSent
from stack.spill import interface, packet, section_header
from stack.trace import Trace

LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
HOLD = 64  # frames a pcapng writer keeps back, gathering the events about them


class PcapWriter:
    def __init__(
        self,
        out: BinaryIO,
        trace: Trace,
        *,
        epoch: float = 0.0,
        segments: frozenset[str] | None = None,
    ) -> None:
        self.out = out
        self.trace = trace
        self.epoch = epoch
        self.segments = segments  # capture on these segments only, as tshark -i does; None: all
        self.count = 0
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))

    def __call__(self, event: Event) -> None:
        if isinstance(event, FrameSent) and (
            self.segments is None or event.segment in self.segments
        ):
            rec = self.trace.frame(event.frames[0])
            self.write(rec.time, rec.data)

    def write(self, time: float, data: bytes) -> None:
        stamp = self.epoch + time
        sec = int(stamp)
        usec = int(round((stamp - sec) * 1_000_000))
        if usec >= 1_000_000:
            sec, usec = sec + 1, usec - 1_000_000
        self.out.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)
        self.count += 1


class PcapngWriter:
    def __init__(
        self,
        out: BinaryIO,
        trace: Trace,
        *,
        epoch: float = 0.0,
        segments: frozenset[str] | None = None,
    ) -> None:
        self.out = out
        self.trace = trace
        self.epoch = epoch
        self.segments = segments
        self.count = 0
        self.interfaces: dict[str, int] = {}
        self._held: deque[tuple[int, float, str, bytes, list]] = (
            deque()
        )  # (id, time, segment, data, events)
        out.write(section_header())

    def __call__(self, event: Event) -> None:
        held = self._held
        if isinstance(event, FrameSent) and (
            self.segments is None or event.segment in self.segments
        ):
            rec = self.trace.frame(event.frames[0])
            held.append((rec.id, rec.time, rec.segment, rec.data, [event]))
            if len(held) > HOLD:
                self._write_held()
            return
        if held and event.frames:
            # The newest frame the event names, if it is still held.
            at = event.frames[-1] - held[0][0]
            if 0 <= at < len(held) and held[at][0] == event.frames[-1]:
                held[at][4].append(event)
            else:
                for item in reversed(held):
                    if item[0] == event.frames[-1]:
                        item[4].append(event)
                        break

    def _write_held(self) -> None:
        from stack.writers.text import note_bytes

        _id, time, segment, data, events = self._held.popleft()
        self.write(time, segment, data, note_bytes(events))

    def release(self, before: float) -> bool:
        """Write the held frames recorded before `before` (their events have come); True when
        frames are still held."""
        held = self._held
        while held and held[0][1] <= before:
            self._write_held()
        return bool(held)

    def close(self) -> None:
        """Write the frames still held back (call before closing the file)."""
        while self._held:
            self._write_held()

    def write(
        self,
        time: float,
        segment: str,
        data: bytes,
        comments: list[str] | list[bytes] | None = None,
    ) -> None:
        index = self.interfaces.get(segment)
        if index is None:
            index = self.interfaces[segment] = len(self.interfaces)
            self.out.write(interface(segment, nanoseconds=False))
        stamp = int(round((self.epoch + time) * 1_000_000))
        self.out.write(packet(index, stamp, data, comments or []))
        self.count += 1


def capture_writer(
    path: str,
    out: BinaryIO,
    trace: Trace,
    epoch: float = 0.0,
    segments: frozenset[str] | None = None,
) -> PcapWriter | PcapngWriter:
    kind = PcapngWriter if path.endswith(".pcapng") else PcapWriter
    return kind(out, trace, epoch=epoch, segments=segments)
