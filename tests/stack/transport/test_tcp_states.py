"""TCP's state machine (RFC 9293 §3.3.2): the handshake, both kinds of close, half-close,
simultaneous open and close, TIME-WAIT, and resets (for closed ports, aborts, bad sequence
numbers)."""

from __future__ import annotations

from tcp_helpers import A, B, Sink, events, states, tap_tcp

from stack.wire.tcp import ACK, RST


def test_handshake_and_active_close_walk_the_rfc_states(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    closed = []
    conn.on_closed = closed.append
    conn.send(b"hello")
    conn.close()
    net.clock.run_until_idle()
    assert bytes(sink.data) == b"hello"
    assert states(net, "a") == [
        "CLOSED",
        "SYN-SENT",
        "ESTABLISHED",
        "FIN-WAIT-1",
        "FIN-WAIT-2",
        "TIME-WAIT",
        "CLOSED",
    ]
    assert states(net, "b") == [
        "CLOSED",
        "SYN-RECEIVED",
        "ESTABLISHED",
        "CLOSE-WAIT",
        "LAST-ACK",
        "CLOSED",
    ]
    assert closed == ["closed"] and sink.closed == ["closed"]
    assert a.tcp.connections() == [] and b.tcp.connections() == []


def test_time_wait_lasts_two_msl_then_the_connection_is_gone(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    a.tcp.msl = 5.0
    b.tcp.listen(5000, Sink().accept)
    conn = a.tcp.connect((B, 5000))
    conn.close()  # nothing queued: closing in SYN-SENT just forgets the connection
    assert conn.state == "CLOSED"
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(1.0)
    conn.close()
    net.clock.run_until(2.0)
    assert conn.state == "TIME-WAIT"
    entered = next(e.time for e in events(net, "tcp_state", "a") if e.new == "TIME-WAIT")
    assert [c.state for c in a.tcp.connections()] == ["TIME-WAIT"]
    net.clock.run_until(entered + 9.9)
    assert conn.state == "TIME-WAIT"
    net.clock.run_until(entered + 10.1)
    assert conn.state == "CLOSED" and a.tcp.connections() == []


def test_fin_retransmitted_into_time_wait_is_acknowledged_again(pair):
    """The last ACK of a close is lost: the peer repeats its FIN, and TIME-WAIT (which exists
    for exactly this) answers it again and restarts its 2·MSL wait (RFC 9293 §3.10.7.4)."""
    net = pair()
    a, b = net.host("a"), net.host("b")
    a.tcp.msl = 5.0
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(0.5)
    lost = []

    def keep(seg):
        if conn.state == "TIME-WAIT" and seg.flags == ACK and not seg.payload and not lost:
            lost.append(seg)
            return False
        return True

    tap_tcp(b, keep)
    conn.close()
    net.clock.run_until(3.0)
    assert len(lost) == 1
    assert sink.conns[0].state == "CLOSED" and sink.closed == ["closed"]
    assert events(net, "tcp_retransmit", "b")  # b's FIN went again after its RTO
    assert conn.state == "TIME-WAIT"
    second_fin = events(net, "tcp_retransmit", "b")[-1].time
    net.clock.run_until_idle()
    closed_at = events(net, "tcp_state", "a")[-1].time
    assert abs(closed_at - (second_fin + 10.0)) < 0.01


def test_half_close_keeps_the_other_direction_open(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    replies = bytearray()

    def accept(conn):
        def on_eof():
            conn.send(b"reply after your FIN")
            conn.close()

        conn.on_eof = on_eof

    b.tcp.listen(5000, accept)
    conn = a.tcp.connect((B, 5000))
    conn.on_data = replies.extend
    conn.on_eof = lambda: None
    conn.send(b"request")
    conn.shutdown()
    net.clock.run_until_idle()
    assert bytes(replies) == b"reply after your FIN"
    assert "FIN-WAIT-2" in states(net, "a") and states(net, "a")[-2:] == ["TIME-WAIT", "CLOSED"]


def test_simultaneous_close_goes_through_closing(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    server = []
    b.tcp.listen(5000, server.append)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(1.0)
    conn.close()
    server[0].close()  # both FINs leave before either arrives
    net.clock.run_until_idle()
    for host in ("a", "b"):
        assert states(net, host)[-4:] == ["FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"]


def test_simultaneous_open_crosses_syns_into_one_connection(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    ca = a.tcp.connect((B, 6000), src_port=5000)
    cb = b.tcp.connect((A, 5000), src_port=6000)
    net.clock.run_until(1.0)
    # The first SYN may meet a closed port before ARP lets the other one out; either way
    # the result must be consistent: both established, or both refused.
    assert {ca.state, cb.state} in ({"ESTABLISHED"}, {"CLOSED"})
    if ca.state == "ESTABLISHED":
        assert "SYN-RECEIVED" in states(net, "a") and "SYN-RECEIVED" in states(net, "b")
        got = bytearray()
        cb.on_data = got.extend
        ca.send(b"crossed")
        net.clock.run_until(2.0)
        assert bytes(got) == b"crossed"


def test_connect_to_a_closed_port_is_refused_with_rst(pair):
    net = pair()
    a = net.host("a")
    conn = a.tcp.connect((B, 4444))
    reasons = []
    conn.on_closed = reasons.append
    net.clock.run_until_idle()
    assert reasons == ["refused"] and conn.state == "CLOSED"
    sent = events(net, "tcp_reset", "b")
    assert sent and sent[0].direction == "sent" and "nothing listens on port 4444" in sent[0].why
    assert events(net, "tcp_reset", "a")[0].direction == "received"


def test_rst_for_a_stray_ack_uses_its_ack_number(pair):
    """RFC 9293 §3.10.7.1: an ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>."""
    from stack.transport.tcp.layer import segment_bytes

    net = pair()
    a = net.host("a")
    seen = tap_tcp(a)
    a.ip.send(B, 6, segment_bytes(int(A) + int(B), 1111, 2222, 1000, 123456, ACK, 100, b""), src=A)
    net.clock.run_until_idle()
    assert len(seen) == 1 and seen[0].flags == RST and seen[0].seq == 123456


def test_abort_resets_the_peer(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(1.0)
    conn.abort()
    net.clock.run_until_idle()
    assert sink.closed == ["reset by peer"]
    assert sink.conns[0].state == "CLOSED" and b.tcp.connections() == []


def test_rst_with_a_wrong_sequence_number_only_earns_a_challenge_ack(pair):
    """RFC 5961 §3.2: a RST must carry exactly RCV.NXT to reset the connection."""
    from stack.transport.tcp.layer import segment_bytes

    net = pair()
    a, b = net.host("a"), net.host("b")
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(1.0)
    server = sink.conns[0]
    rcv_nxt = server.rcv_nxt % 2**32
    seen = tap_tcp(a)
    forged = segment_bytes(
        int(A) + int(B), conn.local_port, 5000, (rcv_nxt + 10) % 2**32, 0, RST, 0, b""
    )
    a.ip.send(B, 6, forged, src=A)
    net.clock.run_until(2.0)
    assert server.state == "ESTABLISHED"
    assert seen and seen[-1].flags == ACK  # the challenge ACK
    exact = segment_bytes(int(A) + int(B), conn.local_port, 5000, rcv_nxt, 0, RST, 0, b"")
    a.ip.send(B, 6, exact, src=A)
    net.clock.run_until(3.0)
    assert server.state == "CLOSED" and sink.closed == ["reset by peer"]


def test_a_damaged_or_malformed_segment_of_a_connection_is_dropped_and_said_why(pair):
    """Segments of a known connection are found by their bytes: a bad checksum or a header
    that runs past the segment is still dropped with its reason, and the data after it flows."""
    import struct

    from stack.transport.tcp.layer import segment_bytes
    from stack.wire.checksum import internet_checksum

    net = pair()
    a, b = net.host("a"), net.host("b")
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(1.0)
    server = sink.conns[0]
    seq, ack = server.rcv_nxt % 2**32, server.snd_max % 2**32
    good = segment_bytes(int(A) + int(B), conn.local_port, 5000, seq, ack, ACK, 1000, b"hello")
    damaged = good[:-1] + b"O"
    # Data offset 60 bytes in a 25-byte segment, with a checksum that is right.
    header = struct.pack("!HHIIHHHH", conn.local_port, 5000, seq, ack, 0xF000 | ACK, 1000, 0, 0)
    csum = internet_checksum(header + b"hello", int(A) + int(B) + 6 + 25)
    malformed = header[:16] + csum.to_bytes(2, "big") + header[18:] + b"hello"
    received = server.counters["segments_received"]
    for raw in (damaged, malformed):
        a.ip.send(B, 6, raw, src=A)
    net.clock.run_until(2.0)
    reasons = [e.reason for e in events(net, "transport_dropped", "b")]
    assert len(reasons) == 2
    assert reasons[0] == "bad TCP checksum (damaged on the way)"
    assert reasons[1].startswith("malformed:") and "data offset 60" in reasons[1]
    assert sink.data == b"" and server.counters["segments_received"] == received
    a.ip.send(B, 6, good, src=A)
    net.clock.run_until(3.0)
    assert sink.data == b"hello" and server.state == "ESTABLISHED"


def test_mss_comes_from_the_mtu_and_the_smaller_side_wins(pair):
    net = pair(extra="")
    a, b = net.host("a"), net.host("b")
    b.interfaces["eth0"].mtu = 1000  # b's side: MSS 960
    sink = Sink()
    b.tcp.listen(5000, sink.accept)
    conn = a.tcp.connect((B, 5000))
    seen = tap_tcp(b)
    conn.send(bytes(5000))
    net.clock.run_until(2.0)
    assert conn.our_mss == 1460 and conn.peer_mss == 960 and conn.mss == 960
    assert sink.conns[0].mss == 960
    assert max(len(s.payload) for s in seen) == 960
    agreed = events(net, "tcp_options", "a")[0]
    assert agreed.mss == 960 and "MTU 1500 − 40" in agreed.detail


def test_syn_to_a_silent_host_backs_off_then_times_out(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    b.ip.handlers[6] = lambda packet, iface, frames: None  # b swallows every segment
    conn = a.tcp.connect((B, 5000))
    reasons = []
    conn.on_closed = reasons.append
    net.clock.run_until_idle()
    assert reasons == ["timed out"]
    times = [e.time for e in events(net, "tcp_retransmit", "a")]
    gaps = [round(t2 - t1, 3) for t1, t2 in zip([0.0] + times, times, strict=False)]
    assert gaps[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]


def test_sockets_report_lists_listeners_and_connections(pair):
    from stack.transport.report import socket_lines

    net = pair()
    a, b = net.host("a"), net.host("b")
    b.tcp.listen(5000, Sink().accept)
    b.udp.open(53)
    conn = a.tcp.connect((B, 5000))
    net.clock.run_until(1.0)
    lines = socket_lines(b)
    assert lines[0].split()[:2] == ["Netid", "State"]
    assert any(line.startswith("udp") and "0.0.0.0:53" in line for line in lines)
    assert any("LISTEN" in line and "0.0.0.0:5000" in line for line in lines)
    assert any("ESTABLISHED" in line and f"10.1.0.10:{conn.local_port}" in line for line in lines)
