"""Flow and congestion control, seen from the wire: zero windows and their probes, fast
retransmit after a single loss, Nagle and delayed ACK on and off, the seed's one-segment
demonstration, SACK, and checksums."""

from __future__ import annotations

from ipaddress import IPv4Address

from tcp_helpers import A, B, Sink, events, tap_tcp

from stack.wire.tcp import ACK, FIN, SYN


def established(pair, **layer):
    """The pair lab with a connection a → b:5000 established; returns (net, client, sink)."""
    net = pair()
    a, b = net.host("a"), net.host("b")
    for name, value in layer.items():
        setattr(b.tcp, name, value)
        setattr(a.tcp, name, value)
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(0.5)
    assert conn.state == "ESTABLISHED"
    return net, conn, sink


def data_segments(segments):
    return [s for s in segments if s.payload]


def test_zero_window_stops_the_sender_probes_and_reopens(pair):
    net, conn, sink = established(pair, receive_buffer=16 * 1024)
    a, b = net.host("a"), net.host("b")
    server = sink.conns[0]
    server.pause_reading()  # the application stops reading: the window fills
    data = bytes(range(256)) * 400  # 102,400 bytes
    conn.send(data)
    net.clock.run_until(20.0)
    assert len(sink.data) == 0 and len(server._rx) == 16 * 1024
    ours = events(net, "tcp_window", "b")
    assert ours and ours[0].side == "ours" and ours[0].change == "zero"
    peer = events(net, "tcp_window", "a")
    assert peer[0].change == "zero" and peer[0].side == "peer"
    probes = [e for e in peer if e.change == "probe"]
    assert len(probes) >= 3 and conn.counters["window_probes"] == len(probes)
    gaps = [round(p2.time - p1.time, 3) for p1, p2 in zip(probes, probes[1:], strict=False)]
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]  # the persist timer backs off
    assert conn.counters["timeouts"] == 0  # probing is not retransmission
    server.resume_reading()
    net.clock.run_until_idle()
    assert bytes(sink.data) == data
    assert any(e.change == "reopened" and e.side == "ours" for e in events(net, "tcp_window", "b"))
    assert any(e.change == "reopened" and e.side == "peer" for e in events(net, "tcp_window", "a"))
    assert (
        "zero window" in ours[0].describe()
        and "reopened" in events(net, "tcp_window", "b")[-1].describe()
    )
    del a, b


def test_a_single_loss_is_repaired_by_fast_retransmit_not_the_timer(pair):
    for sack in (True, False):
        net, conn, sink = established(pair, sack=sack)
        b = net.host("b")
        lost: list[int] = []
        count = [0]

        def keep(seg, lost=lost, count=count):
            count[0] += bool(seg.payload)
            if count[0] == 5 and not lost:  # lose the fifth data segment, once
                lost.append(seg.seq)
                return False
            return True

        arrived = tap_tcp(b, keep)
        data = bytes(100_000)
        conn.send(data)
        net.clock.run_until_idle()
        assert len(sink.data) == len(data) and len(lost) == 1
        assert conn.counters["fast_retransmits"] == 1 and conn.counters["timeouts"] == 0
        assert conn.counters["retransmits"] == 1
        rtx = events(net, "tcp_retransmit", "a")
        assert len(rtx) == 1 and "fast retransmit" in rtx[0].why and "duplicate ACKs" in rtx[0].why
        assert ("SACK" in rtx[0].why) == sack
        assert sum(1 for s in arrived if s.payload and s.seq == lost[0]) == 2
        assert conn.sack_ok == sack


def test_nagle_coalesces_small_writes_while_data_is_unacknowledged(pair):
    net, conn, sink = established(pair)
    seen = tap_tcp(net.host("b"))
    for _ in range(10):
        conn.send(b"x" * 100)
    net.clock.run_until(1.0)
    sizes = [len(s.payload) for s in data_segments(seen)]
    assert sizes == [100, 900]  # the first goes at once, the rest wait for its ACK
    assert len(sink.data) == 1000


def test_nagle_waits_for_the_delayed_ack(pair):
    """The classic interaction: the second small write waits ~40 ms for the peer's delayed ACK."""
    net, conn, sink = established(pair)
    times = []
    b = net.host("b")
    original = b.ip.handlers[6]
    b.ip.handlers[6] = lambda packet, iface, frames: (
        times.append(net.clock.now()) if len(packet.payload) > 20 else None,
        original(packet, iface, frames),
    )
    start = net.clock.now()
    conn.send(b"a" * 100)
    conn.send(b"b" * 100)
    net.clock.run_until(start + 1.0)
    assert len(times) == 2
    assert 0.039 < times[1] - times[0] < 0.045


def test_without_nagle_each_small_write_is_its_own_segment(pair):
    net, conn, sink = established(pair)
    conn.nagle = False
    seen = tap_tcp(net.host("b"))
    for _ in range(10):
        conn.send(b"x" * 100)
    net.clock.run_until(1.0)
    assert [len(s.payload) for s in data_segments(seen)] == [100] * 10


def test_delayed_ack_acknowledges_every_second_segment(pair):
    net, conn, sink = established(pair)
    acks = tap_tcp(net.host("a"))
    conn.send(bytes(1460 * 20))
    net.clock.run_until(1.0)
    pure = [s for s in acks if not s.payload and s.flags == ACK]
    assert 9 <= len(pure) <= 11  # one ACK per two full segments

    net2, conn2, _ = established(pair, delayed_ack=False)
    acks2 = tap_tcp(net2.host("a"))
    conn2.send(bytes(1460 * 20))
    net2.clock.run_until(1.0)
    assert len([s for s in acks2 if not s.payload and s.flags == ACK]) == 20


def test_a_lone_segment_is_acknowledged_after_the_delayed_ack_timer(pair):
    net, conn, sink = established(pair)
    acks = tap_tcp(net.host("a"))
    sent_at = net.clock.now()
    conn.send(b"one small segment")
    arrival = []
    net.clock.run_until(sent_at + 0.01)
    arrival.append(len(acks))
    net.clock.run_until(sent_at + 0.1)
    assert arrival == [0] and len(acks) == 1


def test_one_segment_sends_the_seeds_4960_byte_message_whole_and_ip_fragments_it(net):
    pc, www = net.host("pc"), net.host("www")
    sink = Sink()
    www.tcp.listen(8080, sink.accept)
    conn = pc.tcp.connect((IPv4Address("172.194.72.105"), 8080))
    net.clock.run_until(1.0)
    message = b"G" * 4960
    conn.send(message, one_segment=True)
    net.clock.run_until(2.0)
    assert bytes(sink.data) == message
    note = events(net, "tcp_one_segment", "pc")
    assert len(note) == 1 and note[0].length == 4960 and "4,980 bytes" in note[0].describe()
    assert "not what real TCP does" in note[0].describe()
    cut = events(net, "fragmented", "pc")
    assert cut and cut[-1].total_length == 5000 and cut[-1].lengths == (1500, 1500, 1500, 560)
    assert events(net, "reassembled", "www")[-1].total_length == 5000


def test_without_one_segment_tcp_segments_by_mss_and_nothing_fragments(net):
    pc, www = net.host("pc"), net.host("www")
    sink = Sink()
    www.tcp.listen(8080, sink.accept)
    conn = pc.tcp.connect((IPv4Address("172.194.72.105"), 8080))
    net.clock.run_until(1.0)
    seen = tap_tcp(www)
    conn.send(b"G" * 4960)
    net.clock.run_until(2.0)
    assert [len(s.payload) for s in data_segments(seen)] == [1460, 1460, 1460, 580]
    assert events(net, "fragmented", "pc") == []


def test_sack_blocks_report_what_arrived_beyond_a_hole(pair):
    net, conn, sink = established(pair)
    a, b = net.host("a"), net.host("b")
    dropped = []
    tap_tcp(b, lambda seg: not (seg.payload and not dropped and not dropped.append(seg.seq)))
    acks = tap_tcp(a)
    conn.send(bytes(1460 * 6))
    net.clock.run_until(0.6)
    with_sack = [s for s in acks if s.sack_blocks]
    assert with_sack and conn.sack_ok
    left, right = with_sack[-1].sack_blocks[0]
    assert left == (dropped[0] + 1460) % 2**32 and right > left
    net.clock.run_until_idle()
    assert len(sink.data) == 1460 * 6


def test_a_corrupted_segment_fails_its_checksum_and_is_dropped(pair):
    from stack.transport.tcp.layer import segment_bytes

    net, conn, sink = established(pair)
    b = net.host("b")
    raw = bytearray(
        segment_bytes(
            int(A) + int(B),
            conn.local_port,
            5000,
            (conn.snd_nxt) % 2**32,
            conn.rcv_nxt % 2**32,
            ACK,
            100,
            b"payload",
        )
    )
    raw[-1] ^= 0x40
    net.host("a").ip.send(B, 6, bytes(raw), src=A)
    net.clock.run_until(1.0)
    assert b.tcp.stats["bad_checksum"] == 1 and sink.data == bytearray()
    assert any(
        e.kind == "transport_dropped" and "checksum" in e.reason
        for e in events(net, "transport_dropped", "b")
    )


def test_handshake_segments_carry_mss_window_scale_and_sack_permitted(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    syns = tap_tcp(b)
    synacks = tap_tcp(a)
    b.tcp.listen(5000, Sink().accept)
    a.tcp.connect((B, 5000))
    net.clock.run_until(0.5)
    syn, synack = syns[0], synacks[0]
    assert syn.flags == SYN and synack.flags == SYN | ACK
    for seg in (syn, synack):
        assert seg.mss == 1460 and seg.wscale == 3 and seg.sack_permitted
    assert not syn.flags & FIN


def test_a_peer_that_keeps_its_window_shut_for_an_hour_costs_a_bounded_trickle_of_probes(pair):
    """A receiver that never reads again: the sender keeps the connection (the peer answers
    every probe, as Linux does for a live peer), its probes back off to one per PERSIST_MAX,
    nothing is retransmitted, and what is held stays what the buffers allow."""
    from stack.transport.tcp.send import PERSIST_MAX

    net, conn, sink = established(pair, receive_buffer=16 * 1024)
    server = sink.conns[0]
    server.pause_reading()
    conn.send(bytes(64 * 1024))
    hour = 3600.0
    net.clock.run_until(hour)
    probes = [e for e in events(net, "tcp_window", "a") if e.change == "probe"]
    assert conn.state == "ESTABLISHED" and server.state == "ESTABLISHED"
    assert len(probes) <= hour / PERSIST_MAX + 15, len(probes)
    late = [p2.time - p1.time for p1, p2 in zip(probes[-5:], probes[-4:], strict=False)]
    assert all(abs(gap - PERSIST_MAX) < 1.0 for gap in late), late
    assert conn.counters["timeouts"] == 0 and conn.counters["retransmits"] == 0
    assert len(server._rx) == 16 * 1024 and len(sink.data) == 0
    # The hour costs each probe and its ACK on both wires, and ARP refreshes: nothing that grows.
    assert len(net.trace.frames) < 4 * len(probes) + 400


def test_merged_sends_carry_whole_segments_and_survive_a_loss(pair, monkeypatch):
    """With a way that takes merged segments (a TAP device whose kernel cuts them, TSO), the
    sender sends up to an IPv4 packet's worth at once, whole MSS-sized segments but the last of
    what it has, grows its window by what each ACK covers, and repairs a lost merged segment."""
    net, conn, sink = established(pair)
    monkeypatch.setattr(net.host("a").ip, "merging", True)
    monkeypatch.setattr(net.host("a").ip, "merge_size", lambda _dst: 0xFFFF - 20)
    lost: list[int] = []
    count = [0]

    def keep(seg):
        count[0] += bool(seg.payload)
        if count[0] == 3 and not lost:
            lost.append(seg.seq)
            return False
        return True

    arrived = tap_tcp(net.host("b"), keep)
    data = bytes(range(256)) * 4096  # 1 MiB
    conn.send(data)
    net.clock.run_until_idle()
    assert bytes(sink.data) == data and len(lost) == 1
    sizes = [len(s.payload) for s in arrived if s.payload]
    mss = conn.mss
    assert max(sizes) == (0xFFFF - 40) // mss * mss  # 44 segments of 1,460 in one
    assert all(n % mss == 0 for n in sizes[:-1])
    assert conn.cc.step == max(sizes) and conn.counters["retransmits"] >= 1
