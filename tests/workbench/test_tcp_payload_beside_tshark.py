"""A TCP segment's payload that no protocol reads, beside tshark, on a capture scapy makes: on a
port no protocol is bound to it is Data (listed in frame.protocols, selected by `-Y data`), on
HTTP's ports it is TCP's payload alone, and a reset's bytes are its cause. URG's pointer comes
before the length in Info, as tshark words it."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import layers, ours, theirs

A, B = "10.9.0.1", "10.9.0.2"


def _segment(sport: int, dport: int, flags: str, payload: bytes, urgent: int = 0):
    return (
        Ether(src="02:00:00:00:09:01", dst="02:00:00:00:09:02")
        / IP(src=A, dst=B)
        / TCP(sport=sport, dport=dport, flags=flags, seq=1000, ack=1, urgptr=urgent)
        / Raw(payload)
    )


SEGMENTS = [
    _segment(40001, 5555, "S", b"syn data"),  # 1: Data, on a SYN too
    _segment(40002, 5555, "PA", b"hello\n"),  # 2: Data
    _segment(40003, 5555, "FA", b"bye"),  # 3: Data
    _segment(40004, 5555, "R", b"reset why"),  # 4: Reset cause
    _segment(40005, 5555, "RA", b"gone\x01away"),  # 5: Reset cause, escaped
    _segment(40006, 80, "PA", b"\x00\x01binary"),  # 6: on HTTP's port: TCP's payload alone
    _segment(40007, 443, "PA", b"more\n"),  # 7: Data
    _segment(40008, 5555, "UA", b"urg", urgent=2),  # 8: Urg=2 before Len
    _segment(40009, 5555, "U", b"u0"),  # 9: URG with pointer 0: Urg=0
    _segment(40010, 5555, "A", b"", urgent=5),  # 10: a pointer without URG: none
    _segment(
        40011, 5555, "PA", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    ),  # 11: HTTP, found by its bytes
]


@needs_tool("tshark")
def test_payload_fields_and_info_as_tshark(tmp_path):
    path = str(tmp_path / "payloads.pcap")
    wrpcap(path, SEGMENTS)
    fields = ["frame.protocols", "data.len", "data.data", "tcp.payload", "tcp.reset_cause"]
    fields += ["tcp.urgent_pointer", "_ws.col.Info"]
    argv = ["-T", "fields", *(x for name in fields for x in ("-e", name))]
    mine, wire = ours(path, *argv).splitlines(), theirs(path, *argv).splitlines()
    assert mine == wire
    assert mine[1].startswith("eth:ethertype:ip:tcp:data\t6\t")
    assert mine[5].startswith("eth:ethertype:ip:tcp\t\t\t")


@needs_tool("tshark")
def test_data_filters_select_tsharks_frames(tmp_path):
    path = str(tmp_path / "payloads.pcap")
    wrpcap(path, SEGMENTS)
    for text in ("data", "not data", "tcp.reset_cause", 'tcp.reset_cause contains "away"'):
        argv = ("-Y", text, "-T", "fields", "-e", "frame.number")
        assert ours(path, *argv).split() == theirs(path, *argv).split(), text
    assert ours(path, "-Y", "data", "-T", "fields", "-e", "frame.number").split() == [
        "1",
        "2",
        "3",
        "7",
        "8",
        "9",
    ]


@needs_tool("tshark")
def test_a_resets_tree_shows_its_cause_and_no_data(tmp_path):
    path = str(tmp_path / "payloads.pcap")
    wrpcap(path, SEGMENTS)
    mine = ours(path, "-V", "-Y", "frame.number == 5")
    wire = theirs(path, "-V", "-Y", "frame.number == 5")
    cause = [x for x in layers(wire, "Transmission Control") if "Reset cause" in x]
    assert cause == ["    Reset cause: gone\\001away"]
    assert cause == [x for x in layers(mine, "Transmission Control") if "Reset cause" in x]
    assert "Data (" not in mine and "TCP payload" not in mine
