"""Bulk transfers: byte-exact across a router over lossy, reordering, duplicating and
corrupting links (the issue's "done when"), closing right after the last send, in both
directions at once, and across the 2^32 sequence-number wrap."""

from __future__ import annotations

import hashlib
import random

from tcp_helpers import B, Sink

from stack.labs import build_network
from stack.labs.load import parse_lab
from tests.stack.transport.conftest import small_lab

FAULTY = """
[segments.{name}.faults]
loss = 0.10
reorder = 0.05
duplicate = 0.02
corrupt = 0.01
"""


def faulty_pair(seed: int = 7):
    """The pair lab (a — r — b) with the issue's faults on both links."""
    text = small_lab(FAULTY.format(name="left"), seed=seed).replace(
        '[segments.right]\nsubnet = "10.2.0.0/24"\n',
        '[segments.right]\nsubnet = "10.2.0.0/24"\n' + FAULTY.format(name="right"),
    )
    return build_network(parse_lab(text, "faulty-pair.toml"))


def digest(data) -> str:
    return hashlib.sha256(data).hexdigest()


def test_ten_megabytes_cross_lossy_links_byte_exact(pair):
    net = faulty_pair()
    a, b = net.host("a"), net.host("b")
    data = random.Random(10).randbytes(10_000_000)
    sink = Sink()
    b.tcp.listen(5001, sink.accept)
    conn = a.tcp.connect((B, 5001))
    offset = 0
    chunk = 64 * 1024

    def write_more():
        # Back-pressure: write while the send buffer has room, then wait for on_writable.
        nonlocal offset
        while offset < len(data) and conn.writable:
            conn.send(data[offset : offset + chunk])
            offset += chunk
        if offset >= len(data):
            conn.close()  # right after the last write

    conn.on_connected = write_more
    conn.on_writable = write_more
    reasons = []
    conn.on_closed = reasons.append
    net.clock.run_until_idle()
    assert len(sink.data) == len(data)
    assert digest(sink.data) == digest(data)
    assert reasons == ["closed"] and sink.closed == ["closed"]
    faults = {e.fault for e in net.trace.events if e.kind == "link_fault"}
    assert {"lost", "reordered", "duplicated", "corrupted"} <= faults
    assert conn.counters["retransmits"] > 0 and conn.counters["fast_retransmits"] > 0


def test_transfer_closed_right_after_the_last_send_arrives_whole(pair):
    net = faulty_pair(seed=11)
    a, b = net.host("a"), net.host("b")
    data = random.Random(2).randbytes(1_500_000)
    sink = Sink()
    b.tcp.listen(5001, sink.accept)
    conn = a.tcp.connect((B, 5001))
    conn.send(data)  # queued during the handshake ...
    conn.close()  # ... and closed at once: all of it must still arrive before the FIN
    net.clock.run_until_idle()
    assert digest(sink.data) == digest(data)
    assert sink.eof and sink.closed == ["closed"]


def test_both_directions_at_once_over_lossy_links(pair):
    net = faulty_pair(seed=3)
    a, b = net.host("a"), net.host("b")
    up = random.Random(4).randbytes(400_000)
    down = random.Random(5).randbytes(300_000)
    got_up, got_down = bytearray(), bytearray()

    def accept(conn):
        conn.on_data = got_up.extend
        conn.on_eof = lambda: None
        conn.send(down)
        conn.shutdown()  # half-close: done sending, still reading

    b.tcp.listen(5001, accept)
    conn = a.tcp.connect((B, 5001))
    conn.on_data = got_down.extend
    conn.on_eof = lambda: None
    conn.send(up)
    conn.shutdown()
    net.clock.run_until_idle()
    assert digest(got_up) == digest(up) and digest(got_down) == digest(down)
    assert conn.state == "CLOSED" and b.tcp.connections() == []


def test_sequence_numbers_wrap_past_two_to_the_32(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    a.tcp.isn = lambda: 2**32 - 5000  # ISNs just below the wrap
    b.tcp.isn = lambda: 2**32 - 100
    data = random.Random(6).randbytes(200_000)
    sink = Sink()
    b.tcp.listen(5001, sink.accept)
    conn = a.tcp.connect((B, 5001))
    echo = bytearray()
    conn.on_data = echo.extend
    sink_accept = sink.accept

    def accept_and_echo(c):
        sink_accept(c)
        c.send(data)

    b.tcp.listeners()[0].on_accept = accept_and_echo
    conn.on_eof = lambda: None
    conn.send(data)
    conn.shutdown()  # half-close: the echo still has to come back
    net.clock.run_until_idle()
    assert digest(sink.data) == digest(data) and digest(echo) == digest(data)
    assert conn.snd_max > 2**32 and conn.rcv_nxt > 2**32


def test_without_sack_newreno_still_delivers_over_lossy_links(pair):
    net = faulty_pair(seed=5)
    a, b = net.host("a"), net.host("b")
    a.tcp.sack = b.tcp.sack = False
    data = random.Random(8).randbytes(1_000_000)
    sink = Sink()
    b.tcp.listen(5001, sink.accept)
    conn = a.tcp.connect((B, 5001))
    conn.send(data)
    conn.close()
    net.clock.run_until_idle()
    assert not conn.sack_ok
    assert digest(sink.data) == digest(data) and sink.closed == ["closed"]
