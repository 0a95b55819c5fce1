"""`workbench dissect -Y` over a classic pcap passes over, unmade, the plain IPv4 TCP/UDP/ICMP
frames that cannot hold what the filter needs (`workbench.dissect.skim`). What it prints must
be byte for byte what the full path prints — every frame read, stepped and tested — and what
tshark prints, on a capture whose first frame is passed over (the time origin), with DNS over
TCP split across segments, a fragmented DNS answer, DNS in IPv4 with options, an ICMP error
quoting a DNS query, pings, ARP, HTTP and mDNS between them."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP, Ether, IPOption_RR, fragment
from scapy.layers.l2 import ARP
from scapy.utils import PcapWriter, wrpcap

from tests.conftest import needs_tool
from workbench import dissect_cli

A, B = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
CLIENT, SERVER, RESOLVER = "192.168.1.100", "172.194.72.105", "8.8.8.8"


def _dns_over_tcp(split: bool) -> list:
    """A query over TCP (`split`: its length prefix and first bytes in one segment, the rest
    in the next); the answer in one segment."""
    query = bytes(DNS(id=0x51, rd=1, qd=DNSQR(qname="split.example.com")))
    answer = bytes(
        DNS(
            id=0x51,
            qr=1,
            rd=1,
            ra=1,
            qd=DNSQR(qname="split.example.com"),
            an=DNSRR(rrname="split.example.com", rdata="10.1.2.3"),
        )
    )
    asked = len(query).to_bytes(2, "big") + query
    said = len(answer).to_bytes(2, "big") + answer

    def out(**kw):
        return Ether(src=A, dst=B) / IP(src=CLIENT, dst=RESOLVER) / TCP(sport=41000, dport=53, **kw)

    def back(**kw):
        return Ether(src=B, dst=A) / IP(src=RESOLVER, dst=CLIENT) / TCP(sport=53, dport=41000, **kw)

    return [
        out(flags="S", seq=100),
        back(flags="SA", seq=900, ack=101),
        out(flags="A", seq=101, ack=901),
        *(
            [
                out(flags="PA", seq=101, ack=901) / asked[:9],
                out(flags="PA", seq=110, ack=901) / asked[9:],
            ]
            if split
            else [out(flags="A", seq=101, ack=901), out(flags="PA", seq=101, ack=901) / asked]
        ),
        back(flags="PA", seq=901, ack=101 + len(asked)) / said,
        out(flags="FA", seq=101 + len(asked), ack=901 + len(said)),
    ]


def _http(port: int) -> list:
    def out(**kw):
        return Ether(src=A, dst=B) / IP(src=CLIENT, dst=SERVER) / TCP(sport=port, dport=80, **kw)

    def back(**kw):
        return Ether(src=B, dst=A) / IP(src=SERVER, dst=CLIENT) / TCP(sport=80, dport=port, **kw)

    get = b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n"
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
    return [
        out(flags="S", seq=7),
        back(flags="SA", seq=70, ack=8),
        out(flags="A", seq=8, ack=71),
        out(flags="PA", seq=8, ack=71) / get,
        back(flags="PA", seq=71, ack=8 + len(get)) / body,
    ]


def _udp_dns(sport: int, ident: int, name: str) -> list:
    return [
        Ether(src=A, dst=B)
        / IP(src=CLIENT, dst=RESOLVER)
        / UDP(sport=sport, dport=53)
        / DNS(id=ident, rd=1, qd=DNSQR(qname=name)),
        Ether(src=B, dst=A)
        / IP(src=RESOLVER, dst=CLIENT)
        / UDP(sport=53, dport=sport)
        / DNS(
            id=ident,
            qr=1,
            rd=1,
            ra=1,
            qd=DNSQR(qname=name),
            an=DNSRR(rrname=name, rdata="172.194.72.105"),
        ),
    ]


def mixed_frames(split: bool = True) -> list:
    big_answer = (
        Ether(src=B, dst=A)
        / IP(src=RESOLVER, dst=CLIENT)
        / UDP(sport=53, dport=40777)
        / DNS(
            id=0x99,
            qr=1,
            qd=DNSQR(qname="big.example.com"),
            an=[DNSRR(rrname="big.example.com", type="TXT", rdata="t" * 200) for _ in range(8)],
        )
    )
    frames = [
        *_http(40000),  # the first frame, the time origin, is passed over under -Y dns
        *_udp_dns(40001, 0x2B7C, "www.google.com"),
        Ether(src=A, dst=B) / IP(src=CLIENT, dst=SERVER) / ICMP(type=8, id=7, seq=1) / (b"p" * 48),
        Ether(src=B, dst=A) / IP(src=SERVER, dst=CLIENT) / ICMP(type=0, id=7, seq=1) / (b"p" * 48),
        *_dns_over_tcp(split),
        *_http(40002),
        Ether(src=A, dst=B)
        / IP(src=CLIENT, dst=RESOLVER)
        / UDP(sport=40777, dport=53)
        / DNS(id=0x99, rd=1, qd=DNSQR(qname="big.example.com", qtype="TXT")),
        *fragment(big_answer, fragsize=600),
        Ether(src=A, dst=B)
        / IP(src=CLIENT, dst=RESOLVER, options=[IPOption_RR()])
        / UDP(sport=40888, dport=53)
        / DNS(id=0x42, rd=1, qd=DNSQR(qname="options.example.com")),
        Ether(src=B, dst=A)
        / IP(src=RESOLVER, dst=CLIENT)
        / ICMP(type=3, code=3)
        / IP(src=CLIENT, dst=RESOLVER)
        / UDP(sport=40999, dport=53)
        / DNS(id=0x43, rd=1, qd=DNSQR(qname="gone.example.com")),
        Ether(src=A, dst="ff:ff:ff:ff:ff:ff") / ARP(hwsrc=A, psrc=CLIENT, pdst="192.168.1.1"),
        Ether(src=A, dst="01:00:5e:00:00:fb")
        / IP(src=CLIENT, dst="224.0.0.251", ttl=255)
        / UDP(sport=5353, dport=5353)
        / DNS(id=0, qd=DNSQR(qname="printer.local", qtype="PTR")),
        Ether(src=A, dst=B) / IP(src=CLIENT, dst=SERVER) / UDP(sport=40100, dport=9999) / b"x",
        *_udp_dns(40003, 0x2B7D, "mail.google.com"),
        *_http(40004),  # the last frames passed over
    ]
    for i, frame in enumerate(frames):
        frame.time = 1_700_000_000 + i * 0.000137 + (i * i % 7) * 0.00001  # irregular gaps
    return frames


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("skim") / "mixed.pcap"
    wrpcap(str(path), mixed_frames())
    return str(path)


@pytest.fixture(scope="module")
def whole_capture(tmp_path_factory) -> str:
    """The same with each DNS message over TCP in one segment, as dig sends it."""
    path = tmp_path_factory.mktemp("skim") / "whole.pcap"
    wrpcap(str(path), mixed_frames(split=False))
    return str(path)


FILTERS = (
    "dns",
    "dns.qry.name",
    'dns.qry.name contains "example"',
    "dns.response_to",
    "dns and frame.time_delta > 0.0002",
    "dns and frame.time_relative > 0.003",
    "tcp.port == 53",
    "dns and tcp.stream == 2",
    "mdns",
    "icmp",
    "http",
    "arp",
    "udp",
    "tcp",
    "ip.flags.mf == 1 or dns",
)


def run(path: str, skim: bool, monkeypatch, **options) -> str:
    with monkeypatch.context() as patch:
        if not skim:
            patch.setattr(dissect_cli, "can_skim", lambda path: False)
        out, err = io.StringIO(), io.StringIO()
        assert dissect_cli.main(path, out=out, err=err, **options) == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.parametrize("display_filter", FILTERS)
def test_skimming_prints_what_the_full_path_prints(capture, display_filter, monkeypatch):
    full = run(capture, False, monkeypatch, display_filter=display_filter)
    assert run(capture, True, monkeypatch, display_filter=display_filter) == full


@pytest.mark.parametrize("count", (1, 2, 7, 13, 19, 40))
def test_skimming_counts_frames_read_as_the_full_path(capture, count, monkeypatch):
    full = run(capture, False, monkeypatch, display_filter="dns", count=count)
    assert run(capture, True, monkeypatch, display_filter="dns", count=count) == full


def test_skimmed_fields_keep_times_and_tcp_streams(capture, monkeypatch):
    """-T fields shows tcp.stream: TCP is stepped whole there, UDP and ICMP still skimmed."""
    options = dict(
        display_filter="dns",
        output="fields",
        fields=[
            "frame.number",
            "frame.time_relative",
            "frame.time_delta",
            "tcp.stream",
            "dns.qry.name",
            "dns.response_to",
            "_ws.col.Info",
        ],
    )
    full = run(capture, False, monkeypatch, **options)
    assert run(capture, True, monkeypatch, **options) == full
    assert "split.example.com" in full and "\t1\t" in full  # DNS over TCP, the second stream


def test_the_skim_leaves_the_frames_that_cannot_match(capture, monkeypatch):
    """Only DNS frames, the TCP conversation on port 53, the fragment completing the DNS
    answer, IPv4 with options and ICMP errors reach the full path under `-Y dns`: the HTTP,
    the pings, mDNS, port 9999, ARP and the answer's other fragments (into the reassembly in
    the skim) do not."""
    stepped = []
    real = dissect_cli.CaptureState.step

    def counting(self, record):
        stepped.append(record.id)
        return real(self, record)

    monkeypatch.setattr(dissect_cli.CaptureState, "step", counting)
    run(capture, True, monkeypatch, display_filter="dns")
    frames = mixed_frames()
    passed_over = [
        i
        for i, f in enumerate(frames, 1)
        if (TCP in f and 80 in (f[TCP].sport, f[TCP].dport))
        or (ICMP in f and f[ICMP].type in (0, 8))
        or (UDP in f and f[UDP].dport in (9999, 5353))  # mDNS is not `dns`, as in tshark
        or (IP in f and f[IP].flags.MF)  # a fragment the datagram's last one completes
        or ARP in f
    ]
    assert len(passed_over) == 23  # 3 HTTP conversations, a ping, mDNS, port 9999, 3 fragments, ARP
    assert stepped == [i for i in range(1, len(frames) + 1) if i not in passed_over]


@needs_tool("tshark")
@pytest.mark.parametrize(
    "display_filter", ("dns", "dns.flags.response == 1", "tcp.port == 53", "udp.port == 53")
)
def test_skimmed_listing_equals_tsharks(whole_capture, display_filter, monkeypatch):
    ours = run(whole_capture, True, monkeypatch, display_filter=display_filter)
    theirs = subprocess.run(
        [shutil.which("tshark") or "tshark", "-r", whole_capture, "-Y", display_filter],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert ours.splitlines() == theirs.splitlines()
    assert ours.strip()


@pytest.mark.parametrize("cut", (None, 30, 16 + 54 + 8))  # in the file header, a frame, a header
def test_a_capture_cut_short_ends_as_on_the_full_path(capture, tmp_path, cut, monkeypatch):
    """The frames before the damage, then the same one sentence, whichever path read it."""
    data = open(capture, "rb").read()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:20] if cut is None else data[: len(data) - cut])
    results = []
    for skim in (False, True):
        with monkeypatch.context() as patch:
            if not skim:
                patch.setattr(dissect_cli, "can_skim", lambda path: False)
            out, err = io.StringIO(), io.StringIO()
            status = dissect_cli.main(str(path), display_filter="dns", out=out, err=err)
        results.append((status, out.getvalue(), err.getvalue()))
    assert results[0] == results[1]
    assert results[0][0] == 2 and results[0][2].count("\n") == 1


def fragment_frames() -> list:
    """Datagrams in fragments as captures hold them: a DNS answer's in reverse order, one with
    IP options on its first fragment (read on the full path, the rest in the skim), a
    fragment sent twice, pings of 3,000 bytes reusing one IP identification, a datagram to a
    port nothing binds, and a fragmented ICMP error quoting a DNS query."""

    def answer(ident: int, name: str):
        return (
            Ether(src=B, dst=A)
            / IP(src=RESOLVER, dst=CLIENT, id=ident)
            / UDP(sport=53, dport=40000 + ident % 1000)
            / DNS(
                id=ident,
                qr=1,
                qd=DNSQR(qname=name),
                an=[DNSRR(rrname=name, type="TXT", rdata="t" * 200) for _ in range(8)],
            )
        )

    def ping(kind: int, ident: int):
        src, dst = (CLIENT, SERVER) if kind == 8 else (SERVER, CLIENT)
        return (
            Ether(src=A, dst=B)
            / IP(src=src, dst=dst, id=ident)
            / ICMP(type=kind, id=5, seq=ident % 7)
            / (b"q" * 3000)
        )

    with_options = fragment(answer(0x2222, "options.example.com"), fragsize=600)
    with_options[0] = (
        Ether(src=B, dst=A)
        / IP(
            src=RESOLVER,
            dst=CLIENT,
            id=0x2222,
            flags="MF",
            proto=17,
            options=[IPOption_RR()],
        )
        / bytes(with_options[0][IP].payload)
    )
    twice = fragment(answer(0x3333, "twice.example.com"), fragsize=600)
    error = (
        Ether(src=B, dst=A)
        / IP(src=RESOLVER, dst=CLIENT, id=0x4444)
        / ICMP(type=3, code=3)
        / IP(src=CLIENT, dst=RESOLVER)
        / UDP(sport=40999, dport=53)
        / DNS(id=0x43, rd=1, qd=DNSQR(qname="gone.example.com"))
        / (b"z" * 1600)
    )
    frames = [
        *_udp_dns(41001, 0x1111, "first.example.com"),
        *reversed(fragment(answer(0x1111, "reverse.example.com"), fragsize=600)),
        *fragment(ping(8, 0x0707), fragsize=1480),
        *fragment(ping(0, 0x0707), fragsize=1480),
        *with_options,
        *fragment(ping(8, 0x0707), fragsize=1480),  # the same identification again
        *fragment(ping(0, 0x0707), fragsize=1480),
        *twice[:2],
        twice[1],
        *twice[2:],
        *fragment(
            Ether(src=A, dst=B)
            / IP(src=CLIENT, dst=SERVER, id=0x5555)
            / UDP(sport=40100, dport=9999)
            / (b"x" * 2500),
            fragsize=1480,
        ),
        *fragment(error, fragsize=1000),
        *_udp_dns(41002, 0x1112, "last.example.com"),
    ]
    for i, frame in enumerate(frames):
        frame.time = 1_700_000_100 + i * 0.000211
    return frames


@pytest.fixture(scope="module")
def fragments_capture(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("skim") / "fragments.pcap"
    wrpcap(str(path), fragment_frames())
    return str(path)


@pytest.mark.parametrize("display_filter", ("dns", "icmp", "udp.port == 9999", "dns.qry.name"))
def test_fragments_in_the_skim_print_what_the_full_path_prints(
    fragments_capture, display_filter, monkeypatch
):
    full = run(fragments_capture, False, monkeypatch, display_filter=display_filter)
    assert run(fragments_capture, True, monkeypatch, display_filter=display_filter) == full
    assert full.strip()


@needs_tool("tshark")
def test_fragments_in_the_skim_list_as_tshark(fragments_capture, monkeypatch):
    ours = run(fragments_capture, True, monkeypatch, display_filter="dns")
    theirs = subprocess.run(
        [shutil.which("tshark") or "tshark", "-r", fragments_capture, "-Y", "dns"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert ours.splitlines() == theirs.splitlines()
    assert "reverse.example.com" in ours and "twice.example.com" in ours


def _both_orders(folder) -> tuple[str, str]:
    """The mixed frames and the fragments in a pcap written least significant byte first, and
    in one written most significant byte first (as a big-endian machine's tcpdump writes it)."""
    frames = mixed_frames() + fragment_frames()
    for i, frame in enumerate(frames):
        frame.time = 1_700_000_000 + i * 0.000137
    paths = []
    for name, order in (("little.pcap", "<"), ("big.pcap", ">")):
        path = str(folder / name)
        writer = PcapWriter(path, endianness=order)
        writer.write(frames)
        writer.close()
        paths.append(path)
    return paths[0], paths[1]


@pytest.fixture(scope="module")
def both_orders(tmp_path_factory) -> tuple[str, str]:
    return _both_orders(tmp_path_factory.mktemp("orders"))


@pytest.mark.parametrize("display_filter", (*FILTERS, "udp.port == 9999"))
def test_a_big_endian_pcap_is_skimmed_as_a_little_endian_one(
    both_orders, display_filter, monkeypatch
):
    """The skim reads a record's fields in the file's byte order: a big-endian pcap passes
    over the same frames as the little-endian one and prints what the full path prints."""
    little, big = both_orders
    with open(big, "rb") as handle:
        assert handle.read(4) == b"\xa1\xb2\xc3\xd4"
    real = dissect_cli.CaptureState.step
    stepped: dict[str, list[int]] = {little: [], big: []}

    def counting(self, record, path):
        stepped[path].append(record.id)
        return real(self, record)

    outputs = {}
    for path in (little, big):
        monkeypatch.setattr(
            dissect_cli.CaptureState, "step", lambda self, r, p=path: counting(self, r, p)
        )
        outputs[path] = run(path, True, monkeypatch, display_filter=display_filter)
    monkeypatch.setattr(dissect_cli.CaptureState, "step", real)
    assert outputs[big] == outputs[little]
    assert outputs[big] == run(big, False, monkeypatch, display_filter=display_filter)
    assert stepped[big] == stepped[little]
    if display_filter == "dns":
        assert len(stepped[big]) < len(mixed_frames() + fragment_frames()) - 20
