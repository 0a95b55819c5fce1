"""`workbench dissect -Y` in two processes (`workbench.dissect.halves`) on captures real tools
make in this run (tests/live/oracle_captures.py: curl and HTTP with TSO, dig over UDP and TCP,
DHCP, `ping -s 4000` fragments, a TCP transfer under loss and reordering): with the second half
starting at records spread over each capture, the lines are byte for byte the single pass's,
which tests/live/test_tshark_oracle.py compares with tshark."""

from __future__ import annotations

import io
import struct

import pytest

from tests.live.conftest import make_corpus_in_namespaces
from workbench import dissect_cli
from workbench.dissect import halves, skim

pytestmark = pytest.mark.live

TOOLS = ("tcpdump", "dnsmasq", "busybox", "curl", "dig", "ethtool", "tc", "ping", "editcap")
FILTERS = ("dns", "http", "icmp", "tcp.port == 53", 'dns.qry.name contains "oracle"')
BOUNDARIES = 25  # records the second half starts at, spread over each capture


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    made = make_corpus_in_namespaces("wbhv", tmp_path_factory.mktemp("halves"), TOOLS)
    return {name: str(path) for name, path in made.items() if skim.can_skim(str(path))}


def offsets(path: str) -> list[int]:
    data = open(path, "rb").read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        out.append(off)
        off += 16 + struct.unpack_from(order + "I", data, off + 8)[0]
    return out


def listing(path: str, display_filter: str, monkeypatch, processes: int) -> str:
    monkeypatch.setenv("WORKBENCH_DISSECT_PROCESSES", str(processes))
    out, err = io.StringIO(), io.StringIO()
    assert dissect_cli.main(path, display_filter=display_filter, out=out, err=err) == 0
    return out.getvalue()


def test_two_halves_print_the_single_pass_on_real_captures(corpus, monkeypatch):
    assert {"dns", "http_tso", "ping_4000", "tcp_loss"} <= set(corpus), sorted(corpus)
    monkeypatch.setattr(halves, "SPLIT_BYTES", 0)
    monkeypatch.setattr(skim, "BOUNDARY_SEARCH", 0)
    used = []
    agree = halves._agree
    monkeypatch.setattr(halves, "_agree", lambda s, r: used.append(agree(s, r)) or used[-1])
    shown = 0
    for name, path in sorted(corpus.items()):
        records = offsets(path)
        step = max(1, len(records) // BOUNDARIES)
        for display_filter in FILTERS:
            single = listing(path, display_filter, monkeypatch, 1)
            shown += single.count("\n")
            for offset in records[1::step]:
                monkeypatch.setattr(halves, "middle_of", lambda p, offset=offset: offset)
                got = listing(path, display_filter, monkeypatch, 2)
                assert got == single, (name, display_filter, offset)
    assert shown > 50
    assert True in used and False in used  # the child's lines used, and read again
