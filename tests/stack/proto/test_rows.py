"""The protocol model's packet-list row: every layer of a frame, Wireshark's columns, and no exception
on any bytes. Frames are built by our own strict codecs; tshark is the oracle at the end."""

from __future__ import annotations

import struct
import subprocess
from ipaddress import IPv4Address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack.proto.frame import Frame, dissect_frame
from stack.wire import dhcp, dns, http
from stack.wire.arp import ARP
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, Ethernet
from stack.wire.icmp import ICMP, PORT_UNREACHABLE, TTL_EXCEEDED
from stack.wire.ipv4 import IPv4
from stack.wire.mac import BROADCAST, MAC
from stack.wire.tcp import ACK, FIN, PSH, SYN, TCP, TcpOption
from stack.wire.udp import UDP
from tests.conftest import needs_tool

PC_MAC = MAC("02:00:00:00:01:64")
GW_MAC = MAC("02:00:00:00:01:01")
PC = IPv4Address("192.168.1.100")
GW = IPv4Address("192.168.1.1")
DNS_IP = IPv4Address("8.8.8.8")
WWW = IPv4Address("172.194.72.105")
ANY = IPv4Address("0.0.0.0")
ALL = IPv4Address("255.255.255.255")


def frame(ethertype: int, payload: bytes, dst: MAC = GW_MAC, src: MAC = PC_MAC) -> bytes:
    return Ethernet.make(dst, src, ethertype, payload).build()


def ip_frame(src, dst, proto: int, payload: bytes, **kw) -> bytes:
    return frame(ETH_IPV4, IPv4.make(src, dst, proto, payload, **kw).build())


def udp_frame(src, dst, sport: int, dport: int, payload: bytes, **kw) -> bytes:
    return ip_frame(src, dst, 17, UDP.make(src, dst, sport, dport, payload).build(), **kw)


def tcp_frame(src, dst, sport: int, dport: int, **kw) -> bytes:
    return ip_frame(src, dst, 6, TCP.make(src, dst, sport, dport, **kw).build())


def summary(data: bytes) -> tuple[str, str, str, str]:
    row = dissect_frame(data).row()
    return (row.protocol, row.source, row.destination, row.info)


def info(data: bytes) -> str:
    return dissect_frame(data).row().info


def names(frame: Frame) -> list[str]:
    return [layer.protocol.name for layer in frame.layers]


# --- layers ---------------------------------------------------------------------------------


def test_dns_query_frame_has_every_layer_in_order_with_offsets():
    query = dns.DNS.query(0x1234, "www.google.com")
    f = dissect_frame(udp_frame(PC, DNS_IP, 40000, 53, query.build()))
    assert names(f) == ["eth", "ip", "udp", "dns"]
    assert [layer.start for layer in f.layers] == [0, 14, 34, 42]
    assert f.error is None
    assert f.values("udp.dstport") == (53,) and f.values("tcp.dstport") == ()
    assert f.values("dns.qry.name") == ("www.google.com",)


# --- ARP ------------------------------------------------------------------------------------


def test_arp_request_and_reply():
    s = summary(frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST))
    assert s == ("ARP", "02:00:00:00:01:64", "Broadcast", "Who has 192.168.1.1? Tell 192.168.1.100")
    s = summary(frame(ETH_ARP, ARP.reply(GW_MAC, GW, PC_MAC, PC).build(), dst=PC_MAC, src=GW_MAC))
    assert s == (
        "ARP",
        "02:00:00:00:01:01",
        "02:00:00:00:01:64",
        "192.168.1.1 is at 02:00:00:00:01:01",
    )


def test_arp_probe_announcement_and_gratuitous():
    probe = ARP.request(PC_MAC, ANY, PC)
    assert (
        info(frame(ETH_ARP, probe.build(), dst=BROADCAST)) == "Who has 192.168.1.100? (ARP Probe)"
    )
    announce = ARP.request(PC_MAC, PC, PC)
    assert (
        info(frame(ETH_ARP, announce.build(), dst=BROADCAST))
        == "ARP Announcement for 192.168.1.100"
    )
    gratuitous = ARP.reply(PC_MAC, PC, BROADCAST, PC)
    assert (
        info(frame(ETH_ARP, gratuitous.build(), dst=BROADCAST))
        == "Gratuitous ARP for 192.168.1.100 (Reply)"
    )


def test_arp_with_ethernet_padding_decodes():
    f = dissect_frame(frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build()))
    assert f.values("arp.dst.proto_ipv4") == (GW,)
    assert f.values("eth.padding") == (bytes(18),)


# --- ICMP and IPv4 --------------------------------------------------------------------------


def test_icmp_echo_request_and_reply():
    s = summary(ip_frame(PC, DNS_IP, 1, ICMP.echo_request(0x1234, 1, b"x" * 32).build()))
    assert s == (
        "ICMP",
        "192.168.1.100",
        "8.8.8.8",
        "Echo (ping) request  id=0x1234, seq=1/256, ttl=64",
    )
    request = ICMP.echo_request(0x1234, 7)
    assert info(ip_frame(DNS_IP, PC, 1, ICMP.echo_reply(request).build(), ttl=117)) == (
        "Echo (ping) reply    id=0x1234, seq=7/1792, ttl=117"
    )


def test_icmp_errors_quote_the_datagram():
    offending = IPv4.make(PC, WWW, 17, UDP.make(PC, WWW, 40000, 33434, b"").build()).build()
    data = ip_frame(WWW, PC, 1, ICMP.unreachable(PORT_UNREACHABLE, offending).build())
    assert summary(data)[1:] == (
        "172.194.72.105",
        "192.168.1.100",
        "Destination unreachable (Port unreachable)",
    )
    f = dissect_frame(data)
    assert f.values("ip.src") == (WWW, PC)  # the outer header, then the quoted one, as tshark
    assert f.values("udp.dstport") == (33434,) and f.has("udp")
    assert info(ip_frame(GW, PC, 1, ICMP.time_exceeded(TTL_EXCEEDED, offending).build())) == (
        "Time-to-live exceeded (Time to live exceeded in transit)"
    )


def test_fragments_are_fragmented_ip_protocol_as_tshark_says():
    big = ICMP.echo_request(1, 1, b"p" * 3000).build()
    s = summary(ip_frame(PC, WWW, 1, big[1480:2960], ident=0xABCD, mf=True, offset_bytes=1480))
    assert s == (
        "IPv4",
        "192.168.1.100",
        "172.194.72.105",
        "Fragmented IP protocol (proto=ICMP 1, off=1480, ID=abcd)",
    )
    first = UDP.make(PC, DNS_IP, 40000, 53, b"q" * 3000).build()
    f = dissect_frame(ip_frame(PC, DNS_IP, 17, first[:1480], ident=7, mf=True))
    assert names(f) == ["eth", "ip", "data"]  # reassembly (across frames) dissects the datagram
    assert f.row().info == "Fragmented IP protocol (proto=UDP 17, off=0, ID=0007)"


def test_unknown_ip_protocol_is_named_by_its_number():
    s = summary(ip_frame(PC, GW, 47, b"\x00" * 8))
    assert s[0] == "GRE" and "GRE 47" in s[3]


# --- UDP, TCP -------------------------------------------------------------------------------


def test_udp_other_port():
    assert info(udp_frame(PC, WWW, 40000, 9999, b"hello")) == "40000 → 9999 Len=5"


def test_tcp_handshake_and_flags():
    syn = tcp_frame(
        PC,
        WWW,
        40000,
        80,
        seq=0,
        flags=SYN,
        window=64240,
        options=(
            TcpOption.mss(1460),
            TcpOption.sack_permitted(),
            TcpOption.timestamp(10, 0),
            TcpOption.nop(),
            TcpOption.wscale(7),
        ),
    )
    assert summary(syn) == (
        "TCP",
        "192.168.1.100",
        "172.194.72.105",
        "40000 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=10 TSecr=0 WS=128",
    )
    synack = tcp_frame(WWW, PC, 80, 40000, seq=5000, ack=1, flags=SYN | ACK, window=65535)
    assert info(synack) == "80 → 40000 [SYN, ACK] Seq=5000 Ack=1 Win=65535 Len=0"
    fin = tcp_frame(PC, WWW, 40000, 80, seq=77, ack=5001, flags=FIN | ACK, window=502)
    assert info(fin) == "40000 → 80 [FIN, ACK] Seq=77 Ack=5001 Win=502 Len=0"


def test_tcp_data_on_other_ports_is_tcp():
    s = summary(
        tcp_frame(
            PC, WWW, 40000, 5001, seq=1, ack=1, flags=PSH | ACK, window=502, payload=b"x" * 100
        )
    )
    assert s[0] == "TCP" and s[3].endswith("Len=100")


# --- DNS ------------------------------------------------------------------------------------


def test_dns_query_and_response():
    query = dns.DNS.query(0x1234, "www.google.com")
    s = summary(udp_frame(PC, DNS_IP, 40000, 53, query.build()))
    assert s == ("DNS", "192.168.1.100", "8.8.8.8", "Standard query 0x1234 A www.google.com")
    answer = dns.DNS.response(query, [dns.Record.a("www.google.com", WWW)])
    s = summary(udp_frame(DNS_IP, PC, 53, 40000, answer.build()))
    assert s == (
        "DNS",
        "8.8.8.8",
        "192.168.1.100",
        "Standard query response 0x1234 A www.google.com A 172.194.72.105",
    )


def test_dns_cname_chain_and_nxdomain():
    query = dns.DNS.query(0x0001, "mail.example.com", dns.MX)
    answer = dns.DNS.response(
        query,
        [
            dns.Record.cname("mail.example.com", "mx.example.com"),
            dns.Record.mx("mx.example.com", 10, "smtp.example.com"),
        ],
    )
    f = dissect_frame(udp_frame(DNS_IP, PC, 53, 40000, answer.build()))
    assert (
        f.row().info
        == "Standard query response 0x0001 MX mail.example.com CNAME mx.example.com MX 10 smtp.example.com"
    )
    assert f.values("dns.cname") == ("mx.example.com",) and f.values("dns.mx.mail_exchange") == (
        "smtp.example.com",
    )
    missing = dns.DNS.response(dns.DNS.query(0x0002, "nope.example"), rcode=dns.NXDOMAIN)
    assert (
        info(udp_frame(DNS_IP, PC, 53, 40000, missing.build()))
        == "Standard query response 0x0002 No such name A nope.example"
    )


def test_dns_over_tcp_uses_the_length_prefix():
    query = dns.DNS.query(0x4321, "www.google.com", dns.AAAA)
    f = dissect_frame(
        tcp_frame(
            PC,
            DNS_IP,
            40001,
            53,
            seq=1,
            ack=1,
            flags=PSH | ACK,
            window=502,
            payload=query.build_tcp(),
        )
    )
    assert names(f)[-1] == "dns" and f.layers[-1].start == 14 + 20 + 20 + 2
    assert f.values("dns.length") == (len(query.build()),)
    assert f.row().info == "Standard query 0x4321 AAAA www.google.com"


def test_multicast_dns_uses_the_dns_fields():
    query = dns.DNS(0, (dns.Question("printer.local", dns.A),))
    f = dissect_frame(udp_frame(PC, IPv4Address("224.0.0.251"), 5353, 5353, query.build(), ttl=255))
    assert summary(f.data) == (
        "MDNS",
        "192.168.1.100",
        "224.0.0.251",
        'Standard query 0x0000 A printer.local, "QM" question',  # as tshark says it
    )
    assert f.has("mdns") and f.values("dns.qry.name") == ("printer.local",)


def test_malformed_dns_keeps_the_udp_layers():
    bad = dns.DNS.query(1, "www.google.com").build()[:20]
    f = dissect_frame(udp_frame(PC, DNS_IP, 40000, 53, bad))
    assert names(f) == ["eth", "ip", "udp", "dns"]
    f.layers[-1].items()
    assert f.layers[-1].error is not None
    assert f.values("dns.id") == (1,)  # the header is all there


# --- DHCP -----------------------------------------------------------------------------------


def test_dhcp_discover_offer():
    discover = dhcp.DHCP.discover(PC_MAC, 0x3D1D, hostname="pc")
    s = summary(udp_frame(ANY, ALL, 68, 67, discover.build(), ttl=64))
    assert s == ("DHCP", "0.0.0.0", "255.255.255.255", "DHCP Discover - Transaction ID 0x3d1d")
    offer = dhcp.DHCP.offer(
        discover,
        PC,
        GW,
        lease_time=3600,
        subnet_mask=IPv4Address("255.255.255.0"),
        routers=(GW,),
        dns_servers=(DNS_IP,),
    )
    f = dissect_frame(udp_frame(GW, PC, 67, 68, offer.build()))
    assert f.row().info == "DHCP Offer    - Transaction ID 0x3d1d"
    assert f.values("dhcp.option.router") == (GW,) and f.values("dhcp.ip.your") == (PC,)
    assert f.values("dhcp.option.ip_address_lease_time") == (3600,)


def test_bootp_without_options():
    plain = dhcp.DHCP(dhcp.BOOTREQUEST, 0xFEED, PC_MAC, magic=None)
    s = summary(udp_frame(ANY, ALL, 68, 67, plain.build()))
    assert s[0] == "BOOTP" and s[3] == "Boot Request - Transaction ID 0xfeed"


# --- HTTP -----------------------------------------------------------------------------------


def test_http_request_and_response():
    request = http.HTTPRequest.make(
        "GET", "/", host="www.google.com", headers=[("User-Agent", "workbench")]
    )
    f = dissect_frame(
        tcp_frame(
            PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=request.build()
        )
    )
    assert summary(f.data) == ("HTTP", "192.168.1.100", "172.194.72.105", "GET / HTTP/1.1")
    assert f.values("http.user_agent") == ("workbench",) and f.values("http.request.method") == (
        "GET",
    )
    response = http.HTTPResponse.make(
        200, b"<html>hi</html>", headers=[("Content-Type", "text/html")]
    )
    f = dissect_frame(
        tcp_frame(
            WWW,
            PC,
            80,
            40000,
            seq=1,
            ack=100,
            flags=PSH | ACK,
            window=502,
            payload=response.build(),
        )
    )
    assert f.row().info == "HTTP/1.1 200 OK  (text/html)"
    assert f.values("http.response.code") == (200,)


def test_http_on_8080_and_partial_message():
    response = http.HTTPResponse.make(200, b"z" * 4000)
    payload = response.build()[:1460]
    f = dissect_frame(
        tcp_frame(WWW, PC, 8080, 40000, seq=1, ack=1, flags=ACK, window=502, payload=payload)
    )
    assert f.values("http.response.code") == (200,)
    assert (
        f.row().info == f"HTTP/1.1 200 OK [partial message: 1460 of {len(response.build())} bytes]"
    )
    rest = response.build()[1460:2920]  # body only: TCP, from this frame alone
    assert (
        summary(
            tcp_frame(WWW, PC, 8080, 40000, seq=1461, ack=1, flags=ACK, window=502, payload=rest)
        )[0]
        == "TCP"
    )


# --- other link types, malformed frames ----------------------------------------------------


def test_8023_frames_are_named_by_llc():
    s = summary(frame(38, b"\x42\x42\x03" + bytes(43), dst=MAC("01:80:c2:00:00:00")))
    assert s[0] == "LLC"


def test_an_ip_length_past_the_frame_is_dissected_as_far_as_it_goes():
    good = bytearray(ip_frame(PC, DNS_IP, 1, ICMP.echo_request(1, 1).build()))
    good[16:18] = b"\x05\xdc"  # total length 1500 in a short frame: tshark dissects on, with a note
    f = dissect_frame(bytes(good))
    assert names(f)[:3] == ["eth", "ip", "icmp"]
    assert f.row().protocol == "ICMP"


def test_a_bogus_ip_header_is_malformed_where_it_says_so():
    bad = bytearray(ip_frame(PC, DNS_IP, 1, ICMP.echo_request(1, 1).build()))
    bad[14] = 0x44  # 16-byte header
    s = summary(bytes(bad))
    assert s[0] == "IPv4" and s[1] == "02:00:00:00:01:64"
    assert (
        s[3]
        == "[Malformed Packet: IPv4 ip.hdr_len at frame byte 14: Bogus IP header length (16, must be at least 20)]"
    )


def test_runt_frame():
    s = summary(b"\x01\x02\x03")
    assert s[0] == "Ethernet" and s[3].startswith("[Malformed Packet: Ethernet eth at frame byte 3")


def _sample_frames() -> list[bytes]:
    query = dns.DNS.query(0x1234, "www.google.com")
    discover = dhcp.DHCP.discover(PC_MAC, 0x3D1D, hostname="pc")
    return [
        frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST),
        ip_frame(PC, DNS_IP, 1, ICMP.echo_request(0x1234, 1, b"x" * 32).build()),
        udp_frame(PC, DNS_IP, 40000, 53, query.build()),
        udp_frame(
            DNS_IP,
            PC,
            53,
            40000,
            dns.DNS.response(query, [dns.Record.a("www.google.com", WWW)]).build(),
        ),
        udp_frame(ANY, ALL, 68, 67, discover.build()),
        udp_frame(
            GW, PC, 67, 68, dhcp.DHCP.ack(discover, PC, GW, lease_time=60, routers=(GW,)).build()
        ),
        tcp_frame(
            PC, WWW, 40000, 80, seq=0, flags=SYN, window=64240, options=(TcpOption.mss(1460),)
        ),
        tcp_frame(
            PC,
            WWW,
            40000,
            80,
            seq=1,
            ack=1,
            flags=PSH | ACK,
            window=502,
            payload=http.HTTPRequest.make("GET", "/", host="www.google.com").build(),
        ),
        tcp_frame(
            WWW,
            PC,
            80,
            40000,
            seq=1,
            ack=1,
            flags=PSH | ACK,
            window=502,
            payload=http.HTTPResponse.make(200, b"ok" * 50, chunked=True).build(),
        ),
        tcp_frame(
            PC,
            DNS_IP,
            40000,
            53,
            seq=1,
            ack=1,
            flags=PSH | ACK,
            window=502,
            payload=query.build_tcp(),
        ),
    ]


SAMPLES = _sample_frames()


def _check(data: bytes) -> None:
    f = dissect_frame(data)
    if f.error is not None:
        assert "cannot read" not in f.error.problem, f.error
    assert all(isinstance(x, str) for x in summary(data))
    for layer in f.all_layers():
        layer.items()
        assert layer.error is None or "cannot read" not in layer.error.problem, layer.error


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_every_truncation_of_a_valid_frame_decodes_without_raising(index):
    data = SAMPLES[index]
    full = dissect_frame(data)
    assert full.error is None, full.error
    for size in range(len(data)):
        _check(data[:size])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_corrupted_frames_never_raise(data, flips):
    buf = bytearray(data)
    for where, value in flips:
        buf[where % len(buf)] = value
    _check(bytes(buf))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data):
    _check(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([ETH_IPV4, ETH_ARP]), st.binary(max_size=120))
def test_random_payloads_never_raise(ethertype, payload):
    _check(frame(ethertype, payload))


def test_accepts_memoryview_and_bytearray():
    data = SAMPLES[2]
    assert summary(memoryview(data)) == summary(bytearray(data)) == summary(data)


# --- tshark as the oracle for the columns ----------------------------------------------------------


def _tshark_frames() -> list[tuple[bytes, str]]:
    """Frames whose four columns should match tshark's word for word."""
    query = dns.DNS.query(0x1234, "www.google.com")
    discover = dhcp.DHCP.discover(PC_MAC, 0x3D1D, hostname="pc")
    offending = IPv4.make(PC, WWW, 17, UDP.make(PC, WWW, 40000, 33434, b"").build()).build()
    big = ICMP.echo_request(1, 1, b"p" * 3000).build()
    mx = dns.DNS.response(
        dns.DNS.query(7, "mail.example.com", dns.MX),
        [
            dns.Record.cname("mail.example.com", "mx.example.com"),
            dns.Record.mx("mx.example.com", 10, "smtp.example.com"),
        ],
    )
    return [
        (frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST), "all"),
        (frame(ETH_ARP, ARP.reply(GW_MAC, GW, PC_MAC, PC).build(), dst=PC_MAC, src=GW_MAC), "all"),
        (frame(ETH_ARP, ARP.request(PC_MAC, ANY, PC).build(), dst=BROADCAST), "all"),
        (frame(ETH_ARP, ARP.request(PC_MAC, PC, PC).build(), dst=BROADCAST), "all"),
        (ip_frame(PC, DNS_IP, 1, ICMP.echo_request(0x1234, 1, b"x" * 32).build()), "all"),
        (ip_frame(WWW, PC, 1, ICMP.unreachable(PORT_UNREACHABLE, offending).build()), "all"),
        (ip_frame(GW, PC, 1, ICMP.time_exceeded(TTL_EXCEEDED, offending).build()), "all"),
        (ip_frame(PC, WWW, 1, big[1480:2960], ident=0xABCD, mf=True, offset_bytes=1480), "all"),
        (udp_frame(PC, WWW, 40000, 9999, b"hello"), "all"),
        (udp_frame(PC, DNS_IP, 40000, 53, query.build()), "all"),
        (
            udp_frame(
                DNS_IP,
                PC,
                53,
                40000,
                dns.DNS.response(query, [dns.Record.a("www.google.com", WWW)]).build(),
            ),
            "all",
        ),
        (udp_frame(DNS_IP, PC, 53, 40000, mx.build()), "all"),
        (
            udp_frame(
                DNS_IP,
                PC,
                53,
                40000,
                dns.DNS.response(dns.DNS.query(2, "nope.example"), rcode=dns.NXDOMAIN).build(),
            ),
            "all",
        ),
        (
            udp_frame(
                PC,
                DNS_IP,
                40000,
                53,
                dns.DNS.query(9, "105.72.194.172.in-addr.arpa", dns.PTR).build(),
            ),
            "all",
        ),
        (udp_frame(ANY, ALL, 68, 67, discover.build()), "all"),
        (
            udp_frame(GW, PC, 67, 68, dhcp.DHCP.offer(discover, PC, GW, lease_time=60).build()),
            "all",
        ),
        (
            udp_frame(
                ANY,
                ALL,
                68,
                67,
                dhcp.DHCP.request(PC_MAC, 0x3D1D, requested_ip=PC, server_id=GW).build(),
            ),
            "all",
        ),
        (udp_frame(GW, PC, 67, 68, dhcp.DHCP.ack(discover, PC, GW, lease_time=60).build()), "all"),
        (
            tcp_frame(
                PC,
                WWW,
                40000,
                80,
                seq=0,
                flags=SYN,
                window=64240,
                options=(
                    TcpOption.mss(1460),
                    TcpOption.sack_permitted(),
                    TcpOption.timestamp(10, 0),
                    TcpOption.nop(),
                    TcpOption.wscale(7),
                ),
            ),
            "all",
        ),
        (tcp_frame(WWW, PC, 80, 40000, seq=5000, ack=1, flags=SYN | ACK, window=65535), "all"),
        (tcp_frame(PC, WWW, 40000, 80, seq=77, ack=5001, flags=FIN | ACK, window=502), "all"),
        (
            tcp_frame(
                PC,
                WWW,
                40000,
                80,
                seq=1,
                ack=1,
                flags=PSH | ACK,
                window=502,
                payload=http.HTTPRequest.make("GET", "/", host="www.google.com").build(),
            ),
            "all",
        ),
        (
            tcp_frame(
                WWW,
                PC,
                80,
                40000,
                seq=1,
                ack=1,
                flags=PSH | ACK,
                window=502,
                payload=http.HTTPResponse.make(404, b"no").build(),
            ),
            "all",
        ),
    ]


@needs_tool("tshark")
def test_columns_match_tshark(tmp_path):
    frames = _tshark_frames()
    pcap = tmp_path / "frames.pcap"
    with pcap.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (data, _) in enumerate(frames):
            out.write(struct.pack("<IIII", i, 0, len(data), len(data)) + data)
    run = subprocess.run(
        [
            "tshark",
            "-r",
            str(pcap),
            "-o",
            "tcp.relative_sequence_numbers:FALSE",
            "-o",
            "tcp.desegment_tcp_streams:FALSE",
            "-o",
            "tcp.analyze_sequence_numbers:FALSE",
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
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = run.stdout.splitlines()
    assert len(rows) == len(frames)
    for row, (data, _match) in zip(rows, frames, strict=True):
        protocol, source, destination, info = row.split("\t")
        ours = summary(data)
        assert ours[:3] == (protocol, source, destination), row
        assert ours[3] == info.rstrip(), row
