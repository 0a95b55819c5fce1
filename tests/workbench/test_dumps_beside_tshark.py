"""Byte dumps as tshark writes them, on captures scapy makes: `-x` offsets in as many hex
digits as the dump's last offset needs (five for a reassembled message over 64 KB), and
`-z follow,tcp,ascii` showing a TAB as '.' as it shows other control bytes but CR and LF."""

from __future__ import annotations

from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours, theirs
from tests.workbench.test_http_text_beside_tshark import REQUEST, _exchange, _response


@needs_tool("tshark")
def test_hex_offsets_widen_past_64_kb(tmp_path):
    path = str(tmp_path / "big.pcap")
    wrpcap(path, _exchange(REQUEST, _response(bytes(range(256)) * 300)))  # 76,800-byte body
    last = "-Y", "http.response"
    mine = ours(path, "-x", *last)
    assert mine == theirs(path, "-x", *last)
    dump = mine.split("Reassembled TCP (", 1)[1].splitlines()
    assert dump[1].startswith("00000  48 54 54 50") and any(x.startswith("10000  ") for x in dump)
    assert mine.splitlines()[1].startswith("0000  ")  # the frame's own dump: four digits


@needs_tool("tshark")
def test_follow_shows_a_tab_as_a_dot(tmp_path):
    path = str(tmp_path / "tabs.pcap")
    request = b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"
    wrpcap(path, _exchange(request, _response(b"col1\tcol2\n", b"text/plain")))
    for mode in ("ascii", "hex"):
        argv = ("-q", "-z", f"follow,tcp,{mode},0")
        assert ours(path, *argv) == theirs(path, *argv), mode
    assert "col1.col2" in ours(path, "-q", "-z", "follow,tcp,ascii,0")


@needs_tool("tshark")
def test_follow_hex_keeps_a_short_lines_trailing_space(tmp_path):
    """tshark drops one space off the end of a full 16-byte line, none off a short last line:
    a chunk ending in spaces shows them as tshark does."""
    path = str(tmp_path / "spaces.pcap")
    request = b"GET /a HTTP/1.1\r\nHost: x\r\nX-Pad:  \r\n\r\n"
    wrpcap(path, _exchange(request, _response(b"sixteen bytes  \n" + b"ends in  ", b"text/plain")))
    argv = ("-q", "-z", "follow,tcp,hex,0")
    mine = ours(path, *argv)
    assert mine == theirs(path, *argv)
    assert any(line.endswith("in ") for line in mine.splitlines())
