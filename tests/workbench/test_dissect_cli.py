"""`workbench dissect FILE` against tshark's reading of the same capture.

The capture comes from `workbench run --do "pc: ping 192.168.1.1 -c 1" --pcap X` (and one
with DNS, TCP, HTTP and DHCP written by our pcapng writer). Columns that need no state across
frames must agree with `tshark -n -r`: number, time, addresses, protocol, length, and the Info
text of ARP, DNS and ICMP (tshark adds "seq=1/256" and "(request in 3)", which need context).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys

import pytest

from stack.clock import VirtualClock
from stack.trace import Trace
from stack.writers.pcap import PcapngWriter
from tests.conftest import needs_tool
from tests.workbench.story_frames import DHCP_DISCOVER, DNS_ANSWER, DNS_QUERY, GET, STORY, SYN
from workbench.dissect_cli import main as dissect_main

TSHARK = shutil.which("tshark")
needs_tshark = needs_tool("tshark")
LINE = re.compile(r"^\s*(\d+)\s+(\d+\.\d+)\s+(\S+) → (\S+)\s+(\S+) (\d+) (.*)$")


def workbench(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def tshark(*args: str) -> list[str]:
    out = subprocess.run(
        [TSHARK, *args], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    return out.splitlines()


def rows(lines: list[str]) -> list[tuple]:
    parsed = []
    for line in lines:
        m = LINE.match(line)
        assert m, f"not a packet-list line: {line!r}"
        number, time, src, dst, proto, length, info = m.groups()
        if src == "ff:ff:ff:ff:ff:ff":
            src = "Broadcast"
        if dst == "ff:ff:ff:ff:ff:ff":
            dst = "Broadcast"
        parsed.append((int(number), time, src, dst, proto, int(length), info.strip()))
    return parsed


@pytest.fixture(scope="module")
def ping_pcap(tmp_path_factory):
    path = tmp_path_factory.mktemp("captures") / "ping.pcap"
    done = workbench("run", "-q", "--do", "pc: ping 192.168.1.1 -c 1", "--pcap", str(path))
    assert path.exists(), done.stderr
    return path


@needs_tshark
def test_ping_capture_reads_as_tshark_reads_it(ping_pcap):
    ours = rows(workbench("dissect", str(ping_pcap)).stdout.splitlines())
    theirs = rows(tshark("-r", str(ping_pcap)))
    assert len(ours) == len(theirs) == 4
    for mine, wire in zip(ours, theirs, strict=True):
        assert mine[:6] == wire[:6]
        # Echo (ping) reply id=0x…, seq=1/256, ttl=64 (request in 3): whitespace aside
        assert mine[6].split() == wire[6].split()


@needs_tshark
def test_display_filter_keeps_what_tshark_keeps(ping_pcap):
    for text in ("icmp", "arp", "ip.src == 192.168.1.1", "not icmp", "frame.len > 60"):
        ours = [
            r[0] for r in rows(workbench("dissect", str(ping_pcap), "-Y", text).stdout.splitlines())
        ]
        theirs = [r[0] for r in rows(tshark("-r", str(ping_pcap), "-Y", text))]
        assert ours == theirs, text


def test_verbose_prints_the_field_tree_with_bytes(ping_pcap):
    # -c counts frames read, as tshark's: the first three hold one echo request
    out = workbench("dissect", str(ping_pcap), "-V", "-Y", "icmp", "-c", "3").stdout
    assert out.startswith("Frame 3: 98 bytes on wire (784 bits), 98 bytes captured (784 bits)")
    assert "    Time to Live: 64  [byte 22]\n" in out
    assert "    Source Address: 192.168.1.100  [bytes 26-29]\n" in out
    assert re.search(r"    Header Checksum: 0x[0-9a-f]+ \[correct\]  \[bytes 24-25\]\n", out)
    assert (
        "    010. .... = Flags: 0x2, Don't fragment  [byte 20]\n" in out
        or "    000. .... = Flags: 0x0  [byte 20]\n" in out
    )
    assert "Frame 4" not in out  # -c 1
    assert "\nInternet Protocol Version 4, Src: 192.168.1.100, Dst: 192.168.1.1  [" in out
    assert "\nInternet Control Message Protocol  [" in out
    assert "    Type: 8 (Echo (ping) request)  [byte 34]\n" in out
    assert "b'" not in out and 'b"' not in out  # no Python bytes reprs


def test_hex_dump(ping_pcap):
    out = workbench("dissect", str(ping_pcap), "-x", "-c", "1").stdout.splitlines()
    assert out[0].startswith("0000  ff ff ff ff ff ff 00 1b 21 3a 4f 64 08 06 00 01   ")


@needs_tshark
def test_dns_tcp_http_dhcp_in_pcapng(tmp_path):
    frames = [STORY[i] for i in (DNS_QUERY, DNS_ANSWER, SYN, GET, DHCP_DISCOVER)]
    path = tmp_path / "mixed.pcapng"
    with open(path, "wb") as handle:
        writer = PcapngWriter(handle, Trace(VirtualClock()))
        for i, frame in enumerate(frames):
            writer.write(i * 0.25, "lan" if i % 2 else "wan", bytes(frame))
    ours = rows(workbench("dissect", str(path)).stdout.splitlines())
    theirs = rows(tshark("-r", str(path)))
    assert [r[:6] for r in ours] == [r[:6] for r in theirs]
    assert [r[4] for r in ours] == ["DNS", "DNS", "TCP", "HTTP", "DHCP"]
    assert ours[0][6] == theirs[0][6] and ours[1][6] == theirs[1][6]
    assert ours[4][6] == theirs[4][6]
    assert ours[3][6] == theirs[3][6].strip()


def test_unreadable_files_are_one_sentence(tmp_path):
    missing = workbench("dissect", str(tmp_path / "nope.pcap"), check=False)
    assert missing.returncode == 2 and missing.stdout == ""
    assert (
        missing.stderr.strip().endswith("No such file or directory")
        and missing.stderr.count("\n") == 1
    )
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a capture\n")
    wrong = workbench("dissect", str(text), check=False)
    assert wrong.returncode == 2
    assert (
        wrong.stderr
        == f"workbench: {text} is not a pcap or pcapng capture (it starts with 0x68656c6c)\n"
    )
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    assert "is empty" in workbench("dissect", str(empty), check=False).stderr


def test_a_capture_cut_short_prints_what_it_can_then_says_so(ping_pcap, tmp_path):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(ping_pcap.read_bytes()[:-20])
    out, err = io.StringIO(), io.StringIO()
    assert dissect_main(str(cut), out=out, err=err) == 2
    assert len(out.getvalue().splitlines()) == 3
    assert err.getvalue() == f"workbench: {cut} was cut short in the middle of frame 4\n"


def test_a_bad_filter_is_one_sentence(ping_pcap):
    done = workbench("dissect", str(ping_pcap), "-Y", "ip.addr = 1.2.3.4", check=False)
    assert done.returncode == 2
    assert done.stderr == "workbench: bad display filter: use '==' to compare, not '=' (column 9)\n"


def test_fields_without_t_fields_are_refused_as_tshark_refuses_them(ping_pcap):
    """tshark exits with a message when -e comes without -T fields; printing the packet list
    instead would look as if the fields had been asked for and were empty. -E alone it
    ignores, and so do we."""
    done = workbench("dissect", str(ping_pcap), "-e", "ip.src", check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "workbench: -e was given without -T fields, which prints fields\n"
    assert (
        workbench("dissect", str(ping_pcap), "-E", "header=y").stdout
        == workbench("dissect", str(ping_pcap)).stdout
    )
