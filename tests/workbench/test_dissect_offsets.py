"""The dissector's field tree: every field's bits against frames whose layout we know by heart.

Offsets are the frame's (Ethernet header = bytes 0-13, IPv4 header from 14), so IPv4's TTL is
byte 22 and its flags the top three bits of byte 20 (RFC 791); TCP's flags are the last bit of
byte 46 and all of 47 (RFC 9293, with the AE/NS bit); a DNS question's name starts 12 bytes
into the DNS message (RFC 1035 §4.1), and a compressed name is a 2-byte pointer.
"""

from __future__ import annotations

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from stack.trace import FrameRecord
from workbench.dissect.nodes import LAYER, MALFORMED
from workbench.dissect.tree import dissect, dissect_record

PC, GW = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"


def eth() -> Ether:
    return Ether(src=PC, dst=GW)


def ip(**kw) -> IP:
    return IP(src="192.168.1.100", dst=kw.pop("dst", "192.168.1.1"), **kw)


def field(d, name):
    node = d.find(name)
    assert node is not None, f"no field {name}"
    return node


def test_ipv4_fields_sit_where_rfc_791_puts_them():
    d = dissect(bytes(eth() / ip(ttl=64, flags="DF") / ICMP()))
    assert field(d, "IP.ttl").byte_range == (22, 23)
    assert field(d, "IP.ttl").label == "ttl: 64"
    assert field(d, "IP.src").byte_range == (26, 30)
    assert field(d, "IP.dst").byte_range == (30, 34)
    assert field(d, "IP.chksum").byte_range == (24, 26)


def test_ipv4_bit_fields_are_exact_to_the_bit():
    d = dissect(bytes(eth() / ip(flags="DF", frag=0) / ICMP()))
    version, ihl = field(d, "IP.version"), field(d, "IP.ihl")
    assert (version.start, version.end) == (14 * 8, 14 * 8 + 4)
    assert (ihl.start, ihl.end) == (14 * 8 + 4, 15 * 8)
    flags, frag = field(d, "IP.flags"), field(d, "IP.frag")
    assert (flags.start, flags.end) == (20 * 8, 20 * 8 + 3)
    assert (frag.start, frag.end) == (20 * 8 + 3, 22 * 8)
    assert flags.byte_range == (20, 21)
    assert flags.label == "010. .... = flags: 0x2 (DF)"


def test_tcp_flags_and_options():
    frame = bytes(
        eth()
        / ip()
        / TCP(
            sport=40000, dport=80, flags="S", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]
        )
    )
    d = dissect(frame)
    flags = field(d, "TCP.flags")
    assert (flags.start, flags.end) == (46 * 8 + 7, 48 * 8)  # 9 bits: AE/NS, CWR, ECE, URG … FIN
    assert flags.label.endswith("flags: 0x002 (SYN)")
    assert field(d, "TCP.dport").byte_range == (36, 38)
    options = field(d, "TCP.options")
    assert options.byte_range == (54, 62)
    assert [c.byte_range for c in options.children][:3] == [(54, 58), (58, 59), (59, 62)]
    assert options.children[0].label == "MSS: 1460"


def test_dns_question_and_compressed_answer_names():
    message = DNS(
        id=0x1234,
        qr=1,
        qd=DNSQR(qname="www.google.com"),
        an=DNSRR(rrname="www.google.com", rdata="172.194.72.105"),
    )
    frame = bytes(eth() / ip(dst="8.8.8.8") / UDP(sport=53, dport=40000) / message.compress())
    d = dissect(frame)
    dns_start = 14 + 20 + 8
    assert field(d, "DNS.id").byte_range == (dns_start, dns_start + 2)
    opcode = field(d, "DNS.opcode")
    assert (opcode.start, opcode.end) == ((dns_start + 2) * 8 + 1, (dns_start + 2) * 8 + 5)
    qname = field(d, "qname")
    assert qname.byte_range == (dns_start + 12, dns_start + 12 + 16)  # 3www6google3com0
    assert qname.label == "qname: www.google.com."
    rrname = field(d, "rrname")
    answer_start = dns_start + 12 + 16 + 4
    assert rrname.byte_range == (answer_start, answer_start + 2)  # a pointer to the question's name
    assert field(d, "rdata").byte_range == (
        answer_start + 12,
        answer_start + 16,
    )  # name type class ttl rdlen
    questions = field(d, "DNS.qd")
    assert questions.label == "qd: 1 item" and questions.children[0].byte_range == (
        dns_start + 12,
        dns_start + 32,
    )


def test_arp_padding_and_dhcp_options():
    arp = dissect(
        bytes(
            Ether(src=PC, dst="ff:ff:ff:ff:ff:ff")
            / ARP(hwsrc=PC, psrc="192.168.1.100", pdst="192.168.1.1")
        )
        + bytes(18)
    )
    assert field(arp, "ARP.pdst").byte_range == (38, 42)
    assert [n.name for n in arp.nodes] == ["Ethernet", "ARP", "Padding"]
    assert arp.nodes[-1].byte_range == (42, 60)
    dhcp = dissect(
        bytes(
            Ether(src=PC, dst="ff:ff:ff:ff:ff:ff")
            / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67)
            / BOOTP(chaddr=bytes.fromhex("001b213a4f64"), xid=0x1234)
            / DHCP(options=[("message-type", "discover"), ("hostname", "pc"), "end"])
        )
    )
    options = field(dhcp, "DHCP options.options")
    start = 14 + 20 + 8 + 236 + 4  # BOOTP's fixed part, then the magic cookie
    assert options.byte_range[0] == start
    assert [c.byte_range for c in options.children] == [
        (start, start + 3),
        (start + 3, start + 7),
        (start + 7, start + 8),
    ]


def test_http_lines_are_fields():
    payload = b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n"
    d = dissect(
        bytes(eth() / ip(dst="172.194.72.105") / TCP(sport=40000, dport=80, flags="PA") / payload)
    )
    start = 14 + 20 + 20
    host = field(d, "Host")
    assert host.byte_range == (start + 16, start + 16 + 22)
    assert field(d, "Method").byte_range == (start, start + 3)


def test_checksums_get_our_verdict():
    good = dissect(bytes(Ether(bytes(eth() / ip() / UDP(sport=1, dport=2) / b"hi"))))
    assert field(good, "IP.chksum").label.endswith("[correct]")
    assert field(good, "UDP.chksum").label.endswith("[correct]")
    frame = bytearray(bytes(eth() / ip() / ICMP()))
    frame[24:26] = b"\x12\x34"
    bad = dissect(bytes(frame))
    label = field(bad, "IP.chksum").label
    assert "[incorrect, should be 0x" in label
    correct = int(label.rsplit("0x", 1)[1].rstrip("]"), 16)
    frame[24:26] = correct.to_bytes(2, "big")
    assert field(dissect(bytes(frame)), "IP.chksum").label.endswith("[correct]")


def test_first_fragment_transport_checksum_is_unverified():
    first = bytes(
        eth()
        / IP(src="192.168.1.100", dst="172.194.72.105", flags="MF", proto=17)
        / UDP(sport=1, dport=2, len=3000)
        / bytes(100)
    )
    assert "[unverified:" in field(dissect(first), "UDP.chksum").label


@pytest.mark.parametrize("cut", [3, 13, 16, 30, 36])
def test_truncated_frames_say_where_decoding_stopped(cut):
    frame = bytes(eth() / ip() / ICMP() / b"abcdefgh")[:cut]
    d = dissect(frame)
    assert d.malformed(), "a truncated frame is malformed"
    for node, _ in d.walk():
        assert 0 <= node.start <= node.end <= len(frame) * 8


def test_a_frame_cut_short_is_malformed_where_the_bytes_end():
    frame = bytes(eth() / ip() / UDP(sport=5000, dport=53) / b"\x00\x01\x02")
    d = dissect(frame)  # a DNS message of 3 bytes: shorter than its 12-byte header
    malformed_layer = [n for n in d.nodes if n.kind == LAYER and "Malformed" in n.label]
    assert malformed_layer and malformed_layer[0].name == "DNS"
    ours = [n for n in d.nodes if n.kind == MALFORMED]
    assert ours and "shorter than the 12-byte header" in ours[0].label
    assert d.undecoded is None  # every byte there was decoded; the rest is missing


def test_undecoded_bytes_are_marked(capfd):
    header = bytes.fromhex("123401000001000000000000")
    looping_name = b"\xc0\x0c" + b"\x00\x01\x00\x01"  # a pointer to itself (RFC 1035 §4.1.4)
    frame = bytes(eth() / ip() / UDP(sport=5000, dport=53) / (header + looping_name))
    d = dissect(frame)
    ours = [n for n in d.nodes if n.kind == MALFORMED]
    assert ours and "compression pointer" in ours[0].label
    assert ours[0].byte_range == (54, 60)
    assert d.undecoded == (54, 60)
    assert "decompression loop" not in capfd.readouterr().err  # scapy kept quiet


def test_field_at_picks_the_smallest_field():
    d = dissect(bytes(eth() / ip(ttl=7) / ICMP()))
    assert d.field_at(22).name == "ttl"
    assert d.field_at(20).name == "flags"  # flags and frag share byte 20; flags is smaller
    assert d.field_at(0).name == "dst"
    assert d.field_at(10_000) is None


def test_frame_line_says_where_and_when():
    record = FrameRecord(7, 1.5, "lan", "pc", bytes(eth() / ip() / ICMP()))
    d = dissect_record(record)
    assert d.nodes[0].label == "Frame 7: 42 bytes (336 bits) on lan, sent by pc"
    assert d.nodes[0].byte_range == (0, 42)


def test_dissection_never_raises_on_nothing_at_all():
    d = dissect(b"")
    assert d.malformed()
    assert d.undecoded is None


def labels(frame) -> list[str]:
    return [node.label for node, _ in dissect(bytes(frame)).walk()]


def test_layer_lines_read_like_wiresharks():
    """Layer lines name the protocol and its addresses as Wireshark does, not scapy's summaries
    (`UDP 192.168.1.100:2077 > 8.8.8.8:dom`, `DNS Qry b'bogus!!.'`, `GET '/'`)."""
    query = (
        eth()
        / ip(dst="8.8.8.8")
        / UDP(sport=2077, dport=53)
        / DNS(id=1, qd=DNSQR(qname="bogus!!."))
    )
    shown = labels(query)
    top = [n.label for n in dissect(bytes(query)).nodes]
    assert top == [
        "Ethernet II, Src: 00:1b:21:3a:4f:64, Dst: 50:c7:bf:a1:00:01",
        "Internet Protocol Version 4, Src: 192.168.1.100, Dst: 8.8.8.8",
        "User Datagram Protocol, Src Port: 2077, Dst Port: 53",
        "Domain Name System (query)",
    ]
    assert "dport: 53 (domain)" in shown and "sport: 2077" in shown
    assert "type: 0x0800 (IPv4)" in shown and "proto: 17 (udp)" in shown
    assert "bogus!!.: type A, class IN" in shown and "qname: bogus!!." in shown
    assert not any("b'" in label for label in shown)

    get = (
        eth()
        / ip(dst="172.194.72.105")
        / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)
        / b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n"
    )
    top = [n.label for n in dissect(bytes(get)).nodes]
    assert top[2:] == [
        "Transmission Control Protocol, Src Port: 40000, Dst Port: 80, Seq: 1001, Ack: 5001, Len: 40",
        "Hypertext Transfer Protocol: GET / HTTP/1.1",
    ]
    shown = labels(get)
    assert "dport: 80 (http)" in shown
    assert any(label.endswith("flags: 0x018 (PSH, ACK)") for label in shown)

    answer = eth() / ip() / UDP(sport=53, dport=40000) / DNS(qr=1, qd=DNSQR(qname="a.b"))
    assert "Domain Name System (response)" in labels(answer)
    assert "Address Resolution Protocol (request)" in labels(
        eth() / ARP(psrc="192.168.1.100", pdst="192.168.1.1")
    )


def test_bytes_are_text_or_hex_never_python_reprs():
    binary = eth() / ip() / UDP(sport=5000, dport=5001) / b"\x00\x01\xffA"
    shown = labels(binary)
    assert "Data: 4 bytes" in shown and "load: 0001ff41" in shown
    printable = labels(eth() / ip() / UDP(sport=5000, dport=5001) / b"hello")
    assert "load: hello" in printable
    dhcp = labels(
        eth()
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=bytes.fromhex("001b213a4f64"), xid=0x1234)
        / DHCP(options=[("message-type", "discover"), "end"])
    )
    assert "chaddr: 00:1b:21:3a:4f:64" in dhcp and "sname: (64 zero bytes)" in dhcp
    assert "Dynamic Host Configuration Protocol (Discover)" in dhcp
    assert "message-type: 1 (Discover)" in dhcp
    assert not any("b'" in label or "\\x" in label for label in shown + printable + dhcp)
