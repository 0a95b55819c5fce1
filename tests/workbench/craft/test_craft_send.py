"""Crafted frames sent headless, as a new user would: `workbench run --do "pc3: send …"`, each
frame's effect told host by host, tshark reading the capture the run wrote."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.http import HTTP, HTTPRequest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from stack.clock import VirtualClock
from stack.labs import build_network, load_lab
from stack.trace import Trace
from workbench.craft.expression import from_packet, parse, render
from workbench.craft.fill import plan_from_host
from workbench.craft.templates import BY_KEY, TEMPLATES, lab_for
from workbench.dissect.capture import read_capture

TSHARK = shutil.which("tshark")
PC_MAC, PC3_MAC, GW_MAC = "00:1b:21:3a:4f:64", "00:1c:b3:77:20:66", "50:c7:bf:a1:00:01"
GRATUITOUS = 'Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(op=2, psrc="192.168.1.1", hwdst="ff:ff:ff:ff:ff:ff", pdst="192.168.1.1")'


def workbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=180
    )


def tshark(pcap, *fields: str, display_filter: str = "") -> list[list[str]]:
    if TSHARK is None:
        pytest.fail("tshark is not installed: run scripts/test.sh, which installs it")
    cmd = [TSHARK, "-r", str(pcap), "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def test_a_gratuitous_arp_reply_from_pc3_claiming_the_gateway_poisons_pcs_cache(tmp_path):
    pcap = tmp_path / "poison.pcap"
    result = workbench(
        "run",
        "--pcap",
        str(pcap),
        "--do",
        "pc: ping 192.168.1.1 -c 1",
        "--do",
        f"pc3: send {GRATUITOUS}",
        "--do",
        "pc: arp",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # The trace and the send's own story say what the frame did at each host.
    assert f"pc       ARP cache: 192.168.1.1 CHANGED {GW_MAC} → {PC3_MAC}" in out
    assert (
        "pc2      ignores ARP from 192.168.1.1: a gratuitous announcement that 192.168.1.1 is at"
        in out
    )
    assert "gw-a     ignores ARP from 192.168.1.1: an unsolicited reply" in out
    assert "1 of 1 frame sent by pc3" in out
    arp = out[out.index("── pc: arp") :]
    assert f"192.168.1.1      {PC3_MAC}" in arp and f"(was {GW_MAC})" in arp
    rows = tshark(
        pcap,
        "eth.src",
        "eth.dst",
        "arp.opcode",
        "arp.src.proto_ipv4",
        "arp.dst.proto_ipv4",
        "arp.isgratuitous",
        display_filter=f"eth.src == {PC3_MAC}",
    )
    assert rows == [[PC3_MAC, "ff:ff:ff:ff:ff:ff", "2", "192.168.1.1", "192.168.1.1", "1"]]


def test_a_crafted_syn_to_a_closed_port_gets_a_rst_shown_and_explained(tmp_path):
    pcap = tmp_path / "syn.pcap"
    result = workbench(
        "run",
        "--pcap",
        str(pcap),
        "--do",
        'pc3: send IP(dst="192.168.1.100")/TCP(sport=4242, dport=81, flags="S", seq=1000)',
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "pc       TCP 192.168.1.100:81 sends RST to 192.168.1.102:4242: nothing listens on port 81"
        in out
    )
    assert "pc3 got back #" in out and "[RST, ACK]" in out
    rows = tshark(
        pcap, "ip.src", "tcp.srcport", "tcp.flags.str", "tcp.ack_raw", display_filter="tcp"
    )
    assert [r[:3] for r in rows] == [
        ["192.168.1.102", "4242", "··········S·"],
        ["192.168.1.100", "81", "·······A·R··"],
    ]
    assert rows[1][3] == "1001"  # RFC 9293: the RST acknowledges the SYN


def test_a_captured_dns_query_edited_and_resent_gets_an_answer_for_the_new_name(tmp_path):
    pcap = tmp_path / "dns.pcap"
    assert (
        workbench(
            "run",
            "-q",
            "--pcap",
            str(pcap),
            "--capture-on",
            "lan",
            "--do",
            "pc: resolve www.google.com",
        ).returncode
        == 0
    )
    query = next(
        r
        for r in read_capture(str(pcap))
        if b"\x03www\x06google" in r.data and r.data[:6] == bytes.fromhex(GW_MAC.replace(":", ""))
    )
    text = render(from_packet(Ether(query.data)))
    assert 'qname="www.google.com."' in text
    edited = text.replace("www.google.com.", "mail.google.com.")
    result = workbench("run", "--do", f"pc: send {edited}")
    assert result.returncode == 0, result.stderr
    answer = [line for line in result.stdout.splitlines() if line.startswith("pc got back #")]
    assert any(
        "Standard query response" in line
        and "mail.google.com CNAME www.google.com A 172.194.72.105" in line
        for line in answer
    ), result.stdout


def _lab():
    clock = VirtualClock()
    return build_network(load_lab("default"), clock, Trace(clock))


def _scapy_template(key: str):
    """The same frames written with scapy by hand, for pc3 in the default lab."""
    ip = dict(src="192.168.1.102")
    return {
        "arp-request": Ether(dst="ff:ff:ff:ff:ff:ff", src=PC3_MAC)
        / ARP(op=1, hwsrc=PC3_MAC, psrc="192.168.1.102", pdst="192.168.1.1"),
        "arp-reply": Ether(dst=PC_MAC, src=PC3_MAC)
        / ARP(op=2, hwsrc=PC3_MAC, psrc="192.168.1.1", hwdst=PC_MAC, pdst="192.168.1.100"),
        "gratuitous-arp": Ether(dst="ff:ff:ff:ff:ff:ff", src=PC3_MAC)
        / ARP(
            op=2,
            hwsrc=PC3_MAC,
            psrc="192.168.1.102",
            hwdst="ff:ff:ff:ff:ff:ff",
            pdst="192.168.1.102",
        ),
        "icmp-echo": IP(dst="192.168.1.1", **ip)
        / ICMP(type=8, id=1, seq=1)
        / Raw(load=b"workbench"),
        "dhcp-discover": Ether(dst="ff:ff:ff:ff:ff:ff", src=PC3_MAC)
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(op=1, xid=0x12345678, chaddr=bytes.fromhex("001cb3772066"))
        / DHCP(
            options=[
                ("message-type", "discover"),
                ("client_id", b"\x01" + bytes.fromhex("001cb3772066")),
                ("hostname", "pc3"),
                ("param_req_list", [1, 3, 6, 15, 51, 54, 58, 59]),
                "end",
            ]
        ),
        "dns-query": IP(dst="8.8.8.8", **ip)
        / UDP(sport=33333, dport=53)
        / DNS(id=0x1234, rd=1, qd=DNSQR(qname="www.google.com", qtype="A")),
        "tcp-syn": IP(dst="172.194.72.105", **ip) / TCP(sport=40000, dport=80, flags="S", seq=1000),
        "udp": IP(dst="192.168.1.1", **ip) / UDP(sport=40000, dport=7) / Raw(load=b"hello"),
        "http-get": IP(dst="172.194.72.105", **ip)
        / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=1)
        / HTTP()
        / HTTPRequest(Path="/", Host="www.google.com"),
    }[key]


@pytest.mark.parametrize("key", [t.key for t in TEMPLATES if not t.raw])
def test_every_template_crafts_the_bytes_scapy_builds(key):
    net = _lab()
    pc3 = net.hosts["pc3"]
    plan = plan_from_host(pc3, parse(BY_KEY[key].make(lab_for(net, pc3))))
    assert plan.data == bytes(_scapy_template(key))
    assert parse(plan.expression)  # what was sent, written out in full, reads again


def test_the_raw_template_goes_out_as_written(tmp_path):
    net = _lab()
    raw = BY_KEY["raw"].make(lab_for(net, net.hosts["pc3"]))
    pcap = tmp_path / "raw.pcap"
    result = workbench("run", "--pcap", str(pcap), "--do", f"pc3: send --raw {raw}")
    assert result.returncode == 0, result.stderr
    (frame,) = list(read_capture(str(pcap)))
    assert frame.data == bytes.fromhex(raw)
    assert "pc       eth0 accepts #1: addressed to me" in result.stdout
    assert (
        "pc       EtherType 0x88b5 is not one this host speaks" in result.stdout
        or "0x88b5" in result.stdout
    )


def test_a_burst_leaves_at_its_interval_and_a_segment_takes_frames_as_from_a_tap(tmp_path):
    pcap = tmp_path / "burst.pcap"
    frame = 'Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1, hwsrc="02:00:00:00:00:01", psrc="192.168.1.77", pdst="192.168.1.100")'
    result = workbench("run", "--pcap", str(pcap), "--do", f"lan: send {frame} -c 3 -i 0.25")
    assert result.returncode == 0, result.stderr
    assert "3 of 3 frames sent by crafted onto lan" in result.stdout
    times = [
        float(r[0])
        for r in tshark(
            pcap, "frame.time_relative", display_filter="arp.src.proto_ipv4 == 192.168.1.77"
        )
    ]
    assert times == pytest.approx([0.0, 0.25, 0.5])
    # pc answered each request from 192.168.1.77 (a new neighbour on the segment).
    assert (
        len(
            tshark(
                pcap,
                "frame.number",
                display_filter="arp.opcode == 2 && arp.dst.proto_ipv4 == 192.168.1.77",
            )
        )
        == 3
    )


def test_a_capture_replays_at_its_own_pace_or_faster(tmp_path):
    source = tmp_path / "ping.pcap"
    assert (
        workbench(
            "run",
            "-q",
            "--pcap",
            str(source),
            "--capture-on",
            "lan",
            "--do",
            "pc: ping 192.168.1.1 -c 3 -i 0.5",
        ).returncode
        == 0
    )
    original = [
        float(r[0]) for r in tshark(source, "frame.time_relative", display_filter="icmp.type == 8")
    ]
    assert original == pytest.approx([0.0, 0.5, 1.0], abs=0.01)
    for speed, factor in (("1", 1.0), ("2", 0.5)):
        out = tmp_path / f"replayed{speed}.pcap"
        result = workbench(
            "run", "--pcap", str(out), "--do", f"lan: replay {source} --speed {speed}"
        )
        assert result.returncode == 0, result.stderr
        assert f"at {speed}× the captured pace" in result.stdout
        times = [
            float(r[0]) for r in tshark(out, "frame.time_relative", display_filter="icmp.type == 8")
        ]
        assert times == pytest.approx([t * factor for t in original], abs=0.01)
    fast = tmp_path / "fast.pcap"
    assert (
        "back to back"
        in workbench("run", "--pcap", str(fast), "--do", f"lan: replay {source} --speed 0").stdout
    )
    assert {r[0] for r in tshark(fast, "frame.time_relative", display_filter="icmp.type == 8")} == {
        "0.000000000"
    }


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("pc3: send", "send: give an expression"),
        ("pc3: send --raw zz", "--raw takes hexadecimal bytes"),
        ("pc3: send __import__('os').system('id')", "send: attribute access"),
        ("pc3: send TCP(dport=80)", "needs one of them below it"),
        ("pc3: send IP()/TCP()", "IP(dst=…) is needed"),
        ("pc3: send IP(dst='8.8.8.8') -c 0", "-c 0 is outside"),
        (
            'lan: send Ether(dst="ff:ff:ff:ff:ff:ff")/ARP()',
            "onto a segment nothing is filled in: give Ether(src=…), ARP(hwsrc=…), ARP(psrc=…)",
        ),
        ("lan: ping 1.2.3.4", "lan is a segment; only send, replay run on a segment"),
        ("lan: replay /nonexistent.pcap", "cannot read /nonexistent.pcap"),
        ("pc3: send --file /nonexistent.txt", "there is no file /nonexistent.txt"),
        # Python's own SyntaxWarning about `3or` would be a second line (drawn over the app)
        ("pc3: send IP(dst='8.8.8.8', ttl=3or 1)/ICMP()", "and/or cannot be used here"),
    ],
)
def test_bad_sends_are_one_sentence_and_exit_2(command, words):
    result = workbench("run", "--do", command)
    assert result.returncode == 2, result.stdout
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one sentence


def test_a_file_of_expressions_is_sent_in_order(tmp_path):
    path = tmp_path / "frames.txt"
    path.write_text(f'# a poisoning pair\n{GRATUITOUS}\nIP(dst="192.168.1.100")/ICMP()\n')
    result = workbench(
        "run", "--do", "pc: ping 192.168.1.1 -c 1", "--do", f"pc3: send --file {path}"
    )
    assert result.returncode == 0, result.stderr
    assert "2 of 2 frames sent by pc3" in result.stdout
    assert "CHANGED" in result.stdout and "ICMP" in result.stdout


def test_what_a_unicast_frame_did_names_the_host_on_every_line():
    """The NICs a unicast frame is not for are one record on the bus; the send's story still
    gives each its own line with its host, as the text trace does."""
    reply = 'Ether(dst="00:1b:21:3a:4f:64")/ARP(op=2, psrc="192.168.1.1", pdst="192.168.1.100")'
    result = workbench(
        "run", "-q", "--do", "pc: ping 192.168.1.1 -c 1", "--do", f"pc3: send {reply}"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    story = out[out.index("what #5 did:") :].splitlines()[1:]
    story = story[: next(i for i, line in enumerate(story) if not line.startswith("  "))]
    hosts = [line.split()[0] for line in story]
    assert hosts == ["pc", "pc", "pc2", "pc4", "pc5", "gw-a"], story
    assert all("drops #5: not for me" in line for line in story[2:])
