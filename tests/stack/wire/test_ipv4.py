"""IPv4 headers (RFC 791): 20–60 bytes with options kept, flags, fragment offset, TTL, checksum."""

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP, IPOption
from scapy.packet import Raw

from stack.wire.checksum import internet_checksum
from stack.wire.errors import WireError
from stack.wire.ipv4 import FLAG_DF, FLAG_MF, MAX_TOTAL, PROTO_TCP, PROTO_UDP, IPv4

from .strategies import SETTINGS, addresses, ip_options, ipv4_values, ipv4_wire, payloads, u8, u16

PC, WWW = IPv4Address("192.168.1.100"), IPv4Address("172.194.72.105")


def test_make_writes_a_20_byte_header_with_length_and_checksum():
    packet = IPv4.make(PC, WWW, PROTO_TCP, b"x" * 40, ident=7, df=True)
    raw = packet.build()
    assert packet.header_length == 20 and packet.ihl == 5
    assert packet.total_length == len(raw) == 60
    assert packet.checksum_ok() and internet_checksum(raw[:20]) == 0
    assert (packet.df, packet.mf, packet.offset_bytes, packet.is_fragment) == (
        True,
        False,
        0,
        False,
    )


def test_options_are_padded_to_words_and_kept():
    packet = IPv4.make(
        PC, WWW, PROTO_UDP, b"", options=b"\x94\x04\x00"
    )  # router alert, one byte short
    assert packet.options == b"\x94\x04\x00\x00"
    assert packet.header_length == 24
    assert IPv4.parse(packet.build()).options == packet.options


def test_header_is_at_most_60_bytes():
    assert IPv4.make(PC, WWW, PROTO_UDP, b"", options=b"\x01" * 40).header_length == 60
    with pytest.raises(WireError) as caught:
        IPv4.make(PC, WWW, PROTO_UDP, b"", options=b"\x01" * 41)
    assert (caught.value.layer, caught.value.field) == ("ipv4", "options")


def test_total_length_is_at_most_65535():
    assert IPv4.make(PC, WWW, PROTO_UDP, bytes(MAX_TOTAL - 20)).total_length == 65535
    with pytest.raises(WireError) as caught:
        IPv4.make(PC, WWW, PROTO_UDP, bytes(MAX_TOTAL - 19))
    assert (caught.value.layer, caught.value.field, caught.value.offset) == (
        "ipv4",
        "total_length",
        2,
    )


@pytest.mark.parametrize("offset", [4, 65536, -8])
def test_fragment_offset_must_be_a_multiple_of_8_that_fits(offset):
    with pytest.raises(WireError) as caught:
        IPv4.make(PC, WWW, PROTO_UDP, b"", offset_bytes=offset)
    assert (caught.value.field, caught.value.offset) == ("frag", 6)


def test_fragment_fields_are_in_8_byte_units_beside_the_flags():
    packet = IPv4.make(PC, WWW, PROTO_UDP, bytes(1480), ident=0x1234, mf=True, offset_bytes=2960)
    assert (packet.frag, packet.offset_bytes, packet.flags) == (370, 2960, FLAG_MF)
    assert packet.build()[6:8] == (0x2000 | 370).to_bytes(2, "big")
    assert packet.is_fragment and packet.mf and not packet.df
    assert IPv4.make(PC, WWW, PROTO_UDP, b"", df=True).flags == FLAG_DF


def test_parse_stops_at_total_length_and_leaves_the_ethernet_padding():
    packet = IPv4.make(PC, WWW, PROTO_UDP, b"abc")
    parsed = IPv4.parse(packet.build() + bytes(23))
    assert parsed == packet and parsed.payload == b"abc"


def test_parse_reads_the_addresses_of_thousands_of_conversations():
    # Source and destination are remembered together (a bounded memo, emptied when full): with
    # more pairs than it holds, each packet must still read as its own bytes say.
    for i in range(6000):
        src, dst = IPv4Address(0x0A00_0000 + i), IPv4Address(0xC0A8_0000 + i % 7)
        packet = IPv4.parse(IPv4.make(src, dst, PROTO_UDP, b"x", ident=i).build())
        assert (packet.src, packet.dst, packet.ident) == (src, dst, i)
        assert type(packet.src) is IPv4Address and packet.checksum_ok()


def test_a_changed_byte_fails_the_checksum():
    raw = bytearray(IPv4.make(PC, WWW, PROTO_UDP, b"").build())
    raw[8] ^= 0x01  # the TTL
    assert not IPv4.parse(bytes(raw)).checksum_ok()


def test_with_ttl_goes_one_hop_on_with_a_fresh_checksum():
    packet = IPv4.make(PC, WWW, PROTO_TCP, b"data", ttl=64, ident=99, options=b"\x01\x01\x01\x01")
    hop = packet.with_ttl(63)
    assert hop.ttl == 63 and hop.checksum_ok()
    assert hop.build()[:8] == packet.build()[:8] and hop.payload == packet.payload
    theirs = IP(
        src=str(PC),
        dst=str(WWW),
        proto=PROTO_TCP,
        id=99,
        ttl=63,
        flags=0,
        options=[IPOption(b"\x01" * 4)],
    ) / Raw(b"data")
    assert hop.build() == bytes(theirs)


# Round trips and scapy -----------------------------------------------------------------------


@SETTINGS
@given(ipv4_values())
def test_parse_inverts_build(packet):
    assert IPv4.parse(packet.build()) == packet


@SETTINGS
@given(ipv4_wire())
def test_build_inverts_parse(wire):
    assert IPv4.parse(wire).build() == wire


@SETTINGS
@given(
    addresses,
    addresses,
    u8,
    payloads,
    u8,
    u16,
    st.booleans(),
    st.booleans(),
    st.integers(0, 0x1FFF),
    u8,
    ip_options(),
)
def test_make_matches_scapy_and_parse_reads_what_scapy_dissects(
    src,
    dst,
    proto,
    data,
    ttl,
    ident,
    df,
    mf,
    frag,
    tos,
    options,
):
    ours = IPv4.make(
        src,
        dst,
        proto,
        data,
        ttl=ttl,
        ident=ident,
        df=df,
        mf=mf,
        offset_bytes=frag * 8,
        tos=tos,
        options=options,
    )
    theirs = IP(
        src=str(src),
        dst=str(dst),
        proto=proto,
        ttl=ttl,
        id=ident,
        flags=FLAG_DF * df | FLAG_MF * mf,
        frag=frag,
        tos=tos,
        options=[IPOption(options)] if options else [],
    ) / Raw(data)
    assert ours.build() == bytes(theirs)

    dissected = IP(ours.build())
    parsed = IPv4.parse(ours.build())
    assert (parsed.version, parsed.ihl, parsed.tos, parsed.total_length) == (
        dissected.version,
        dissected.ihl,
        dissected.tos,
        dissected.len,
    )
    assert (parsed.ident, parsed.flags, parsed.frag, parsed.ttl, parsed.proto, parsed.checksum) == (
        dissected.id,
        int(dissected.flags),
        dissected.frag,
        dissected.ttl,
        dissected.proto,
        dissected.chksum,
    )
    assert (str(parsed.src), str(parsed.dst)) == (dissected.src, dissected.dst)
    assert parsed.options == b"".join(bytes(option) for option in dissected.options)
    assert parsed.payload == data
