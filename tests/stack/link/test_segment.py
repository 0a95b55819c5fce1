from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.clock import VirtualClock
from stack.events import FrameReceived
from stack.link.faults import LinkFaults
from stack.link.nic import NIC
from stack.link.segment import Segment
from stack.trace import Trace
from stack.wire.ethernet import MAX_FRAME, MIN_FRAME, Ethernet
from stack.wire.mac import BROADCAST, MAC
from tests.conftest import kinds, lab_from_text, run


def _bus(switch=False, faults=None, n=4):
    clock = VirtualClock()
    trace = Trace(clock)
    seg = Segment("bus", clock, trace, switch=switch, faults=faults)
    nics = []
    for i in range(n):
        nic = NIC(f"h{i}", "eth0", MAC.from_int(0x020000000001 + i), trace)
        nic.received = []
        nic.on_frame = lambda fid, frame, nic=nic: nic.received.append(fid)
        seg.attach(nic)
        nics.append(nic)
    return clock, trace, seg, nics


def _frame(src: NIC, dst: MAC, size: int = 46) -> bytes:
    return Ethernet(dst, src.mac, 0x88B5, bytes(size)).build()


def test_on_a_bus_every_nic_reads_every_frame_and_only_the_addressee_keeps_it():
    clock, trace, seg, nics = _bus()
    nics[0].send(_frame(nics[0], nics[2].mac))
    clock.run_until_idle()
    verdicts = {e.host: e.accepted for e in trace.events if isinstance(e, FrameReceived)}
    assert verdicts == {"h1": False, "h2": True, "h3": False}
    assert [len(n.received) for n in nics] == [0, 0, 1, 0]
    assert nics[1].counters.rx_filtered == 1


def test_broadcast_reaches_everyone_but_the_sender():
    clock, trace, seg, nics = _bus()
    nics[1].send(_frame(nics[1], BROADCAST))
    clock.run_until_idle()
    assert [len(n.received) for n in nics] == [1, 0, 1, 1]


def test_frames_are_padded_to_64_bytes_on_the_wire_and_capped_at_1518():
    clock, trace, seg, nics = _bus()
    nics[0].send(_frame(nics[0], BROADCAST, size=0))
    nics[0].send(_frame(nics[0], BROADCAST, size=1500))
    sent = kinds_of(trace, "frame_sent")
    assert [e.wire_length for e in sent] == [MIN_FRAME, MAX_FRAME]


def kinds_of(trace, kind):
    return [e for e in trace.events if e.kind == kind]


def test_a_learning_switch_stops_flooding_once_it_knows_the_port():
    clock, trace, seg, nics = _bus(switch=True)
    nics[0].send(_frame(nics[0], nics[1].mac))  # unknown yet: flooded
    nics[1].send(_frame(nics[1], nics[0].mac))  # h0 learned from its first frame
    clock.run_until_idle()
    readers = [e.host for e in trace.events if isinstance(e, FrameReceived) and e.frames == (2,)]
    assert readers == ["h0"]
    readers = sorted(
        e.host for e in trace.events if isinstance(e, FrameReceived) and e.frames == (1,)
    )
    assert readers == ["h1", "h2", "h3"]


def test_corrupted_frames_fail_the_fcs_and_are_counted():
    clock, trace, seg, nics = _bus(faults=LinkFaults(corrupt=1.0, seed=3))
    nics[0].send(_frame(nics[0], nics[1].mac))
    clock.run_until_idle()
    assert nics[1].received == [] and nics[1].counters.rx_fcs_errors == 1
    bad = [e for e in trace.events if isinstance(e, FrameReceived) and "FCS" in e.reason]
    assert len(bad) == 3


def test_faults_are_reproducible_from_the_seed():
    def outcome(seed):
        clock, trace, seg, nics = _bus(
            faults=LinkFaults(loss=0.3, duplicate=0.2, reorder=0.2, seed=seed)
        )
        for _ in range(50):
            nics[0].send(_frame(nics[0], nics[1].mac))
        clock.run_until_idle()
        return list(nics[1].received)

    assert outcome(7) == outcome(7)
    assert outcome(7) != outcome(8)
    got = outcome(7)
    assert len(set(got)) < 50  # some lost
    assert len(got) != len(set(got)) or got != sorted(got)  # some duplicated or reordered


def test_a_lossy_lan_still_lets_ping_through_on_retries():
    net = lab_from_text("""
seed = 5
[segments.lan.faults]
loss = 0.3
[hosts.a]
segment = "lan"
address = "10.0.0.1/24"
[hosts.b]
segment = "lan"
address = "10.0.0.2/24"
""")
    ping = run(net, Ping(net.host("a"), IPv4Address("10.0.0.2"), count=20, interval=0.2))
    assert ping.ok and 0 < len(ping.rtts) < 20
    assert kinds(net, "link_fault")
