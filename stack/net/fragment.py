"""IPv4 fragmentation at the egress MTU and reassembly (RFC 791 §3.2, RFC 815 holes).

Fragment data sizes are multiples of 8, so a 5,000-byte packet (20 + 4,980) over an MTU of
1,500 leaves as 1,480 + 1,480 + 1,480 + 540 bytes of data: IP total lengths 1,500, 1,500,
1,500 and 560. Reassembly keys on (source, destination, protocol, id), gives up after
`TIMEOUT` seconds, and drops a datagram whose fragments overlap with different bytes (the
overlap attacks of RFC 1858/3128); identical retransmitted fragments are fine. Memory is bounded
as Linux bounds it: a stored fragment costs its data plus `PIECE_OVERHEAD`, and when the table or
the memory is full the oldest incomplete datagram gives way, so a flood of fragments that never
complete cannot keep a legitimate datagram out for `TIMEOUT` seconds.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.record import field, record
from stack.wire.ipv4 import FLAG_DF, FLAG_MF, MAX_TOTAL, IPv4

TIMEOUT = 30.0
MEMORY_LIMIT = 4 * 1024 * 1024
MAX_DATAGRAMS = 1024
PIECE_OVERHEAD = (
    64  # what keeping one fragment costs beyond its bytes (Linux counts an skb's truesize)
)


def fragment(packet: IPv4, mtu: int) -> list[IPv4]:
    """Cut a packet into fragments that fit `mtu`; options are copied only into the first
    fragment (we keep none that RFC 791 marks 'copied')."""
    hlen = packet.header_length
    if packet.total_length <= mtu:
        return [packet]
    chunk = (mtu - hlen) // 8 * 8
    data = packet.payload
    base = packet.offset_bytes
    last_mf = packet.mf
    pieces = []
    for start in range(0, len(data), chunk):
        part = data[start : start + chunk]
        more = (start + chunk < len(data)) or last_mf
        pieces.append(
            IPv4.make(
                packet.src,
                packet.dst,
                packet.proto,
                part,
                ttl=packet.ttl,
                ident=packet.ident,
                df=bool(packet.flags & FLAG_DF),
                mf=more,
                offset_bytes=base + start,
                tos=packet.tos,
                options=packet.options if start == 0 and base == 0 else b"",
            )
        )
    return pieces


Key = tuple[IPv4Address, IPv4Address, int, int]


@record(frozen=False)
class Datagram:
    first_seen: float
    pieces: dict[int, bytes] = field(default_factory=dict)  # offset → data
    frames: list[int] = field(default_factory=list)
    total: int | None = None  # data length, known once the last fragment (MF=0) arrives
    header: IPv4 | None = None  # the first fragment's header (offset 0)
    size: int = 0
    timer: object | None = None
    duplicates: int = 0  # identical copies of fragments already held (not kept, not listed)


class Reassembler:
    def __init__(self) -> None:
        self.datagrams: dict[Key, Datagram] = {}
        self.memory = 0
        self.completed = 0
        self.failed = 0
        self.evicted_total = 0
        # datagrams the last `add` gave up to make room: (key, datagram, why), for the trace
        self.evicted: list[tuple[Key, Datagram, str]] = []

    def add(
        self, packet: IPv4, frame_id: int, now: float
    ) -> tuple[IPv4 | None, Datagram | None, str]:
        """Returns (whole packet or None, its datagram record, problem or '')."""
        self.evicted = []
        key = (packet.src, packet.dst, packet.proto, packet.ident)
        dgram = self.datagrams.get(key)
        if dgram is None:
            if len(self.datagrams) >= MAX_DATAGRAMS:
                self._evict_oldest(
                    f"{MAX_DATAGRAMS:,} datagrams were waiting for fragments: the oldest gave way to a new one"
                )
            dgram = Datagram(now)
            self.datagrams[key] = dgram
        start = packet.offset_bytes
        data = packet.payload
        end = start + len(data)
        if end + packet.header_length > MAX_TOTAL:
            self.drop(key)
            return None, dgram, f"fragment ends at {end}, past the 65,535-byte maximum"
        if packet.mf and len(data) % 8:
            self.drop(key)
            return None, dgram, f"a middle fragment of {len(data)} bytes is not a multiple of 8"
        for other_start, other in dgram.pieces.items():
            other_end = other_start + len(other)
            if start < other_end and other_start < end:
                lo, hi = max(start, other_start), min(end, other_end)
                if data[lo - start : hi - start] != other[lo - other_start : hi - other_start]:
                    self.drop(key)
                    return None, dgram, f"fragments overlap at bytes {lo}–{hi} with different data"
        if not packet.mf:
            if dgram.total is not None and dgram.total != end:
                self.drop(key)
                return None, dgram, "two last fragments disagree on the length"
            dgram.total = end
        if start == 0:
            dgram.header = packet
        if start not in dgram.pieces or len(dgram.pieces[start]) < len(data):
            held = dgram.pieces.get(start)
            cost = len(data) - (len(held) if held is not None else -PIECE_OVERHEAD)
            dgram.pieces[start] = data
            dgram.size += cost
            self.memory += cost
            dgram.frames.append(frame_id)
        else:
            dgram.duplicates += 1  # nothing new: neither kept nor listed, so copies cost nothing
        while self.memory > MEMORY_LIMIT and len(self.datagrams) > 1:
            self._evict_oldest(
                f"reassembly memory passed {MEMORY_LIMIT:,} bytes: the oldest datagram gave way",
                spare=key,
            )
        if self.memory > MEMORY_LIMIT:
            self.drop(key)
            return None, dgram, f"reassembly memory over {MEMORY_LIMIT:,} bytes"
        whole = self._complete(dgram)
        if whole is None:
            return None, dgram, ""
        self.drop(key)
        self.completed += 1
        head = dgram.header
        assert head is not None
        packet = IPv4.make(
            head.src,
            head.dst,
            head.proto,
            whole,
            ttl=head.ttl,
            ident=head.ident,
            df=bool(head.flags & FLAG_DF),
            tos=head.tos,
            options=head.options,
        )
        return packet, dgram, ""

    def _complete(self, dgram: Datagram) -> bytes | None:
        if dgram.total is None or dgram.header is None:
            return None
        out = bytearray(dgram.total)
        covered = 0
        for start in sorted(dgram.pieces):
            data = dgram.pieces[start]
            if start > covered:
                return None
            out[start : start + len(data)] = data
            covered = max(covered, start + len(data))
        return bytes(out) if covered >= dgram.total else None

    def _evict_oldest(self, why: str, spare: Key | None = None) -> None:
        for key in self.datagrams:  # insertion order: the oldest first
            if key != spare:
                dgram = self.drop(key)
                self.failed += 1
                self.evicted_total += 1
                self.evicted.append((key, dgram, why))
                return

    def drop(self, key: Key) -> Datagram | None:
        dgram = self.datagrams.pop(key, None)
        if dgram is not None:
            self.memory -= dgram.size
            if dgram.timer is not None:
                dgram.timer.cancel()
        return dgram

    def expire(self, key: Key) -> Datagram | None:
        dgram = self.drop(key)
        if dgram is not None:
            self.failed += 1
        return dgram


__all__ = ["fragment", "Reassembler", "Datagram", "TIMEOUT", "FLAG_MF"]
