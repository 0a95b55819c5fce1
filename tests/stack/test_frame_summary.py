"""A frame's trace summary is remembered across the hops of one packet (stack.frame_summary);
every hop's line must still say what that hop's own frame holds, as decoding it afresh does."""

from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.events import FrameSent
from stack.frame_summary import _decode
from tests.conftest import run

DNS = IPv4Address("8.8.8.8")
WWW = IPv4Address("172.194.72.105")


def _sent(net) -> list[FrameSent]:
    return [e for e in net.trace.events if type(e) is FrameSent]


def test_each_hop_of_a_ping_says_its_own_ttl(default_net):
    net = default_net
    run(net, Ping(net.host("pc"), DNS, count=1))
    requests = [e.summary for e in _sent(net) if "Echo (ping) request" in e.summary]
    # pc, gw-a, gw-b: the same packet, one TTL less at each router
    assert [s.rsplit("ttl=", 1)[1] for s in requests] == ["64", "63", "62"]
    for event in _sent(net):
        assert event.summary == _decode(event.data)


def test_a_tcp_transfer_reads_as_each_frame_decoded_afresh(default_net):
    net = default_net
    pc, www = net.host("pc"), net.host("www")
    got = []

    def accept(conn):
        conn.on_data = got.append

    www.tcp.listen(5001, accept)
    conn = pc.tcp.connect((WWW, 5001))
    conn.on_connected = lambda: (conn.send(bytes(range(256)) * 40), conn.close())
    net.clock.run_until(net.clock.now() + 2)
    assert sum(map(len, got)) == 10240
    sent = _sent(net)
    summaries = [e.summary for e in sent]
    assert sum("Len=1460" in s for s in summaries) >= 3 * 7  # every segment over three hops
    assert summaries == [_decode(e.data) for e in sent]
    # a frame whose bytes are not a well-formed IPv4 header is decoded as it is
    broken = sent[-1].data[:14] + b"\x46" + sent[-1].data[15:]
    assert FrameSent(0.0, "pc", (1,), "eth0", "lan", 64, broken).summary == _decode(broken)
