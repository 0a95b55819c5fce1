"""What a capture's earlier frames add to each frame, as tshark's single pass over a file adds it.

`CaptureState.step(record)` is called once per frame in file order, before the frame is
filtered or shown (tshark runs its state over every frame read, `-Y` or not). It returns the
frame's `FrameNotes`: the fields only state can give, by Wireshark's filter names
(`frame.time_relative`/`frame.time_delta` against the first/previous frame, `tcp.stream`,
relative `tcp.seq`/`tcp.ack` with `tcp.seq_raw`/`tcp.ack_raw`, the scaled `tcp.window_size`,
`tcp.analysis.*`, `icmp.resp_to`, `dns.response_to` …), and how the packet-list row changes:
an IP fragment is "Fragmented IP protocol", the fragment completing a datagram has the whole
datagram dissected (`frame_bytes`: its frame rebuilt around the reassembled payload), TCP's
Info says relative numbers and tshark's analysis prefixes, an echo reply says which request it
answers. Only what came before is used, as in tshark without `-2`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from stack.proto.dns import parse_message
from stack.proto.frame import Frame
from stack.proto.http_continuation import CONTINUATION
from stack.wire import dns
from workbench.dissect.dns_tcp import DnsOverTcp
from workbench.dissect.facts import (
    IP_ICMP,
    IP_ICMPV6,
    IP_TCP,
    IP_UDP,
    TCP_FIN,
    TCP_SYN,
    Facts,
    facts_of,
)
from workbench.dissect.http_links import HttpLinks
from workbench.dissect.messages import HttpMessages, MessageNote
from workbench.dissect.reassembly import FragmentNote, IpReassembly
from workbench.dissect.tcp_analysis import (
    PREFIXES,
    TcpAnalysis,
    TcpNote,
    is_dsack,
    relative_sack,
)

IP_PROTOCOL_NAMES = {
    1: "ICMP",
    2: "IGMP",
    6: "TCP",
    17: "UDP",
    47: "GRE",
    58: "ICMPv6",
    132: "SCTP",
}
_SEQ = re.compile(r"\b(Seq|Ack|SLE|SRE)=(\d+)")
_WIN = re.compile(r"\bWin=\d+")
_SEQ_ONLY = re.compile(r"\bSeq=\d+")
_ACK_ONLY = re.compile(r"\bAck=\d+")
_ECHO_SEQ = re.compile(r"\bseq=(\d+)(?![\d/])")  # not one tshark's Info already gives


class FrameNotes:
    """One frame's notes. `fields` (Wireshark's names → values) is made when first asked: a
    listing never asks, a filter or `-T fields` on the frames it reads."""

    __slots__ = (
        "facts",
        "tcp",
        "frame_bytes",
        "fragment",
        "reply_to",
        "protocols",
        "message",
        "ns",
        "relative_ns",
        "delta_ns",
        "comments",
        "extra",
        "fragments",
        "_fields",
    )

    def __init__(
        self, facts: Facts, relative_ns: int = 0, delta_ns: int = 0, comments: tuple = ()
    ) -> None:
        self.facts = facts
        self.ns = facts.ns  # the frame's own time (facts may become a whole datagram's)
        self.tcp: TcpNote | None = None
        self.frame_bytes: bytes | None = None  # the frame to dissect instead (a whole datagram)
        self.fragment: str | None = None  # "Fragmented IP protocol (…)" while incomplete
        self.reply_to: int | None = None  # an echo reply: the request's frame
        self.protocols: tuple[str, ...] | None = None
        self.message: MessageNote | None = None  # an HTTP message over several segments
        self.relative_ns, self.delta_ns = relative_ns, delta_ns  # from the first, the previous
        self.comments = comments
        self.extra: dict[str, tuple] | None = None  # fields set as the state ran (rarer ones)
        self.fragments: tuple = ()  # (frame, offset, bytes) of each fragment it completes
        self._fields: dict[str, tuple] | None = None

    def __getstate__(self) -> dict:
        # packed away (`capture_notes`) without the facts, read again from the record when
        # unpacked: copied, not cleared in place, as another thread may be reading this frame
        return {name: getattr(self, name) for name in self.__slots__ if name != "facts"}

    def __setstate__(self, state: dict) -> None:
        self.facts = None
        for name, value in state.items():
            setattr(self, name, value)

    @property
    def relative(self) -> float:
        """`frame.time_relative`: seconds since the capture's first frame."""
        return self.relative_ns / 1e9

    @property
    def fields(self) -> dict[str, tuple]:
        """The fields only state can give, by Wireshark's filter names (see the module doc)."""
        out = self._fields
        if out is None:
            out = self._fields = {
                "frame.time_relative": (self.relative_ns / 1e9,),
                "frame.time_delta": (self.delta_ns / 1e9,),
                # exact to the nanosecond: a float holds ~16 digits, an epoch needs 19
                "frame.time_epoch": (Decimal(self.ns).scaleb(-9),),
            }
            if self.comments:
                out["frame.comment"] = tuple(self.comments)
            extra = self.extra
            if extra is not None:
                out.update(extra)
            if self.tcp is not None:
                _tcp_fields(out, self.tcp, self.facts)
        return out

    def note(self, name: str, value: tuple) -> None:
        """Set a field as the state runs (in `fields` once it is made)."""
        if self._fields is not None:
            self._fields[name] = value
        if self.extra is None:
            self.extra = {}
        self.extra[name] = value

    def row(self, protocol: str, info: str) -> tuple[str, str]:
        """The Protocol and Info columns once the frames before this one are taken into account."""
        if self.fragment is not None:
            return "IPv4" if self.facts.ip_version == 4 else "IPv6", self.fragment
        note = self.tcp
        message = self.message
        # a reassembled DNS message is its own row; HTTP says the message's Info as tshark words it
        if message is not None and (
            message.protocol == "HTTP" or not message.pdu or message.continuation
        ):
            if message.protocol == "HTTP":
                if message.continuation and note is not None:  # HTTP set Info after TCP's fence
                    return message.column, note.prefix + message.info
                return message.column, message.info
            if message.info is not None:
                return "TCP", note.prefix + message.info if note else message.info
            if note is not None:
                info = note.prefix + _relative(info, note, self.facts)
            return "TCP", info + message.suffix
        if note is not None and protocol == "TCP":
            info = _relative(info, note, self.facts)
            info = note.prefix + info
        if protocol in ("DNS", "MDNS", "LLMNR"):
            info = _dns_sections(info, dns_payload(self))
        if protocol == "ICMP":
            info = _ECHO_SEQ.sub(
                lambda m: f"seq={m.group(1)}/{_swap16(int(m.group(1)))}", info, count=1
            )
        if protocol in ("ICMP", "ICMPv6") and self.reply_to is not None:
            info += f" (request in {self.reply_to})"
        return protocol, info


def _reassembled(notes: FrameNotes, message: MessageNote) -> None:
    """tshark's fields on the segment that completes a message of several."""
    notes.note("tcp.segments", (True,))
    notes.note("tcp.segment", tuple(number for number, _size in message.segments))
    notes.note("tcp.segment.count", (len(message.segments),))
    notes.note("tcp.reassembled.length", (len(message.pdu),))


# Filter words that name state a pass keeps only when asked (CaptureState.for_pass): the query
# a DNS response answers and UDP's conversations span the whole capture (so a filter naming
# them keeps a large capture in one process, `halves`); [SEQ/ACK analysis]'s values cost a
# list of each TCP side's unacknowledged segments.
DNS_LINK_WORDS = ("dns.res", "dns.time", "dns.uns", "dns.retrans")
# tshark's dns.retransmission_timer: a query whose ID went unanswered for longer is a new one
RETRANSMISSION = 5_000_000_000  # ns
UDP_STREAM_WORDS = ("udp.stream", "udp.time")
TCP_VALUE_WORDS = (
    "tcp.analysis.acks",
    "tcp.analysis.ack_rtt",
    "tcp.analysis.initial",
    "tcp.analysis.bytes",
    "tcp.analysis.push",
    "tcp.analysis.rto",
)

# Where tshark reads DNS: port 53, and 5353 (over UDP as mDNS, over TCP as DNS); it pairs
# queries and responses on both, and reassembles messages over TCP on both.
DNS_PORTS = frozenset((53, 5353))


def dns_payload(notes: FrameNotes) -> bytes | None:
    """The DNS message a frame holds: a UDP payload, a TCP one after its length, or the message
    its segment completes; None for a segment of a longer one."""
    f, message = notes.facts, notes.message
    if f.proto != IP_TCP:
        return f.payload
    if message is not None:
        return message.pdu[2:] if message.pdu else None
    return f.payload[2:]


def _dns_sections(info: str, payload: bytes | None) -> str:
    """tshark's DNS Info goes on past the answers: the authority and additional records
    (`… A 192.168.77.80 OPT` for EDNS). Added when the row's own Info stops before them."""
    if payload is None or payload[8:12] == b"\0\0\0\0":  # nothing to add
        return info
    try:
        message = parse_message(bytes(payload))
    except Exception:  # noqa: BLE001 — a message the codec refuses keeps the row's Info
        return info
    words = [dns.rdata_text(r) for r in message.authority]
    words += ["OPT" if r.rtype == 41 else dns.rdata_text(r) for r in message.additional]
    suffix = " ".join(words)
    if not suffix or info.endswith(suffix):
        return info
    return f"{info} {suffix}"


def _swap16(value: int) -> int:
    return (value >> 8) | (value & 0xFF) << 8


def _relative(info: str, note: TcpNote, f: Facts) -> str:
    if "SLE=" not in info and "SRE=" not in info:  # no SACK blocks: plain replacements
        info = _SEQ_ONLY.sub(f"Seq={note.seq}", info)
        if note.ack is not None:
            info = _ACK_ONLY.sub(f"Ack={note.ack}", info)
        return _WIN.sub(f"Win={note.window}", info, count=1)
    seq_base = (f.seq - note.seq) & 0xFFFFFFFF
    ack_base = (f.ack - note.ack) & 0xFFFFFFFF if note.ack is not None else None

    def number(m: re.Match) -> str:
        name, value = m.group(1), int(m.group(2))
        if name == "Seq":
            return f"Seq={note.seq}"
        if name == "Ack":
            return f"Ack={note.ack}" if note.ack is not None else m.group(0)
        if ack_base is None:  # SACK blocks are the other side's sequence numbers
            return m.group(0)
        return f"{name}={(value - ack_base) & 0xFFFFFFFF}"

    del seq_base
    info = _SEQ.sub(number, info)
    return _WIN.sub(f"Win={note.window}", info, count=1)


_NOT_PASSED_UP = frozenset(("retransmission", "spurious_retransmission"))  # above TCP: nothing


def frame_for(record, notes: FrameNotes) -> Frame:
    """The record dissected by the model as tshark's single pass shows it: the frame that
    completes an IP datagram with the whole datagram in it; a retransmission, or a segment of
    a longer HTTP message, with nothing above TCP (tshark hands those bytes to no one yet);
    the segment that completes such a message with the message's head dissected above TCP."""
    rebuilt = notes.frame_bytes
    link_type = getattr(record, "link_type", 1)
    ns = getattr(record, "ns", None)
    frame = Frame(
        record.data,
        link_type,
        number=record.id,
        time=record.time,
        ns=ns,
        wire_length=getattr(record, "wire_length", None),
        comments=notes.comments,
        segment=getattr(record, "segment", "") or "",
    )
    if rebuilt:  # the frame and its IP header as captured, the layers above from the datagram
        whole = Frame(rebuilt, link_type, number=record.id, time=record.time, ns=ns)
        at = next((i for i, x in enumerate(whole.layers) if x.protocol.name in _IP), None)
        if at is not None:
            name = whole.layers[at].protocol.name
            whole.source = _REASSEMBLED_IP[name]
            frame.replace_above(name, whole.layers[at + 1 :])
    message = notes.message
    tcp = notes.tcp
    if tcp is not None and tcp.flags and _NOT_PASSED_UP.intersection(tcp.flags):
        frame.replace_above("tcp")
    elif message is not None and message.continuation:
        # bytes that start no HTTP message: HTTP's reading of them, or (held for a line end,
        # then not HTTP's) nothing above TCP
        if message.continuation == "plain":
            frame.replace_above("tcp")
        elif message.pdu:
            f = notes.facts
            key = ("tcp.port", (f.sport, f.dport))
            layers = Frame(message.pdu, bound=key, first=CONTINUATION).layers
            frame.replace_above("tcp", layers)
        else:
            frame.walk_above("tcp", CONTINUATION)
    elif message is not None and message.protocol == "TCP":
        frame.replace_above("tcp")
    elif message is not None and (message.pdu or message.head):
        # the whole message above TCP, or (one too long to keep whole) its head
        whole = message.pdu or (message.head if not frame.has("http") else b"")
        if whole:
            f = notes.facts
            frame.replace_above("tcp", Frame(whole, bound=("tcp.port", (f.sport, f.dport))).layers)
        above = message.chain[1:]
        if above and not frame.has(above[0]):  # else the model dissected the body itself
            notes.note("frame.protocols", (":".join([frame.protocols(), *above]),))
    return frame


_IP = ("ip", "ipv6")
_REASSEMBLED_IP = {"ip": "Reassembled IPv4", "ipv6": "Reassembled IPv6"}


class CaptureState:
    """`dns_links`: False leaves `dns.response_to`/`dns.time` out (a listing never shows them,
    and remembering every query of a million-frame capture costs tens of MB)."""

    def __init__(
        self, dns_links: bool = True, udp_streams: bool = True, tcp_values: bool = True
    ) -> None:
        self.dns_links = dns_links
        # `udp.stream` and its times: one entry per conversation, kept for the whole pass, so
        # only where something may show them (as `dns_links`)
        self.udp_streams: dict[tuple, list] | None = {} if udp_streams else None
        self.echo_misses: set[tuple] | None = None  # replies with no request, when asked
        self.tcp = TcpAnalysis(values=tcp_values)
        self.ip = IpReassembly()
        # (frame, note): the datagram a fragment completes, when `skim` fed `ip` that fragment
        self.reassembled: tuple[int, FragmentNote] | None = None
        self.first_ns: int | None = None
        self.previous_ns: int | None = None
        self._echo_requests: dict[tuple, tuple[int, int]] = {}
        # (client, ID) → [query frame, its time, the response's frame or None]
        self._dns_queries: dict[tuple, list] = {}
        self.http = HttpMessages()
        self.http_links = HttpLinks()
        self.dns_tcp = DnsOverTcp()

    @classmethod
    def for_pass(cls, text: str, shown: bool) -> CaptureState:
        """The state one pass needs: all of it when its tree or fields are shown (`shown`),
        else what its filter's `text` names (kept only where something may show it)."""

        def named(words: tuple[str, ...]) -> bool:
            return shown or any(word in text for word in words)

        return cls(
            dns_links=named(DNS_LINK_WORDS),
            udp_streams=named(UDP_STREAM_WORDS),
            tcp_values=named(TCP_VALUE_WORDS),
        )

    def step(self, record) -> FrameNotes:
        f = facts_of(record)
        ns = f.ns
        if self.first_ns is None:
            self.first_ns = self.previous_ns = ns
        notes = FrameNotes(
            f, ns - self.first_ns, ns - self.previous_ns, getattr(record, "comments", ()) or ()
        )
        self.previous_ns = ns
        if f.more_fragments or f.frag_offset:
            ready = self.reassembled
            if ready is not None and ready[0] == f.number:  # the skim added it already
                fragment, self.reassembled = ready[1], None
            else:
                fragment = self.ip.add(f)
            if fragment is not None:
                if fragment.datagram is None:
                    notes.fragment = _fragment_info(f)
                    return notes
                notes.frame_bytes = _rebuilt(record, f, fragment.datagram)
                notes.fragments = fragment.parts
                # tshark's reassembly fields, on the frame that completes the datagram:
                # ip.* for IPv4, ipv6.* for IPv6 (ip.fragments holds the datagram's bytes,
                # ipv6.fragments is a label)
                if f.ip_version == 6:
                    notes.note("ipv6.fragments", (True,))
                    notes.note("ipv6.fragment", fragment.frames)
                    notes.note("ipv6.fragment.count", (len(fragment.frames),))
                    notes.note("ipv6.reassembled.length", (len(fragment.datagram),))
                else:
                    notes.note("ip.fragments", (fragment.datagram,))
                    notes.note("ip.fragment", fragment.frames)
                    notes.note("ip.fragment.count", (len(fragment.frames),))
                    notes.note("ip.reassembled.length", (len(fragment.datagram),))
                whole = facts_of(_Bytes(record, notes.frame_bytes))
                whole.length = f.length  # statistics count the frame, not the datagram
                f = notes.facts = whole
        proto = f.proto
        if proto == IP_TCP:
            note = self.tcp.add(f)
            if note is not None:
                notes.tcp = note
                notes.message = self.http.add(f, note)
                if notes.message is None and f.flags & TCP_FIN:
                    notes.message = self.http.closing(f, note)
                if notes.message is None and (f.sport in DNS_PORTS or f.dport in DNS_PORTS):
                    notes.message = self.dns_tcp.add(f, note)
                message = notes.message
                if message is not None and message.segments:
                    _reassembled(notes, message)
                if message is not None and message.protocol == "HTTP" and message.head:
                    self.http_links.add(notes, note.stream, f.number, f.ns, message.head)
        elif proto == IP_UDP:
            if self.udp_streams is not None and f.sport is not None:
                self._udp(notes, f)
        elif (proto == IP_ICMP and f.icmp_type in (0, 8)) or (
            proto == IP_ICMPV6 and f.icmp_type in (128, 129)
        ):
            self._echo(notes, f)
        if (f.sport in DNS_PORTS or f.dport in DNS_PORTS) and self.dns_links:
            self._dns(notes, f)
        return notes

    def _udp(self, notes: FrameNotes, f: Facts) -> None:
        """`udp.stream` (conversations counted from 0 as they appear) and the times since the
        conversation's first frame and its frame before, as tshark's UDP tree shows them."""
        here, there = (f.src, f.sport), (f.dst, f.dport)
        key = (here, there) if here <= there else (there, here)
        streams = self.udp_streams
        stream = streams.get(key)
        if stream is None:
            stream = streams[key] = [len(streams), f.ns, f.ns]
        notes.note("udp.stream", (stream[0],))
        notes.note("udp.time_relative", (Decimal(f.ns - stream[1]).scaleb(-9),))
        notes.note("udp.time_delta", (Decimal(f.ns - stream[2]).scaleb(-9),))
        stream[2] = f.ns

    def _echo(self, notes: FrameNotes, f: Facts) -> None:
        if f.icmp_type in (8, 128):  # a request sent again replaces the one before it
            self._echo_requests[(f.proto, f.src, f.dst, f.icmp_ident, f.icmp_seq)] = (
                f.number,
                f.ns,
            )
            return
        key = (f.proto, f.dst, f.src, f.icmp_ident, f.icmp_seq)
        # as tshark's single pass: a request answers one reply; a copy of it links to none
        request = self._echo_requests.pop(key, None)
        if request is None and self.echo_misses is not None:
            self.echo_misses.add(key)
        if request is not None:
            v4 = f.proto == IP_ICMP
            notes.reply_to = request[0]
            notes.note("icmp.resp_to" if v4 else "icmpv6.resp_to", (request[0],))
            milliseconds = (f.ns - request[1]) / 1e6
            notes.note("icmp.resptime" if v4 else "icmpv6.resptime", (milliseconds,))

    def knows_echo(self, key: tuple) -> bool:
        """True if an echo request of this key (as a reply looks it up) was seen."""
        return key in self._echo_requests

    def _dns(self, notes: FrameNotes, f: Facts) -> None:
        payload = dns_payload(notes)
        if payload is None or len(payload) < 4:
            return
        ident, response = payload[0] << 8 | payload[1], bool(payload[2] & 0x80)
        client = (f.dst, f.dport) if response else (f.src, f.sport)
        key = (client, ident)
        # tshark 4.0's single pass: a query whose ID is still unanswered from under
        # RETRANSMISSION ago is a retransmission of that one; any other opens a transaction.
        # A response answers the latest transaction of its ID, or is a retransmission of the
        # response that already did.
        known = self._dns_queries.get(key)
        if not response:
            if known is not None and known[2] is None and f.ns - known[1] < RETRANSMISSION:
                notes.note("dns.retransmit_request_in", (known[0],))
                notes.note("dns.retransmission", (True,))
            else:
                self._dns_queries[key] = [f.number, f.ns, None]
            return
        if known is None:  # tshark's word for a response to no query it saw
            notes.note("dns.unsolicited", (True,))
        elif known[2] is None or known[2] == f.number:
            known[2] = f.number
            notes.note("dns.response_to", (known[0],))
            notes.note("dns.time", ((f.ns - known[1]) / 1e9,))
        else:
            notes.note("dns.retransmit_response_in", (known[2],))
            notes.note("dns.retransmission", (True,))


def _fragment_info(f: Facts) -> str:
    """Info of a fragment whose datagram is not whole yet, worded as tshark words it."""
    if f.ip_version == 6:
        more = "y" if f.more_fragments else "n"
        return (
            f"IPv6 fragment (off={f.frag_offset} more={more} ident=0x{f.ip_id:08x} nxt={f.proto})"
        )
    name = IP_PROTOCOL_NAMES.get(f.proto, "")
    proto = f"{name} {f.proto}" if name else str(f.proto)
    return f"Fragmented IP protocol (proto={proto}, off={f.frag_offset}, ID={f.ip_id:04x})"


class _Bytes:
    """A record with other bytes (the rebuilt datagram's frame), for `facts_of`."""

    def __init__(self, record, data: bytes) -> None:
        self.id, self.time, self.data = record.id, record.time, data
        self.ns = getattr(record, "ns", 0)
        self.link_type = getattr(record, "link_type", 1)
        self.wire_length = getattr(record, "wire_length", 0) or len(record.data)  # the frame's own


def _rebuilt(record, f: Facts, payload: bytes) -> bytes:
    """The completing fragment's frame with the whole datagram in it: link header and IP
    header as captured, the fragment fields cleared and the lengths made whole."""
    data = bytes(record.data)
    at = f.ip_header
    if f.ip_version == 4:
        header = bytearray(data[at : at + (data[at] & 0x0F) * 4])
        total = len(header) + len(payload)
        header[2:4] = min(total, 0xFFFF).to_bytes(2, "big")
        header[6:8] = (int.from_bytes(header[6:8], "big") & 0x4000).to_bytes(2, "big")
        return data[:at] + bytes(header) + payload
    # IPv6: the extension headers up to the fragment header kept (tshark shows them, and
    # ipv6.nxt 44), the fragment header saying offset 0 and no more: a whole datagram
    header = bytearray(data[at : at + 40])
    extensions = bytearray()
    nxt, pos = header[6], at + 40
    while nxt in (0, 43, 44, 60) and pos + 8 <= len(data):
        size = 8 if nxt == 44 else (data[pos + 1] + 1) * 8
        block = bytearray(data[pos : pos + size])
        if nxt == 44:
            block[2:4] = b"\0\0"
            extensions += block
            break
        extensions += block
        nxt, pos = data[pos], pos + size
    header[4:6] = min(len(extensions) + len(payload), 0xFFFF).to_bytes(2, "big")
    return data[:at] + bytes(header) + bytes(extensions) + payload


def _tcp_fields(out: dict, note: TcpNote, f: Facts) -> None:
    out["tcp.stream"] = (note.stream,)
    out["tcp.completeness"] = (note.completeness,)
    out["tcp.seq"] = (note.seq,)
    out["tcp.seq_raw"] = (f.seq,)
    out["tcp.nxtseq"] = (note.next_seq,)
    out["tcp.len"] = (note.length,)
    # Without the ACK flag tshark still shows the field, as the wire has it (0 on a first SYN).
    out["tcp.ack"] = (note.ack if note.ack is not None else f.ack,)
    out["tcp.ack_raw"] = (f.ack,)
    out["tcp.window_size"] = (note.window,)
    if f.sack:
        blocks = relative_sack(f, note)
        out["tcp.options.sack_le"] = tuple(left for left, _right in blocks)
        out["tcp.options.sack_re"] = tuple(right for _left, right in blocks)
        out["tcp.options.sack.count"] = (len(blocks),)
        if is_dsack(blocks, note.ack):
            out["tcp.options.sack.dsack_le"] = (blocks[0][0],)
            out["tcp.options.sack.dsack_re"] = (blocks[0][1],)
            out["tcp.options.sack.dsack"] = (True,)
    if not f.flags & TCP_SYN:  # a SYN's window is never scaled: tshark shows no factor there
        out["tcp.window_size_scalefactor"] = (note.scale,)
    if note.flags:
        out["tcp.analysis.flags"] = (True,)
        for name in note.flags:
            out[f"tcp.analysis.{name}"] = (True,)
        if "fast_retransmission" in note.flags or "spurious_retransmission" in note.flags:
            out["tcp.analysis.retransmission"] = (True,)
        if "duplicate_ack" in note.flags:
            out["tcp.analysis.duplicate_ack_num"] = (note.dup_ack_count,)
            out["tcp.analysis.duplicate_ack_frame"] = (note.dup_ack_of,)
        if note.rto_ns:
            out["tcp.analysis.rto"] = (Decimal(note.rto_ns).scaleb(-9),)
            out["tcp.analysis.rto_frame"] = (note.rto_frame,)
    out["tcp.time_relative"] = (Decimal(note.since_first_ns).scaleb(-9),)
    out["tcp.time_delta"] = (Decimal(note.since_prev_ns).scaleb(-9),)
    if note.analysed:  # tshark's [SEQ/ACK analysis], in its order
        if note.acks_frame:
            out["tcp.analysis.acks_frame"] = (note.acks_frame,)
            if note.ack_rtt_ns:
                out["tcp.analysis.ack_rtt"] = (Decimal(note.ack_rtt_ns).scaleb(-9),)
        if note.irtt_ns:
            out["tcp.analysis.initial_rtt"] = (Decimal(note.irtt_ns).scaleb(-9),)
        if note.in_flight:  # tshark shows the bytes since PSH only beside the bytes in flight
            out["tcp.analysis.bytes_in_flight"] = (note.in_flight,)
            out["tcp.analysis.push_bytes_sent"] = (note.push_bytes,)


# [SEQ/ACK analysis]'s values (not flags: a number each), in tshark's order
ANALYSIS_VALUES = (
    "tcp.analysis.acks_frame",
    "tcp.analysis.bytes_in_flight",
    "tcp.analysis.push_bytes_sent",
)
ANALYSIS_TIMES = ("tcp.analysis.ack_rtt", "tcp.analysis.initial_rtt")

# The fields above by filter name and value type (as workbench.dissect.fields declares types),
# so the display filter and -T fields know them. tcp.analysis.* flags are present or absent.
FIELD_TYPES = {
    "frame.time_relative": "float",
    "frame.time_delta": "float",
    "frame.time_epoch": "float",
    "tcp.stream": "int",
    "tcp.completeness": "int",
    "tcp.seq": "int",
    "tcp.seq_raw": "int",
    "tcp.ack": "int",
    "tcp.ack_raw": "int",
    "tcp.nxtseq": "int",
    "tcp.len": "int",
    "tcp.window_size": "int",
    "tcp.window_size_scalefactor": "int",
    "tcp.options.sack_le": "int",
    "tcp.options.sack_re": "int",
    "tcp.options.sack.count": "int",
    "tcp.options.sack.dsack_le": "int",
    "tcp.options.sack.dsack_re": "int",
    "tcp.options.sack.dsack": "bool",
    "icmp.resp_to": "int",
    "icmpv6.resp_to": "int",
    "icmp.resptime": "float",  # milliseconds
    "icmpv6.resptime": "float",
    "icmp.resp_in": "int",  # tshark sets it (and no_resp) on a second pass (-2) only: never here
    "icmpv6.resp_in": "int",
    "icmp.no_resp": "bool",
    "icmpv6.no_resp": "bool",
    "dns.response_to": "int",
    "dns.time": "float",
    "dns.unsolicited": "bool",
    "dns.retransmit_request_in": "int",
    "dns.retransmit_response_in": "int",
    "dns.retransmission": "bool",
    "ip.fragment": "int",
    "frame.comment": "str",
    "ip.fragment.count": "int",
    "ip.fragments": "bytes",
    "ip.reassembled.length": "int",
    "ip.reassembled_in": "int",  # tshark sets it on a second pass (-2) only: never here
    "ipv6.fragment": "int",
    "ipv6.fragments": "bool",
    "ipv6.fragment.count": "int",
    "ipv6.reassembled.length": "int",
    "ipv6.reassembled.in": "int",  # as ip.reassembled_in
    "tcp.segments": "bool",
    "tcp.segment": "int",
    "tcp.segment.count": "int",
    "tcp.reassembled.length": "int",
    "tcp.analysis.flags": "bool",
    "http.request.full_uri": "str",
    "http.request_number": "int",
    "http.response_number": "int",
    "http.time": "float",
    "http.prev_request_in": "int",
    "http.prev_response_in": "int",
    "http.request_in": "int",
    "http.response_for.uri": "str",
    "tcp.analysis.duplicate_ack_num": "int",
    "tcp.analysis.duplicate_ack_frame": "int",
    "tcp.analysis.rto": "float",
    "tcp.analysis.rto_frame": "int",
    "tcp.time_relative": "float",
    "tcp.time_delta": "float",
    "udp.stream": "int",
    "udp.time_relative": "float",
    "udp.time_delta": "float",
    **dict.fromkeys(ANALYSIS_VALUES, "int"),
    **dict.fromkeys(ANALYSIS_TIMES, "float"),
    **{
        f"tcp.analysis.{name}": "bool"
        for name in PREFIXES  # every analysis flag
    },
}
