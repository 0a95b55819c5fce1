"""UDP sockets: binding, ephemeral ports, delivery with source and frame ids, checksum
checks, and ICMP port unreachable for a closed port (but never for a broadcast)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from stack.transport import PortInUse
from stack.transport.events import PortUnreachable, SegmentDropped
from stack.transport.ports import EPHEMERAL_HIGH, EPHEMERAL_LOW
from stack.wire.icmp import ICMP
from stack.wire.udp import UDP

PC = IPv4Address("192.168.1.100")
WWW = IPv4Address("172.194.72.105")


def test_datagram_crosses_the_routers_to_a_bound_socket(net):
    pc, www = net.host("pc"), net.host("www")
    got = []
    server = www.udp.open(9000)
    server.on_datagram = lambda data, src, dst, iface, frames: got.append(
        (data, src, dst, iface.name, frames)
    )
    client = pc.udp.open()
    assert EPHEMERAL_LOW <= client.port <= EPHEMERAL_HIGH
    assert client.sendto(b"hello", (WWW, 9000))
    net.clock.run_until_idle()
    assert len(got) == 1
    data, src, dst, ifname, frames = got[0]
    assert data == b"hello" and src == (PC, client.port) and dst == WWW and ifname == "eth0"
    assert frames and all(f >= 1 for f in frames)


def test_reply_goes_back_to_the_sender_port(net):
    pc, www = net.host("pc"), net.host("www")
    server = www.udp.open(7)
    server.on_datagram = lambda data, src, dst, iface, frames: server.sendto(data.upper(), src)
    client = pc.udp.open()
    replies = []
    client.on_datagram = lambda data, src, *_: replies.append((data, src))
    client.sendto(b"echo", (WWW, 7))
    net.clock.run_until_idle()
    assert replies == [(b"ECHO", (WWW, 7))]


def test_binding_a_port_twice_is_refused(net):
    pc = net.host("pc")
    pc.udp.open(5353)
    with pytest.raises(PortInUse):
        pc.udp.open(5353)
    with pytest.raises(PortInUse):
        pc.udp.open(5353, PC)


def test_closing_frees_the_port(net):
    pc = net.host("pc")
    sock = pc.udp.open(4000)
    sock.close()
    assert pc.udp.open(4000).port == 4000
    assert [s.port for s in pc.udp.sockets()] == [4000]


def test_ephemeral_ports_are_reproducible_for_the_same_seed():
    from stack.labs import build_network, load_lab

    ports = [
        [build_network(load_lab("default")).host("pc").udp.open().port for _ in range(1)]
        for _ in range(2)
    ]
    assert ports[0] == ports[1]


def test_closed_port_answers_icmp_port_unreachable(net):
    pc = net.host("pc")
    client = pc.udp.open()
    errors = []
    client.on_error = lambda text, dest: errors.append((text, dest))
    seen = []
    pc.icmp.error_listeners.append(lambda packet, msg, frames: seen.append(msg))
    client.sendto(b"anyone?", (WWW, 9999))
    net.clock.run_until_idle()
    assert any(
        isinstance(e, PortUnreachable) and e.host == "www" and "ICMP port unreachable" in e.reply
        for e in net.trace.events
    )
    assert [(m.type, m.code) for m in seen] == [(3, 3)]
    assert errors and errors[0][1] == (WWW, 9999) and "unreachable" in errors[0][0].lower()


def test_broadcast_to_closed_port_gets_no_icmp_error(net):
    pc = net.host("pc")
    client = pc.udp.open(6868)
    client.sendto(b"x" * 10, (IPv4Address("255.255.255.255"), 6767), interface="eth0")
    net.clock.run_until_idle()
    unreachable = [e for e in net.trace.events if isinstance(e, PortUnreachable)]
    assert unreachable and all("broadcast" in e.reply for e in unreachable)
    assert all(h.icmp.stats["errors_sent"] == 0 for h in net.hosts.values())


def test_broadcast_reaches_a_wildcard_socket_on_the_segment(net):
    pc, gw = net.host("pc"), net.host("gw-a")
    got = []
    gw.udp.open(6767).on_datagram = lambda data, src, dst, iface, frames: got.append(
        (src, dst, iface.name)
    )
    pc.unconfigure("eth0")
    sock = pc.udp.open(6868)
    assert sock.sendto(b"DISCOVER", (IPv4Address("255.255.255.255"), 6767), interface="eth0")
    net.clock.run_until_idle()
    assert got == [((IPv4Address("0.0.0.0"), 6868), IPv4Address("255.255.255.255"), "eth0")]


def test_bad_checksum_is_dropped_and_counted(net):
    pc, www = net.host("pc"), net.host("www")
    got = []
    www.udp.open(9000).on_datagram = lambda *a: got.append(a)
    good = UDP.make(PC, WWW, 1234, 9000, b"payload")
    bad = UDP(good.sport, good.dport, good.payload, good.length, good.checksum ^ 0x0101).build()
    pc.ip.send(WWW, 17, bad)
    net.clock.run_until_idle()
    assert got == []
    assert www.udp.stats["bad_checksum"] == 1
    assert any(isinstance(e, SegmentDropped) and "checksum" in e.reason for e in net.trace.events)
    assert www.icmp.stats["errors_sent"] == 0


def test_icmp_message_parsing_helper_reads_the_quote():
    from stack.transport.udp import quoted_header
    from stack.wire.ipv4 import IPv4

    packet = IPv4.make(PC, WWW, 17, UDP.make(PC, WWW, 1000, 2000, b"abc").build())
    quote = quoted_header(ICMP.unreachable(3, packet.build()))
    assert quote is not None and (quote.src, quote.dst, quote.proto) == (PC, WWW, 17)
    assert quote.payload[:4] == (1000).to_bytes(2, "big") + (2000).to_bytes(2, "big")
