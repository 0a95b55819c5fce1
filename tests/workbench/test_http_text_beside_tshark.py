"""HTTP's text and TCP's streams as tshark 4.0 writes them, on captures scapy makes: what the
lossy transfer of the oracle corpus (tests/live/test_tshark_oracle.py) met once in CI, and
what real traffic holds beside it.

- A binary body's `http.file_data`: tshark prints it up to its first NUL, each byte past 0x7f
  as U+FFFD, \\b \\t \\n \\f \\r escaped and every other control character raw (\\x1e too:
  a reader must split rows at LF alone).
- A message reassembled from segments that came out of order: `tcp.segment` lists them in
  sequence order, and the message's bytes are joined in that order.
- Header lines: the fields tshark names (Referer, Cookie …), a header it has no field for as a
  plain `http.request.line`, non-ASCII bytes in values and in the tree.
- A body with no Content-Type goes to `data`; a SYN without window scaling says -2; a SYN on
  a pair of ports already seen starts a new stream, "[TCP Port numbers reused]".
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import layers

C, S = "192.168.77.2", "192.168.77.1"
CMAC, SMAC = "02:00:00:00:00:02", "02:00:00:00:00:01"


def _up(payload: bytes = b"", port: int = 80, **tcp):
    return (
        Ether(src=CMAC, dst=SMAC)
        / IP(src=C, dst=S)
        / TCP(sport=40000, dport=port, **tcp)
        / Raw(payload)
    )


def _down(payload: bytes = b"", port: int = 80, **tcp):
    return (
        Ether(src=SMAC, dst=CMAC)
        / IP(src=S, dst=C)
        / TCP(sport=port, dport=40000, **tcp)
        / Raw(payload)
    )


def _exchange(request: bytes, response: bytes, swap: tuple[int, int] | None = None) -> list:
    """A handshake (a 50 ms RTT, so a segment a little late is out of order, not a
    retransmission), the request, the response in 1,448-byte segments (two swapped when
    `swap`), and the client's ACK."""
    frames = [
        _up(flags="S", seq=100, options=[("MSS", 1460), ("WScale", 7)]),
        _down(flags="SA", seq=500, ack=101, options=[("MSS", 1460), ("WScale", 7)]),
        _up(flags="A", seq=101, ack=501),
        _up(request, flags="PA", seq=101, ack=501),
    ]
    ack = 101 + len(request)
    seq = 501
    pieces = []
    for at in range(0, len(response), 1448):
        chunk = response[at : at + 1448]
        pieces.append(_down(chunk, flags="A", seq=seq, ack=ack))
        seq += len(chunk)
    if swap:
        a, b = swap
        pieces[a], pieces[b] = pieces[b], pieces[a]
    frames += pieces + [_up(flags="A", seq=ack, ack=seq)]
    for n, frame in enumerate(frames):
        frame.time = 1000 + (0.05 if n else 0) + n * 0.0001
    return frames


def _rows(tool: list[str], path: str, names: list[str], *extra: str) -> list[list[str]]:
    """-T fields rows, split at LF alone and read as bytes: a value may hold \\x1e raw."""
    args = [*tool, path, "-T", "fields", "-E", "occurrence=a", *extra]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, timeout=120, check=True).stdout
    text = out.decode("utf-8", "replace")
    return [row.split("\t") for row in text.split("\n")[:-1]]


def _both(path: str, names: list[str], *extra: str) -> tuple[list, list]:
    theirs = _rows([shutil.which("tshark"), "-r"], path, names, *extra)
    ours = _rows([sys.executable, "-m", "workbench.cli", "dissect"], path, names, *extra)
    return ours, theirs


def _response(body: bytes, media: bytes | None = b"application/octet-stream") -> bytes:
    head = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\n"
    if media is not None:
        head += b"Content-Type: " + media + b"\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


REQUEST = b"GET /bulk.bin HTTP/1.1\r\nHost: 192.168.77.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"


@needs_tool("tshark")
def test_a_binary_body_prints_as_tshark_prints_it(tmp_path):
    rng = random.Random(1675)
    # every control character, a backslash, bytes past 0x7f (valid UTF-8 too), then a NUL
    start = bytes(range(1, 32)) + b"\\x \x7f" + "é€".encode() + b"\xc3(\x1e"
    body = start + b"\x00" + bytes(rng.getrandbits(8) for _ in range(6000))
    path = str(tmp_path / "binary.pcap")
    wrpcap(path, _exchange(REQUEST, _response(body)))
    names = ["frame.number", "http.file_data", "tcp.reassembled.length", "frame.protocols"]
    ours, theirs = _both(path, names, "-Y", "http.response")
    assert ours == theirs
    assert len(theirs) == 1 and "\x1e" in theirs[0][1] and "\\b" in theirs[0][1]
    assert theirs[0][1].endswith("(\x1e"), "the NUL ends the value"


@needs_tool("tshark")
def test_segments_out_of_order_are_listed_and_joined_in_sequence_order(tmp_path):
    rng = random.Random(7)
    body = bytes(rng.randrange(32, 127) for _ in range(12000))  # text, no NUL: all of it shows
    path = str(tmp_path / "ooo.pcap")
    wrpcap(path, _exchange(REQUEST, _response(body, b"text/plain"), swap=(2, 3)))
    names = [
        "frame.number",
        "tcp.analysis.out_of_order",
        "tcp.segment",
        "tcp.segment.count",
        "http.file_data",
        "_ws.col.Info",
    ]
    ours, theirs = _both(path, names)
    assert ours == theirs
    whole = [row for row in theirs if row[2]]
    assert whole and whole[0][2].split(",")[2:4] == ["8", "7"], "the late segment first"
    assert [row[0] for row in theirs if row[1]] == ["8"], "frame 8 came out of order"
    # the tree's reassembly line and the message's lines, from the joined bytes
    last = whole[0][0]
    mine = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "dissect",
            path,
            "-V",
            "-Y",
            f"frame.number == {last}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    wire = subprocess.run(
        [shutil.which("tshark"), "-r", path, "-V", "-Y", f"frame.number == {last}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    line = next(x for x in wire.splitlines() if "Reassembled TCP Segments" in x)
    assert line.strip() in mine
    assert layers(mine, "Line-based")[:4] == layers(wire, "Line-based")[:4]


@needs_tool("tshark")
def test_header_lines_and_their_text_as_tshark(tmp_path):
    request = (
        b"GET /a\xc3\xa9b HTTP/1.1\r\nHost: h\xc3\xa9\x01x\r\nUser-Agent: a\x00b\r\n"
        b"Referer: http://x/\r\nCookie: k=v\r\nAccept-Encoding: gzip\r\nAccept-Language: en\r\n"
        b"X-Foo: q\xe9r\r\nAuthorization: Basic dTpw\r\n\r\n"
    )
    path = str(tmp_path / "head.pcap")
    wrpcap(path, [_up(request, flags="PA", seq=1, ack=1)])
    names = [
        "http.request.uri",
        "http.host",
        "http.user_agent",
        "http.referer",
        "http.cookie",
        "http.accept_encoding",
        "http.accept_language",
        "http.authorization",
        "http.unknown_header",
        "http.request.line",
        "http.request.full_uri",
        "_ws.col.Info",
    ]
    ours, theirs = _both(path, names)
    assert ours == theirs
    assert theirs[0][0] == "/a\ufffd\ufffdb" and theirs[0][2] == "a", "per-byte U+FFFD; NUL ends"
    assert theirs[0][8] == "", "an unknown header has no field of its own"
    tree = ["Hypertext"]
    mine = layers(
        subprocess.run(
            [sys.executable, "-m", "workbench.cli", "dissect", path, "-V"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout,
        *tree,
    )
    wire = layers(
        subprocess.run(
            [shutil.which("tshark"), "-r", path, "-V"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout,
        *tree,
    )
    assert mine == wire  # the request line's Chat note too
    assert "        [Expert Info (Chat/Sequence): GET /a\u00e9b HTTP/1.1\\r\\n]" in mine
    assert "    X-Foo: q\ufffdr\\r\\n" in mine and "    User-Agent: a\\000b\\r\\n" in mine


@needs_tool("tshark")
def test_a_body_of_no_named_type_is_data(tmp_path):
    one = str(tmp_path / "one.pcap")
    wrpcap(one, [_down(_response(b"hello", None), flags="PA", seq=1, ack=1)])
    many = str(tmp_path / "many.pcap")
    wrpcap(many, _exchange(REQUEST, _response(bytes(5000), None)))
    for path in (one, many):
        ours, theirs = _both(path, ["frame.number", "frame.protocols"], "-Y", "http.response")
        assert ours == theirs and theirs[0][1].endswith(":http:data")


def _syn(seq: int):
    """A handshake and two bytes on port 81 (on 80, tshark's HTTP would wait for a line)."""
    return [
        _up(flags="S", seq=seq, port=81),
        _down(flags="SA", seq=9000, ack=seq + 1, port=81),
        _up(flags="A", seq=seq + 1, ack=9001, port=81),
        _up(b"hi", flags="PA", seq=seq + 1, ack=9001, port=81),
    ]


@needs_tool("tshark")
def test_streams_on_reused_ports_and_a_handshake_without_scaling(tmp_path):
    frames = _syn(100) + _syn(5000) + _syn(5000)  # a new ISN: a new stream; the same: not
    frames += _syn(7000) + [_up(flags="R", seq=7003, port=81)]
    frames += _syn(9000) + [_up(flags="S", seq=9000, port=81)]
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.01
    path = str(tmp_path / "reuse.pcap")
    wrpcap(path, frames)
    names = [
        "frame.number",
        "tcp.stream",
        "tcp.analysis.flags",
        "tcp.analysis.reused_ports",
        "tcp.window_size_scalefactor",
        "tcp.window_size",
        "_ws.col.Info",
    ]
    ours, theirs = _both(path, names)
    assert ours == theirs
    assert [row[0] for row in theirs if row[3]] == ["5", "13", "18"]
    assert {row[4] for row in theirs} == {"", "-2"}  # no WScale in any SYN (none on a SYN)
    reused = "-Y", "tcp.analysis.reused_ports", "-T", "fields", "-e", "frame.number"
    assert subprocess.run(
        [sys.executable, "-m", "workbench.cli", "dissect", path, *reused],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split() == ["5", "13", "18"]
    mine = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "dissect", path, "-V", "-Y", "frame.number == 7"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "[Window size scaling factor: -2 (no window scaling used)]" in mine
