"""`workbench dissect` typed as tshark's users type it, against tshark on the same capture:
`-z` statistics (conversations, endpoints, protocol hierarchy, follow TCP stream), `-T fields`,
`-c` counting frames read, a closed pipe, and the reader's nanosecond stamps, pcapng comments,
Linux cooked link types and a broken simple packet block. The captures are the lab's own
browse story written by `workbench run`, and files editcap rewrites."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys

import pytest

from tests.conftest import needs_tool
from workbench.dissect.capture import CaptureError, read_capture

needs_tshark = needs_tool("tshark")


def workbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=120
    )


def tshark(*args: str) -> str:
    return subprocess.run(
        [shutil.which("tshark") or "tshark", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def browse(tmp_path_factory):
    path = tmp_path_factory.mktemp("cap") / "browse.pcap"
    done = workbench(
        "run",
        "-q",
        "--do",
        "pc: browse http://www.google.com/",
        "--capture-on",
        "lan",
        "--pcap",
        str(path),
    )
    assert path.exists(), done.stderr
    return str(path)


@pytest.fixture(scope="module")
def pings(tmp_path_factory):
    path = tmp_path_factory.mktemp("cap") / "pings.pcap"
    done = workbench(
        "run",
        "-q",
        "--do",
        "pc: ping 172.194.72.105 -c 2 -s 3000",
        "--capture-on",
        "lan",
        "--pcap",
        str(path),
    )
    assert path.exists(), done.stderr
    return str(path)


@needs_tshark
@pytest.mark.parametrize(
    "statistic",
    [
        "conv,tcp",
        "conv,ip",
        "conv,eth",
        "conv,udp",
        "endpoints,ip",
        "endpoints,eth",
        "endpoints,tcp",
        "follow,tcp,ascii,0",
        "follow,tcp,hex,0",
    ],
)
def test_statistics_print_what_tshark_prints(browse, statistic):
    ours = workbench("dissect", browse, "-q", "-z", statistic)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == tshark("-r", browse, "-q", "-z", statistic)


@needs_tshark
def test_several_statistics_come_in_tsharks_order(browse):
    args = ("-q", "-z", "conv,tcp", "-z", "endpoints,ip", "-z", "follow,tcp,ascii,0")
    assert workbench("dissect", browse, *args).stdout == tshark("-r", browse, *args)


@needs_tshark
def test_fields_and_state_across_frames_agree_with_tshark(browse):
    fields = [
        "frame.number",
        "frame.time_relative",
        "frame.time_delta",
        "frame.len",
        "eth.src",
        "eth.type",
        "ip.src",
        "ip.dst",
        "ip.id",
        "ip.ttl",
        "ip.proto",
        "tcp.stream",
        "tcp.seq",
        "tcp.seq_raw",
        "tcp.ack",
        "tcp.len",
        "tcp.nxtseq",
        "tcp.window_size",
        "tcp.window_size_value",
        "tcp.flags",
        "tcp.flags.syn",
        "udp.srcport",
        "dns.id",
        "dns.qry.name",
        "icmp.type",
        "icmp.resp_to",
        "dns.response_to",
        "_ws.col.Protocol",
        "_ws.col.Source",
        "_ws.col.Destination",
        "_ws.col.Info",
    ]
    args = ["-T", "fields", "-E", "separator=|"] + [a for f in fields for a in ("-e", f)]
    ours = workbench("dissect", browse, *args)
    assert ours.returncode == 0, ours.stderr
    theirs = tshark("-r", browse, *args)
    for mine, wire in zip(ours.stdout.splitlines(), theirs.splitlines(), strict=True):
        for name, a, b in zip(fields, mine.split("|"), wire.split("|"), strict=True):
            assert a.split() == b.split(), (name, mine, wire)


@needs_tshark
@pytest.mark.parametrize("statistic", ["conv,ip", "endpoints,ip"])
def test_fragments_count_as_frames_in_statistics(pings, statistic):
    assert workbench("dissect", pings, "-q", "-z", statistic).stdout == tshark(
        "-r", pings, "-q", "-z", statistic
    )


def test_fragments_say_fragmented_ip_protocol(pings):
    ours = workbench(
        "dissect",
        pings,
        "-Y",
        "ip.flags.mf == 1",
        "-T",
        "fields",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "_ws.col.Info",
    )
    lines = ours.stdout.splitlines()
    assert len(lines) == 8  # two requests and two replies, each of three fragments
    assert lines[0].startswith("IPv4\tFragmented IP protocol (proto=ICMP 1, off=0, ID=")
    assert lines[1].startswith("IPv4\tFragmented IP protocol (proto=ICMP 1, off=1480, ID=")


@needs_tshark
def test_a_completed_datagram_dumps_its_reassembled_bytes_as_tshark(pings):
    """-x on the fragment completing a datagram: the frame as captured, then the reassembled
    payload under "Reassembled IPv4", byte for byte tshark's dump; -V points the ICMP lines
    into those bytes."""
    ours = workbench("dissect", pings, "-x").stdout
    assert ours == tshark("-r", pings, "-x")
    assert "Reassembled IPv4 (" in ours
    tree = workbench("dissect", pings, "-V", "-Y", "icmp").stdout
    assert "    Type: 8 (Echo (ping) request)  [Reassembled IPv4 byte 0]\n" in tree


@needs_tshark
def test_a_message_whose_head_spans_segments_is_labelled_as_tshark_labels_it(tmp_path):
    """The seed's 4,960-byte request: tshark's HTTP reads each segment until the head ends, so
    every one of them shows the request line, two spaces and the reassembly note — Info equal
    to tshark's byte for byte, not only word for word."""
    path = tmp_path / "seed.pcap"
    done = workbench(
        "run",
        "-q",
        "--do",
        "pc: browse http://www.google.com/ --seed",
        "--capture-on",
        "lan",
        "--pcap",
        str(path),
    )
    assert done.returncode == 0, done.stderr
    ours = workbench("dissect", str(path), "-T", "fields", "-e", "_ws.col.Info").stdout
    theirs = tshark("-r", str(path), "-T", "fields", "-e", "_ws.col.Info")
    assert ours.splitlines() == theirs.splitlines()
    assert ours.count("GET / HTTP/1.1  [TCP segment of a reassembled PDU]") >= 2
    # the segment completing it: the whole request dissected from its reassembled bytes,
    # which -x dumps after the frame's own as tshark does, and the tree lists its segments
    fields = ("-e", "tcp.segment", "-e", "tcp.segment.count", "-e", "tcp.reassembled.length")
    fields += ("-e", "http.request.uri", "-e", "http.user_agent")
    ours = workbench("dissect", str(path), "-T", "fields", *fields).stdout
    assert ours.splitlines() == tshark("-r", str(path), "-T", "fields", *fields).splitlines()
    assert workbench("dissect", str(path), "-x").stdout == tshark("-r", str(path), "-x")
    tree = workbench("dissect", str(path), "-V", "-Y", "http.request").stdout
    assert "Reassembled TCP Segments (4960 bytes): #" in tree
    assert "        Request URI: /  [Reassembled TCP byte 4]" in tree


def test_count_is_frames_read_before_the_filter(browse):
    got = workbench("dissect", browse, "-c", "4", "-Y", "dns")
    assert [line.split()[0] for line in got.stdout.splitlines()] == ["3", "4"]
    assert workbench("dissect", browse, "-c", "2", "-Y", "tcp").stdout == ""


def test_a_closed_pipe_ends_quietly_with_status_0(browse):
    shell = f"{sys.executable} -m workbench.cli dissect {browse} | head -1; exit ${{PIPESTATUS[0]}}"
    got = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    assert got.returncode == 0 and got.stderr == "", got.stderr
    assert got.stdout.count("\n") == 1


@pytest.mark.parametrize(
    "args, words",
    [
        (("-z", "conv,sctp"), "-z conv,sctp is not a statistic we know"),
        (("-T", "fields", "-e", "ip.nosuch"), "some fields aren't valid: ip.nosuch"),
        (("-T", "fields"), "-T fields needs at least one -e FIELD"),
        (("-Y", 'http.host matches "a(?=b)"'), "the regular expression at column 19 is not valid"),
        # '²'.isdigit() is True but int('²') fails: this was a traceback
        (("-q", "-z", "follow,tcp,ascii,²"), "the stream is a number, as tcp.stream shows it"),
    ],
)
def test_bad_options_are_one_sentence(browse, args, words):
    got = workbench("dissect", browse, *args)
    assert got.returncode == 2 and got.stdout == ""
    assert (
        got.stderr.startswith("workbench: ") and words in got.stderr and got.stderr.count("\n") == 1
    ), got.stderr


def test_mac_vendors_in_the_columns_unless_n(browse):
    assert workbench("dissect", browse, "-c", "1").stdout.split()[2] == "IntelCor_3a:4f:64"
    assert workbench("dissect", browse, "-c", "1", "-n").stdout.split()[2] == "00:1b:21:3a:4f:64"


# --- the reader ------------------------------------------------------------------------------


@needs_tool("editcap")
def test_nanosecond_stamps_are_exact_and_comments_are_read(browse, tmp_path):
    ns = tmp_path / "n.pcapng"
    subprocess.run(
        ["editcap", "-F", "pcapng", "--set-unused", "-a", "2:not for me", browse, str(ns)],
        check=False,
        capture_output=True,
    )
    if not ns.exists():
        subprocess.run(
            ["editcap", "-F", "pcapng", "-a", "2:not for me", browse, str(ns)],
            check=True,
            capture_output=True,
        )
    frames = list(read_capture(str(ns)))
    assert frames[1].comments == ("not for me",) and frames[0].comments == ()
    nsec = tmp_path / "n.pcap"
    subprocess.run(
        ["editcap", "-F", "nsecpcap", browse, str(nsec)], check=True, capture_output=True
    )
    raw = bytearray(nsec.read_bytes())
    struct.pack_into(
        "<I", raw, 24 + 4, 123_456_789
    )  # frame 1: .123456789 s, more than a float keeps of an epoch
    struct.pack_into("<I", raw, 24, 1_700_000_000)
    nsec.write_bytes(bytes(raw))
    first = next(iter(read_capture(str(nsec))))
    assert first.ns == 1_700_000_000_123_456_789
    got = workbench(
        "dissect",
        str(ns),
        "-Y",
        'frame.comment contains "not for me"',
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "frame.comment",
    )
    assert got.stdout == "2\tnot for me\n"


@pytest.mark.parametrize("link_type", [113, 276])
def test_linux_cooked_captures_are_read(tmp_path, link_type):
    path = tmp_path / "sll.pcap"
    sll = (
        struct.pack("!HHH8sH", 4, 1, 6, bytes.fromhex("001b213a4f640000"), 0x0800)
        if link_type == 113
        else struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 4, 6, bytes.fromhex("001b213a4f640000"))
    )
    body = sll + bytes.fromhex("4500001c00010000400100000a0000010a0000020800f7ff00000000")
    path.write_bytes(
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link_type)
        + struct.pack("<IIII", 1, 0, len(body), len(body))
        + body
    )
    (frame,) = read_capture(str(path))
    assert frame.link_type == link_type and frame.data == body


def test_a_simple_packet_block_of_12_bytes_is_one_sentence(tmp_path):
    shb = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
    idb = struct.pack("<IIHHII", 1, 20, 1, 0, 0, 20)
    spb = struct.pack("<III", 3, 12, 12)
    path = tmp_path / "spb.pcapng"
    path.write_bytes(shb + idb + spb)
    with pytest.raises(CaptureError, match="simple packet block of 12 bytes, too short"):
        list(read_capture(str(path)))
    got = workbench("dissect", str(path))
    assert got.returncode == 2 and "Traceback" not in got.stderr and got.stderr.count("\n") == 1


@needs_tshark
def test_a_dns_message_over_several_tcp_segments_is_reassembled_as_tshark_does(tmp_path):
    """A 4 KB answer over TCP in four segments: the first three are "TCP segment of a
    reassembled PDU", the fourth is the whole answer dissected and linked to its query —
    columns, DNS fields and filters equal to tshark's, as they were not when each segment was
    read alone (the first as a 4 KB message cut short, the others as garbage)."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, TCP, Ether
    from scapy.utils import wrpcap

    client, server = ("10.0.0.1", 40000), ("10.0.0.53", 53)

    def segment(src, dst, seq, ack, payload=b"", flags="PA"):
        return (
            Ether(src="02:00:00:00:00:01" if src == client else "02:00:00:00:00:02")
            / IP(src=src[0], dst=dst[0])
            / TCP(sport=src[1], dport=dst[1], seq=seq, ack=ack, flags=flags, window=65535)
            / payload
        )

    query = bytes(DNS(id=0x4242, rd=1, qd=DNSQR(qname="big.example", qtype="TXT")))
    answer = bytes(
        DNS(
            id=0x4242,
            qr=1,
            rd=1,
            ra=1,
            qd=DNSQR(qname="big.example", qtype="TXT"),
            an=[
                DNSRR(rrname="big.example", type="TXT", rdata=[b"%02d" % n + b"t" * 150])
                for n in range(24)
            ],
        )
    )
    asked = len(query).to_bytes(2, "big") + query
    said = len(answer).to_bytes(2, "big") + answer
    frames = [
        segment(client, server, 1000, 0, flags="S"),
        segment(server, client, 5000, 1001, flags="SA"),
        segment(client, server, 1001, 5001, flags="A"),
        segment(client, server, 1001, 5001, asked),
    ]
    seq = 5001
    for start in range(0, len(said), 1200):
        piece = said[start : start + 1200]
        frames.append(segment(server, client, seq, 1001 + len(asked), piece))
        seq += len(piece)
    path = tmp_path / "dns_tcp.pcap"
    wrpcap(str(path), frames)
    assert len(frames) == 8  # three segments before the last

    columns = ("-e", "_ws.col.Protocol", "-e", "_ws.col.Info", "-e", "dns.count.answers")
    columns += ("-e", "dns.response_to", "-e", "dns.qry.name", "-e", "frame.protocols")
    ours = workbench("dissect", str(path), "-T", "fields", *columns)
    theirs = tshark("-r", str(path), "-T", "fields", *columns)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.splitlines() == theirs.splitlines()
    assert ours.stdout.count("[TCP segment of a reassembled PDU]") == 3
    assert "\t24\t4\tbig.example\t" in ours.stdout.splitlines()[-1]
    for display_filter in ("dns", "dns.count.answers > 20", 'dns.qry.name == "big.example"'):
        ours = workbench("dissect", str(path), "-Y", display_filter).stdout.split("\n")
        theirs = tshark("-r", str(path), "-Y", display_filter).split("\n")
        assert [line.split()[0] for line in ours if line] == [
            line.split()[0] for line in theirs if line
        ], display_filter


def test_a_message_too_long_to_keep_is_shown_from_its_head(tmp_path, monkeypatch):
    """A message longer than the bytes kept for one (MAX_KEPT; 4 MB, made 100 here) is not
    dissected whole: its last segment shows the head's fields, no list of segments, and
    nothing kept from its middle takes the head's place."""
    from scapy.layers.inet import IP, TCP, Ether
    from scapy.utils import wrpcap

    from workbench.dissect import messages
    from workbench.dissect.capture import read_capture
    from workbench.dissect.capture_state import CaptureState, frame_for

    monkeypatch.setattr(messages, "MAX_KEPT", 100)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 150\r\n\r\n"
    pieces = [head, b"a" * 100, b"b" * 50]  # the last would fit again on its own
    frames, seq = [], 1
    for piece in pieces:
        frames.append(
            Ether()
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / TCP(sport=80, dport=40000, flags="PA", seq=seq, ack=1)
            / piece
        )
        seq += len(piece)
    path = tmp_path / "long.pcap"
    wrpcap(str(path), frames)
    state = CaptureState()
    notes = [(record, state.step(record)) for record in read_capture(str(path))]
    record, last = notes[-1]
    assert last.message.protocol == "HTTP" and not last.message.pdu
    assert "tcp.segment" not in last.fields
    frame = frame_for(record, last)
    assert frame.has("http") and frame.row().info.startswith("HTTP/1.1 200 OK")
