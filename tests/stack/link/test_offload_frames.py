"""A TAP device's offloads: what the kernel leaves to a virtio NIC, finished as the wire would
have it. scapy is the oracle for every checksum and for the segments a merged frame stands for."""

import struct

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from stack.labs import build_network, load_lab
from stack.link.tap_offload import GSO_TCPV4, NEEDS_CSUM, VNET_HDR, unwrap
from stack.wire.checksum import pseudo_header_sum

ETH = dict(dst="00:1b:21:3a:4f:64", src="02:00:00:00:00:50")
SRC, DST = "192.168.1.50", "172.194.72.105"


def partial(frame: bytes, at: int, length: int, protocol: int) -> bytes:
    """`frame` as Linux hands it over with CHECKSUM_PARTIAL: the field holds the pseudo-header's
    sum, folded, not complemented."""
    ip = frame[14:34]
    total = pseudo_header_sum(ip[12:16], ip[16:20], protocol, length)
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return frame[:at] + struct.pack("!H", total) + frame[at + 2 :]


def vnet(frame: bytes, *, gso: int = 0, mss: int = 0, offset: int = 16) -> bytes:
    return VNET_HDR.pack(NEEDS_CSUM, gso, 54, mss, 34, offset) + frame


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_a_checksum_left_to_the_device_is_finished(proto):
    layer = (
        TCP(sport=40000, dport=80, seq=7, flags="PA")
        if proto == "tcp"
        else UDP(sport=5353, dport=53)
    )
    packet = Ether(**ETH) / IP(src=SRC, dst=DST) / layer / Raw(b"x" * 301)
    wire = bytes(packet)
    number, offset = (6, 16) if proto == "tcp" else (17, 6)
    frame = partial(wire, 34 + offset, len(wire) - 34, number)
    assert frame != wire
    assert unwrap(vnet(frame, offset=offset), lambda _f: True) == [wire]


def test_a_merged_frame_for_a_host_here_stays_whole_with_its_checksum():
    big = (
        Ether(**ETH)
        / IP(src=SRC, dst="192.168.1.100", id=9)
        / TCP(seq=1, flags="A")
        / Raw(bytes(range(256)) * 200)
    )
    wire = bytes(big)
    frame = partial(wire, 50, len(wire) - 34, 6)
    (whole,) = unwrap(vnet(frame, gso=GSO_TCPV4, mss=1448), lambda _f: True)
    assert whole == wire  # scapy's checksum over all 51,200 bytes


def test_a_merged_frame_for_elsewhere_is_cut_into_the_segments_it_stands_for():
    data = bytes(range(256)) * 20  # 5,120 bytes: three full segments and a short one
    opts = [("NOP", None), ("NOP", None), ("Timestamp", (111, 222))]
    ip = dict(src=SRC, dst=DST, id=0xFFFE, flags="DF", ttl=64)
    merged = (
        Ether(**ETH)
        / IP(**ip)
        / TCP(sport=40000, dport=5001, seq=0xFFFFF000, ack=5, flags="FPA", window=502, options=opts)
        / Raw(data)
    )
    frame = partial(bytes(merged), 50, len(bytes(merged)) - 34, 6)
    pieces = unwrap(vnet(frame, gso=GSO_TCPV4, mss=1448, offset=16), lambda _f: False)
    expected = []
    for i, at in enumerate(range(0, len(data), 1448)):
        last = at + 1448 >= len(data)
        segment = (
            Ether(**ETH)
            / IP(**{**ip, "id": (0xFFFE + i) & 0xFFFF})
            / TCP(
                sport=40000,
                dport=5001,
                seq=(0xFFFFF000 + at) & 0xFFFFFFFF,
                ack=5,
                flags="FPA" if last else "A",
                window=502,
                options=opts,
            )
            / Raw(data[at : at + 1448])
        )
        expected.append(bytes(segment))
    assert pieces == expected
    assert [len(p) for p in pieces] == [1514, 1514, 1514, 14 + 20 + 32 + 776]


def test_a_header_the_kernel_would_not_write_leaves_the_frame_as_it_came():
    frame = bytes(Ether(**ETH) / IP(src=SRC, dst=DST) / UDP() / Raw(b"hi"))
    odd = VNET_HDR.pack(NEEDS_CSUM, 0, 0, 0, 4000, 6) + frame  # a checksum past the end
    assert unwrap(odd, lambda _f: True) == [frame]
    short = VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, 0, 1448, 34, 16) + frame  # "merged", but UDP
    assert unwrap(short, lambda _f: False)[0][:34] == frame[:34]


def test_a_merged_frame_ends_here_only_at_the_host_that_holds_its_address():
    net = build_network(load_lab("default"))
    lan = net.segments["lan"]
    pc, gw = net.host("pc").interfaces["eth0"], net.host("gw-a").interfaces["eth0"]

    def to(mac, ip):
        return bytes(Ether(dst=str(mac), src="02:00:00:00:00:50") / IP(src=SRC, dst=ip) / TCP())

    assert lan.ends_here(to(pc.nic.mac, "192.168.1.100"))
    assert lan.ends_here(to(gw.nic.mac, "192.168.1.1"))  # the router's own address
    assert not lan.ends_here(to(gw.nic.mac, DST))  # through the router: cut to the MTU
    assert not lan.ends_here(to("02:99:99:99:99:99", "192.168.1.100"))  # nobody here
