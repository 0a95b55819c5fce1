"""`workbench dissect` against tshark, frame by frame, on captures real tools make in this run.

Two namespaces joined by a veth pair; tcpdump records curl against `python3 -m http.server`
(TSO on), dig against dnsmasq (UDP and TCP), busybox udhcpc against dnsmasq, `ping -s 4000`,
a 2 MB transfer under the kernel's loss and reordering, IPv6 neighbour discovery and ping6,
`tcpdump -i any` (SLL2 and SLL) and editcap's pcapng and nanosecond rewrites
(tests/live/oracle_captures.py). benchmarks/tshark_agreement.py compares: frame counts,
Protocol/Source/Destination/Info of every frame, 100+ `-T fields` fields and 96 `-Y` filters.

Every frame must agree — frames over 1,514 bytes, IPv6/ICMPv6 and Linux cooked captures too,
since one protocol model (stack/proto) drives the listing, `-T fields` and the filter. The one
allowance is the lossy transfer: its loss and reordering are random each run, so a difference
there in TCP analysis alone (a label, an analysis flag, a filter on tcp.analysis.*) is an xfail
that names the frames, not a failure.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
import sys

import pytest

from tests.live.conftest import REPO, make_corpus_in_namespaces

pytestmark = pytest.mark.live

_spec = importlib.util.spec_from_file_location(
    "tshark_agreement", REPO / "benchmarks" / "tshark_agreement.py"
)
agreement = importlib.util.module_from_spec(_spec)
sys.modules["tshark_agreement"] = agreement
_spec.loader.exec_module(agreement)

TOOLS = (
    "tshark",
    "mergecap",
    "capinfos",
    "editcap",
    "tcpdump",
    "dnsmasq",
    "busybox",
    "curl",
    "dig",
    "ethtool",
    "tc",
    "ping",
)
LOSSY = "tcp_loss"  # the capture whose loss pattern changes every run


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    made = make_corpus_in_namespaces("wbor", tmp_path_factory.mktemp("oracle"), TOOLS)
    return {name: str(path) for name, path in made.items()}


@pytest.fixture(scope="module")
def report(corpus):
    return agreement.compare(corpus, agreement.Ours(REPO))


def test_the_corpus_holds_what_the_stories_make(corpus, report):
    assert set(corpus) == {
        "http_tso",
        "dns",
        "dhcp",
        "ping_4000",
        "any_sll2",
        "any_sll",
        "tcp_loss",
        "ipv6_nd",
        "dns_pcapng",
        "dns_nsec",
    }
    protocols = {meta[1] for meta in report.meta.values()}
    assert any("dhcp" in p for p in protocols) and any("http" in p for p in protocols)
    assert any(length > 1514 for length, _ in report.meta.values()), (
        "TSO made no frame over 1,514 bytes"
    )
    # A gap proves the loss; its filling is a retransmission to tshark, or out-of-order when it
    # comes within the handshake's RTT of the highest segment (a SYN/ACK slowed by a loaded
    # machine makes that threshold long: one CI run had every fill out-of-order).
    assert report.selected("ethernet", "tcp.analysis.lost_segment") > 0, (
        "the lossy transfer lost nothing"
    )
    assert (
        report.selected("ethernet", "tcp.analysis.retransmission")
        + report.selected("ethernet", "tcp.analysis.out_of_order")
        > 0
    ), "no lost segment came again"
    assert report.selected("ethernet", "http and tcp.port == 18080") >= 6, (
        "tshark's heuristic took no HTTP on port 18080"
    )
    assert report.selected("ethernet", 'http.request.method == "POST"') == 2
    assert report.selected("ethernet", "dns.count.answers > 20") >= 1, (
        "no DNS answer long enough to span TCP segments"
    )
    assert report.selected("ethernet", "mdns") >= 2, "no exchange on UDP port 5353"
    assert report.selected("ethernet", "tcp.port == 5353 and dns") >= 2, "no DNS over TCP port 5353"


def test_frame_counts_equal(report):
    assert {name: ours == theirs for name, (ours, theirs) in report.counts.items()} == {
        name: True for name in report.counts
    }


_ANALYSIS = re.compile(r"\[TCP [^\]]*\] | \[TCP segment of a reassembled PDU\]$")


def _analysis_only(miss) -> bool:
    """Info equal once tshark's and our TCP-analysis labels are set aside. The lossy transfer's
    loss and reordering are random each run, and a few analysis corner cases ('ACKed unseen
    segment' around a lost stretch) can still differ, and with them whether the segment went
    to reassembly (tshark reassembles no retransmission): those are listed, not failed."""
    capture, _number, theirs, ours = miss
    return capture == LOSSY and _ANALYSIS.sub("", theirs) == _ANALYSIS.sub("", ours)


@pytest.mark.parametrize("column", ["Protocol", "Source", "Destination", "Info"])
def test_columns_equal_for_every_frame(report, column):
    misses = report.columns[column].misses
    analysis = [m for m in misses if column == "Info" and _analysis_only(m)]
    ours = [m for m in misses if m not in analysis]
    assert not ours, f"{column} differs on {len(ours)} frames: " + "; ".join(
        f"{c} #{n}: tshark {t!r}, ours {o!r}" for c, n, t, o in ours[:10]
    )
    if analysis:
        pytest.xfail(
            f"Info equal on every frame but {len(analysis)} of the random lossy transfer, which differ only "
            "in TCP-analysis labels: "
            + "; ".join(f"#{n}: tshark {t!r}, ours {o!r}" for _c, n, t, o in analysis[:5])
        )


def test_fields_equal_for_sixty_common_fields(report):
    """Every field equal on every frame (at least 60 of them seen), but TCP-analysis fields
    on frames of the random lossy transfer, which are listed."""
    equal = [name for name, tally in report.fields.items() if tally.agree == tally.total]
    assert len(equal) >= 60, f"only {len(equal)} fields equal on every frame: {equal}"
    lossy, others = {}, {}
    for name, misses in report.field_misses.items():
        for capture, number in misses:
            allowed = capture == LOSSY and name.startswith("tcp.analysis.")
            (lossy if allowed else others).setdefault(name, []).append(f"{capture} #{number}")
    assert not others, f"fields that differ from tshark: {others}"
    if lossy:
        pytest.xfail(
            f"{len(equal)} fields equal on every frame; TCP analysis differs on the random lossy transfer: {lossy}"
        )


def test_filters_select_the_same_frames_for_sixty_filters(report):
    """Each filter over the Ethernet captures and over the cooked ones selects exactly
    tshark's frames; a tcp.analysis.* filter may differ only by the lossy transfer's chance."""
    assert report.filters.agree >= 60, (
        f"only {report.filters.agree} filter runs agree: {report.filters.misses}"
    )
    analysis = [
        m for m in report.filters.misses if m[0].split(": ", 1)[1].startswith("tcp.analysis.")
    ]
    others = [m for m in report.filters.misses if m not in analysis]
    assert not others, (
        f"filters that select other frames than tshark (filter, tshark's count, ours): {others}"
    )
    if analysis:
        pytest.xfail(
            f"{report.filters.agree} of {report.filters.total} filter runs agree; tcp.analysis filters "
            f"differ on the random lossy transfer: {analysis}"
        )


def test_dns_trees_equal_tshark_verbose(corpus):
    """`-V` of every DNS and mDNS frame dig and dnsmasq made — EDNS options (cookies, client
    subnet, padding, keepalive), mDNS's class bits and "QM" questions, the request a response
    answers — line for line as tshark shows them."""
    from tests.workbench import beside_tshark

    path = corpus["dns"]
    titles = ("Domain Name System", "Multicast Domain Name System")
    mine = beside_tshark.layers(beside_tshark.ours(path, "-V", "-Y", "dns or mdns"), *titles)
    theirs = beside_tshark.layers(beside_tshark.theirs(path, "-V", "-Y", "dns or mdns"), *titles)
    assert sum(line.startswith("Multicast") for line in theirs) >= 2
    assert any("Option: COOKIE" in line for line in theirs)
    diff = list(difflib.unified_diff(theirs, mine, "tshark -V", "workbench dissect -V", n=1))
    assert not diff, "\n".join(diff[:80])


_CHECKSUM = re.compile(r"^\s+\[?Checksum")


def _transport(lines: list[str]) -> list[str]:
    # checksum verdicts differ by design (ours verifies where tshark's default does not)
    return [line for line in lines if not _CHECKSUM.match(line)]


@pytest.mark.parametrize("capture", ["dns", "http_tso", "dhcp"])
def test_tcp_and_udp_trees_equal_tshark_verbose(corpus, capture):
    """`-V`'s TCP and UDP sections of every frame as tshark's: stream index, conversation
    completeness, [Timestamps], [SEQ/ACK analysis] (the segment an ACK acknowledges and its
    RTT, iRTT, bytes in flight and since the last PSH), the SYN, FIN and closing notes, SACK
    blocks, "TCP segment data" and "[PDU Size]" under the payload."""
    from tests.workbench import beside_tshark

    path = corpus[capture]
    titles = ("Transmission Control Protocol", "User Datagram Protocol")
    mine = _transport(beside_tshark.layers(beside_tshark.ours(path, "-V"), *titles))
    theirs = _transport(beside_tshark.layers(beside_tshark.theirs(path, "-V"), *titles))
    assert any("[Timestamps]" in line for line in theirs)
    if capture != "dhcp":
        assert any("[Bytes in flight: " in line for line in theirs)
        assert any("[The RTT to ACK the segment was: " in line for line in theirs)
    diff = list(difflib.unified_diff(theirs, mine, "tshark -V", "workbench dissect -V", n=1))
    assert not diff, "\n".join(diff[:80])
