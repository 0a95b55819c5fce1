"""An echo reply linked to its request as tshark's single pass links it, on a capture scapy
makes: a request answers one reply (a copy of the reply links to nothing, a request sent again
takes the next), the reply carries the response time in milliseconds (`icmp.resptime`), and
`icmp.resp_in` / `icmp.no_resp` are known filters that a single pass never sets."""

from __future__ import annotations

from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours, theirs


def _capture(path: str) -> None:
    request = Ether() / IP(src="10.9.0.1", dst="10.9.0.2") / ICMP(id=5, seq=1) / Raw(b"abc")
    reply = Ether() / IP(src="10.9.0.2", dst="10.9.0.1") / ICMP(type=0, id=5, seq=1) / Raw(b"abc")
    frames = [request, reply, reply.copy(), request.copy(), reply.copy()]
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.0125
    wrpcap(path, frames)


FIELDS = ["frame.number", "icmp.resp_to", "icmp.resptime", "icmp.resp_in", "icmp.no_resp"]


@needs_tool("tshark")
def test_replies_link_once_with_their_time(tmp_path):
    path = str(tmp_path / "echo.pcap")
    _capture(path)
    argv = ["-T", "fields", *(x for name in FIELDS + ["_ws.col.Info"] for x in ("-e", name))]
    mine = ours(path, *argv)
    assert mine == theirs(path, *argv)
    assert [row.split("\t")[:3] for row in mine.splitlines()] == [
        ["1", "", ""],
        ["2", "1", "12.5"],
        ["3", "", ""],
        ["4", "", ""],
        ["5", "4", "12.5"],
    ]
    for text in ("icmp.resptime > 10", "icmp.resp_in", "icmp.no_resp", "not icmp.resp_to"):
        picked = ("-Y", text, "-T", "fields", "-e", "frame.number")
        assert ours(path, *picked) == theirs(path, *picked), text
    tree = ours(path, "-V", "-Y", "frame.number == 2")
    assert "    [Request frame: 1]\n    [Response time: 12.500 ms]\n" in tree
