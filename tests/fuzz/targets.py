"""Every input path a person or a wire can reach, as fuzz targets (one explicit list: TARGETS).

Seeds are real inputs: the frames our labs put on their wires while telling the seed's story
(DNS, ARP, TCP, the 5,000-byte HTTP request in fragments, DHCP), frames of other stacks built
with scapy (IPv6, Linux cooked capture), captures written by our pcap and pcapng writers, the
built-in lab files and the display filters the README and the help suggest. When
`WORKBENCH_FUZZ_CORPUS` names a folder, every pcap/pcapng in it (e.g. tcpdump captures of real
tools) adds its frames to the seeds.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import struct
import tempfile
from ipaddress import IPv4Address
from pathlib import Path

from stack.apps.browse import Browse, parse_url
from stack.apps.dhcp_client import DhcpRun
from stack.apps.ping import Ping
from stack.apps.traceroute import Traceroute
from stack.labs import LabError, build_network, load_lab, read_lab_text
from stack.labs.load import parse_lab
from stack.wire import arp, dhcp, dns, ethernet, http, icmp, ipv4, tcp, udp
from stack.wire.errors import WireError
from tests.conftest import run
from tests.fuzz.harness import Target

WWW = IPv4Address("172.194.72.105")


@functools.cache
def lab_frames() -> tuple[bytes, ...]:
    frames: list[bytes] = []
    net = build_network(load_lab("default"))
    pc = net.host("pc")
    run(net, Browse(pc, [parse_url("http://www.google.com/")], seed=True))
    run(net, Ping(pc, WWW, count=1, size=4000))
    run(net, Traceroute(pc, WWW, max_hops=4))
    frames += [record.data for record in net.trace.frames]
    net = build_network(load_lab("dhcp"))
    run(net, DhcpRun(net.host("pc")))
    frames += [record.data for record in net.trace.frames]
    frames += _foreign_frames()
    frames += _corpus_frames()
    # One of each distinct shape is enough to mutate from; keep the set small and varied.
    seen: dict[tuple[bytes, int], bytes] = {}
    for frame in frames:
        seen.setdefault((frame[12:14] + frame[23:24] + frame[34:38], len(frame) // 200), frame)
    return tuple(seen.values())


def _foreign_frames() -> list[bytes]:
    """Frames our stack never sends but captures hold: IPv6, ICMPv6, cooked, VLAN, oversized."""
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6ND_NS, IPv6
    from scapy.layers.l2 import Dot1Q, Ether

    mac = "00:1b:21:3a:4f:64"
    dst = "50:c7:bf:a1:00:01"
    return [
        bytes(
            Ether(src=mac, dst=dst)
            / IPv6(src="fe80::1", dst="ff02::1:ff00:2")
            / ICMPv6ND_NS(tgt="fe80::2")
        ),
        bytes(
            Ether(src=mac, dst=dst)
            / IPv6(src="2001:db8::1", dst="2001:db8::2")
            / ICMPv6EchoRequest(data=b"x" * 40)
        ),
        bytes(
            Ether(src=mac, dst=dst)
            / Dot1Q(vlan=7)
            / IP(dst="10.0.0.1")
            / UDP(dport=53)
            / DNS(qd=DNSQR(qname="example.com"))
        ),
        bytes(
            Ether(src=mac, dst=dst)
            / IP(dst="10.0.0.1")
            / TCP(dport=80, flags="PA")
            / (b"GET / HTTP/1.1\r\n" + b"a" * 3000)
        ),
    ]


def _corpus_frames() -> list[bytes]:
    folder = os.environ.get("WORKBENCH_FUZZ_CORPUS")
    if not folder:
        return []
    from workbench.dissect.capture import read_capture

    frames: list[bytes] = []
    for path in sorted(Path(folder).glob("*.pcap*")):
        try:
            frames += [record.data for record in read_capture(str(path))]
        except (OSError, ValueError):
            continue
    return frames


# --- the wire codecs ----------------------------------------------------------------------

_CODECS = (
    ethernet.Ethernet.parse,
    arp.ARP.parse,
    ipv4.IPv4.parse,
    icmp.ICMP.parse,
    udp.UDP.parse,
    tcp.TCP.parse,
    dns.DNS.parse,
    dns.DNS.parse_tcp,
    dhcp.DHCP.parse,
    http.parse,
    http.parse_partial,
)


def _layer_seeds() -> list[bytes]:
    """Each frame's payloads at every header boundary, so each codec meets its own bytes."""
    out = []
    for frame in lab_frames():
        for at in (0, 14, 34, 42, 54):
            out.append(frame[at:])
    return out


def wire_codecs(data: bytes) -> None:
    for parse in _CODECS:
        try:
            parse(data)
        except WireError:
            pass  # the one error a codec may raise: it names layer, field and offset


# --- a host's whole receive path ------------------------------------------------------------


@functools.cache
def _warm_net():
    from stack.clock import VirtualClock
    from stack.trace import Trace

    clock = VirtualClock()
    # The trace keeps no events and a bounded window of frames, as a long run does: the lab's
    # own memory stays flat however many inputs go through it.
    net = build_network(load_lab("default"), clock, Trace(clock, keep_events=False))
    run(net, Ping(net.host("pc"), IPv4Address("192.168.1.1"), count=1))  # caches warm
    return net


def receive_path(data: bytes) -> None:
    """The frame enters the lan bus: every host there reads it, the routers may forward it."""
    net = _warm_net()
    net.segments["lan"].inject("fuzz port", data)
    net.clock.run_until(net.clock.now() + 0.05)


# --- the dissector: packet-list row and field tree ---------------------------------------------


def dissector(data: bytes) -> None:
    from workbench.dissect.rows import row_of
    from workbench.dissect.tree import dissect

    row_of(data)
    dissect(data)


# --- the capture readers --------------------------------------------------------------------


@functools.cache
def _capture_seeds() -> tuple[bytes, ...]:
    """The first 40 lab frames as our own writers put them in a pcap and a pcapng (with packet
    comments, microsecond and nanosecond interfaces), the pcapng ending in a simple packet block."""
    import io

    from stack.spill import block, interface, packet, section_header
    from stack.writers.pcap import PcapWriter

    frames = lab_frames()[:40]
    pcap = io.BytesIO()
    writer = PcapWriter(pcap, trace=None)
    for i, frame in enumerate(frames):
        writer.write(i * 0.001, frame)
    pcapng = [section_header(), interface("lan", nanoseconds=False), interface("transit")]
    for i, frame in enumerate(frames):
        pcapng.append(
            packet(
                i % 2,
                i * 1000,
                frame,
                ["pc eth0 sends it", "gw-a eth0 accepts it: addressed to me"],
            )
        )
    pcapng.append(block(3, struct.pack("<I", 60) + frames[0][:60]))  # a Simple Packet Block
    return pcap.getvalue(), b"".join(pcapng)


# In memory when the machine has /dev/shm: opening a file on this disk cost 1.7 ms, over 80%
# of an input's time.
_CAPTURE_FILE = os.path.join(
    "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(), f"wb-fuzz-{os.getpid()}.cap"
)


def _remove_capture_file() -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_CAPTURE_FILE)


atexit.register(_remove_capture_file)  # /dev/shm is memory: leave nothing there


def capture_reader(data: bytes) -> None:
    from workbench.dissect.capture import read_capture

    with open(_CAPTURE_FILE, "wb") as handle:
        handle.write(data)
    for _ in read_capture(_CAPTURE_FILE):
        pass


# --- the lab loader and the display filter (text) --------------------------------------------


def _lab_seeds() -> list[str]:
    return [read_lab_text(name)[0] for name in ("default", "dhcp", "loop")]


def lab_loader(text: str) -> None:
    build_network(parse_lab(text, "fuzz.toml"))


FILTERS = (
    "arp",
    "dns",
    "tcp.port == 80 and not arp",
    "ip.len > 1000",
    "host 192.168.1.1",
    "ip.src == 192.168.1.100 && tcp.flags.syn == 1",
    "udp.dstport in {53 67}",
    "eth.dst == ff:ff:ff:ff:ff:ff",
    'http.request.method == "GET"',
    'dns.qry.name contains "google"',
    "tcp port 80",
    "src port 53",
    "ether host 00:1b:21:3a:4f:64",
    "ip.addr == 172.194.72.0/24",
    "!(icmp or arp) || frame.len >= 60",
    "ip.flags.mf == 1",
    "dhcp",
    'http.request.uri matches "^/a+$"',
)
FILTER_TOKENS = (
    " and ",
    " or ",
    " not ",
    "==",
    "!=",
    ">=",
    "<",
    " contains ",
    " matches ",
    "(",
    ")",
    "{",
    "}",
    "ip.",
    "tcp.",
    ".port",
    '"',
    "0x",
    "ff:",
    "192.168.",
    "/24",
    "[0:3]",
    " & ",
    "frame",
)


def display_filter(text: str) -> None:
    from stack.trace import FrameRecord
    from workbench.dissect.filter import compile_filter

    compiled = compile_filter(text)
    for i, frame in enumerate(lab_frames()[:12]):
        compiled.matches(FrameRecord(i + 1, 0.0, "lan", "pc eth0", frame))


# --- the crafting expression language and the command shell (text) --------------------------

EXPRESSIONS = (
    'Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(op=2, psrc="192.168.1.1", hwsrc="00:1b:21:3a:4f:64")',
    'Ether()/IP(dst="8.8.8.8")/UDP(dport=53)/DNS(rd=1, qd=DNSQR(qname="www.google.com"))',
    'Ether()/IP(dst="172.194.72.105", ttl=3)/TCP(dport=80, flags="S", options=[("MSS", 1460)])',
    'Ether()/IP()/ICMP(type=8, id=0x1234)/"hello"',
    "IP(flags=2, frag=0)/UDP(sport=68, dport=67)/b'\\x01\\x02'",
)
EXPRESSION_TOKENS = (
    "/",
    "(",
    ")",
    "=",
    ",",
    '"',
    "Ether",
    "IP",
    "TCP",
    "DNS",
    "qd=",
    "0x",
    "[",
    "]",
    "-1",
    "__import__",
    ".",
    "lambda x: x",
    "getattr",
    "os.system",
    "*",
    "**",
    "{}",
    "1e999",
)


def craft_expression(text: str) -> None:
    from workbench.craft.expression import build, parse, to_bytes

    to_bytes(build(parse(text)))


COMMANDS = (
    "pc: ping 192.168.1.1 -c 3 -i 0.2",
    "pc: traceroute www.google.com",
    "pc: resolve www.google.com",
    "pc: browse http://www.google.com/ --seed",
    "pc2: dhcp",
    "pc: udp send 8.8.8.8:53 hello",
    "pc: tcp connect 172.194.72.105:80",
    'pc3: send Ether()/ARP(op=2, psrc="192.168.1.1") -c 2 -i 0.1',
    "pc: send --raw ffffffffffff001b213a4f640806",
    "pc: arp",
    "pc: route",
    "pc: ifconfig",
    "pc: sockets",
)
COMMAND_TOKENS = (
    " -c ",
    " -i ",
    " -s ",
    ":",
    " ",
    "192.168.1.",
    "www.google.com",
    "--",
    "=",
    '"',
    "0",
    "-1",
    "99999999999",
)


def command_shell(text: str) -> None:
    from workbench.shell.registry import prepare

    prepare(_shell_net(), text)


@functools.cache
def _shell_net():
    return build_network(load_lab("default"))


def _allowed(module: str, name: str) -> tuple[type[BaseException], ...]:
    import importlib

    return (getattr(importlib.import_module(module), name),)


TARGETS: tuple[Target, ...] = (
    Target("wire", wire_codecs, _layer_seeds),
    Target("receive", receive_path, lab_frames),
    Target("dissect", dissector, lab_frames),
    Target(
        "capture",
        capture_reader,
        _capture_seeds,
        allowed=_allowed("workbench.dissect.capture", "CaptureError"),
    ),
    Target(
        "lab",
        lab_loader,
        _lab_seeds,
        allowed=(LabError,),
        text=True,
        tokens=(
            "[hosts.x]\n",
            "[segments.y]\n",
            " = ",
            '"',
            "192.168.1.",
            "/24",
            "mask",
            "gateway",
            "[[",
            "]]",
            "{",
            "}",
        ),
    ),
    Target(
        "filter",
        display_filter,
        lambda: list(FILTERS),
        allowed=_allowed("workbench.dissect.filter", "FilterError"),
        text=True,
        tokens=FILTER_TOKENS,
    ),
    Target(
        "craft",
        craft_expression,
        lambda: list(EXPRESSIONS),
        allowed=_allowed("workbench.craft.expression", "ExpressionError"),
        text=True,
        tokens=EXPRESSION_TOKENS,
    ),
    Target(
        "shell",
        command_shell,
        lambda: list(COMMANDS),
        allowed=_allowed("workbench.shell.spec", "CommandError"),
        text=True,
        tokens=COMMAND_TOKENS,
    ),
)


def target(name: str) -> Target:
    for t in TARGETS:
        if t.name == name:
            return t
    raise KeyError(name)


__all__ = ["TARGETS", "target", "lab_frames"]
