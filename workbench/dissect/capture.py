"""Read a capture file (classic pcap or pcapng, Ethernet) as FrameRecords, one at a time.

The counterpart of `stack.writers.pcap`, but for any capture: either byte order, microsecond
or nanosecond pcap, pcapng with several sections and interfaces (each interface's name becomes
the frame's segment; its `if_tsresol` is honoured). Frames keep the bytes captured; ids count
from 1 as in Wireshark's No. column. Anything else is a `CaptureError` with one sentence.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from stack.trace import FrameRecord

LINKTYPE_ETHERNET = 1
_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_MAX_BLOCK = 64 << 20  # a block this large is a corrupt length, not a frame


class CaptureError(ValueError):
    """The file is not a capture we can read; the message is one sentence."""


def read_capture(path: str) -> Iterator[FrameRecord]:
    """The frames of the capture at `path`, in file order. Raises OSError or CaptureError."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head in _PCAP_MAGIC:
            yield from _pcap(handle, path, *_PCAP_MAGIC[head])
        elif head == _PCAPNG_SHB:
            handle.seek(0)
            yield from _pcapng(handle, path)
        elif not head:
            raise CaptureError(f"{path} is empty, not a capture")
        else:
            raise CaptureError(
                f"{path} is not a pcap or pcapng capture (it starts with 0x{head.hex()})"
            )


def _pcap(handle: BinaryIO, path: str, order: str, unit: float) -> Iterator[FrameRecord]:
    header = handle.read(20)
    if len(header) < 20:
        raise CaptureError(f"{path} ends inside its pcap file header")
    _major, _minor, _zone, _sigfigs, _snaplen, linktype = struct.unpack(order + "HHiIII", header)
    linktype &= 0xFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise CaptureError(f"{path} holds link type {linktype}, and only Ethernet (1) is supported")
    record = struct.Struct(order + "IIII")
    number = 0
    while True:
        head = handle.read(16)
        if not head:
            return
        if len(head) < 16:
            raise CaptureError(
                f"{path} was cut short in the middle of the header of frame {number + 1}"
            )
        sec, frac, caplen, _origlen = record.unpack(head)
        if caplen > _MAX_BLOCK:
            raise CaptureError(
                f"{path}: frame {number + 1} claims {caplen} bytes, so the file is corrupt"
            )
        data = handle.read(caplen)
        if len(data) < caplen:
            raise CaptureError(f"{path} was cut short in the middle of frame {number + 1}")
        number += 1
        yield FrameRecord(number, sec + frac * unit, "", "", data)


def _pcapng(handle: BinaryIO, path: str) -> Iterator[FrameRecord]:
    order = "<"
    interfaces: list[tuple[int, str, float]] = []  # (linktype, name, seconds per tick)
    number = 0
    while True:
        head = handle.read(8)
        if not head:
            return
        if len(head) < 8:
            raise CaptureError(f"{path} was cut short in the middle of a block header")
        if head[:4] == _PCAPNG_SHB:
            magic = handle.read(4)
            if magic == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise CaptureError(f"{path} has a pcapng section with an unknown byte-order mark")
            (length,) = struct.unpack(order + "I", head[4:])
            _read_body(handle, path, length, 12)
            interfaces = []
            continue
        kind, length = struct.unpack(order + "II", head)
        body = _read_body(handle, path, length, 8)
        if kind == 1:  # Interface Description Block
            if len(body) < 8:
                raise CaptureError(f"{path} has an interface block too short to read")
            linktype, _reserved, _snaplen = struct.unpack_from(order + "HHI", body)
            name, tick = "", 1e-6
            for code, value in _options(body[8:], order):
                if code == 2:
                    name = value.decode("utf-8", "replace")
                elif code == 9 and value:
                    v = value[0]
                    tick = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0**-v
            interfaces.append((linktype, name, tick))
        elif kind in (6, 2):  # Enhanced Packet Block, obsolete Packet Block
            if len(body) < 20:
                raise CaptureError(f"{path} has a packet block too short to read")
            if kind == 6:
                iface, high, low, caplen, _origlen = struct.unpack_from(order + "IIIII", body)
            else:
                iface, _drops, high, low, caplen, _origlen = struct.unpack_from(
                    order + "HHIIII", body
                )
            number += 1
            if iface >= len(interfaces):
                raise CaptureError(
                    f"{path}: frame {number} names interface {iface}, which was never described"
                )
            linktype, name, tick = interfaces[iface]
            if linktype != LINKTYPE_ETHERNET:
                raise CaptureError(
                    f"{path}: frame {number} has link type {linktype}, and only Ethernet (1) is supported"
                )
            data = body[20 : 20 + caplen]
            if len(data) < caplen:
                raise CaptureError(f"{path}: frame {number} claims more bytes than its block holds")
            yield FrameRecord(number, ((high << 32) | low) * tick, name, "", data)
        elif kind == 3:  # Simple Packet Block: no interface id, no timestamp
            number += 1
            if not interfaces or interfaces[0][0] != LINKTYPE_ETHERNET:
                raise CaptureError(f"{path}: frame {number} is not on an Ethernet interface")
            if len(body) < 4:
                raise CaptureError(f"{path} has a simple packet block too short to read")
            (origlen,) = struct.unpack_from(order + "I", body)
            yield FrameRecord(number, 0.0, interfaces[0][1], "", body[4 : 4 + origlen])


def _read_body(handle: BinaryIO, path: str, length: int, already: int) -> bytes:
    if length < already + 4 or length % 4 or length > _MAX_BLOCK:
        raise CaptureError(f"{path} has a pcapng block with an impossible length ({length})")
    rest = handle.read(length - already)
    if len(rest) < length - already:
        raise CaptureError(f"{path} was cut short in the middle of a block")
    return rest[:-4]  # drop the trailing copy of the length


def _options(raw: bytes, order: str) -> Iterator[tuple[int, bytes]]:
    i = 0
    while i + 4 <= len(raw):
        code, size = struct.unpack_from(order + "HH", raw, i)
        if code == 0:
            return
        yield code, raw[i + 4 : i + 4 + size]
        i += 4 + size + (-size % 4)
