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
Each flag has its Info prefix (`[TCP Dup ACK 7#1] `) as tshark prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from workbench.dissect.facts import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Facts

MASK = 0xFFFFFFFF
OUT_OF_ORDER_NS = 3_000_000  # Wireshark's threshold when the handshake gave no RTT
FAST_RETRANSMISSION_NS = 20_000_000

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
    max_to_ack: int | None = None
    last_ack: int | None = None
    last_ack_ns: int = 0
    window: int | None = None  # raw
    last_was_syn: bool = False
    last_flags: list | tuple = ()
    dup_acks: int = 0
    last_non_dup_ack: int = 0


@dataclass
class _Stream:
    index: int
    first: tuple  # (address, port) of the side that spoke first
    sides: dict = field(default_factory=dict)  # (address, port) → _Side
    syn_ns: int | None = None
    rtt_ns: int = 0  # iRTT: SYN to the handshake's ACK


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
    def __init__(self) -> None:
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
        if stream is None:
            stream = _Stream(len(self.streams), here)
            self.streams.append(stream)
            self._by_key[key] = stream
        sides = stream.sides
        fwd = sides.get(here)
        if fwd is None:
            fwd = sides[here] = _Side()
        rev = sides.get(there)
        if rev is None:
            rev = sides[there] = _Side()
        seq, ack, length = f.seq, f.ack, len(f.payload)
        length = self._segment_length(f, length)
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
        if not syn and flags & TCP_ACK and stream.syn_ns is not None and not stream.rtt_ns:
            stream.rtt_ns = f.ns - stream.syn_ns
        found: list[str] = ["reused_ports"] if reused else []
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
            next_seq = (seq + length + (1 if syn or fin else 0)) & MASK
            if (fwd.next_seq is None or _gt(next_seq, fwd.next_seq)) and not rst:
                fwd.next_seq, fwd.next_seq_ns = next_seq, f.ns
            # as tshark: the highest sequence number the other side may acknowledge moves up
            # only with a segment that continues it (one after a gap leaves it behind the gap,
            # so an ACK over the gap is an "ACKed unseen segment")
            if fwd.max_to_ack is None or seq == fwd.max_to_ack:
                fwd.max_to_ack = fwd.next_seq
        fwd.window = window
        # as tshark, whatever the flags: a RST without ACK leaves 0 here, and after it no
        # data counts as acknowledged (no Spurious Retransmission)
        fwd.last_ack, fwd.last_ack_ns = ack, f.ns
        fwd.last_was_syn = syn
        fwd.last_flags = found  # only asked `in`: a list of one or two names
        # tshark's factor: the shift's power of two, -1 while no SYN was seen, -2 when the
        # SYN said no scaling; 1 on a SYN itself (never scaled)
        scale = 1 if syn else (1 << fwd.wscale if fwd.wscale >= 0 else fwd.wscale)
        rel_ack = (ack - rev.base) & MASK if flags & TCP_ACK and rev.base is not None else None
        rel_seq = (seq - fwd.base) & MASK
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


def _key(f: Facts) -> tuple:
    a, b = (f.src, f.sport), (f.dst, f.dport)
    return (a, b) if a <= b else (b, a)
