from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.net.arp import REACHABLE_TIME
from stack.wire.arp import ARP
from stack.wire.ethernet import ETH_ARP, Ethernet
from stack.wire.mac import BROADCAST
from tests.conftest import kinds, run

GW = IPv4Address("192.168.1.1")


def test_resolution_broadcasts_a_request_and_learns_the_reply(default_net):
    net = default_net
    run(net, Ping(net.host("pc"), GW, count=1))
    first = net.trace.frame(1)
    eth = Ethernet.parse(first.data)
    assert eth.dst == BROADCAST and eth.ethertype == ETH_ARP
    assert ARP.parse(eth.payload).target_ip == GW
    assert net.host("pc").arp.lookup("eth0", GW) == net.host("gw-a").interfaces["eth0"].nic.mac
    # gw-a learned pc from the request for its own address; nobody else did.
    assert net.host("gw-a").arp.lookup("eth0", IPv4Address("192.168.1.100")) is not None
    assert net.host("pc3").arp.lookup("eth0", IPv4Address("192.168.1.100")) is None


def test_every_neighbour_reads_the_broadcast_and_ignores_what_is_not_for_it(default_net):
    net = default_net
    run(net, Ping(net.host("pc"), GW, count=1))
    verdicts = {(e.host, e.accepted) for e in kinds(net, "frame_received") if e.frames == (1,)}
    assert verdicts == {("pc2", True), ("pc3", True), ("pc4", True), ("pc5", True), ("gw-a", True)}
    ignored = {e.host for e in kinds(net, "arp_ignored") if e.frames == (1,)}
    assert ignored == {"pc2", "pc3", "pc4", "pc5"}
    # The unicast reply (#2) is dropped by every NIC but pc's: not for me.
    dropped = {e.host for e in kinds(net, "frame_received") if e.frames == (2,) and not e.accepted}
    assert dropped == {"pc2", "pc3", "pc4", "pc5"}


def test_packets_wait_for_resolution_and_all_leave_once_answered(default_net):
    net = default_net
    pc = net.host("pc")
    ping = Ping(pc, GW, count=3, interval=0.0001)
    run(net, ping)
    assert ping.ok and len(ping.rtts) == 3
    assert len(kinds(net, "arp_request", "pc")) == 1


def test_unknown_neighbour_gets_three_requests_then_host_unreachable(default_net):
    net = default_net
    ping = run(net, Ping(net.host("pc"), IPv4Address("192.168.1.77"), count=1))
    requests = kinds(net, "arp_request", "pc")
    assert [r.attempt for r in requests] == [1, 2, 3]
    assert [r.time for r in requests] == [0.0, 1.0, 2.0]
    failed = kinds(net, "arp_failed", "pc")
    assert len(failed) == 1 and failed[0].dropped == 1
    assert not ping.ok
    assert any("Destination Host Unreachable" in line for line in ping.lines)


def test_entries_go_stale_and_are_asked_again_on_use(default_net):
    net = default_net
    pc = net.host("pc")
    run(net, Ping(pc, GW, count=1))
    net.clock.run_until(net.clock.now() + REACHABLE_TIME + 1)
    states = {str(e.ip): state for _, e, state in pc.arp.entries()}
    assert states[str(GW)] == "stale"
    before = len(kinds(net, "arp_request", "pc"))
    run(net, Ping(pc, GW, count=1))
    assert len(kinds(net, "arp_request", "pc")) == before + 1
    states = {str(e.ip): state for _, e, state in pc.arp.entries()}
    assert states[str(GW)] == "reachable"


def test_a_crafted_reply_that_poisons_the_cache_is_reported_as_changed(default_net):
    net = default_net
    pc, pc5 = net.host("pc"), net.host("pc5")
    run(net, Ping(pc, GW, count=1))
    real = pc.arp.lookup("eth0", GW)
    lie = ARP.reply(pc5.primary.nic.mac, GW, pc.primary.nic.mac, IPv4Address("192.168.1.100"))
    pc5.link_send(pc5.primary, pc.primary.nic.mac, ETH_ARP, lie.build())
    net.clock.run_until_idle()
    assert pc.arp.lookup("eth0", GW) == pc5.primary.nic.mac
    changed = [e for e in kinds(net, "arp_cache", "pc") if e.old_mac]
    assert (
        changed and changed[-1].old_mac == str(real) and changed[-1].mac == str(pc5.primary.nic.mac)
    )
    assert "CHANGED" in changed[-1].describe()


def test_an_unsolicited_reply_about_an_unknown_address_is_ignored_as_linux_does(default_net):
    net = default_net
    pc, pc5 = net.host("pc"), net.host("pc5")
    lie = ARP.reply(pc5.primary.nic.mac, GW, pc.primary.nic.mac, IPv4Address("192.168.1.100"))
    pc5.link_send(pc5.primary, pc.primary.nic.mac, ETH_ARP, lie.build())
    net.clock.run_until_idle()
    assert pc.arp.lookup("eth0", GW) is None
    ignored = kinds(net, "arp_ignored", "pc")
    assert ignored and "unsolicited reply" in ignored[0].describe()
