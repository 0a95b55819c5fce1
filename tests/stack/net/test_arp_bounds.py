"""The ARP cache is bounded as Linux's is: a flood of spoofed requests cannot grow it past
1,024 entries, each eviction is explained, and a real neighbour's traffic keeps working."""

from ipaddress import IPv4Address

from stack.net.arp import CACHE_LIMIT
from stack.wire.arp import ARP
from stack.wire.ethernet import ETH_ARP, Ethernet
from stack.wire.mac import BROADCAST, MAC
from tests.conftest import kinds
from workbench.shell import prepare, run_virtual


def _spoofed(i: int, target: str) -> bytes:
    mac = MAC.from_int(0x0200_0000_0000 + i)
    sender = IPv4Address(0x0A00_0000 + i)  # 10.x.y.z: addresses no one on the lan has
    return Ethernet(
        BROADCAST, mac, ETH_ARP, ARP.request(mac, sender, IPv4Address(target)).build()
    ).build()


def test_a_flood_of_spoofed_requests_leaves_the_cache_bounded_and_pings_working(default_net):
    net = default_net
    lan = net.segments["lan"]
    for i in range(1, 3001):
        lan.inject("attacker eth0", _spoofed(i, "192.168.1.100"))
        if i % 500 == 0:
            net.clock.run_until_idle()
    net.clock.run_until_idle()
    pc = net.host("pc")
    assert len(pc.arp.caches["eth0"]) == CACHE_LIMIT
    evicted = kinds(net, "arp_evicted", "pc")
    assert len(evicted) == 3000 - CACHE_LIMIT
    assert "is full (1,024 entries): forgets 10.0.0.1" in evicted[0].describe()
    # The newest are the ones kept.
    assert IPv4Address("10.0.11.184") in pc.arp.caches["eth0"]  # spoofed #3000
    outcome = run_virtual(net, [prepare(net, "pc: ping 192.168.1.1 -c 3")])[0]
    assert outcome.ok, outcome.lines
    assert len(pc.arp.caches["eth0"]) <= CACHE_LIMIT


def test_static_entries_survive_a_full_cache(default_net):
    net = default_net
    pc = net.host("pc")
    pc.arp.add_static("eth0", IPv4Address("192.168.1.77"), MAC.from_int(0x02AA_0000_0001))
    lan = net.segments["lan"]
    for i in range(1, CACHE_LIMIT + 50):
        lan.inject("attacker eth0", _spoofed(i, "192.168.1.100"))
    net.clock.run_until_idle()
    assert IPv4Address("192.168.1.77") in pc.arp.caches["eth0"]
    assert len(pc.arp.caches["eth0"]) == CACHE_LIMIT
