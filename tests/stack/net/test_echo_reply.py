"""A host's answer to an echo request, byte for byte as RFC 792 makes it: the request's
identifier, sequence and data back, type 0, the checksums right, from the address asked, over
every size of data (odd, none, all zeros, past the checksum's slicing at 256 bytes, a full
frame); and the requests it must not answer dropped with the reason, as before."""

from __future__ import annotations

import random
from ipaddress import IPv4Address

import pytest

from stack.apps.ping import Ping
from stack.labs import build_network, load_lab
from stack.wire.ethernet import ETH_IPV4, Ethernet
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, IPv4
from stack.wire.mac import MAC
from tests.conftest import run

OUTSIDE = IPv4Address("192.168.1.50")
OUTSIDE_MAC = MAC("02:00:00:00:00:50")
PC = IPv4Address("192.168.1.100")
PC_MAC = MAC("00:1b:21:3a:4f:64")


def _lab():
    net = build_network(load_lab("default"))
    pc = net.host("pc")
    pc.arp.add_static("eth0", OUTSIDE, OUTSIDE_MAC)
    return net, pc


def _send(net, icmp: bytes, *, ident: int = 1) -> list[bytes]:
    """`icmp` to pc from outside; the frames pc puts on the segment in answer."""
    packet = IPv4.make(OUTSIDE, PC, PROTO_ICMP, icmp, ident=ident)
    before = net.trace.count
    net.segments["lan"].inject(
        "kernel tap", Ethernet(PC_MAC, OUTSIDE_MAC, ETH_IPV4, packet.build()).build()
    )
    net.clock.run_until_idle()
    return [f.data for f in net.trace.frames[before + 1 :] if f.origin == "pc eth0"]


def _expected(answered: list[bytes], request: ICMP) -> bytes:
    """The reply as the codecs build it, with the IP identifier pc chose."""
    ident = IPv4.parse(Ethernet.parse(answered[0]).payload).ident
    packet = IPv4.make(PC, OUTSIDE, PROTO_ICMP, ICMP.echo_reply(request).build(), ident=ident)
    return Ethernet(OUTSIDE_MAC, PC_MAC, ETH_IPV4, packet.build()).build()


@pytest.mark.parametrize("size", [0, 1, 7, 56, 235, 236, 237, 1000, 1472])
def test_the_reply_is_the_request_turned_round(size):
    net, pc = _lab()
    rng = random.Random(size)
    for data in (bytes(size), bytes(rng.randrange(256) for _ in range(size))):
        for ident, seq in ((0, 0), (0xFFFF, 0xFFFF), (0x1234, 7)):
            request = ICMP.echo_request(ident, seq, data)
            answered = _send(net, request.build())
            assert len(answered) == 1
            expected = _expected(answered, request)
            assert answered[0] == expected.ljust(60, b"\0")  # padded to Ethernet's minimum
            reply = ICMP.parse(IPv4.parse(Ethernet.parse(answered[0]).payload).payload)
            assert reply.checksum_ok() and (reply.ident, reply.seq, reply.payload) == (
                ident,
                seq,
                data,
            )
    assert pc.icmp.stats["echo_replies"] == pc.icmp.stats["echo_requests"] == 6


def test_a_request_with_a_bad_checksum_or_cut_short_is_dropped_with_the_reason():
    net, pc = _lab()
    request = bytearray(ICMP.echo_request(1, 1, b"hello").build())
    request[2] ^= 0x01
    assert _send(net, bytes(request)) == []
    assert _send(net, b"\x08\x00\xf7") == []
    reasons = [e.reason for e in net.trace.events if e.kind == "packet_dropped" and e.host == "pc"]
    assert reasons[0] == "bad ICMP checksum" and reasons[1].startswith("malformed ICMP")
    assert pc.icmp.stats["echo_replies"] == 0


def test_a_host_told_not_to_answer_counts_the_request_and_stays_silent():
    net, pc = _lab()
    pc.icmp.answer_echo = False
    assert _send(net, ICMP.echo_request(1, 1, b"x").build()) == []
    assert pc.icmp.stats["echo_requests"] == 1 and pc.icmp.stats["echo_replies"] == 0


def test_a_reply_too_big_for_the_link_goes_in_fragments_as_before():
    net, pc = _lab()
    request = ICMP.echo_request(9, 1, bytes(range(256)) * 12)  # 3,080 bytes: reassembled first
    packet = IPv4.make(OUTSIDE, PC, PROTO_ICMP, request.build(), ident=77)
    from stack.net.fragment import fragment

    before = net.trace.count
    for piece in fragment(packet, 1500):
        frame = Ethernet(PC_MAC, OUTSIDE_MAC, ETH_IPV4, piece.build()).build()
        net.segments["lan"].inject("kernel tap", frame)
    net.clock.run_until_idle()
    out = [
        IPv4.parse(Ethernet.parse(f.data).payload)
        for f in net.trace.frames[before:]
        if f.origin == "pc eth0"
    ]
    assert len(out) == 3 and all(p.dst == OUTSIDE for p in out)
    assert b"".join(p.payload for p in out)[8:] == request.payload


@pytest.mark.parametrize("target", ["127.0.0.1", "127.1.2.3"])
def test_a_host_answers_its_loopback(target):
    """`ping 127.0.0.1` on a lab host is answered over lo, as on Linux (any of 127.0.0.0/8,
    from the address asked); no frame goes on a segment."""
    net, pc = _lab()
    frames = net.trace.count
    ping = run(net, Ping(pc, IPv4Address(target), count=2, interval=0.1))
    assert ping.answered == {1, 2}
    assert any(line.startswith(f"64 bytes from {target}: icmp_seq=2") for line in ping.lines)
    assert net.trace.count == frames
    # Why no frame: the route says so, once for the destination, as any route decision is.
    local = [e for e in net.trace.events if e.kind == "route" and str(e.dst) == target]
    assert [(e.host, e.interface, e.route) for e in local] == [("pc", "lo", "local")]
    assert local[0].describe() == (
        f"route to {target}: {target} is in 127.0.0.0/8, the loopback network"
        " → deliver locally over lo (no frame on any segment)"
    )


def test_a_ping_to_the_hosts_own_address_says_it_stays_on_the_host():
    net, pc = _lab()
    ping = run(net, Ping(pc, IPv4Address("192.168.1.100"), count=1))
    assert ping.answered == {1}
    (local,) = [e for e in net.trace.events if e.kind == "route"]
    assert local.describe().endswith(
        "192.168.1.100 is an address of this host → deliver locally over lo (no frame on any segment)"
    )


def test_a_loopback_destination_from_the_wire_is_not_answered():
    """127.0.0.1 arriving on eth0 is a martian: pc does not answer it as its own."""
    net, pc = _lab()
    packet = IPv4.make(
        OUTSIDE, IPv4Address("127.0.0.1"), PROTO_ICMP, ICMP.echo_request(1, 1, b"x").build()
    )
    before = net.trace.count
    net.segments["lan"].inject(
        "kernel tap", Ethernet(PC_MAC, OUTSIDE_MAC, ETH_IPV4, packet.build()).build()
    )
    net.clock.run_until_idle()
    assert [f for f in net.trace.frames[before + 1 :] if f.origin == "pc eth0"] == []
    assert pc.icmp.stats["echo_replies"] == 0
