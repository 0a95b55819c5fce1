

def test_an_address_that_answers_the_probe_is_set_aside_and_the_next_one_offered():
    """RFC 2131 §2.2: in the default lab gw-a's pool starts at pc's fixed 192.168.1.100 (and
    pc2..pc5 hold .101–.104): a new client must get the first address nobody answers for."""
    from ipaddress import IPv4Address

    from stack.labs import build_network
    from stack.labs.load import parse_lab, read_lab_text

    text, source = read_lab_text("default")
    text += '\n[hosts.newcomer]\nsegment = "lan"\ndhcp = true\nmac = "02:00:00:00:00:99"\n'
    net = build_network(parse_lab(text, source))
    net.clock.run_until(30)  # a host with dhcp = true asks as the clock starts
    assert net.host("newcomer").primary.ip == IPv4Address("192.168.1.105")
    decisions = [e.decision for e in net.trace.events if e.kind == "dhcp_server"]
    taken = [d for d in decisions if "answered the server's ping" in d]
    assert [d.split()[0] for d in taken] == ["192.168.1.100", "192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104"]
    assert any("nobody answered a ping for 192.168.1.105" in d for d in decisions)
