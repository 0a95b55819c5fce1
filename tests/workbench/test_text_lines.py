"""An HTTP body of a text type as its own layer, as Wireshark's `data-text-lines` shows it:
`Line-based text data: text/plain (3 lines)` and one line per line with control characters
escaped; the Protocol and Info columns stay HTTP's. Checked against tshark on bodies made here."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from stack.proto.frame import Frame
from tests.conftest import needs_tool
from tests.workbench.beside_tshark import layers
from tests.workbench.beside_tshark import ours as dissect
from tests.workbench.beside_tshark import theirs as tshark

BODIES = (
    b"a\r\nb\n\nc\tz",  # CRLF, an empty line, a tab, a last line without its newline
    b"\n",
    b"caf\xc3\xa9 \xff end\n",  # UTF-8 and a byte that is not
    b"a\x01b\x07c\x0bd\x7fe\\f\n",  # control characters: C's escapes, else octal
    b"<html><body><h1>oracle</h1></body></html>\n",
)


def _frames() -> list:
    ether = Ether(src="00:1b:21:3a:4f:64", dst="50:c7:bf:a1:00:01")
    out = []
    for i, body in enumerate(BODIES):
        kind = b"text/html" if body.startswith(b"<html>") else b"text/plain; charset=utf-8"
        head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
        ip = IP(src="10.0.0.2", dst="10.0.0.1")
        tcp = TCP(sport=80, dport=42000 + i, flags="PA", seq=1, ack=1)
        out.append(ether / ip / tcp / (head % (kind, len(body)) + body))
    return out


@needs_tool("tshark")
def test_text_bodies_are_shown_line_by_line_as_tshark_shows_them(tmp_path):
    path = str(tmp_path / "text.pcap")
    wrpcap(path, _frames())
    theirs = layers(tshark(path, "-V"), "Line-based text data")
    ours = layers(dissect(path, "-V"), "Line-based text data")
    assert "Line-based text data: text/plain (4 lines)" in theirs
    assert ours == theirs
    fields = [
        "-T",
        "fields",
        "-e",
        "frame.protocols",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "_ws.col.Info",
    ]
    for args in (fields, ["-Y", "data-text-lines", *fields]):
        assert dissect(path, *args) == tshark(path, *args)


def test_the_columns_stay_https():
    frame = Frame(bytes(_frames()[0]))
    assert frame.protocols().endswith(":http:data-text-lines")
    row = frame.row()
    assert (row.protocol, row.info) == ("HTTP", "HTTP/1.1 200 OK  (text/plain)")
