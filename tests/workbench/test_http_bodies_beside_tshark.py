"""HTTP responses with no body and bodies asked for a segment at a time, beside tshark 4.0, on
captures scapy makes: the answer to a HEAD, a 304 and a 204 carry no body whatever their
Content-Length says (RFC 9110 6.4.1), so the next message on the connection is its own; each
segment of a chunked body says the message's first line, as tshark's HTTP reads the message
again from its start each time; bytes with no line end after a lost head are held as long as
tshark holds them (here 100 KB, over 70 segments)."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours, theirs

A, B = "10.9.0.1", "10.9.0.2"
FIELDS = [
    "frame.protocols",
    "_ws.col.Protocol",
    "_ws.col.Info",
    "data.len",
    "tcp.reassembled.length",
    "http.response.code",
]


def _fields_argv(*names: str) -> list[str]:
    return ["-T", "fields", *(x for name in names for x in ("-e", name))]


def _connection(port: int, turns: list) -> list:
    """One connection: each turn ("c", bytes) from the client or ("s", bytes) from the server."""
    seq = {"c": 1000, "s": 5000}
    frames = []
    for side, payload in turns:
        sport, dport, src, dst = (port, 80, A, B) if side == "c" else (80, port, B, A)
        tcp = TCP(
            sport=sport,
            dport=dport,
            flags="PA",
            seq=seq[side],
            ack=seq["s" if side == "c" else "c"],
        )
        frames.append(Ether() / IP(src=src, dst=dst) / tcp / Raw(payload))
        seq[side] += len(payload)
    return frames


def _capture(path: str) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    frames = _connection(
        41000,
        [
            ("c", b"HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("s", ok),  # no body: its Content-Length is what a GET would have got
            ("c", b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("s", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
            ("c", b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("s", b"HTTP/1.1 204 No Content\r\n\r\n"),
            ("c", b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("s", ok + b"body"),
            ("c", b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("s", chunked),
            ("s", b"5\r\nhello\r\n"),
            ("s", b"6\r\n world\r\n"),
            ("s", b"0\r\n\r\n"),
        ],
    )
    text = b"x" * 100_000 + b"\n"
    pieces = [text[i : i + 1448] for i in range(0, len(text), 1448)]
    # a request, then a response whose head was lost: lines no segment ends until the last
    frames += _connection(
        41001, [("c", b"GET /f HTTP/1.1\r\nHost: x\r\n\r\n")] + [("s", p) for p in pieces]
    )
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    wrpcap(path, frames)


@needs_tool("tshark")
def test_bodiless_chunked_and_held_as_tshark(tmp_path):
    path = str(tmp_path / "bodies.pcap")
    _capture(path)
    argv = _fields_argv(*FIELDS)
    mine, wire = ours(path, *argv).splitlines(), theirs(path, *argv).splitlines()
    for number, (a, b) in enumerate(zip(mine, wire, strict=True), 1):
        assert a == b, (number, a, b)
    codes = [line.split("\t")[5] for line in mine if line.split("\t")[5]]
    assert codes == ["200", "304", "204", "200", "200"]
    chunks = [line.split("\t")[2] for line in mine[10:12]]
    assert chunks == ["HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]"] * 2
    assert mine[-1].split("\t")[4] == "100001"  # held to the segment that ends the line
    for text in ("http.response", "http.request_in", "tcp.segments", "data"):
        picked = ("-Y", text, "-T", "fields", "-e", "frame.number")
        assert ours(path, *picked) == theirs(path, *picked), text


@needs_tool("tshark")
def test_the_hierarchy_leaves_a_continuations_data_inside_http(tmp_path):
    path = str(tmp_path / "bodies.pcap")
    _capture(path)
    for asked in ("io,phs", "io,phs,http"):
        assert ours(path, "-q", "-z", asked) == theirs(path, "-q", "-z", asked), asked


TYPES = [  # a body of each: tshark's catch-all "media", or a dissector of its own
    b"application/javascript",
    b"application/pdf",
    b"font/woff2",
    b"image/webp",
    b"application/octet-stream",  # plain data
    b"image/svg+xml",  # XML
    b"message/http",
]


@needs_tool("tshark")
def test_a_body_of_any_named_type_as_tshark_names_it(tmp_path):
    """A typed body no dissector of the model's takes is tshark's "media" (Info names its
    type), counted in the hierarchy; a body with no Content-Type is Data inside HTTP's tree,
    not counted there; application/octet-stream stays data."""
    frames = []
    for n, media in enumerate(TYPES):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: " + media + b"\r\nContent-Length: 4\r\n\r\n"
        frames += _connection(
            42000 + n, [("c", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ("s", head + b"body")]
        )
    frames += _connection(
        42100,
        [
            ("c", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"),
        ],
    )
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    path = str(tmp_path / "types.pcap")
    wrpcap(path, frames)
    argv = (
        "-Y",
        "http.response",
        *_fields_argv("frame.protocols", "_ws.col.Protocol", "_ws.col.Info"),
    )
    mine = ours(path, *argv)
    assert mine == theirs(path, *argv)
    assert "eth:ethertype:ip:tcp:http:media\tHTTP\tHTTP/1.1 200 OK  (application/pdf)" in mine
    assert ours(path, "-q", "-z", "io,phs") == theirs(path, "-q", "-z", "io,phs")


@needs_tool("tshark")
def test_a_response_read_to_the_close_lists_its_fin(tmp_path):
    """A response with no length ends at the server's FIN, which tshark lists among the
    message's segments ('[Frame: N (no data)]'), one data segment or several."""
    head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
    frames = []
    for n, parts in enumerate(([head + b"<p>one</p>"], [head + b"<p>one</p>", b"<p>two</p>"])):
        turns = [("c", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")] + [("s", p) for p in parts]
        frames += _connection(44000 + n, [*turns, ("s", b"")])
        frames[-1][TCP].flags = "FA"
        del frames[-1][Raw]
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    path = str(tmp_path / "close.pcap")
    wrpcap(path, frames)
    argv = _fields_argv(*FIELDS, "tcp.segment")
    mine = ours(path, *argv)
    assert mine == theirs(path, *argv)
    assert mine.splitlines()[2].endswith("\t2,3")
    shown = ours(path, "-V", "-Y", "frame.number == 3")
    assert "    [Frame: 3 (no data)]" in shown
    assert "    [Frame: 3 (no data)]" in theirs(path, "-V", "-Y", "frame.number == 3")
