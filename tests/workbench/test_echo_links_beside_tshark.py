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
from tests.workbench.beside_tshark import layers, ours, theirs


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


def _ping_data(seconds: int, micro: int, order: str = "little") -> bytes:
    """Linux ping's data: its send time as a 64-bit timeval (or, big-endian, two 32-bit
    words as a 32-bit big-endian host writes them), then 0x10, 0x11 …"""
    size = 8 if order == "little" else 4
    stamp = seconds.to_bytes(size, order) + micro.to_bytes(size, order)
    return stamp.ljust(16, b"\0") + bytes(range(0x10, 0x10 + 40))


@needs_tool("tshark")
def test_a_pings_send_time_is_read_from_its_data(tmp_path, monkeypatch):
    """The first 8 bytes of an echo's data are a timestamp when they look like one to tshark
    (little- or big-endian seconds less than a day from the frame's, microseconds under a
    million): icmp.data_time, its relative line, and Data 8 bytes shorter; otherwise all Data."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    sent = 1_796_281_515
    cases = [
        (sent, 832_664, "little", 0.000034),  # as Linux ping writes it
        (sent, 5, "big", 0.25),
        (sent + 10, 0, "little", 0.5),  # "sent" after the frame: tshark still takes it
        (sent - 86_399, 0, "little", 0.002),  # within a day
        (sent - 86_401, 0, "little", 0.1),  # over a day away: not a timestamp
    ]
    frames = []
    for n, (seconds, micro, order, delay) in enumerate(cases):
        echo = ICMP(id=9, seq=n) / Raw(_ping_data(seconds, micro, order))
        frame = Ether() / IP(src="10.9.0.1", dst="10.9.0.2") / echo
        frame.time = sent + micro / 1e6 + delay
        frames.append(frame)
    path = str(tmp_path / "pings.pcap")
    wrpcap(path, frames)
    names = ["icmp.data_time", "icmp.data_time_relative", "data.len", "data.data"]
    argv = ["-T", "fields", *(x for name in names for x in ("-e", name))]
    mine = ours(path, *argv)
    assert mine == theirs(path, *argv)
    lengths = [row.split("\t")[2] for row in mine.splitlines()]
    assert lengths == ["48", "48", "48", "48", "56"]
    tree = ours(path, "-V", "-Y", "icmp.seq == 0")
    assert "    Timestamp from icmp data: Dec  3, 2026 " in tree
    # seconds alone: the 32-bit word read as microseconds is the 64-bit seconds' high half
    assert "    [Timestamp from icmp data (relative): 0.832698000 seconds]" in tree


@needs_tool("tshark")
def test_a_replys_lines_in_tsharks_order(tmp_path, monkeypatch):
    """A reply to a Linux ping: its link to the request and the response time come before the
    send time read from its data, as tshark -V lists them."""
    monkeypatch.setenv("TZ", "UTC")
    sent = 1_796_281_515
    data = _ping_data(sent, 250_000)
    request = Ether() / IP(src="10.9.0.1", dst="10.9.0.2") / ICMP(id=7, seq=1) / Raw(data)
    reply = Ether() / IP(src="10.9.0.2", dst="10.9.0.1") / ICMP(type=0, id=7, seq=1) / Raw(data)
    request.time, reply.time = sent + 0.25, sent + 0.2625
    path = str(tmp_path / "ping.pcap")
    wrpcap(path, [request, reply])
    argv = ("-V", "-Y", "frame.number == 2")
    mine = layers(ours(path, *argv), "Internet Control")
    wire = layers(theirs(path, *argv), "Internet Control")
    assert mine == wire and mine[-1].startswith("    Data (")  # the data under ICMP, as tshark
    lines = [line.strip().split(":")[0] for line in mine]
    assert lines.index("[Request frame") < lines.index("Timestamp from icmp data")
