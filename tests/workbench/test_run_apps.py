"""`workbench run` with the application commands, as a new user would try them: the issue's
'done when' list for DHCP, DNS and HTTP (the seed's "visit www.google.com" walk)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

TSHARK = shutil.which("tshark")
PC_MAC = "00:1b:21:3a:4f:64"


def workbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=120
    )


def tshark(
    pcap, *fields: str, display_filter: str = "", extra: tuple[str, ...] = ()
) -> list[list[str]]:
    if TSHARK is None:
        pytest.fail("tshark is not installed: run scripts/test.sh, which installs it")
    cmd = [
        TSHARK,
        "-r",
        str(pcap),
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        *extra,
        "-T",
        "fields",
        "-E",
        "separator=|",
    ]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


BAD_CHECKSUM = 'ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"'


def in_order(text: str, *needles: str) -> None:
    at = 0
    for needle in needles:
        found = text.find(needle, at)
        assert found >= 0, f"{needle!r} missing (or out of order) after offset {at}"
        at = found + len(needle)


def test_browse_tells_the_whole_story_in_order_and_tshark_reads_it(tmp_path):
    pcap = tmp_path / "b.pcap"
    result = workbench("run", "--do", "pc: browse http://www.google.com/", "--pcap", str(pcap))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    in_order(
        out,
        "pc       DNS query id",  # to the configured server, port 53
        "A www.google.com? asks 8.8.8.8:53 from 192.168.1.100:",
        "pc       who has 192.168.1.1? asks the whole segment on eth0 by broadcast",  # ARP for the gateway
        "pc       ARP cache: 192.168.1.1 is at 50:c7:bf:a1:00:01",
        "dns      DNS server answers 192.168.1.100:",
        "pc       DNS authoritative answer id",
        "www.google.com A 172.194.72.105 (cached for 300 s)",
        # the subnet decision with its arithmetic
        "pc       route to 172.194.72.105: 192.168.1.100 AND 255.255.255.0 = 192.168.1.0, "
        "172.194.72.105 AND 255.255.255.0 = 172.194.72.0: 192.168.1.0 ≠ 172.194.72.0, different subnets "
        "→ send to default gateway 192.168.1.1 on eth0",
        "pc       TCP 192.168.1.100:",  # from an ephemeral port …
        "⇄ 172.194.72.105:80: CLOSED → SYN-SENT",  # … to port 80
        "SYN-SENT → ESTABLISHED",
        "pc       HTTP 192.168.1.100:",
        "→ 172.194.72.105:80: GET / HTTP/1.1",
        "sent as 1 segment (≤ MSS 1,460): it fits the MTU (1,460 + 40 ≤ 1,500), no IP fragmentation",
        "www      HTTP server 172.194.72.105:80 receives from 192.168.1.100:",
        "www      HTTP server 172.194.72.105:80 → 192.168.1.100:",
        "HTTP/1.1 200 OK",
        "pc       HTTP 192.168.1.100:",
        "← 172.194.72.105:80: HTTP/1.1 200 OK",
        "── pc: browse http://www.google.com/",
        "* Resolving www.google.com: DNS query to 8.8.8.8, UDP port 53",
        "* route to 8.8.8.8: 192.168.1.100 AND 255.255.255.0 = 192.168.1.0, 8.8.8.8 AND 255.255.255.0 = 8.8.8.0",
        "* ARP cache has no 192.168.1.1: ARP asks the segment on eth0 by broadcast",
        "* www.google.com is 172.194.72.105 (answered by 8.8.8.8, TTL 300 s)",
        "* route to 172.194.72.105:",
        "* ARP cache: 192.168.1.1 is at 50:c7:bf:a1:00:01, no ARP request needed (learned for the DNS query)",
        "* Connected to www.google.com (172.194.72.105) port 80 from 192.168.1.100:",
        "> GET / HTTP/1.1",
        "> Host: www.google.com",
        "< HTTP/1.1 200 OK",
        "<h1>Google</h1>",
    )
    assert "cut into" not in out  # nothing was fragmented
    assert (
        tshark(
            pcap,
            "frame.number",
            "_ws.col.Info",
            display_filter=f"_ws.malformed || _ws.expert.severity >= error || {BAD_CHECKSUM}",
        )
        == []
    )
    protocols = {p for (p,) in tshark(pcap, "_ws.col.Protocol")}
    assert {"ARP", "DNS", "TCP", "HTTP"} <= protocols
    assert tshark(
        pcap,
        "http.request.method",
        "http.request.uri",
        "http.host",
        display_filter=f"http.request && eth.src == {PC_MAC}",
    ) == [["GET", "/", "www.google.com"]]
    (answer,) = tshark(
        pcap, "dns.a", display_filter=f"dns.flags.response == 1 && eth.dst == {PC_MAC}"
    )
    assert answer == ["172.194.72.105"]


def test_one_segment_is_cut_into_1500_1500_1500_560_and_put_back_together(tmp_path):
    pcap = tmp_path / "one.pcap"
    result = workbench(
        "run", "--do", "pc: browse http://www.google.com/ --one-segment", "--pcap", str(pcap)
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    in_order(
        out,
        "pc       TCP 192.168.1.100:",
        "sends 4,960 bytes as ONE segment of 4,980 bytes",
        "pc       IP packet of 5,000 bytes (id ",
        "is over the MTU of 1,500: cut into 4 fragments of 1,500, 1,500, 1,500, 560 bytes",
        "www      reassembled 4 fragments from 192.168.1.100 (id ",
        "into one IP packet of 5,000 bytes",
        "www      HTTP server 172.194.72.105:80 receives from 192.168.1.100:",
        "GET / HTTP/1.1 (4,960 bytes)",
        "* 4,960-byte request sent as ONE 4,980-byte TCP segment",
        "so IP cuts it into 1,500 + 1,500 + 1,500 + 560 bytes",
        "< HTTP/1.1 200 OK",
    )
    lengths = tshark(
        pcap,
        "ip.len",
        display_filter=f"eth.src == {PC_MAC} && (ip.flags.mf == 1 || ip.frag_offset > 0)",
    )
    assert [int(x) for (x,) in lengths] == [1500, 1500, 1500, 560]
    assert (
        tshark(
            pcap,
            "frame.number",
            display_filter=f"_ws.malformed || _ws.expert.severity >= error || {BAD_CHECKSUM}",
        )
        == []
    )
    (request,) = tshark(
        pcap,
        "tcp.len",
        "http.request.method",
        display_filter=f"http.request && eth.src == {PC_MAC}",
    )
    assert request == [
        "4960",
        "GET",
    ]  # tshark reassembled the fragments into the one 4,980-byte segment


def test_seed_request_by_mss_says_why_nothing_was_fragmented(tmp_path):
    pcap = tmp_path / "seed.pcapng"
    result = workbench(
        "run", "--do", "pc: browse http://www.google.com/ --seed", "--pcap", str(pcap)
    )
    assert result.returncode == 0, result.stderr
    assert (
        "4,960 bytes sent as 4 segments of ≤ MSS 1,460: each fits the MTU (1,460 + 40 ≤ 1,500), no IP fragmentation"
        in result.stdout
    )
    assert (
        "* 4,960-byte request sent as 4 TCP segments of ≤ MSS 1,460: each fits the MTU of 1,500, no IP fragmentation"
        in result.stdout
    )
    assert "cut into" not in result.stdout
    lan = tshark(
        pcap,
        "tcp.len",
        display_filter=f'frame.interface_name == "lan" && eth.src == {PC_MAC} && tcp.len > 0',
    )
    assert [int(x) for (x,) in lan] == [1460, 1460, 1460, 580]
    assert tshark(pcap, "frame.number", display_filter=BAD_CHECKSUM) == []
    # One capture holds every segment, so tshark sees each TCP segment again at every hop and
    # flags the copies that come after the request is complete; on the LAN alone all is clean.
    assert (
        tshark(
            pcap,
            "frame.number",
            display_filter='frame.interface_name == "lan" && (_ws.malformed || _ws.expert.severity >= error)',
        )
        == []
    )


def test_dhcp_lab_shows_the_four_messages_and_the_four_settings(tmp_path):
    pcap = tmp_path / "d.pcap"
    result = workbench(
        "run", "--lab", "dhcp", "--do", "pc: dhcp", "--do", "pc: ifconfig", "--pcap", str(pcap)
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    in_order(
        out,
        "pc       DHCP client sends DISCOVER",
        "0.0.0.0:68 → 255.255.255.255:67: from MAC 00:1b:21:3a:4f:64 to ff:ff:ff:ff:ff:ff",
        "DHCP server: pings 192.168.1.100 before offering it",
        "DHCP server: nobody answered a ping for 192.168.1.100 within 0.5 s: it is free",
        "gw-a     DHCP server sends OFFER",
        "pc       DHCP client sends REQUEST",
        "gw-a     DHCP server sends ACK",
        "pc       installs on eth0: address 192.168.1.100, mask 255.255.255.0, gateway 192.168.1.1, DNS 8.8.8.8",
        "── pc: dhcp",
        "DHCPDISCOVER on eth0 to 255.255.255.255 port 67",
        "DHCPOFFER of 192.168.1.100 from 192.168.1.1",
        "DHCPREQUEST for 192.168.1.100 on eth0 to 255.255.255.255 port 67",
        "DHCPACK of 192.168.1.100 from 192.168.1.1",
        "── pc: ifconfig",
        "inet 192.168.1.100  netmask 255.255.255.0",
        "gateway 192.168.1.1",
        "dns 8.8.8.8",
    )
    rows = tshark(
        pcap,
        "eth.src",
        "eth.dst",
        "ip.src",
        "ip.dst",
        "udp.srcport",
        "udp.dstport",
        "dhcp.option.dhcp",
    )
    assert rows[0] == [PC_MAC, "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", "68", "67", "1"]
    assert [r[-1] for r in rows if r[-1]] == ["1", "2", "3", "5"]  # DISCOVER, OFFER, REQUEST, ACK
    assert (
        tshark(
            pcap,
            "frame.number",
            display_filter=f"_ws.malformed || _ws.expert.severity >= error || {BAD_CHECKSUM}",
        )
        == []
    )


def test_resolve_cname_nxdomain_and_the_cache():
    result = workbench(
        "run",
        "--do",
        "pc: resolve mail.google.com",
        "--do",
        "pc: resolve mail.google.com",
        "--do",
        "pc: resolve nosuch.google.com",
        "-q",
    )
    assert result.returncode == 1  # the NXDOMAIN one failed
    in_order(
        result.stdout,
        "── pc: resolve mail.google.com",
        "status: NOERROR",
        "mail.google.com.\t\t300\tIN\tCNAME\twww.google.com.",
        "www.google.com.\t\t300\tIN\tA\t172.194.72.105",
        ";; SERVER: 8.8.8.8#53(8.8.8.8) (UDP)",
        "── pc: resolve mail.google.com",
        ";; from the host's cache (first answered by 8.8.8.8); no query sent",
        "── pc: resolve nosuch.google.com",
        "status: NXDOMAIN",
        "google.com.\t\t300\tIN\tSOA",
    )


def test_names_for_ping_and_friends():
    result = workbench(
        "run",
        "-q",
        "--do",
        "pc: ping www.google.com -c 1",
        "--do",
        "pc: tcp connect www.google.com:80",
        "--do",
        "pc: sockets",
        "--do",
        "pc: ping nosuch.google.com",
    )
    assert result.returncode == 1
    in_order(
        result.stdout,
        "PING www.google.com (172.194.72.105) 56(84) bytes of data.",
        "64 bytes from 172.194.72.105: icmp_seq=1",
        "--- www.google.com ping statistics ---",
        "Connection to www.google.com (172.194.72.105) 80 port [tcp/http] succeeded!",
        "closed again: FIN sent and answered",
        "── pc: sockets",
        "tcp    TIME-WAIT",
        "192.168.1.100:",
        "172.194.72.105:80",
        "ping: nosuch.google.com: Name or service not known",
    )


def test_udp_send_and_tcp_connect_to_closed_ports():
    refused = workbench("run", "-q", "--do", "pc: udp send 172.194.72.105:9 hello")
    assert refused.returncode == 1
    assert "udp send: 172.194.72.105:9 (udp): Connection refused" in refused.stdout
    quiet = workbench("run", "-q", "--do", "pc: udp send dns:53 hello")
    assert quiet.returncode == 0 and "no answer within 2 s" in quiet.stdout
    closed = workbench("run", "-q", "--do", "pc: tcp connect www:81")
    assert closed.returncode == 1 and "port 81 (tcp) failed: Connection refused" in closed.stdout


def test_keep_alive_and_chunked_from_the_command_line():
    result = workbench(
        "run",
        "-q",
        "--do",
        "pc: browse http://www.google.com/ http://www.google.com/doodles http://www.google.com/nope",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("*   Trying 172.194.72.105:80...") == 1
    assert out.count("* Re-using existing connection #0 with host www.google.com (keep-alive)") == 2
    in_order(
        out,
        "< Transfer-Encoding: chunked",
        "* (chunked body:",
        "chunked transfer coding",
        "< HTTP/1.1 404 Not Found",
    )


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("pc: browse https://www.google.com/", "only http:// is spoken here"),
        ("pc: browse", "give a URL"),
        ("pc: resolve", "takes one name"),
        ("pc: resolve www.google.com -t BOGUS", "unknown record type 'BOGUS'"),
        ("pc: udp send 1.2.3.4 hi", "should be TARGET:PORT"),
        ("pc: tcp connect www:99999", "is not a number from 1 to 65535"),
        # non-ASCII digits pass str.isdigit() and then break int(): each was a traceback
        ("pc: tcp connect 8.8.8.8:8₁0", "port '8₁0' is not a number from 1 to 65535"),
        ("pc: browse http://www:8²/", "port '8²' is not a number from 1 to 65535"),
        ("pc: tcp connect www:0", "port '0' is not a number from 1 to 65535"),
        ("pc: dhcp eth7", "has no interface 'eth7'"),
        ("pc: ping -c 2 bad..name", "is not a host name"),
    ],
)
def test_bad_input_is_one_sentence(command, message):
    result = workbench("run", "--do", command)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
