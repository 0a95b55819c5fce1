"""Any bytes at all into the dissector: a field tree back, never an exception, every node inside
the frame, and the byte → field look-up consistent with the tree."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from workbench.dissect.tree import dissect

MAC_A, MAC_B = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
SEEDS = [
    bytes(Ether(src=MAC_A, dst=MAC_B) / ARP(hwsrc=MAC_A, psrc="10.0.0.1", pdst="10.0.0.2")),
    bytes(
        Ether(src=MAC_A, dst=MAC_B)
        / IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01\x01\x01\x00")
        / ICMP()
        / b"ping"
    ),
    bytes(
        Ether(src=MAC_A, dst=MAC_B)
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / ICMP(type=3, code=3)
        / IP(src="10.0.0.2", dst="10.0.0.1")
        / UDP()
    ),
    bytes(
        Ether(src=MAC_A, dst=MAC_B)
        / IP(src="10.0.0.1", dst="8.8.8.8")
        / UDP(sport=4000, dport=53)
        / DNS(qd=DNSQR(qname="a.example"), an=DNSRR(rrname="a.example", rdata="1.2.3.4")).compress()
    ),
    bytes(
        Ether(src=MAC_A, dst=MAC_B)
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=b"\x00\x1b\x21\x3a\x4f\x64")
        / DHCP(options=[("message-type", "request"), "end"])
    ),
    bytes(
        Ether(src=MAC_A, dst=MAC_B)
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / TCP(sport=4000, dport=80, flags="PA", options=[("MSS", 1460), ("Timestamp", (1, 2))])
        / b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    bytes(
        Ether(src=MAC_A, dst=MAC_B)
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / TCP(sport=80, dport=4000, flags="PA")
        / b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
    ),
]


def check(data: bytes) -> None:
    d = dissect(data)
    assert d.nodes, "there is always at least one line"
    size = len(data) * 8
    for node, _path in d.walk():
        assert 0 <= node.start <= node.end <= size, node.label
        assert isinstance(node.label, str)
    if d.undecoded is not None:
        first, last = d.undecoded
        assert 0 <= first < last <= len(data)
    for offset in range(0, len(data), 7):
        field = d.field_at(offset)
        if field is not None:
            first, last = field.byte_range
            assert first <= offset < last


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_bytes(data):
    check(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_damaged_real_frames(seed, draw):
    frame = bytearray(seed)
    for _ in range(draw.draw(st.integers(0, 6))):
        at = draw.draw(st.integers(0, len(frame) - 1))
        frame[at] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(0, len(frame)))
    check(bytes(frame[:cut]))
