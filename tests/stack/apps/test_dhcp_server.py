import re
from ipaddress import IPv4Address

from stack.apps.dhcp_client import DhcpRun
from stack.apps.dhcp_server import OFFER_HOLD
from stack.labs import build_network, load_lab
from stack.wire.dhcp import DHCP
from stack.wire.ethernet import ETH_IPV4, Ethernet
from stack.wire.ipv4 import IPv4
from stack.wire.mac import BROADCAST, MAC
from stack.wire.udp import UDP
from tests.conftest import kinds, run

ZERO, EVERYONE = IPv4Address("0.0.0.0"), IPv4Address("255.255.255.255")


def broadcast_dhcp(net, segment: str, origin: str, mac: MAC, msg: DHCP) -> None:
    """A client with no address yet broadcasts `msg` (0.0.0.0:68 → 255.255.255.255:67) on `segment`."""
    datagram = UDP.make(ZERO, EVERYONE, 68, 67, msg.build()).build()
    packet = IPv4.make(ZERO, EVERYONE, 17, datagram).build()
    net.segments[segment].inject(origin, Ethernet(BROADCAST, mac, ETH_IPV4, packet).build())


def test_an_address_that_answers_the_probe_is_set_aside_and_the_next_one_offered():
    """RFC 2131 §2.2: in the default lab gw-a's pool starts at pc's fixed 192.168.1.100 (and
    pc2..pc5 hold .101–.104): a new client must get the first address nobody answers for."""
    from stack.labs.load import parse_lab, read_lab_text

    text, source = read_lab_text("default")
    text += '\n[hosts.newcomer]\nsegment = "lan"\ndhcp = true\nmac = "02:00:00:00:00:99"\n'
    net = build_network(parse_lab(text, source))
    net.clock.run_until(30)  # a host with dhcp = true asks as the clock starts
    assert net.host("newcomer").primary.ip == IPv4Address("192.168.1.105")
    decisions = [e.decision for e in net.trace.events if e.kind == "dhcp_server"]
    taken = [d for d in decisions if "answered the server's ping" in d]
    assert [d.split()[0] for d in taken] == [
        "192.168.1.100",
        "192.168.1.101",
        "192.168.1.102",
        "192.168.1.103",
        "192.168.1.104",
    ]
    assert any("nobody answered a ping for 192.168.1.105" in d for d in decisions)


def test_a_starvation_attack_is_said_and_the_pool_recovers_when_the_offers_lapse():
    """Spoofed MACs ask for every address and never take them up (DHCP starvation): the server
    says why it makes no offer and who holds the pool; held offers lapse after OFFER_HOLD and a
    real client then gets its lease."""

    net = build_network(load_lab("dhcp"))
    for i in range(150):
        mac = MAC(bytes([0x02, 0x66, 0, 0, i >> 8, i & 0xFF]))
        broadcast_dhcp(net, "lan", "attacker eth0", mac, DHCP.discover(mac, xid=0x5000 + i))
        net.clock.run_until(net.clock.now() + 0.01)
    net.clock.run_until(net.clock.now() + 2.0)
    refusals = [e.describe() for e in kinds(net, "dhcp_server") if "no offer" in e.describe()]
    assert len(refusals) >= 40
    held = re.search(r"is exhausted: 100 of 100 addresses held \((.*)\)", refusals[-1])
    assert held and re.search(r"\b9\d offered and not yet requested", held.group(1)), refusals[-1]
    assert "the first offer not taken up frees at" in refusals[-1]

    net.clock.run_until(net.clock.now() + OFFER_HOLD)
    program = run(net, DhcpRun(net.host("pc")))
    assert program.ok, program.lines
    assert net.host("pc").interfaces["eth0"].configured


def test_a_discover_from_another_segment_is_ignored_and_said():
    """gw-a serves DHCP on lan only: a DISCOVER that reaches it on its transit side gets no
    offer (a lab's DHCP server never leases beyond its own wire)."""

    net = build_network(load_lab("default"))
    mac = MAC("02:66:00:00:00:01")
    broadcast_dhcp(net, "transit", "stranger eth0", mac, DHCP.discover(mac, xid=77))
    net.clock.run_until(net.clock.now() + 2.0)
    said = [e.describe() for e in kinds(net, "dhcp_server", "gw-a")]
    assert said == [
        "DHCP server: ignores a message from 0.0.0.0:68 on eth1: it serves only the LAN on eth0"
    ]
    assert not [
        r for r in net.trace.frames if r.segment == "transit" and r.origin.startswith("gw-a")
    ]


def test_a_discover_resent_while_the_server_probes_gets_the_same_one_address():
    """iPXE resends its DISCOVER after a second (sooner when the machine is busy); one that
    arrives while the server is still pinging its candidate must not start a second probe of
    another address — two offers to one client, and the REQUEST for the second was refused."""

    net = build_network(load_lab("dhcp"))
    net.clock.run_until(30)  # the lab's own DHCP clients done first
    start = len(kinds(net, "dhcp_server"))
    mac = MAC("52:54:00:12:34:56")

    def send(msg: DHCP) -> None:
        broadcast_dhcp(net, "lan", "vm net0", mac, msg)

    send(DHCP.discover(mac, xid=7))
    net.clock.run_until(30.2)
    send(DHCP.discover(mac, xid=7))  # inside the 0.5 s probe of the first
    net.clock.run_until(33)
    said = [e.decision for e in kinds(net, "dhcp_server")[start:]]
    probes = [d for d in said if d.startswith("pings")]
    offers = [d for d in said if d.startswith("offers")]
    assert len(offers) == 1 and len(set(probes)) == len(probes), (
        said
    )  # one chain of probes, one offer
    offered = IPv4Address(offers[0].split()[1])
    send(DHCP.request(mac, 7, requested_ip=offered, server_id=IPv4Address("192.168.1.1")))
    net.clock.run_until(34)
    assert [e.decision for e in kinds(net, "dhcp_server")][-1].startswith(
        f"leases {offered} to 52:54:00:12:34:56"
    )
