from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.net.fragment import Reassembler, fragment
from stack.wire.ethernet import ETH_IPV4, Ethernet
from stack.wire.ipv4 import IPv4
from tests.conftest import kinds, run

SRC, DST = IPv4Address("192.168.1.100"), IPv4Address("172.194.72.105")


def test_the_seed_packet_of_5000_bytes_leaves_as_1500_1500_1500_560():
    packet = IPv4.make(SRC, DST, 6, bytes(4980), ident=7)
    pieces = fragment(packet, 1500)
    assert [p.total_length for p in pieces] == [1500, 1500, 1500, 560]
    assert [p.offset_bytes for p in pieces] == [0, 1480, 2960, 4440]
    assert [p.mf for p in pieces] == [True, True, True, False]
    assert all(p.checksum_ok() for p in pieces)


def test_our_fragments_match_scapys():
    from scapy.layers.inet import IP
    from scapy.layers.inet import fragment as scapy_fragment

    payload = bytes(range(256)) * 19 + bytes(116)
    ours = fragment(IPv4.make(SRC, DST, 17, payload, ident=99), 1500)
    theirs = scapy_fragment(
        IP(src=str(SRC), dst=str(DST), proto=17, id=99) / payload, fragsize=1480
    )
    assert [p.build() for p in ours] == [bytes(p) for p in theirs]


def _parts(payload: bytes, ident: int = 1):
    return fragment(IPv4.make(SRC, DST, 17, payload, ident=ident), 1500)


def test_reassembly_in_any_order_gives_back_the_packet():
    payload = bytes(i % 251 for i in range(4980))
    parts = _parts(payload)
    r = Reassembler()
    results = [r.add(p, i, 0.0) for i, p in enumerate(reversed(parts))]
    whole = results[-1][0]
    assert whole is not None and whole.payload == payload and whole.total_length == 5000
    assert all(res[0] is None for res in results[:-1])
    assert r.memory == 0 and not r.datagrams


def test_identical_duplicates_are_harmless_but_conflicting_overlaps_drop_the_datagram():
    payload = bytes(4980)
    parts = _parts(payload)
    r = Reassembler()
    assert r.add(parts[0], 1, 0.0) == (None, r.datagrams[(SRC, DST, 17, 1)], "")
    assert r.add(parts[0], 2, 0.0)[2] == ""
    evil = IPv4.make(SRC, DST, 17, b"\xff" * 16, ident=1, mf=True, offset_bytes=1472)
    whole, _, problem = r.add(evil, 3, 0.0)
    assert whole is None and "overlap" in problem
    assert not r.datagrams and r.memory == 0


def test_a_fragment_past_65535_is_refused():
    r = Reassembler()
    evil = IPv4.make(SRC, DST, 17, bytes(64), ident=5, offset_bytes=65528)
    assert "65,535" in r.add(evil, 1, 0.0)[2]


def test_ping_of_4972_bytes_is_fragmented_forwarded_and_reassembled_at_www(default_net):
    net = default_net
    ping = run(net, Ping(net.host("pc"), DST, count=1, size=4972))
    assert ping.ok
    cut = kinds(net, "fragmented", "pc")
    assert cut and cut[0].total_length == 5000 and cut[0].lengths == (1500, 1500, 1500, 560)
    whole = kinds(net, "reassembled", "www")
    assert whole and whole[0].total_length == 5000 and whole[0].count == 4
    lan = [
        IPv4.parse(Ethernet.parse(f.data).payload)
        for f in net.trace.frames
        if f.segment == "lan"
        and f.origin == "pc eth0"
        and Ethernet.parse(f.data).ethertype == ETH_IPV4
    ]
    assert [p.total_length for p in lan] == [1500, 1500, 1500, 560]
    assert kinds(net, "reassembled", "pc")  # the reply came back in fragments too


def test_missing_fragment_times_out_with_icmp_reassembly_exceeded(default_net):
    net = default_net
    pc, www = net.host("pc"), net.host("www")
    first = _parts(bytes(3000), ident=0x4242)[0]
    packet = IPv4.make(pc.primary.ip, DST, 17, first.payload, ident=0x4242, mf=True)
    decision = pc.ip.decide(DST)
    pc.ip.output(packet, pc.primary, decision.next_hop)
    net.clock.run_until(net.clock.now() + 31)
    failed = kinds(net, "reassembly_failed", "www")
    assert failed and "timed out" in failed[0].reason
    sent = kinds(net, "icmp_sent", "www")
    assert sent and "reassembly" in sent[0].message
    assert www.ip.reassembler.memory == 0
