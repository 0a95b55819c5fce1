"""A frame's trace summary is remembered across the hops of one packet (stack.frame_summary);
every hop's line must still say what that hop's own frame holds, as decoding it afresh does."""

from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.events import FrameSent
from stack.proto.frame import dissect_frame
from tests.conftest import run

DNS = IPv4Address("8.8.8.8")
WWW = IPv4Address("172.194.72.105")


def _model(data: bytes) -> str:
    """The summary as the protocol model's row gives it, decoded afresh."""
    row = dissect_frame(data).row(check=False)
    return f"{row.protocol} {row.source} → {row.destination} {row.info}"


def _sent(net) -> list[FrameSent]:
    return [e for e in net.trace.events if type(e) is FrameSent]


def test_each_hop_of_a_ping_says_its_own_ttl(default_net):
    net = default_net
    run(net, Ping(net.host("pc"), DNS, count=1))
    requests = [e.summary for e in _sent(net) if "Echo (ping) request" in e.summary]
    # pc, gw-a, gw-b: the same packet, one TTL less at each router
    assert [s.rsplit("ttl=", 1)[1] for s in requests] == ["64", "63", "62"]
    for event in _sent(net):
        assert event.summary == _model(event.data)


def test_pings_that_fragment_or_expire_read_as_decoded_afresh(default_net):
    """Fragments of a big ping carry no ttl= in their line; a ping whose TTL runs out on the
    way gets Time-to-live exceeded back: every hop's line is still its own frame's."""
    net = default_net
    run(net, Ping(net.host("pc"), DNS, count=2, size=3000, interval=0.01))
    run(net, Ping(net.host("pc"), DNS, count=2, ttl=2, interval=0.01))
    run(net, Ping(net.host("pc"), DNS, count=2, interval=0.01))
    sent = _sent(net)
    assert any("Fragmented IP protocol" in e.summary for e in sent)
    assert any("Time-to-live exceeded" in e.summary for e in sent)
    assert [e.summary for e in sent] == [_model(e.data) for e in sent]


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
    assert summaries == [_model(e.data) for e in sent]
    # a frame whose bytes are not a well-formed IPv4 header is decoded as it is
    broken = sent[-1].data[:14] + b"\x46" + sent[-1].data[15:]
    assert FrameSent(0.0, "pc", (1,), "eth0", "lan", 64, broken).summary == _model(broken)


def _segment(rng, *, flags, sport, dport, payload, urgent=0, frag=0, pad=0, offset=0x50):
    import struct

    total = 40 + len(payload)
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, total, rng.randrange(65536), frag, 64, 6, 0,
        rng.randbytes(4), rng.randbytes(4),
    )  # fmt: skip
    tcp = struct.pack(
        "!HHIIBBHHH", sport, dport, rng.randrange(1 << 32), rng.randrange(1 << 32), offset,
        flags, rng.randrange(65536), 0, urgent,
    )  # fmt: skip
    return rng.randbytes(12) + b"\x08\x00" + ip + tcp + payload + b"\x00" * pad


def test_segments_read_from_their_bytes_say_what_the_protocol_model_says():
    """The commonest segments are summarised from their bytes without the model's layers:
    every one of them (any flags, urgent pointer, padding, payload on a port a protocol is
    bound at or that HTTP's heuristic claims) reads as the model reads it."""
    import random

    from stack.proto.tcp import plain_row as _plain_tcp

    rng = random.Random(9)
    payloads = [b"", b"x", rng.randbytes(1460), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"]
    payloads += [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", b"\x00\x1c" + rng.randbytes(28)]
    ports = [5001, 80, 53, 18080, 443, 40000, 67, 123]
    fast = 0
    for _ in range(3000):
        frame = _segment(
            rng,
            flags=rng.randrange(256),
            sport=rng.choice(ports),
            dport=rng.choice(ports),
            payload=rng.choice(payloads),
            urgent=rng.choice((0, 0, 7)),
            frag=rng.choice((0, 0, 0, 0x4000, 0x2000, 0x0001)),
            pad=rng.choice((0, 0, 6)),
            offset=rng.choice((0x50, 0x50, 0x50, 0x60, 0x51)),
        )
        text = _plain_tcp(frame)
        if text is not None:
            fast += 1
            assert text == _model(frame)
        assert FrameSent(0.0, "pc", (1,), "eth0", "lan", 64, frame).summary == _model(frame)
    assert fast > 500  # a good share took the short way


def test_echoes_read_from_their_bytes_say_what_the_protocol_model_says():
    """ICMP echoes are summarised from their bytes too (and remembered without their TTL):
    any id, sequence, TTL, payload, padding, fragment or cut length reads as the model reads it."""
    import random
    import struct

    from stack.proto.icmp import plain_row as _plain_echo

    rng = random.Random(3)
    fast = 0
    for _ in range(2000):
        kind = rng.choice((0, 8, 8, 3, 11))
        payload = rng.choice((b"", b"abc", rng.randbytes(56), rng.randbytes(1472)))
        icmp = struct.pack("!BBHHH", kind, 0, 0, rng.randrange(65536), rng.randrange(65536))
        total = 20 + len(icmp) + payload.__len__() + rng.choice((0, 0, 0, 4, -2))
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, total, 1, rng.choice((0, 0, 0x4000, 0x2000, 0x0010)),
            rng.randrange(256), 1, 0, rng.randbytes(4), rng.randbytes(4),
        )  # fmt: skip
        frame = rng.randbytes(12) + b"\x08\x00" + ip + icmp + payload + b"\x00" * rng.choice((0, 9))
        if kind in (0, 8):
            text = _plain_echo(frame)
            if text is not None:
                fast += 1
                assert text == _model(frame)
        for _hop in range(2):  # the second time from the memo, with another TTL
            assert FrameSent(0.0, "pc", (1,), "eth0", "lan", 64, frame).summary == _model(frame)
            frame = frame[:22] + bytes([(frame[22] - 1) % 256]) + frame[23:]
    assert fast > 500


def test_frames_alike_but_for_their_payload_are_summarised_each_as_itself():
    """A summary is remembered by the frame's headers and checked against the rest of its
    bytes: two segments with the same headers and length whose payloads read differently
    (an HTTP request on port 80, or the same bytes changed) each get their own line."""
    import random

    rng = random.Random(5)
    request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    plain = _segment(rng, flags=0x18, sport=40000, dport=80, payload=request)
    other = plain[: -len(request)] + b"x" * len(request)
    padded = plain + b"\0" * 4  # Ethernet padding after the datagram: the same line
    for frame in (plain, other, plain, padded, other):
        summary = FrameSent(0.0, "pc", (1,), "eth0", "lan", 64, frame).summary
        assert summary == _model(frame)
    assert _model(plain) != _model(other)
