"""HTTP requests paired with their responses as tshark 4.0's single pass pairs them: the full
request URI, `[HTTP request n/N]`, `[Time since request]`, `[Request in frame]`, the exchange
before, and a pipelined conversation (a response paired with the latest request), checked
field by field, line by line and filter by filter against tshark on a capture made here."""

from __future__ import annotations

import pickle
import re

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours as _ours
from tests.workbench.beside_tshark import theirs as _theirs
from workbench.dissect.http_links import Numbered

FIELDS = (
    "frame.number",
    "http.request.full_uri",
    "http.request_number",
    "http.response_number",
    "http.time",
    "http.prev_request_in",
    "http.prev_response_in",
    "http.request_in",
    "http.response_for.uri",
)


def _capture(path) -> None:
    client = Ether(src="00:1b:21:3a:4f:64", dst="50:c7:bf:a1:00:01")
    server = Ether(src="50:c7:bf:a1:00:01", dst="00:1b:21:3a:4f:64")

    def request(port: int, seq: int, line: bytes, host: bytes | None = b"example.test:8080"):
        head = line + b"\r\n" + (b"Host: " + host + b"\r\n" if host else b"") + b"\r\n"
        ip = IP(src="10.0.0.1", dst="10.0.0.2")
        return client / ip / TCP(sport=port, dport=8080, flags="PA", seq=seq, ack=1) / head

    def response(port: int, seq: int, ack: int, body: bytes):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
        data = head % len(body) + body
        ip = IP(src="10.0.0.2", dst="10.0.0.1")
        return server / ip / TCP(sport=8080, dport=port, flags="PA", seq=seq, ack=ack) / data

    frames = []
    # one request, its response, then a second exchange on the same connection
    a = request(40000, 1, b"GET /a HTTP/1.1")
    frames += [a, response(40000, 1, 1 + len(a[TCP].payload), b"one")]
    b = request(40000, 1 + len(a[TCP].payload), b"GET /index.html?x=1 HTTP/1.1")
    frames += [b, response(40000, 1 + len(frames[1][TCP].payload), 1, b"two\nlines\n")]
    # pipelined: two requests, then two responses (the first goes with the second request)
    c = request(40001, 1, b"GET /c HTTP/1.1")
    d = request(40001, 1 + len(c[TCP].payload), b"GET http://abs.test/d HTTP/1.1")
    r1 = response(40001, 1, 1, b"c")
    r2 = response(40001, 1 + len(r1[TCP].payload), 1, b"d")
    frames += [c, d, r1, r2]
    # no Host header: no full URI; a response with no request before it
    frames += [request(40002, 1, b"GET /nohost HTTP/1.0", host=None)]
    frames += [response(40003, 1, 1, b"orphan")]
    for i, frame in enumerate(frames):
        frame.time = 1 + i * 0.25
    wrpcap(str(path), frames)


@needs_tool("tshark")
def test_pairing_fields_are_tsharks(tmp_path):
    path = str(tmp_path / "http.pcap")
    _capture(path)
    args = ["-T", "fields", *[a for name in FIELDS for a in ("-e", name)]]
    theirs = _theirs(path, *args)
    assert "http://abs.test/d" in theirs and "\t2/" not in theirs  # the capture holds the cases
    assert _ours(path, *args) == theirs


@needs_tool("tshark")
def test_pairing_lines_in_the_tree_are_tsharks(tmp_path):
    path = str(tmp_path / "http.pcap")
    _capture(path)
    wanted = re.compile(r"^    (\[(Full|HTTP|Time since|Prev|Request)|File Data)")
    theirs = [line for line in _theirs(path, "-V").splitlines() if wanted.match(line)]
    ours = [
        re.sub(r"  \[bytes? [\d-]+\]$", "", line)
        for line in _ours(path, "-V").splitlines()
        if wanted.match(line)
    ]
    assert "    [HTTP response 3/3]" in theirs
    assert ours == theirs


@needs_tool("tshark")
def test_filters_on_the_pairing_select_tsharks_frames(tmp_path):
    path = str(tmp_path / "http.pcap")
    _capture(path)
    for text in (
        "http.request_in",
        "http.request_in == 6",
        "http.prev_response_in",
        "http.time >= 0.5",
        "http.request_number == 2",
        "http.response_number == 3",
        'http.request.full_uri contains "index"',
        'http.response_for.uri == "http://abs.test/d"',
    ):
        args = ["-Y", text, "-T", "fields", "-e", "frame.number"]
        assert _ours(path, *args) == _theirs(path, *args), text


def test_a_numbered_value_keeps_its_total_through_pickling():
    """Frame notes are pickled when packed away: "2/3" must come back as it went."""
    value = pickle.loads(pickle.dumps(Numbered(2, 3)))
    assert (value, value.total, str(value)) == (2, 3, "2")
