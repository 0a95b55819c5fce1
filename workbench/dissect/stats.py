"""Capture statistics as tshark's `-z` computes them: conversations, endpoints, protocol hierarchy.

Pure functions over `Facts` (one per frame, `workbench.dissect.facts`) and over each frame's
chain of protocol names; the `*_text` functions lay the result out as tshark 4.0 prints it
(`-z conv,tcp`, `-z endpoints,ip`, `-z io,phs`), so the app's statistics screen and
`workbench dissect -z` show the same numbers. Order as tshark's: most frames first, ties in
order of first appearance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from workbench.dissect.facts import IP_TCP, IP_UDP, Facts

KINDS = ("eth", "ip", "ipv6", "tcp", "udp")
TITLES = {"eth": "Ethernet", "ip": "IPv4", "ipv6": "IPv6", "tcp": "TCP", "udp": "UDP"}
BROADCAST = b"\xff" * 6


@dataclass
class Conversation:
    """Traffic between two endpoints; `a` is the source of the first frame between them."""

    a: tuple  # (address,) or (address, port)
    b: tuple
    frames_ab: int = 0
    bytes_ab: int = 0
    frames_ba: int = 0
    bytes_ba: int = 0
    first_ns: int = 0
    last_ns: int = 0

    @property
    def frames(self) -> int:
        return self.frames_ab + self.frames_ba

    @property
    def bytes(self) -> int:
        return self.bytes_ab + self.bytes_ba


@dataclass
class Endpoint:
    address: tuple  # (address,) or (address, port)
    tx_frames: int = 0
    tx_bytes: int = 0
    rx_frames: int = 0
    rx_bytes: int = 0

    @property
    def frames(self) -> int:
        return self.tx_frames + self.rx_frames

    @property
    def bytes(self) -> int:
        return self.tx_bytes + self.rx_bytes


def _ends(f: Facts, kind: str) -> tuple[tuple, tuple] | None:
    """The two endpoints of frame `f` at layer `kind`, or None if it has no such layer."""
    if kind == "eth":
        if f.eth_src is None or f.eth_dst is None:
            return None
        return (bytes(f.eth_src),), (bytes(f.eth_dst),)
    if f.src is None:
        return None
    version = 4 if kind in ("ip", "tcp", "udp") else 6
    if kind in ("ip", "ipv6"):
        if f.ip_version != version or (version == 6 and (f.more_fragments or f.frag_offset)):
            return None  # tshark's IPv6 tap sees a fragmented datagram once, when it is whole
        return (f.src,), (f.dst,)
    proto = IP_TCP if kind == "tcp" else IP_UDP
    if f.proto != proto or f.sport is None or f.frag_offset:
        return None
    return (f.src, f.sport), (f.dst, f.dport)


def conversations(frames: Iterable[Facts], kind: str) -> list[Conversation]:
    """Conversations at `kind` (eth, ip, ipv6, tcp, udp), most frames first."""
    found: dict[tuple, Conversation] = {}
    for f in frames:
        ends = _ends(f, kind)
        if ends is None:
            continue
        src, dst = ends
        key = (src, dst) if src <= dst else (dst, src)
        conv = found.get(key)
        if conv is None:
            conv = found[key] = Conversation(src, dst, first_ns=f.ns, last_ns=f.ns)
        conv.last_ns = max(conv.last_ns, f.ns)
        if src == conv.a:
            conv.frames_ab += 1
            conv.bytes_ab += f.length
        else:
            conv.frames_ba += 1
            conv.bytes_ba += f.length
    return _by_frames(found.values())


def endpoints(frames: Iterable[Facts], kind: str) -> list[Endpoint]:
    """Endpoints at `kind`, most frames first."""
    found: dict[tuple, Endpoint] = {}
    for f in frames:
        ends = _ends(f, kind)
        if ends is None:
            continue
        src, dst = ends
        for address, sent in ((src, True), (dst, False)):
            point = found.get(address)
            if point is None:
                point = found[address] = Endpoint(address)
            if sent:
                point.tx_frames += 1
                point.tx_bytes += f.length
            else:
                point.rx_frames += 1
                point.rx_bytes += f.length
    return _by_frames(found.values())


def _by_frames(items):
    # sorted() is stable: ties keep the order of first appearance, as tshark's loop does
    return sorted(items, key=lambda item: -item.frames)


@dataclass
class ProtocolNode:
    name: str
    frames: int = 0
    bytes: int = 0
    children: dict[str, ProtocolNode] = field(default_factory=dict)


def protocol_hierarchy(chains: Iterable[tuple[tuple[str, ...], int]]) -> list[ProtocolNode]:
    """tshark's `io,phs`: each frame's chain of protocols (eth, ip, tcp, http …) and length,
    counted at every level of the tree; the top level in order of first appearance."""
    root = ProtocolNode("")
    for chain, length in chains:
        node = root
        for name in chain:
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = ProtocolNode(name)
            child.frames += 1
            child.bytes += length
            node = child
    return list(root.children.values())


# --- tshark's text ------------------------------------------------------------------------

RULE = "=" * 80


def size_text(size: int) -> str:
    """tshark's `format_size`: 9999 bytes, then 10 kB, 10 MB … (SI, whole units)."""
    for power, unit in ((4, "TB"), (3, "GB"), (2, "MB"), (1, "kB")):
        whole = size // 1000**power
        if whole >= 10:
            return f"{whole} {unit}"
    return f"{size} bytes"


def _address_text(address: tuple, resolve: Callable[[bytes], str]) -> str:
    first = address[0]
    text = resolve(first) if isinstance(first, bytes) else first
    return f"{text}:{address[1]}" if len(address) == 2 else text


def conversations_text(
    kind: str,
    convs: list[Conversation],
    origin_ns: int,
    resolve: Callable[[bytes], str],
    display_filter: str | None = None,
) -> str:
    ports = kind in ("tcp", "udp")
    width = 26 if ports else 20
    pad = " " * (2 * width + 7)
    lines = [
        RULE,
        f"{TITLES[kind]} Conversations",
        f"Filter:{'<No Filter>' if display_filter is None else display_filter}",
        pad
        + "|       <-      | |       ->      | |     Total     |    Relative    |   Duration   |",
        pad
        + "| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |",
    ]
    for c in convs:
        start = (c.first_ns - origin_ns) / 1e9
        duration = (c.last_ns - c.first_ns) / 1e9
        lines.append(
            f"{_address_text(c.a, resolve):<{width}} <-> {_address_text(c.b, resolve):<{width}}"
            f"  {c.frames_ba:6d} {size_text(c.bytes_ba):<9}"
            f"  {c.frames_ab:6d} {size_text(c.bytes_ab):<9}"
            f"  {c.frames:6d} {size_text(c.bytes):<9}"
            f"  {start:14.9f} {duration:14.4f}"
        )
    lines.append(RULE)
    return "\n".join(lines) + "\n"


def endpoints_text(
    kind: str,
    points: list[Endpoint],
    resolve: Callable[[bytes], str],
    display_filter: str | None = None,
) -> str:
    ports = kind in ("tcp", "udp")
    lines = [
        RULE,
        f"{TITLES[kind]} Endpoints",
        f"Filter:{'<No Filter>' if display_filter is None else display_filter}",
    ]
    if ports:
        lines.append(
            "                       |  Port  ||  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |"
        )
    else:
        lines.append(
            "                       |  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |"
        )
    for p in points:
        name = _address_text(p.address[:1], resolve)
        head = (
            f"{name:<20} {p.address[1]:10d} {p.frames:10d}"
            if ports
            else f"{name:<20} {p.frames:11d}"
        )
        lines.append(
            f"{head} {p.bytes:13d} {p.tx_frames:10d} {p.tx_bytes:15d} {p.rx_frames:11d} {p.rx_bytes:15d}   "
        )
    lines.append(RULE)
    return "\n".join(lines) + "\n"


def hierarchy_text(nodes: list[ProtocolNode], display_filter: str | None = None) -> str:
    rule = "=" * 67
    lines = ["", rule, "Protocol Hierarchy Statistics", f"Filter: {display_filter or ''}", ""]

    def walk(node: ProtocolNode, depth: int) -> None:
        lines.append(f"{'  ' * depth + node.name:<40} frames:{node.frames} bytes:{node.bytes}")
        for child in node.children.values():
            walk(child, depth + 1)

    for node in nodes:
        walk(node, 0)
    lines.append(rule)
    return "\n".join(lines) + "\n"
