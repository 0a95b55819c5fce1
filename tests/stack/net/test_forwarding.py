import random
from ipaddress import IPv4Address, IPv4Network

from stack.apps.ping import Ping
from stack.apps.traceroute import Traceroute
from stack.labs import build_network, load_lab
from tests.conftest import kinds, lab_from_text, run

WWW = IPv4Address("172.194.72.105")


def test_each_router_decrements_the_ttl(default_net):
    net = default_net
    ping = run(net, Ping(net.host("pc"), WWW, count=1))
    assert ping.ok
    assert "ttl=62" in ping.lines[1]  # www answered with 64, two routers on the way back
    hops = [
        (e.host, e.ttl) for e in kinds(net, "forwarded") if e.src == IPv4Address("192.168.1.100")
    ]
    assert hops == [("gw-a", 64), ("gw-b", 63)]


def test_a_routing_loop_ends_in_icmp_time_exceeded():
    net = build_network(load_lab("loop"))
    ping = run(net, Ping(net.host("h1"), IPv4Address("203.0.113.9"), count=1))
    assert not ping.ok
    assert any("Time to live exceeded" in line for line in ping.lines)
    sent = kinds(net, "icmp_sent")
    assert sent and "TTL exceeded" in sent[0].message
    assert len(kinds(net, "forwarded")) >= 60  # it really went round and round


def test_no_route_at_a_router_gives_network_unreachable():
    net = lab_from_text("""
[segments.a]
[segments.b]
[hosts.h]
segment = "a"
address = "10.1.0.2/24"
gateway = "10.1.0.1"
[routers.r]
interfaces = [{ segment = "a", address = "10.1.0.1/24" }, { segment = "b", address = "10.2.0.1/24" }]
""")
    ping = run(net, Ping(net.host("h"), IPv4Address("10.9.9.9"), count=1))
    assert any("Destination Net Unreachable" in line for line in ping.lines)


def test_traceroute_names_each_router_then_the_target(default_net):
    net = default_net
    trace = run(net, Traceroute(net.host("pc"), WWW))
    assert trace.ok
    assert [addr for _, addr, _ in trace.hops] == ["192.168.1.1", "10.0.0.2", str(WWW)]


def test_hosts_do_not_forward_what_is_not_theirs(default_net):
    net = default_net
    pc, pc2 = net.host("pc"), net.host("pc2")
    # pc2 as pc's gateway: pc2 is a host, so it drops instead of forwarding.
    pc.set_gateway(IPv4Address("192.168.1.101"))
    ping = run(net, Ping(pc, WWW, count=1))
    assert not ping.ok
    drops = [e for e in kinds(net, "packet_dropped", "pc2") if "does not forward" in e.reason]
    assert drops and pc2.ip.stats["forwarded"] == 0


def test_a_router_forwards_exactly_what_the_full_parse_would_send(default_net):
    """The router reads a plain header straight from the bytes: what leaves it must be the
    packet as parsed and one hop on (TTL less one, checksum redone, Ethernet padding left
    behind), whether the header is plain, carries options, or the frame was padded."""
    from stack.wire.ethernet import ETH_IPV4, Ethernet
    from stack.wire.ipv4 import IPv4

    net = default_net
    run(net, Ping(net.host("pc"), WWW, count=1))  # ARP and routes settled
    pc, gw = net.host("pc"), net.host("gw-a")
    src = IPv4Address("192.168.1.100")
    packets = [
        IPv4.make(src, WWW, 17, b"\x30\x39\x00\x35\x00\x10\x00\x00" + bytes(8), ttl=9),
        IPv4.make(src, WWW, 17, bytes(8), ttl=200, ident=77, df=True, tos=0x10),  # padded
        IPv4.make(src, WWW, 17, bytes(1400), ttl=3, options=b"\x01\x01\x01\x00"),  # options
        IPv4.make(src, WWW, 6, bytes(1480), ttl=64),  # as big as the MTU allows
    ]
    # The checksum is updated for the TTL alone (RFC 1624): it must equal a full recount
    # whatever the other fields sum to.
    rng = random.Random(9)
    packets += [
        IPv4.make(
            src,
            WWW,
            rng.choice((1, 6, 17, 255)),
            rng.randbytes(rng.randrange(0, 60)),
            ttl=rng.randrange(2, 256),
            ident=rng.randrange(0x10000),
            tos=rng.randrange(256),
            df=rng.random() < 0.5,
        )
        for _ in range(150)
    ]
    for packet in packets:
        before = net.trace.count
        frame = Ethernet(
            gw.interfaces["eth0"].nic.mac, pc.primary.nic.mac, ETH_IPV4, packet.build()
        )
        net.segments["lan"].inject("test port", frame.build())
        net.clock.run_until(net.clock.now() + 0.001)
        out = [f for f in net.trace.frames[before:] if f.origin == "gw-a eth1"]
        assert len(out) == 1
        one_hop_on = packet.with_ttl(packet.ttl - 1).build()
        assert out[0].data[14:] == one_hop_on + bytes(max(0, 46 - len(one_hop_on)))  # padded to 60
        sent = [e for e in kinds(net, "forwarded") if e.frames == (before + 1,)]
        assert [(e.host, e.src, e.dst, e.ttl) for e in sent] == [("gw-a", src, WWW, packet.ttl)]


def _forwarded_by(net, host: str, since: int) -> list:
    return [e for e in kinds(net, "forwarded", host) if e.frames[0] > since]


def test_a_router_follows_a_route_changed_mid_flow(default_net):
    """gw-a remembers how it forwards pc → www; a new route must take effect at once."""
    from stack.net.route import Route

    net = default_net
    assert run(net, Ping(net.host("pc"), WWW, count=2)).ok
    gw = net.host("gw-a")
    gw.routes.add(
        Route(IPv4Network("172.194.72.0/24"), "eth0", IPv4Address("192.168.1.101"), "static", 0)
    )
    before = net.trace.count
    ping = run(net, Ping(net.host("pc"), WWW, count=1))
    assert not ping.ok  # pc2 is a host: it does not forward
    hops = _forwarded_by(net, "gw-a", before)
    assert hops and all(e.out_interface == "eth0" and e.next_hop == "192.168.1.101" for e in hops)
    assert kinds(net, "packet_dropped", "pc2")


def test_a_router_follows_a_next_hop_that_moved_mid_flow(default_net):
    """An ARP reply moving gw-b's address to another MAC: gw-a's next frames go there."""
    from stack.wire.arp import ARP
    from stack.wire.ethernet import ETH_ARP, Ethernet
    from stack.wire.mac import MAC

    net = default_net
    assert run(net, Ping(net.host("pc"), WWW, count=2)).ok
    gw_a = net.host("gw-a")
    elsewhere = MAC(bytes.fromhex("020000000099"))
    reply = ARP.reply(
        elsewhere, IPv4Address("10.0.0.2"), gw_a.interfaces["eth1"].nic.mac, IPv4Address("10.0.0.1")
    )
    net.segments["transit"].inject(
        "test port",
        Ethernet(gw_a.interfaces["eth1"].nic.mac, elsewhere, ETH_ARP, reply.build()).build(),
    )
    net.clock.run_until(net.clock.now() + 0.01)
    before = net.trace.count
    assert not run(net, Ping(net.host("pc"), WWW, count=1)).ok
    out = [f for f in net.trace.frames[before:] if f.origin == "gw-a eth1"]
    assert out and all(f.data[:6] == elsewhere for f in out)


def test_a_router_asks_again_for_a_next_hop_gone_stale(default_net):
    """Past ARP's reachable time the router re-asks (unicast) while it forwards, as before."""
    from stack.net.arp import REACHABLE_TIME

    net = default_net
    assert run(net, Ping(net.host("pc"), WWW, count=2)).ok
    # pc's own entry for gw-a made static, so that nothing but time touches gw-a's cache.
    gw_a = net.host("gw-a")
    net.host("pc").arp.add_static(
        "eth0", IPv4Address("192.168.1.1"), gw_a.interfaces["eth0"].nic.mac
    )
    net.clock.run_until(net.clock.now() + REACHABLE_TIME + 1)
    asked = len(kinds(net, "arp_request", "gw-a"))
    assert run(net, Ping(net.host("pc"), WWW, count=1)).ok
    again = kinds(net, "arp_request", "gw-a")[asked:]
    assert str(again[0].ip) == "10.0.0.2"  # on the way to www, before the answer comes back


def test_a_host_sends_what_the_packet_value_would_build(default_net):
    """After the first packet to a destination a host builds the header itself (see
    stack.net.flows.Way): the bytes must be IPv4.make(…).build()'s, whatever the fields."""
    from stack.wire.ipv4 import IPv4

    net = default_net
    pc = net.host("pc")
    assert run(net, Ping(pc, WWW, count=1)).ok  # ARP and routes settled
    src = IPv4Address("192.168.1.100")
    rng = random.Random(4)
    for _ in range(200):
        proto = rng.choice((1, 6, 17, 99))
        payload = rng.randbytes(rng.randrange(0, 1481))
        ttl, tos, df = rng.randrange(1, 256), rng.randrange(256), rng.random() < 0.5
        ident = rng.choice((None, rng.randrange(0x10000)))
        before = net.trace.count
        assert pc.ip.send(WWW, proto, payload, ttl=ttl, tos=tos, df=df, ident=ident)
        sent = net.trace.frame(before + 1)
        assert sent.origin == "pc eth0"
        assert sent.data[:6] == net.host("gw-a").interfaces["eth0"].nic.mac
        used = int.from_bytes(sent.data[18:20], "big")
        assert ident is None or used == ident
        packet = IPv4.make(src, WWW, proto, payload, ttl=ttl, ident=used, df=df, tos=tos)
        want = packet.build()
        assert sent.data[14:] == want + bytes(max(0, 46 - len(want)))
    net.clock.run_until_idle()


def test_a_host_follows_a_gateway_changed_mid_conversation(default_net):
    net = default_net
    pc = net.host("pc")
    assert run(net, Ping(pc, WWW, count=2)).ok
    pc.set_gateway(IPv4Address("192.168.1.101"))  # pc2: a host, which drops it
    assert not run(net, Ping(pc, WWW, count=1)).ok
    assert [e for e in kinds(net, "packet_dropped", "pc2") if "does not forward" in e.reason]


def test_a_host_follows_its_gateway_moving_to_another_mac(default_net):
    from stack.wire.arp import ARP
    from stack.wire.ethernet import ETH_ARP, Ethernet
    from stack.wire.mac import MAC

    net = default_net
    pc = net.host("pc")
    assert run(net, Ping(pc, WWW, count=2)).ok
    mine = pc.interfaces["eth0"].nic.mac
    elsewhere = MAC(bytes.fromhex("020000000077"))
    reply = ARP.reply(elsewhere, IPv4Address("192.168.1.1"), mine, IPv4Address("192.168.1.100"))
    net.segments["lan"].inject(
        "test port", Ethernet(mine, elsewhere, ETH_ARP, reply.build()).build()
    )
    net.clock.run_until(net.clock.now() + 0.01)
    before = net.trace.count
    assert not run(net, Ping(pc, WWW, count=1)).ok
    out = [f for f in net.trace.frames[before:] if f.origin == "pc eth0"]
    assert out and all(f.data[:6] == elsewhere for f in out)
