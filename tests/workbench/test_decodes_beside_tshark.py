"""What a new user's trial found wrong beside tshark, on captures scapy makes: an echo's Info
from sequence number 10 on, the frame completing a fragmented datagram (its own IP header, not
the rebuilt one), a query's AD bit, and mDNS's class bits and unsolicited responses."""

from __future__ import annotations

import re

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, UDP, fragment
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import layers, ours, theirs

A, B = "10.9.0.1", "10.9.0.2"
MAC_A, MAC_B = "02:00:00:00:09:01", "02:00:00:00:09:02"


def _eth(packet, back: bool = False):
    return Ether(src=MAC_B if back else MAC_A, dst=MAC_A if back else MAC_B) / packet


@needs_tool("tshark")
def test_echo_info_for_every_sequence_number(tmp_path):
    frames = []
    for seq in (1, 9, 10, 11, 99, 256, 9999, 65535):
        frames.append(_eth(IP(src=A, dst=B) / ICMP(id=0x2446, seq=seq) / Raw(b"x" * 8)))
        frames.append(
            _eth(IP(src=B, dst=A) / ICMP(type=0, id=0x2446, seq=seq) / Raw(b"x" * 8), True)
        )
    path = str(tmp_path / "pings.pcap")
    wrpcap(path, frames)
    mine = ours(path, "-T", "fields", "-e", "_ws.col.Info").splitlines()
    assert mine == theirs(path, "-T", "fields", "-e", "_ws.col.Info").splitlines()
    assert "seq=10/2560," in mine[4] and "seq=9999/3879," in mine[12]


@needs_tool("tshark")
def test_the_frame_completing_a_datagram_shows_its_own_ip_header(tmp_path):
    big = IP(src=A, dst=B, id=0x1234) / ICMP(id=7, seq=1) / Raw(bytes(range(256)) * 16)
    path = str(tmp_path / "frags.pcap")
    wrpcap(path, [_eth(piece) for piece in fragment(big, fragsize=1480)])
    last = "frame.number == 3"
    checked = ("-o", "ip.check_checksum:TRUE")
    tree = layers(ours(path, "-V", "-Y", last), "Internet Protocol")
    wire = layers(theirs(path, *checked, "-V", "-Y", last), "Internet Protocol")
    offset = [x for x in wire if "Fragment Offset" in x]
    assert offset == [x for x in tree if "Fragment Offset" in x] and offset[0].endswith(": 2960")
    assert (
        "    Header Checksum: "
        + wire[wire.index(next(x for x in wire if "Header Checksum:" in x))].split(": ", 1)[1]
        in tree
    )
    assert any("[correct]" in x for x in tree)
    assert not any("over Ethernet" in x for x in ours(path, "-V", "-Y", last).splitlines())
    names = [
        "ip.len",
        "ip.frag_offset",
        "ip.flags.mf",
        "ip.checksum.status",
        "icmp.seq",
        "frame.len",
    ]
    args = ["-T", "fields", *[a for n in names for a in ("-e", n)]]
    assert ours(path, *args) == theirs(path, *checked, *args)
    assert ours(path, "-x") == theirs(path, "-x")  # the frame, then "Reassembled IPv4"


@needs_tool("tshark")
def test_a_querys_ad_bit_as_tshark(tmp_path):
    frames = [
        _eth(
            IP(src=A, dst=B)
            / UDP(sport=5353 + ad, dport=53)
            / DNS(id=ad, rd=1, ad=ad, qd=DNSQR(qname="example.com"))
        )
        for ad in (0, 1)
    ]
    path = str(tmp_path / "dns.pcap")
    wrpcap(path, frames)
    args = ["-T", "fields", "-e", "dns.flags.authenticated", "-e", "dns.flags"]
    assert ours(path, *args) == theirs(path, *args) == "\t0x0100\n1\t0x0120\n"
    assert (
        ours(path, "-Y", "dns.flags.authenticated == 1", "-T", "fields", "-e", "dns.id")
        == "0x0001\n"
    )
    assert layers(ours(path, "-V"), "Domain") == layers(theirs(path, "-V"), "Domain")


@needs_tool("tshark")
def test_an_http_body_of_no_type_tshark_reads_is_data(tmp_path):
    from scapy.layers.inet import TCP

    body = bytes(range(256)) * 3
    response = b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
    response += b"Content-Length: %d\r\n\r\n" % len(body) + body
    untyped = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    frames = [
        _eth(
            IP(src=B, dst=A) / TCP(sport=80, dport=40000 + n, flags="PA", seq=1, ack=1) / Raw(r),
            True,
        )
        for n, r in enumerate((response, untyped))
    ]
    path = str(tmp_path / "bodies.pcap")
    wrpcap(path, frames)
    args = ["-T", "fields", "-e", "frame.number", "-e", "data.len", "-e", "frame.protocols"]
    assert ours(path, "-Y", "data", *args) == theirs(path, "-Y", "data", *args)
    assert ours(path, "-Y", "data", *args).splitlines() == [
        "1\t768\teth:ethertype:ip:tcp:http:data",
        "2\t5\teth:ethertype:ip:tcp:http:data",
    ]
    # not compared: tshark -V prints the second one's Data inside HTTP's tree, and its io,phs
    # counts that one under no protocol (frames:1 where frame.protocols says data twice)


def _first_protocol_lines(tree: str) -> list[str]:
    """Each frame's IPv4 `Protocol:` line (the first of the frame), byte ranges taken off."""
    out, seen = [], False
    for line in tree.splitlines():
        if line.startswith("Frame "):
            seen = False
        elif line.startswith("    Protocol: ") and not seen:
            out.append(line.split("  [byte")[0])
            seen = True
    return out


@needs_tool("tshark")
def test_every_ip_protocol_number_is_labelled_as_tshark_labels_it(tmp_path):
    """ip.proto's line for each of the 256 numbers in Wireshark's words ("Generic Routing
    Encapsulation (47)", "Unassigned (200)", "Unknown (255)"), as ipv6.nxt's."""
    path = str(tmp_path / "protocols.pcap")
    wrpcap(path, [_eth(IP(src=A, dst=B, proto=n) / Raw(bytes(40))) for n in range(256)])
    mine = _first_protocol_lines(ours(path, "-V"))
    assert mine == _first_protocol_lines(theirs(path, "-V"))
    assert mine[44] == "    Protocol: Fragment Header for IPv6 (44)" and len(mine) == 256


@needs_tool("tshark")
def test_mdns_class_bits_and_unsolicited_responses_as_tshark(tmp_path):
    """An mDNS response asking for a unicast answer ("QU") with a cache-flush record, the
    same with the bits clear, and a DNS response to no query: Info, tree and fields."""
    frames = []
    for bit in (1, 0):
        answer = DNSRR(rrname="printer.local", type="A", cacheflush=bit, ttl=120, rdata="10.9.0.50")
        question = DNSQR(qname="printer.local", qtype="A", unicastresponse=bit)
        frames.append(
            Ether(src=MAC_A, dst="01:00:5e:00:00:fb")
            / IP(src=A, dst="224.0.0.251", ttl=255)
            / UDP(sport=5353, dport=5353)
            / DNS(id=0, qr=1, aa=1, qd=question, an=answer)
        )
    frames.append(
        _eth(IP(src=B, dst=A) / UDP(sport=53, dport=40000), True)
        / DNS(
            id=7,
            qr=1,
            qd=DNSQR(qname="printer.lan"),
            an=DNSRR(rrname="printer.lan", rdata="10.9.0.50"),
        )
    )
    path = str(tmp_path / "mdns.pcap")
    wrpcap(path, frames)
    info = ours(path, "-T", "fields", "-e", "_ws.col.Info").splitlines()
    assert info == theirs(path, "-T", "fields", "-e", "_ws.col.Info").splitlines()
    assert info[0].endswith('printer.local, "QU" question A, cache flush 10.9.0.50')
    assert info[1].endswith('printer.local, "QM" question A 10.9.0.50')
    titles = ("Domain Name System", "Multicast Domain Name System")
    tree = layers(ours(path, "-V"), *titles)
    assert tree == layers(theirs(path, "-V"), *titles)
    assert "        printer.local: type A, class IN, cache flush, addr 10.9.0.50" in tree
    assert tree.count("    [Unsolicited: True]") == 3
    names = [
        "dns.qry.qu",
        "dns.qry.class",
        "dns.resp.cache_flush",
        "dns.resp.class",
        "dns.unsolicited",
    ]
    fields = [arg for name in names for arg in ("-e", name)]
    assert ours(path, "-T", "fields", *fields) == theirs(path, "-T", "fields", *fields)
    for wanted in ("dns.qry.qu == 1", "dns.resp.cache_flush == 0", "dns.unsolicited", "mdns"):
        assert ours(path, "-Y", wanted) == theirs(path, "-Y", wanted), wanted


@needs_tool("tshark")
@needs_tool("editcap")
def test_the_frame_section_and_packet_comments_as_tshark(tmp_path):
    """`-V`'s Frame section line for line as tshark 4.0's, over the lab's own pcapng (three
    named interfaces, every frame's events as packet comments, some over 240 bytes) and the
    same frames as a classic pcap, with filters (the delta from the previous displayed frame)."""
    import subprocess
    import sys

    pcapng, pcap = tmp_path / "lab.pcapng", tmp_path / "lab.pcap"
    subprocess.run(
        [sys.executable, "-m", "workbench.cli", "run", "--do", "pc: ping www -c 2", "-q"]
        + ["--pcap", str(pcapng)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(["editcap", "-F", "pcap", str(pcapng), str(pcap)], check=True, timeout=60)
    titles = ("Frame ", "Packet comments")
    for path in (str(pcapng), str(pcap)):
        for wanted in ("icmp", "arp or frame.number == 9"):
            mine = layers(ours(path, "-V", "-Y", wanted), *titles)
            assert mine == layers(theirs(path, "-V", "-Y", wanted), *titles), (path, wanted)
            assert any("[Time delta from previous displayed frame: " in x for x in mine)
    mine = layers(ours(str(pcapng), "-V", "-c", "1"), *titles)
    assert "    Interface id: 0 (lan)" in mine and mine[0] == "Packet comments"
    assert any(x.startswith("     [truncated]") for x in layers(ours(str(pcapng), "-V"), *titles))


@needs_tool("tshark")
def test_tcp_analysis_values_after_a_dsack_as_tshark(tmp_path):
    """A transfer where the receiver's ACK carries a D-SACK block (a spurious retransmission
    came) and the sender's next segment is smaller than that block: tshark shows no bytes in
    flight there, and then no bytes-since-PSH either (they are shown together), though its
    [SEQ/ACK analysis] still says the iRTT. Every analysis value of every frame as tshark's."""
    from scapy.layers.inet import TCP

    c, s = (A, 40000), (B, 80)

    def seg(src, dst, flags, seq, ack, payload=b"", options=()):
        back = src == s
        packet = IP(src=src[0], dst=dst[0]) / TCP(
            sport=src[1],
            dport=dst[1],
            flags=flags,
            seq=seq,
            ack=ack,
            window=500,
            options=list(options),
        )
        return _eth(packet / Raw(payload) if payload else packet, back)

    frames = [
        seg(c, s, "S", 1000, 0, options=[("MSS", 1460), ("SAckOK", b"")]),
        seg(s, c, "SA", 5000, 1001, options=[("MSS", 1460), ("SAckOK", b"")]),
        seg(c, s, "A", 1001, 5001),
    ]
    seq = 5001
    for _ in range(3):
        frames.append(seg(s, c, "A", seq, 1001, b"d" * 1000))
        seq += 1000
    frames.append(seg(s, c, "A", 5001, 1001, b"d" * 1000))  # spurious: sent again
    frames.append(seg(c, s, "A", 1001, seq, options=[("SAck", (5001, 6001))]))  # D-SACK
    frames.append(seg(s, c, "PA", seq, 1001, b"p" * 100))  # smaller than the D-SACK block
    frames.append(seg(c, s, "A", 1001, seq + 100))
    frames.append(seg(s, c, "PA", seq + 100, 1001, b"q" * 300))
    for i, frame in enumerate(frames):
        frame.time = 1.0 + i * 0.001
    path = str(tmp_path / "dsack.pcap")
    wrpcap(path, frames)
    names = [
        "tcp.analysis.acks_frame",
        "tcp.analysis.ack_rtt",
        "tcp.analysis.initial_rtt",
        "tcp.analysis.bytes_in_flight",
        "tcp.analysis.push_bytes_sent",
        "tcp.analysis.spurious_retransmission",
        "tcp.time_delta",
    ]
    fields = [arg for name in names for arg in ("-e", name)]
    mine = ours(path, "-T", "fields", *fields)
    assert mine == theirs(path, "-T", "fields", *fields)
    rows = mine.splitlines()
    assert rows[8].split("\t")[3:5] == ["", ""]  # after the D-SACK: none shown
    assert rows[10].split("\t")[3:5] == ["300", "300"]  # PSH after PSH: this segment's bytes
    titles = ("Transmission Control Protocol",)
    tree = _analysis_lines(layers(ours(path, "-V"), *titles))
    assert tree == _analysis_lines(layers(theirs(path, "-V"), *titles))
    assert "    [SEQ/ACK analysis]" in tree


def _analysis_lines(lines: list[str]) -> list[str]:
    """The [Timestamps] and [SEQ/ACK analysis] subtrees of `-V`'s TCP sections."""
    out, inside = [], False
    for line in lines:
        depth = len(line) - len(line.lstrip())
        if depth == 4:
            inside = line.strip() in ("[Timestamps]", "[SEQ/ACK analysis]")
        if inside:
            out.append(line)
    return out


@needs_tool("tshark")
def test_conversation_completeness_as_tshark(tmp_path):
    """`[Conversation completeness: …]` on every TCP frame, as tshark's one pass shows it (what
    the frames before it saw): a transfer closed by FIN, a handshake closed with no data, a
    refused connection, a capture that starts mid-stream, a SYN reusing a closed conversation's
    ports, and data on a SYN (TCP Fast Open)."""
    from scapy.layers.inet import TCP

    def seg(src, dst, flags, seq, ack, payload=b""):
        packet = IP(src=src[0], dst=dst[0]) / TCP(
            sport=src[1], dport=dst[1], flags=flags, seq=seq, ack=ack, window=500
        )
        return _eth(packet / Raw(payload) if payload else packet, src[0] == B)

    frames = []
    c, s = (A, 40001), (B, 80)  # data, then FIN both ways: Complete, WITH_DATA (31)
    frames += [
        seg(c, s, "S", 100, 0),
        seg(s, c, "SA", 900, 101),
        seg(c, s, "A", 101, 901),
        seg(c, s, "PA", 101, 901, b"GET"),
        seg(s, c, "FA", 901, 104),
        seg(c, s, "FA", 104, 902),
        seg(s, c, "A", 902, 105),
    ]
    c = (A, 40002)  # no data, then FIN: Complete, NO_DATA (23)
    frames += [
        seg(c, s, "S", 200, 0),
        seg(s, c, "SA", 700, 201),
        seg(c, s, "A", 201, 701),
        seg(c, s, "FA", 201, 701),
        seg(s, c, "FA", 701, 202),
    ]
    c = (A, 40003)  # refused
    frames += [seg(c, s, "S", 300, 0), seg(s, c, "RA", 0, 301), seg(c, s, "S", 300, 0)]
    c = (A, 40004)  # seen from the middle: no handshake ever
    frames += [seg(c, s, "PA", 5000, 6000, b"abc"), seg(s, c, "A", 6000, 5003)]
    frames += [seg(c, s, "A", 5003, 6000), seg(s, c, "RA", 6000, 5003)]
    c = (A, 40001)  # the first conversation's ports again, with another ISN: a new stream
    frames += [seg(c, s, "S", 77777, 0), seg(s, c, "SA", 1234, 77778)]
    c = (A, 40005)  # data on the SYN
    frames += [seg(c, s, "S", 400, 0, b"fast"), seg(s, c, "SA", 800, 405)]
    for i, frame in enumerate(frames):
        frame.time = 1.0 + i * 0.001
    path = str(tmp_path / "completeness.pcap")
    wrpcap(path, frames)
    fields = ("-T", "fields", "-e", "tcp.stream", "-e", "tcp.completeness")
    mine = ours(path, *fields)
    assert mine == theirs(path, *fields)
    # refused: SYN, then an ACK and a RST (37); mid-stream: nothing until a pure ACK (4);
    # Fast Open: SYN and data (9); the reused ports' SYN starts at 1
    assert {row.split("\t")[1] for row in mine.splitlines()} >= {
        "0",
        "1",
        "4",
        "9",
        "23",
        "31",
        "37",
    }
    title = ("Transmission Control Protocol",)
    lines = [x for x in layers(ours(path, "-V"), *title) if "completeness" in x]
    assert lines == [x for x in layers(theirs(path, "-V"), *title) if "completeness" in x]
    assert "    [Conversation completeness: Complete, NO_DATA (23)]" in lines
    for wanted in ("tcp.completeness == 31", "tcp.completeness >= 12 && tcp.completeness < 32"):
        picked = ("-Y", wanted, "-T", "fields", "-e", "frame.number")
        assert ours(path, *picked) == theirs(path, *picked) != ""


@needs_tool("tshark")
def test_sack_blocks_in_relative_numbers_with_dsack_as_tshark(tmp_path):
    """A receiver's SACK blocks, in the sender's relative numbers, with their count; a D-SACK
    below the ACK and one inside the second block each with their edges and warning; zero
    padding as one EOL a byte, a SYN without MSS noted: every TCP line of `-V` (but checksum
    verdicts and "TCP segment data"), the fields and filters as tshark's."""
    from scapy.layers.inet import TCP

    c, s = (A, 40010), (B, 80)

    def seg(src, dst, flags, seq, ack, payload=b"", options=()):
        packet = IP(src=src[0], dst=dst[0]) / TCP(
            sport=src[1], dport=dst[1], flags=flags, seq=seq, ack=ack, window=500
        )
        packet[TCP].options = list(options)
        return _eth(packet / Raw(payload) if payload else packet, src == s)

    isn = 3_000_000_000  # the other side's numbers wrap past 2^32 on the way
    frames = [
        seg(c, s, "S", 1000, 0, options=[("SAckOK", b"")]),
        seg(s, c, "SA", isn, 1001, options=[("SAckOK", b"")]),
        seg(c, s, "A", 1001, isn + 1),
    ]
    for i in range(6):
        if i != 1:  # the second segment is lost
            frames.append(seg(s, c, "A", isn + 1 + 1000 * i, 1001, b"d" * 1000))
    frames.append(seg(c, s, "A", 1001, isn + 1001, options=[("SAck", (isn + 2001, isn + 6001))]))
    blocks = (isn + 3001, isn + 4001, isn + 2001, isn + 6001)  # inside the second: a D-SACK
    frames.append(seg(c, s, "A", 1001, isn + 1001, options=[("SAck", blocks)]))
    frames.append(seg(s, c, "A", isn + 1001, 1001, b"d" * 1000))
    frames.append(seg(c, s, "A", 1001, isn + 6001, options=[("SAck", (isn + 1, isn + 1001))]))
    for i, frame in enumerate(frames):
        frame.time = 1.0 + i * 0.001
    path = str(tmp_path / "sack.pcap")
    wrpcap(path, frames)
    names = ["sack_le", "sack_re", "sack.count", "sack.dsack_le", "sack.dsack_re", "sack.dsack"]
    fields = [arg for name in names for arg in ("-e", f"tcp.options.{name}")]
    mine = ours(path, "-T", "fields", *fields)
    assert mine == theirs(path, "-T", "fields", *fields)
    rows = [row for row in mine.splitlines() if row.strip()]
    assert rows[0].split("\t")[:3] == ["2001", "6001", "1"]
    assert rows[1].split("\t")[3:] == ["3001", "4001", "1"] and rows[2].split("\t")[3] == "1"

    def tcp_lines(text: str) -> list[str]:
        # checksum verdicts differ by design; "TCP segment data" is a line we do not show yet
        skip = re.compile(r"^\s+(\[?Checksum|(Retransmitted )?TCP segment data \()")
        lines = layers(text, "Transmission Control Protocol")
        return [x for x in lines if not skip.match(x)]

    tree = tcp_lines(ours(path, "-V"))
    assert tree == tcp_lines(theirs(path, "-V"))
    # scapy pads a SYN's SACK permitted with two zero bytes: two EOLs, and no MSS is noted
    assert (
        "    Options: (4 bytes), SACK permitted, End of Option List (EOL), End of Option List (EOL)"
        in tree
    )
    assert (
        "        [Expert Info (Note/Protocol): The SYN packet does not contain a MSS option]"
        in tree
    )
    assert "        TCP Option - SACK 3001-4001 2001-6001" in tree
    for wanted in (
        "tcp.options.sack.dsack",
        "tcp.options.sack_le == 2001",
        "tcp.options.sack.count == 2",
    ):
        picked = ("-Y", wanted, "-T", "fields", "-e", "frame.number")
        assert ours(path, *picked) == theirs(path, *picked) != ""


@needs_tool("tshark")
def test_segment_data_pdu_size_and_retransmitted_data_as_tshark(tmp_path):
    """What tshark's reassembly says below a segment's payload: "TCP segment data" on each
    segment of a message over several (HTTP, DNS over TCP), "[PDU Size: N]" for each DNS
    message a segment ends (two in one segment, one over two), "Retransmitted TCP segment
    data" on a plain retransmission on any port (not on a fast or spurious one)."""
    from scapy.layers.inet import TCP

    def seg(client, port, back, flags, seq, ack, payload=b""):
        src, dst, sport, dport = (B, A, port, client) if back else (A, B, client, port)
        packet = IP(src=src, dst=dst) / TCP(
            sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=500
        )
        return _eth(packet / Raw(payload) if payload else packet, back)

    def message(body: bytes) -> bytes:
        return len(body).to_bytes(2, "big") + body

    query = bytes(DNS(id=7, rd=1, qd=DNSQR(qname="www.example.test")))
    answer = bytes(
        DNS(
            id=7,
            qr=1,
            qd=DNSQR(qname="www.example.test"),
            an=DNSRR(rrname="www.example.test", rdata="10.9.0.80"),
        )
    )
    frames, late = [], set()
    for port, data in (
        (5001, [b"x" * 50]),
        (80, [b"HTTP/1.1 200 OK\r\n", b"Content-Length: 3\r\n\r\nabc"]),
    ):
        client = 40000 + port
        frames += [seg(client, port, False, "S", 100, 0), seg(client, port, True, "SA", 900, 101)]
        frames.append(seg(client, port, False, "A", 101, 901))
        frames.append(seg(client, port, False, "PA", 101, 901, b"GET / HTTP/1.1\r\n\r\n"))
        seq = 901
        for part in data:
            frames.append(seg(client, port, True, "PA", seq, 119, part))
            seq += len(part)
        late.add(len(frames))  # a retransmission, by timer
        frames.append(seg(client, port, True, "PA", 901, 119, data[0]))
        frames.append(seg(client, port, False, "A", 119, seq))
    client, port = 40053, 53
    frames += [seg(client, port, False, "S", 100, 0), seg(client, port, True, "SA", 900, 101)]
    frames.append(seg(client, port, False, "A", 101, 901))
    two = message(query) + message(query)
    frames.append(seg(client, port, False, "PA", 101, 901, two))  # two queries in one segment
    whole = message(answer)
    frames.append(seg(client, port, True, "PA", 901, 101 + len(two), whole[:20]))  # one in two
    frames.append(seg(client, port, True, "PA", 921, 101 + len(two), whole[20:]))
    frames.append(seg(client, port, False, "A", 101 + len(two), 901 + len(whole)))
    clock = 1.0
    for i, frame in enumerate(frames):  # 50 ms apart; a retransmission a second after
        clock += 1.0 if i in late else 0.05
        frame.time = clock
    path = str(tmp_path / "segments.pcap")
    wrpcap(path, frames)

    def tcp_lines(text: str) -> list[str]:
        skip = re.compile(r"^\s+\[?Checksum")  # verdicts differ by design
        lines = layers(text, "Transmission Control Protocol")
        return [x for x in lines if not skip.match(x)]

    tree = tcp_lines(ours(path, "-V"))
    assert tree == tcp_lines(theirs(path, "-V"))
    assert tree.count("    Retransmitted TCP segment data (50 bytes)") == 1
    assert "    TCP segment data (17 bytes)" in tree and "    [PDU Size: 36]" in tree
    assert tree.count(f"    [PDU Size: {len(message(query))}]") == 2


@needs_tool("tshark")
def test_data_dumped_below_its_line_and_icmp_data_nested_as_tshark(tmp_path, monkeypatch):
    """`-V` dumps a Data layer's bytes in hex below its line (as tshark does when no `-x`
    asks for the whole frame's), and an echo's data sits under ICMP: every line as tshark's
    but for checksum verdicts; with `-x`, the frame's dump alone, as tshark."""
    monkeypatch.setenv("TZ", "UTC")
    frames = [
        _eth(IP(src=A, dst=B) / UDP(sport=40000, dport=9999) / Raw(bytes(range(40)))),
        _eth(IP(src=A, dst=B) / ICMP(id=7, seq=1) / Raw(b"\x00" * 8 + bytes(range(48, 148)))),
    ]
    for i, frame in enumerate(frames):
        frame.time = 1_796_281_515 + i
    path = str(tmp_path / "data.pcap")
    wrpcap(path, frames)
    skip = re.compile(r"^\s+\[?(Header )?[Cc]hecksum")
    for argv in (("-V",), ("-V", "-x")):
        mine = [x for x in _no_ranges(ours(path, *argv)) if not skip.match(x)]
        assert mine == [x for x in theirs(path, *argv).splitlines() if not skip.match(x)], argv
    dumped = _no_ranges(ours(path, "-V"))
    at = dumped.index("Data (40 bytes)")
    assert dumped[at + 1 : at + 3] == [
        "",
        "0000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f   ................",
    ]
    assert any(x.startswith("    Data (1") for x in dumped)  # under ICMP


def _no_ranges(text: str) -> list[str]:
    return [re.sub(r"  \[(?:Reassembled \w+ )?bytes? [\d-]+\]$", "", x) for x in text.splitlines()]


@needs_tool("tshark")
def test_fragments_gathered_in_their_tree_as_tshark(tmp_path):
    """The frame that completes a datagram lists its fragments as tshark does, last in the IP
    section: `[3 IPv4 Fragments (4008 bytes): #…]`, each fragment's part of the datagram (in
    offset order, whatever order they came in), the count, length and data."""
    big = IP(src=A, dst=B, id=0x4321) / ICMP(id=7, seq=1) / Raw(bytes(range(256)) * 15 + b"x" * 152)
    pieces = fragment(big, fragsize=1480)
    path = str(tmp_path / "frags.pcap")
    wrpcap(path, [_eth(piece) for piece in (pieces[1], pieces[0], pieces[2])])  # reordered
    titles = ("Internet Protocol",)
    mine = layers(ours(path, "-V", "-Y", "frame.number == 3"), *titles)
    wire = layers(theirs(path, "-V", "-Y", "frame.number == 3"), *titles)
    skip = re.compile(r"^\s+\[?Header [Cc]hecksum")  # verdicts differ by design
    assert [x for x in mine if not skip.match(x)] == [x for x in wire if not skip.match(x)]
    assert "    [3 IPv4 Fragments (4000 bytes): #2(1480), #1(1480), #3(1040)]" in mine
    assert "        [Frame: 1, payload: 1480-2959 (1480 bytes)]" in mine


@needs_tool("tshark")
def test_cooked_captures_sll_lines_as_tshark(tmp_path):
    """`tcpdump -i any`'s cooked headers, v1 and v2, line for line as tshark's (v2's reserved
    bytes have no line there)."""
    from scapy.layers.l2 import CookedLinux, CookedLinuxV2

    ping = IP(src=A, dst=B) / ICMP(id=7, seq=1)
    mac = b"\x02\x00\x00\x00\x09\x01\x00\x00"
    v2 = [
        CookedLinuxV2(proto=0x0800, ifindex=3, lladdrtype=1, pkttype=0, lladdrlen=6, src=mac) / ping
    ]
    v1 = [CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=mac) / ping]
    for name, frames, link in (("v2.pcap", v2, 276), ("v1.pcap", v1, 113)):
        path = str(tmp_path / name)
        wrpcap(path, frames, linktype=link)
        mine = layers(ours(path, "-V"), "Linux cooked")
        assert mine == layers(theirs(path, "-V"), "Linux cooked"), name
        assert len(mine) > 5 and not any("Reserved" in x for x in mine)


@needs_tool("tshark")
def test_neighbour_discovery_link_layer_addresses_as_tshark(tmp_path):
    """An NS and an NA's link-layer address options named as tshark names the address (its
    vendor's prefix where the manuf table has it, else the address again)."""
    from scapy.layers.inet6 import (
        ICMPv6ND_NA,
        ICMPv6ND_NS,
        ICMPv6NDOptDstLLAddr,
        ICMPv6NDOptSrcLLAddr,
        IPv6,
    )

    a, b = "fe80::1", "fe80::2"
    frames = [
        Ether(src=MAC_A, dst="33:33:ff:00:00:02")
        / IPv6(src=a, dst="ff02::1:ff00:2", hlim=255)
        / ICMPv6ND_NS(tgt=b)
        / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A),
        Ether(src="00:1b:21:3a:4f:64", dst=MAC_A)  # an Intel prefix
        / IPv6(src=b, dst=a, hlim=255)
        / ICMPv6ND_NA(tgt=b, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr="00:1b:21:3a:4f:64"),
    ]
    path = str(tmp_path / "nd.pcap")
    wrpcap(path, frames)
    skip = re.compile(r"^\s+\[?Checksum")
    mine = [x for x in layers(ours(path, "-V"), "Internet Control") if not skip.match(x)]
    assert mine == [x for x in layers(theirs(path, "-V"), "Internet Control") if not skip.match(x)]
    assert "        Link-layer address: 02:00:00:00:09:01 (02:00:00:00:09:01)" in mine


@needs_tool("tshark")
def test_dhcp_options_named_and_shown_as_tshark(tmp_path):
    """Every option code titled as tshark titles it, and the value of each simple kind on its
    line (addresses, a list of them, numbers, times signed and not, flags, strings); an option
    no kind fits shows its bytes as `Value:`; the flags word's reserved bits; every option's
    bytes a `dhcp.option.value` for -T fields and filters, as tshark's."""
    from scapy.layers.dhcp import BOOTP, DHCP

    def discover(xid, options):
        return (
            Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff")
            / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67)
            / BOOTP(chaddr=bytes.fromhex("020000000901"), xid=xid, flags=0x8000)
            / DHCP(options=[("message-type", "discover"), *options, "end"])
        )

    frames = [
        discover(1, [("param_req_list", list(range(255)))]),  # 0…254, a byte each
        discover(
            2,
            [
                (42, bytes([10, 9, 0, 1, 10, 9, 0, 2])),  # NTP servers, a list
                (16, bytes([10, 9, 0, 3])),  # swap server: the address on the option's line
                (2, (-3661).to_bytes(4, "big", signed=True)),  # time offset, west of UTC
                (24, (90061).to_bytes(4, "big")),  # path MTU aging timeout
                (26, (1500).to_bytes(2, "big")),
                (23, b"\x40"),
                (19, b"\x01"),  # IP forwarding: Enabled
                (27, b"\x00"),  # all subnets are local: No
                (12, b"lab-pc"),
                (200, b"ab"),  # unassigned: its bytes
                (121, bytes([24, 10, 9, 1, 10, 9, 0, 1])),  # a kind of its own: its bytes
            ],
        ),
    ]
    path = str(tmp_path / "dhcp.pcap")
    wrpcap(path, frames)
    title = "Dynamic Host Configuration Protocol"
    mine = layers(ours(path, "-V"), title)
    shown = layers(theirs(path, "-V"), title)
    ours_121 = mine.index("    Option: (121) Classless Static Route")
    theirs_121 = shown.index("    Option: (121) Classless Static Route")
    # tshark reads option 121's routes; ours shows the bytes: compared up to it, and after
    assert mine[:ours_121] == shown[:theirs_121]
    assert mine[ours_121 + 3 :] == shown[theirs_121 + 3 :]
    assert "        Value: 180a09010a090001" == mine[ours_121 + 2]
    for line in (
        "        .000 0000 0000 0000 = Reserved flags: 0x0000",
        "        Parameter Request List Item: (42) Network Time Protocol Servers",
        "        Network Time Protocol Server: 10.9.0.2",
        "    Option: (16) Swap Server (10.9.0.3)",
        "        Time Offset: (-3661s) -1 hour, 1 minute, 1 second",
        "        IP Forwarding: Enabled",
        "        All Subnets are Local: No",
        "        Value: 6162",
    ):
        assert line in mine
    fields = ["-T", "fields", "-E", "occurrence=a"]
    for name in ("value", "ntp_server", "time_offset", "ip_forwarding", "hostname"):
        fields += ["-e", f"dhcp.option.{name}"]
    fields += ["-e", "dhcp.flags.reserved", "-e", "dhcp.option.request_list_item"]
    assert ours(path, *fields) == theirs(path, *fields)
    for expression in (
        "dhcp.option.value == 61:62",
        "dhcp.option.ntp_server == 10.9.0.2",
        "dhcp.option.time_offset < 0",
        "dhcp.option.all_subnets_are_local == 0",
        "dhcp.option.request_list_item == 42",
    ):
        picked = ["-Y", expression, "-T", "fields", "-e", "frame.number"]
        assert ours(path, *picked) == theirs(path, *picked) != ""


@needs_tool("tshark")
def test_ipv6_extension_headers_and_mldv2_records_as_tshark(tmp_path):
    """Hop-by-Hop and Destination options with their type's action bits, Pad1 and an empty
    PadN, experimental and unknown types; a source route's addresses; MLDv2 records with their
    type, lengths and sources (`ping6` sends such a report with a Router Alert); and the
    checksum over the route's last address, not the next hop (RFC 8200 §8.1)."""
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import (
        HBHOptUnknown,
        ICMPv6EchoRequest,
        ICMPv6MLDMultAddrRec,
        ICMPv6MLReport2,
        IPv6,
        IPv6ExtHdrDestOpt,
        IPv6ExtHdrHopByHop,
        IPv6ExtHdrRouting,
        IPv6ExtHdrSegmentRouting,
        Pad1,
        PadN,
        RouterAlert,
    )

    a, b = "2001:db8::a", "2001:db8::b"
    records = [
        ICMPv6MLDMultAddrRec(rtype=4, dst="ff02::1:ff00:2"),
        ICMPv6MLDMultAddrRec(rtype=1, dst="ff05::2", sources=["2001:db8::1", "2001:db8::2"]),
        ICMPv6MLDMultAddrRec(rtype=9, dst="ff05::9"),
    ]
    frames = [
        _eth(
            IPv6(src="fe80::1", dst="ff02::16", hlim=1)
            / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"")])
            / ICMPv6MLReport2(records=records)
        ),
        _eth(
            IPv6(src=a, dst=b)
            / IPv6ExtHdrHopByHop(options=[Pad1(), Pad1(), PadN(optdata=b"\0\0")])
            / IPv6ExtHdrDestOpt(
                options=[
                    HBHOptUnknown(otype=0x3E, optdata=b"\1\2\3\4"),
                    HBHOptUnknown(otype=0x9A, optdata=b"\5\6"),
                ]
            )
            / ICMPv6EchoRequest()
        ),
        _eth(
            IPv6(src=a, dst=b)
            / IPv6ExtHdrRouting(addresses=["2001:db8::1", "2001:db8::2"])
            / UDP(sport=1000, dport=9)
            / Raw(b"x")
        ),  # fmt: skip
        _eth(
            IPv6(src=a, dst=b)
            / IPv6ExtHdrRouting(addresses=["2001:db8::1"])
            / TCP(sport=1000, dport=80, flags="S")
        ),  # fmt: skip
        _eth(
            IPv6(src=a, dst=b)
            / IPv6ExtHdrSegmentRouting(addresses=["2001:db8::5", "2001:db8::6"], segleft=1)
            / ICMPv6EchoRequest()
        ),
    ]
    path = str(tmp_path / "v6.pcap")
    wrpcap(path, frames)
    # tshark notes a type 0 route is deprecated and an unknown option's data undecoded, and
    # (asked to check) what checksum it worked out: its own notes, not lines of the packet
    noted = re.compile(
        r"^ {12,}\[(Expert Info \(Note/(Deprecated|Undecoded)\)|Routing header type is"
        r"|Unknown Data \(not|Severity level: Note|Group: (Deprecated|Undecoded))"
    )
    calculated = re.compile(r"^\s+\[Calculated Checksum")
    shown = theirs(path, "-V", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE")
    shown = [x for x in shown.splitlines() if not noted.match(x) and not calculated.match(x)]
    titles = ("Internet Protocol Version 6", "Internet Control", "User Datagram", "Transmission")
    mine = layers(ours(path, "-V"), *titles)
    assert mine == layers("\n".join(shown), *titles)
    text = "\n".join(mine)
    for line in (
        "        [Length: 8 bytes]",
        "                ..1. .... = May Change: Yes",
        "            PadN: <none>",
        "            Experimental Option: 01020304",
        "        Unknown IPv6 Option (154)",
        "                10.. .... = Action: Discard and send ICMP Parameter Problem (2)",
        "        Address[2]: 2001:db8::2",
        "    Multicast Address Record Unknown Record Type (9): ff05::9",
        "        Source Address: 2001:db8::2",
    ):
        assert line in mine, line
    assert "[incorrect" not in text and text.count("[correct]") == 5


@needs_tool("tshark")
def test_dns_transactions_with_a_reused_id_as_tshark(tmp_path):
    """A response answers the latest query of its ID (not the first one ever seen); a query
    repeated while the first is unanswered (under 5 s) is a retransmission, one repeated later
    opens a transaction of its own; a second response is a retransmitted response; one to no
    query is unsolicited — the [Request In], [Time], [Retransmitted …] lines, tshark's warning
    under the Transaction ID, the fields and filters, as tshark's single pass gives them."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    def message(ident, at, response=False, port=1000):
        ends = (B, 53, A, port) if response else (A, port, B, 53)
        dns = DNS(id=ident, qr=int(response), qd=DNSQR(qname="a.example"))
        if response:
            dns.an = DNSRR(rrname="a.example", rdata="10.9.0.7")
        packet = _eth(
            IP(src=ends[0], dst=ends[2]) / UDP(sport=ends[1], dport=ends[3]) / dns, response
        )
        packet.time = at
        return packet

    timeline = [
        (1, 1.0, False), (1, 1.1, True), (1, 2.0, False), (1, 2.1, True),  # ID reused: 4 → 3
        (2, 3.0, False), (2, 3.5, False), (2, 3.6, True),  # a retransmitted query
        (3, 4.0, False), (3, 4.1, True), (3, 4.2, True),  # a retransmitted response
        (4, 5.0, True),  # unsolicited
        (7, 10.0, False), (7, 20.0, False), (7, 20.1, True),  # 10 s on: a new query
    ]  # fmt: skip
    path = str(tmp_path / "dns.pcap")
    wrpcap(path, [message(ident, at, response) for ident, at, response in timeline])
    title = "Domain Name System"
    mine = layers(ours(path, "-V"), title)
    assert mine == layers(theirs(path, "-V"), title)
    for line in (
        "    [Request In: 3]",
        "    [Retransmitted request. Original request in: 5]",
        "    [Retransmitted response. Original response in: 9]",
        "        [Expert Info (Warning/Protocol): DNS query retransmission. Original request in frame 5]",
        "    [Request In: 13]",
    ):
        assert line in mine, line
    fields = ["-T", "fields", "-e", "frame.number"]
    for name in ("response_to", "time", "retransmission", "retransmit_request_in",
                 "retransmit_response_in", "unsolicited"):  # fmt: skip
        fields += ["-e", f"dns.{name}"]
    assert ours(path, *fields) == theirs(path, *fields)
    for expression in ("dns.retransmission", "dns.response_to == 3", "dns.retransmit_response_in"):
        picked = ["-Y", expression, "-T", "fields", "-e", "frame.number"]
        assert ours(path, *picked) == theirs(path, *picked) != ""


@needs_tool("tshark")
def test_dns_codes_updates_and_record_lines_as_tshark(tmp_path):
    """Every opcode and reply code named (or "Unknown") as tshark names them, the Z bit set;
    an UPDATE's Zone, Prerequisites and Updates (a prerequisite of class NONE); answers listed
    in a query's Info (an mDNS query's known answer); a PTR record's line; bytes past the last
    record as extraneous data — the DNS section of -V and the Info column, as tshark's."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    def udp(payload, back=False, port=1000):
        ends = (B, 53, A, port) if back else (A, port, B, 53)
        return _eth(
            IP(src=ends[0], dst=ends[2]) / UDP(sport=ends[1], dport=ends[3]) / payload, back
        )

    question = DNSQR(qname="a.example")
    frames = []
    for code in range(16):
        frames.append(udp(DNS(id=code, opcode=code, z=code & 1, qd=question), port=2000 + code))
        frames.append(udp(DNS(id=code, qr=1, rcode=code, qd=question), True, 2000 + code))
    ptr = DNSRR(rrname="4.3.2.1.in-addr.arpa", type="PTR", rdata="host.example")
    frames += [
        udp(
            DNS(
                id=40,
                opcode=5,
                qd=DNSQR(qname="example", qtype="SOA"),
                an=DNSRR(rrname="x.example", rclass=254, ttl=0, rdata="0.0.0.0"),
                ns=DNSRR(rrname="y.example", ttl=300, rdata="10.9.0.9"),
            )
        ),  # fmt: skip
        udp(DNS(id=41, qd=question, an=DNSRR(rrname="a.example", rdata="10.9.0.1"))),
        udp(DNS(id=42, qr=1, qd=DNSQR(qname="4.3.2.1.in-addr.arpa", qtype="PTR"), an=ptr), True),
        udp(DNS(id=43, qr=1, qd=question) / Raw(b"\0\1\2"), True),  # three bytes too many
        Ether(src=MAC_A, dst="01:00:5e:00:00:fb")
        / IP(src=A, dst="224.0.0.251", ttl=255)
        / UDP(sport=5353, dport=5353)
        / DNS(
            qd=DNSQR(qname="_http._tcp.local", qtype="PTR"),
            an=DNSRR(rrname="_http._tcp.local", type="PTR", rdata="x._http._tcp.local"),
        ),  # fmt: skip
    ]
    path = str(tmp_path / "dns.pcap")
    wrpcap(path, frames)
    titles = ("Domain Name System", "Multicast Domain Name System")
    mine = layers(ours(path, "-V"), *titles)
    assert mine == layers(theirs(path, "-V"), *titles)
    info = ["-T", "fields", "-e", "_ws.col.Info"]
    assert ours(path, *info) == theirs(path, *info)
    for line in (
        "        .011 0... .... .... = Opcode: DNS Stateful operations (DSO) (6)",
        "        .111 1... .... .... = Opcode: Unknown (15)",
        "        .... .... .... 1011 = Reply code: DSO-Type not implemented (11)",
        "        .... .... .1.. .... = Z: reserved - incorrect!",
        "    Prerequisites: 1",
        "        4.3.2.1.in-addr.arpa: type PTR, class IN, host.example",
        "    Extraneous Data (3 bytes)",
    ):
        assert line in mine, line


@needs_tool("tshark")
def test_igmp_every_version_and_ip_router_alert_as_tshark(tmp_path):
    """IGMP v1, v2 and v3 queries, reports and leaves (a v3 report's every record type, with
    and without sources; a v3 Max Resp Code past 128, as a float), under an IPv4 header whose
    Router Alert, No-Operation and End of List options are each shown: the Protocol and Info
    columns, the IGMP and IPv4 sections of -V, the fields — as tshark's. (The kernel sends such
    reports whenever a socket joins a group: mDNS, SSDP.)"""
    import struct

    from scapy.layers.inet import IPOption_EOL, IPOption_NOP, IPOption_Router_Alert

    from stack.wire.checksum import internet_checksum

    def igmp(*words, fmt, tail=b""):
        body = bytearray(struct.pack(fmt, *words) + tail)
        body[2:4] = internet_checksum(bytes(body)).to_bytes(2, "big")
        return bytes(body)

    def packet(dst, payload, options=None):
        options = [IPOption_Router_Alert()] if options is None else list(options)
        ip = IP(src=A, dst=dst, ttl=1, proto=2, options=options)
        return Ether(src=MAC_A, dst="01:00:5e:00:00:16") / ip / Raw(payload)

    group, sources = bytes([239, 1, 1, 1]), bytes([10, 9, 0, 5, 10, 9, 0, 6])
    v2, v3query = "!BBH4s", "!BBH4sBBH"
    frames = [
        packet("224.0.0.1", igmp(0x11, 100, 0, bytes(4), fmt=v2)),  # v2 general query
        packet("239.1.1.1", igmp(0x11, 10, 0, group, fmt=v2)),  # v2, specific
        packet("224.0.0.1", igmp(0x11, 0, 0, bytes(4), fmt=v2), ()),  # v1 query
        packet("239.1.1.1", igmp(0x16, 0, 0, group, fmt=v2)),  # v2 report
        packet("224.0.0.2", igmp(0x17, 0, 0, group, fmt=v2)),  # leave
        packet("239.1.1.1", igmp(0x12, 0, 0, group, fmt=v2), ()),  # v1 report
        packet("224.0.0.1", igmp(0x11, 0x8C, 0, bytes(4), 0x02, 125, 0, fmt=v3query)),
        packet("239.1.1.1", igmp(0x11, 10, 0, group, 0x0A, 125, 2, fmt=v3query, tail=sources)),
        packet(
            "224.0.0.22",
            igmp(0x22, 0, 0, 0, 1, fmt="!BBHHH", tail=b"\0" * 8),
            (IPOption_NOP(), IPOption_NOP(), IPOption_Router_Alert(), IPOption_EOL()),
        ),
    ]
    for kind in range(1, 8):  # every record type, with no, one and two sources
        for count in range(3):
            record = struct.pack("!BBH4s", kind, 0, count, bytes([239, 1, 1, kind]))
            report = igmp(0x22, 0, 0, 0, 1, fmt="!BBHHH", tail=record + sources[: 4 * count])
            frames.append(packet("224.0.0.22", report))
    path = str(tmp_path / "igmp.pcap")
    wrpcap(path, frames)
    columns = ["-T", "fields", "-e", "_ws.col.Protocol", "-e", "_ws.col.Info"]
    assert ours(path, *columns) == theirs(path, *columns)
    skip = re.compile(r"^\s+\[?Header [Cc]hecksum")  # ours verifies it; tshark's default does not
    titles = ("Internet Protocol Version 4", "Internet Group Management Protocol")
    mine = [x for x in layers(ours(path, "-V"), *titles) if not skip.match(x)]
    assert mine == [x for x in layers(theirs(path, "-V"), *titles) if not skip.match(x)]
    for line in (
        "    Options: (4 bytes), Router Alert",
        "        IP Option - No-Operation (NOP)",
        "    Max Resp Time: 22.4 sec (0x8c)",
        "    Group Record : 239.1.1.6  Block Old Sources",
    ):
        assert line in mine, line
    fields = ["-T", "fields", "-E", "occurrence=a"]
    for name in ("version", "max_resp", "maddr", "saddr", "record_type", "num_src", "s", "qrv"):
        fields += ["-e", f"igmp.{name}"]
    assert ours(path, *fields, "-e", "ip.opt.ra") == theirs(path, *fields, "-e", "ip.opt.ra")


@needs_tool("tshark")
def test_cooked_headers_of_tunnels_and_other_devices_as_tshark(tmp_path):
    """`tcpdump -i any` on a host with tunnels: a 4-byte link-layer address read as the IPv4
    address it is (with the unused rest), every device type named as tshark names it (unknown
    ones too), and a GRE tunnel's protocol read from GRE's table (sll.gretype, no ethertype in
    the frame's protocols) — the cooked section, frame.protocols, fields and filters."""
    import struct

    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6

    ip = bytes(IP(src=A, dst=B) / ICMP())
    ip6 = bytes(IPv6(src="fe80::1", dst="fe80::2") / ICMPv6EchoRequest())
    frames = []
    for hatype in (1, 512, 768, 769, 772, 776, 778, 823, 65534, 65535, 999):
        frames.append(
            struct.pack("!HHH8sH", 0, hatype, 4, bytes([10, 9, 0, 1, 0, 0, 0, 0]), 0x0800) + ip
        )
    frames.append(struct.pack("!HHH8sH", 4, 778, 4, bytes([10, 9, 0, 2, 0, 0, 0, 0]), 0x86DD) + ip6)
    path = tmp_path / "any.pcap"
    with open(path, "wb") as out:  # link type 113: Linux cooked capture v1
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113))
        for second, frame in enumerate(frames):
            out.write(struct.pack("<IIII", second, 0, len(frame), len(frame)) + frame)
    path = str(path)
    mine = layers(ours(path, "-V"), "Linux cooked")
    assert mine == layers(theirs(path, "-V"), "Linux cooked")
    for line in (
        "    Source: 10.9.0.1",
        "    Unused: 00000000",
        "    Link-layer address type: GRE over IP (778)",
        "    Link-layer address type: Unknown (999)",
        "    Protocol: IPv6 (0x86dd)",
    ):
        assert line in mine, line
    fields = ["-T", "fields", "-e", "frame.protocols", "-e", "sll.src.ipv4", "-e", "sll.etype"]
    fields += ["-e", "sll.gretype", "-e", "sll.hatype"]
    assert ours(path, *fields) == theirs(path, *fields)
    for expression in ("sll.gretype == 0x86dd", "sll.etype == 0x0800", "sll.src.ipv4 == 10.9.0.2"):
        picked = ["-Y", expression, "-T", "fields", "-e", "frame.number"]
        assert ours(path, *picked) == theirs(path, *picked) != ""


@needs_tool("tshark")
def test_a_duplicate_address_detections_nonce_as_tshark(tmp_path):
    """Linux puts a Nonce option (RFC 3971, used by RFC 7527) on the neighbour solicitation of
    its duplicate address detection: named and shown as tshark shows it."""
    from scapy.layers.inet6 import ICMPv6ND_NS, ICMPv6NDOptUnknown, IPv6

    frame = (
        Ether(src=MAC_A, dst="33:33:ff:00:00:02")
        / IPv6(src="::", dst="ff02::1:ff00:2", hlim=255)
        / ICMPv6ND_NS(tgt="fe80::2")
        / ICMPv6NDOptUnknown(type=14, len=1, data=bytes.fromhex("f87703009c01"))
    )
    path = str(tmp_path / "dad.pcap")
    wrpcap(path, [frame])
    skip = re.compile(r"^\s+\[?Checksum")
    mine = [x for x in layers(ours(path, "-V"), "Internet Control") if not skip.match(x)]
    assert mine == [x for x in layers(theirs(path, "-V"), "Internet Control") if not skip.match(x)]
    assert "        Nonce: f87703009c01" in mine
    fields = ["-T", "fields", "-e", "icmpv6.opt.nonce"]
    assert ours(path, *fields) == theirs(path, *fields) == "f87703009c01\n"
