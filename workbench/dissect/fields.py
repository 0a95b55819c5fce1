"""What a display filter can ask of a frame: its protocols and fields, read from our decoder.

`PROTOCOLS` maps a Wireshark protocol name to a predicate, `FIELDS` a Wireshark field name to
its type and an extractor that returns the frame's values of it (a tuple: `ip.addr` has two,
a field of an absent layer none). Each name also says how deep the frame must be decoded:
not at all (`frame.*`), to the transport layer (`decode_transport`, a third of the cost of a
full decode on typical traffic, since it skips DNS, DHCP and HTTP), or fully.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from ipaddress import IPv4Address

from stack.trace import FrameRecord
from stack.wire.arp import ARP
from stack.wire.decode import Decoded
from stack.wire.dhcp import DHCP
from stack.wire.dns import DNS
from stack.wire.errors import WireError
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, ETH_IPV6, HEADER_LEN, Ethernet
from stack.wire.http import HTTPRequest, HTTPResponse
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, IPv4
from stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TCP, URG
from stack.wire.udp import UDP

Predicate = Callable[[Decoded, FrameRecord], bool]
Extractor = Callable[[Decoded, FrameRecord], tuple]

NO_DECODE, TRANSPORT, FULL = 0, 1, 2  # how deep a name needs the frame decoded


def _layer(kind: type) -> Callable[[Decoded], object]:
    def find(d: Decoded):
        for layer in d.layers:
            if type(layer) is kind:
                return layer
        return None

    return find


_eth, _arp, _ip, _icmp, _udp, _tcp, _dns, _dhcp = (
    _layer(k) for k in (Ethernet, ARP, IPv4, ICMP, UDP, TCP, DNS, DHCP)
)


def _http(d: Decoded):
    for layer in d.layers:
        if isinstance(layer, (HTTPRequest, HTTPResponse)):
            return layer
    return None


def _has(find, layer: str) -> Predicate:
    """The frame holds this protocol: it decoded, or decoding stopped inside it (a malformed
    IPv4 header is still IPv4, as Wireshark's protocol list says)."""

    def has(d: Decoded, r: FrameRecord) -> bool:
        if find(d) is not None:
            return True
        error = d.error
        return error is not None and error.layer == layer

    return has


PROTOCOLS: dict[str, Predicate] = {
    "frame": lambda d, r: True,
    "eth": _has(_eth, "ethernet"),
    "arp": _has(_arp, "arp"),
    "ip": _has(_ip, "ipv4"),
    "ipv6": lambda d, r: bool(d.layers) and d.layers[0].ethertype == ETH_IPV6,
    "icmp": _has(_icmp, "icmp"),
    "udp": _has(_udp, "udp"),
    "tcp": _has(_tcp, "tcp"),
    "dns": _has(_dns, "dns"),
    "dhcp": _has(_dhcp, "dhcp"),
    "bootp": _has(_dhcp, "dhcp"),
    "http": _has(_http, "http"),
    "malformed": lambda d, r: d.error is not None,
    "_ws.malformed": lambda d, r: d.error is not None,
}


def _of(find, *getters) -> Extractor:
    """Values of a layer's attributes (each getter gives one value) if the layer is there."""

    def extract(d: Decoded, r: FrameRecord) -> tuple:
        layer = find(d)
        if layer is None:
            return ()
        return tuple(get(layer) for get in getters)

    return extract


def _flag(find, bit: int) -> Extractor:
    return _of(find, lambda layer: bool(layer.flags & bit))


def _echo(part: int) -> Extractor:
    def extract(d, r):
        m = _icmp(d)
        if m is None or m.type not in (0, 8):
            return ()
        return (m.rest >> 16,) if part == 0 else (m.rest & 0xFFFF,)

    return extract


def _dns_names(section: str) -> Extractor:
    def extract(d, r):
        m = _dns(d)
        return () if m is None else tuple(item.name for item in getattr(m, section))

    return extract


def _dns_a(d, r):
    m = _dns(d)
    if m is None:
        return ()
    return tuple(rec.data for rec in m.answers if isinstance(rec.data, IPv4Address))


def _http_request(attr: str) -> Extractor:
    def extract(d, r):
        m = _http(d)
        return (getattr(m, attr),) if isinstance(m, HTTPRequest) else ()

    return extract


def _http_host(d, r):
    m = _http(d)
    if m is None:
        return ()
    value = m.header("host")
    return () if value is None else (value,)


def _dhcp_type(d, r):
    m = _dhcp(d)
    if m is None or m.message_type is None:
        return ()
    return (m.message_type,)


# name: (type, extractor). Types: int, bool, float, ipv4, mac, str.
FIELDS: dict[str, tuple[str, Extractor]] = {
    "frame.number": ("int", lambda d, r: (r.id,)),
    "frame.len": ("int", lambda d, r: (len(r.data),)),
    "frame.time_relative": ("float", lambda d, r: (r.time,)),
    "frame.interface_name": ("str", lambda d, r: (r.segment,)),
    "eth.addr": ("mac", _of(_eth, lambda e: e.src, lambda e: e.dst)),
    "eth.src": ("mac", _of(_eth, lambda e: e.src)),
    "eth.dst": ("mac", _of(_eth, lambda e: e.dst)),
    "eth.type": ("int", _of(_eth, lambda e: e.ethertype)),
    "arp.opcode": ("int", _of(_arp, lambda a: a.op)),
    "arp.src.hw_mac": ("mac", _of(_arp, lambda a: a.sender_mac)),
    "arp.dst.hw_mac": ("mac", _of(_arp, lambda a: a.target_mac)),
    "arp.src.proto_ipv4": ("ipv4", _of(_arp, lambda a: a.sender_ip)),
    "arp.dst.proto_ipv4": ("ipv4", _of(_arp, lambda a: a.target_ip)),
    "ip.addr": ("ipv4", _of(_ip, lambda p: p.src, lambda p: p.dst)),
    "ip.src": ("ipv4", _of(_ip, lambda p: p.src)),
    "ip.dst": ("ipv4", _of(_ip, lambda p: p.dst)),
    "ip.version": ("int", _of(_ip, lambda p: p.version)),
    "ip.hdr_len": ("int", _of(_ip, lambda p: p.ihl * 4)),
    "ip.dsfield": ("int", _of(_ip, lambda p: p.tos)),
    "ip.len": ("int", _of(_ip, lambda p: p.total_length)),
    "ip.id": ("int", _of(_ip, lambda p: p.ident)),
    "ip.flags.df": ("bool", _of(_ip, lambda p: bool(p.flags & 2))),
    "ip.flags.mf": ("bool", _of(_ip, lambda p: bool(p.flags & 1))),
    "ip.frag_offset": ("int", _of(_ip, lambda p: p.frag * 8)),
    "ip.ttl": ("int", _of(_ip, lambda p: p.ttl)),
    "ip.proto": ("int", _of(_ip, lambda p: p.proto)),
    "ip.checksum": ("int", _of(_ip, lambda p: p.checksum)),
    "icmp.type": ("int", _of(_icmp, lambda m: m.type)),
    "icmp.code": ("int", _of(_icmp, lambda m: m.code)),
    "icmp.ident": ("int", _echo(0)),
    "icmp.seq": ("int", _echo(1)),
    "udp.port": ("int", _of(_udp, lambda u: u.sport, lambda u: u.dport)),
    "udp.srcport": ("int", _of(_udp, lambda u: u.sport)),
    "udp.dstport": ("int", _of(_udp, lambda u: u.dport)),
    "udp.length": ("int", _of(_udp, lambda u: u.length)),
    "tcp.port": ("int", _of(_tcp, lambda t: t.sport, lambda t: t.dport)),
    "tcp.srcport": ("int", _of(_tcp, lambda t: t.sport)),
    "tcp.dstport": ("int", _of(_tcp, lambda t: t.dport)),
    "tcp.seq": ("int", _of(_tcp, lambda t: t.seq)),
    "tcp.ack": ("int", _of(_tcp, lambda t: t.ack)),
    "tcp.len": ("int", _of(_tcp, lambda t: len(t.payload))),
    "tcp.hdr_len": ("int", _of(_tcp, lambda t: t.data_offset * 4)),
    "tcp.window_size_value": ("int", _of(_tcp, lambda t: t.window)),
    "tcp.flags": ("int", _of(_tcp, lambda t: t.flags)),
    "tcp.flags.fin": ("bool", _flag(_tcp, FIN)),
    "tcp.flags.syn": ("bool", _flag(_tcp, SYN)),
    "tcp.flags.reset": ("bool", _flag(_tcp, RST)),
    "tcp.flags.push": ("bool", _flag(_tcp, PSH)),
    "tcp.flags.ack": ("bool", _flag(_tcp, ACK)),
    "tcp.flags.urg": ("bool", _flag(_tcp, URG)),
    "dns.id": ("int", _of(_dns, lambda m: m.id)),
    "dns.flags.response": ("bool", _of(_dns, lambda m: bool(m.qr))),
    "dns.flags.opcode": ("int", _of(_dns, lambda m: m.opcode)),
    "dns.flags.rcode": ("int", _of(_dns, lambda m: m.rcode)),
    "dns.count.queries": ("int", _of(_dns, lambda m: len(m.questions))),
    "dns.count.answers": ("int", _of(_dns, lambda m: len(m.answers))),
    "dns.qry.name": ("str", _dns_names("questions")),
    "dns.qry.type": (
        "int",
        lambda d, r: () if _dns(d) is None else tuple(q.qtype for q in _dns(d).questions),
    ),
    "dns.resp.name": ("str", _dns_names("answers")),
    "dns.a": ("ipv4", _dns_a),
    "dhcp.id": ("int", _of(_dhcp, lambda m: m.xid)),
    "dhcp.option.dhcp": ("int", _dhcp_type),
    "dhcp.ip.client": ("ipv4", _of(_dhcp, lambda m: m.ciaddr)),
    "dhcp.ip.your": ("ipv4", _of(_dhcp, lambda m: m.yiaddr)),
    "dhcp.hw.mac_addr": ("mac", _of(_dhcp, lambda m: m.chaddr)),
    "http.request": ("bool", lambda d, r: (True,) if isinstance(_http(d), HTTPRequest) else ()),
    "http.response": ("bool", lambda d, r: (True,) if isinstance(_http(d), HTTPResponse) else ()),
    "http.request.method": ("str", _http_request("method")),
    "http.request.uri": ("str", _http_request("target")),
    "http.request.version": ("str", _http_request("version")),
    "http.response.code": (
        "int",
        lambda d, r: (_http(d).status,) if isinstance(_http(d), HTTPResponse) else (),
    ),
    "http.host": ("str", _http_host),
}
for _alias, _name in (("bootp.id", "dhcp.id"), ("bootp.option.dhcp", "dhcp.option.dhcp")):
    FIELDS[_alias] = FIELDS[_name]

ADDRESS_FIELDS = {
    ("ipv4", ""): ("ip.addr", "arp.src.proto_ipv4", "arp.dst.proto_ipv4"),
    ("ipv4", "src"): ("ip.src", "arp.src.proto_ipv4"),
    ("ipv4", "dst"): ("ip.dst", "arp.dst.proto_ipv4"),
    ("mac", ""): ("eth.addr",),
    ("mac", "src"): ("eth.src",),
    ("mac", "dst"): ("eth.dst",),
    ("port", ""): ("tcp.port", "udp.port"),
    ("port", "src"): ("tcp.srcport", "udp.srcport"),
    ("port", "dst"): ("tcp.dstport", "udp.dstport"),
}


def depth_of(name: str) -> int:
    """How deep the frame must be decoded to answer for protocol or field `name`."""
    if name == "frame" or name.startswith("frame."):
        return NO_DECODE
    top = name.split(".", 1)[0]
    if top in ("eth", "arp", "ip", "ipv6", "icmp", "udp", "tcp"):
        return TRANSPORT
    return FULL


# --- decoding only as deep as a filter needs ------------------------------------------------

_UDP_HDR = struct.Struct("!HHHH")


def decode_transport(frame: bytes) -> Decoded:
    """`stack.wire.decode.decode` stopped after ICMP, UDP or TCP: the same layers, offsets and
    errors as far as it goes (tests hold the two together), without the application layer."""
    layers: list = []
    offsets: list[int] = []
    at = 0
    try:
        eth = Ethernet.parse(frame)
        layers.append(eth)
        offsets.append(0)
        at = HEADER_LEN
        if eth.ethertype == ETH_ARP:
            layers.append(ARP.parse(eth.payload))
            offsets.append(at)
        elif eth.ethertype == ETH_IPV4:
            ip = IPv4.parse(eth.payload)
            layers.append(ip)
            offsets.append(at)
            at = HEADER_LEN + ip.ihl * 4
            if not ip.frag:
                codec = _TRANSPORT.get(ip.proto)
                if ip.proto == PROTO_UDP and ip.flags & 1:
                    codec = _partial_udp
                if codec is not None:
                    layers.append(codec(ip.payload))
                    offsets.append(at)
    except WireError as error:
        return Decoded(tuple(layers), error, tuple(offsets), at + error.offset)
    except Exception as exc:  # noqa: BLE001 — as decode(): a codec bug shows as malformed
        error = WireError("ethernet", "decoder", 0, f"decoder bug: {exc!r}")
        return Decoded(tuple(layers), error, tuple(offsets), offsets[-1] if offsets else 0)
    return Decoded(tuple(layers), None, tuple(offsets), None)


def _partial_udp(data: bytes) -> UDP:
    """A first fragment's UDP header, whose length counts bytes in later fragments."""
    if len(data) < 8:
        raise WireError(
            "udp", "header", len(data), f"{len(data)} bytes is shorter than the 8-byte header"
        )
    sport, dport, length, csum = _UDP_HDR.unpack_from(data)
    return UDP(sport, dport, bytes(data[8:]), length, csum)


_TRANSPORT = {PROTO_UDP: UDP.parse, PROTO_TCP: TCP.parse, PROTO_ICMP: ICMP.parse}
