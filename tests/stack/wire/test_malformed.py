"""Bad bytes: every parser raises only WireError, naming the layer, the field and the offset.

And the other half of the contract: once `parse` has accepted bytes, nothing downstream
(build, the properties, the checksum checks) can raise on them.
"""

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stack.wire.arp import ARP
from stack.wire.errors import WireError
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, Ethernet, strip_fcs, with_fcs
from stack.wire.icmp import ICMP, PORT_UNREACHABLE
from stack.wire.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, IPv4
from stack.wire.mac import BROADCAST, MAC
from stack.wire.tcp import ACK, SYN, TCP, TcpOption, parse_options
from stack.wire.udp import UDP

from .strategies import SETTINGS

PC_MAC, GW_MAC = MAC("02:00:00:00:00:64"), MAC("02:00:00:00:00:01")
PC, GW, DNS = IPv4Address("192.168.1.100"), IPv4Address("192.168.1.1"), IPv4Address("8.8.8.8")


def _frame(ethertype: int, payload: bytes) -> bytes:
    return Ethernet.make(GW_MAC, PC_MAC, ethertype, payload).build()


def _ip_frame(proto: int, payload: bytes, options: bytes = b"") -> bytes:
    return _frame(
        ETH_IPV4, IPv4.make(PC, DNS, proto, payload, ident=1, df=True, options=options).build()
    )


_udp = UDP.make(
    PC,
    DNS,
    50000,
    53,
    b"\x12\x34\x01\x00\x00\x01" + bytes(6) + b"\x03www\x06google\x03com\x00\x00\x01\x00\x01",
)
_syn = TCP.make(
    PC,
    DNS,
    49152,
    80,
    seq=1,
    flags=SYN,
    window=64240,
    options=(
        TcpOption.mss(1460),
        TcpOption.sack_permitted(),
        TcpOption.timestamp(7, 0),
        TcpOption.nop(),
        TcpOption.wscale(7),
    ),
)
VALID_FRAMES = {
    "arp request": _frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build()),
    "icmp echo": _ip_frame(PROTO_ICMP, ICMP.echo_request(1, 1, bytes(range(56))).build()),
    "icmp error": _ip_frame(
        PROTO_ICMP,
        ICMP.unreachable(
            PORT_UNREACHABLE, IPv4.make(PC, DNS, PROTO_UDP, _udp.build()).build()
        ).build(),
    ),
    "udp dns query": _ip_frame(PROTO_UDP, _udp.build(), options=b"\x94\x04\x00\x00"),
    "tcp syn": _ip_frame(PROTO_TCP, _syn.build()),
    "tcp data": _ip_frame(
        PROTO_TCP,
        TCP.make(
            PC,
            DNS,
            49152,
            80,
            flags=ACK,
            options=(TcpOption.nop(), TcpOption.nop(), TcpOption.timestamp(9, 7)),
            payload=b"x" * 300,
        ).build(),
    ),
}


def _use(value) -> None:
    """Everything downstream code may ask of a parsed value; none of it may raise."""
    value.build()
    repr(value)
    hash(value)
    if isinstance(value, Ethernet):
        _ = value.dst.is_multicast, value.src.is_local, str(value.dst)
    elif isinstance(value, ARP):
        _ = value.is_gratuitous
    elif isinstance(value, IPv4):
        _ = (
            value.checksum_ok(),
            value.df,
            value.mf,
            value.offset_bytes,
            value.header_length,
            value.is_fragment,
        )
        value.with_ttl(max(value.ttl - 1, 0)).build()
    elif isinstance(value, ICMP):
        _ = value.checksum_ok(), value.describe(), value.ident, value.seq, value.mtu, value.is_error
    elif isinstance(value, UDP):
        _ = value.checksum_ok(PC, DNS)
    elif isinstance(value, TCP):
        _ = value.checksum_ok(PC, DNS), value.flag_text()
        _ = value.mss, value.wscale, value.sack_permitted, value.sack_blocks, value.timestamps


def _walk(frame: bytes) -> None:
    """Decode a frame layer by layer as far as it goes; only WireError may stop it."""
    try:
        ethernet = Ethernet.parse(frame)
        _use(ethernet)
        if ethernet.ethertype == ETH_ARP:
            _use(ARP.parse(ethernet.payload))
        elif ethernet.ethertype == ETH_IPV4:
            ip = IPv4.parse(ethernet.payload)
            _use(ip)
            transport = {PROTO_ICMP: ICMP, PROTO_UDP: UDP, PROTO_TCP: TCP}.get(ip.proto)
            if transport is not None:
                _use(transport.parse(ip.payload))
    except WireError as error:
        _check(error)


def _check(error: WireError) -> None:
    assert error.layer in {"ethernet", "arp", "ipv4", "icmp", "udp", "tcp"}
    assert error.field and isinstance(error.offset, int) and error.offset >= 0
    assert f"{error.layer}: {error.field} at byte {error.offset}: " in str(error)


PARSERS = [
    Ethernet.parse,
    ARP.parse,
    IPv4.parse,
    ICMP.parse,
    UDP.parse,
    TCP.parse,
    parse_options,
    strip_fcs,
]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__qualname__)
@SETTINGS
@given(data=st.binary(max_size=120))
def test_random_bytes_raise_only_wire_error(parse, data):
    try:
        value = parse(data)
    except WireError as error:
        _check(error)
    else:
        if type(value) not in (bytes, tuple):  # the values are tuples too: use them
            _use(value)


_RIGHT_SIZES = {2: 4, 3: 3, 4: 2, 5: 10, 8: 10, 30: 6, 254: 4}


@st.composite
def option_soup(draw) -> bytes:
    """TCP option bytes that are nearly right: known kinds, mostly with their own length."""
    raw = b""
    for kind in draw(st.lists(st.sampled_from([0, 1, *_RIGHT_SIZES]), max_size=6)):
        if kind <= 1:
            raw += bytes([kind])
            continue
        size = draw(st.one_of(st.just(_RIGHT_SIZES[kind]), st.integers(0, _RIGHT_SIZES[kind] + 2)))
        raw += bytes([kind, size]) + draw(
            st.binary(min_size=max(size - 2, 0), max_size=max(size - 2, 0))
        )
    return raw[:40]


@SETTINGS
@given(option_soup(), st.binary(max_size=8))
def test_nearly_right_tcp_options_raise_only_wire_error(options, data):
    options += bytes(-len(options) % 4)
    header = bytes.fromhex("c00000500000000100000000") + bytes([(5 + len(options) // 4) << 4, 0x02])
    try:
        segment = TCP.parse(header + bytes(6) + options + data)
    except WireError as error:
        _check(error)
    else:
        _use(segment)


@pytest.mark.parametrize("kind", [2, 3, 4, 5, 8])
def test_known_options_of_any_length_are_refused_or_readable(kind):
    for size in range(0, 39):
        options = bytes([kind, size]) + bytes(range(max(size - 2, 0)))
        options += bytes(-len(options) % 4)
        header = (
            bytes.fromhex("c00000500000000100000000")
            + bytes([(5 + len(options) // 4) << 4, 0x02])
            + bytes(6)
        )
        try:
            segment = TCP.parse(header + options)
        except WireError as error:
            _check(error)
        else:
            _use(segment)


@pytest.mark.parametrize("name", VALID_FRAMES)
def test_every_truncation_raises_only_wire_error(name):
    frame = VALID_FRAMES[name]
    _walk(frame)  # whole: decodes
    for end in range(len(frame)):
        _walk(frame[:end])
        for parse in PARSERS:  # and each prefix fed straight to every parser, whatever layer it is
            try:
                parse(frame[14:end])
            except WireError as error:
                _check(error)


@SETTINGS
@given(st.sampled_from(sorted(VALID_FRAMES)), st.data())
def test_mutated_frames_raise_only_wire_error(name, data):
    frame = bytearray(VALID_FRAMES[name])
    for _ in range(data.draw(st.integers(1, 4))):
        frame[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(14, len(frame)))
    _walk(bytes(frame[:cut]))


@SETTINGS
@given(st.sampled_from(sorted(VALID_FRAMES)), st.data())
def test_mutated_frames_with_fcs_are_caught_by_the_fcs(name, data):
    wire = bytearray(with_fcs(VALID_FRAMES[name]))
    at = data.draw(st.integers(0, len(wire) - 1))
    wire[at] ^= data.draw(st.integers(1, 255))
    with pytest.raises(WireError) as caught:
        strip_fcs(bytes(wire))
    assert (caught.value.layer, caught.value.field) == ("ethernet", "fcs")


# Hand-made cases: the error says where --------------------------------------------------------

_IP = bytes.fromhex("45000020 00010000 40110000 c0a80164 08080808") + bytes(
    12
)  # 32 bytes, total 32
_TCP = bytes.fromhex("c0000050 00000001 00000000 50020000 00000000")


def _with(raw: bytes, at: int, value: bytes) -> bytes:
    return raw[:at] + value + raw[at + len(value) :]


@pytest.mark.parametrize(
    ("parse", "data", "where"),
    [
        (Ethernet.parse, bytes(13), ("ethernet", "header", 13)),
        (Ethernet.parse, bytes(14 + 1501), ("ethernet", "payload", 14)),
        (ARP.parse, bytes(5), ("arp", "header", 5)),
        (ARP.parse, ARP.request(PC_MAC, PC, GW).build()[:27], ("arp", "addresses", 27)),
        (IPv4.parse, _IP[:19], ("ipv4", "header", 19)),
        (IPv4.parse, _with(_IP, 0, b"\x65"), ("ipv4", "version", 0)),
        (IPv4.parse, _with(_IP, 0, b"\x44"), ("ipv4", "ihl", 0)),
        (IPv4.parse, _with(_IP, 0, b"\x4f"), ("ipv4", "options", 20)),
        (
            IPv4.parse,
            _with(_IP, 2, b"\x00\x21"),
            ("ipv4", "total_length", 2),
        ),  # one byte past the end
        (
            IPv4.parse,
            _with(_IP, 2, b"\x00\x13"),
            ("ipv4", "total_length", 2),
        ),  # shorter than the header
        (ICMP.parse, bytes(7), ("icmp", "header", 7)),
        (UDP.parse, bytes.fromhex("c35000350007 0000"), ("udp", "length", 4)),
        (UDP.parse, bytes.fromhex("c35000350010 0000") + b"1234567", ("udp", "length", 4)),
        (TCP.parse, _TCP[:19], ("tcp", "header", 19)),
        (TCP.parse, _with(_TCP, 12, b"\x40"), ("tcp", "data_offset", 12)),
        (TCP.parse, _with(_TCP, 12, b"\x60"), ("tcp", "data_offset", 12)),
        (TCP.parse, _with(_TCP, 12, b"\x60") + b"\x02\x04\x05", ("tcp", "data_offset", 12)),
        (TCP.parse, _with(_TCP, 12, b"\x60") + b"\x01\x02\x04\x05", ("tcp", "options", 22)),
        (strip_fcs, bytes(64), ("ethernet", "fcs", 60)),
    ],
)
def test_errors_name_layer_field_and_offset(parse, data, where):
    with pytest.raises(WireError) as caught:
        parse(data)
    assert (caught.value.layer, caught.value.field, caught.value.offset) == where
    _check(caught.value)


def test_ipv4_total_length_past_the_end_says_so():
    with pytest.raises(WireError) as caught:
        IPv4.parse(_with(_IP, 2, b"\x00\x40"))
    assert (
        str(caught.value)
        == "ipv4: total_length at byte 2: total length 64 runs past the 32 bytes received"
    )


def test_a_broadcast_frame_of_nothing_but_header_decodes():
    assert Ethernet.parse(BROADCAST + PC_MAC + b"\x88\xb5").payload == b""
