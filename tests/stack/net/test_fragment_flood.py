"""Fragment floods cannot starve reassembly: 20,000 first fragments that never complete, from
spoofed addresses, while pc pings www with 4,000-byte (fragmented) pings. The table and its
memory stay bounded, the oldest incomplete datagram gives way (as Linux evicts), the pings get
through, and the event log says what was given up and why. Identical copies of a fragment cost
nothing."""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.labs import build_network, load_lab
from stack.net import fragment as frag
from stack.wire.ipv4 import IPv4
from tests.conftest import kinds
from tests.live.flood import fragment_frames

WWW = IPv4Address("172.194.72.105")


def test_a_fragment_flood_keeps_reassembly_bounded_and_pings_get_through():
    net = build_network(load_lab("default"))
    www = net.host("www")
    webnet = net.segments["webnet"]
    ping = Ping(net.host("pc"), WWW, count=3, size=4000)
    ping.start()
    most = 0
    for frame in fragment_frames(str(www.primary.nic.mac), str(WWW), 20_000):
        webnet.inject("attacker eth0", frame)
        net.clock.run_until(net.clock.now() + 0.0001)  # 10,000 fragments a second
        reassembler = www.ip.reassembler
        most = max(most, len(reassembler.datagrams))
        assert reassembler.memory <= frag.MEMORY_LIMIT
    net.clock.run_until(net.clock.now() + 5)
    assert most == frag.MAX_DATAGRAMS
    assert ping.done and len(ping.rtts) == 3, ping.lines
    whole = [e for e in kinds(net, "reassembled", "www") if str(e.src) == "192.168.1.100"]
    assert len(whole) == 3 and all(e.total_length == 4028 for e in whole)
    given_up = [e for e in kinds(net, "reassembly_failed", "www") if "gave way" in e.reason]
    assert len(given_up) >= 20_000 - frag.MAX_DATAGRAMS
    assert (
        "1,024 datagrams were waiting for fragments: the oldest gave way" in given_up[0].describe()
    )
    assert str(given_up[0].src).startswith("100.")  # the flood's, never the pings'


def test_copies_of_one_fragment_cost_nothing():
    r = frag.Reassembler()
    first = IPv4.make(IPv4Address("10.0.0.1"), WWW, 17, bytes(1480), ident=7, mf=True)
    r.add(first, 1, 0.0)
    held = r.memory
    for n in range(2, 10_002):
        assert r.add(first, n, 0.0)[2] == ""
    dgram = next(iter(r.datagrams.values()))
    assert r.memory == held == 1480 + frag.PIECE_OVERHEAD
    assert dgram.frames == [1] and dgram.duplicates == 10_000
