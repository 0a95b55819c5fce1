"""Captures for Wireshark and tshark: classic pcap, or pcapng with one interface per segment
(so a frame's segment survives as its interface name). Frames are written without FCS, as
captures usually are; timestamps are the trace's (virtual seconds from 0, or real seconds)."""

from __future__ import annotations

import struct
from typing import BinaryIO

from stack.events import Event, FrameSent
from stack.trace import Trace

LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


class PcapWriter:
    def __init__(self, out: BinaryIO, trace: Trace, *, epoch: float = 0.0, segments: frozenset[str] | None = None) -> None:
        self.out = out
        self.trace = trace
        self.epoch = epoch
        self.segments = segments  # capture on these segments only, as tshark -i does; None: all
        self.count = 0
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))

    def __call__(self, event: Event) -> None:
        if isinstance(event, FrameSent) and (self.segments is None or event.segment in self.segments):
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
    def __init__(self, out: BinaryIO, trace: Trace, *, epoch: float = 0.0, segments: frozenset[str] | None = None) -> None:
        self.out = out
        self.trace = trace
        self.epoch = epoch
        self.segments = segments
        self.count = 0
        self.interfaces: dict[str, int] = {}
        out.write(_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _options([(4, b"Packet Workbench")])))

    def __call__(self, event: Event) -> None:
        if isinstance(event, FrameSent) and (self.segments is None or event.segment in self.segments):
            rec = self.trace.frame(event.frames[0])
            self.write(rec.time, rec.segment, rec.data)

    def write(self, time: float, segment: str, data: bytes) -> None:
        index = self.interfaces.get(segment)
        if index is None:
            index = self.interfaces[segment] = len(self.interfaces)
            # Interface Description Block: if_name (2), if_tsresol (9) = 6 → microseconds.
            body = struct.pack("<HHI", LINKTYPE_ETHERNET, 0, SNAPLEN) + _options([(2, segment.encode()), (9, b"\x06")])
            self.out.write(_block(0x00000001, body))
        stamp = int(round((self.epoch + time) * 1_000_000))
        pad = b"\0" * (-len(data) % 4)
        body = struct.pack("<IIIII", index, stamp >> 32, stamp & 0xFFFFFFFF, len(data), len(data)) + data + pad + _options([])
        self.out.write(_block(0x00000006, body))
        self.count += 1


def _options(items: list[tuple[int, bytes]]) -> bytes:
    if not items:
        return b""
    out = b""
    for code, value in items:
        out += struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)
    return out + struct.pack("<HH", 0, 0)


def _block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def capture_writer(path: str, out: BinaryIO, trace: Trace, epoch: float = 0.0, segments: frozenset[str] | None = None) -> PcapWriter | PcapngWriter:
    kind = PcapngWriter if path.endswith(".pcapng") else PcapWriter
    return kind(out, trace, epoch=epoch, segments=segments)
