"""decode: every layer of a frame, one Wireshark-style line, and no exception on any bytes."""

from __future__ import annotations

import re
import struct
import subprocess
from ipaddress import IPv4Address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack.wire import dhcp, dns, http
from stack.wire.arp import ARP
from stack.wire.decode import Decoded, Summary, decode
from stack.wire.errors import WireError
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


def summary(data: bytes) -> Summary:
    return decode(data).summary()


# --- layers ---------------------------------------------------------------------------------


def test_dns_query_frame_has_every_layer_in_order_with_offsets():
    query = dns.DNS.query(0x1234, "www.google.com")
    d = decode(udp_frame(PC, DNS_IP, 40000, 53, query.build()))
    assert [type(layer) for layer in d.layers] == [Ethernet, IPv4, UDP, dns.DNS]
    assert d.layers[-1] == query
    assert d.offsets == (0, 14, 34, 42)
    assert d.error is None and d.error_offset is None
    assert d.find(UDP).dport == 53 and d.find(TCP) is None


def test_decoded_is_a_frozen_value():
    d = decode(frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST))
    assert isinstance(d, Decoded)
    with pytest.raises(AttributeError):
        d.layers = ()  # type: ignore[misc]


# --- ARP ------------------------------------------------------------------------------------


def test_arp_request_and_reply():
    s = summary(frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST))
    assert s == Summary("ARP", "02:00:00:00:01:64", "Broadcast", "Who has 192.168.1.1? Tell 192.168.1.100")
    s = summary(frame(ETH_ARP, ARP.reply(GW_MAC, GW, PC_MAC, PC).build(), dst=PC_MAC, src=GW_MAC))
    assert s == Summary("ARP", "02:00:00:00:01:01", "02:00:00:00:01:64", "192.168.1.1 is at 02:00:00:00:01:01")


def test_arp_probe_announcement_and_gratuitous():
    probe = ARP.request(PC_MAC, ANY, PC)
    assert summary(frame(ETH_ARP, probe.build(), dst=BROADCAST)).info == "Who has 192.168.1.100? (ARP Probe)"
    announce = ARP.request(PC_MAC, PC, PC)
    assert summary(frame(ETH_ARP, announce.build(), dst=BROADCAST)).info == "ARP Announcement for 192.168.1.100"
    gratuitous = ARP.reply(PC_MAC, PC, BROADCAST, PC)
    assert summary(frame(ETH_ARP, gratuitous.build(), dst=BROADCAST)).info == "Gratuitous ARP for 192.168.1.100 (Reply)"


def test_arp_with_ethernet_padding_decodes():
    d = decode(frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build()))
    assert len(d.layers[0].payload) == 46 and d.layers[1].target_ip == GW


# --- ICMP and IPv4 --------------------------------------------------------------------------


def test_icmp_echo_request_and_reply():
    s = summary(ip_frame(PC, DNS_IP, 1, ICMP.echo_request(0x1234, 1, b"x" * 32).build()))
    assert s == Summary("ICMP", "192.168.1.100", "8.8.8.8", "Echo (ping) request id=0x1234, seq=1, ttl=64")
    request = ICMP.echo_request(0x1234, 7)
    s = summary(ip_frame(DNS_IP, PC, 1, ICMP.echo_reply(request).build(), ttl=117))
    assert s.info == "Echo (ping) reply id=0x1234, seq=7, ttl=117"


def test_icmp_errors():
    offending = IPv4.make(PC, WWW, 17, UDP.make(PC, WWW, 40000, 33434, b"").build()).build()
    s = summary(ip_frame(WWW, PC, 1, ICMP.unreachable(PORT_UNREACHABLE, offending).build()))
    assert s.info == "Destination unreachable (Port unreachable)"
    s = summary(ip_frame(GW, PC, 1, ICMP.time_exceeded(TTL_EXCEEDED, offending).build()))
    assert s.info == "Time-to-live exceeded (Time to live exceeded in transit)"


def test_later_fragment_is_ipv4_with_wireshark_text():
    big = ICMP.echo_request(1, 1, b"p" * 3000).build()
    s = summary(ip_frame(PC, WWW, 1, big[1480:2960], ident=0xABCD, mf=True, offset_bytes=1480))
    assert s == Summary("IPv4", "192.168.1.100", "172.194.72.105", "Fragmented IP protocol (proto=ICMP 1, off=1480, ID=abcd)")
    d = decode(ip_frame(PC, WWW, 1, big[2960:], ident=0xABCD, offset_bytes=2960))
    assert [type(x) for x in d.layers] == [Ethernet, IPv4] and d.error is None


def test_first_fragment_shows_transport_and_says_fragment():
    big = UDP.make(PC, DNS_IP, 40000, 53, b"q" * 3000).build()
    d = decode(ip_frame(PC, DNS_IP, 17, big[:1480], ident=7, mf=True))
    assert [type(x) for x in d.layers] == [Ethernet, IPv4, UDP]  # no DNS: most of it is elsewhere
    assert d.summary().info == "40000 → 53 Len=3000 [fragment]"
    segment = TCP.make(PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=b"GET / HTTP/1.1\r\n" * 300).build()
    s = summary(ip_frame(PC, WWW, 6, segment[:1480], ident=8, mf=True))
    assert s.protocol == "TCP" and s.info.endswith("Len=1460 [fragment]")
    ping = ICMP.echo_request(1, 2, b"p" * 3000).build()
    assert summary(ip_frame(PC, WWW, 1, ping[:1480], mf=True)).info.endswith("[fragment]")


def test_unknown_ip_protocol_stops_at_ipv4():
    s = summary(ip_frame(PC, GW, 47, b"\x00" * 8))
    assert s.protocol == "IPv4" and "GRE 47" in s.info


# --- UDP, TCP -------------------------------------------------------------------------------


def test_udp_other_port():
    assert summary(udp_frame(PC, WWW, 40000, 9999, b"hello")).info == "40000 → 9999 Len=5"


def test_tcp_handshake_and_flags():
    syn = tcp_frame(
        PC, WWW, 40000, 80, seq=0, flags=SYN, window=64240,
        options=(TcpOption.mss(1460), TcpOption.sack_permitted(), TcpOption.timestamp(10, 0), TcpOption.nop(), TcpOption.wscale(7)),
    )
    assert summary(syn) == Summary(
        "TCP", "192.168.1.100", "172.194.72.105",
        "40000 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=10 TSecr=0 WS=128",
    )
    synack = tcp_frame(WWW, PC, 80, 40000, seq=5000, ack=1, flags=SYN | ACK, window=65535)
    assert summary(synack).info == "80 → 40000 [SYN, ACK] Seq=5000 Ack=1 Win=65535 Len=0"
    fin = tcp_frame(PC, WWW, 40000, 80, seq=77, ack=5001, flags=FIN | ACK, window=502)
    assert summary(fin).info == "40000 → 80 [FIN, ACK] Seq=77 Ack=5001 Win=502 Len=0"


def test_tcp_data_on_other_ports_is_tcp():
    s = summary(tcp_frame(PC, WWW, 40000, 5001, seq=1, ack=1, flags=PSH | ACK, window=502, payload=b"x" * 100))
    assert s.protocol == "TCP" and s.info.endswith("Len=100")


# --- DNS ------------------------------------------------------------------------------------


def test_dns_query_and_response():
    query = dns.DNS.query(0x1234, "www.google.com")
    s = summary(udp_frame(PC, DNS_IP, 40000, 53, query.build()))
    assert s == Summary("DNS", "192.168.1.100", "8.8.8.8", "Standard query 0x1234 A www.google.com")
    answer = dns.DNS.response(query, [dns.Record.a("www.google.com", WWW)])
    s = summary(udp_frame(DNS_IP, PC, 53, 40000, answer.build()))
    assert s == Summary("DNS", "8.8.8.8", "192.168.1.100", "Standard query response 0x1234 A www.google.com A 172.194.72.105")


def test_dns_cname_chain_and_nxdomain():
    query = dns.DNS.query(0x0001, "mail.example.com", dns.MX)
    answer = dns.DNS.response(query, [
        dns.Record.cname("mail.example.com", "mx.example.com"), dns.Record.mx("mx.example.com", 10, "smtp.example.com"),
    ])
    s = summary(udp_frame(DNS_IP, PC, 53, 40000, answer.build()))
    assert s.info == "Standard query response 0x0001 MX mail.example.com CNAME mx.example.com MX 10 smtp.example.com"
    missing = dns.DNS.response(dns.DNS.query(0x0002, "nope.example"), rcode=dns.NXDOMAIN)
    assert summary(udp_frame(DNS_IP, PC, 53, 40000, missing.build())).info == "Standard query response 0x0002 No such name A nope.example"


def test_dns_over_tcp_uses_the_length_prefix():
    query = dns.DNS.query(0x4321, "www.google.com", dns.AAAA)
    d = decode(tcp_frame(PC, DNS_IP, 40001, 53, seq=1, ack=1, flags=PSH | ACK, window=502, payload=query.build_tcp()))
    assert d.layers[-1] == query and d.offsets[-1] == 14 + 20 + 20 + 2
    assert d.summary().info == "Standard query 0x4321 AAAA www.google.com"
    # Only half the message in this segment: TCP is as far as one frame goes.
    d = decode(tcp_frame(PC, DNS_IP, 40001, 53, seq=1, ack=1, flags=ACK, window=502, payload=query.build_tcp()[:10]))
    assert type(d.layers[-1]) is TCP and d.error is None


def test_multicast_dns_uses_the_dns_codec():
    query = dns.DNS(0, (dns.Question("printer.local", dns.A),))
    s = summary(udp_frame(PC, IPv4Address("224.0.0.251"), 5353, 5353, query.build(), ttl=255))
    assert s == Summary("MDNS", "192.168.1.100", "224.0.0.251", "Standard query 0x0000 A printer.local")


def test_malformed_dns_keeps_the_udp_layers():
    bad = dns.DNS.query(1, "www.google.com").build()[:20]
    d = decode(udp_frame(PC, DNS_IP, 40000, 53, bad))
    assert [type(x) for x in d.layers] == [Ethernet, IPv4, UDP]
    assert d.error is not None and d.error.layer == "dns"
    s = d.summary()
    assert s.protocol == "DNS" and s.info.startswith("[Malformed Packet: dns name at frame byte ")
    assert d.error_offset == 42 + d.error.offset


# --- DHCP -----------------------------------------------------------------------------------


def test_dhcp_discover_offer():
    discover = dhcp.DHCP.discover(PC_MAC, 0x3D1D, hostname="pc")
    s = summary(udp_frame(ANY, ALL, 68, 67, discover.build(), ttl=64))
    assert s == Summary("DHCP", "0.0.0.0", "255.255.255.255", "DHCP Discover - Transaction ID 0x3d1d")
    offer = dhcp.DHCP.offer(discover, PC, GW, lease_time=3600, subnet_mask=IPv4Address("255.255.255.0"), routers=(GW,), dns_servers=(DNS_IP,))
    d = decode(udp_frame(GW, PC, 67, 68, offer.build()))
    assert d.layers[-1] == offer
    assert d.summary().info == "DHCP Offer    - Transaction ID 0x3d1d"


def test_bootp_without_options():
    plain = dhcp.DHCP(dhcp.BOOTREQUEST, 0xFEED, PC_MAC, magic=None)
    s = summary(udp_frame(ANY, ALL, 68, 67, plain.build()))
    assert s.protocol == "BOOTP" and s.info == "Boot Request - Transaction ID 0xfeed"


# --- HTTP -----------------------------------------------------------------------------------


def test_http_request_and_response():
    request = http.HTTPRequest.make("GET", "/", host="www.google.com", headers=[("User-Agent", "workbench")])
    d = decode(tcp_frame(PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=request.build()))
    assert d.layers[-1] == request
    assert d.summary() == Summary("HTTP", "192.168.1.100", "172.194.72.105", "GET / HTTP/1.1")
    response = http.HTTPResponse.make(200, b"<html>hi</html>", headers=[("Content-Type", "text/html")])
    d = decode(tcp_frame(WWW, PC, 80, 40000, seq=1, ack=100, flags=PSH | ACK, window=502, payload=response.build()))
    assert d.layers[-1] == response and d.summary().info == "HTTP/1.1 200 OK"


def test_http_on_8080_and_partial_message():
    response = http.HTTPResponse.make(200, b"z" * 4000)
    payload = response.build()[:1460]
    d = decode(tcp_frame(WWW, PC, 8080, 40000, seq=1, ack=1, flags=ACK, window=502, payload=payload))
    assert isinstance(d.layers[-1], http.HTTPResponse) and d.layers[-1].status == 200
    assert d.summary().info == f"HTTP/1.1 200 OK [partial message: 1460 of {len(response.build())} bytes]"
    # The next segment is body only: it is TCP.
    rest = response.build()[1460:2920]
    assert summary(tcp_frame(WWW, PC, 8080, 40000, seq=1461, ack=1, flags=ACK, window=502, payload=rest)).protocol == "TCP"


def test_http_pipelined_requests_show_the_first():
    one = http.HTTPRequest.make("GET", "/a", host="h")
    two = http.HTTPRequest.make("GET", "/b", host="h")
    d = decode(tcp_frame(PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=one.build() + two.build()))
    assert d.layers[-1] == one


def test_malformed_http_head():
    payload = b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"
    s = summary(tcp_frame(PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=payload))
    assert s.protocol == "HTTP" and s.info.startswith("[Malformed Packet: http header at frame byte 70")


# --- other link types, malformed frames ----------------------------------------------------


def test_ipv6_and_8023_frames_are_named_not_decoded():
    s = summary(frame(0x86DD, b"\x60" + bytes(60), dst=MAC("33:33:00:00:00:01")))
    assert s.protocol == "IPv6" and s.destination == "33:33:00:00:00:01"
    s = summary(frame(38, b"\x42\x42\x03" + bytes(43), dst=MAC("01:80:c2:00:00:00")))
    assert s.protocol == "LLC"


def test_malformed_ipv4_summary_names_layer_field_and_offset():
    good = bytearray(ip_frame(PC, DNS_IP, 1, ICMP.echo_request(1, 1).build()))
    good[16:18] = b"\x05\xdc"  # total length 1500 in a short frame
    d = decode(bytes(good))
    assert [type(x) for x in d.layers] == [Ethernet]
    assert d.error == d.error and d.error.field == "total_length"
    assert d.error_offset == 16
    s = d.summary()
    assert s.protocol == "IPv4" and s.source == "02:00:00:00:01:64"
    assert s.info == "[Malformed Packet: ipv4 total_length at frame byte 16: total length 1500 runs past the 46 bytes received]"


def test_runt_frame():
    d = decode(b"\x01\x02\x03")
    assert d.layers == () and d.error is not None and d.error.layer == "ethernet"
    assert d.summary().protocol == "Ethernet" and d.summary().info.startswith("[Malformed Packet: ethernet header")


def _sample_frames() -> list[bytes]:
    query = dns.DNS.query(0x1234, "www.google.com")
    discover = dhcp.DHCP.discover(PC_MAC, 0x3D1D, hostname="pc")
    return [
        frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST),
        ip_frame(PC, DNS_IP, 1, ICMP.echo_request(0x1234, 1, b"x" * 32).build()),
        udp_frame(PC, DNS_IP, 40000, 53, query.build()),
        udp_frame(DNS_IP, PC, 53, 40000, dns.DNS.response(query, [dns.Record.a("www.google.com", WWW)]).build()),
        udp_frame(ANY, ALL, 68, 67, discover.build()),
        udp_frame(GW, PC, 67, 68, dhcp.DHCP.ack(discover, PC, GW, lease_time=60, routers=(GW,)).build()),
        tcp_frame(PC, WWW, 40000, 80, seq=0, flags=SYN, window=64240, options=(TcpOption.mss(1460),)),
        tcp_frame(PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=http.HTTPRequest.make("GET", "/", host="www.google.com").build()),
        tcp_frame(WWW, PC, 80, 40000, seq=1, ack=1, flags=PSH | ACK, window=502, payload=http.HTTPResponse.make(200, b"ok" * 50, chunked=True).build()),
        tcp_frame(PC, DNS_IP, 40000, 53, seq=1, ack=1, flags=PSH | ACK, window=502, payload=query.build_tcp()),
    ]


SAMPLES = _sample_frames()


def _check(d: Decoded) -> None:
    assert isinstance(d.layers, tuple)
    if d.error is not None:
        assert "decoder bug" not in d.error.problem, d.error
    s = d.summary()
    assert all(isinstance(x, str) for x in (s.protocol, s.source, s.destination, s.info))


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_every_truncation_of_a_valid_frame_decodes_without_raising(index):
    data = SAMPLES[index]
    full = decode(data)
    assert full.error is None, full.error
    for size in range(len(data)):
        d = decode(data[:size])
        _check(d)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_frames_never_raise(data, flips):
    buf = bytearray(data)
    for where, value in flips:
        buf[where % len(buf)] = value
    _check(decode(bytes(buf)))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data):
    _check(decode(data))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([ETH_IPV4, ETH_ARP]), st.binary(max_size=120))
def test_random_payloads_never_raise(ethertype, payload):
    _check(decode(frame(ethertype, payload)))


def test_decode_accepts_memoryview_and_bytearray():
    data = SAMPLES[2]
    assert decode(memoryview(data)).layers == decode(bytearray(data)).layers == decode(data).layers


def test_wire_error_is_the_only_error_type():
    with pytest.raises(WireError):
        dns.DNS.parse(b"\x00")


# --- tshark as the oracle for the columns ----------------------------------------------------------


def _tshark_frames() -> list[tuple[bytes, str]]:
    """Frames and how much should match tshark: "all" columns word for word, "icmp" (the
    info column in its own spacing), "protocol" (IPv6 is named, not decoded)."""
    query = dns.DNS.query(0x1234, "www.google.com")
    discover = dhcp.DHCP.discover(PC_MAC, 0x3D1D, hostname="pc")
    offending = IPv4.make(PC, WWW, 17, UDP.make(PC, WWW, 40000, 33434, b"").build()).build()
    big = ICMP.echo_request(1, 1, b"p" * 3000).build()
    mx = dns.DNS.response(dns.DNS.query(7, "mail.example.com", dns.MX), [
        dns.Record.cname("mail.example.com", "mx.example.com"), dns.Record.mx("mx.example.com", 10, "smtp.example.com")])
    return [
        (frame(ETH_ARP, ARP.request(PC_MAC, PC, GW).build(), dst=BROADCAST), "all"),
        (frame(ETH_ARP, ARP.reply(GW_MAC, GW, PC_MAC, PC).build(), dst=PC_MAC, src=GW_MAC), "all"),
        (frame(ETH_ARP, ARP.request(PC_MAC, ANY, PC).build(), dst=BROADCAST), "all"),
        (frame(ETH_ARP, ARP.request(PC_MAC, PC, PC).build(), dst=BROADCAST), "all"),
        (ip_frame(PC, DNS_IP, 1, ICMP.echo_request(0x1234, 1, b"x" * 32).build()), "icmp"),
        (ip_frame(WWW, PC, 1, ICMP.unreachable(PORT_UNREACHABLE, offending).build()), "all"),
        (ip_frame(GW, PC, 1, ICMP.time_exceeded(TTL_EXCEEDED, offending).build()), "all"),
        (ip_frame(PC, WWW, 1, big[1480:2960], ident=0xABCD, mf=True, offset_bytes=1480), "all"),
        (udp_frame(PC, WWW, 40000, 9999, b"hello"), "all"),
        (udp_frame(PC, DNS_IP, 40000, 53, query.build()), "all"),
        (udp_frame(DNS_IP, PC, 53, 40000, dns.DNS.response(query, [dns.Record.a("www.google.com", WWW)]).build()), "all"),
        (udp_frame(DNS_IP, PC, 53, 40000, mx.build()), "all"),
        (udp_frame(DNS_IP, PC, 53, 40000, dns.DNS.response(dns.DNS.query(2, "nope.example"), rcode=dns.NXDOMAIN).build()), "all"),
        (udp_frame(PC, DNS_IP, 40000, 53, dns.DNS.query(9, "105.72.194.172.in-addr.arpa", dns.PTR).build()), "all"),
        (udp_frame(ANY, ALL, 68, 67, discover.build()), "all"),
        (udp_frame(GW, PC, 67, 68, dhcp.DHCP.offer(discover, PC, GW, lease_time=60).build()), "all"),
        (udp_frame(ANY, ALL, 68, 67, dhcp.DHCP.request(PC_MAC, 0x3D1D, requested_ip=PC, server_id=GW).build()), "all"),
        (udp_frame(GW, PC, 67, 68, dhcp.DHCP.ack(discover, PC, GW, lease_time=60).build()), "all"),
        (tcp_frame(PC, WWW, 40000, 80, seq=0, flags=SYN, window=64240,
                   options=(TcpOption.mss(1460), TcpOption.sack_permitted(), TcpOption.timestamp(10, 0), TcpOption.nop(), TcpOption.wscale(7))), "all"),
        (tcp_frame(WWW, PC, 80, 40000, seq=5000, ack=1, flags=SYN | ACK, window=65535), "all"),
        (tcp_frame(PC, WWW, 40000, 80, seq=77, ack=5001, flags=FIN | ACK, window=502), "all"),
        (tcp_frame(PC, WWW, 40000, 80, seq=1, ack=1, flags=PSH | ACK, window=502, payload=http.HTTPRequest.make("GET", "/", host="www.google.com").build()), "all"),
        (tcp_frame(WWW, PC, 80, 40000, seq=1, ack=1, flags=PSH | ACK, window=502, payload=http.HTTPResponse.make(404, b"no").build()), "all"),
        (frame(0x86DD, b"\x60" + bytes(60), dst=MAC("33:33:00:00:00:01")), "protocol"),
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
        ["tshark", "-r", str(pcap), "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE",
         "-o", "tcp.analyze_sequence_numbers:FALSE",
         "-T", "fields", "-e", "_ws.col.Protocol", "-e", "_ws.col.Source", "-e", "_ws.col.Destination", "-e", "_ws.col.Info"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    rows = run.stdout.splitlines()
    assert len(rows) == len(frames)
    for row, (data, match) in zip(rows, frames, strict=True):
        protocol, source, destination, info = row.split("\t")
        ours = decode(data).summary()
        if match == "protocol":
            assert ours.protocol == protocol, row
            continue
        assert (ours.protocol, ours.source, ours.destination) == (protocol, source, destination), row
        if match == "all":
            assert ours.info == info.rstrip(), row
        else:  # tshark writes "request  id=0x1234, seq=1/256, ttl=64" (two spaces, both byte orders)
            assert ours.info.split() == re.sub(r"seq=(\d+)/\d+", r"seq=\1", info).split(), row
