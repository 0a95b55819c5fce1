"""`-z follow,tcp` over gaps, beside tshark 4.0, on captures scapy makes: a segment past a gap
waits for it; when the other side acknowledges past the gap, the receiver had bytes the capture
has not, shown as "[N bytes missing in capture file]" (and a NUL), and a copy of them that
comes later adds nothing; a gap never filled nor acknowledged leaves what came after it out."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours, theirs

A, B = "10.9.0.1", "10.9.0.2"


def _segment(client: bool, seq: int, ack: int, payload: bytes = b"", flags: str = "PA"):
    src, dst, sport, dport = (A, B, 40000, 7000) if client else (B, A, 7000, 40000)
    tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    return Ether() / IP(src=src, dst=dst) / tcp / Raw(payload)


def _capture(path: str, server_side: list) -> None:
    """A handshake, a request, then the server's side as given: (seq offset, bytes) for a
    data segment, ("ack", offset) for the client acknowledging up to that offset."""
    c, s = 1000, 5000
    frames = [
        _segment(True, c, 0, flags="S"),
        _segment(False, s, c + 1, flags="SA"),
        _segment(True, c + 1, s + 1, flags="A"),
        _segment(True, c + 1, s + 1, b"please send\n"),
    ]
    for what, value in server_side:
        if what == "ack":
            frames.append(_segment(True, c + 13, s + 1 + value, flags="A"))
        else:
            frames.append(_segment(False, s + 1 + what, c + 13, value))
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    wrpcap(path, frames)


CASES = {
    "filled late": [(0, b"first.\n"), (14, b"third.\n"), (7, b"second\n")],
    "acknowledged past": [(0, b"first.\n"), (14, b"third.\n"), ("ack", 21), (7, b"second\n")],
    "never filled": [(0, b"first.\n"), (14, b"third.\n"), (21, b"fourth\n")],
    "overlapping": [(0, b"first.\n"), (3, b"st.\nsecond\n"), (14, b"third.\n")],
}


@needs_tool("tshark")
def test_follow_over_gaps_as_tshark(tmp_path):
    shown = {}
    for name, server_side in CASES.items():
        path = str(tmp_path / f"{name.replace(' ', '_')}.pcap")
        _capture(path, server_side)
        for mode in ("ascii", "hex"):
            argv = ("-q", "-z", f"follow,tcp,{mode},0")
            mine = ours(path, *argv)
            assert mine == theirs(path, *argv), (name, mode)
        shown[name] = ours(path, "-q", "-z", "follow,tcp,ascii,0")
    assert "[7 bytes missing in capture file]." in shown["acknowledged past"]
    assert "second" not in shown["acknowledged past"]  # came after the gap was given up
    assert "\t7\nfirst.\n\n\t7\nsecond\n\n\t7\nthird.\n" in shown["filled late"]
    assert "third" not in shown["never filled"]
