"""`-z` statistics as tshark 4.0 counts them, on a capture scapy makes (and editcap comments):
every frame read is counted whatever `-Y` prints, a statistic's own filter
(`conv,tcp,FILTER`, `endpoints,ip,FILTER`, `io,phs,FILTER`) narrows it and is named in its
header, and the protocol hierarchy counts what tshark's tree holds at its top level: a
reassembly (`tcp.segments`) under what it carried, a pcapng comment (`pkt_comment`) above the
link, an undissected TCP payload as data."""

from __future__ import annotations

import subprocess

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours, refused, theirs
from tests.workbench.test_http_text_beside_tshark import REQUEST, _exchange, _response
from tests.workbench.test_tcp_payload_beside_tshark import SEGMENTS


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> str:
    frames = _exchange(REQUEST, _response(b"line of text\n" * 400, b"text/plain"))
    for n in range(3):
        query = DNS(id=0x100 + n, rd=1, qd=DNSQR(qname=f"host{n}.example.com"))
        frame = (
            Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
            / IP(src="192.168.77.2", dst="192.168.77.1")
            / UDP(sport=50000 + n, dport=53)
            / query
        )
        frame.time = 1000.5 + n * 0.01  # stamped, not scapy's "now": the same capture each run
        frames.append(frame)
    for n, frame in enumerate(SEGMENTS):
        frame.time = 1001 + n * 0.001
        frames.append(frame)
    folder = tmp_path_factory.mktemp("stats")
    plain, commented = folder / "plain.pcap", folder / "commented.pcapng"
    wrpcap(str(plain), frames)
    subprocess.run(
        ["editcap", "-F", "pcapng", "-a", "12:looked at this one", str(plain), str(commented)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(commented)


STATISTICS = [
    ("io,phs",),
    ("io,phs", "-Y", "dns"),
    ("io,phs,http",),
    ("io,phs,tcp", "-Y", "udp"),
    ("conv,tcp", "-Y", "dns"),
    ("conv,tcp,tcp.port == 80",),
    ("endpoints,ip,udp",),
    ('conv,udp,dns.qry.name contains "host1"',),
    # a filter naming the frame protocol (or a frame.* field) puts "frame" in the hierarchy,
    # below a packet comment; one that only quotes the word does not
    ("io,phs,frame",),
    ("io,phs,ip && frame.len > 60",),
    ('io,phs,dns.qry.name != "frame"',),
    ("io,phs", "-Y", "frame.len > 60"),  # -Y's too, and any other statistic's
    ("io,phs,ip", "-z", "conv,ip,frame.len > 0"),
    ("io,phs", "-T", "fields", "-e", "ip.src"),  # and -T fields (-q prints its lines)
    # a comma with no filter after it: "Filter:" with what was given, not "<No Filter>"
    ("conv,ip,",),
    ("endpoints,udp, ",),
    ("io,phs,",),
]


@needs_tool("tshark")
@needs_tool("editcap")
@pytest.mark.parametrize("asked", STATISTICS, ids=[" ".join(a) for a in STATISTICS])
def test_statistics_equal_tsharks(capture, asked):
    argv = ("-q", "-z", *asked)
    assert ours(capture, *argv) == theirs(capture, *argv)


@needs_tool("tshark")
@needs_tool("editcap")
def test_the_hierarchy_counts_reassembly_comments_and_data(capture):
    text = ours(capture, "-q", "-z", "io,phs", "-Y", "dns")
    assert "Filter: \n" in text  # -Y does not narrow it
    rows = [(len(line) - len(line.lstrip()), *line.split()[:2]) for line in text.splitlines()]
    assert (0, "pkt_comment", "frames:1") in rows
    assert (10, "tcp.segments", "frames:1") in rows  # under http's data-text-lines
    assert (6, "data", "frames:6") in rows  # TCP's bytes on ports no protocol is bound to


@needs_tool("tshark")
@needs_tool("editcap")
def test_a_statistics_bad_filter_is_one_sentence(capture):
    said = refused(capture, "-q", "-z", "conv,tcp,bogus(")
    assert said.startswith("workbench: -z conv,tcp,bogus(: its filter is not valid: ")


@needs_tool("tshark")
@needs_tool("editcap")
def test_quiet_hides_the_list_not_the_tree_dump_or_fields(capture):
    for asked in (("-x",), ("-T", "fields", "-e", "frame.number", "-e", "ip.dst")):
        argv = ("-q", *asked, "-c", "12")
        mine = ours(capture, *argv)
        assert mine == theirs(capture, *argv) and mine.strip(), asked
    assert ours(capture, "-q", "-c", "12") == ""
