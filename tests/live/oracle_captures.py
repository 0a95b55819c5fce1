"""Captures made by real tools in two network namespaces joined by a veth pair: the corpus on
which `workbench dissect` is compared with tshark (tests/live/test_tshark_oracle.py and
benchmarks/tshark_agreement.py).

`make_corpus(client, server, out)` takes two namespaces (tests.live.conftest.Namespace or
anything with `name`, `run(*argv)` and `ip(*args)`), joins them, and writes one capture per
story into `out`: curl against `python3 -m http.server` with TSO on (the sender's tcpdump sees
frames far over 1,514 bytes), on port 80 and on 18080, where tshark's HTTP heuristic takes the
conversation (GET, and POST of a form and of JSON), dig against dnsmasq over UDP and TCP, busybox udhcpc against
dnsmasq, `ping -s 4000` (fragments both ways), a TCP transfer under loss and reordering (the
kernel's own HTB + random-cBPF impairment from conftest), IPv6 neighbour discovery and ping6,
`tcpdump -i any` (SLL2, and SLL with -y LINUX_SLL), and editcap's pcapng and nanosecond
rewrites of a capture. Every process started here is stopped by its PID before returning.
Only the two namespaces are touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

SERVER, CLIENT = "192.168.77.1", "192.168.77.2"
SERVER6, CLIENT6 = "fd77::1", "fd77::2"
NAME = "www.oracle.test"


class _Procs:
    """Background processes in the namespaces, stopped by PID (never by name)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, ns, *argv: str, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **kw,
        )
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop_all(self) -> None:
        for proc in self.procs:
            self.stop(proc, signal.SIGKILL)


class Capture:
    """tcpdump in a namespace, writing `path`; ready when it says it is listening."""

    def __init__(self, procs: _Procs, ns, path: Path, *args: str) -> None:
        self.procs, self.path = procs, path
        # -B: a 32 MB buffer, so a busy machine's bursts are not lost before tcpdump reads them;
        # immediate mode, so nothing waits in a half-filled TPACKET_V3 block when it is stopped
        self.proc = procs.start(
            ns,
            "tcpdump",
            "--immediate-mode",
            "-U",
            "-B",
            "32768",
            "-s",
            "0",
            "-w",
            str(path),
            *args,
        )
        said = ""
        for _ in range(3):  # `-i any` first names its link type, then says it listens
            line = self.proc.stderr.readline().decode(errors="replace")
            said += line
            if "listening" in line or not line:
                break
        if "listening" not in said:
            raise AssertionError(f"tcpdump did not start: {said}")

    def stop(self) -> Path:
        time.sleep(0.5)  # the last frames reach the file (-U writes per packet)
        self.procs.stop(self.proc, signal.SIGINT)
        return self.path


def _wait_port(ns, port: int, host: str = SERVER, tries: int = 50) -> None:
    for _ in range(tries):
        got = ns.run(
            "python3", "-c", f"import socket; socket.create_connection(('{host}', {port}), 0.2)"
        )
        if got.returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {host}:{port}")


def join(client, server, ipv6: bool = False) -> None:
    """A veth pair c0 (client) ↔ s0 (server), 192.168.77.0/24 and fd77::/64 when `ipv6`."""
    client.ip("link", "add", "c0", "type", "veth", "peer", "name", "s0")
    client.ip("link", "set", "s0", "netns", server.name)
    client.ip("addr", "add", f"{CLIENT}/24", "dev", "c0")
    server.ip("addr", "add", f"{SERVER}/24", "dev", "s0")
    for ns, dev in ((client, "c0"), (server, "s0")):
        ns.ip("link", "set", dev, "up")


def make_corpus(client, server, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    procs = _Procs()
    made: dict[str, Path] = {}
    try:
        join(client, server)
        made.update(_http(procs, client, server, out))
        made.update(_dns(procs, client, server, out))
        made.update(_dhcp(procs, client, server, out))
        made.update(_ping(procs, client, server, out))
        made.update(_any(procs, client, server, out))
        made.update(_loss(procs, client, server, out))
        made.update(_ipv6(procs, client, server, out))
        made.update(_editcap(made["dns"], out))
    finally:
        procs.stop_all()
    return made


def _http(procs, client, server, out):
    site = out / "site"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text("<html><body><h1>oracle</h1></body></html>\n")
    (site / "big.bin").write_bytes(bytes(range(256)) * 1200)  # 300 KB: TSO frames of 64 KB
    server.run("ethtool", "-K", "s0", "tso", "on", "gso", "on")
    web = procs.start(
        server, "python3", "-m", "http.server", "80", "--bind", SERVER, "--directory", str(site)
    )
    # a port no HTTP dissector is bound at: tshark's heuristic takes the conversation
    other = procs.start(
        server, "python3", "-m", "http.server", "18080", "--bind", SERVER, "--directory", str(site)
    )
    # HTTP/1.1 with keep-alive: two requests on one connection, paired one after the other
    kept = procs.start(
        server,
        "python3",
        "-m",
        "http.server",
        "8080",
        "--bind",
        SERVER,
        "--directory",
        str(site),
        "--protocol",
        "HTTP/1.1",
    )
    _wait_port(client, 80)
    _wait_port(client, 18080)
    _wait_port(client, 8080)
    cap = Capture(procs, server, out / "http_tso.pcap", "-i", "s0")
    curl = ("curl", "-s", "-o", "/dev/null", "--max-time", "20")
    for path in ("/", "/index.html", "/big.bin", "/missing"):
        client.run(*curl, f"http://{SERVER}{path}")
    for path in ("/index.html", "/big.bin"):
        client.run(*curl, f"http://{SERVER}:18080{path}")
    for kind, body in (
        ("application/x-www-form-urlencoded", "a=1&b=2"),
        ("application/json", "{}"),
    ):
        client.run(*curl, "-H", f"Content-Type: {kind}", "-d", body, f"http://{SERVER}:18080/")
    client.run(
        *curl, "-o", "/dev/null", f"http://{SERVER}:8080/index.html", f"http://{SERVER}:8080/"
    )
    path = cap.stop()
    procs.stop(web)
    procs.stop(other)
    procs.stop(kept)
    return {"http_tso": path}


def _dnsmasq(procs, server, *extra: str):
    lease = Path(f"/tmp/oracle-{server.name}.leases")
    lease.unlink(missing_ok=True)
    return procs.start(
        server,
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--bind-interfaces",
        "--interface=s0",
        "--no-resolv",
        "--no-hosts",
        "--no-ping",
        "--pid-file=",
        f"--dhcp-leasefile={lease}",
        f"--host-record={NAME},192.168.77.80",
        "--mx-host=oracle.test,mail.oracle.test,10",
        *extra,
    )


def _dns(procs, client, server, out):
    # 24 TXT records of 200 bytes: over TCP an answer of ~5 KB, in four segments once the
    # server's NIC no longer hands the kernel's 64 KB segments to the wire whole (TSO off)
    texts = [f"--txt-record=big.oracle.test,{n:02d}{'t' * 198}" for n in range(24)]
    daemon = _dnsmasq(procs, server, *texts)
    # the same server on port 5353 too: tshark reads UDP there as mDNS (its "QM" questions,
    # its class bits), TCP as DNS
    mdns_port = _dnsmasq(procs, server, "--port=5353")
    server.run("ethtool", "-K", "s0", "tso", "off", "gso", "off")
    time.sleep(0.5)
    cap = Capture(procs, client, out / "dns.pcap", "-i", "c0")
    for args in (
        (NAME, "A"),
        (NAME, "AAAA"),
        ("nosuch.oracle.test", "A"),
        ("oracle.test", "MX"),
        (NAME, "A", "+tcp"),
        ("oracle.test", "MX", "+tcp"),
        ("big.oracle.test", "TXT", "+tcp"),
        (NAME, "A", "-p", "5353", "+subnet=192.168.1.0/24", "+nsid"),
        (NAME, "A", "-p", "5353", "+tcp", "+keepalive", "+padding=128"),
    ):
        client.run("dig", f"@{SERVER}", "+tries=1", "+time=2", *args)
    path = cap.stop()
    procs.stop(mdns_port)
    procs.stop(daemon)
    server.run("ethtool", "-K", "s0", "tso", "on", "gso", "on")
    return {"dns": path}


def _dhcp(procs, client, server, out):
    daemon = _dnsmasq(procs, server, "--dhcp-range=192.168.77.100,192.168.77.150,255.255.255.0,1h")
    time.sleep(0.5)
    script = out / "udhcpc.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    cap = Capture(procs, client, out / "dhcp.pcap", "-i", "c0")
    got = client.run(
        "busybox",
        "udhcpc",
        "-i",
        "c0",
        "-f",
        "-q",
        "-n",
        "-t",
        "5",
        "-T",
        "1",
        "-s",
        str(script),
        timeout=30,
    )
    if "obtained" not in got.stdout + got.stderr:
        raise AssertionError(f"udhcpc got no lease: {got.stdout} {got.stderr}")
    path = cap.stop()
    procs.stop(daemon)
    return {"dhcp": path}


def _ping(procs, client, server, out):
    cap = Capture(procs, client, out / "ping_4000.pcap", "-i", "c0")
    client.run("ping", "-c", "3", "-i", "0.2", "-s", "4000", SERVER)
    client.run("ping", "-c", "2", "-i", "0.2", SERVER)
    return {"ping_4000": cap.stop()}


def _any(procs, client, server, out):
    made = {}
    daemon = _dnsmasq(procs, server)
    time.sleep(0.5)
    for name, extra in (("any_sll2", ()), ("any_sll", ("-y", "LINUX_SLL"))):
        cap = Capture(procs, client, out / f"{name}.pcap", "-i", "any", *extra)
        client.run("ping", "-c", "2", "-i", "0.2", SERVER)
        client.run("dig", f"@{SERVER}", "+tries=1", NAME)
        client.run(
            "curl", "-s", "-o", "/dev/null", "--max-time", "5", f"http://{SERVER}:81/"
        )  # refused: RST
        made[name] = cap.stop()
    procs.stop(daemon)
    return made


def _loss(procs, client, server, out):
    from tests.live.conftest import impair_kernel_egress

    site = out / "site"
    (site / "bulk.bin").write_bytes(os.urandom(1 << 21))  # 2 MB
    server.run("ethtool", "-K", "s0", "tso", "off", "gso", "off")  # MSS-sized segments to lose
    impair_kernel_egress(server, "s0")
    web = procs.start(
        server, "python3", "-m", "http.server", "80", "--bind", SERVER, "--directory", str(site)
    )
    _wait_port(client, 80)
    cap = Capture(procs, client, out / "tcp_loss.pcap", "-i", "c0")
    # A reader slower than the link: the receive window fills and opens again, too
    got = client.run(
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "--limit-rate",
        "4M",
        "-w",
        "%{size_download}",
        "--max-time",
        "60",
        f"http://{SERVER}/bulk.bin",
        timeout=90,
    )
    if got.stdout.strip() != str(1 << 21):
        raise AssertionError(f"the transfer under loss did not complete: {got.stdout} {got.stderr}")
    path = cap.stop()
    procs.stop(web)
    server.run("tc", "qdisc", "del", "dev", "s0", "root")
    server.ip("link", "set", "dev", "s0", "gso_max_segs", "65535")
    return {"tcp_loss": path}


def _ipv6(procs, client, server, out):
    for ns, dev, address in ((client, "c0", CLIENT6), (server, "s0", SERVER6)):
        for key in ("all", "default", dev):
            ns.run("sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=0")
        ns.ip("addr", "add", f"{address}/64", "dev", dev, "nodad")
    time.sleep(0.5)
    cap = Capture(procs, client, out / "ipv6_nd.pcap", "-i", "c0", "ip6")
    client.run("ip", "-6", "neigh", "flush", "dev", "c0")
    client.run("ping", "-6", "-c", "3", "-i", "0.2", SERVER6)
    client.run("ping", "-6", "-c", "2", "-i", "0.2", "-s", "3000", SERVER6)
    return {"ipv6_nd": cap.stop()}


def _editcap(source: Path, out: Path):
    made = {}
    for name, fmt in (("dns_pcapng", "pcapng"), ("dns_nsec", "nsecpcap")):
        path = out / f"{name}.{'pcapng' if fmt == 'pcapng' else 'pcap'}"
        args = ["editcap", "-F", fmt]
        if fmt == "pcapng":
            args += ["-a", "1:first query, as a packet comment"]
        subprocess.run([*args, str(source), str(path)], check=True, capture_output=True, timeout=30)
        made[name] = path
    return made
