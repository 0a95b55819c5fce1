"""The dissector's field tree (from the protocol model): every field's bits against frames whose
layout we know by heart, under the filter name Wireshark gives it.

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
    assert field(d, "ip.ttl").byte_range == (22, 23)
    assert field(d, "ip.ttl").label == "Time to Live: 64"
    assert field(d, "ip.src").byte_range == (26, 30)
    assert field(d, "ip.dst").byte_range == (30, 34)
    assert field(d, "ip.checksum").byte_range == (24, 26)


def test_ipv4_bit_fields_are_exact_to_the_bit():
    d = dissect(bytes(eth() / ip(flags="DF", frag=0) / ICMP()))
    version, ihl = field(d, "ip.version"), field(d, "ip.hdr_len")
    assert (version.start, version.end) == (14 * 8, 14 * 8 + 4)
    assert (ihl.start, ihl.end) == (14 * 8 + 4, 15 * 8)
    assert ihl.label == ".... 0101 = Header Length: 20 bytes (5)"
    flags, frag = field(d, "ip.flags"), field(d, "ip.frag_offset")
    assert (flags.start, flags.end) == (20 * 8, 20 * 8 + 3)
    assert (frag.start, frag.end) == (20 * 8 + 3, 22 * 8)
    assert flags.byte_range == (20, 21)
    assert flags.label == "010. .... = Flags: 0x2, Don't fragment"
    assert field(d, "ip.flags.df").label == ".1.. .... = Don't fragment: Set"


def test_tcp_flags_and_options():
    frame = bytes(
        eth()
        / ip()
        / TCP(
            sport=40000, dport=80, flags="S", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]
        )
    )
    d = dissect(frame)
    flags = field(d, "tcp.flags")
    assert (flags.start, flags.end) == (46 * 8 + 4, 48 * 8)  # 12 bits: reserved, AE, CWR … FIN
    assert flags.label == "Flags: 0x002 (SYN)"  # as Wireshark labels it
    syn = field(d, "tcp.flags.syn")
    assert (syn.start, syn.end) == (47 * 8 + 6, 47 * 8 + 7)
    assert field(d, "tcp.dstport").byte_range == (36, 38)
    options = field(d, "tcp.options")
    assert options.byte_range == (54, 62)
    assert [c.byte_range for c in options.children][:3] == [(54, 58), (58, 59), (59, 62)]
    assert options.children[0].label == "TCP Option - Maximum segment size: 1460 bytes"
    assert field(d, "tcp.options.mss_val").byte_range == (56, 58)


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
    assert field(d, "dns.id").byte_range == (dns_start, dns_start + 2)
    opcode = field(d, "dns.flags.opcode")
    assert (opcode.start, opcode.end) == ((dns_start + 2) * 8 + 1, (dns_start + 2) * 8 + 5)
    qname = field(d, "dns.qry.name")
    assert qname.byte_range == (dns_start + 12, dns_start + 12 + 16)  # 3www6google3com0
    assert qname.label == "Name: www.google.com"
    rrname = field(d, "dns.resp.name")
    answer_start = dns_start + 12 + 16 + 4
    assert rrname.byte_range == (answer_start, answer_start + 2)  # a pointer to the question's name
    assert field(d, "dns.a").byte_range == (answer_start + 12, answer_start + 16)
    queries = next(n for n, _ in d.walk() if n.label == "Queries")
    assert queries.children[0].byte_range == (dns_start + 12, dns_start + 32)
    assert queries.children[0].label == "www.google.com: type A, class IN"


def test_arp_padding_and_dhcp_options():
    arp = dissect(
        bytes(
            Ether(src=PC, dst="ff:ff:ff:ff:ff:ff")
            / ARP(hwsrc=PC, psrc="192.168.1.100", pdst="192.168.1.1")
        )
        + bytes(18)
    )
    assert field(arp, "arp.dst.proto_ipv4").byte_range == (38, 42)
    assert [n.name for n in arp.nodes] == ["eth", "arp"]
    assert field(arp, "eth.padding").byte_range == (42, 60)
    dhcp = dissect(
        bytes(
            Ether(src=PC, dst="ff:ff:ff:ff:ff:ff")
            / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67)
            / BOOTP(chaddr=bytes.fromhex("001b213a4f64"), xid=0x1234)
            / DHCP(options=[("message-type", "discover"), ("hostname", "pc"), "end"])
        )
    )
    start = 14 + 20 + 8 + 236 + 4  # BOOTP's fixed part, then the magic cookie
    options = [n for n, _ in dhcp.walk() if n.name == "dhcp.option.type"]
    assert [c.byte_range for c in options] == [
        (start, start + 3),
        (start + 3, start + 7),
        (start + 7, start + 8),
    ]
    assert options[0].label == "Option: (53) DHCP Message Type (Discover)"


def test_http_lines_are_fields():
    payload = b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n"
    d = dissect(
        bytes(eth() / ip(dst="172.194.72.105") / TCP(sport=40000, dport=80, flags="PA") / payload)
    )
    start = 14 + 20 + 20
    host = field(d, "http.host")
    assert host.byte_range == (start + 16, start + 16 + 22)
    assert field(d, "http.request.method").byte_range == (start, start + 3)


def test_checksums_get_our_verdict():
    good = dissect(bytes(Ether(bytes(eth() / ip() / UDP(sport=1, dport=2) / b"hi"))))
    assert field(good, "ip.checksum").label.endswith("[correct]")
    assert field(good, "udp.checksum").label.endswith("[correct]")
    frame = bytearray(bytes(eth() / ip() / ICMP()))
    frame[24:26] = b"\x12\x34"
    bad = dissect(bytes(frame))
    label = field(bad, "ip.checksum").label
    assert "[incorrect, should be 0x" in label
    assert field(bad, "ip.checksum.status").label == "[Header checksum status: Bad]"  # as tshark
    correct = int(label.rsplit("0x", 1)[1].rstrip("]"), 16)
    frame[24:26] = correct.to_bytes(2, "big")
    assert field(dissect(bytes(frame)), "ip.checksum").label.endswith("[correct]")


def test_a_fragment_is_not_dissected_from_itself():
    first = bytes(
        eth()
        / IP(src="192.168.1.100", dst="172.194.72.105", flags="MF", proto=17)
        / UDP(sport=1, dport=2, len=3000)
        / bytes(100)
    )
    d = dissect(first)
    assert [n.name for n in d.nodes] == ["eth", "ip", "data"]  # as tshark: "Fragmented IP protocol"


@pytest.mark.parametrize("cut", [3, 13, 16, 30, 36])
def test_truncated_frames_say_where_decoding_stopped(cut):
    frame = bytes(eth() / ip() / ICMP() / b"abcdefgh")[:cut]
    d = dissect(frame)
    assert d.malformed(), "a frame whose bytes end inside a header is malformed"
    for node, _ in d.walk():
        assert 0 <= node.start <= node.end <= len(frame) * 8


def test_a_frame_cut_short_is_malformed_where_the_bytes_end():
    frame = bytes(eth() / ip() / UDP(sport=5000, dport=53) / b"\x00\x01\x02")
    d = dissect(frame)  # a DNS message of 3 bytes: shorter than its 12-byte header
    assert d.nodes[-1].name == "dns"
    ours = d.malformed()
    assert ours and "shorter than the 12-byte header" in ours[0].label
    assert d.undecoded is None  # every byte there was decoded; the rest is missing


def test_undecoded_bytes_are_marked():
    header = bytes.fromhex("123401000001000000000000")
    looping_name = b"\xc0\x0c" + b"\x00\x01\x00\x01"  # a pointer to itself (RFC 1035 §4.1.4)
    frame = bytes(eth() / ip() / UDP(sport=5000, dport=53) / (header + looping_name))
    d = dissect(frame)
    ours = d.malformed()
    assert ours and "compression pointer" in ours[0].label
    assert ours[0].byte_range == (54, 60)
    assert d.undecoded == (54, 60)


def test_field_at_picks_the_smallest_field():
    d = dissect(bytes(eth() / ip(ttl=7) / ICMP()))
    assert d.field_at(22).name == "ip.ttl"
    assert d.field_at(20).name.startswith(
        "ip.flags."
    )  # byte 20: flags, their bits, frag: a bit wins
    assert (
        d.field_at(0).name == "eth.ig"
    )  # byte 0: the destination's I/G and L/G bits, then the address
    assert d.field_at(10_000) is None


def test_frame_line_says_where_and_when():
    record = FrameRecord(7, 1.5, "lan", "pc", bytes(eth() / ip() / ICMP()))
    d = dissect_record(record)
    assert (
        d.nodes[0].label
        == "Frame 7: 42 bytes on wire (336 bits), 42 bytes captured (336 bits) on lan, sent by pc"
    )
    assert d.nodes[0].byte_range == (0, 42)
    assert field(d, "frame.number").label == "Frame Number: 7"


def test_dissection_never_raises_on_nothing_at_all():
    d = dissect(b"")
    assert d.malformed()
    assert d.undecoded is None


def labels(frame) -> list[str]:
    return [node.label for node, _ in dissect(bytes(frame)).walk()]


def test_layer_lines_read_like_wiresharks():
    query = (
        eth()
        / ip(dst="8.8.8.8")
        / UDP(sport=2077, dport=53)
        / DNS(id=1, qd=DNSQR(qname="bogus!!."))
    )
    shown = labels(query)
    top = [n.label for n in dissect(bytes(query)).nodes]
    assert top[0].startswith("Ethernet II, Src: ") and top[0].endswith("(50:c7:bf:a1:00:01)")
    assert top[1:] == [
        "Internet Protocol Version 4, Src: 192.168.1.100, Dst: 8.8.8.8",
        "User Datagram Protocol, Src Port: 2077, Dst Port: 53",
        "Domain Name System (query)",
    ]
    assert "Destination Port: 53" in shown and "Source Port: 2077" in shown
    assert "Type: IPv4 (0x0800)" in shown and "Protocol: UDP (17)" in shown
    assert "bogus!!: type A, class IN" in shown and "Name: bogus!!" in shown
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
        "Hypertext Transfer Protocol",
    ]
    shown = labels(get)
    assert "GET / HTTP/1.1\\r\\n" in shown
    assert any(label.endswith("Flags: 0x018 (PSH, ACK)") for label in shown)

    answer = eth() / ip() / UDP(sport=53, dport=40000) / DNS(qr=1, qd=DNSQR(qname="a.b"))
    assert "Domain Name System (response)" in labels(answer)
    assert "Address Resolution Protocol (request)" in labels(
        eth() / ARP(psrc="192.168.1.100", pdst="192.168.1.1")
    )


def test_bytes_are_text_or_hex_never_python_reprs():
    binary = eth() / ip() / UDP(sport=5000, dport=5001) / b"\x00\x01\xffA"
    shown = labels(binary)
    assert "Data (4 bytes)" in shown and "Data: 0001ff41" in shown
    dhcp = labels(
        eth()
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=bytes.fromhex("001b213a4f64"), xid=0x1234)
        / DHCP(options=[("message-type", "discover"), "end"])
    )
    assert any(
        label.endswith("(00:1b:21:3a:4f:64)") and label.startswith("Client MAC address: ")
        for label in dhcp
    )
    assert "Server host name not given" in dhcp
    assert "Dynamic Host Configuration Protocol (Discover)" in dhcp
    assert "DHCP: Discover (1)" in dhcp
    assert not any("b'" in label or "\\x" in label for label in shown + dhcp)
