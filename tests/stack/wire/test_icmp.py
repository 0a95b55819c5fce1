"""ICMP (RFC 792): echo, destination unreachable and time exceeded with the quoted header."""

from ipaddress import IPv4Address

from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import ICMP as ScapyICMP
from scapy.layers.inet import IP, IPerror, TCPerror, UDPerror
from scapy.packet import Raw

from stack.wire.icmp import (
    DEST_UNREACHABLE,
    ECHO_REPLY,
    ECHO_REQUEST,
    FRAGMENTATION_NEEDED,
    ICMP,
    PORT_UNREACHABLE,
    TIME_EXCEEDED,
    TTL_EXCEEDED,
    quote,
)
from stack.wire.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, IPv4
from stack.wire.tcp import ACK, SYN, TCP
from stack.wire.udp import UDP

from .strategies import SETTINGS, addresses, icmp_values, icmp_wire, ip_options, payloads, u8, u16

PC, GW, DNS = IPv4Address("192.168.1.100"), IPv4Address("192.168.1.1"), IPv4Address("8.8.8.8")


def _udp_packet(options: bytes = b"", data: bytes = b"query bytes") -> bytes:
    udp = UDP.make(PC, DNS, 50000, 53, data)
    return IPv4.make(PC, DNS, PROTO_UDP, udp.build(), ttl=1, ident=42, options=options).build()


def test_echo_request_carries_identifier_sequence_and_data():
    echo = ICMP.echo_request(0x1234, 7, b"ping!")
    assert (echo.type, echo.code, echo.ident, echo.seq, echo.payload) == (
        ECHO_REQUEST,
        0,
        0x1234,
        7,
        b"ping!",
    )
    assert echo.checksum_ok()
    assert echo.describe() == "echo request id=0x1234 seq=7"
    assert not echo.is_error


def test_echo_reply_mirrors_the_request():
    request = ICMP.echo_request(0xBEEF, 3, bytes(range(56)))
    reply = ICMP.echo_reply(request)
    assert (reply.type, reply.ident, reply.seq, reply.payload) == (
        ECHO_REPLY,
        0xBEEF,
        3,
        request.payload,
    )
    assert reply.checksum_ok()


def test_a_changed_byte_fails_the_checksum():
    raw = bytearray(ICMP.echo_request(1, 1, b"abcd").build())
    raw[-1] ^= 0x40
    assert not ICMP.parse(bytes(raw)).checksum_ok()


def test_quote_is_the_ip_header_and_the_first_8_bytes_of_data():
    offending = _udp_packet()
    assert quote(offending) == offending[:28]
    with_options = _udp_packet(options=b"\x01\x01\x01\x01")
    assert quote(with_options) == with_options[:32]
    assert quote(b"short") == b"short"


def test_port_unreachable_quotes_the_datagram():
    error = ICMP.unreachable(PORT_UNREACHABLE, _udp_packet())
    assert (error.type, error.code, error.rest) == (DEST_UNREACHABLE, PORT_UNREACHABLE, 0)
    assert error.is_error and error.checksum_ok()
    assert error.describe() == "destination unreachable (port unreachable)"
    assert error.payload == quote(_udp_packet())
    assert error.payload[20:24] == (50000).to_bytes(2, "big") + (53).to_bytes(2, "big")  # the ports


def test_fragmentation_needed_tells_the_next_hop_mtu():
    error = ICMP.unreachable(FRAGMENTATION_NEEDED, _udp_packet(), mtu=1400)
    assert error.mtu == 1400 and error.rest == 1400  # RFC 1191: unused 16 bits, then the MTU
    assert error.describe() == "destination unreachable (fragmentation needed)"


def test_time_exceeded_quotes_the_packet_whose_ttl_ran_out():
    error = ICMP.time_exceeded(TTL_EXCEEDED, _udp_packet())
    assert (error.type, error.code, error.rest) == (TIME_EXCEEDED, TTL_EXCEEDED, 0)
    assert error.describe() == "time exceeded (TTL exceeded in transit)"


# Round trips and scapy -----------------------------------------------------------------------


@SETTINGS
@given(icmp_values)
def test_parse_inverts_build(message):
    assert ICMP.parse(message.build()) == message


@SETTINGS
@given(icmp_wire)
def test_build_inverts_parse(wire):
    assert ICMP.parse(wire).build() == wire


@SETTINGS
@given(st.sampled_from([ECHO_REQUEST, ECHO_REPLY]), u16, u16, payloads)
def test_echo_matches_scapy(kind, ident, seq, data):
    ours = ICMP.make(kind, 0, ident << 16 | seq, data)
    assert ours.build() == bytes(ScapyICMP(type=kind, id=ident, seq=seq) / Raw(data))

    dissected = ScapyICMP(ours.build())
    parsed = ICMP.parse(ours.build())
    assert (parsed.type, parsed.code, parsed.checksum, parsed.ident, parsed.seq) == (
        dissected.type,
        dissected.code,
        dissected.chksum,
        dissected.id,
        dissected.seq,
    )
    assert parsed.payload == data


@SETTINGS
@given(
    st.sampled_from(["unreachable", "time exceeded"]),
    u8,
    u16,
    addresses,
    addresses,
    u8,
    st.sampled_from([PROTO_UDP, PROTO_TCP]),
    u16,
    u16,
    ip_options(),
    payloads,
)
def test_errors_match_scapy_and_quote_what_scapy_reads_as_the_offending_header(
    kind,
    code,
    mtu,
    src,
    dst,
    ttl,
    proto,
    sport,
    dport,
    options,
    data,
):
    if proto == PROTO_UDP:
        transport = UDP.make(src, dst, sport, dport, data).build()
    else:
        transport = TCP.make(src, dst, sport, dport, seq=1, flags=SYN | ACK, payload=data).build()
    offending = IPv4.make(src, dst, proto, transport, ttl=ttl, ident=9, options=options)
    if kind == "unreachable":
        ours = ICMP.unreachable(code, offending.build(), mtu=mtu)
        fields = {
            "type": DEST_UNREACHABLE,
            "code": code,
            "nexthopmtu": mtu if code == FRAGMENTATION_NEEDED else 0,
        }
    else:
        ours = ICMP.time_exceeded(code, offending.build())
        fields = {"type": TIME_EXCEEDED, "code": code}
    quoted = offending.build()[: offending.header_length + 8]
    assert ours.payload == quoted
    assert ours.build() == bytes(ScapyICMP(**fields) / Raw(quoted))

    # Wrapped in an IP packet, as scapy dissects errors: ICMP, then the quoted IP header and ports.
    packet = IPv4.make(GW, src, PROTO_ICMP, ours.build())
    dissected = IP(packet.build())
    icmp = dissected[ScapyICMP]
    parsed = ICMP.parse(IPv4.parse(packet.build()).payload)
    assert (parsed.type, parsed.code, parsed.checksum) == (icmp.type, icmp.code, icmp.chksum)
    if parsed.type == DEST_UNREACHABLE:
        assert parsed.mtu == icmp.nexthopmtu
    inner = dissected[IPerror]
    # The quote stops 8 bytes into the data: fill in the rest so that our parser will read it.
    header = IPv4.parse(parsed.payload + bytes(offending.total_length - len(parsed.payload)))
    assert (str(header.src), str(header.dst), header.proto, header.ttl, header.checksum) == (
        inner.src,
        inner.dst,
        inner.proto,
        inner.ttl,
        inner.chksum,
    )
    assert header.options == b"".join(bytes(option) for option in inner.options)
    ports = dissected[UDPerror] if proto == PROTO_UDP else dissected[TCPerror]
    assert (ports.sport, ports.dport) == (sport, dport)
