"""Read a capture file (classic pcap or pcapng) as `CapturedFrame`s, one at a time.

The counterpart of `stack.writers.pcap`, but for any capture: either byte order, microsecond
or nanosecond pcap, pcapng with several sections and interfaces (each interface's name becomes
the frame's segment; its `if_tsresol` and `if_tsoffset` are honoured). Link types: Ethernet
(1) and Linux cooked capture, SLL (113) and SLL2 (276), which `tcpdump -i any` writes.

Timestamps are kept as integer nanoseconds (`ns`), exact for nanosecond captures; `time` is
the same in float seconds for code that wants a number. Frames keep the bytes captured
(`data`) and say how long they were on the wire (`wire_length`, tshark's frame.len); pcapng packet
comments come back in `comments`. Ids count from 1 as in Wireshark's No. column. Anything we
cannot read is a `CaptureError` with one sentence.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
LINK_TYPES = {
    LINKTYPE_ETHERNET: "Ethernet",
    LINKTYPE_LINUX_SLL: "Linux cooked capture (SLL)",
    LINKTYPE_LINUX_SLL2: "Linux cooked capture v2 (SLL2)",
}
PCAP_MAGIC = {  # byte order, nanoseconds per fraction tick
    b"\xd4\xc3\xb2\xa1": ("<", 1000),
    b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_MAX_BLOCK = 64 << 20  # a block this large is a corrupt length, not a frame
_OPT_COMMENT = 1


class CaptureError(ValueError):
    """The file is not a capture we can read; the message is one sentence."""


class CapturedFrame(NamedTuple):
    """One frame of a capture. The first five fields are those of `stack.trace.FrameRecord`,
    so the packet list, the filter and the dissector read both alike."""

    id: int
    time: float  # seconds since the epoch (float: for display; `ns` is exact)
    segment: str  # the pcapng interface's name, "" for pcap
    origin: str
    data: bytes
    ns: int = 0  # nanoseconds since the epoch, exact
    wire_length: int = 0  # bytes on the wire (frame.len); `data` may hold fewer (snaplen)
    link_type: int = LINKTYPE_ETHERNET
    comments: tuple[str, ...] = ()
    interface: _Interface | None = None  # the pcapng interface it came in on; None in a pcap


def read_capture(path: str) -> Iterator[CapturedFrame]:
    """The frames of the capture at `path`, in file order. Raises OSError or CaptureError."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head in PCAP_MAGIC:
            yield from _pcap(handle, path, *PCAP_MAGIC[head])
        elif head == _PCAPNG_SHB:
            handle.seek(0)
            yield from _pcapng(handle, path)
        elif not head:
            raise CaptureError(f"{path} is empty, not a capture")
        else:
            raise CaptureError(
                f"{path} is not a pcap or pcapng capture (it starts with 0x{head.hex()})"
            )


def check_link(path: str, linktype: int, where: str) -> None:
    if linktype not in LINK_TYPES:
        known = ", ".join(f"{name} ({number})" for number, name in LINK_TYPES.items())
        raise CaptureError(
            f"{path}{where} holds link type {linktype}, and only {known} are supported"
        )


def captured_frame(
    number, ns, segment, data, length, linktype, comments=(), interface=None
) -> CapturedFrame:
    # made as a tuple is: the named tuple's own __new__ (a Python function) takes longer
    return _tuple_new(
        CapturedFrame,
        (number, ns / 1e9, segment, "", data, ns, length, linktype, comments, interface),
    )


_tuple_new = tuple.__new__


def _pcap(handle: BinaryIO, path: str, order: str, tick_ns: int) -> Iterator[CapturedFrame]:
    header = handle.read(20)
    if len(header) < 20:
        raise CaptureError(f"{path} ends inside its pcap file header")
    _major, _minor, _zone, _sigfigs, _snaplen, linktype = struct.unpack(order + "HHiIII", header)
    linktype &= 0xFFFF
    check_link(path, linktype, "")
    record = struct.Struct(order + "IIII")
    number = 0
    while True:
        head = handle.read(16)
        if not head:
            return
        if len(head) < 16:
            raise header_cut_short(path, number + 1)
        sec, frac, caplen, origlen = record.unpack(head)
        if caplen > _MAX_BLOCK:
            raise frame_too_large(path, number + 1, caplen)
        data = handle.read(caplen)
        if len(data) < caplen:
            raise frame_cut_short(path, number + 1)
        number += 1
        yield captured_frame(
            number, sec * 1_000_000_000 + frac * tick_ns, "", data, max(origlen, caplen), linktype
        )


def header_cut_short(path: str, number: int) -> CaptureError:
    return CaptureError(f"{path} was cut short in the middle of the header of frame {number}")


def frame_too_large(path: str, number: int, caplen: int) -> CaptureError:
    return CaptureError(f"{path}: frame {number} claims {caplen} bytes, so the file is corrupt")


def frame_cut_short(path: str, number: int) -> CaptureError:
    return CaptureError(f"{path} was cut short in the middle of frame {number}")


class _Interface(NamedTuple):
    linktype: int
    name: str
    to_ns: object  # ticks -> nanoseconds, exact where the resolution allows
    offset_ns: int
    snaplen: int
    digits: int = 6  # the Time column's decimals for its stamps
    number: int = 0  # its id: the packet blocks' interface id, counted in its section
    section: int = 1  # which section of the file, from 1 (tshark's frame.section_number)
    description: str = ""  # if_description (dumpcap writes "Loopback" …)


def _tick_converter(code: int):
    """pcapng's if_tsresol: 10^-v or (top bit set) 2^-v seconds a tick, as integer arithmetic."""
    if code & 0x80:
        shift = code & 0x7F
        return lambda ticks: (ticks * 1_000_000_000) >> shift
    if code <= 9:
        scale = 10 ** (9 - code)
        return lambda ticks: ticks * scale
    divide = 10 ** (code - 9)
    return lambda ticks: ticks // divide


_MICROSECONDS = _tick_converter(6)


def _pcapng(handle: BinaryIO, path: str) -> Iterator[CapturedFrame]:
    interfaces: list[_Interface] = []
    number = section = 0
    for kind, body, order in _blocks(handle, path):
        if kind == _SECTION:
            interfaces = []
            section += 1
        elif kind == 1:  # Interface Description Block
            interfaces.append(interface_block(body, order, path, len(interfaces), section))
        elif kind in (6, 2, 3):  # Enhanced, obsolete and Simple Packet Blocks
            number += 1
            yield packet_block(number, kind, body, order, interfaces, path)


_SECTION = -1  # `_blocks`' kind for a Section Header Block (its body is not kept)


def _blocks(handle: BinaryIO, path: str) -> Iterator[tuple[int, bytes, str]]:
    """pcapng's blocks in file order: (type, body after type and length, byte order)."""
    order = "<"
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
            yield _SECTION, b"", order
            continue
        kind, length = struct.unpack(order + "II", head)
        yield kind, _read_body(handle, path, length, 8), order


def time_digits(path: str) -> int:
    """The decimals of the Time column, as tshark's automatic precision shows them: 9 for a
    nanosecond pcap or a pcapng whose interface stamps in 10^-7…10^-9 s, else 6. Read from the
    file's head (a pcapng's interfaces come before its first packet)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            if head in PCAP_MAGIC:
                return 9 if PCAP_MAGIC[head][1] == 1 else 6
            if head != _PCAPNG_SHB:
                return 6
            handle.seek(0)
            for kind, body, order in _blocks(handle, path):
                if kind == 1 and interface_block(body, order, path).digits == 9:
                    return 9
                if kind in (6, 2, 3):
                    return 6
    except (OSError, CaptureError):  # reading the frames says what is wrong, in one sentence
        pass
    return 6


def interface_block(
    body: bytes, order: str, path: str, number: int = 0, section: int = 1
) -> _Interface:
    """An Interface Description Block's body (after type and length): link type, name, clock;
    `number` is its id in section `section`."""
    if len(body) < 8:
        raise CaptureError(f"{path} has an interface block too short to read")
    linktype, _reserved, snaplen = struct.unpack_from(order + "HHI", body)
    name, description, to_ns, offset, digits = "", "", _MICROSECONDS, 0, 6
    for code, value in _options(body[8:], order):
        if code == 2:
            name = value.decode("utf-8", "replace")
        elif code == 3:
            description = value.decode("utf-8", "replace")
        elif code == 9 and value:
            to_ns = _tick_converter(value[0])
            digits = 9 if 7 <= value[0] <= 9 else 6
        elif code == 14 and len(value) == 8:  # if_tsoffset: seconds added to every stamp
            offset = struct.unpack(order + "q", value)[0] * 1_000_000_000
    return _Interface(linktype, name, to_ns, offset, snaplen, digits, number, section, description)


def packet_block(
    number: int, kind: int, body: bytes, order: str, interfaces: list[_Interface], path: str
) -> CapturedFrame:
    """Frame `number` from the body of a packet block (6 enhanced, 2 obsolete, 3 simple) of a
    section whose interfaces are `interfaces`; `CaptureError` if it cannot be read."""
    if kind == 3:  # Simple Packet Block: no interface id, no timestamp
        if len(body) < 4:
            raise CaptureError(
                f"{path}: frame {number} is a simple packet block of {len(body) + 12} bytes, too short to hold its length (16 at least)"
            )
        if not interfaces:
            raise CaptureError(f"{path}: frame {number} comes before any interface is described")
        link = interfaces[0]
        check_link(path, link.linktype, f": frame {number}")
        (origlen,) = struct.unpack_from(order + "I", body)
        caplen = min(origlen, len(body) - 4, link.snaplen or origlen)
        return captured_frame(
            number, 0, link.name, body[4 : 4 + caplen], origlen, link.linktype, (), link
        )
    if len(body) < 20:
        raise CaptureError(f"{path} has a packet block too short to read")
    if kind == 6:
        iface, high, low, caplen, origlen = struct.unpack_from(order + "IIIII", body)
    else:
        iface, _drops, high, low, caplen, origlen = struct.unpack_from(order + "HHIIII", body)
    if iface >= len(interfaces):
        raise CaptureError(
            f"{path}: frame {number} names interface {iface}, which was never described"
        )
    link = interfaces[iface]
    check_link(path, link.linktype, f": frame {number}")
    data = body[20 : 20 + caplen]
    if len(data) < caplen:
        raise CaptureError(f"{path}: frame {number} claims more bytes than its block holds")
    comments = tuple(
        value.decode("utf-8", "replace")
        for code, value in _options(body[20 + caplen + (-caplen % 4) :], order)
        if code == _OPT_COMMENT
    )
    ns = link.to_ns((high << 32) | low) + link.offset_ns
    return captured_frame(
        number, ns, link.name, data, max(origlen, caplen), link.linktype, comments, link
    )


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
