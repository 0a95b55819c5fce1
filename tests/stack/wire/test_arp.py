"""ARP (RFC 826): request and reply, the fixed fields, round trips, and scapy as the oracle."""

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from scapy.layers.l2 import ARP as ScapyARP
from scapy.layers.l2 import Ether

from stack.wire.arp import ARP, LENGTH, REPLY, REQUEST
from stack.wire.errors import WireError
from stack.wire.ethernet import ETH_ARP, Ethernet
from stack.wire.mac import BROADCAST, MAC, ZERO

from .strategies import SETTINGS, addresses, arp_values, arp_wire, macs, u16

PC_MAC, GW_MAC = MAC("02:00:00:00:00:64"), MAC("02:00:00:00:00:01")
PC_IP, GW_IP = IPv4Address("192.168.1.100"), IPv4Address("192.168.1.1")


def test_request_asks_for_the_target_with_a_zero_target_mac():
    request = ARP.request(PC_MAC, PC_IP, GW_IP)
    assert (request.op, request.target_mac, request.target_ip) == (REQUEST, ZERO, GW_IP)
    assert len(request.build()) == LENGTH == 28
    assert not request.is_gratuitous


def test_request_frame_is_what_scapy_sends():
    ours = Ethernet.make(
        BROADCAST, PC_MAC, ETH_ARP, ARP.request(PC_MAC, PC_IP, GW_IP).build()
    ).build()
    theirs = Ether(dst="ff:ff:ff:ff:ff:ff", src=str(PC_MAC)) / ScapyARP(
        op="who-has", hwsrc=str(PC_MAC), psrc=str(PC_IP), hwdst="00:00:00:00:00:00", pdst=str(GW_IP)
    )
    assert ours == bytes(theirs) + bytes(18)  # scapy leaves padding to the NIC; make() pads to 60


def test_reply_answers_the_request():
    request = ARP.request(PC_MAC, PC_IP, GW_IP)
    reply = ARP.reply(GW_MAC, GW_IP, request.sender_mac, request.sender_ip)
    assert (reply.op, reply.sender_mac, reply.sender_ip, reply.target_mac, reply.target_ip) == (
        REPLY,
        GW_MAC,
        GW_IP,
        PC_MAC,
        PC_IP,
    )


def test_gratuitous_announces_its_own_address():
    assert ARP.request(PC_MAC, PC_IP, PC_IP).is_gratuitous


def test_parse_reads_each_binding_among_thousands_of_hosts():
    # Each end's (MAC, address) is remembered (a bounded memo, emptied when full): with more
    # hosts than it holds, every packet must still read as its own bytes say.
    for i in range(6000):
        mac, ip = MAC.from_int(0x0200_0000_0000 + i), IPv4Address(0x0A00_0000 + i)
        target = IPv4Address(0x0A00_0000 + (i * 7) % 6000)
        packet = ARP.parse(ARP.request(mac, ip, target).build())
        assert (packet.sender_mac, packet.sender_ip, packet.target_ip) == (mac, ip, target)
        assert type(packet.sender_mac) is MAC and type(packet.sender_ip) is IPv4Address


def test_parse_ignores_the_ethernet_padding_after_28_bytes():
    packet = ARP.request(PC_MAC, PC_IP, GW_IP)
    assert ARP.parse(packet.build() + bytes(18)) == packet


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (0, b"\x00\x06", "htype"),
        (2, b"\x86\xdd", "ptype"),
        (4, b"\x08", "hlen"),
        (5, b"\x10", "plen"),
    ],
)
def test_refuses_what_is_not_ethernet_and_ipv4(offset, value, field):
    raw = bytearray(ARP.request(PC_MAC, PC_IP, GW_IP).build())
    raw[offset : offset + len(value)] = value
    with pytest.raises(WireError) as caught:
        ARP.parse(bytes(raw))
    assert (caught.value.layer, caught.value.field, caught.value.offset) == ("arp", field, offset)


@SETTINGS
@given(arp_values)
def test_parse_inverts_build(packet):
    assert ARP.parse(packet.build()) == packet


@SETTINGS
@given(arp_wire())
def test_build_inverts_parse(wire):
    assert ARP.parse(wire).build() == wire


@SETTINGS
@given(u16, macs, addresses, macs, addresses)
def test_bytes_and_fields_match_scapy(op, sender_mac, sender_ip, target_mac, target_ip):
    ours = ARP(op, sender_mac, sender_ip, target_mac, target_ip)
    theirs = ScapyARP(
        op=op,
        hwsrc=str(sender_mac),
        psrc=str(sender_ip),
        hwdst=str(target_mac),
        pdst=str(target_ip),
    )
    assert ours.build() == bytes(theirs)

    dissected = ScapyARP(ours.build())
    parsed = ARP.parse(ours.build())
    assert (parsed.htype, parsed.ptype, parsed.hlen, parsed.plen, parsed.op) == (
        dissected.hwtype,
        dissected.ptype,
        dissected.hwlen,
        dissected.plen,
        dissected.op,
    )
    assert (str(parsed.sender_mac), str(parsed.sender_ip)) == (dissected.hwsrc, dissected.psrc)
    assert (str(parsed.target_mac), str(parsed.target_ip)) == (dissected.hwdst, dissected.pdst)
