"""UDP (RFC 768): the 8-byte header and the checksum over the IPv4 pseudo-header, against scapy."""

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from scapy.layers.inet import IP
from scapy.layers.inet import UDP as ScapyUDP
from scapy.packet import Raw

from stack.wire.errors import WireError
from stack.wire.ipv4 import PROTO_UDP, IPv4
from stack.wire.udp import UDP

from .strategies import SETTINGS, addresses, payloads, u16, udp_values, udp_wire

PC, DNS = IPv4Address("192.168.1.100"), IPv4Address("8.8.8.8")


def test_make_sets_length_and_a_checksum_that_checks():
    dgram = UDP.make(PC, DNS, 50000, 53, b"query")
    assert dgram.length == 13 and len(dgram.build()) == 13
    assert dgram.checksum_ok(PC, DNS)
    assert not dgram.checksum_ok(PC, IPv4Address("8.8.4.4"))  # the pseudo-header covers addresses


def test_zero_checksum_means_none_was_sent():
    dgram = UDP(50000, 53, b"query", 13, 0)
    assert dgram.checksum_ok(PC, DNS)


def test_a_computed_zero_is_sent_as_all_ones():
    # Choose the last two bytes so that the sum comes to 0xFFFF and the checksum to zero.
    head = b"abcd"
    filler = UDP.make(PC, DNS, 1000, 2000, head + b"\x00\x00").checksum
    dgram = UDP.make(PC, DNS, 1000, 2000, head + filler.to_bytes(2, "big"))
    assert dgram.checksum == 0xFFFF
    assert dgram.checksum_ok(PC, DNS)
    theirs = IP(src=str(PC), dst=str(DNS)) / ScapyUDP(sport=1000, dport=2000) / Raw(dgram.payload)
    assert bytes(theirs)[20:] == dgram.build()


def test_length_over_65535_is_refused():
    with pytest.raises(WireError) as caught:
        UDP.make(PC, DNS, 1, 2, bytes(65535 - 7))
    assert (caught.value.layer, caught.value.field, caught.value.offset) == ("udp", "length", 4)


def test_parse_stops_at_the_udp_length():
    dgram = UDP.make(PC, DNS, 50000, 53, b"query")
    assert UDP.parse(dgram.build() + b"padding") == dgram


@SETTINGS
@given(udp_values())
def test_parse_inverts_build(dgram):
    assert UDP.parse(dgram.build()) == dgram


@SETTINGS
@given(udp_wire())
def test_build_inverts_parse(wire):
    assert UDP.parse(wire).build() == wire


@SETTINGS
@given(addresses, addresses, u16, u16, u16, payloads)
def test_make_matches_scapy_and_parse_reads_what_scapy_dissects(
    src, dst, sport, dport, ident, data
):
    ours = UDP.make(src, dst, sport, dport, data)
    packet = IPv4.make(src, dst, PROTO_UDP, ours.build(), ident=ident)
    theirs = (
        IP(src=str(src), dst=str(dst), id=ident, flags=0)
        / ScapyUDP(sport=sport, dport=dport)
        / Raw(data)
    )
    assert packet.build() == bytes(theirs)

    dissected = IP(packet.build())[ScapyUDP]
    parsed = UDP.parse(IPv4.parse(packet.build()).payload)
    assert (parsed.sport, parsed.dport, parsed.length, parsed.checksum) == (
        dissected.sport,
        dissected.dport,
        dissected.len,
        dissected.chksum,
    )
    assert parsed.payload == data
    assert parsed.checksum_ok(src, dst)
