"""Walk a whole Ethernet frame layer by layer, and say what it is in one line.

`decode(frame)` parses Ethernet → ARP | IPv4 → ICMP | UDP | TCP → DHCP (UDP 67/68) |
DNS (UDP 53, and mDNS 5353 / LLMNR 5355 which share its format; TCP 53 after its 2-byte length
prefix) | HTTP (TCP 80/8080 when the data starts like a request or a response). It never raises on bad bytes: decoding stops at the first layer
that does not parse, the layers before it are kept, and `error` says where it stopped.

`Decoded.summary()` gives the four packet-list columns as Wireshark fills them (protocol,
source, destination, info) from this one frame alone, so two things differ from Wireshark:
TCP sequence numbers are the absolute ones on the wire (relative numbers need the stream's
first segment), and nothing is reassembled — an IP fragment that is not the first says so, a
first fragment shows its transport header with "[fragment]", and an HTTP message longer than
its segment is shown from its head with "[partial message]".

No scapy here: this runs for every frame in the trace.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from stack.wire import arp as _arp
from stack.wire import dhcp as _dhcp
from stack.wire import dns as _dns
from stack.wire import http as _http
from stack.wire import icmp as _icmp
from stack.wire.arp import ARP
from stack.wire.dhcp import DHCP
from stack.wire.dns import DNS
from stack.wire.errors import WireError
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, ETH_IPV6, ETH_VLAN, HEADER_LEN, Ethernet
from stack.wire.http import HTTPRequest, HTTPResponse
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, IPv4
from stack.wire.mac import MAC
from stack.wire.tcp import (
    ACK,
    FLAG_NAMES,
    OPT_MSS,
    OPT_SACK,
    OPT_SACK_OK,
    OPT_TIMESTAMP,
    OPT_WSCALE,
    TCP,
)
from stack.wire.udp import UDP

DNS_PORT = 53
MULTICAST_DNS_PORTS = {5353: "MDNS", 5355: "LLMNR"}  # same message format (RFC 6762, RFC 4795)
DHCP_PORTS = (67, 68)
HTTP_PORTS = (80, 8080)

LAYER_NAMES = {
    "ethernet": "Ethernet", "arp": "ARP", "ipv4": "IPv4", "icmp": "ICMP", "udp": "UDP",
    "tcp": "TCP", "dns": "DNS", "dhcp": "DHCP", "http": "HTTP",
}
IP_PROTOCOL_NAMES = {
    1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 17: "UDP", 41: "IPv6", 47: "GRE", 50: "ESP",
    51: "AH", 89: "OSPF", 103: "PIM", 112: "VRRP", 132: "SCTP",
}
ETHERTYPE_NAMES = {ETH_IPV6: "IPv6", ETH_VLAN: "802.1Q", 0x88CC: "LLDP", 0x8863: "PPPoED", 0x8864: "PPPoES", 0x88A8: "802.1ad"}

_UDP_HDR = struct.Struct("!HHHH")


@dataclass(frozen=True)
class Summary:
    """The packet-list columns. TCP `Seq=`/`Ack=` are absolute (raw) sequence numbers."""

    protocol: str
    source: str
    destination: str
    info: str


@dataclass(frozen=True)
class Decoded:
    """The layers that parsed, outermost first, and the error that stopped decoding, if any.

    `offsets[i]` is where `layers[i]` starts in the frame; `error_offset` is the frame offset
    of the byte `error` names (its own `offset` counts from the start of the broken layer).
    """

    layers: tuple
    error: WireError | None = None
    offsets: tuple[int, ...] = ()
    error_offset: int | None = None

    def find(self, kind: type):
        """The first layer that is an instance of `kind`, or None."""
        for layer in self.layers:
            if isinstance(layer, kind):
                return layer
        return None

    def summary(self) -> Summary:
        return _summarise(self)


def decode(frame: bytes) -> Decoded:
    """Parse as many layers of `frame` (an Ethernet frame without FCS) as will parse."""
    layers: list = []
    offsets: list[int] = []
    try:
        _walk(bytes(frame), layers, offsets)
    except _Stop as stop:
        error = stop.error
        return Decoded(tuple(layers), error, tuple(offsets), stop.start + error.offset)
    except Exception as exc:  # a codec bug must not take the trace down; it shows as malformed
        layer = _LAYER_OF.get(type(layers[-1]), "ethernet") if layers else "ethernet"
        error = WireError(layer, "decoder", 0, f"decoder bug: {exc!r}")
        return Decoded(tuple(layers), error, tuple(offsets), offsets[-1] if offsets else 0)
    return Decoded(tuple(layers), None, tuple(offsets), None)


class _Stop(Exception):
    def __init__(self, error: WireError, start: int) -> None:
        self.error = error
        self.start = start


def _parse(codec, data: bytes, start: int, layers: list, offsets: list[int]):
    try:
        value = codec(data)
    except WireError as error:
        raise _Stop(error, start) from None
    layers.append(value)
    offsets.append(start)
    return value


def _walk(frame: bytes, layers: list, offsets: list[int]) -> None:
    eth = _parse(Ethernet.parse, frame, 0, layers, offsets)
    if eth.ethertype == ETH_ARP:
        _parse(ARP.parse, eth.payload, HEADER_LEN, layers, offsets)
        return
    if eth.ethertype != ETH_IPV4:
        return
    ip = _parse(IPv4.parse, eth.payload, HEADER_LEN, layers, offsets)
    start = HEADER_LEN + ip.ihl * 4
    if ip.frag:
        return  # not the first fragment: no transport header here
    if ip.proto == PROTO_UDP:
        if ip.flags & 1:  # first fragment: the header is here, the rest of the datagram is not
            _parse(_partial_udp, ip.payload, start, layers, offsets)
            return
        udp = _parse(UDP.parse, ip.payload, start, layers, offsets)
        _udp_application(udp, start + 8, layers, offsets)
    elif ip.proto == PROTO_TCP:
        tcp = _parse(TCP.parse, ip.payload, start, layers, offsets)
        if not ip.flags & 1:
            _tcp_application(tcp, start + tcp.data_offset * 4, layers, offsets)
    elif ip.proto == PROTO_ICMP:
        _parse(ICMP.parse, ip.payload, start, layers, offsets)


def _partial_udp(data: bytes) -> UDP:
    """The UDP header of a first fragment: its length counts bytes that come in later fragments."""
    if len(data) < 8:
        raise WireError("udp", "header", len(data), f"{len(data)} bytes is shorter than the 8-byte header")
    sport, dport, length, csum = _UDP_HDR.unpack_from(data)
    return UDP(sport, dport, bytes(data[8:]), length, csum)


def _udp_application(udp: UDP, start: int, layers: list, offsets: list[int]) -> None:
    sport, dport = udp.sport, udp.dport
    if sport == DNS_PORT or dport == DNS_PORT or sport in MULTICAST_DNS_PORTS or dport in MULTICAST_DNS_PORTS:
        _parse(DNS.parse, udp.payload, start, layers, offsets)
    elif sport in DHCP_PORTS and dport in DHCP_PORTS:
        _parse(DHCP.parse, udp.payload, start, layers, offsets)


def _tcp_application(tcp: TCP, start: int, layers: list, offsets: list[int]) -> None:
    payload = tcp.payload
    if not payload:
        return
    sport, dport = tcp.sport, tcp.dport
    if sport == DNS_PORT or dport == DNS_PORT:
        # RFC 1035 §4.2.2: each message is preceded by its length; decode the first one if it
        # is all in this segment.
        if len(payload) >= 2:
            size = payload[0] << 8 | payload[1]
            if len(payload) >= 2 + size:
                _parse(DNS.parse, payload[2 : 2 + size], start + 2, layers, offsets)
    elif (sport in HTTP_PORTS or dport in HTTP_PORTS) and _http.looks_like_http(payload):
        try:
            size = _http.message_length(payload)
        except WireError as error:
            raise _Stop(error, start) from None
        if size is not None:
            _parse(_http.parse, payload[:size], start, layers, offsets)
        elif _http.head_complete(payload):
            _parse(_http.parse_partial, payload, start, layers, offsets)


_LAYER_OF = {Ethernet: "ethernet", ARP: "arp", IPv4: "ipv4", ICMP: "icmp", UDP: "udp", TCP: "tcp", DNS: "dns", DHCP: "dhcp"}


# --- the one-line summary -------------------------------------------------------------------


def _mac_text(mac: MAC) -> str:
    return "Broadcast" if mac == b"\xff\xff\xff\xff\xff\xff" else mac.hex(":")


def _summarise(d: Decoded) -> Summary:
    layers = d.layers
    if not layers:
        return Summary("Ethernet", "", "", _malformed(d))
    eth: Ethernet = layers[0]
    if len(layers) >= 2 and isinstance(layers[1], IPv4):
        ip = layers[1]
        source, destination = str(ip.src), str(ip.dst)
    else:
        ip = None
        source, destination = _mac_text(eth.src), _mac_text(eth.dst)
    if d.error is not None:
        return Summary(LAYER_NAMES.get(d.error.layer, d.error.layer), source, destination, _malformed(d))
    top = layers[-1]
    if isinstance(top, Ethernet):
        protocol, info = _ethernet_only(top)
        return Summary(protocol, source, destination, info)
    if isinstance(top, ARP):
        return Summary("ARP", source, destination, _arp_info(top))
    if isinstance(top, IPv4):
        return Summary("IPv4", source, destination, _ipv4_info(top))
    fragment = " [fragment]" if ip is not None and ip.flags & 1 else ""
    if isinstance(top, ICMP):
        return Summary("ICMP", source, destination, _icmp_info(top, ip) + fragment)
    if isinstance(top, UDP):
        size = max(0, top.length - 8) if fragment else len(top.payload)
        return Summary("UDP", source, destination, f"{top.sport} → {top.dport} Len={size}{fragment}")
    if isinstance(top, TCP):
        return Summary("TCP", source, destination, _tcp_info(top) + fragment)
    if isinstance(top, DNS):
        carrier = layers[-2]
        name = MULTICAST_DNS_PORTS.get(carrier.dport) or MULTICAST_DNS_PORTS.get(carrier.sport) or "DNS"
        return Summary(name, source, destination, _dns_info(top))
    if isinstance(top, DHCP):
        return Summary("DHCP" if top.message_type is not None else "BOOTP", source, destination, _dhcp_info(top))
    if isinstance(top, (HTTPRequest, HTTPResponse)):
        return Summary("HTTP", source, destination, _http_info(top, layers[-2]))
    return Summary(type(top).__name__, source, destination, "")


def _malformed(d: Decoded) -> str:
    error = d.error
    if error is None:
        return ""
    # Counted from the frame's first byte, as every other offset a person sees in the list.
    where = d.error_offset if d.error_offset is not None else error.offset
    return f"[Malformed Packet: {error.layer} {error.field} at frame byte {where}: {error.problem}]"


def _ethernet_only(eth: Ethernet) -> tuple[str, str]:
    kind = eth.ethertype
    if kind < 0x0600:
        return "LLC", f"IEEE 802.3 frame, length {kind}"
    name = ETHERTYPE_NAMES.get(kind)
    if name is not None:
        return name, f"{name} (ethertype 0x{kind:04x}, not decoded)"
    return f"0x{kind:04x}", f"Ethernet II, ethertype 0x{kind:04x}"


def _arp_info(a: ARP) -> str:
    sender, target = a.sender_ip, a.target_ip
    if a.op == _arp.REQUEST:
        if int(sender) == 0:
            return f"Who has {target}? (ARP Probe)"
        if sender == target:
            if a.target_mac == b"\x00" * 6:
                return f"ARP Announcement for {target}"
            return f"Gratuitous ARP for {target} (Request)"
        return f"Who has {target}? Tell {sender}"
    if a.op == _arp.REPLY:
        if sender == target:
            return f"Gratuitous ARP for {target} (Reply)"
        return f"{sender} is at {a.sender_mac.hex(':')}"
    return f"Unknown ARP opcode 0x{a.op:04x}"


def _ipv4_info(ip: IPv4) -> str:
    name = IP_PROTOCOL_NAMES.get(ip.proto, "")
    proto = f"{name} {ip.proto}" if name else str(ip.proto)
    if ip.frag:
        return f"Fragmented IP protocol (proto={proto}, off={ip.frag * 8}, ID={ip.ident:04x})"
    return f"IPv4 protocol {proto}, not decoded" if name else f"IPv4 protocol {ip.proto}"


_ICMP_UNREACHABLE = {
    0: "Network unreachable", 1: "Host unreachable", 2: "Protocol unreachable", 3: "Port unreachable",
    4: "Fragmentation needed", 5: "Source route failed", 6: "Destination network unknown",
    7: "Destination host unknown", 9: "Network administratively prohibited",
    10: "Host administratively prohibited", 13: "Communication administratively filtered",
}
_ICMP_EXCEEDED = {0: "Time to live exceeded in transit", 1: "Fragment reassembly time exceeded"}


def _icmp_info(m: ICMP, ip: IPv4 | None) -> str:
    ttl = f", ttl={ip.ttl}" if ip is not None else ""
    if m.type == _icmp.ECHO_REQUEST:
        return f"Echo (ping) request id=0x{m.rest >> 16:04x}, seq={m.rest & 0xFFFF}{ttl}"
    if m.type == _icmp.ECHO_REPLY:
        return f"Echo (ping) reply id=0x{m.rest >> 16:04x}, seq={m.rest & 0xFFFF}{ttl}"
    if m.type == _icmp.DEST_UNREACHABLE:
        text = f"Destination unreachable ({_ICMP_UNREACHABLE.get(m.code, f'code {m.code}')})"
        if m.code == _icmp.FRAGMENTATION_NEEDED:
            text += f" MTU={m.rest & 0xFFFF}"
        return text
    if m.type == _icmp.TIME_EXCEEDED:
        return f"Time-to-live exceeded ({_ICMP_EXCEEDED.get(m.code, f'code {m.code}')})"
    if m.type == 5:
        return "Redirect"
    return f"Type {m.type}, code {m.code}"


def _tcp_info(t: TCP) -> str:
    flags = ", ".join(name for bit, name in FLAG_NAMES if t.flags & bit)
    parts = [f"{t.sport} → {t.dport} [{flags or '<None>'}] Seq={t.seq}"]
    if t.flags & ACK:
        parts.append(f"Ack={t.ack}")
    parts.append(f"Win={t.window} Len={len(t.payload)}")
    if t.urgent:
        parts.append(f"Urg={t.urgent}")
    for option in t.options:
        kind, data = option.kind, option.data
        if kind == OPT_MSS:
            parts.append(f"MSS={int.from_bytes(data, 'big')}")
        elif kind == OPT_WSCALE:
            parts.append(f"WS={1 << min(data[0], 14)}")
        elif kind == OPT_SACK_OK:
            parts.append("SACK_PERM")
        elif kind == OPT_TIMESTAMP:
            value, echo = struct.unpack("!II", data)
            parts.append(f"TSval={value} TSecr={echo}")
        elif kind == OPT_SACK:
            for i in range(0, len(data), 8):
                left, right = struct.unpack_from("!II", data, i)
                parts.append(f"SLE={left} SRE={right}")
    return " ".join(parts)


def _dns_info(m: DNS) -> str:
    words = [_dns.OPCODE_TEXT.get(m.opcode, f"Opcode {m.opcode}")]
    if m.qr:
        words.append("response")
    words.append(f"0x{m.id:04x}")
    if m.rcode:
        words.append(_dns.RCODE_TEXT.get(m.rcode, f"Rcode {m.rcode}"))
    for q in m.questions:
        words.append(f"{_dns.type_name(q.qtype)} {q.name or '<Root>'}")
    if m.qr:
        for record in m.answers:
            words.append(_dns.rdata_text(record))
    return " ".join(words)


def _dhcp_info(m: DHCP) -> str:
    kind = m.message_type
    if kind is None:
        return f"Boot {'Request' if m.op == _dhcp.BOOTREQUEST else 'Reply'} - Transaction ID 0x{m.xid:x}"
    name = _dhcp.MESSAGE_NAMES.get(kind, f"Unknown ({kind})")
    return f"DHCP {name:<8} - Transaction ID 0x{m.xid:x}"  # padded as Wireshark pads it


def _http_info(m: HTTPRequest | HTTPResponse, carrier: TCP) -> str:
    if isinstance(m, HTTPRequest):
        text = f"{m.method} {m.target} {m.version}"
    else:
        text = f"{m.version} {m.status} {m.reason}".rstrip()
    # Read the framing off the parsed head rather than parsing the segment again.
    payload = carrier.payload
    declared = m.header("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > len(m.body):  # the head is here, some of the body is not
            want = len(payload) - len(m.body) + int(declared)
            text += f" [partial message: {len(payload)} of {want} bytes]"
    elif m.chunked and _http.message_length(payload) is None:
        text += " [partial message]"
    return text

