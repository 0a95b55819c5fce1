"""A SYN flood against www:80 cannot starve it: once the backlog is full the listener answers
with SYN cookies and keeps no state (as Linux does), so new clients still connect, established
connections carry on, and the event log says what happened."""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.apps.browse import Browse, parse_url
from stack.labs import build_network, load_lab
from stack.transport.tcp.layer import BACKLOG
from stack.wire.ethernet import ETH_IPV4, Ethernet
from stack.wire.ipv4 import IPv4
from stack.wire.mac import MAC
from stack.wire.tcp import TCP
from tests.conftest import kinds, run
from tests.live.flood import syn_frames

WWW = IPv4Address("172.194.72.105")
FLOOD = 3000


def _flood(net, count: int, seed: int = 7) -> None:
    """Spoofed SYNs from addresses nobody has, straight onto www's wire."""
    webnet = net.segments["webnet"]
    for frame in syn_frames(str(net.host("www").primary.nic.mac), str(WWW), 80, count, seed):
        webnet.inject("attacker eth0", frame)
        net.clock.run_until(net.clock.now() + 0.0005)


def test_a_syn_flood_fills_only_the_backlog_and_real_clients_still_connect():
    net = build_network(load_lab("default"))
    pc = net.host("pc")
    www = net.host("www")

    # An established connection from before the flood.
    before = pc.tcp.connect((WWW, 80))
    received = bytearray()
    before.on_data = received.extend
    net.clock.run_until(net.clock.now() + 1.0)
    assert before.state == "ESTABLISHED"

    _flood(net, FLOOD)
    listener = next(lst for lst in www.tcp.listeners() if lst.port == 80)
    assert len(listener.pending) <= BACKLOG  # memory bounded: the rest got cookies
    assert listener.cookies["sent"] >= FLOOD - BACKLOG

    # A new client in the middle of the flood gets in through a cookie.
    browse = Browse(pc, [parse_url("http://172.194.72.105/")])
    browse.start()
    _flood(net, 500, seed=8)
    run(net, browse, limit=30.0)
    assert browse.ok and any("200 OK" in line for line in browse.lines), browse.lines
    accepted = [e for e in kinds(net, "tcp_syn_cookie", "www") if e.action == "accepted"]
    assert accepted and accepted[0].remote.startswith("192.168.1.100:")
    assert "MSS 1460" in accepted[0].describe()

    # The connection from before the flood still works.
    before.send(b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n")
    net.clock.run_until(net.clock.now() + 2.0)
    assert received.startswith(b"HTTP/1.1 200"), bytes(received[:80])

    sent = [e for e in kinds(net, "tcp_syn_cookie", "www") if e.action == "sent"]
    assert "backlog of 128 half-open connections is full (a SYN flood?)" in sent[0].describe()


def test_an_ack_with_a_forged_cookie_gets_a_reset_not_a_connection():
    net = build_network(load_lab("default"))
    _flood(net, BACKLOG + 5)
    www = net.host("www")
    src = IPv4Address("100.64.9.9")
    ack = TCP.make(src, WWW, 4000, 80, seq=1001, ack=0x12345678, flags=0x10, window=1000).build()
    net.segments["webnet"].inject(
        "attacker eth0",
        Ethernet(
            www.primary.nic.mac,
            MAC("02:66:66:00:00:01"),
            ETH_IPV4,
            IPv4.make(src, WWW, 6, ack).build(),
        ).build(),
    )
    net.clock.run_until(net.clock.now() + 0.01)
    refused = [e for e in kinds(net, "tcp_syn_cookie", "www") if e.action == "refused"]
    assert refused and refused[-1].remote == "100.64.9.9:4000"
    assert not any(c.remote_ip == src for c in www.tcp.connections())
