"""`workbench dissect -Y` over a large classic pcap reads its two halves in two processes
(`workbench.dissect.halves`). Whatever record the second half starts at — inside a TCP
conversation, between a datagram's fragments, between an echo request and its reply — the
lines must be byte for byte the single pass's: where the first half's state would change the
second's lines the parent reads the second half itself, and elsewhere the child's lines are
used. Both must happen over the boundaries of the mixed capture of `test_dissect_skim`."""

from __future__ import annotations

import io
import struct

import pytest
from scapy.utils import wrpcap

from tests.workbench.test_dissect_skim import fragment_frames, mixed_frames
from workbench import dissect_cli
from workbench.dissect import halves, skim


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("halves") / "mixed.pcap"
    wrpcap(str(path), mixed_frames())
    return str(path)


@pytest.fixture(scope="module")
def fragments_capture(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("halves") / "fragments.pcap"
    wrpcap(str(path), fragment_frames())
    return str(path)


def record_offsets(path: str) -> list[int]:
    data = open(path, "rb").read()
    out, off = [], 24
    while off < len(data):
        out.append(off)
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
    return out


def listing(path: str, display_filter: str, processes: int, monkeypatch) -> str:
    with monkeypatch.context() as patch:
        patch.setenv("WORKBENCH_DISSECT_PROCESSES", str(processes))
        out, err = io.StringIO(), io.StringIO()
        assert dissect_cli.main(path, display_filter=display_filter, out=out, err=err) == 0
    return out.getvalue()


@pytest.mark.parametrize(
    "display_filter", ("dns", "icmp", "http", 'dns.qry.name contains "example"', "tcp.port == 53")
)
def test_two_halves_print_the_single_pass_at_every_boundary(capture, display_filter, monkeypatch):
    every_boundary(capture, display_filter, monkeypatch)


@pytest.mark.parametrize("display_filter", ("dns", "icmp"))
def test_two_halves_of_fragments_print_the_single_pass(
    fragments_capture, display_filter, monkeypatch
):
    """Datagrams cut by the boundary, fragments out of order, one identification reused."""
    every_boundary(fragments_capture, display_filter, monkeypatch)


def every_boundary(capture: str, display_filter: str, monkeypatch) -> None:
    single = listing(capture, display_filter, 1, monkeypatch)
    assert single.strip()
    monkeypatch.setattr(halves, "SPLIT_BYTES", 0)
    monkeypatch.setattr(skim, "BOUNDARY_SEARCH", 0)  # start the second half at every record
    used = []
    agree = halves._agree
    monkeypatch.setattr(halves, "_agree", lambda s, r: used.append(agree(s, r)) or used[-1])
    for offset in record_offsets(capture)[1:]:
        monkeypatch.setattr(halves, "middle_of", lambda path, offset=offset: offset)
        assert listing(capture, display_filter, 2, monkeypatch) == single, offset
    assert True in used and False in used


def test_the_boundary_is_not_between_fragments(capture, monkeypatch):
    """Left to itself, the second half never starts at or just after an IPv4 fragment."""
    data = open(capture, "rb").read()
    fragments = {
        off
        for off in record_offsets(capture)
        if data[off + 28 : off + 30] == b"\x08\x00"
        and struct.unpack_from("!H", data, off + 16 + 20)[0] & 0x3FFF
    }
    assert len(fragments) >= 3
    offsets = record_offsets(capture)
    for middle in offsets[1:]:
        found = skim.find_boundary(capture, middle)
        if found is None:
            continue
        at = offsets.index(found[0])
        assert found[0] not in fragments and offsets[at - 1] not in fragments
        assert found[1] == at  # the records before it
