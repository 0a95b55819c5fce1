from ipaddress import IPv4Address, IPv4Network

from stack.net.route import Route, RouteTable


def test_the_seed_arithmetic_sends_a_foreign_subnet_to_the_gateway(default_net):
    pc = default_net.host("pc")
    decision = pc.routes.decide(IPv4Address("172.194.72.105"), pc.interfaces)
    text = " ".join(decision.steps)
    assert "192.168.1.100 AND 255.255.255.0 = 192.168.1.0" in text
    assert "172.194.72.105 AND 255.255.255.0 = 172.194.72.0" in text
    assert "different" in text
    assert decision.next_hop == IPv4Address("192.168.1.1")
    assert "default gateway 192.168.1.1" in decision.verdict


def test_same_subnet_is_delivered_directly(default_net):
    pc = default_net.host("pc")
    decision = pc.routes.decide(IPv4Address("192.168.1.104"), pc.interfaces)
    assert "same subnet" in decision.steps[0]
    assert decision.next_hop == IPv4Address("192.168.1.104")
    assert decision.route.gateway is None


def test_longest_prefix_wins_over_shorter_and_default():
    table = RouteTable()
    table.add(Route(IPv4Network("10.0.0.0/8"), "eth0", IPv4Address("192.168.1.2")))
    table.add(Route(IPv4Network("10.1.0.0/16"), "eth1", IPv4Address("192.168.2.2")))
    table.set_default(IPv4Address("192.168.1.1"), "eth0")
    assert table.lookup(IPv4Address("10.1.2.3")).interface == "eth1"
    assert table.lookup(IPv4Address("10.2.0.1")).gateway == IPv4Address("192.168.1.2")
    assert table.lookup(IPv4Address("8.8.8.8")).gateway == IPv4Address("192.168.1.1")


def test_router_decision_walks_prefixes_until_one_matches(default_net):
    gw_b = default_net.host("gw-b")
    decision = gw_b.routes.decide(IPv4Address("192.168.1.100"), gw_b.interfaces)
    assert decision.steps[-1].endswith("= 192.168.1.0/24 ✓")
    assert decision.next_hop == IPv4Address("10.0.0.1")


def test_no_route_means_network_unreachable():
    table = RouteTable()
    decision = table.decide(IPv4Address("1.2.3.4"), {})
    assert decision.route is None and "unreachable" in decision.verdict
