"""ARP (RFC 826) over Ethernet and IPv4, declared once for the packet list, tree and filter."""

from __future__ import annotations

from stack.proto.ethernet import ETHERTYPES
from stack.proto.model import ETHER, HEX, IPV4, Field, Layer, Protocol

OPCODES = {1: "request", 2: "reply", 3: "reverse request", 4: "reverse reply"}

FIELDS = (
    Field("arp.hw.type", "Hardware type", at=0, size=2, enum={1: "Ethernet"}),
    Field("arp.proto.type", "Protocol type", base=HEX, at=2, size=2, enum=ETHERTYPES),
    Field("arp.hw.size", "Hardware size", at=4, size=1),
    Field("arp.proto.size", "Protocol size", at=5, size=1),
    Field("arp.opcode", "Opcode", at=6, size=2, enum=OPCODES),
    Field("arp.src.hw_mac", "Sender MAC address", ETHER, at=8, size=6),
    Field("arp.src.proto_ipv4", "Sender IP address", IPV4, at=14, size=4),
    Field("arp.dst.hw_mac", "Target MAC address", ETHER, at=18, size=6),
    Field("arp.dst.proto_ipv4", "Target IP address", IPV4, at=24, size=4),
)
LENGTH = 28


def _walk(layer: Layer) -> None:
    layer.need(8, "arp")
    if layer.u16(0) != 1 or layer.u8(4) != 6 or layer.u8(5) != 4 or layer.u16(2) != 0x0800:
        layer.header_end = layer.start + 8  # not Ethernet/IPv4 ARP: the header only
        return
    layer.need(LENGTH, "arp")
    layer.header_end = layer.end = layer.start + LENGTH


def _kind(layer: Layer) -> str:
    op = layer.u16(6)
    if layer.header_end - layer.start < LENGTH:
        return OPCODES.get(op, f"opcode {op}")
    sender, target = layer.bytes_at(14, 4), layer.bytes_at(24, 4)
    if op == 1 and sender == b"\0\0\0\0":
        return "ARP Probe"
    if sender == target and op in (1, 2):
        return (
            "ARP Announcement"
            if op == 1 and layer.bytes_at(18, 6) == b"\0" * 6
            else "Gratuitous ARP"
        )
    return OPCODES.get(op, f"opcode {op}")


def _summary(layer: Layer) -> str:
    return f" ({_kind(layer)})"


def _info(layer: Layer) -> str:
    op = layer.u16(6)
    if layer.header_end - layer.start < LENGTH:
        return f"ARP {OPCODES.get(op, f'opcode {op}')} (not Ethernet/IPv4)"
    sender, target = layer.value("arp.src.proto_ipv4"), layer.value("arp.dst.proto_ipv4")
    if op == 1:
        if int(sender) == 0:
            return f"Who has {target}? (ARP Probe)"
        if sender == target:
            if layer.bytes_at(18, 6) == b"\0" * 6:
                return f"ARP Announcement for {target}"
            return f"Gratuitous ARP for {target} (Request)"
        return f"Who has {target}? Tell {sender}"
    if op == 2:
        if sender == target:
            return f"Gratuitous ARP for {target} (Reply)"
        return f"{sender} is at {layer.bytes_at(8, 6).hex(':')}"
    return f"Unknown ARP opcode 0x{op:04x}"


PROTOCOL = Protocol(
    "arp",
    "Address Resolution Protocol",
    "ARP",
    fields=FIELDS,
    walk=_walk,
    info=_info,
    summary=_summary,
    binds=(("ethertype", 0x0806),),
    colour="arp",
)
