"""Linux cooked captures: SLL (pcap link type 113) and SLL2 (276), as `tcpdump -i any` writes.

The kernel gives no Ethernet header for "any": instead a pseudo-header says which way the
packet went (packet type), the link-layer address type and the source address, and the
ethertype of what follows. The Source column is that address when nothing above has one.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.proto.model import ETHER, HEX, IPV4, Field, Layer, Protocol
from stack.wire.mac import MAC

PACKET_TYPES = {
    0: "Unicast to us",
    1: "Broadcast",
    2: "Multicast",
    3: "Unicast to another host",
    4: "Sent by us",
}
# ARPHRD types (linux/if_arp.h) as tshark 4.0 names them
HW_TYPES = {
    0: "NET/ROM pseudo",
    1: "Ethernet",
    24: "IEEE 1394.1995",
    512: "PPP",
    768: "IPIP tunnel",
    769: "IP6IP6 tunnel",
    772: "Loopback",
    776: "sit0 device - IPv6-in-IPv4",
    778: "GRE over IP",
    801: "IEEE 802.11",
    803: "IEEE 802.11 + radiotap header",
    804: "IEEE 802.15.4",
    805: "IEEE 802.15.4 network monitor",
    823: "GRE over IPv6",
    65534: "zero header length",
    65535: "Void type, nothing is known",
}
IPGRE = 778  # its protocol is GRE's (Wireshark's gre.proto table), not an ethertype
GRE_TYPES = {0x0800: "IP", 0x86DD: "IPv6"}


def _hw_type(value: int) -> str:
    return f"{HW_TYPES.get(value, 'Unknown')} ({value})"


from stack.proto.ethernet import ETHERTYPES  # noqa: E402

# SLL (v1): packet type, ARPHRD type, address length, 8 address bytes, protocol.
V1_PKTTYPE = Field("sll.pkttype", "Packet type", at=0, size=2, enum=PACKET_TYPES)
V1_HATYPE = Field(
    "sll.hatype", "Link-layer address type", at=2, size=2, enum=HW_TYPES, text=_hw_type
)
V1_HALEN = Field("sll.halen", "Link-layer address length", at=4, size=2)
# not read straight from the bytes: under a GRE tunnel's header the same bytes are sll.gretype
V1_ETYPE = Field("sll.etype", "Protocol", base=HEX, at=14, size=2, enum=ETHERTYPES, direct=False)
GRE_TYPE = Field("sll.gretype", "Protocol", base=HEX, size=2, enum=GRE_TYPES)
# SLL2: protocol, reserved (which Wireshark 4.0 neither shows nor names: no field here either),
# interface index, ARPHRD type, packet type, address length, address.
V2_ETYPE = Field("sll.etype", "Protocol", base=HEX, at=0, size=2, enum=ETHERTYPES, direct=False)
V2_IFINDEX = Field("sll.ifindex", "Interface index", at=4, size=4)
V2_HATYPE = Field(
    "sll.hatype", "Link-layer address type", at=8, size=2, enum=HW_TYPES, text=_hw_type
)
V2_PKTTYPE = Field("sll.pkttype", "Packet type", at=10, size=1, enum=PACKET_TYPES)
V2_HALEN = Field("sll.halen", "Link-layer address length", at=11, size=1)
SRC_ETH = Field("sll.src.eth", "Source", ETHER)
SRC_OTHER = Field("sll.src.other", "Source", "bytes")  # Wireshark's name
SRC_IPV4 = Field("sll.src.ipv4", "Source", IPV4)  # a tunnel's address: 4 bytes
UNUSED = Field("sll.unused", "Unused", "bytes")


def _walker(
    header: int, type_at: int, halen_at: int, halen_size: int, address_at: int, hatype_at: int
):
    def walk(layer: Layer) -> None:
        layer.need(header, "sll")
        layer.header_end = layer.start + header
        halen = layer.u8(halen_at) if halen_size == 1 else layer.u16(halen_at)
        layer.state["halen"] = min(halen, 8)
        layer.state["address_at"] = address_at
        if layer.u16(hatype_at) == IPGRE:
            layer.state["gre"] = True
        layer.next = ("ethertype", layer.u16(type_at))

    return walk


def _items(layer: Layer, out: list) -> None:
    at, halen = layer.state["address_at"], layer.state["halen"]
    if halen == 6:
        layer.add(out, SRC_ETH, at, 6, MAC(bytes(layer.bytes_at(at, 6))))
        if layer.bytes_at(at + 6, 2):
            layer.add(out, UNUSED, at + 6, 2, layer.bytes_at(at + 6, 2))
    elif halen == 4:
        layer.add(out, SRC_IPV4, at, 4, IPv4Address(layer.bytes_at(at, 4)))
        if at + 8 <= layer.header_end - layer.start:  # v1's 8-byte field: the rest unused
            layer.add(out, UNUSED, at + 4, 4, layer.bytes_at(at + 4, 4))
    elif halen:
        layer.add(out, SRC_OTHER, at, halen, layer.bytes_at(at, halen))
    if layer.state.get("gre"):
        for i, item in enumerate(out):
            if item.field in (V1_ETYPE, V2_ETYPE):
                out[i] = layer.add([], GRE_TYPE, item.start - layer.start, 2, item.value)
    # the address goes where it sits: after the length in v1, last in v2
    out.sort(key=lambda item: item.start)


def _info(layer: Layer) -> str:
    return f"Linux cooked capture, protocol 0x{layer.next[1]:04x}" if layer.next else ""


SLL = Protocol(
    "sll",
    "Linux cooked capture v1",
    "SLL",
    fields=(
        V1_PKTTYPE,
        V1_HATYPE,
        V1_HALEN,
        SRC_ETH,
        SRC_IPV4,
        SRC_OTHER,
        UNUSED,
        V1_ETYPE,
        GRE_TYPE,
    ),
    walk=_walker(16, 14, 4, 2, 6, 2),
    items=_items,
    info=_info,
    binds=(("link_type", 113),),
    addresses=("sll.src.eth", ""),
)
SLL2 = Protocol(
    "sll",
    "Linux cooked capture v2",
    "SLL",
    fields=(
        V2_ETYPE,
        V2_IFINDEX,
        V2_HATYPE,
        V2_PKTTYPE,
        V2_HALEN,
        SRC_ETH,
        SRC_IPV4,
        SRC_OTHER,
        UNUSED,
        GRE_TYPE,
    ),
    walk=_walker(20, 0, 11, 1, 12, 8),
    items=_items,
    info=_info,
    binds=(("link_type", 276),),
    addresses=("sll.src.eth", ""),
)
