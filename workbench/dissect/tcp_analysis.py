"""TCP across frames, as Wireshark keeps it: conversations, relative numbers, analysis flags.

`TcpAnalysis.add(facts)` is called once per frame in capture order and returns the frame's
`TcpNote` (None for a frame without TCP): the conversation's index (`tcp.stream`, counted from
0 in order of first appearance), sequence and acknowledgement numbers relative to each side's
initial sequence number (`tcp.seq_raw`/`tcp.ack_raw` keep the wire's), the window scaled by
the shift each side announced in its SYN (`tcp.window_size`; unscaled while none was seen, as
Wireshark's "-1 (unknown)"), and the analysis flags of tshark 4.0's
`tcp_analyze_sequence_number` in the order it checks them: zero window probe, zero window, previous segment not
captured, keep-alive, window update, window full, keep-alive ACK, duplicate ACK, ACKed unseen
segment, then spurious retransmission / fast retransmission / out-of-order / retransmission.
Each flag has its Info prefix (`[TCP Dup ACK 7#1] `) as tshark prints it. The conversation's
completeness (`tcp.completeness`: SYN, SYN-ACK, ACK, data, FIN, RST seen) is what tshark's one
pass shows on each frame: what the frames before it saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from workbench.dissect.facts import TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, Facts

MASK = 0xFFFFFFFF
OUT_OF_ORDER_NS = 3_000_000  # Wireshark's threshold when the handshake gave no RTT
FAST_RETRANSMISSION_NS = 20_000_000
MAX_UNACKED = 10_000  # tshark stops listing a side's unacknowledged segments there

# analysis flag (filter name under tcp.analysis.) → Info prefix, in the order tshark's Info shows
# them: tshark 4.0 prints them retransmissions first, then lost segments, window, keep-alive,
# duplicate ACK and zero window, each prepended before the ones already there
PREFIXES = {
    "zero_window_probe_ack": "TCP ZeroWindowProbeAck",
    "zero_window": "TCP ZeroWindow",
    "zero_window_probe": "TCP ZeroWindowProbe",
    "duplicate_ack": "TCP Dup ACK",
    "keep_alive_ack": "TCP Keep-Alive ACK",
    "keep_alive": "TCP Keep-Alive",
    "window_full": "TCP Window Full",
    "window_update": "TCP Window Update",
    "ack_lost_segment": "TCP ACKed unseen segment",
    "lost_segment": "TCP Previous segment not captured",
    "retransmission": "TCP Retransmission",
    "fast_retransmission": "TCP Fast Retransmission",
    "spurious_retransmission": "TCP Spurious Retransmission",
    "out_of_order": "TCP Out-Of-Order",
    "reused_ports": "TCP Port numbers reused",
}

# tcp.completeness: what a conversation has been seen to carry (Wireshark's bits)
SYN_SENT, SYN_ACK, ACKED, DATA, FIN_SEEN, RST_SEEN = 1, 2, 4, 8, 16, 32


def completeness_text(value: int) -> str:
    """tshark's label for a completeness value: the handshake's steps while it is incomplete,
    "Complete" once data or none went through a whole handshake to a FIN or RST."""
    handshake = SYN_SENT | SYN_ACK | ACKED
    if value & handshake == handshake and value & (FIN_SEEN | RST_SEEN):
        words = "Complete, WITH_DATA" if value & DATA else "Complete, NO_DATA"
    else:
        words = {
            SYN_SENT: "Incomplete, SYN_SENT",
            SYN_SENT | SYN_ACK: "Incomplete, CLIENT_ESTABLISHED",
            handshake: "Incomplete, ESTABLISHED",
            handshake | DATA: "Incomplete, DATA",
        }.get(value, "Incomplete")
    return f"{words} ({value})"


def _lt(a: int, b: int) -> bool:
    """a < b in sequence space (RFC 9293 §3.4: modulo 2^32)."""
    return a != b and ((a - b) & MASK) > 0x7FFFFFFF


def _gt(a: int, b: int) -> bool:
    return _lt(b, a)


@dataclass
class _Side:
    """One direction of a conversation: what its sender has sent and acknowledged."""

    base: int | None = None  # initial sequence number (relative 0)
    wscale: int = -1  # -1 unknown (no SYN seen), -2 SYN seen without the option
    next_seq: int | None = None  # highest sequence number sent + 1
    next_seq_ns: int = 0
    next_seq_frame: int = 0
    max_to_ack: int | None = None
    last_ack: int | None = None
    last_ack_ns: int = 0
    window: int | None = None  # raw
    last_was_syn: bool = False
    last_flags: list | tuple = ()
    dup_acks: int = 0
    last_non_dup_ack: int = 0
    # segments (or SYN/FIN) sent and not yet acknowledged, oldest first: [frame, seq, next
    # seq (both relative to this side's base), time] — tshark's list, for the frame an ACK
    # acknowledges, its RTT and the bytes in flight
    unacked: list = field(default_factory=list)
    push_bytes: int = 0  # bytes sent since the last PSH, as tshark counts them
    push_set_last: bool = False
    valid_bif: bool = True  # off from a gap in what it sent until the other side ACKs
    sack: tuple = ()  # the SACK blocks of its latest segment


@dataclass
class _Stream:
    index: int
    first: tuple  # (address, port) of the side that spoke first
    sides: dict = field(default_factory=dict)  # (address, port) → _Side
    syn_ns: int | None = None
    rtt_ns: int = 0  # iRTT: SYN to the handshake's ACK
    fin_frame: int = 0  # the stream's first FIN: it "initiates the connection closing"
    first_ns: int = 0  # the stream's first frame (tcp.time_relative counts from it)
    prev_ns: int = 0  # its frame before this one, either way (tcp.time_delta)
    completeness: int = 0  # tcp.completeness after the frames so far


class TcpNote(NamedTuple):
    """What Wireshark adds to one TCP segment from the frames before it (a named tuple: one
    is made for every TCP frame of a capture, and a frozen dataclass costs twice as much)."""

    stream: int
    seq: int  # relative
    ack: int | None  # relative; None without the ACK flag
    next_seq: int  # relative seq + length (+1 for SYN or FIN)
    length: int
    window: int  # scaled as the handshake said (tcp.window_size)
    scale: int  # the multiplier applied: 1 on a SYN, -1 unknown, -2 none announced
    flags: tuple[str, ...] = ()  # tcp.analysis.* names set on this frame
    dup_ack_of: int = 0  # tcp.analysis.duplicate_ack_frame
    dup_ack_count: int = 0  # tcp.analysis.duplicate_ack_num
    since_first_ns: int = 0  # tcp.time_relative
    since_prev_ns: int = 0  # tcp.time_delta
    acks_frame: int = 0  # tcp.analysis.acks_frame: the segment this ACK acknowledges
    ack_rtt_ns: int = 0  # tcp.analysis.ack_rtt
    irtt_ns: int = 0  # tcp.analysis.initial_rtt, once the handshake gave it
    in_flight: int = 0  # tcp.analysis.bytes_in_flight (0: none shown)
    push_bytes: int = -1  # tcp.analysis.push_bytes_sent (-1: none shown)
    closing: str = ""  # a FIN "initiates" the connection's closing, or "undergoes" it
    rto_ns: int = 0  # tcp.analysis.rto: a retransmission's time since what it resends
    rto_frame: int = 0  # tcp.analysis.rto_frame
    completeness: int = 0  # tcp.completeness before this frame (tshark's one pass shows that)

    @property
    def analysed(self) -> bool:
        """tshark shows `[SEQ/ACK analysis]` for this segment (it has something to say)."""
        return bool(self.flags or self.acks_frame or self.in_flight or self.push_bytes >= 0)

    @property
    def prefix(self) -> str:
        """The Info text tshark puts before the ports: `[TCP Retransmission] `."""
        if not self.flags:
            return ""
        out = []
        for name in PREFIXES:
            if name in self.flags:
                if name == "duplicate_ack":
                    out.append(f"[TCP Dup ACK {self.dup_ack_of}#{self.dup_ack_count}] ")
                else:
                    out.append(f"[{PREFIXES[name]}] ")
        return "".join(out)


class TcpAnalysis:
    """`values`: also what [SEQ/ACK analysis] says beyond the flags (the segment an ACK
    acknowledges, RTTs, bytes in flight …): kept only where something may show it, as it
    costs a list of every side's unacknowledged segments."""

    def __init__(self, values: bool = True) -> None:
        self.values = values
        self.streams: list[_Stream] = []
        self._by_key: dict[tuple, _Stream] = {}

    def keys(self) -> set[tuple]:
        """Every conversation's key (its two (address, port) ends, in order)."""
        return set(self._by_key)

    def stream_of(self, facts: Facts) -> int | None:
        stream = self._by_key.get(_key(facts))
        return None if stream is None else stream.index

    def add(self, f: Facts) -> TcpNote | None:
        if f.seq is None or f.sport is None:
            return None
        here, there = (f.src, f.sport), (f.dst, f.dport)
        key = (here, there) if here <= there else (there, here)  # as _key
        stream = self._by_key.get(key)
        flags = f.flags
        # A SYN whose sequence number is not the one its side began with starts a new stream,
        # closed or not: tshark's "TCP Port numbers reused"
        reused = False
        if stream is not None and flags & TCP_SYN and not flags & TCP_ACK:
            fwd = stream.sides.get(here)
            if fwd is not None and fwd.base is not None and fwd.base != f.seq:
                stream, reused = None, True
        seq, ack, length = f.seq, f.ack, len(f.payload)
        length = self._segment_length(f, length)
        if stream is None:
            stream = _Stream(len(self.streams), here, first_ns=f.ns, prev_ns=f.ns)
            self.streams.append(stream)
            self._by_key[key] = stream
            if reused:  # as tshark: a conversation a SYN starts has seen that SYN already
                stream.completeness = SYN_SENT
            elif flags & (TCP_SYN | TCP_ACK) == TCP_SYN:  # a new one counts only a plain SYN
                stream.completeness = SYN_SENT | (DATA if length else 0)
            shown = stream.completeness if reused else 0
        else:
            shown = stream.completeness
            stream.completeness |= _completeness_bits(flags, length)
        since_first, since_prev = f.ns - stream.first_ns, f.ns - stream.prev_ns
        stream.prev_ns = f.ns
        sides = stream.sides
        fwd = sides.get(here)
        if fwd is None:
            fwd = sides[here] = _Side()
        rev = sides.get(there)
        if rev is None:
            rev = sides[there] = _Side()
        syn, fin, rst = bool(flags & TCP_SYN), bool(flags & TCP_FIN), bool(flags & TCP_RST)
        if fwd.base is None:
            fwd.base = seq if syn else (seq - 1) & MASK
        if syn:
            fwd.wscale = f.wscale if f.wscale is not None else -2
            if not flags & TCP_ACK:
                stream.syn_ns = f.ns
            if f.wscale is None and flags & TCP_ACK:
                rev.wscale = -2 if rev.wscale >= 0 else rev.wscale  # RFC 7323: both or neither
        if (flags & TCP_ACK) and rev.base is None and ack is not None:
            rev.base = (ack - 1) & MASK
        if flags & TCP_ACK:
            rev.valid_bif = True
        if not syn and flags & TCP_ACK and stream.syn_ns is not None and not stream.rtt_ns:
            stream.rtt_ns = f.ns - stream.syn_ns
        found: list[str] = ["reused_ports"] if reused else []
        rto_frame = rto_ns = 0
        dup_of = dup_count = 0
        window = f.window
        zero_window_probe = False
        if fwd.next_seq is not None:
            # ZERO WINDOW PROBE: one byte into a window the other side closed; as tshark, it
            # changes nothing else (the next sequence number stays where it was)
            if length == 1 and seq == fwd.next_seq and rev.window == 0:
                zero_window_probe = True
                found.append("zero_window_probe")
        if not zero_window_probe:
            if window == 0 and not flags & (TCP_SYN | TCP_FIN | TCP_RST):
                found.append("zero_window")
            if fwd.next_seq is not None and _gt(seq, fwd.next_seq) and not rst:
                found.append("lost_segment")
                fwd.valid_bif = False  # as tshark, until an ACK comes the other way
            keep_alive = (
                fwd.next_seq is not None
                and length <= 1
                and seq == (fwd.next_seq - 1) & MASK
                and not flags & (TCP_SYN | TCP_FIN | TCP_RST)
            )
            if keep_alive:
                found.append("keep_alive")
            same_place = (
                length == 0
                and fwd.next_seq is not None
                and seq == fwd.next_seq
                and ack == fwd.last_ack
                and not flags & (TCP_SYN | TCP_FIN | TCP_RST)
            )
            if same_place and window and window != fwd.window:
                found.append("window_update")
            if (
                length > 0
                and rev.wscale != -1
                and rev.last_ack is not None
                and rev.window is not None
                and not flags & (TCP_SYN | TCP_FIN | TCP_RST)
            ):
                shift = 0 if rev.last_was_syn or rev.wscale < 0 else rev.wscale
                if (seq + length) & MASK == (rev.last_ack + (rev.window << shift)) & MASK:
                    found.append("window_full")
            if same_place and window == fwd.window:
                if "keep_alive" in rev.last_flags:
                    found.append("keep_alive_ack")
                elif window == 0 and "zero_window_probe" in rev.last_flags:
                    found.append("zero_window_probe_ack")
                elif window:
                    # -1: an ACKed unseen segment was flagged on the other side's ACK (below)
                    fwd.dup_acks = 1 if fwd.dup_acks == -1 else fwd.dup_acks + 1
                    found.append("duplicate_ack")
                    dup_of, dup_count = fwd.last_non_dup_ack, fwd.dup_acks
            if ack != fwd.last_ack:  # as tshark 4.0: the count restarts when the ACK moves
                fwd.last_non_dup_ack, fwd.dup_acks = f.number, 0
            if (
                flags & TCP_ACK
                and rev.max_to_ack is not None
                and ack is not None
                and _gt(ack, rev.max_to_ack)
            ):
                if rev.max_to_ack < rev.next_seq:  # tshark compares these unsigned, not as seqs
                    rev.max_to_ack = rev.next_seq
                    found.append("ack_lost_segment")
                else:
                    # The other side's segments were seen up to here: one flag for a run of
                    # ACKs over the same gap, until that side's ACK moves (its count is -1).
                    if rev.dup_acks == 0:
                        found.append("ack_lost_segment")
                    rev.dup_acks = -1
            if (length > 0 or syn or fin) and not keep_alive:
                kind = self._retransmission_kind(f, stream, fwd, rev, seq, length, syn or fin)
                if kind:
                    found.append(kind)
                if kind == "retransmission" and self.values:
                    # as tshark: the time since the oldest segment still unacknowledged (else
                    # since the highest one sent), and its frame
                    if fwd.unacked:
                        rto_frame, rto_ns = fwd.unacked[0][0], f.ns - fwd.unacked[0][3]
                    else:
                        rto_frame, rto_ns = fwd.next_seq_frame, f.ns - fwd.next_seq_ns
            next_seq = (seq + length + (1 if syn or fin else 0)) & MASK
            if (fwd.next_seq is None or _gt(next_seq, fwd.next_seq)) and not rst:
                fwd.next_seq, fwd.next_seq_ns, fwd.next_seq_frame = next_seq, f.ns, f.number
            # as tshark: the highest sequence number the other side may acknowledge moves up
            # only with a segment that continues it (one after a gap leaves it behind the gap,
            # so an ACK over the gap is an "ACKed unseen segment")
            if fwd.max_to_ack is None or seq == fwd.max_to_ack:
                fwd.max_to_ack = fwd.next_seq
        rel_seq = (seq - fwd.base) & MASK
        fwd.window = window
        # as tshark, whatever the flags: a RST without ACK leaves 0 here, and after it no
        # data counts as acknowledged (no Spurious Retransmission)
        fwd.last_ack, fwd.last_ack_ns = ack, f.ns
        fwd.last_was_syn = syn
        fwd.last_flags = found  # only asked `in`: a list of one or two names
        acks_frame = ack_rtt = in_flight = 0
        push = -1
        if self.values:
            unacked = fwd.unacked
            if (length or syn or fin) and len(unacked) < MAX_UNACKED:
                unacked.append([f.number, rel_seq, (rel_seq + length + (syn or fin)) & MASK, f.ns])
            fwd.sack = f.sack
            if rev.unacked and rev.base is not None and ack is not None:
                acks_frame, ack_rtt = _acknowledge(rev.unacked, (ack - rev.base) & MASK, f.ns)
            if length and unacked and fwd.valid_bif:
                in_flight = _in_flight(unacked, rev.sack, syn or fin)
                psh = flags & TCP_PSH
                if psh or fwd.push_set_last:
                    fwd.push_bytes = length if fwd.push_set_last else fwd.push_bytes + length
                else:
                    fwd.push_bytes += length
                fwd.push_set_last = bool(psh)
                push = fwd.push_bytes
        # tshark's factor: the shift's power of two, -1 while no SYN was seen, -2 when the
        # SYN said no scaling; 1 on a SYN itself (never scaled)
        scale = 1 if syn else (1 << fwd.wscale if fwd.wscale >= 0 else fwd.wscale)
        rel_ack = (ack - rev.base) & MASK if flags & TCP_ACK and rev.base is not None else None
        closing = ""
        if fin:
            if not stream.fin_frame:
                stream.fin_frame = f.number
            closing = "initiates" if stream.fin_frame == f.number else "undergoes"
        return TcpNote(
            stream.index,
            rel_seq,
            rel_ack,
            (rel_seq + length + (1 if syn or fin else 0)) & MASK,
            length,
            window * max(scale, 1),
            scale,
            tuple(found),
            dup_of,
            dup_count,
            since_first,
            since_prev,
            acks_frame,
            ack_rtt,
            stream.rtt_ns,
            in_flight,
            push,
            closing,
            rto_ns,
            rto_frame,
            shown,
        )

    @staticmethod
    def _segment_length(f: Facts, captured: int) -> int:
        """tcp.len: from the IP length, not from what the capture kept (snaplen)."""
        return captured if f.ip_payload is None else max(captured, 0)

    @staticmethod
    def _retransmission_kind(f, stream, fwd, rev, seq, length, syn_or_fin) -> str | None:
        """tshark 4.0's order: data the other side already acknowledged is a spurious
        retransmission wherever it sits; then fast retransmission, out-of-order and plain
        retransmission, for a segment that does not advance the sequence number."""
        behind = fwd.next_seq is not None and _lt(seq, fwd.next_seq)
        if behind and length > 1 and seq == (fwd.next_seq - 1) & MASK:
            behind = False  # new data after a possible zero window probe's byte
        if length and rev.last_ack and not _gt((seq + length) & MASK, rev.last_ack):
            return "spurious_retransmission"
        if not behind:
            return None
        if (
            rev.dup_acks >= 2
            and rev.last_ack == seq
            and 0 <= f.ns - rev.last_ack_ns < FAST_RETRANSMISSION_NS
        ):
            return "fast_retransmission"
        threshold = stream.rtt_ns or OUT_OF_ORDER_NS
        # tshark's differences are unsigned: time going backwards (files concatenated) is long
        ends = (seq + length + (1 if syn_or_fin else 0)) & MASK
        if 0 <= f.ns - fwd.next_seq_ns < threshold and fwd.next_seq != ends:
            return "out_of_order"
        return "retransmission"


def relative_sack(f: Facts, note: TcpNote) -> tuple[tuple[int, int], ...]:
    """A segment's SACK blocks in the other side's relative numbers, as tshark shows them (the
    wire's numbers while that side's start is unknown: no ACK flag)."""
    if note.ack is None:
        return f.sack
    base = (f.ack - note.ack) & MASK
    return tuple(((left - base) & MASK, (right - base) & MASK) for left, right in f.sack)


def is_dsack(blocks: tuple[tuple[int, int], ...], ack: int | None) -> bool:
    """The first block reports data received twice (RFC 2883 §4): it lies below the
    cumulative ACK, or inside the second block."""
    left, right = blocks[0]
    if ack is not None and _lt(left, ack):
        return True
    return len(blocks) > 1 and not _lt(left, blocks[1][0]) and not _gt(right, blocks[1][1])


def _completeness_bits(flags: int, length: int) -> int:
    """What a frame of a conversation already seen adds to its completeness (Wireshark's
    rules: the SYN-ACK, a pure ACK or one with data, a FIN with ACK, any RST)."""
    bits = 0
    handshake = flags & (TCP_SYN | TCP_ACK)
    if handshake == TCP_SYN | TCP_ACK:
        bits |= SYN_ACK
    elif handshake == TCP_ACK:
        bits |= DATA if length else ACKED
    if flags & (TCP_FIN | TCP_ACK) == TCP_FIN | TCP_ACK:
        bits |= FIN_SEEN
    if flags & TCP_RST:
        bits |= RST_SEEN
    return bits


def _acknowledge(unacked: list, ack: int, ns: int) -> tuple[int, int]:
    """Take what `ack` acknowledges off the other side's unacknowledged segments, as tshark:
    the frame and RTT of the segment it ends exactly (0, 0 if none), a segment it ends inside
    trimmed, older ones dropped."""
    frame = rtt = 0
    i = len(unacked) - 1  # newest first, as tshark walks its list: the oldest match wins
    while i >= 0:
        segment = unacked[i]
        end = segment[2]
        if ack == end:
            frame, rtt = segment[0], ns - segment[3]
            del unacked[i]
        elif _gt(ack, segment[1]) and not _gt(ack, end):
            segment[1] = ack  # part of it acknowledged
        elif not _gt(end, ack):
            del unacked[i]  # acknowledged before
        i -= 1
    return frame, rtt


def _in_flight(unacked: list, sack: tuple, virtual: bool) -> int:
    """tshark's default bytes in flight (from the payloads): the span of what is
    unacknowledged, less what the other side's latest SACK blocks say arrived; 0 for none."""
    in_flight = (max(unacked, key=_NEXT)[2] - min(unacked, key=_SEQ)[1]) & MASK
    for left, right in sack:
        in_flight = (in_flight - (right - left)) & MASK
    return in_flight - virtual if 0 < in_flight < 2_000_000_000 else 0  # a SYN or FIN: -1


_SEQ, _NEXT = itemgetter(1), itemgetter(2)


def _key(f: Facts) -> tuple:
    a, b = (f.src, f.sport), (f.dst, f.dport)
    return (a, b) if a <= b else (b, a)
