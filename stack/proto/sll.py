"""Linux cooked captures: SLL (pcap link type 113) and SLL2 (276), as `tcpdump -i any` writes.

The kernel gives no Ethernet header for "any": instead a pseudo-header says which way the
packet went (packet type), the link-layer address type and the source address, and the
ethertype of what follows. The Source column is that address when nothing above has one.
"""

from __future__ import annotations

from stack.proto.model import ETHER, HEX, Field, Layer, Protocol
from stack.wire.mac import MAC

PACKET_TYPES = {
    0: "Unicast to us",
    1: "Broadcast",
    2: "Multicast",
    3: "Unicast to another host",
    4: "Sent by us",
}
HW_TYPES = {1: "Ethernet", 772: "Loopback", 65534: "None", 776: "IPv6-in-IPv4", 778: "IP GRE"}
from stack.proto.ethernet import ETHERTYPES  # noqa: E402

# SLL (v1): packet type, ARPHRD type, address length, 8 address bytes, protocol.
V1_PKTTYPE = Field("sll.pkttype", "Packet type", at=0, size=2, enum=PACKET_TYPES)
V1_HATYPE = Field("sll.hatype", "Link-layer address type", at=2, size=2, enum=HW_TYPES)
V1_HALEN = Field("sll.halen", "Link-layer address length", at=4, size=2)
V1_ETYPE = Field("sll.etype", "Protocol", base=HEX, at=14, size=2, enum=ETHERTYPES)
# SLL2: protocol, reserved (which Wireshark 4.0 neither shows nor names: no field here either),
# interface index, ARPHRD type, packet type, address length, address.
V2_ETYPE = Field("sll.etype", "Protocol", base=HEX, at=0, size=2, enum=ETHERTYPES)
V2_IFINDEX = Field("sll.ifindex", "Interface index", at=4, size=4)
V2_HATYPE = Field("sll.hatype", "Link-layer address type", at=8, size=2, enum=HW_TYPES)
V2_PKTTYPE = Field("sll.pkttype", "Packet type", at=10, size=1, enum=PACKET_TYPES)
V2_HALEN = Field("sll.halen", "Link-layer address length", at=11, size=1)
SRC_ETH = Field("sll.src.eth", "Source", ETHER)
SRC_OTHER = Field("sll.src.other", "Source", "bytes")  # Wireshark's name
UNUSED = Field("sll.unused", "Unused", "bytes")


def _walker(header: int, type_at: int, halen_at: int, halen_size: int, address_at: int):
    def walk(layer: Layer) -> None:
        layer.need(header, "sll")
        layer.header_end = layer.start + header
        halen = layer.u8(halen_at) if halen_size == 1 else layer.u16(halen_at)
        layer.state["halen"] = min(halen, 8)
        layer.state["address_at"] = address_at
        layer.next = ("ethertype", layer.u16(type_at))

    return walk


def _items(layer: Layer, out: list) -> None:
    at, halen = layer.state["address_at"], layer.state["halen"]
    if halen == 6:
        layer.add(out, SRC_ETH, at, 6, MAC(bytes(layer.bytes_at(at, 6))))
        if layer.bytes_at(at + 6, 2):
            layer.add(out, UNUSED, at + 6, 2, layer.bytes_at(at + 6, 2))
    elif halen:
        layer.add(out, SRC_OTHER, at, halen, layer.bytes_at(at, halen))
    # the address goes where it sits: after the length in v1, last in v2
    out.sort(key=lambda item: item.start)


def _info(layer: Layer) -> str:
    return f"Linux cooked capture, protocol 0x{layer.next[1]:04x}" if layer.next else ""


SLL = Protocol(
    "sll",
    "Linux cooked capture v1",
    "SLL",
    fields=(V1_PKTTYPE, V1_HATYPE, V1_HALEN, SRC_ETH, SRC_OTHER, UNUSED, V1_ETYPE),
    walk=_walker(16, 14, 4, 2, 6),
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
        SRC_OTHER,
        UNUSED,
    ),
    walk=_walker(20, 0, 11, 1, 12),
    items=_items,
    info=_info,
    binds=(("link_type", 276),),
    addresses=("sll.src.eth", ""),
)
