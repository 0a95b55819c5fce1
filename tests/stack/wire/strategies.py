"""Hypothesis strategies shared by the wire codec tests, and the bridges to scapy's notation.

Two kinds of strategy per protocol: *values* (what `parse` may return, built with the dataclass
constructor so that `parse(build(x)) == x` is a real test) and *wire bytes* (packed here with
`struct`, not with our codecs, so that `build(parse(b)) == b` does not test a codec against
itself).
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

from hypothesis import settings
from hypothesis import strategies as st

from stack.wire.arp import ARP
from stack.wire.ethernet import Ethernet
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import IPv4
from stack.wire.mac import MAC
from stack.wire.tcp import (
    OPT_EOL,
    OPT_MSS,
    OPT_NOP,
    OPT_SACK,
    OPT_SACK_OK,
    OPT_TIMESTAMP,
    OPT_WSCALE,
    TCP,
    TcpOption,
)
from stack.wire.udp import UDP

# Enough examples to find the corner cases, few enough that the whole wire suite stays quick.
SETTINGS = settings(max_examples=200, deadline=None)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)

macs = st.binary(min_size=6, max_size=6).map(MAC)
addresses = u32.map(IPv4Address)
payloads = st.binary(max_size=300)


# Ethernet ----------------------------------------------------------------------------------

ethernet_values = st.builds(Ethernet, macs, macs, u16, st.binary(max_size=1500))
# A frame as a TAP device or a capture hands it over: any 14..1,514 bytes.
ethernet_wire = st.binary(min_size=14, max_size=1514)


# ARP ---------------------------------------------------------------------------------------

arp_values = st.builds(ARP, u16, macs, addresses, macs, addresses)


@st.composite
def arp_wire(draw) -> bytes:
    """28 bytes of Ethernet/IPv4 ARP with any operation and addresses."""
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, draw(u16)) + draw(
        st.binary(min_size=20, max_size=20)
    )


# IPv4 --------------------------------------------------------------------------------------

IP_NOP, IP_EOL = b"\x01", b"\x00"


@st.composite
def ip_options(draw) -> bytes:
    """Well-formed IPv4 options (what scapy can dissect and give back), padded to 32 bits."""
    parts = []
    for kind in draw(
        st.lists(st.sampled_from(["nop", "router_alert", "rr", "lsrr", "ssrr"]), max_size=4)
    ):
        if kind == "nop":
            parts.append(IP_NOP)
        elif kind == "router_alert":  # RFC 2113
            parts.append(b"\x94\x04" + struct.pack("!H", draw(u16)))
        else:  # record route, loose and strict source route: type, length, pointer, addresses
            code = {"rr": 7, "lsrr": 131, "ssrr": 137}[kind]
            hops = draw(st.lists(u32, min_size=1, max_size=3))
            pointer = 4 + 4 * draw(st.integers(0, len(hops)))
            parts.append(
                bytes([code, 3 + 4 * len(hops), pointer])
                + b"".join(struct.pack("!I", h) for h in hops)
            )
    raw = b"".join(parts)
    if len(raw) % 4:
        raw += IP_EOL * (4 - len(raw) % 4)
    if len(raw) > 40:
        raw = b""
    return raw


any_ip_options = st.binary(max_size=40)  # cut to whole words below; parse does not read them


@st.composite
def ipv4_values(draw, payload=payloads, options=any_ip_options) -> IPv4:
    """Any IPv4 value `parse` may give: consistent ihl and total length, other fields free."""
    opts = draw(options)
    opts = opts[: len(opts) - len(opts) % 4]
    data = draw(payload)
    hlen = 20 + len(opts)
    return IPv4(
        src=draw(addresses),
        dst=draw(addresses),
        proto=draw(u8),
        payload=data,
        ttl=draw(u8),
        ident=draw(u16),
        flags=draw(st.integers(0, 7)),
        frag=draw(st.integers(0, 0x1FFF)),
        tos=draw(u8),
        options=opts,
        total_length=hlen + len(data),
        checksum=draw(u16),
        ihl=hlen // 4,
        version=4,
    )


@st.composite
def ipv4_wire(draw) -> bytes:
    """An IPv4 packet as bytes: free header fields, options, and exactly total_length bytes."""
    opts = draw(any_ip_options)
    opts = opts[: len(opts) - len(opts) % 4]
    data = draw(payloads)
    hlen = 20 + len(opts)
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | hlen // 4,
        draw(u8),
        hlen + len(data),
        draw(u16),
        draw(u16),
        draw(u8),
        draw(u8),
        draw(u16),
        draw(st.binary(min_size=4, max_size=4)),
        draw(st.binary(min_size=4, max_size=4)),
    )
    return header + opts + data


# ICMP --------------------------------------------------------------------------------------

icmp_values = st.builds(ICMP, u8, u8, u32, payloads, u16)
icmp_wire = st.binary(min_size=8, max_size=300)


# UDP ---------------------------------------------------------------------------------------


@st.composite
def udp_values(draw) -> UDP:
    data = draw(payloads)
    return UDP(draw(u16), draw(u16), data, 8 + len(data), draw(u16))


@st.composite
def udp_wire(draw) -> bytes:
    data = draw(payloads)
    return struct.pack("!HHHH", draw(u16), draw(u16), 8 + len(data), draw(u16)) + data


# TCP ---------------------------------------------------------------------------------------

# Kinds scapy has no name for, so that it writes and reads them as (kind, bytes) like we do.
SCAPY_NAMED_TCP_KINDS = {0, 1, 2, 3, 4, 5, 8, 14, 15, 19, 25, 28, 29, 34}
unknown_kinds = st.integers(6, 255).filter(lambda k: k not in SCAPY_NAMED_TCP_KINDS)

tcp_option = st.one_of(
    st.just(TcpOption.nop()),
    u16.map(TcpOption.mss),
    st.integers(0, 14).map(TcpOption.wscale),
    st.just(TcpOption.sack_permitted()),
    st.lists(st.tuples(u32, u32), min_size=1, max_size=4).map(TcpOption.sack),
    st.builds(TcpOption.timestamp, u32, u32),
    st.builds(TcpOption, unknown_kinds, st.binary(max_size=10)),
)


@st.composite
def tcp_options(draw) -> tuple[TcpOption, ...]:
    """Options that fit in 40 bytes, unpadded (make() pads them)."""
    options, size = [], 0
    for option in draw(st.lists(tcp_option, max_size=8)):
        width = len(option.build())
        if size + width + 3 > 40:  # leave room for padding to a 32-bit boundary
            break
        options.append(option)
        size += width
    return tuple(options)


@st.composite
def tcp_padded_options(draw) -> tuple[TcpOption, ...]:
    """Options as `parse` returns them: a whole number of words, any padding inside one EOL."""
    options = draw(tcp_options())
    size = sum(len(o.build()) for o in options)
    if size % 4 or draw(st.booleans()) and size < 40:
        pad = (4 - size % 4) or 4
        # After End of Option List anything may follow; the EOL keeps it so parse and build invert.
        options += (TcpOption(OPT_EOL, draw(st.binary(min_size=pad - 1, max_size=pad - 1))),)
    return options


@st.composite
def tcp_values(draw) -> TCP:
    options = draw(tcp_padded_options())
    offset = 5 + sum(len(o.build()) for o in options) // 4
    return TCP(
        sport=draw(u16),
        dport=draw(u16),
        seq=draw(u32),
        ack=draw(u32),
        flags=draw(st.integers(0, 0x1FF)),
        window=draw(u16),
        payload=draw(payloads),
        options=options,
        urgent=draw(u16),
        checksum=draw(u16),
        data_offset=offset,
        reserved=draw(st.integers(0, 7)),
    )


@st.composite
def tcp_wire(draw) -> bytes:
    """A TCP segment as bytes: header packed here, options from well-formed encodings."""
    raw = b"".join(o.build() for o in draw(tcp_options()))
    if len(raw) % 4:
        raw += bytes(4 - len(raw) % 4)
    header = struct.pack(
        "!HHIIHHHH",
        draw(u16),
        draw(u16),
        draw(u32),
        draw(u32),
        (5 + len(raw) // 4) << 12 | draw(st.integers(0, 0xFFF)),
        draw(u16),
        draw(u16),
        draw(u16),
    )
    return header + raw + draw(payloads)


# Bridges to scapy's notation -----------------------------------------------------------------


def scapy_tcp_options(options: tuple[TcpOption, ...]) -> list[tuple]:
    """Our options in the (name, value) form scapy's TCP layer takes and gives back."""
    named = []
    for option in options:
        kind, data = option.kind, option.data
        if kind == OPT_EOL:
            named.append(("EOL", None))
            break  # scapy stops reading at End of Option List
        if kind == OPT_NOP:
            named.append(("NOP", None))
        elif kind == OPT_MSS:
            named.append(("MSS", struct.unpack("!H", data)[0]))
        elif kind == OPT_WSCALE:
            named.append(("WScale", data[0]))
        elif kind == OPT_SACK_OK:
            named.append(("SAckOK", b""))
        elif kind == OPT_SACK:
            named.append(("SAck", struct.unpack(f"!{len(data) // 4}I", data)))
        elif kind == OPT_TIMESTAMP:
            named.append(("Timestamp", struct.unpack("!II", data)))
        else:
            named.append((kind, data))
    return named
