"""The seed's story as scapy-built frames, shared by the packet-list and dissector tests:
ARP for the gateway, a DNS query and answer, the TCP handshake and GET, a ping, an ICMP error
and a DHCP DISCOVER."""

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

PC, GW, BC = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01", "ff:ff:ff:ff:ff:ff"
STORY = [
    Ether(src=PC, dst=BC) / ARP(hwsrc=PC, psrc="192.168.1.100", pdst="192.168.1.1"),
    Ether(src=GW, dst=PC) / ARP(op=2, hwsrc=GW, psrc="192.168.1.1", hwdst=PC, pdst="192.168.1.100"),
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="8.8.8.8")
    / UDP(sport=40000, dport=53)
    / DNS(id=0x6894, qd=DNSQR(qname="www.google.com")),
    Ether(src=GW, dst=PC)
    / IP(src="8.8.8.8", dst="192.168.1.100")
    / UDP(sport=53, dport=40000)
    / DNS(
        id=0x6894,
        qr=1,
        qd=DNSQR(qname="www.google.com"),
        an=DNSRR(rrname="www.google.com", rdata="172.194.72.105"),
    ),
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="172.194.72.105")
    / TCP(sport=51411, dport=80, flags="S", seq=1000, options=[("MSS", 1460)]),
    Ether(src=GW, dst=PC)
    / IP(src="172.194.72.105", dst="192.168.1.100")
    / TCP(sport=80, dport=51411, flags="SA", seq=5000, ack=1001),
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="172.194.72.105")
    / TCP(sport=51411, dport=80, flags="PA", seq=1001, ack=5001)
    / b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n",
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="192.168.1.1")
    / ICMP(id=0x41E, seq=1)
    / bytes(56),
    Ether(src=GW, dst=PC)
    / IP(src="192.168.1.1", dst="192.168.1.100")
    / ICMP(type=11)
    / IP(src="192.168.1.100", dst="8.8.8.8", ttl=1)
    / UDP(sport=33434, dport=33435),
    Ether(src=PC, dst=BC)
    / IP(src="0.0.0.0", dst="255.255.255.255")
    / UDP(sport=68, dport=67)
    / BOOTP(chaddr=bytes.fromhex("001b213a4f64"), xid=0x1234)
    / DHCP(options=[("message-type", "discover"), "end"]),
]

# Indexes into STORY, for tests that take a few.
DNS_QUERY, DNS_ANSWER, SYN, GET, DHCP_DISCOVER = 2, 3, 4, 6, len(STORY) - 1
