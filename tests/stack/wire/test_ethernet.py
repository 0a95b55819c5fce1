"""Ethernet II framing: header and FCS sizes, padding, the 1,500-byte limit, the CRC, and scapy."""

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from stack.wire.checksum import fcs
from stack.wire.errors import WireError
from stack.wire.ethernet import (
    ETH_ARP,
    ETH_IPV4,
    ETH_VLAN,
    FCS_LEN,
    HEADER_LEN,
    MAX_FRAME,
    MIN_FRAME,
    Ethernet,
    strip_fcs,
    with_fcs,
)
from stack.wire.mac import BROADCAST, MAC

from .strategies import SETTINGS, ethernet_values, ethernet_wire, macs

PC = MAC("02:00:00:00:00:64")

# An ICMP echo reply captured with its FCS (QEMU user networking, 10.0.2.2 → 10.0.2.15),
# published with github.com/jwbensley/Ethernet-CRC32 as P1.txt: 98 bytes of frame, FCS e6 4c b4 86.
CAPTURED_WITH_FCS = bytes.fromhex(
    "080027271ad55254001235020800450000541e494000400104500a0002020a00020f000059d60faf0001fdb5f55a"
    "00000000e195030000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031"
    "323334353637e64cb486"
)


def test_overhead_is_a_14_byte_header_and_a_4_byte_fcs():
    assert (HEADER_LEN, FCS_LEN) == (14, 4)
    frame = Ethernet.make(BROADCAST, PC, ETH_IPV4, bytes(100)).build()
    assert len(frame) == 114
    assert len(with_fcs(frame)) == 100 + 18


def test_make_pads_the_data_to_46_bytes_so_the_frame_is_64_with_fcs():
    frame = Ethernet.make(BROADCAST, PC, ETH_ARP, bytes(28))
    assert frame.payload == bytes(28) + bytes(18)
    wire = with_fcs(frame.build())
    assert len(wire) == MIN_FRAME == 64


def test_with_fcs_pads_a_short_frame_it_is_given():
    short = Ethernet(BROADCAST, PC, ETH_ARP, b"\x01" * 28).build()
    assert len(short) == 42  # as a TAP device hands it over: no padding
    wire = with_fcs(short)
    assert len(wire) == 64
    assert strip_fcs(wire) == short + bytes(18)


def test_largest_frame_is_1518_bytes_with_fcs():
    wire = with_fcs(Ethernet.make(BROADCAST, PC, ETH_IPV4, bytes(1500)).build())
    assert len(wire) == MAX_FRAME == 1518


@pytest.mark.parametrize(
    "build",
    [
        lambda data: Ethernet.make(BROADCAST, PC, ETH_IPV4, data),
        lambda data: Ethernet(BROADCAST, PC, ETH_IPV4, data).build(),
    ],
)
def test_data_over_1500_bytes_is_refused_and_told_to_split(build):
    with pytest.raises(WireError) as caught:
        build(bytes(1501))
    error = caught.value
    assert (error.layer, error.field, error.offset) == ("ethernet", "payload", 14)
    assert "1501" in str(error) and "split" in str(error)


def test_parse_refuses_more_than_1500_bytes_of_data():
    with pytest.raises(WireError) as caught:
        Ethernet.parse(bytes(14 + 1501))
    assert (caught.value.layer, caught.value.field) == ("ethernet", "payload")


def test_an_802_1q_tagged_frame_may_carry_four_bytes_more():
    frame = Ethernet(BROADCAST, PC, ETH_VLAN, bytes(1504))
    assert Ethernet.parse(frame.build()) == frame


def test_parse_reads_the_header_fields():
    frame = Ethernet.parse(
        bytes.fromhex("ffffffffffff 020000000064 0806".replace(" ", "")) + b"arp"
    )
    assert frame.dst == BROADCAST and frame.dst.is_broadcast
    assert frame.src == PC
    assert frame.ethertype == ETH_ARP
    assert frame.payload == b"arp"


def test_parse_reads_each_header_among_thousands_of_hosts():
    # Decoded headers are remembered (a bounded memo, emptied when full): with more distinct
    # headers than it holds, every frame must still read as its own bytes say.
    for i in range(6000):
        src = MAC.from_int(0x0200_0000_0000 + i)
        ethertype = (ETH_ARP, ETH_IPV4)[i % 2]
        wire = bytes(BROADCAST) + bytes(src) + ethertype.to_bytes(2, "big") + i.to_bytes(46, "big")
        frame = Ethernet.parse(bytearray(wire) if i % 3 == 0 else wire)
        assert (frame.dst, frame.src, frame.ethertype) == (BROADCAST, src, ethertype)
        assert type(frame.src) is MAC and frame.payload == i.to_bytes(46, "big")


# The FCS -------------------------------------------------------------------------------------


def test_fcs_is_the_ieee_crc32_sent_least_significant_byte_first():
    # 0xCBF43926 is the published check value of CRC-32/ISO-HDLC (the 802.3 CRC) over "123456789".
    assert fcs(b"123456789") == bytes.fromhex("2639f4cb")
    assert with_fcs(bytes(60))[-4:] == struct.pack("<I", zlib.crc32(bytes(60)))


def test_a_frame_captured_with_its_fcs_checks_out():
    body = strip_fcs(CAPTURED_WITH_FCS)
    assert len(body) == 98
    assert with_fcs(body) == CAPTURED_WITH_FCS
    frame = Ethernet.parse(body)
    assert (str(frame.dst), str(frame.src), frame.ethertype) == (
        "08:00:27:27:1a:d5",
        "52:54:00:12:35:02",
        ETH_IPV4,
    )


@SETTINGS
@given(st.binary(min_size=60, max_size=1514))
def test_crc_over_frame_and_fcs_leaves_the_802_3_residue(frame):
    # A receiver running the CRC over the frame and its FCS always lands on the same constant
    # (0xDEBB20E3 complemented, as zlib reports it) — true only if the FCS bytes are in wire order.
    assert zlib.crc32(with_fcs(frame)) == 0x2144DF1C


@SETTINGS
@given(st.binary(min_size=60, max_size=1514), st.data())
def test_strip_fcs_detects_any_flipped_bit(frame, data):
    wire = bytearray(with_fcs(frame))
    bit = data.draw(st.integers(0, len(wire) * 8 - 1))
    wire[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(WireError) as caught:
        strip_fcs(bytes(wire))
    assert (caught.value.layer, caught.value.field, caught.value.offset) == (
        "ethernet",
        "fcs",
        len(frame),
    )


def test_strip_fcs_refuses_a_frame_too_short_to_hold_one():
    with pytest.raises(WireError) as caught:
        strip_fcs(bytes(17))
    assert (caught.value.layer, caught.value.field) == ("ethernet", "fcs")


# Round trips and scapy -----------------------------------------------------------------------


@SETTINGS
@given(ethernet_values)
def test_parse_inverts_build(frame):
    assert Ethernet.parse(frame.build()) == frame


@SETTINGS
@given(ethernet_wire)
def test_build_inverts_parse(wire):
    assert Ethernet.parse(wire).build() == wire


@SETTINGS
@given(macs, macs, st.integers(0x0600, 0xFFFF), st.binary(max_size=1500))
def test_bytes_and_fields_match_scapy(dst, src, ethertype, data):
    theirs = Ether(dst=str(dst), src=str(src), type=ethertype) / Raw(data)
    ours = Ethernet(dst, src, ethertype, data)
    assert ours.build() == bytes(theirs)

    dissected = Ether(ours.build())
    parsed = Ethernet.parse(ours.build())
    assert str(parsed.dst) == dissected.dst
    assert str(parsed.src) == dissected.src
    assert parsed.ethertype == dissected.type
    assert parsed.payload == bytes(dissected.payload)
