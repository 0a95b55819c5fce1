"""IPv6's Fragment header and tshark 4.0's quantified comparisons, beside tshark on captures
scapy makes here.

- The Fragment header has no length field: its second byte is a reserved octet, and the offset,
  two reserved bits and the M flag share one word, each shown with its bits
  (`ipv6.fraghdr.*`, as tshark names them). The Next Header that points to it says "Fragment
  Header for IPv6 (44)".
- `===` (all_eq) holds when every value of the field equals, `!==` (any_ne, and the older
  `~=`) when one differs; both are false on a frame without the field.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from scapy.layers.inet import ICMP, IP, TCP, UDP, fragment
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import layers, ours, theirs

A, B = "fd77::2", "fd77::1"
AMAC, BMAC = "02:00:00:00:00:02", "02:00:00:00:00:01"


def _fragments() -> list:
    """A 3,000-byte echo request in three fragments, then an atomic fragment (offset 0, no
    more) whose reserved octet and reserved bits are not zero."""
    whole = (
        IPv6(src=A, dst=B)
        / IPv6ExtHdrFragment(id=0x112B2E8B)
        / ICMPv6EchoRequest(id=7, seq=1, data=bytes(range(256)) * 12)
    )
    frames = [Ether(src=AMAC, dst=BMAC) / part for part in fragment6(whole, 1500)]
    odd = IPv6ExtHdrFragment(id=0xDEADBEEF, res1=0xAB, res2=3, m=0, offset=0)
    frames.append(
        Ether(src=AMAC, dst=BMAC) / IPv6(src=A, dst=B) / odd / ICMPv6EchoRequest(id=7, seq=2)
    )
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    return frames


def _column(tool_output: str) -> list[str]:
    return tool_output.split("\n")[:-1]


@needs_tool("tshark")
def test_the_fragment_header_is_decoded_as_tshark_decodes_it(tmp_path):
    path = str(tmp_path / "frag6.pcap")
    wrpcap(path, _fragments())
    # the fragments that complete nothing (the first two) and the atomic one: the IPv6 tree
    for number in (1, 2, 4):
        shown = f"frame.number == {number}"
        mine = layers(ours("-V", "-Y", shown, path), "Internet Protocol Version 6")
        tshark = layers(theirs(path, "-V", "-Y", shown), "Internet Protocol Version 6")
        assert "    Next Header: Fragment Header for IPv6 (44)" in tshark
        assert mine == tshark, number
    atomic = layers(ours("-V", "-Y", "frame.number == 4", path), "Internet Protocol Version 6")
    assert "        Reserved octet: 0xab" in atomic
    assert "        .... .... .... .11. = Reserved bits: 3" in atomic
    assert not any(
        "Length" in line for line in atomic[atomic.index("    Fragment Header for IPv6") :]
    )
    # the fields, by tshark's names, on the frames whose header is as captured
    names = [
        "ipv6.nxt",
        "ipv6.fraghdr.nxt",
        "ipv6.fraghdr.reserved_octet",
        "ipv6.fraghdr.offset",
        "ipv6.fraghdr.reserved_bits",
        "ipv6.fraghdr.more",
        "ipv6.fraghdr.ident",
    ]
    args = ["-Y", "frame.number != 3", "-T", "fields"] + [a for n in names for a in ("-e", n)]
    got, want = _column(ours(path, *args)), _column(theirs(path, *args))
    assert got == want
    assert want[1].split("\t") == ["44", "58", "0x00", "181", "0", "1", "0x112b2e8b"]
    # the header is there on every fragment, the reassembly's fields are not
    assert _column(ours(path, "-Y", "ipv6.fraghdr", "-T", "fields", "-e", "frame.number")) == [
        "1",
        "2",
        "3",
        "4",
    ]


def _mixed() -> list:
    """TCP with port 80 on one side, on both sides and on neither, UDP, ARP and an IP
    address seen on both sides."""
    c, s, far = "192.168.77.2", "192.168.77.1", "10.0.0.9"
    frames = [
        Ether(src=AMAC, dst=BMAC) / IP(src=c, dst=s) / TCP(sport=40000, dport=80, flags="S"),
        Ether(src=BMAC, dst=AMAC) / IP(src=s, dst=c) / TCP(sport=80, dport=40000, flags="SA"),
        Ether(src=AMAC, dst=BMAC) / IP(src=c, dst=s) / TCP(sport=80, dport=80, flags="A"),
        Ether(src=BMAC, dst=BMAC) / IP(src=s, dst=s) / TCP(sport=80, dport=80, flags="PA"),
        Ether(src=AMAC, dst=BMAC) / IP(src=c, dst=far) / TCP(sport=40001, dport=443, flags="S"),
        Ether(src=AMAC, dst=BMAC) / IP(src=c, dst=s) / UDP(sport=5353, dport=53) / Raw(b"x"),
        Ether(src=AMAC, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=c, pdst=s),
    ]
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    return frames


FILTERS = [
    "tcp.port === 80",
    "tcp.port !== 80",
    "tcp.port ~= 80",
    "tcp.port all_eq 80",
    "tcp.port any_ne 80",
    "tcp.port all_ne 80",
    "tcp.port != 80",
    "!(tcp.port !== 80)",
    "ip.addr === 192.168.77.1",
    "ip.addr !== 192.168.77.1",
    "ip.addr === 192.168.77.0/24",
    "eth.addr[0:6] === 02:00:00:00:00:01",
    "eth.addr[5] !== 01",
    "tcp.flags & 0x02 === 0x02",
    "tcp.flags & 0x12 !== 0x12",
]


@needs_tool("tshark")
def test_quantified_comparisons_select_what_tshark_selects(tmp_path):
    path = str(tmp_path / "mixed.pcap")
    wrpcap(path, _mixed())
    numbers = ["-T", "fields", "-e", "frame.number"]
    with ThreadPoolExecutor(2) as pool:
        got = dict(
            zip(
                FILTERS,
                pool.map(lambda y: _column(ours(path, "-Y", y, *numbers)), FILTERS),
                strict=True,
            )
        )
        want = dict(
            zip(
                FILTERS,
                pool.map(lambda y: _column(theirs(path, "-Y", y, *numbers)), FILTERS),
                strict=True,
            )
        )
    assert got == want
    # what the words mean, on this capture: every port 80 on frames 3 and 4 only
    assert want["tcp.port === 80"] == ["3", "4"]
    assert want["tcp.port !== 80"] == ["1", "2", "5"]
    assert want["ip.addr === 192.168.77.1"] == ["4"]


@needs_tool("tshark")
def test_a_quantifier_needs_a_value_as_the_others_do(tmp_path):
    path = str(tmp_path / "mixed.pcap")
    wrpcap(path, _mixed())
    for text in ("tcp.port ===", "tcp.port !== ", "tcp.port ~="):
        run = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "dissect", "-Y", text, path],
            capture_output=True,
            text=True,
            timeout=120,
        )
        tshark = subprocess.run(
            [shutil.which("tshark"), "-r", path, "-Y", text],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode != 0 and tshark.returncode != 0, text
        assert "expected a value after" in run.stderr, run.stderr


REASSEMBLY = [
    "ipv6.fragment",
    "ipv6.fragments",
    "ipv6.fragment.count",
    "ipv6.reassembled.length",
    "ipv6.reassembled.in",
    "ip.fragment",
    "ip.fragments",
    "ip.fragment.count",
    "ip.reassembled.length",
    "ip.reassembled_in",
    "ipv6.fraghdr",
    "ipv6.fraghdr.offset > 0",
    "ipv6.fraghdr.more == 0",
]


def _both(tmp_path) -> str:
    """A capture of an IPv6 datagram in fragments, then an IPv4 one (4,000 bytes of echo)."""
    v4 = IP(src="192.168.77.2", dst="192.168.77.1") / ICMP(id=7, seq=1) / Raw(bytes(4000))
    frames = _fragments() + [Ether(src=AMAC, dst=BMAC) / part for part in fragment(v4, 1480)]
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    path = str(tmp_path / "both.pcap")
    wrpcap(path, frames)
    return path


@needs_tool("tshark")
def test_each_reassembly_field_is_where_tshark_puts_it(tmp_path):
    """On the frame that completes a datagram, IPv4's as ip.*, IPv6's as ipv6.*; the frame a
    fragment is reassembled in only on tshark's second pass (-2), so never in one."""
    path = _both(tmp_path)
    numbers = ["-T", "fields", "-e", "frame.number"]
    got = {y: _column(ours(path, "-Y", y, *numbers)) for y in REASSEMBLY}
    want = {y: _column(theirs(path, "-Y", y, *numbers)) for y in REASSEMBLY}
    assert got == want
    assert want["ipv6.fragment"] == ["3"] and want["ip.fragment"] == ["7"]
    names = [
        "ipv6.fragment",
        "ipv6.fragment.count",
        "ipv6.reassembled.length",
        "ipv6.fraghdr.offset",
        "ipv6.fraghdr.more",
        "ip.fragment",
        "ip.fragment.count",
        "ip.reassembled.length",
        "ip.frag_offset",
    ]
    args = ["-T", "fields", "-E", "occurrence=a"] + [a for n in names for a in ("-e", n)]
    assert _column(ours(path, *args)) == _column(theirs(path, *args))
    # the completing fragment's header as captured, with its bits
    shown = ["-V", "-Y", "frame.number == 3"]
    mine = layers(ours(*shown, path), "Internet Protocol Version 6")
    tshark = layers(theirs(path, *shown), "Internet Protocol Version 6")
    header = [line for line in tshark if "Offset" in line or "More Fragments" in line]
    assert [line for line in mine if line in header] == header


@needs_tool("tshark")
def test_the_completing_fragments_header_shows_the_bits_it_was_captured_with(tmp_path):
    """The frame that completes an IPv4 datagram is dissected whole (offset 0), but its tree
    shows the fragment offset it came with, bit pattern and all, as tshark does."""
    v4 = IP(src="192.168.77.2", dst="192.168.77.1") / ICMP(id=7, seq=1) / Raw(bytes(4000))
    frames = [Ether(src=AMAC, dst=BMAC) / part for part in fragment(v4, 1480)]
    for n, frame in enumerate(frames):
        frame.time = 1000 + n * 0.001
    path = str(tmp_path / "frag4.pcap")
    wrpcap(path, frames)
    shown = ["-V", "-Y", "frame.number == 3"]
    mine = layers(ours(*shown, path), "Internet Protocol Version 4")
    tshark = layers(theirs(path, *shown), "Internet Protocol Version 4")

    def bits(lines: list[str]) -> list[str]:
        return [line.split(" = ")[0] for line in lines if "Fragment Offset" in line]

    assert bits(tshark) == ["    ...0 0001 0111 0010"]  # 370 eight-byte blocks
    assert bits(mine) == bits(tshark)
    assert [line for line in mine if "Total Length" in line] == [
        line for line in tshark if "Total Length" in line
    ]


@needs_tool("tshark")
def test_conversations_count_a_fragmented_datagram_as_tshark_does(tmp_path):
    """IPv6's statistics see a fragmented datagram once, on the frame that completes it (tshark's
    IPv6 tap); IPv4's count every fragment. Both as tshark's -z conv and endpoints."""
    path = _both(tmp_path)
    for statistic in ("conv,ipv6", "endpoints,ipv6", "conv,ip", "endpoints,ip"):
        argv = ("-q", "-z", statistic)
        assert ours(path, *argv) == theirs(path, *argv), statistic
    row = ours(path, "-q", "-z", "conv,ipv6").splitlines()[5].split()
    assert row[:3] == ["fd77::2", "<->", "fd77::1"] and row[9] == "2"  # frames: 2 of 4
