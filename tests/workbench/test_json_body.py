"""A JSON body as Wireshark's `json` shows it — objects, members, arrays, each value with its
path — and a body that is not JSON as lines of text after an empty JSON layer, as tshark 4.0
shows it. Checked against tshark on bodies made here: the tree's JSON lines, the json.*
fields, filters on them, frame.protocols and the columns (still HTTP's, `HTTP/JSON`)."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import layers
from tests.workbench.beside_tshark import ours as _ours
from tests.workbench.beside_tshark import theirs as _theirs

_TITLES = ("JavaScript Object Notation", "Line-based text data")

BODIES = (
    b'{"a": 1, "b": [true, null, "x\\n"], "c": {"d": -2.5e3}, "e": {}, "f": []}',
    b'[{"k": false}, [1, [2]], "caf\xc3\xa9", "\\u00e9\\"q"]',
    b'  {"nested": {"deeper": {"deepest": [0.5, 1e-3]}}}\n',
    b'{"a": 1,',  # not JSON: an empty JSON layer, then the text
    b"[1, 2] trailing",
    b"NaN",
)
FIELDS = (
    "frame.protocols",
    "_ws.col.Protocol",
    "_ws.col.Info",
    "json.key",
    "json.member",
    "json.path",
    "json.path_with_value",
    "json.member_with_value",
    "json.value.string",
    "json.value.number",
)


def _capture(path) -> None:
    ether = Ether(src="00:1b:21:3a:4f:64", dst="50:c7:bf:a1:00:01")
    frames = []
    for i, body in enumerate(BODIES):
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        tcp = TCP(sport=40000 + i, dport=80, flags="PA", seq=1, ack=1)
        frames.append(ether / IP(src="10.0.0.1", dst="10.0.0.2") / tcp / (head + body))
    wrpcap(str(path), frames)


@needs_tool("tshark")
def test_json_bodies_are_laid_out_as_tshark_lays_them_out(tmp_path):
    path = str(tmp_path / "json.pcap")
    _capture(path)
    theirs = layers(_theirs(path, "-V"), *_TITLES)
    assert "[Path with value: /nested/deeper/deepest/[]:1e-3]" in (line.strip() for line in theirs)
    assert layers(_ours(path, "-V"), *_TITLES) == theirs


@needs_tool("tshark")
def test_json_fields_and_filters_are_tsharks(tmp_path):
    path = str(tmp_path / "json.pcap")
    _capture(path)
    args = ["-T", "fields", "-E", "occurrence=a", *[a for f in FIELDS for a in ("-e", f)]]
    theirs = _theirs(path, *args)
    assert ":json:data-text-lines" in theirs
    assert _ours(path, *args) == theirs
    for text in (
        "json",
        "json.value.true",
        "json.value.false",
        "json.value.null",
        "json.array",
        "json.object",
        'json.key == "deeper"',
        'json.value.string contains "q"',
        "data-text-lines",
    ):
        args = ["-Y", text, "-T", "fields", "-e", "frame.number"]
        assert _ours(path, *args) == _theirs(path, *args), text
