"""Our wire codecs beside scapy's and dpkt's: microseconds to build and to parse the same whole
frames. scapy is what people craft with; dpkt is the fast pure-Python parser they pick when
scapy is too slow (`pip install -e ".[bench]"` installs it). Aims: ≥ 50× scapy, ≥ 3× dpkt.

    python benchmarks/codecs.py            # about five minutes
    python benchmarks/codecs.py --quick    # fewer repetitions, noisier

Fourteen frames the labs send: an ARP request, an ICMP echo
request (ping's 56 bytes of data), a TCP data segment with 1,000 bytes of payload (and the NOP,
NOP, timestamp options every Linux segment carries), a TCP SYN with the options Linux puts on
every SYN and SYN-ACK (MSS, SACK permitted, timestamps, NOP, window scale), a DNS query for www.google.com and its
response (one A record, whose name is a pointer back to the question's: scapy writes names in
full unless its `compress()` is called, so it is, and dpkt compresses as it packs), a plain UDP
datagram (`udp send 8.8.8.8:9 hello`), and a DHCP DISCOVER and OFFER as the dhcp lab's pc and
gw-a send them (342 bytes each: BOOTP's fixed part, the options, zeros after End). Added
2026-12-03: an ARP reply, an ICMP time exceeded for traceroute's first probe and a port
unreachable for that UDP datagram (each quoting the datagram's header and 8 bytes), and an
HTTP GET and a 200 response with a 400-byte page, each in one TCP segment (header fields in scapy's order, with the Content-Length
it adds to a request and a Date, since it adds one to a response). `--only TEXT` times the
frames whose name holds TEXT.

Build means every layer from field values, lengths and checksums computed, to the frame's bytes
(ours: `make`/`query` and `build` layer by layer; scapy: stack the layers and `bytes()`).
Parse means a full decode of every layer of those bytes (ours: `parse` layer by layer down to
the innermost; scapy: `Ether(frame)`, which dissects every layer; dpkt: `Ethernet(frame)`,
which unpacks down to the transport, plus `DNS(udp.data)`, `DHCP(udp.data)` or
`http.Request`/`Response(tcp.data)`; scapy's HTTP is asked for by name, `HTTP(tcp.load)`, as
binding it to port 80 would change how scapy dissects the TCP segment). Both sides must produce the
same bytes and read the same fields, or the script stops before it times anything.

What each side's parse leaves done: ours makes every field of every layer a value (MAC and
IPv4Address objects, TCP options as `TcpOption`s, DNS names as text) and keeps checksums as
read (verdicts are computed on request, by `checksum_ok`, on both sides); dpkt leaves
addresses and IP/TCP options as raw bytes. Of the datagram an ICMP error quotes, ours reads
what the stack reads (`quoted_header`: addresses and protocol; the echo's header, or the UDP
header's four numbers), scapy and dpkt decode the quoted IP header whole. Ours remembers
decoded addresses, Ethernet headers and IPv4 source–destination pairs in bounded memos (a link
repeats them frame after frame), and DHCP options by their bytes, each and all of a message's
together (a server sends the same ones to every client, the address it offers being in the
fixed part, and a client the same ones in each message it repeats; since 2026-12-03): parsing
one frame over and over, as here, always finds them there: a server's OFFERs and ACKs to
different clients would find all of them too, DISCOVERs from different clients (each with its
own client id) only option by option. A SYN's MSS option is remembered by its value, its
window scale made once for each of the 256 (a host puts the same ones on every SYN it sends;
since 2026-12-03). An HTTP head of up to 1,024 bytes that ours reads by its CRLF shortcut a
second time is remembered by its bytes (a client sends the same head each time it asks for the
same resource, a server the same head each time it answers it within the same second, its
Date's; since 2026-12-03): parsing one frame over and over always finds it, as a page
reloaded, an API polled or a load test would; a head read for the first time (another target,
another Date) is read afresh and its bytes kept, about 10% dearer than before the memo. A DNS
query's question (one question, no records) is remembered by the bytes after the header (a
stub resolver asks the same names again, a server hears the same questions from its clients;
since 2026-12-04): parsing one query over and over always finds it, a query for a name not
asked lately is read afresh. Building, ours remembers each HTTP header
field's checked line (a browser sends the same fields on every request, a server on every
response; since 2026-12-03), and each DNS name's uncompressed labels by its text (a client asks
the same names again, a server answers them; since 2026-12-03). A TCP segment, UDP datagram or
IPv4 packet `make` has just made, and a DHCP message `make` or `reply` has just made, keeps its
bytes (those of its options for DHCP) for the `build` that follows, as every sender calls
them: the last one made, held by identity, not a memo of repeats; the bytes are still worked
out from the fields for every frame, once, in `make`, which needs them for the checksum (or
for End's padding) anyway (since 2026-12-04).

Each figure is the best of several timeit runs (`autorange`, so each run lasts ≥ 0.2 s): the
best run is the one least disturbed by the rest of the machine. The runs are timed in CPU
seconds of this process (`time.process_time`), not wall-clock time, and the six figures of a
frame take turns run by run (ours, scapy, dpkt; build, then parse): on a shared machine a
wall-clock run also counts the time other processes held the core, and a burst of load
landing on one library's runs alone made single ratios swing by 2× between runs.
"""

from __future__ import annotations

import argparse
import platform
import socket
import struct
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install

import dpkt  # noqa: E402
from scapy import __version__ as scapy_version  # noqa: E402
from scapy.layers.dhcp import BOOTP  # noqa: E402
from scapy.layers.dhcp import DHCP as ScapyDHCP  # noqa: E402
from scapy.layers.dns import DNS as ScapyDNS  # noqa: E402
from scapy.layers.dns import DNSQR, DNSRR  # noqa: E402
from scapy.layers.http import HTTP as ScapyHTTP  # noqa: E402
from scapy.layers.http import HTTPRequest as ScapyHTTPRequest  # noqa: E402
from scapy.layers.http import HTTPResponse as ScapyHTTPResponse  # noqa: E402
from scapy.layers.inet import ICMP as ScapyICMP  # noqa: E402
from scapy.layers.inet import IP  # noqa: E402
from scapy.layers.inet import TCP as ScapyTCP  # noqa: E402
from scapy.layers.inet import UDP as ScapyUDP  # noqa: E402
from scapy.layers.l2 import ARP as ScapyARP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Padding, Raw, split_layers  # noqa: E402

from stack.transport.udp import quoted_header  # noqa: E402
from stack.wire import http  # noqa: E402
from stack.wire.arp import ARP  # noqa: E402
from stack.wire.dhcp import DHCP  # noqa: E402
from stack.wire.dns import DNS, Record  # noqa: E402
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, Ethernet  # noqa: E402
from stack.wire.icmp import ICMP, PORT_UNREACHABLE, TTL_EXCEEDED  # noqa: E402
from stack.wire.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, IPv4  # noqa: E402
from stack.wire.mac import BROADCAST, MAC  # noqa: E402
from stack.wire.tcp import ACK, PSH, SYN, TCP, TcpOption  # noqa: E402
from stack.wire.udp import UDP  # noqa: E402

# Importing scapy's HTTP binds it to TCP port 80, which would make scapy dissect the TCP
# segment's payload (a GET) as HTTP too: its HTTP cases ask for the layer by name instead.
split_layers(ScapyTCP, ScapyHTTP, sport=80)
split_layers(ScapyTCP, ScapyHTTP, dport=80)

# The default lab's pc, its gateway, the DNS server and the web server.
PC_MAC, GW_MAC = MAC("02:00:00:00:00:64"), MAC("02:00:00:00:00:01")
PC, GW = IPv4Address("192.168.1.100"), IPv4Address("192.168.1.1")
DNS_SERVER, WWW = IPv4Address("8.8.8.8"), IPv4Address("172.194.72.105")
PING_DATA = bytes(range(56))
HTTP_DATA = (b"GET / HTTP/1.1\r\nHost: www.google.com\r\n" + b"x" * 1000)[:1000]
ANY, ZERO_IP = IPv4Address("255.255.255.255"), IPv4Address("0.0.0.0")
MASK = IPv4Address("255.255.255.0")
XID = 0x041DC37F
# What the lab's DHCP client asks for (stack.wire.dhcp.DEFAULT_PARAMETERS).
PARAMETERS = (1, 3, 6, 15, 51, 54, 58, 59)


@dataclass
class Case:
    name: str
    ours_build: Callable[[], bytes]
    scapy_build: Callable[[], bytes]
    ours_parse: Callable[[bytes], object]
    scapy_parse: Callable[[bytes], object]
    same_fields: Callable[[object, object], bool]
    dpkt_build: Callable[[], bytes]
    dpkt_parse: Callable[[bytes], object]


def _a(ip: IPv4Address) -> bytes:
    return socket.inet_aton(str(ip))


def dpkt_arp() -> bytes:
    arp = dpkt.arp.ARP(op=1, sha=bytes(PC_MAC), spa=_a(PC), tha=bytes(6), tpa=_a(GW))
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(BROADCAST), src=bytes(PC_MAC), type=dpkt.ethernet.ETH_TYPE_ARP, data=arp
        )
    ) + bytes(18)


def dpkt_ping() -> bytes:
    icmp = dpkt.icmp.ICMP(
        type=8, code=0, data=dpkt.icmp.ICMP.Echo(id=0x1234, seq=1, data=PING_DATA)
    )
    ip = dpkt.ip.IP(src=_a(PC), dst=_a(DNS_SERVER), p=1, id=0x4D2, df=1, ttl=64, data=icmp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(GW_MAC), src=bytes(PC_MAC), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def dpkt_tcp() -> bytes:
    return _dpkt_segment(PC, WWW, 49152, 80, 1_000_001, 2_000_001, HTTP_DATA, 0x4D3)


def _dpkt_segment(src, dst, sport, dport, seq, ack, payload, ident) -> bytes:
    """A PSH/ACK segment with NOP, NOP, timestamps, pc's side or the server's."""
    opts = b"\x01\x01\x08\x0a" + (3_141_592).to_bytes(4, "big") + (2_718_281).to_bytes(4, "big")
    tcp = dpkt.tcp.TCP(
        sport=sport,
        dport=dport,
        seq=seq,
        ack=ack,
        flags=dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH,
        win=502,
        opts=opts,
        off=5 + len(opts) // 4,
        data=payload,
    )
    ip = dpkt.ip.IP(src=_a(src), dst=_a(dst), p=6, id=ident, df=1, ttl=64, data=tcp)
    dst_mac, src_mac = (GW_MAC, PC_MAC) if src == PC else (PC_MAC, GW_MAC)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(dst_mac), src=bytes(src_mac), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def dpkt_dns() -> bytes:
    query = dpkt.dns.DNS(
        id=0xBEEF, op=dpkt.dns.DNS_RD, qd=[dpkt.dns.DNS.Q(name="www.google.com", type=1, cls=1)]
    )
    data = bytes(query)
    udp = dpkt.udp.UDP(sport=50123, dport=53, ulen=8 + len(data), data=data)
    ip = dpkt.ip.IP(src=_a(PC), dst=_a(DNS_SERVER), p=17, id=0x4D4, ttl=64, data=udp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(GW_MAC), src=bytes(PC_MAC), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def dpkt_parse(frame: bytes):
    return dpkt.ethernet.Ethernet(frame)


def dpkt_parse_dns(frame: bytes):
    eth = dpkt.ethernet.Ethernet(frame)
    return dpkt.dns.DNS(eth.data.data.data)


# ARP request -----------------------------------------------------------------------------------


def ours_arp() -> bytes:
    arp = ARP.request(PC_MAC, PC, GW)
    return Ethernet.make(BROADCAST, PC_MAC, ETH_ARP, arp.build()).build()


def scapy_arp() -> bytes:
    # Padding to 60 bytes, as the frame goes on the wire (Ethernet.make pads; scapy leaves it).
    return bytes(
        Ether(dst="ff:ff:ff:ff:ff:ff", src=str(PC_MAC))
        / ScapyARP(op=1, hwsrc=str(PC_MAC), psrc=str(PC), pdst=str(GW))
        / Padding(load=bytes(18))
    )


def parse_arp(frame: bytes) -> ARP:
    return ARP.parse(Ethernet.parse(frame).payload)


def same_arp(ours: ARP, theirs) -> bool:
    arp = theirs[ScapyARP]
    return (str(ours.sender_mac), str(ours.sender_ip), str(ours.target_ip), ours.op) == (
        arp.hwsrc,
        arp.psrc,
        arp.pdst,
        arp.op,
    )


# ICMP echo request -----------------------------------------------------------------------------


def ours_ping() -> bytes:
    icmp = ICMP.echo_request(0x1234, 1, PING_DATA)
    ip = IPv4.make(PC, DNS_SERVER, PROTO_ICMP, icmp.build(), ident=0x4D2, df=True)
    return Ethernet.make(GW_MAC, PC_MAC, ETH_IPV4, ip.build()).build()


def scapy_ping() -> bytes:
    return bytes(
        Ether(dst=str(GW_MAC), src=str(PC_MAC))
        / IP(src=str(PC), dst=str(DNS_SERVER), id=0x4D2, flags="DF")
        / ScapyICMP(type=8, id=0x1234, seq=1)
        / Raw(PING_DATA)
    )


def parse_ping(frame: bytes) -> ICMP:
    return ICMP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload)


def same_ping(ours: ICMP, theirs) -> bool:
    icmp = theirs[ScapyICMP]
    return (ours.ident, ours.seq, ours.checksum, ours.payload) == (
        icmp.id,
        icmp.seq,
        icmp.chksum,
        icmp.load,
    )


# TCP segment with 1,000 bytes ------------------------------------------------------------------


def ours_tcp() -> bytes:
    tcp = TCP.make(
        PC,
        WWW,
        49152,
        80,
        seq=1_000_001,
        ack=2_000_001,
        flags=ACK | PSH,
        window=502,
        options=(TcpOption.nop(), TcpOption.nop(), TcpOption.timestamp(3_141_592, 2_718_281)),
        payload=HTTP_DATA,
    )
    ip = IPv4.make(PC, WWW, PROTO_TCP, tcp.build(), ident=0x4D3, df=True)
    return Ethernet.make(GW_MAC, PC_MAC, ETH_IPV4, ip.build()).build()


def scapy_tcp() -> bytes:
    return bytes(
        Ether(dst=str(GW_MAC), src=str(PC_MAC))
        / IP(src=str(PC), dst=str(WWW), id=0x4D3, flags="DF")
        / ScapyTCP(
            sport=49152,
            dport=80,
            seq=1_000_001,
            ack=2_000_001,
            flags="PA",
            window=502,
            options=[("NOP", None), ("NOP", None), ("Timestamp", (3_141_592, 2_718_281))],
        )
        / Raw(HTTP_DATA)
    )


def parse_tcp(frame: bytes) -> TCP:
    return TCP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload)


def same_tcp(ours: TCP, theirs) -> bool:
    tcp = theirs[ScapyTCP]
    return (ours.seq, ours.ack, ours.flags, ours.checksum, ours.timestamps, ours.payload) == (
        tcp.seq,
        tcp.ack,
        int(tcp.flags),
        tcp.chksum,
        tcp.options[2][1],
        tcp.load,
    )


# TCP SYN ---------------------------------------------------------------------------------------
# The options Linux puts on a SYN (MSS, SACK permitted, timestamps, NOP, window scale): the
# layout the parse's timestamp shortcut does not cover.

SYN_OPTIONS = (
    b"\x02\x04\x05\xb4\x04\x02\x08\x0a"
    + (3_141_592).to_bytes(4, "big")
    + bytes(4)
    + b"\x01\x03\x03\x07"
)


def ours_syn() -> bytes:
    tcp = TCP.make(
        PC,
        WWW,
        49152,
        80,
        seq=1_000_000,
        flags=SYN,
        window=64240,
        options=(
            TcpOption.mss(1460),
            TcpOption.sack_permitted(),
            TcpOption.timestamp(3_141_592, 0),
            TcpOption.nop(),
            TcpOption.wscale(7),
        ),
    )
    ip = IPv4.make(PC, WWW, PROTO_TCP, tcp.build(), ident=0x4D4, df=True)
    return Ethernet.make(GW_MAC, PC_MAC, ETH_IPV4, ip.build()).build()


def scapy_syn() -> bytes:
    return bytes(
        Ether(dst=str(GW_MAC), src=str(PC_MAC))
        / IP(src=str(PC), dst=str(WWW), id=0x4D4, flags="DF")
        / ScapyTCP(
            sport=49152,
            dport=80,
            seq=1_000_000,
            flags="S",
            window=64240,
            options=[
                ("MSS", 1460),
                ("SAckOK", b""),
                ("Timestamp", (3_141_592, 0)),
                ("NOP", None),
                ("WScale", 7),
            ],
        )
    )


def dpkt_syn() -> bytes:
    tcp = dpkt.tcp.TCP(
        sport=49152,
        dport=80,
        seq=1_000_000,
        flags=dpkt.tcp.TH_SYN,
        win=64240,
        opts=SYN_OPTIONS,
        off=5 + len(SYN_OPTIONS) // 4,
    )
    ip = dpkt.ip.IP(src=_a(PC), dst=_a(WWW), p=6, id=0x4D4, df=1, ttl=64, data=tcp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(GW_MAC), src=bytes(PC_MAC), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def same_syn(ours: TCP, theirs) -> bool:
    tcp = theirs[ScapyTCP]
    return (ours.seq, ours.flags, ours.checksum, ours.mss, ours.wscale, ours.sack_permitted) == (
        tcp.seq,
        int(tcp.flags),
        tcp.chksum,
        dict(tcp.options)["MSS"],
        dict(tcp.options)["WScale"],
        "SAckOK" in dict(tcp.options),
    )


# DNS query -------------------------------------------------------------------------------------


def ours_dns() -> bytes:
    query = DNS.query(0xBEEF, "www.google.com")
    udp = UDP.make(PC, DNS_SERVER, 50123, 53, query.build())
    ip = IPv4.make(PC, DNS_SERVER, PROTO_UDP, udp.build(), ident=0x4D4)
    return Ethernet.make(GW_MAC, PC_MAC, ETH_IPV4, ip.build()).build()


def scapy_dns() -> bytes:
    return bytes(
        Ether(dst=str(GW_MAC), src=str(PC_MAC))
        / IP(src=str(PC), dst=str(DNS_SERVER), id=0x4D4, flags=0)
        / ScapyUDP(sport=50123, dport=53)
        / ScapyDNS(id=0xBEEF, rd=1, qd=DNSQR(qname="www.google.com", qtype="A"))
    )


def parse_dns(frame: bytes) -> DNS:
    return DNS.parse(UDP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload).payload)


def same_dns(ours: DNS, theirs) -> bool:
    dns = theirs[ScapyDNS]
    question = dns.qd[0]
    return (ours.id, ours.rd, ours.questions[0].name, ours.questions[0].qtype) == (
        dns.id,
        bool(dns.rd),
        question.qname.decode().rstrip("."),
        question.qtype,
    )


# DNS response: the answer points back to the question's name -------------------------------


def ours_dns_response() -> bytes:
    query = DNS.query(0xBEEF, "www.google.com")
    answer = DNS.response(query, [Record.a("www.google.com", WWW)], aa=True, ra=False)
    udp = UDP.make(DNS_SERVER, PC, 53, 50123, answer.build())
    ip = IPv4.make(DNS_SERVER, PC, PROTO_UDP, udp.build(), ident=0x4D5)
    return Ethernet.make(PC_MAC, GW_MAC, ETH_IPV4, ip.build()).build()


def scapy_dns_response() -> bytes:
    # scapy writes names in full unless asked: `compress()` is how its users get the layout a
    # server sends (the answer's name a pointer to the question's).
    dns = ScapyDNS(
        id=0xBEEF,
        qr=1,
        aa=1,
        rd=1,
        ra=0,
        qd=DNSQR(qname="www.google.com", qtype="A"),
        an=DNSRR(rrname="www.google.com", type="A", ttl=300, rdata=str(WWW)),
    ).compress()
    return bytes(
        Ether(dst=str(PC_MAC), src=str(GW_MAC))
        / IP(src=str(DNS_SERVER), dst=str(PC), id=0x4D5, flags=0)
        / ScapyUDP(sport=53, dport=50123)
        / dns
    )


def dpkt_dns_response() -> bytes:
    # dpkt compresses names when it packs.
    response = dpkt.dns.DNS(
        id=0xBEEF,
        op=dpkt.dns.DNS_RD | dpkt.dns.DNS_AA,
        qd=[dpkt.dns.DNS.Q(name="www.google.com", type=1, cls=1)],
        an=[dpkt.dns.DNS.RR(name="www.google.com", type=1, cls=1, ttl=300, ip=_a(WWW))],
    )
    response.qr = dpkt.dns.DNS_R
    data = bytes(response)
    udp = dpkt.udp.UDP(sport=53, dport=50123, ulen=8 + len(data), data=data)
    ip = dpkt.ip.IP(src=_a(DNS_SERVER), dst=_a(PC), p=17, id=0x4D5, ttl=64, data=udp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(PC_MAC), src=bytes(GW_MAC), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def same_dns_response(ours: DNS, theirs) -> bool:
    dns = theirs[ScapyDNS]
    answer = dns.an[0]
    ours_answer = ours.answers[0]
    return (
        ours.id,
        ours.qr,
        ours.aa,
        ours.questions[0].name,
        ours_answer.name,
        ours_answer.ttl,
        str(ours_answer.data),
    ) == (
        dns.id,
        bool(dns.qr),
        bool(dns.aa),
        dns.qd[0].qname.decode().rstrip("."),
        answer.rrname.decode().rstrip("."),
        answer.ttl,
        answer.rdata,
    )


# A plain UDP datagram (`udp send 8.8.8.8:9 hello`) -------------------------------------------


def ours_udp() -> bytes:
    udp = UDP.make(PC, DNS_SERVER, 51411, 9, b"hello")
    ip = IPv4.make(PC, DNS_SERVER, PROTO_UDP, udp.build(), ident=0x4D6)
    return Ethernet.make(GW_MAC, PC_MAC, ETH_IPV4, ip.build()).build()


def scapy_udp() -> bytes:
    return bytes(
        Ether(dst=str(GW_MAC), src=str(PC_MAC))
        / IP(src=str(PC), dst=str(DNS_SERVER), id=0x4D6, flags=0)
        / ScapyUDP(sport=51411, dport=9)
        / Raw(b"hello")
        / Padding(load=bytes(13))
    )


def dpkt_udp() -> bytes:
    udp = dpkt.udp.UDP(sport=51411, dport=9, ulen=13, data=b"hello")
    ip = dpkt.ip.IP(src=_a(PC), dst=_a(DNS_SERVER), p=17, id=0x4D6, ttl=64, data=udp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(GW_MAC), src=bytes(PC_MAC), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    ) + bytes(13)


def parse_udp(frame: bytes) -> UDP:
    return UDP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload)


def same_udp(ours: UDP, theirs) -> bool:
    udp = theirs[ScapyUDP]
    return (ours.sport, ours.dport, ours.checksum, ours.payload) == (
        udp.sport,
        udp.dport,
        udp.chksum,
        udp.load,
    )


# DHCP DISCOVER and OFFER (as the dhcp lab's pc and gw-a send them) ---------------------------


def _ours_dhcp_frame(message: DHCP, src: IPv4Address, sport: int, dst_mac: MAC, src_mac: MAC):
    udp = UDP.make(src, ANY, sport, 67 if sport == 68 else 68, message.build())
    ip = IPv4.make(src, ANY, PROTO_UDP, udp.build(), ident=0x4D7)
    return Ethernet.make(dst_mac, src_mac, ETH_IPV4, ip.build()).build()


def ours_discover_message() -> DHCP:
    return DHCP.discover(PC_MAC, XID, hostname="pc")


DISCOVER = ours_discover_message()


def ours_dhcp_discover() -> bytes:
    return _ours_dhcp_frame(ours_discover_message(), ZERO_IP, 68, BROADCAST, PC_MAC)


def ours_dhcp_offer() -> bytes:
    offer = DHCP.offer(
        DISCOVER,
        PC,
        GW,
        lease_time=3600,
        subnet_mask=MASK,
        routers=(GW,),
        dns_servers=(DNS_SERVER,),
    )
    return _ours_dhcp_frame(offer, GW, 67, PC_MAC, GW_MAC)


def _scapy_dhcp_frame(bootp, options, src: IPv4Address, sport: int, dst_mac, src_mac) -> bytes:
    dhcp = ScapyDHCP(options=options)
    pad = 300 - 240 - len(bytes(dhcp))  # the zeros after End, up to BOOTP's 300 bytes
    return bytes(
        Ether(dst=str(dst_mac), src=str(src_mac))
        / IP(src=str(src), dst=str(ANY), id=0x4D7, flags=0)
        / ScapyUDP(sport=sport, dport=67 if sport == 68 else 68)
        / bootp
        / dhcp
        / Raw(bytes(pad))
    )


def scapy_dhcp_discover() -> bytes:
    return _scapy_dhcp_frame(
        BOOTP(op=1, xid=XID, chaddr=bytes(PC_MAC)),
        [
            ("message-type", "discover"),
            ("client_id", b"\x01" + bytes(PC_MAC)),
            ("hostname", b"pc"),
            ("param_req_list", list(PARAMETERS)),
            "end",
        ],
        ZERO_IP,
        68,
        BROADCAST,
        PC_MAC,
    )


def scapy_dhcp_offer() -> bytes:
    return _scapy_dhcp_frame(
        BOOTP(op=2, xid=XID, yiaddr=str(PC), chaddr=bytes(PC_MAC)),
        [
            ("message-type", "offer"),
            ("server_id", str(GW)),
            ("lease_time", 3600),
            ("renewal_time", 1800),
            ("rebinding_time", 3150),
            ("subnet_mask", str(MASK)),
            ("router", str(GW)),
            ("name_server", str(DNS_SERVER)),
            "end",
        ],
        GW,
        67,
        PC_MAC,
        GW_MAC,
    )


def _dpkt_dhcp_frame(message, src: IPv4Address, sport: int, dst_mac, src_mac) -> bytes:
    message.data = bytes(300 - len(message))  # the zeros after End
    data = bytes(message)
    udp = dpkt.udp.UDP(sport=sport, dport=67 if sport == 68 else 68, ulen=8 + len(data), data=data)
    ip = dpkt.ip.IP(src=_a(src), dst=_a(ANY), p=17, id=0x4D7, ttl=64, data=udp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(dst_mac), src=bytes(src_mac), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def dpkt_dhcp_discover() -> bytes:
    message = dpkt.dhcp.DHCP(
        op=dpkt.dhcp.DHCP_OP_REQUEST,
        xid=XID,
        chaddr=bytes(PC_MAC),
        opts=[
            (dpkt.dhcp.DHCP_OPT_MSGTYPE, bytes([dpkt.dhcp.DHCPDISCOVER])),
            (dpkt.dhcp.DHCP_OPT_CLIENT_ID, b"\x01" + bytes(PC_MAC)),
            (dpkt.dhcp.DHCP_OPT_HOSTNAME, b"pc"),
            (dpkt.dhcp.DHCP_OPT_PARAM_REQ, bytes(PARAMETERS)),
        ],
    )
    return _dpkt_dhcp_frame(message, ZERO_IP, 68, BROADCAST, PC_MAC)


def dpkt_dhcp_offer() -> bytes:
    message = dpkt.dhcp.DHCP(
        op=dpkt.dhcp.DHCP_OP_REPLY,
        xid=XID,
        yiaddr=int(PC),
        chaddr=bytes(PC_MAC),
        opts=[
            (dpkt.dhcp.DHCP_OPT_MSGTYPE, bytes([dpkt.dhcp.DHCPOFFER])),
            (dpkt.dhcp.DHCP_OPT_SERVER_ID, _a(GW)),
            (dpkt.dhcp.DHCP_OPT_LEASE_SEC, (3600).to_bytes(4, "big")),
            (dpkt.dhcp.DHCP_OPT_RENEWTIME, (1800).to_bytes(4, "big")),
            (dpkt.dhcp.DHCP_OPT_REBINDTIME, (3150).to_bytes(4, "big")),
            (dpkt.dhcp.DHCP_OPT_NETMASK, _a(MASK)),
            (dpkt.dhcp.DHCP_OPT_ROUTER, _a(GW)),
            (dpkt.dhcp.DHCP_OPT_DNS_SVRS, _a(DNS_SERVER)),
        ],
    )
    return _dpkt_dhcp_frame(message, GW, 67, PC_MAC, GW_MAC)


def parse_dhcp(frame: bytes) -> DHCP:
    return DHCP.parse(UDP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload).payload)


def dpkt_parse_dhcp(frame: bytes):
    eth = dpkt.ethernet.Ethernet(frame)
    return dpkt.dhcp.DHCP(eth.data.data.data)


def same_dhcp(ours: DHCP, theirs) -> bool:
    bootp, options = theirs[BOOTP], theirs[ScapyDHCP].options
    codes = [o.code for o in ours.options if o.code != 255]
    return (
        ours.op,
        ours.xid,
        bytes(ours.chaddr),
        str(ours.yiaddr),
        ours.message_type,
        len(codes),
    ) == (
        bootp.op,
        bootp.xid,
        bootp.chaddr[:6],
        bootp.yiaddr,
        options[0][1],
        len([o for o in options if isinstance(o, tuple)]),
    )


# ARP reply (the gateway answering pc's request) --------------------------------------------


def ours_arp_reply() -> bytes:
    arp = ARP.reply(GW_MAC, GW, PC_MAC, PC)
    return Ethernet.make(PC_MAC, GW_MAC, ETH_ARP, arp.build()).build()


def scapy_arp_reply() -> bytes:
    return bytes(
        Ether(dst=str(PC_MAC), src=str(GW_MAC))
        / ScapyARP(op=2, hwsrc=str(GW_MAC), psrc=str(GW), hwdst=str(PC_MAC), pdst=str(PC))
        / Padding(load=bytes(18))
    )


def dpkt_arp_reply() -> bytes:
    arp = dpkt.arp.ARP(op=2, sha=bytes(GW_MAC), spa=_a(GW), tha=bytes(PC_MAC), tpa=_a(PC))
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(PC_MAC), src=bytes(GW_MAC), type=dpkt.ethernet.ETH_TYPE_ARP, data=arp
        )
    ) + bytes(18)


def same_arp_reply(ours: ARP, theirs) -> bool:
    arp = theirs[ScapyARP]
    return same_arp(ours, theirs) and str(ours.target_mac) == arp.hwdst


# ICMP errors: the gateway's time exceeded for traceroute's first probe (an echo request with
# TTL 1, as `traceroute` in the labs sends it), and 8.8.8.8's port unreachable for the UDP
# datagram above. Each side is given the offending datagram's bytes, as a router holds them,
# and quotes its header and first 8 bytes of data.

PROBE = IPv4.make(
    PC, WWW, PROTO_ICMP, ICMP.echo_request(0x1234, 1, bytes(range(16, 48))).build(), ttl=1
).build()
DATAGRAM = IPv4.make(
    PC, DNS_SERVER, PROTO_UDP, UDP.make(PC, DNS_SERVER, 51411, 9, b"hello").build(), ident=0x4D6
).build()


def ours_time_exceeded() -> bytes:
    icmp = ICMP.time_exceeded(TTL_EXCEEDED, PROBE)
    ip = IPv4.make(GW, PC, PROTO_ICMP, icmp.build(), ident=0x4D8)
    return Ethernet.make(PC_MAC, GW_MAC, ETH_IPV4, ip.build()).build()


def ours_port_unreachable() -> bytes:
    icmp = ICMP.unreachable(PORT_UNREACHABLE, DATAGRAM)
    ip = IPv4.make(DNS_SERVER, PC, PROTO_ICMP, icmp.build(), ident=0x4D9)
    return Ethernet.make(PC_MAC, GW_MAC, ETH_IPV4, ip.build()).build()


_unpack_udp = struct.Struct("!HHHH").unpack_from


def _quote(datagram: bytes) -> bytes:
    return datagram[: (datagram[0] & 0x0F) * 4 + 8]


def _scapy_icmp_error(src, ident, icmp_type, code, datagram) -> bytes:
    return bytes(
        Ether(dst=str(PC_MAC), src=str(GW_MAC))
        / IP(src=str(src), dst=str(PC), id=ident, flags=0)
        / ScapyICMP(type=icmp_type, code=code)
        / Raw(_quote(datagram))
    )


def scapy_time_exceeded() -> bytes:
    return _scapy_icmp_error(GW, 0x4D8, 11, 0, PROBE)


def scapy_port_unreachable() -> bytes:
    return _scapy_icmp_error(DNS_SERVER, 0x4D9, 3, 3, DATAGRAM)


def _dpkt_icmp_error(src, ident, icmp_type, code, quote) -> bytes:
    icmp = dpkt.icmp.ICMP(type=icmp_type, code=code, data=quote)
    ip = dpkt.ip.IP(src=_a(src), dst=_a(PC), p=1, id=ident, ttl=64, data=icmp)
    return bytes(
        dpkt.ethernet.Ethernet(
            dst=bytes(PC_MAC), src=bytes(GW_MAC), type=dpkt.ethernet.ETH_TYPE_IP, data=ip
        )
    )


def dpkt_time_exceeded() -> bytes:
    quote = dpkt.icmp.ICMP.TimeExceed(data=_quote(PROBE))
    return _dpkt_icmp_error(GW, 0x4D8, 11, 0, quote)


def dpkt_port_unreachable() -> bytes:
    quote = dpkt.icmp.ICMP.Unreach(data=_quote(DATAGRAM))
    return _dpkt_icmp_error(DNS_SERVER, 0x4D9, 3, 3, quote)


def parse_icmp_error(frame: bytes):
    """The error, then what the stack reads of the datagram it quotes: its addresses and
    protocol (`quoted_header`, as UDP, TCP and traceroute read it) and its transport header."""
    icmp = ICMP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload)
    quoted = quoted_header(icmp)
    if quoted.proto == PROTO_ICMP:
        return icmp, quoted, ICMP.parse(quoted.payload)
    # A UDP header whose length counts the data not quoted: UDP.parse refuses it, so its four
    # fields as the stack reads the ports (stack.transport.udp).
    return icmp, quoted, _unpack_udp(quoted.payload)


def same_icmp_error(ours, theirs) -> bool:
    icmp, quoted, inner = ours
    error, quoted_ip = theirs[ScapyICMP], theirs["IP in ICMP"]
    scapy_inner = quoted_ip.payload
    ports = (inner.ident, inner.seq) if quoted.proto == PROTO_ICMP else inner[:2]
    theirs_ports = (
        (scapy_inner.id, scapy_inner.seq)
        if quoted.proto == PROTO_ICMP
        else (scapy_inner.sport, scapy_inner.dport)
    )
    return (icmp.type, icmp.code, icmp.checksum, str(quoted.src), str(quoted.dst), ports) == (
        error.type,
        error.code,
        error.chksum,
        quoted_ip.src,
        quoted_ip.dst,
        theirs_ports,
    )


def dpkt_parse_icmp_error(frame: bytes):
    # dpkt unpacks the quote down to its transport header (ICMP.Quote → IP → ICMP/UDP).
    return dpkt.ethernet.Ethernet(frame)


# HTTP: the labs' browser's GET and the web server's answer, each in one TCP segment ------------
# scapy writes its header fields in its own order (alphabetical) and adds Content-Length to a
# request and a Date to a response: ours and dpkt's are given the same fields in that order.

HTTP_REQUEST_HEADERS = (
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
    ("Content-Length", "0"),
    ("Host", "www.google.com"),
    ("User-Agent", "workbench-browse/0.1"),
)
PAGE = (
    b"<html><head><title>Google</title></head><body><h1>Google</h1><p>"
    + b"Search the world's information. " * 12
    + b"</p></body></html>\n"
)
HTTP_RESPONSE_HEADERS = (
    ("Connection", "keep-alive"),
    ("Content-Length", str(len(PAGE))),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Date", "Thu, 03 Dec 2026 06:00:00 GMT"),
    ("Server", "workbench-httpd/0.1"),
)


def _ours_http_frame(payload: bytes, response: bool) -> bytes:
    src, dst, sport, dport = (WWW, PC, 80, 49152) if response else (PC, WWW, 49152, 80)
    tcp = TCP.make(
        src,
        dst,
        sport,
        dport,
        seq=2_000_001 if response else 1_000_001,
        ack=1_000_001 if response else 2_000_001,
        flags=ACK | PSH,
        window=502,
        options=(TcpOption.nop(), TcpOption.nop(), TcpOption.timestamp(3_141_592, 2_718_281)),
        payload=payload,
    )
    ip = IPv4.make(src, dst, PROTO_TCP, tcp.build(), ident=0x4DA, df=True)
    macs = (PC_MAC, GW_MAC) if response else (GW_MAC, PC_MAC)
    return Ethernet.make(*macs, ETH_IPV4, ip.build()).build()


def ours_http_request() -> bytes:
    request = http.HTTPRequest("GET", "/", "HTTP/1.1", HTTP_REQUEST_HEADERS)
    return _ours_http_frame(request.build(), response=False)


def ours_http_response() -> bytes:
    response = http.HTTPResponse("HTTP/1.1", 200, "OK", HTTP_RESPONSE_HEADERS, PAGE)
    return _ours_http_frame(response.build(), response=True)


def _scapy_http_frame(message, response: bool) -> bytes:
    src, dst, sport, dport = (WWW, PC, 80, 49152) if response else (PC, WWW, 49152, 80)
    macs = (PC_MAC, GW_MAC) if response else (GW_MAC, PC_MAC)
    return bytes(
        Ether(dst=str(macs[0]), src=str(macs[1]))
        / IP(src=str(src), dst=str(dst), id=0x4DA, flags="DF")
        / ScapyTCP(
            sport=sport,
            dport=dport,
            seq=2_000_001 if response else 1_000_001,
            ack=1_000_001 if response else 2_000_001,
            flags="PA",
            window=502,
            options=[("NOP", None), ("NOP", None), ("Timestamp", (3_141_592, 2_718_281))],
        )
        / ScapyHTTP()
        / message
    )


def _scapy_fields(headers) -> dict[str, bytes]:
    """scapy's keyword for each header field: "User-Agent" is User_Agent."""
    return {name.replace("-", "_"): value.encode() for name, value in headers}


SCAPY_REQUEST_FIELDS = _scapy_fields(HTTP_REQUEST_HEADERS)
SCAPY_RESPONSE_FIELDS = _scapy_fields(HTTP_RESPONSE_HEADERS)


def scapy_http_request() -> bytes:
    request = ScapyHTTPRequest(
        Method=b"GET", Path=b"/", Http_Version=b"HTTP/1.1", **SCAPY_REQUEST_FIELDS
    )
    return _scapy_http_frame(request, response=False)


def scapy_http_response() -> bytes:
    response = ScapyHTTPResponse(
        Http_Version=b"HTTP/1.1", Status_Code=b"200", Reason_Phrase=b"OK", **SCAPY_RESPONSE_FIELDS
    )
    return _scapy_http_frame(response / Raw(PAGE), response=True)


def _dpkt_http_frame(payload: bytes, response: bool) -> bytes:
    if response:
        return _dpkt_segment(WWW, PC, 80, 49152, 2_000_001, 1_000_001, payload, 0x4DA)
    return _dpkt_segment(PC, WWW, 49152, 80, 1_000_001, 2_000_001, payload, 0x4DA)


def dpkt_http_request() -> bytes:
    request = dpkt.http.Request(
        method="GET", uri="/", version="1.1", headers=dict(HTTP_REQUEST_HEADERS)
    )
    return _dpkt_http_frame(bytes(request), response=False)


def dpkt_http_response() -> bytes:
    response = dpkt.http.Response(
        version="1.1", status="200", reason="OK", headers=dict(HTTP_RESPONSE_HEADERS), body=PAGE
    )
    return _dpkt_http_frame(bytes(response), response=True)


def parse_http(frame: bytes) -> http.Message:
    return http.parse(TCP.parse(IPv4.parse(Ethernet.parse(frame).payload).payload).payload)


def scapy_parse_http(frame: bytes):
    packet = Ether(frame)
    return ScapyHTTP(packet[Raw].load)


def dpkt_parse_http_request(frame: bytes):
    eth = dpkt.ethernet.Ethernet(frame)
    return dpkt.http.Request(eth.data.data.data)


def dpkt_parse_http_response(frame: bytes):
    eth = dpkt.ethernet.Ethernet(frame)
    return dpkt.http.Response(eth.data.data.data)


def same_http(ours: http.Message, theirs) -> bool:
    message = theirs.payload
    if isinstance(ours, http.HTTPRequest):
        start = (ours.method, ours.target, ours.header("Host")) == (
            message.Method.decode(),
            message.Path.decode(),
            message.Host.decode(),
        )
    else:
        start = (ours.status, ours.reason, ours.header("Content-Type")) == (
            int(message.Status_Code),
            message.Reason_Phrase.decode(),
            message.Content_Type.decode(),
        )
    return (
        start
        and ours.header("Content-Length") == message.Content_Length.decode()
        and ours.body == bytes(message.payload)
    )


CASES = [
    Case("ARP request", ours_arp, scapy_arp, parse_arp, Ether, same_arp, dpkt_arp, dpkt_parse),
    Case(
        "ICMP echo request",
        ours_ping,
        scapy_ping,
        parse_ping,
        Ether,
        same_ping,
        dpkt_ping,
        dpkt_parse,
    ),
    Case(
        "TCP segment, 1,000 B",
        ours_tcp,
        scapy_tcp,
        parse_tcp,
        Ether,
        same_tcp,
        dpkt_tcp,
        dpkt_parse,
    ),
    Case("TCP SYN", ours_syn, scapy_syn, parse_tcp, Ether, same_syn, dpkt_syn, dpkt_parse),
    Case("DNS query", ours_dns, scapy_dns, parse_dns, Ether, same_dns, dpkt_dns, dpkt_parse_dns),
    Case(
        "DNS response",
        ours_dns_response,
        scapy_dns_response,
        parse_dns,
        Ether,
        same_dns_response,
        dpkt_dns_response,
        dpkt_parse_dns,
    ),
    Case("UDP datagram", ours_udp, scapy_udp, parse_udp, Ether, same_udp, dpkt_udp, dpkt_parse),
    Case(
        "DHCP DISCOVER",
        ours_dhcp_discover,
        scapy_dhcp_discover,
        parse_dhcp,
        Ether,
        same_dhcp,
        dpkt_dhcp_discover,
        dpkt_parse_dhcp,
    ),
    Case(
        "DHCP OFFER",
        ours_dhcp_offer,
        scapy_dhcp_offer,
        parse_dhcp,
        Ether,
        same_dhcp,
        dpkt_dhcp_offer,
        dpkt_parse_dhcp,
    ),
    Case(
        "ARP reply",
        ours_arp_reply,
        scapy_arp_reply,
        parse_arp,
        Ether,
        same_arp_reply,
        dpkt_arp_reply,
        dpkt_parse,
    ),
    Case(
        "ICMP time exceeded",
        ours_time_exceeded,
        scapy_time_exceeded,
        parse_icmp_error,
        Ether,
        same_icmp_error,
        dpkt_time_exceeded,
        dpkt_parse_icmp_error,
    ),
    Case(
        "ICMP port unreachable",
        ours_port_unreachable,
        scapy_port_unreachable,
        parse_icmp_error,
        Ether,
        same_icmp_error,
        dpkt_port_unreachable,
        dpkt_parse_icmp_error,
    ),
    Case(
        "HTTP GET",
        ours_http_request,
        scapy_http_request,
        parse_http,
        scapy_parse_http,
        same_http,
        dpkt_http_request,
        dpkt_parse_http_request,
    ),
    Case(
        "HTTP 200 response",
        ours_http_response,
        scapy_http_response,
        parse_http,
        scapy_parse_http,
        same_http,
        dpkt_http_response,
        dpkt_parse_http_response,
    ),
]


def best_us(calls: list[Callable[[], object]], repeat: int) -> list[float]:
    """For each call, the best of `repeat` timeit runs in CPU µs per call, the calls taking turns."""
    timers = [timeit.Timer(call, timer=time.process_time) for call in calls]
    numbers = [timer.autorange()[0] for timer in timers]
    best = [float("inf")] * len(calls)
    for _ in range(repeat):
        for i, (timer, number) in enumerate(zip(timers, numbers, strict=True)):
            best[i] = min(best[i], timer.timeit(number) / number * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per figure instead of 7")
    parser.add_argument(
        "--only", metavar="TEXT", help="only the frames whose name holds TEXT (e.g. 'TCP')"
    )
    args = parser.parse_args()
    repeat = 3 if args.quick else 7

    print(
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}) on {platform.machine()}, "
        f"{platform.system()}; scapy {scapy_version}, dpkt {dpkt.__version__}; load average {__import__('os').getloadavg()[0]:.1f}"
    )
    print(
        f"best of {repeat} timeit runs per figure, taking turns; CPU µs per frame; × = how many times faster ours is\n"
    )

    rows = []
    for case in CASES:
        if args.only and args.only.lower() not in case.name.lower():
            continue
        frame = case.ours_build()
        theirs = case.scapy_build()
        if frame != theirs:
            sys.exit(
                f"{case.name}: our bytes differ from scapy's\n ours   {frame.hex()}\n scapy  {theirs.hex()}"
            )
        if case.dpkt_build() != frame:
            sys.exit(
                f"{case.name}: our bytes differ from dpkt's\n ours   {frame.hex()}\n dpkt   {case.dpkt_build().hex()}"
            )
        if not case.same_fields(case.ours_parse(frame), case.scapy_parse(frame)):
            sys.exit(f"{case.name}: our parse and scapy's dissection disagree")
        figures = best_us(
            [
                case.ours_build,
                case.scapy_build,
                lambda case=case, frame=frame: case.ours_parse(frame),
                lambda case=case, frame=frame: case.scapy_parse(frame),
                case.dpkt_build,
                lambda case=case, frame=frame: case.dpkt_parse(frame),
            ],
            repeat,
        )
        rows.append((case.name, len(frame), *figures))

    header = (
        f"{'frame':<22}{'bytes':>6}  │{'build: ours':>12}{'scapy':>8}{'×':>5}{'dpkt':>7}{'×':>6}"
        f"  │{'parse: ours':>12}{'scapy':>8}{'×':>5}{'dpkt':>7}{'×':>6}"
    )
    print(header)
    print("─" * len(header))
    for (
        name,
        size,
        build_ours,
        build_scapy,
        parse_ours,
        parse_scapy,
        build_dpkt,
        parse_dpkt,
    ) in rows:
        print(
            f"{name:<22}{size:>6}  │{build_ours:>12.2f}{build_scapy:>8.1f}{build_scapy / build_ours:>5.0f}{build_dpkt:>7.1f}{build_dpkt / build_ours:>6.1f}"
            f"  │{parse_ours:>12.2f}{parse_scapy:>8.1f}{parse_scapy / parse_ours:>5.0f}{parse_dpkt:>7.1f}{parse_dpkt / parse_ours:>6.1f}"
        )


if __name__ == "__main__":
    main()
