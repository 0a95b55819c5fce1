"""`workbench dissect -Y` drops a frame undissected when its headers show it cannot hold what
the filter needs (`workbench.dissect.prefilter`): the frames kept must be exactly the ones the
full path keeps — every frame dissected and tested — for the filters Wireshark users type,
over IPv4 and IPv6, ICMP errors quoting UDP, ICMP and ICMPv6 echoes, IP fragments, ARP, Linux cooked captures, and
the state across frames (TCP streams, HTTP over several segments, DNS answers linked).
"""

from __future__ import annotations

import io

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, UDP, Ether, fragment
from scapy.utils import wrpcap

from benchmarks.synthetic_capture import write_capture
from benchmarks.tshark_agreement import FILTERS
from tests.workbench.test_model_vs_tshark import cooked_v1, cooked_v2, ethernet_frames
from workbench import dissect_cli
from workbench.dissect.capture import read_capture
from workbench.dissect.fields import frame_of
from workbench.dissect.filter import compile_filter

MORE_FILTERS = (
    "mdns",
    "ntp",
    "sll",
    "bootp",
    'udp contains "www"',
    "host 192.168.1.100",
    "port 53",
    "icmp host 8.8.8.8",
    "dns or arp",
    "not dns",
    "dns and not udp.port == 53",
    "dns.response_to",
    'tcp.stream == 3 or dns.qry.name contains "google"',
)


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> list[tuple[str, int]]:
    tmp = tmp_path_factory.mktemp("prefilter")
    out = []
    mixed = tmp / "mixed.pcap"
    big_dns = (
        Ether()
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / UDP(sport=5000, dport=53)
        / DNS(qd=DNSQR(qname="a" * 60 + ".example"))
        / (b"x" * 1400)
    )
    wrpcap(str(mixed), [*ethernet_frames(), *fragment(big_dns, fragsize=600)])
    out.append(str(mixed))
    for name, linktype, frames in (("sll", 113, cooked_v1()), ("sll2", 276, cooked_v2())):
        path = tmp / f"{name}.pcap"
        wrpcap(str(path), frames, linktype=linktype)
        out.append(str(path))
    story = tmp / "story.pcap"
    write_capture(str(story), 600)  # DNS, TCP with HTTP over two segments, ping, ARP
    out.append(str(story))
    return out


def listing(path: str, display_filter: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert dissect_cli.main(path, display_filter=display_filter, out=out, err=err) == 0, (
        err.getvalue()
    )
    return out.getvalue()


@pytest.mark.parametrize("display_filter", (*FILTERS, *MORE_FILTERS))
def test_frames_dropped_early_are_frames_the_filter_would_not_keep(
    captures, display_filter, monkeypatch
):
    early = [listing(path, display_filter) for path in captures]
    monkeypatch.setattr(dissect_cli, "possible_protocols", lambda facts, link_type: None)
    monkeypatch.setattr(dissect_cli, "can_skim", lambda path: False)
    full = [listing(path, display_filter) for path in captures]
    assert early == full


@pytest.mark.parametrize("display_filter", (*FILTERS, *MORE_FILTERS))
def test_the_packet_lists_filter_keeps_what_a_full_dissection_keeps(captures, display_filter):
    """The app's filter (`DisplayFilter.matches`, each frame alone) asks the headers first."""
    keep = compile_filter(display_filter)
    for path in captures:
        for record in read_capture(path):
            assert keep.matches(record) == keep.predicate(frame_of(record), record), (
                path,
                record.id,
            )


def test_a_protocol_filter_dissects_only_the_frames_that_can_hold_it(captures, monkeypatch):
    """`-Y dns` over the story capture (DNS, HTTP over TCP, ping, ARP): only the DNS frames
    go through the protocol model — no TCP, ARP or ICMP echo frame does."""
    dissected = []
    real = dissect_cli.frame_for

    def counting(record, notes):
        dissected.append(record.id)
        return real(record, notes)

    monkeypatch.setattr(dissect_cli, "frame_for", counting)
    shown = [line.split() for line in listing(captures[-1], "dns").splitlines()]
    assert shown and all(line[5] == "DNS" for line in shown)
    assert dissected == [int(line[0]) for line in shown]


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("dns", {"dns"}),
        ("bootp", {"dhcp"}),
        ("icmp or dns or tcp.port == 80", {"icmp", "dns", "tcp"}),
        ("dns.qry.name", {"dns", "mdns"}),  # both declare it
        ('ip.ttl > 3 and dns.qry.name contains "x"', {"dns", "mdns"}),  # the rarer part
        ("tcp.len > 0 and eth.src == 00:1b:21:3a:4f:64", {"tcp"}),
        ("tcp.stream == 2", {"tcp"}),
        ("not dns", None),
        ("dns or frame.len > 10", None),
        ('frame contains "GET"', None),
        ("data", None),
    ],
)
def test_what_a_filter_needs_a_frame_to_hold(text, needs):
    assert compile_filter(text).requires == (frozenset(needs) if needs is not None else None)
