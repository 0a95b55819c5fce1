"""Malformed frames never crash the stack: they are dropped, an event says why, and a counter
counts them."""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack.apps.ping import Ping
from stack.labs import build_network, load_lab
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, Ethernet
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import IPv4
from stack.wire.mac import BROADCAST
from tests.conftest import kinds, run

PC = IPv4Address("192.168.1.100")
GW = IPv4Address("192.168.1.1")


def _net():
    net = build_network(load_lab("default"))
    run(net, Ping(net.host("pc"), GW, count=1))  # caches warm, so frames reach deep layers
    return net


NET = _net()
GW_MAC = NET.host("gw-a").interfaces["eth0"].nic.mac
PC_MAC = NET.host("pc").primary.nic.mac


def _valid_frames() -> list[bytes]:
    echo = ICMP.echo_request(1, 1, b"x" * 40).build()
    ip = IPv4.make(PC, GW, 1, echo, ident=3).build()
    frag = IPv4.make(PC, IPv4Address("172.194.72.105"), 17, bytes(64), ident=4, mf=True).build()
    udp = IPv4.make(PC, GW, 17, b"\x30\x39\x00\x35\x00\x10\x00\x00" + bytes(8)).build()
    tcp = IPv4.make(
        PC, GW, 6, b"\x30\x39\x00\x50" + bytes(16) + b"\x50\x02\x10\x00" + bytes(4)
    ).build()
    return [
        Ethernet(GW_MAC, PC_MAC, ETH_IPV4, ip).build(),
        Ethernet(GW_MAC, PC_MAC, ETH_IPV4, frag).build(),
        Ethernet(GW_MAC, PC_MAC, ETH_IPV4, udp).build(),
        Ethernet(GW_MAC, PC_MAC, ETH_IPV4, tcp).build(),
        Ethernet(
            BROADCAST,
            PC_MAC,
            ETH_ARP,
            bytes.fromhex("0001080006040001") + bytes(PC_MAC) + PC.packed + bytes(6) + GW.packed,
        ).build(),
    ]


VALID = _valid_frames()


@st.composite
def mangled(draw):
    frame = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(12, len(frame) - 1))
        frame[at] = draw(st.integers(0, 255))
    cut = draw(st.integers(14, len(frame)))
    return bytes(frame[:cut])


def _inject(net, frame: bytes) -> None:
    net.segments["lan"].inject("fuzz port", frame)
    net.clock.run_until(net.clock.now() + 0.01)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=mangled())
def test_mangled_frames_are_dropped_or_handled_never_raised(frame):
    _inject(NET, frame)


@settings(max_examples=200, deadline=None)
@given(tail=st.binary(min_size=0, max_size=200))
def test_random_bytes_after_a_real_header_never_raise(tail):
    _inject(NET, bytes(GW_MAC) + bytes(PC_MAC) + b"\x08\x00" + tail)
    _inject(NET, bytes(BROADCAST) + bytes(PC_MAC) + b"\x08\x06" + tail)


def test_a_bad_ip_header_checksum_is_dropped_and_said():
    net = _net()
    packet = bytearray(IPv4.make(PC, GW, 1, ICMP.echo_request(9, 9).build()).build())
    packet[10] ^= 0xFF
    _inject(net, Ethernet(GW_MAC, PC_MAC, ETH_IPV4, bytes(packet)).build())
    assert any("bad IPv4 header checksum" in e.reason for e in kinds(net, "packet_dropped", "gw-a"))
    assert net.host("gw-a").ip.stats["bad_checksum"] == 1


def test_a_truncated_ip_packet_is_counted_as_malformed():
    net = _net()
    packet = IPv4.make(PC, GW, 1, bytes(100)).build()[:60]
    _inject(net, Ethernet(GW_MAC, PC_MAC, ETH_IPV4, packet).build())
    gw = net.host("gw-a")
    assert gw.interfaces["eth0"].nic.counters.rx_malformed == 1
    assert any(
        "malformed IPv4" in e.reason and "total_length" in e.reason
        for e in kinds(net, "packet_dropped", "gw-a")
    )
