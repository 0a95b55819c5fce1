"""The few header facts that state across frames needs, read from every frame of a capture.

TCP conversations, IP reassembly, request/response links, the statistics (`-z conv`,
`endpoints`, `io,phs`) and Follow TCP stream all need the same handful of values from every
frame — addresses, ports, sequence numbers, flags, window, payload — and a million-frame
capture cannot afford a full dissection per frame for them. `facts_of` reads just those with
`struct`, leniently as Wireshark does (frames over 1,514 bytes from TSO/GRO, a total length
of 0, truncated frames are read as far as their bytes go), over Ethernet, Linux cooked
captures (SLL, SLL2) and 802.1Q tags. It never raises: whatever it cannot read stays None.
What each protocol *shows* is the protocol model's job; this is only the state's input.
"""

from __future__ import annotations

import struct
from ipaddress import IPv6Address

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN = 0x0800, 0x86DD, 0x0806, 0x8100
IP_ICMP, IP_TCP, IP_UDP, IP_ICMPV6 = 1, 6, 17, 58
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_IPV6_EXTENSIONS = {0, 43, 60}  # hop-by-hop, routing, destination options (44 is a fragment)

_U16 = struct.Struct("!H")
_TCP = struct.Struct("!HHIIBBHHH")
_UDP = struct.Struct("!HHHH")
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_ICMP_ECHO = struct.Struct("!HH")


class Facts:
    """What one frame says about addresses, ports and TCP state; None where it has none."""

    __slots__ = (
        "number",
        "ns",
        "length",
        "eth_src",
        "eth_dst",
        "ethertype",
        "ip_version",
        "src",
        "dst",
        "proto",
        "ip_id",
        "more_fragments",
        "frag_offset",
        "ip_payload",
        "ip_header",
        "ttl",
        "sport",
        "dport",
        "seq",
        "ack",
        "flags",
        "window",
        "wscale",
        "mss",
        "sack",
        "payload",
        "payload_at",
        "icmp_type",
        "icmp_code",
        "icmp_ident",
        "icmp_seq",
        "protocols",
    )

    def __init__(self, number: int, ns: int, length: int) -> None:
        self.number, self.ns, self.length = number, ns, length
        self.eth_src = self.eth_dst = None  # bytes
        self.ethertype = None
        self.ip_version = 0
        self.src = self.dst = None  # address text
        self.proto = None
        self.ip_id = None
        self.more_fragments = False
        self.frag_offset = 0  # bytes
        self.ip_payload = b""
        self.ip_header = 0  # where the IP header starts in the frame
        self.ttl = None
        self.sport = self.dport = None
        self.seq = self.ack = self.flags = self.window = None
        self.wscale = None  # the window scale option's shift (SYN only)
        self.mss = None
        self.sack = ()  # SACK blocks (left, right edge) of a segment that carries them
        self.payload = b""  # TCP or UDP payload as captured
        self.payload_at = 0  # where the payload starts in the frame
        self.icmp_type = self.icmp_code = self.icmp_ident = self.icmp_seq = None
        self.protocols: tuple[str, ...] = ()  # eth, ip, tcp … as far as read

    @property
    def fragmented(self) -> bool:
        return self.more_fragments or self.frag_offset > 0

    def __repr__(self) -> str:  # for test failures
        return f"Facts(#{self.number} {self.src}:{self.sport} → {self.dst}:{self.dport} proto={self.proto})"


def facts_of(record) -> Facts:
    """The facts of a `CapturedFrame` or `FrameRecord` (Ethernet unless it says `link_type`)."""
    data = record.data
    ns = getattr(record, "ns", None)
    if ns is None or (ns == 0 and record.time):
        ns = round(record.time * 1e9)
    facts = Facts(record.id, ns, max(getattr(record, "wire_length", 0), len(data)))
    try:
        _read(facts, data, getattr(record, "link_type", 1))
    except (struct.error, IndexError, ValueError):
        pass  # lenient: a short or odd frame keeps what was read before the bytes ran out
    return facts


def _read(f: Facts, data: bytes, link_type: int) -> None:
    if link_type == 113:
        link = ("sll",)
        halen = _U16.unpack_from(data, 4)[0]
        if halen == 6:
            f.eth_src = data[6:12]
        ethertype, at = _U16.unpack_from(data, 14)[0], 16
    elif link_type == 276:
        link = ("sll",)
        if data[11] == 6:
            f.eth_src = data[12:18]
        ethertype, at = _U16.unpack_from(data, 0)[0], 20
    else:
        link = ("eth",)
        f.eth_dst, f.eth_src = data[0:6], data[6:12]
        ethertype, at = data[12] << 8 | data[13], 14
    while ethertype == ETH_VLAN and len(data) >= at + 4:
        link += ("vlan",)
        ethertype, at = _U16.unpack_from(data, at + 2)[0], at + 4
    f.ethertype = ethertype
    f.protocols = link
    if ethertype == ETH_IPV4:
        at, end = _ipv4(f, data, at)
        f.protocols = link = link + ("ip",)  # only once its header read
    elif ethertype == ETH_IPV6:
        at, end = _ipv6(f, data, at)
        f.protocols = link = link + ("ipv6",)
    else:
        if ethertype == ETH_ARP:
            f.protocols = link + ("arp",)
        return
    if f.frag_offset:
        return  # a later fragment: its transport header is in the first one
    proto = f.proto
    if proto == IP_TCP:
        f.protocols = link + ("tcp",)
        _tcp(f, data, at, end)
    elif proto == IP_UDP:
        f.protocols = link + ("udp",)
        sport, dport, _length, _csum = _UDP.unpack_from(data, at)
        f.sport, f.dport = sport, dport
        f.payload_at = at + 8
        f.payload = data[at + 8 : end]
    elif proto in (IP_ICMP, IP_ICMPV6):
        f.protocols = link + ("icmp" if proto == IP_ICMP else "icmpv6",)
        f.icmp_type, f.icmp_code = data[at], data[at + 1]
        f.icmp_ident, f.icmp_seq = _ICMP_ECHO.unpack_from(data, at + 4)


def _ipv4(f: Facts, data: bytes, at: int) -> tuple[int, int]:
    vhl, _tos, total, ident, frag, ttl, proto, _csum, src, dst = _IPV4.unpack_from(data, at)
    f.ip_version = 4
    f.ip_header = at
    f.src, f.dst = _v4(src), _v4(dst)
    f.proto, f.ip_id, f.ttl = proto, ident, ttl
    f.more_fragments = bool(frag & 0x2000)
    f.frag_offset = (frag & 0x1FFF) * 8
    header = (vhl & 0x0F) * 4
    # A total length of 0 is a TSO frame as the sender's capture saw it: the frame says how long.
    end = at + total if total else len(data)
    end = min(end, len(data))
    f.ip_payload = data[at + header : end]
    return at + header, end


def _v4(raw: bytes) -> str:
    text = _V4_TEXT.get(raw)
    if text is None:
        if len(_V4_TEXT) > 65536:  # a capture of many hosts: keep the memo bounded
            _V4_TEXT.clear()
        text = _V4_TEXT[raw] = f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"
    return text


_V4_TEXT: dict[bytes, str] = {}  # an address's 4 bytes → its text: a capture repeats a few


def _v6(raw: bytes) -> str:
    text = _V4_TEXT.get(raw)  # 16 bytes never meet a 4-byte key
    if text is None:
        if len(raw) != 16:
            raise ValueError("an IPv6 address cut short")  # as IPv6Address refuses it
        if len(_V4_TEXT) > 65536:
            _V4_TEXT.clear()
        text = _V4_TEXT[raw] = str(IPv6Address(raw))
    return text


def _ipv6(f: Facts, data: bytes, at: int) -> tuple[int, int]:
    f.ip_version = 6
    f.ip_header = at
    length = _U16.unpack_from(data, at + 4)[0]
    nxt, f.ttl = data[at + 6], data[at + 7]
    f.src = _v6(data[at + 8 : at + 24])
    f.dst = _v6(data[at + 24 : at + 40])
    end = min(at + 40 + length, len(data)) if length else len(data)
    at += 40
    while nxt in _IPV6_EXTENSIONS or nxt == 44:
        if nxt == 44:  # fragment header: offset in 8-byte units, M flag
            word = _U16.unpack_from(data, at + 2)[0]
            f.frag_offset, f.more_fragments = (word >> 3) * 8, bool(word & 1)
            f.ip_id = struct.unpack_from("!I", data, at + 4)[0]
            nxt, at = data[at], at + 8
        else:
            nxt, at = data[at], at + (data[at + 1] + 1) * 8
    f.proto = nxt
    f.ip_payload = data[at:end]
    return at, end


def _tcp(f: Facts, data: bytes, at: int, end: int) -> None:
    sport, dport, seq, ack, offset, flags, window, _csum, _urg = _TCP.unpack_from(data, at)
    f.sport, f.dport, f.seq, f.ack, f.window = sport, dport, seq, ack, window
    f.flags = flags | (offset & 0x01) << 8  # the NS bit, as tcp.flags shows it
    header = (offset >> 4) * 4
    if flags & TCP_SYN:
        _syn_options(f, data[at + 20 : at + header])
    elif header > 20:
        options = data[at + 20 : at + header]
        if 5 in options:  # a byte that may be SACK's kind (a timestamp's bytes may hold it too)
            f.sack = _sack_blocks(options)
    f.payload_at = at + header
    f.payload = data[at + header : end]


def _options(options: bytes):
    """Each whole option of a TCP header's option bytes: (kind, where it starts, its size);
    the walk stops at the end-of-list option or at a length that cannot be."""
    i, n = 0, len(options)
    while i < n:
        kind = options[i]
        if kind == 0:
            return
        if kind == 1:
            i += 1
            continue
        if i + 1 >= n or options[i + 1] < 2:
            return
        size = options[i + 1]
        if i + size > n:  # cut short: nothing of it is read
            return
        yield kind, i, size
        i += size


def _sack_blocks(options: bytes) -> tuple:
    """The SACK option's blocks (RFC 2018 §3) as (left, right) edges, () if there is none."""
    for kind, i, size in _options(options):
        if kind == 5 and size >= 10:
            edges = struct.unpack_from(f"!{(size - 2) // 4}I", options, i + 2)
            return tuple(zip(edges[::2], edges[1::2], strict=False))
    return ()


def _syn_options(f: Facts, options: bytes) -> None:
    for kind, i, size in _options(options):
        if kind == 2 and size == 4:
            f.mss = _U16.unpack_from(options, i + 2)[0]
        elif kind == 3 and size == 3:
            f.wscale = min(options[i + 2], 14)
