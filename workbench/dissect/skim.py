"""A classic pcap read for a display filter: the frames it cannot keep are passed over unmade.

`workbench dissect F -Y dns` over a million frames spends most of its time on frames that are
not DNS: a `CapturedFrame`, its facts and notes, TCP analysis of an HTTP conversation, all to
drop the frame. `skim` reads the memory-mapped file itself and looks at four header fields in
place — ethertype, IPv4 header length and fragment bits, IP protocol, the two ports — and a
plain IPv4 TCP or UDP frame whose ports bind no protocol the filter needs, an ICMP message
of a type that quotes nothing and binds none (`prefilter.needed_ports`), or ARP where the
filter cannot keep it, is counted and left:
no object, no state. An IPv4 fragment (header without options) goes into the state's
reassembly here (`IpReassembly.add_piece`, keyed as the full path keys it): alone it cannot
match (its own bytes are data above IP), and the fragment completing a datagram is passed over
too, its datagram never put together, when the datagram's ports or ICMP type (in its first
fragment) say it cannot, else handed on with its note
(`CaptureState.reassembled`). Every other frame (ARP a filter may keep, ICMP errors, IPv6, IP options, VLAN
tags, anything short) is a `CapturedFrame` as `capture.read_capture` makes it, for the full
path.

What a passed-over frame would have given the state is either its own conversation's (all of
whose frames are passed over alike, as they share the ports; an echo request and its reply
alike, as neither can match) or the frame times, which the
skim keeps: before each frame it yields it sets the state's first and previous frame times as
if every frame had been stepped. The one thing lost is the numbering of TCP conversations
(`tcp.stream`) — the caller skims TCP only where nothing shown asks for it.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator

from workbench.dissect.capture import (
    LINKTYPE_ETHERNET,
    PCAP_MAGIC,
    CapturedFrame,
    captured_frame,
    frame_cut_short,
    frame_too_large,
    header_cut_short,
)
from workbench.dissect.facts import ETH_ARP, ETH_IPV4, IP_ICMP, IP_TCP, IP_UDP, _v4

# From the ethertype on: ethertype, IPv4 version/IHL, fragment word, protocol, the two ports
# (where they are when the IPv4 header has no options, IHL 5).
_PEEK = "HB5xHxB10xHH"
_PEEK_FROM = 12
_SHORTEST = _PEEK_FROM + struct.calcsize("!" + _PEEK)  # 38 bytes: shorter takes the full path
# A record's captured and original lengths and the fields above, in one read: the fields come
# in the file's byte order, so a little-endian file's are compared byte-swapped (`_Order`).
_LOOK = "8xII" + f"{_PEEK_FROM}x" + _PEEK
_LOOK_END = 16 + _SHORTEST  # the read reaches this far past the record's start
_MAX_RECORD = 64 << 20
# The file's pages read so far are given back every so often: a mapped page counts in the
# process's resident memory until then, and a 1 GB capture would otherwise show as 1 GB more.
_RELEASE = 4 << 20


_LENGTH_ID_FRAG = struct.Struct("!HHH").unpack_from  # IPv4 total length, identification, flags


class _Order:
    """What `_records` compares the fields read in a file's byte order with: the ethertypes,
    the fragment bits and the 65,536-entry port and ICMP tables, byte-swapped for a
    little-endian file (a network-order 0x0800 reads as 0x0008 there)."""

    def __init__(self, order: str, tcp_ports, udp_ports, icmp_types) -> None:
        swap = order == "<"
        self.ipv4 = 0x0008 if swap else ETH_IPV4
        self.arp = 0x0608 if swap else ETH_ARP
        self.fragment = 0xFF3F if swap else 0x3FFF
        self.tcp_ports = _swapped(tcp_ports) if swap else tcp_ports
        self.udp_ports = _swapped(udp_ports) if swap else udp_ports
        # indexed by the ICMP header's first two bytes as read: the type is the first
        if icmp_types is None:
            self.icmp_words = None
        elif swap:
            self.icmp_words = bytes(icmp_types) * 256
        else:
            self.icmp_words = b"".join(bytes((flag,)) * 256 for flag in icmp_types)


def _swapped(ports: bytes | None) -> bytes | None:
    """A port table indexed by the port's two bytes read the other way round."""
    if ports is None:
        return None
    return b"".join(ports[low::256] for low in range(256))


# A fragment's 8 address bytes → their text (the reassembly's key): a capture's fragments
# come from a few pairs of hosts.
_PAIRS: dict[bytes, tuple[str, str]] = {}


def _cannot_match(proto: int, head: bytes, length: int, tcp_ports, udp_ports, icmp_types) -> bool:
    """True if a whole datagram of `length` bytes that starts with `head` (4 bytes at least,
    or all of it) surely holds nothing the filter needs, told as `facts_of` and
    `possible_protocols` would tell it (a header cut short: it may)."""
    if proto == IP_TCP or proto == IP_UDP:
        ports = tcp_ports if proto == IP_TCP else udp_ports
        if ports is None or length < (20 if proto == IP_TCP else 8):
            return False
        return not (ports[head[0] << 8 | head[1]] or ports[head[2] << 8 | head[3]])
    if proto == IP_ICMP:
        return icmp_types is not None and length >= 2 and not icmp_types[head[0]]
    return False


def can_skim(path: str) -> bool:
    """True if `path` is a classic pcap of Ethernet frames (what `skim` reads)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
    except OSError:
        return False
    if len(head) < 24 or head[:4] not in PCAP_MAGIC:
        return False
    order = PCAP_MAGIC[head[:4]][0]
    return struct.unpack_from(order + "I", head, 20)[0] & 0xFFFF == LINKTYPE_ETHERNET


def skim(
    path: str,
    state,
    tcp_ports: bytes | None,
    udp_ports: bytes | None,
    icmp_types: bytes | None = None,
    limit: int | None = None,
    part: Part | None = None,
    arp: bool = True,
) -> Iterator[CapturedFrame]:
    """The frames of the classic pcap at `path` that need the full path, in order.

    `tcp_ports`/`udp_ports`: 65,536 flags, non-zero at a port where a needed protocol binds
    (a frame with either port flagged is yielded), or None: every such frame is yielded;
    `icmp_types` the same over ICMP's 256 message types; `arp` False: ARP frames are passed
    over too (`prefilter.arp_may_match`).
    `state` (a `CaptureState`) gets `first_ns`/`previous_ns` set before each yield. Stops after
    `limit` frames read. Raises `CaptureError` where `read_capture` would, at the same frame.
    `part` reads one part of the file (`workbench.dissect.halves`): from a record it names,
    and up to the record where the next part starts, which it is told."""
    with open(path, "rb") as handle:
        head = handle.read(24)
        order, tick_ns = PCAP_MAGIC[head[:4]]
        if handle.seek(0, 2) == 24:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            yield from _records(
                mm, path, order, tick_ns, state, tcp_ports, udp_ports, icmp_types, limit, part, arp
            )


class Part:
    """Where a skim starts and where it stops, in a file read in two parts at once.

    `start`: the offset of the first record to read, the number of records before it and
    the previous record's time in ns (None: from the file's first record). `stop`: an offset
    past which the skim ends at the first record `is_boundary` accepts (None: the file's
    end); `reached` is then set to that record's (offset, records before it, previous ns)."""

    __slots__ = ("start", "stop", "reached")

    def __init__(self, start=None, stop=None) -> None:
        self.start: tuple[int, int, int] | None = start
        self.stop: int | None = stop
        self.reached: tuple[int, int, int] | None = None


# A part boundary is searched for this many records past the middle for one that neither is
# nor follows an IPv4 fragment (a datagram cut in two by it would make the parts disagree:
# `workbench.dissect.halves` then redoes the second part); then the next record is taken.
BOUNDARY_SEARCH = 4096


def is_boundary(mm, off: int, before: int, past: int, order: str) -> bool:
    """True if the record at `off` (the one before it at `before`, `past` records after the
    middle) is where a second part starts."""
    return past >= BOUNDARY_SEARCH or not (
        _fragment(mm, off, order) or _fragment(mm, before, order)
    )


def _fragment(mm, off: int, order: str) -> bool:
    caplen = struct.unpack_from(order + "I", mm, off + 8)[0]
    if caplen < 22 or off + 16 + 22 > len(mm):
        return False
    at = off + 16 + 12
    return mm[at : at + 2] == b"\x08\x00" and bool(struct.unpack_from("!H", mm, at + 8)[0] & 0x3FFF)


def find_boundary(path: str, middle: int) -> tuple[int, int, int, int] | None:
    """The record where the second part of the classic pcap at `path` starts (`is_boundary`
    from `middle` on): (offset, records before it, previous record's ns, the first record's
    ns), or None if the file ends (or is damaged) before one."""
    with open(path, "rb") as handle:
        head = handle.read(24)
        order, tick_ns = PCAP_MAGIC[head[:4]]
        if handle.seek(0, 2) < 40:
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            record = struct.Struct(order + "IIII").unpack_from
            end = len(mm)
            sec, frac, _c, _o = record(mm, 24)
            first_ns = sec * 1_000_000_000 + frac * tick_ns
            off, before, number, past, released = 24, -1, 0, 0, 0
            # Up to the middle the records are only counted (the second part's frame numbers
            # go on from them): this runs before the second part can start, so it reads no
            # more than each record's length.
            length = struct.Struct(order + "8xI").unpack_from
            while off < middle and off + 16 <= end:
                if off - released >= _RELEASE:
                    mm.madvise(mmap.MADV_DONTNEED, released, off - off % mmap.PAGESIZE - released)
                    released = off - off % mmap.PAGESIZE
                caplen = length(mm, off)[0]
                if caplen > _MAX_RECORD or off + 16 + caplen > end:
                    return None
                before, off, number = off, off + 16 + caplen, number + 1
            while off + 16 <= end:
                if off - released >= _RELEASE:  # as `_records`: read pages are given back
                    mm.madvise(mmap.MADV_DONTNEED, released, off - off % mmap.PAGESIZE - released)
                    released = off - off % mmap.PAGESIZE
                if off >= middle and before >= 0:
                    if is_boundary(mm, off, before, past, order):
                        sec, frac, _c, _o = record(mm, before)
                        return off, number, sec * 1_000_000_000 + frac * tick_ns, first_ns
                    past += 1
                caplen = record(mm, off)[2]
                if caplen > _MAX_RECORD or off + 16 + caplen > end:
                    return None
                before, off, number = off, off + 16 + caplen, number + 1
    return None


def _records(mm, path, order, tick_ns, state, tcp_ports, udp_ports, icmp_types, limit, part, arp):
    record = struct.Struct(order + "IIII").unpack_from
    look = struct.Struct(order + _LOOK).unpack_from
    lengths = struct.Struct(order + "8xII").unpack_from
    add_piece = state.ip.add_piece
    swapped = _Order(order, tcp_ports, udp_ports, icmp_types)
    eth_ipv4, eth_arp, fragment = swapped.ipv4, swapped.arp, swapped.fragment
    tcp_words, udp_words, icmp_words = swapped.tcp_ports, swapped.udp_ports, swapped.icmp_words

    def wanted(key, head, length):  # a datagram a fragment completes, told by its first bytes
        return len(head) < 4 or not _cannot_match(
            key[3], head, length, tcp_ports, udp_ports, icmp_types
        )

    end = len(mm)
    off, number = 24, 0
    if end >= 40:  # the first frame's time is the origin, passed over or not
        sec, frac, _c, _o = record(mm, off)
        state.first_ns = state.previous_ns = sec * 1_000_000_000 + frac * tick_ns
    stop = end
    if part is not None:
        if part.start is not None:
            off, number, state.previous_ns = part.start
        if part.stop is not None:
            stop = part.stop
    last = limit if limit is not None else -1
    skipped_at = -1  # the header offset of the last frame passed over since the last yield
    released = off - off % mmap.PAGESIZE  # pages below this offset are given back (`_RELEASE`)
    before, past = -1, 0  # the previous record's offset; records looked at past `stop`
    while off < end:
        if off >= stop and before >= 0 and off + 16 <= end:
            if is_boundary(mm, off, before, past, order):
                s, f, _c, _o = record(mm, before)
                part.reached = (off, number, s * 1_000_000_000 + f * tick_ns)
                return
            past += 1
        before = off
        if off - released >= _RELEASE:
            mm.madvise(mmap.MADV_DONTNEED, released, off - off % mmap.PAGESIZE - released)
            released = off - off % mmap.PAGESIZE
        if off + _LOOK_END <= end:
            caplen, origlen, ethertype, vihl, frag, proto, sport, dport = look(mm, off)
        elif off + 16 > end:
            raise header_cut_short(path, number + 1)
        else:  # too near the end for the fields: a record this short takes the full path
            caplen, origlen = lengths(mm, off)
        if caplen > _MAX_RECORD:
            raise frame_too_large(path, number + 1, caplen)
        data_at = off + 16
        after = data_at + caplen
        if after > end:
            raise frame_cut_short(path, number + 1)
        number += 1
        if caplen >= _SHORTEST:  # (then the fields were read: the record reaches past them)
            if ethertype != eth_ipv4 or vihl != 0x45:
                skip = ethertype == eth_arp and not arp
            elif not frag & fragment:
                if proto == IP_TCP:
                    skip = tcp_words is not None and not (tcp_words[sport] or tcp_words[dport])
                elif proto == IP_UDP:
                    skip = udp_words is not None and not (udp_words[sport] or udp_words[dport])
                elif proto == IP_ICMP:  # in place of the ports: the message type and code
                    skip = icmp_words is not None and not icmp_words[sport]
                else:
                    skip = False
            else:
                # A fragment: into the state's reassembly here. Alone it cannot match (its own
                # bytes are data above IP); the datagram it completes is judged as a frame.
                at = data_at + 14
                total, ident, frag = _LENGTH_ID_FRAG(mm, at + 2)
                stop_at = min(at + total, after) if total else after
                payload = mm[at + 20 : stop_at] if stop_at > at + 20 else b""
                ends = mm[at + 12 : at + 20]  # source and destination, as text in the key
                pair = _PAIRS.get(ends)
                if pair is None:
                    if len(_PAIRS) > 4096:
                        _PAIRS.clear()
                    pair = _PAIRS[ends] = (_v4(ends[:4]), _v4(ends[4:]))
                key = (4, pair[0], pair[1], proto, ident)
                note = add_piece(
                    key, number, (frag & 0x1FFF) * 8, frag & 0x2000, payload, wanted=wanted
                )
                skip = note is None or _cannot_match(
                    proto, note.datagram, len(note.datagram), tcp_ports, udp_ports, icmp_types
                )
                if not skip:
                    state.reassembled = (number, note)
            if skip:
                skipped_at = off
                off = after
                if number == last:
                    return
                continue
        if skipped_at >= 0:
            s, f, _c, _o = record(mm, skipped_at)
            state.previous_ns = s * 1_000_000_000 + f * tick_ns
            skipped_at = -1
        sec, frac, _c, _o = record(mm, off)
        yield captured_frame(
            number,
            sec * 1_000_000_000 + frac * tick_ns,
            "",
            mm[data_at:after],
            max(origlen, caplen),
            LINKTYPE_ETHERNET,
        )
        off = after
        if number == last:
            return
