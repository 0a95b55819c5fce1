"""The protocol model against tshark, frame by frame: the four columns, every declared field's
byte position (`tshark -T pdml`), and the values of common fields (`tshark -T fields -e …`).

The frames are the lab's own (ping, DNS, DHCP, browse, NTP, as `workbench run --pcap` writes
them) and scapy-built ones written with scapy's `wrpcap`: IPv6 with ICMPv6 echo and neighbour
discovery, MLDv2 behind a Hop-by-Hop header, Linux cooked captures (SLL and SLL2), NTP, an
offloaded 4,054-byte frame, a frame cut by its snaplen, an unknown ethertype, an ICMP error.
"""

from __future__ import annotations

import re
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6MLDMultAddrRec,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrHopByHop,
    RouterAlert,
)
from scapy.layers.l2 import ARP, CookedLinux, CookedLinuxV2, Ether
from scapy.layers.ntp import NTPHeader
from scapy.utils import wrpcap

from stack.proto import registry
from stack.proto.frame import dissect_frame
from tests.conftest import needs_tool
from workbench.dissect.tree import dissect, tree_of

A, B = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
TSHARK_OPTS = [
    "-o",
    "tcp.relative_sequence_numbers:FALSE",
    "-o",
    "tcp.analyze_sequence_numbers:FALSE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
    "-o",
    "ip.defragment:FALSE",
]


def ethernet_frames() -> list[bytes]:
    ll6 = "fe80::21b:21ff:fe3a:4f64"
    frames = [
        Ether(src=A, dst=B)
        / IPv6(src=ll6, dst="fe80::1")
        / ICMPv6EchoRequest(id=0x1234, seq=1, data=b"x" * 16),
        Ether(src=B, dst=A)
        / IPv6(src="fe80::1", dst=ll6, hlim=255)
        / ICMPv6EchoReply(id=0x1234, seq=1, data=b"x" * 16),
        Ether(src=A, dst="33:33:ff:00:00:01")
        / IPv6(src=ll6, dst="ff02::1:ff00:1", hlim=255)
        / ICMPv6ND_NS(tgt="fe80::1")
        / ICMPv6NDOptSrcLLAddr(lladdr=A),
        Ether(src=B, dst=A)
        / IPv6(src="fe80::1", dst=ll6, hlim=255)
        / ICMPv6ND_NA(tgt="fe80::1", R=1, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=B),
        Ether(src=A, dst="33:33:00:00:00:02")
        / IPv6(src=ll6, dst="ff02::2", hlim=255)
        / ICMPv6ND_RS()
        / ICMPv6NDOptSrcLLAddr(lladdr=A),
        Ether(src=B, dst="33:33:00:00:00:01")
        / IPv6(src="fe80::1", dst="ff02::1", hlim=255)
        / ICMPv6ND_RA(routerlifetime=1800)
        / ICMPv6NDOptSrcLLAddr(lladdr=B)
        / ICMPv6NDOptMTU(mtu=1500)
        / ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64),
        Ether(src=A, dst="33:33:00:00:00:16")
        / IPv6(src=ll6, dst="ff02::16", hlim=1)
        / IPv6ExtHdrHopByHop(options=[RouterAlert()])
        / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::fb")]),
        Ether(src=A, dst=B)
        / IPv6(src="2001:db8::100", dst="2001:db8::53")
        / UDP(sport=40001, dport=53)
        / DNS(id=0x77, rd=1, qd=DNSQR(qname="www.google.com", qtype="AAAA")),
        Ether(src=A, dst=B)
        / IP(src="192.168.1.100", dst="192.168.1.1")
        / UDP(sport=40123, dport=123)
        / NTPHeader(mode=3, version=4, sent=0),
        Ether(src=B, dst=A)
        / IP(src="192.168.1.1", dst="192.168.1.100")
        / UDP(sport=123, dport=40123)
        / NTPHeader(mode=4, version=4, stratum=2, id="10.0.0.2"),
        Ether(src=A, dst=B)
        / IP(src="192.168.1.100", dst="172.194.72.105", flags="DF")
        / TCP(sport=40000, dport=8080, flags="PA", seq=1000, ack=2000)
        / (b"y" * 4000),  # TSO: 4,054 bytes
        Ether(src=A, dst=B, type=0x88B5) / (b"\x01\x02\x03\x04" * 12),
        Ether(src=B, dst=A)
        / IP(src="172.194.72.105", dst="192.168.1.100")
        / ICMP(type=3, code=3)
        / IP(src="192.168.1.100", dst="172.194.72.105")
        / UDP(sport=40000, dport=33434)
        / b"probe",
        Ether(src=A, dst="ff:ff:ff:ff:ff:ff")
        / ARP(hwsrc=A, psrc="192.168.1.100", pdst="192.168.1.1"),
        Ether(src=A, dst=B)
        / IP(src="192.168.1.100", dst="172.194.72.105", ttl=63)
        / TCP(
            sport=40000,
            dport=80,
            flags="S",
            options=[
                ("MSS", 1460),
                ("SAckOK", b""),
                ("Timestamp", (10, 0)),
                ("NOP", None),
                ("WScale", 7),
            ],
        ),
        Ether(src=A, dst=B)
        / IP(src="192.168.1.100", dst="172.194.72.105")
        / TCP(sport=40000, dport=80, flags="PA", seq=1, ack=1)
        / b"GET /index.html HTTP/1.1\r\nHost: www.google.com\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n",
        # HTTP on a port nothing binds: Wireshark's heuristic (the first line ends with HTTP/1.x
        # or starts with it); a form and a JSON body, which tshark names in Info and column
        Ether(src=A, dst=B)
        / IP(src="192.168.1.100", dst="192.168.1.1")
        / TCP(sport=40002, dport=18080, flags="PA", seq=1, ack=1)
        / b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1",
        Ether(src=B, dst=A)
        / IP(src="192.168.1.1", dst="192.168.1.100")
        / TCP(sport=18080, dport=40002, flags="PA", seq=1, ack=97)
        / b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"a": 1}',
        Ether(src=A, dst=B)  # the first line is 8 bytes long: not HTTP to the heuristic
        / IP(src="192.168.1.100", dst="192.168.1.1")
        / TCP(sport=40004, dport=18081, flags="PA", seq=1, ack=1)
        / b"HTTP/1.1\r\n\r\n",
        Ether(src=B, dst=A)
        / IP(src="8.8.8.8", dst="192.168.1.100")
        / UDP(sport=53, dport=40000)
        / DNS(
            id=7,
            qr=1,
            aa=1,
            rd=1,
            qd=DNSQR(qname="mail.google.com"),
            an=DNSRR(rrname="mail.google.com", type="CNAME", rdata="www.google.com")
            / DNSRR(rrname="www.google.com", rdata="172.194.72.105", ttl=300),
        ),
        Ether(src=B, dst=A)
        / IP(src="192.168.1.1", dst="192.168.1.100")
        / UDP(sport=67, dport=68)
        / BOOTP(
            op=2,
            yiaddr="192.168.1.100",
            siaddr="192.168.1.1",
            chaddr=bytes.fromhex("001b213a4f64"),
            xid=0x3D1D,
        )
        / DHCP(
            options=[
                ("message-type", "offer"),
                ("server_id", "192.168.1.1"),
                ("lease_time", 3600),
                ("subnet_mask", "255.255.255.0"),
                ("router", "192.168.1.1"),
                ("name_server", "8.8.8.8"),
                "end",
            ]
        ),
    ]
    return [bytes(f) for f in frames]


def cooked_v1() -> list[bytes]:
    return [
        bytes(
            CookedLinux(
                pkttype=4,
                lladdrtype=1,
                lladdrlen=6,
                src=bytes.fromhex(A.replace(":", "")) + b"\0\0",
                proto=0x0800,
            )
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / UDP(sport=5353, dport=53)
            / DNS(id=1, qd=DNSQR(qname="a.example"))
        ),
        bytes(
            CookedLinux(pkttype=0, lladdrtype=772, lladdrlen=6, src=bytes(8), proto=0x86DD)
            / IPv6(src="::1", dst="::1")
            / ICMPv6EchoRequest(id=1, seq=2)
        ),
    ]


def cooked_v2() -> list[bytes]:
    return [
        bytes(
            CookedLinuxV2(
                proto=0x0800,
                ifindex=2,
                lladdrtype=1,
                pkttype=0,
                lladdrlen=6,
                src=bytes.fromhex(B.replace(":", "")) + b"\0\0",
            )
            / IP(src="10.0.0.2", dst="10.0.0.1")
            / TCP(sport=80, dport=40000, flags="SA", seq=5, ack=1)
        )
    ]


def write_truncated(path: Path, data: bytes, snaplen: int) -> None:
    """A classic pcap whose record keeps `snaplen` bytes of a longer frame (tcpdump -s)."""
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        out.write(struct.pack("<IIII", 1, 0, snaplen, len(data)) + data[:snaplen])


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> list[tuple[Path, int, list[tuple[bytes, int]]]]:
    """(pcap, link type, [(bytes captured, length on the wire)])."""
    tmp = tmp_path_factory.mktemp("model")
    out = []
    for name, linktype, frames in (
        ("eth", 1, ethernet_frames()),
        ("sll", 113, cooked_v1()),
        ("sll2", 276, cooked_v2()),
    ):
        path = tmp / f"{name}.pcap"
        wrpcap(str(path), frames, linktype=linktype)
        out.append((path, linktype, [(f, len(f)) for f in frames]))
    http = ethernet_frames()[15]
    cut = tmp / "cut.pcap"
    write_truncated(cut, http, 60)
    out.append((cut, 1, [(http[:60], len(http))]))
    lab = tmp / "lab.pcap"
    from tests.workbench.test_dissect_cli import workbench  # the CLI as a user runs it

    done = workbench(
        "run",
        "-q",
        "--do",
        "pc: ping 192.168.1.1 -c 1",
        "--do",
        "pc: browse http://www.google.com/",
        "--do",
        "pc: ntp 192.168.1.1",
        "--pcap",
        str(lab),
    )
    assert lab.exists(), done.stderr
    from workbench.dissect.capture import read_capture

    out.append((lab, 1, [(r.data, len(r.data)) for r in read_capture(str(lab))]))
    return out


def tshark(*args: str) -> str:
    return subprocess.run(
        ["tshark", *TSHARK_OPTS, *args], capture_output=True, text=True, timeout=120, check=True
    ).stdout


def ours(data: bytes, linktype: int, wire: int):
    return dissect_frame(data, linktype, wire_length=wire)


# What one frame alone cannot know: the frame that answers it, and the window scale the
# handshake set (the conversation's state, kept across frames, adds both).
_ACROSS_FRAMES = re.compile(r"\s*\((reply|request) in \d+\)|Win=\d+")
_VENDOR = re.compile(r"^[\w-]+_((?:[0-9a-f]{2}:){2}[0-9a-f]{2})$")


def _mac_tail(column: str) -> str:
    """A MAC column without the vendor name tshark's own table gives it (IntelCor_3a:4f:64)."""
    m = _VENDOR.match(column)
    return m.group(1) if m else column[-8:] if column.count(":") == 5 else column


@needs_tool("tshark")
def test_columns_equal_tsharks(captures):
    compared = 0
    for path, linktype, frames in captures:
        lines = tshark(
            "-r",
            str(path),
            "-T",
            "fields",
            "-e",
            "_ws.col.Protocol",
            "-e",
            "_ws.col.Source",
            "-e",
            "_ws.col.Destination",
            "-e",
            "_ws.col.Info",
        ).splitlines()
        assert len(lines) == len(frames), path
        for line, (data, wire) in zip(lines, frames, strict=True):
            protocol, source, destination, info = line.split("\t")
            row = ours(data, linktype, wire).row()
            assert row.protocol == protocol, (path.name, line)
            assert (_mac_tail(row.source), _mac_tail(row.destination)) == (
                _mac_tail(source),
                _mac_tail(destination),
            )
            if protocol.startswith("0x"):
                continue  # tshark names experimental ethertypes in Info its own way
            assert (
                _ACROSS_FRAMES.sub("", row.info).split() == _ACROSS_FRAMES.sub("", info).split()
            ), (path.name, line)
            compared += 1
    assert compared > 50, compared


def pdml_fields(path: Path) -> list[list[tuple[str, int, int, str]]]:
    """Per frame: (name, pos, size, showname) of every shown field, as tshark -T pdml has it."""
    root = ET.fromstring(tshark("-r", str(path), "-T", "pdml"))
    frames = []
    for packet in root.iter("packet"):
        found = []
        for proto in packet.findall("proto"):
            if proto.get("name") in ("geninfo", "frame"):
                continue
            for f in proto.iter("field"):
                if f.get("hide") == "yes" or not f.get("name") or f.get("size") in (None, "0"):
                    continue
                found.append(
                    (f.get("name"), int(f.get("pos")), int(f.get("size")), f.get("showname") or "")
                )
        frames.append(found)
    return frames


# Fields whose place tshark reckons differently, and why we keep ours.
PLACED_OTHERWISE = {
    "dns.count.labels",
    "dns.qry.name.len",  # tshark puts these generated counts on the name's bytes
    "tcp.options.wscale.multiplier",  # tshark: the shift byte; ours: a note without bytes
    "icmpv6.opt.src_linkaddr",
    "icmpv6.opt.target_linkaddr",  # hidden copies
    "http.content_length",  # tshark: on the header's value; ours: a note under the header
}


@needs_tool("tshark")
def test_every_declared_field_sits_where_tshark_puts_it(captures):
    vocabulary = registry.fields()
    checked = 0
    for path, linktype, frames in captures:
        for theirs, (data, wire) in zip(pdml_fields(path), frames, strict=True):
            tree = dissect_frame(data, linktype, wire_length=wire)
            mine = {(n.name, n.byte_range) for n, _ in tree_of(tree).walk()}
            for name, pos, size, showname in theirs:
                if name not in vocabulary or name in PLACED_OTHERWISE or pos + size > len(data):
                    continue
                assert (name, (pos, pos + size)) in mine, (path.name, name, pos, size, showname)
                checked += 1
    assert checked > 400, checked


# Labels exactly as Wireshark writes them (the rest say the same in our own words).
SAME_LABEL = {
    "ip.version",
    "ip.hdr_len",
    "ip.len",
    "ip.id",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.src",
    "ip.dst",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.push",
    "tcp.flags.fin",
    "tcp.window_size_value",
    "tcp.urgent_pointer",
    "tcp.options.mss_val",
    "tcp.options.timestamp.tsval",
    "eth.type",
    "arp.opcode",
    "arp.hw.type",
    "arp.proto.type",
    "arp.src.proto_ipv4",
    "arp.dst.proto_ipv4",
    "ipv6.version",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.nd.ns.target_address",
    "icmp.type",
    "icmp.code",
    "dns.id",
    "dns.count.queries",
    "dns.count.answers",
    "dns.qry.name",
    "dns.a",
    "dns.resp.name",
    "dns.cname",
    "dhcp.type",
    "dhcp.hw.len",
    "dhcp.id",
    "dhcp.ip.your",
    "dhcp.option.router",
    "dhcp.option.subnet_mask",
    "http.request.method",
    "http.request.uri",
    "ntp.stratum",
    "ntp.flags.vn",
    "ntp.flags.mode",
    "sll.pkttype",
    "sll.etype",
    "ip.dsfield.dscp",
    "ip.dsfield.ecn",
    "tcp.flags.str",
    "tcp.option_kind",
    "tcp.options.wscale.multiplier",
    "dns.qry.name.len",
    "dns.count.labels",
    "dns.resp.ttl",
    "dhcp.option.type",
    "dhcp.option.ip_address_lease_time",
    "http.response.code.desc",
    "http.content_length",
    "icmpv6.mldr.mar.multicast_address",
    "data.data",
    "ipv6.hopopts.len",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "ipv6.flow",
    "ipv6.tclass",
    "icmp.ident",
    "icmp.seq",
    "icmp.checksum.status",
}


@needs_tool("tshark")
def test_labels_read_as_wiresharks(captures):
    checked = 0
    for path, linktype, frames in captures:
        for theirs, (data, wire) in zip(pdml_fields(path), frames, strict=True):
            labels = {
                (n.name, n.label.strip("[]"))
                for n, _ in tree_of(dissect_frame(data, linktype, wire_length=wire)).walk()
            }
            for name, _pos, _size, showname in theirs:
                if name in SAME_LABEL:
                    assert (name, showname) in labels, (path.name, name, showname)
                    checked += 1
    assert checked > 150, checked


FIELDS = [
    "eth.src",
    "eth.dst",
    "eth.type",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.proto_ipv4",
    "ip.version",
    "ip.hdr_len",
    "ip.dsfield",
    "ip.len",
    "ip.id",
    "ip.flags",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.checksum",
    "ip.src",
    "ip.dst",
    "ip.addr",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.addr",
    "ipv6.flow",
    "icmp.type",
    "icmp.code",
    "icmp.checksum",
    "icmp.ident",
    "icmp.seq",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.checksum",
    "icmpv6.echo.identifier",
    "icmpv6.echo.sequence_number",
    "icmpv6.nd.ns.target_address",
    "icmpv6.nd.na.target_address",
    "icmpv6.nd.na.flag.s",
    "icmpv6.opt.linkaddr",
    "icmpv6.nd.ra.router_lifetime",
    "icmpv6.opt.prefix",
    "icmpv6.opt.mtu",
    "udp.srcport",
    "udp.dstport",
    "udp.port",
    "udp.length",
    "udp.checksum",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.port",
    "tcp.seq",
    "tcp.ack",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.push",
    "tcp.flags.fin",
    "tcp.flags.reset",
    "tcp.window_size_value",
    "tcp.checksum",
    "tcp.len",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.timestamp.tsval",
    "dns.id",
    "dns.flags.response",
    "dns.flags.opcode",
    "dns.flags.rcode",
    "dns.flags.recdesired",
    "dns.flags.authoritative",
    "dns.count.queries",
    "dns.count.answers",
    "dns.qry.name",
    "dns.qry.type",
    "dns.resp.name",
    "dns.resp.type",
    "dns.resp.ttl",
    "dns.a",
    "dns.cname",
    "dhcp.type",
    "dhcp.id",
    "dhcp.ip.your",
    "dhcp.ip.server",
    "dhcp.hw.mac_addr",
    "dhcp.option.dhcp",
    "dhcp.option.router",
    "dhcp.option.subnet_mask",
    "dhcp.option.domain_name_server",
    "dhcp.option.dhcp_server_id",
    "dhcp.option.ip_address_lease_time",
    "http.request.method",
    "http.request.uri",
    "http.request.version",
    "http.host",
    "http.user_agent",
    "http.response.code",
    "http.response.phrase",
    "http.content_type",
    "ntp.flags.li",
    "ntp.flags.vn",
    "ntp.flags.mode",
    "ntp.stratum",
    "ntp.ppoll",
    "ntp.refid",
    "sll.pkttype",
    "sll.hatype",
    "sll.halen",
    "sll.etype",
    "sll.src.eth",
]


@needs_tool("tshark")
def test_field_values_equal_tsharks(captures):
    vocabulary = registry.fields()
    assert len(FIELDS) >= 60
    checked = 0
    for path, linktype, frames in captures:
        args = [x for name in FIELDS for x in ("-e", name)]
        lines = tshark(
            "-r", str(path), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", *args
        ).splitlines()
        for line, (data, wire) in zip(lines, frames, strict=True):
            frame = ours(data, linktype, wire)
            for name, theirs in zip(FIELDS, line.split("\t"), strict=True):
                field = vocabulary[name]
                mine = ",".join(field.filter_text(v) for v in frame.values(name))
                assert mine == theirs, (path.name, name, mine, theirs)
                checked += bool(theirs)
    assert checked > 300, checked


def test_oversized_and_truncated_frames_are_dissected_and_marked():
    big = ethernet_frames()[10]
    assert len(big) > 1514
    tree = dissect(big)
    labels = [n.label for n, _ in tree.walk()]
    assert any("over Ethernet's 1,514" in label for label in labels)
    assert not tree.malformed() and tree.find("tcp.srcport") is not None
    http = ethernet_frames()[15]
    cut = dissect_frame(http[:60], wire_length=len(http))
    assert cut.row().protocol == "TCP"  # TCP's header is all there; HTTP's bytes are not
    assert cut.row().info.endswith(
        "Len=86[Packet size limited during capture]"
    )  # as tshark writes it
    labels = [n.label for n, _ in tree_of(cut).walk()]
    assert "[Packet size limited during capture: HTTP truncated]" in labels
    assert cut.values("http.request.method") == ("GET",)  # dissected as far as its bytes go
