"""The display filter: what each expression keeps, Wireshark's semantics where they differ from
the obvious (`!=` means "no value equals", an absent field compares false), and one-sentence
errors that say where the text went wrong."""

from __future__ import annotations

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from stack.trace import FrameRecord
from workbench.dissect.filter import FilterError, compile_filter, filter_error

PC, GW, BC = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01", "ff:ff:ff:ff:ff:ff"
FRAMES = [
    Ether(src=PC, dst=BC) / ARP(hwsrc=PC, psrc="192.168.1.100", pdst="192.168.1.1"),  # 1
    Ether(src=PC, dst=GW) / IP(src="192.168.1.100", dst="192.168.1.1") / ICMP(id=0x41E, seq=1),  # 2
    Ether(src=GW, dst=PC)
    / IP(src="192.168.1.1", dst="192.168.1.100", ttl=255)
    / ICMP(type=0, id=0x41E, seq=1),  # 3
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="8.8.8.8")
    / UDP(sport=40000, dport=53)
    / DNS(id=7, qd=DNSQR(qname="www.google.com")),  # 4
    Ether(src=GW, dst=PC)
    / IP(src="8.8.8.8", dst="192.168.1.100")
    / UDP(sport=53, dport=40000)
    / DNS(
        id=7,
        qr=1,
        qd=DNSQR(qname="www.google.com"),
        an=DNSRR(rrname="www.google.com", rdata="172.194.72.105"),
    ),  # 5
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="172.194.72.105", flags="DF")
    / TCP(sport=40000, dport=80, flags="S"),  # 6
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="172.194.72.105")
    / TCP(sport=40000, dport=80, flags="PA")
    / b"GET /index.html HTTP/1.1\r\nHost: www.google.com\r\n\r\n",  # 7
    Ether(src=GW, dst=PC)
    / IP(src="172.194.72.105", dst="192.168.1.100")
    / TCP(sport=80, dport=40000, flags="PA")
    / b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",  # 8
    Ether(src=PC, dst=BC)
    / IP(src="0.0.0.0", dst="255.255.255.255")
    / UDP(sport=68, dport=67)
    / BOOTP(chaddr=bytes.fromhex("001b213a4f64"), xid=0xABCD)
    / DHCP(options=[("message-type", "discover"), "end"]),  # 9
]
RECORDS = [FrameRecord(i + 1, i * 0.5, "lan", "pc", bytes(f)) for i, f in enumerate(FRAMES)]
RECORDS.append(
    FrameRecord(10, 5.0, "wan", "gw-a", bytes(FRAMES[1])[:30])
)  # 10: cut short, malformed


def kept(text: str) -> list[int]:
    f = compile_filter(text)
    return [r.id for r in RECORDS if f.matches(r)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("arp", [1]),
        ("icmp", [2, 3]),
        ("ip", [2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ("udp", [4, 5, 9]),
        ("tcp", [6, 7, 8]),
        ("dns", [4, 5]),
        ("dhcp", [9]),
        ("bootp", [9]),
        ("http", [7, 8]),
        ("malformed", [10]),
        ("frame", list(range(1, 11))),
        ("not ip", [1]),
        ("!arp && !ip", []),
        ("host 192.168.1.1", [1, 2, 3]),
        ("host 8.8.8.8", [4, 5]),
        ("src host 192.168.1.1", [3]),
        ("dst host 192.168.1.1", [1, 2]),
        ("host 00:1b:21:3a:4f:64", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ("net 172.194.72.0/24", [6, 7, 8]),
        ("ip.addr == 192.168.1.1", [2, 3]),
        ("ip.src == 192.168.1.1", [3]),
        # 10: the fields its 16 header bytes hold, as tshark shows them (ip.src, not ip.dst)
        ("ip.addr == 192.168.1.0/24", [2, 3, 4, 5, 6, 7, 8, 10]),
        ("ip.dst != 192.168.1.100", [2, 4, 6, 7, 9]),  # absent fields compare false
        ("ip.addr != 192.168.1.100", [9]),  # all_ne: neither address may be it
        ("eth.addr == 50:c7:bf:a1:00:01", [2, 3, 4, 5, 6, 7, 8, 10]),
        ("eth.dst == ff-ff-ff-ff-ff-ff", [1, 9]),
        ("port 53", [4, 5]),
        ("port 80", [6, 7, 8]),
        ("tcp.port == 80", [6, 7, 8]),
        ("tcp.dstport == 80", [6, 7]),
        ("udp.port == 53", [4, 5]),
        ("udp.port == 80", []),
        ("tcp.port in {80 443}", [6, 7, 8]),
        ("udp.port in {60..70, 53}", [4, 5, 9]),
        ("tcp.flags.syn == 1", [6]),
        ("tcp.flags.syn", [6, 7, 8]),  # a field alone: present, as in Wireshark
        ("tcp.flags.push == true and tcp.flags.ack", [7, 8]),
        ("ip.ttl > 64", [3]),
        ("ip.ttl ge 64 and ip.ttl le 64", [2, 4, 5, 6, 7, 8, 9, 10]),
        ("ip.flags.df == 1", [6]),
        ("icmp.type == 8", [2]),
        ("icmp.seq == 1 && icmp.ident == 0x41e", [2, 3]),
        ('dns.qry.name == "www.google.com"', [4, 5]),
        ("dns.qry.name contains google", [4, 5]),
        ("dns.flags.response == 1", [5]),
        ("dns.a == 172.194.72.105", [5]),
        ("dns.id == 7 && dns.flags.response == 0", [4]),
        ("!dns.flags.response", [1, 2, 3, 6, 7, 8, 9, 10]),  # alone, a field means "present"
        ("dhcp.option.dhcp == 1", [9]),
        ("dhcp.id == 0xabcd", [9]),
        ("http.request", [7]),
        ("http.response.code == 404", [8]),
        ('http.request.method == "GET"', [7]),
        ('http.request.uri matches "^/index"', [7]),
        # a string's escapes, as Wireshark's: \xHH and \NNN bytes, \r \n, \" a quote
        ('http.request.uri == "\\x2findex.html"', [7]),
        ('http.request.uri == "\\057index.html"', [7]),
        ('http.host == "www.google\\x2ecom"', [7]),
        ('dns.qry.name == "www\\.google.com"', [4, 5]),
        ('http.request.uri == "\\x2findex.htm"', []),
        ("http.host == www.google.com", [7]),
        ("frame.len < 60", [1, 2, 3, 6, 10]),
        ("frame.number in {1..3}", [1, 2, 3]),
        ("frame.interface_name == wan", [10]),
        ("frame.time_relative > 4", [10]),
        ("(icmp or arp) and not host 192.168.1.100", []),
        ("icmp or arp and eth.dst == ff:ff:ff:ff:ff:ff", [1, 2, 3]),  # and binds tighter
        ("(icmp or arp) and eth.dst == ff:ff:ff:ff:ff:ff", [1]),
        ("TCP", [6, 7, 8]),
        # tcpdump/BPF primitives, as the filter bar's hint suggests them
        ("tcp port 80", [6, 7, 8]),
        ("udp port 53", [4, 5]),
        ("udp port 80", []),  # the qualifier restricts the port to UDP's
        ("tcp port 53", []),
        ("src port 80", [8]),
        ("dst port 53", [4]),
        ("tcp src port 80", [8]),
        ("tcp dst port 80", [6, 7]),
        ("udp src port 68", [9]),
        ("dst host 8.8.8.8", [4]),
        ("src 8.8.8.8", [5]),  # a direction alone means host
        ("ip host 192.168.1.1", [2, 3]),  # IP's addresses only, not ARP's
        ("arp host 192.168.1.1", [1]),
        ("icmp host 192.168.1.1", [2, 3]),  # no ICMP addresses: icmp and host
        ("udp net 8.8.8.0/24", [4, 5]),
        ("ether host 50:c7:bf:a1:00:01", [2, 3, 4, 5, 6, 7, 8, 10]),
        ("ether src 50:c7:bf:a1:00:01", [3, 5, 8]),
        ("ether dst ff:ff:ff:ff:ff:ff", [1, 9]),
        ("ether dst host ff:ff:ff:ff:ff:ff", [1, 9]),
        ("net 192.168.1.0/24", [1, 2, 3, 4, 5, 6, 7, 8, 10]),
        ("tcp port 80 and not src host 172.194.72.105", [6, 7]),
        ("not tcp port 80 and ip", [2, 3, 4, 5, 9, 10]),
        ("(udp port 53 or tcp port 80) and ip.src == 192.168.1.100", [4, 6, 7]),
        ("tcp and port 80", [6, 7, 8]),  # the Wireshark way still works
    ],
)
def test_what_each_filter_keeps(text, ids):
    assert kept(text) == ids


def test_frame_only_filters_do_not_decode():
    assert not compile_filter("frame.number > 3").needs_decode
    assert compile_filter("frame.number > 3 and arp").needs_decode


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ip.addr = 1.2.3.4", "use '==' to compare"),
        ("tcp.prot == 80", "did you mean tcp.port?"),
        ("ipv5", "unknown protocol or field 'ipv5' at column 1"),
        ("ip.addr == foo", "wants an IPv4 address"),
        ("(arp or icmp", "'(' at column 1 is never closed"),
        ("arp)", "unexpected ')' at column 4"),
        ("arp icmp", "expected 'and' or 'or' before 'icmp' at column 5"),
        ("ip == 1", "'ip' is a protocol, not a field"),
        ('dns.qry.name == "abc', "no closing quote"),
        ("host", "needs a value"),
        ("port 70000", "not between 0 and 65535"),
        ("tcp.port in {80", "never closed"),
        ("tcp.port in 80", "needs a set"),
        ("ip.addr < 10.0.0.0/8", "cannot compare with the network"),
        ("eth.addr > 1", "cannot order a MAC address"),
        ("ip.ttl contains 3", "works on text fields"),
        ("192.168.1.1", "needs a field before it"),
        ("and", "expected a protocol, field or '('"),
        ("not", "the filter ends"),
        ("tcp.port ==", "expected a value after '=='"),
        ("tcp.flags.syn == maybe", "is true or false"),
        ('dns.qry.name matches "("', "regular expression"),
        ("arp %", "unexpected character '%' at column 5"),
        ("(" * 100 + "arp" + ")" * 100, "nests deeper than"),
        ("host 10.0.0.0/8", "use net"),
        ("tcp port", "'port' at column 5 needs a value"),
        ("tcp port http", "wants a whole number"),
        ("ether port 80", "'ether' must be followed by host, src or dst"),
        ("ether src 1.2.3.4", "is not a MAC address"),
        ("src", "must be followed by host, port, net or an address"),
        ("src and arp", "must be followed by host, port, net or an address"),
        ("tcp ether host 00:1b:21:3a:4f:64", "cannot follow the protocol 'tcp'"),
        ("tcp port 80 udp", "expected 'and' or 'or' before 'udp' at column 13"),
    ],
)
def test_errors_are_one_sentence_that_says_where(text, words):
    with pytest.raises(FilterError) as caught:
        compile_filter(text)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and message[0].islower() or message[0] in "'(\""
    assert filter_error(text) == message


def test_empty_text_is_no_filter():
    assert filter_error("") is None and filter_error("   ") is None
    with pytest.raises(FilterError):
        compile_filter("")
