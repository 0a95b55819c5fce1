"""DHCP: the seed's first packet, the four-message exchange, the four settings installed,
renewal at T1 (unicast), rebinding at T2 (broadcast), expiry, release, NAK, and the pool."""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.apps.dhcp_client import BOUND, REBINDING, RENEWING, STOPPED, DhcpRun, client_for
from stack.apps.dhcp_server import BOUND as LEASE_BOUND
from stack.apps.dhcp_server import OFFERED, LeasePool
from stack.labs import build_network, load_lab
from stack.wire import dhcp as D
from stack.wire.dhcp import DHCP
from stack.wire.ethernet import Ethernet
from stack.wire.ipv4 import IPv4
from stack.wire.mac import MAC
from stack.wire.udp import UDP
from tests.conftest import kinds, lab_from_text, run

SMALL = """
name = "dhcp-small"
seed = 3

[segments.lan]
subnet = "10.0.0.0/24"

[hosts.srv]
segment = "lan"
address = "10.0.0.1/24"
mac = "02:00:00:00:00:01"

[hosts.srv.services.dhcp]
pool = "10.0.0.10-10.0.0.11"
lease = 100
dns = ["10.0.0.53", "10.0.0.54"]

[hosts.c1]
segment = "lan"
dhcp = true
mac = "02:00:00:00:00:c1"

[hosts.c2]                # no address; gets one when told to (the `dhcp` command)
segment = "lan"
mac = "02:00:00:00:00:c2"

[hosts.c3]                # sends hand-made DHCP messages
segment = "lan"
mac = "02:00:00:00:00:c3"
"""


def layers(net, frame_id):
    eth = Ethernet.parse(net.trace.frame(frame_id).data)
    ip = IPv4.parse(eth.payload)
    udp = UDP.parse(ip.payload)
    return eth, ip, udp, DHCP.parse(udp.payload)


def dhcp_frames(net):
    out = []
    for record in net.trace.frames:
        try:
            out.append((record.id, *layers(net, record.id)))
        except Exception:
            continue
    return out


def bound(net, name):
    program = run(net, DhcpRun(net.host(name)))
    assert program.ok, program.lines
    return program


# --- the seed's exchange on the dhcp lab -------------------------------------------------------


def test_first_packet_is_the_seeds():
    net = build_network(load_lab("dhcp"))
    pc = net.host("pc")
    bound(net, "pc")
    frame_id, eth, ip, udp, msg = dhcp_frames(net)[0]
    assert eth.src == pc.interfaces["eth0"].nic.mac and eth.dst == MAC("ff:ff:ff:ff:ff:ff")
    assert (ip.src, ip.dst) == (IPv4Address("0.0.0.0"), IPv4Address("255.255.255.255"))
    assert (udp.sport, udp.dport) == (68, 67)
    assert msg.message_type == D.DISCOVER and msg.chaddr == eth.src
    assert udp.checksum_ok(ip.src, ip.dst)


def test_four_messages_and_the_four_settings():
    net = build_network(load_lab("dhcp"))
    pc = net.host("pc")
    assert (
        not pc.interfaces["eth0"].configured and pc.routes.gateway is None and pc.dns_servers == []
    )
    program = bound(net, "pc")
    types = [msg.message_type for *_, msg in dhcp_frames(net)]
    assert types == [D.DISCOVER, D.OFFER, D.REQUEST, D.ACK]
    iface = pc.interfaces["eth0"]
    assert str(iface.address) == "192.168.1.100/24"
    assert str(iface.netmask) == "255.255.255.0"
    assert pc.routes.gateway == IPv4Address("192.168.1.1")
    assert [r.origin for r in pc.routes.routes if r.network.prefixlen == 0] == ["dhcp"]
    assert pc.dns_servers == [IPv4Address("8.8.8.8")]
    assert program.lines[:4] == [
        "DHCPDISCOVER on eth0 to 255.255.255.255 port 67 interval 4",
        "DHCPOFFER of 192.168.1.100 from 192.168.1.1",
        "DHCPREQUEST for 192.168.1.100 on eth0 to 255.255.255.255 port 67",
        "DHCPACK of 192.168.1.100 from 192.168.1.1",
    ]
    (lease,) = kinds(net, "dhcp_lease", "pc")
    assert (
        "address 192.168.1.100, mask 255.255.255.0, gateway 192.168.1.1, DNS 8.8.8.8"
        in lease.describe()
    )


def test_server_answers_to_the_clients_mac_and_the_broadcast_address():
    net = build_network(load_lab("dhcp"))
    bound(net, "pc")
    pc_mac = net.host("pc").interfaces["eth0"].nic.mac
    for _frame_id, eth, ip, udp, msg in dhcp_frames(net):
        if msg.op == D.BOOTREPLY:
            assert eth.dst == pc_mac  # no address yet to ARP for: the server writes the MAC itself
            assert (ip.src, ip.dst) == (IPv4Address("192.168.1.1"), IPv4Address("255.255.255.255"))
            assert (udp.sport, udp.dport) == (67, 68)
            assert udp.checksum_ok(ip.src, ip.dst)
            assert msg.subnet_mask == IPv4Address("255.255.255.0")
            assert msg.routers == (IPv4Address("192.168.1.1"),)
            assert msg.dns_servers == (IPv4Address("8.8.8.8"),)
            assert msg.lease_time == 3600 and msg.server_id == IPv4Address("192.168.1.1")


def test_lab_host_with_dhcp_true_gets_its_lease_when_the_clock_runs():
    net = build_network(load_lab("dhcp"))
    net.clock.run_until(1.0)
    assert client_for(net.host("pc")).state == BOUND
    assert net.host("pc").interfaces["eth0"].configured


def test_then_the_host_can_reach_the_web_by_name():
    from stack.apps.resolver import Resolve

    net = build_network(load_lab("dhcp"))
    bound(net, "pc")
    program = run(net, Resolve(net.host("pc"), "www.google.com"))
    assert program.ok and "172.194.72.105" in "\n".join(program.lines)


# --- leases over time ------------------------------------------------------------------------


def test_two_clients_get_different_addresses_and_the_pool_runs_out():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    bound(net, "c2")
    a1, a2 = net.host("c1").interfaces["eth0"].ip, net.host("c2").interfaces["eth0"].ip
    assert {a1, a2} == {IPv4Address("10.0.0.10"), IPv4Address("10.0.0.11")}
    assert net.host("c1").dns_servers == [IPv4Address("10.0.0.53"), IPv4Address("10.0.0.54")]
    server = net.host("srv").services["dhcp"]
    assert [lease.address for lease in server.pool.bound(net.clock.now())] == sorted([a1, a2])


def test_renews_at_t1_by_unicast_and_keeps_the_address():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    client = client_for(net.host("c1"))
    address = net.host("c1").interfaces["eth0"].ip
    start = net.clock.now()
    before = len(net.trace.frames)
    net.clock.run_until(start + 50.5)  # T1 = lease / 2 = 50 s
    assert client.state == BOUND
    sent = [f for f in dhcp_frames(net) if f[0] > before]
    assert [f[-1].message_type for f in sent] == [D.REQUEST, D.ACK]
    _, eth, ip, udp, request = sent[0]
    assert ip.src == address and ip.dst == IPv4Address("10.0.0.1")  # unicast to the server
    assert request.ciaddr == address and request.requested_ip is None and request.server_id is None
    assert [e.new for e in kinds(net, "dhcp_state", "c1")][-2:] == [RENEWING, BOUND]
    server = net.host("srv").services["dhcp"]
    (lease,) = [x for x in server.pool.bound(net.clock.now()) if x.address == address]
    assert lease.expires > start + 100  # extended from the renewal


def test_rebinds_at_t2_by_broadcast_when_the_server_is_gone():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    net.host("srv").services["dhcp"].close()
    client = client_for(net.host("c1"))
    start = net.clock.now()
    net.clock.run_until(start + 88.0)  # T2 = 7/8 of 100 s = 87 s
    assert client.state == REBINDING
    last = [f for f in dhcp_frames(net) if f[-1].message_type == D.REQUEST][-1]
    _, eth, ip, udp, msg = last
    assert ip.dst == IPv4Address("255.255.255.255") and eth.dst == MAC("ff:ff:ff:ff:ff:ff")
    assert msg.ciaddr == net.host("c1").interfaces["eth0"].ip


def test_lease_expires_and_the_settings_go():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    c1 = net.host("c1")
    net.host("srv").services["dhcp"].close()
    start = net.clock.now()
    net.clock.run_until(start + 101.0)
    assert not c1.interfaces["eth0"].configured
    assert c1.routes.gateway is None and c1.dns_servers == []
    (lost,) = kinds(net, "dhcp_lease_lost", "c1")
    assert "ran out" in lost.describe()
    assert client_for(c1).state == "SELECTING"  # and it starts over


def test_server_forgets_a_lease_nobody_renews():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    client_for(net.host("c1")).stop()  # the client goes away without a word
    net.clock.run_until(net.clock.now() + 101.0)
    server = net.host("srv").services["dhcp"]
    assert server.pool.bound(net.clock.now()) == []
    assert any(
        "expired: back in the pool" in e.describe() for e in kinds(net, "dhcp_server", "srv")
    )


def test_release_gives_the_address_back():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    c1 = net.host("c1")
    program = run(net, DhcpRun(c1, release=True))
    net.clock.run_until(net.clock.now() + 1.0)
    assert program.ok and program.lines == ["DHCPRELEASE of 10.0.0.10 on eth0 to 10.0.0.1 port 67"]
    assert not c1.interfaces["eth0"].configured and client_for(c1).state == STOPPED
    assert net.host("srv").services["dhcp"].pool.bound(net.clock.now()) == []


def test_dhcp_again_on_a_bound_host_renews():
    net = lab_from_text(SMALL)
    bound(net, "c1")
    program = bound(net, "c1")
    assert program.lines[0] == "DHCPREQUEST for 10.0.0.10 on eth0 to 10.0.0.1 port 67"
    assert program.lines[1] == "DHCPACK of 10.0.0.10 from 10.0.0.1"


def test_no_server_no_lease():
    text = (
        SMALL.split("[hosts.srv.services.dhcp]")[0]
        + SMALL.split('dns = ["10.0.0.53", "10.0.0.54"]')[1]
    )
    net = lab_from_text(text)
    program = run(net, DhcpRun(net.host("c1")))
    assert program.done and not program.ok
    assert "No DHCPOFFERS received." in program.lines
    assert [
        line.split(" interval ")[1] for line in program.lines if line.startswith("DHCPDISCOVER")
    ] == ["4", "8", "16", "32"]
    assert net.clock.now() >= 60.0


def _craft(net, host_name, msg):
    """Send a DHCP message from `host`'s port 68 as a client would."""
    host = net.host(host_name)
    sock = host.udp.open(68)
    got = []
    sock.on_datagram = lambda data, *rest: got.append(DHCP.parse(data))
    sock.sendto(
        msg.build(), (IPv4Address("255.255.255.255"), 67), interface="eth0", src=IPv4Address(0)
    )
    net.clock.run_until(net.clock.now() + 1.0)
    return got


def test_nak_for_an_address_of_another_network():
    net = lab_from_text(SMALL)
    mac = net.host("c3").interfaces["eth0"].nic.mac
    got = _craft(net, "c3", DHCP.request(mac, 0x1234, requested_ip=IPv4Address("192.168.9.9")))
    assert [m.message_type for m in got] == [D.NAK]
    assert b"not on this network" in got[0].option(D.MESSAGE)


def test_a_client_that_chose_another_server_gets_its_offer_withdrawn():
    net = lab_from_text(SMALL)
    mac = net.host("c3").interfaces["eth0"].nic.mac
    got = _craft(net, "c3", DHCP.discover(mac, 0x99))
    assert [m.message_type for m in got] == [D.OFFER]
    server = net.host("srv").services["dhcp"]
    assert server.pool.leases[got[0].yiaddr].state == OFFERED
    sock_host = net.host("c3")
    sock = next(s for s in sock_host.udp.sockets() if s.port == 68)
    other = DHCP.request(mac, 0x99, requested_ip=got[0].yiaddr, server_id=IPv4Address("10.0.0.99"))
    sock.sendto(
        other.build(), (IPv4Address("255.255.255.255"), 67), interface="eth0", src=IPv4Address(0)
    )
    net.clock.run_until(net.clock.now() + 1.0)
    assert got[0].yiaddr not in server.pool.leases


# --- the pool by itself ----------------------------------------------------------------------


def test_pool_prefers_the_current_lease_then_the_asked_then_the_old_then_the_first_free():
    pool = LeasePool(IPv4Address("10.0.0.10"), IPv4Address("10.0.0.12"))
    a, b = b"client-a", b"client-b"
    assert pool.choose(a, None, 0) == (
        IPv4Address("10.0.0.10"),
        "first free address in the pool 10.0.0.10-10.0.0.12",
    )
    pool.hold(IPv4Address("10.0.0.11"), a, "m", LEASE_BOUND, 100)
    assert pool.choose(a, IPv4Address("10.0.0.12"), 0)[0] == IPv4Address("10.0.0.11")
    assert pool.choose(b, IPv4Address("10.0.0.12"), 0)[0] == IPv4Address("10.0.0.12")
    address, why = pool.choose(b, IPv4Address("10.0.0.11"), 0)
    assert address == IPv4Address("10.0.0.10") and "taken" in why
    pool.release(IPv4Address("10.0.0.11"), a)
    pool.hold(IPv4Address("10.0.0.10"), b, "m", LEASE_BOUND, 100)
    assert pool.choose(a, None, 0)[0] == IPv4Address("10.0.0.11")  # its old address, free again
    pool.hold(IPv4Address("10.0.0.11"), b"c", "m", LEASE_BOUND, 100)
    pool.hold(IPv4Address("10.0.0.12"), b"d", "m", LEASE_BOUND, 100)
    address, why = pool.choose(a, None, 50)
    assert address is None and "exhausted" in why
    assert pool.choose(a, None, 100)[0] is not None  # leases that ran out are free again


def test_a_server_that_forgot_the_lease_says_nak_at_renewal_and_the_client_starts_over():
    from stack.apps.services import install_dhcp

    net = lab_from_text(SMALL)
    bound(net, "c1")
    srv = net.host("srv")
    config = net.spec.hosts["srv"].services["dhcp"]
    srv.services["dhcp"].close()
    install_dhcp(srv, config, net)  # restarted, its lease database gone
    net.clock.run_until(net.clock.now() + 51.0)  # past T1
    c1 = net.host("c1")
    assert any(
        "refuses" in e.describe() and "is not leased to" in e.describe()
        for e in kinds(net, "dhcp_server", "srv")
    )
    assert [e.describe().split(":")[0] for e in kinds(net, "dhcp_lease_lost", "c1")] == [
        "DHCP client on eth0 gives up 10.0.0.10"
    ]
    assert client_for(c1).state == BOUND and c1.interfaces["eth0"].configured  # a fresh lease
    assert len(kinds(net, "dhcp_lease", "c1")) == 2
