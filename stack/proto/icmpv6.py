"""ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861) and MLD, declared once.

Errors quote the offending IPv6 packet (inner layers, as ICMP); ND messages carry options
(link-layer addresses, prefixes, MTU) that the tree lists and the filter reads.
"""

from __future__ import annotations

from stack.proto import transport
from stack.proto.model import BOOL, ETHER, HEX, IPV6, Field, Layer, Protocol, mac_text

TYPES = {
    1: "Destination Unreachable",
    2: "Packet Too Big",
    3: "Time Exceeded",
    4: "Parameter Problem",
    128: "Echo (ping) request",
    129: "Echo (ping) reply",
    130: "Multicast Listener Query",
    131: "Multicast Listener Report",
    132: "Multicast Listener Done",
    133: "Router Solicitation",
    134: "Router Advertisement",
    135: "Neighbor Solicitation",
    136: "Neighbor Advertisement",
    137: "Redirect",
    143: "Multicast Listener Report Message v2",
}
UNREACHABLE = {
    0: "no route to destination",
    1: "communication with destination administratively prohibited",
    3: "Address unreachable",
    4: "Port unreachable",
}
OPTIONS = {
    1: "Source link-layer address",
    2: "Target link-layer address",
    3: "Prefix information",
    4: "Redirected header",
    5: "MTU",
    14: "Nonce",  # RFC 3971; the kernel puts one on its duplicate address detection (RFC 7527)
    25: "Recursive DNS Server",
}

TYPE = Field("icmpv6.type", "Type", at=0, size=1, enum=TYPES)
CODE = Field("icmpv6.code", "Code", at=1, size=1)
CHECKSUM = Field("icmpv6.checksum", "Checksum", base=HEX, at=2, size=2)
STATUS = transport.status_field("icmpv6")
ECHO_ID = Field("icmpv6.echo.identifier", "Identifier", base=HEX, size=2)
ECHO_SEQ = Field("icmpv6.echo.sequence_number", "Sequence")
RESERVED = Field("icmpv6.reserved", "Reserved", "bytes")
MTU = Field("icmpv6.mtu", "MTU")
NS_TARGET = Field("icmpv6.nd.ns.target_address", "Target Address", IPV6)
NA_TARGET = Field("icmpv6.nd.na.target_address", "Target Address", IPV6)
NA_FLAGS = Field("icmpv6.nd.na.flag", "Flags", base=HEX, size=4)
NA_R = Field("icmpv6.nd.na.flag.r", "Router", BOOL, size=4, mask=0x80000000)
NA_S = Field("icmpv6.nd.na.flag.s", "Solicited", BOOL, size=4, mask=0x40000000)
NA_O = Field("icmpv6.nd.na.flag.o", "Override", BOOL, size=4, mask=0x20000000)
NA_RESERVED = Field("icmpv6.nd.na.flag.rsv", "Reserved", size=4, mask=0x1FFFFFFF)
RA_HOPS = Field("icmpv6.nd.ra.cur_hop_limit", "Cur hop limit")
RA_FLAGS = Field("icmpv6.nd.ra.flag", "Flags", base=HEX, size=1)
RA_LIFETIME = Field("icmpv6.nd.ra.router_lifetime", "Router lifetime (s)")
RA_REACHABLE = Field("icmpv6.nd.ra.reachable_time", "Reachable time (ms)")
RA_RETRANS = Field("icmpv6.nd.ra.retrans_timer", "Retrans timer (ms)")
RD_TARGET = Field("icmpv6.nd.rd.target_address", "Target Address", IPV6)
RD_DST = Field("icmpv6.nd.rd.destination_address", "Destination Address", IPV6)
MLD_DELAY = Field("icmpv6.mld.maximum_response_delay", "Maximum Response Delay [ms]")
MLD_ADDR = Field("icmpv6.mld.multicast_address", "Multicast Address", IPV6)
MLDR_COUNT = Field("icmpv6.mldr.nb_mcast_records", "Number of Multicast Address Records")
MLDR_ADDR = Field("icmpv6.mldr.mar.multicast_address", "Multicast Address", IPV6)
MLDR_RECORD = Field("icmpv6.mldr.mar", "Multicast Address Record", "none")
MLDR_TYPE = Field("icmpv6.mldr.mar.record_type", "Record Type")
MLDR_AUX = Field("icmpv6.mldr.mar.aux_data_len", "Aux Data Len")
MLDR_SOURCES = Field("icmpv6.mldr.mar.nb_sources", "Number of Sources")
MLDR_SOURCE = Field("icmpv6.mldr.mar.source_address", "Source Address", IPV6)
_RECORD_TYPES = {  # RFC 3810 §5.2.12, named as tshark names them
    1: "Include",
    2: "Exclude",
    3: "Changed to include",
    4: "Changed to exclude",
    5: "Allow new sources",
    6: "Block old sources",
}
OPT = Field("icmpv6.opt", "ICMPv6 Option", "none")
OPT_NONCE = Field("icmpv6.opt.nonce", "Nonce", "bytes")
OPT_TYPE = Field("icmpv6.opt.type", "Type", enum=OPTIONS)
OPT_LEN = Field("icmpv6.opt.length", "Length", text=lambda v: f"{v} ({v * 8} bytes)")
OPT_LINK = Field("icmpv6.opt.linkaddr", "Link-layer address", ETHER)
OPT_SRC_LINK = Field("icmpv6.opt.src_linkaddr", "Source Link-layer address", ETHER, hidden=True)
OPT_TGT_LINK = Field("icmpv6.opt.target_linkaddr", "Target Link-layer address", ETHER, hidden=True)
OPT_PREFIX_LEN = Field("icmpv6.opt.prefix.length", "Prefix Length")
OPT_PREFIX = Field("icmpv6.opt.prefix", "Prefix", IPV6)
OPT_MTU = Field("icmpv6.opt.mtu", "MTU")
ERRORS = (1, 2, 3, 4)


def _walk(layer: Layer) -> None:
    layer.need(4, "icmpv6")
    kind = layer.u8(0)
    layer.header_end = layer.end
    if kind in (128, 129) and layer.end - layer.start > 8:
        layer.header_end = layer.start + 8
        layer.next = ("icmpv6.data", kind)  # Data, as Wireshark shows an echo's payload
    if kind < 128:
        layer.state["colour"] = "icmp-error"
        layer.need(8, "icmpv6")
        if layer.end > layer.start + 8:
            layer.frame.quote(layer, layer.start + 8, layer.end, ("ethertype", 0x86DD))


def _items(layer: Layer, out: list) -> None:
    kind, code = layer.u8(0), layer.u8(1)
    for item in out:
        if item.field is CHECKSUM:
            value, expected, text = transport.verdict(layer, 58, 2)
            item.text = f"Checksum: 0x{value:04x} {text}"
            status = layer.add([], STATUS, 2, 0, transport.status(expected, value))
            out.insert(out.index(item) + 1, status)  # beside the checksum, as Wireshark shows it
        elif item.field is CODE and kind == 1 and code in UNREACHABLE:
            item.text = f"Code: {code} ({UNREACHABLE[code]})"
    size = layer.end - layer.start
    if size < 8:
        return
    if kind in (128, 129):
        layer.add(out, ECHO_ID, 4, 2, layer.u16(4), text=f"Identifier: 0x{layer.u16(4):04x}")
        layer.add(out, ECHO_SEQ, 6, 2, layer.u16(6))
        return
    if kind == 2:
        layer.add(out, MTU, 4, 4, layer.u32(4))
        return
    if kind < 128:
        layer.add(out, RESERVED, 4, 4, layer.bytes_at(4, 4))
        return
    at = 8
    if kind == 133:
        layer.add(out, RESERVED, 4, 4, layer.bytes_at(4, 4))
    elif kind == 134:
        layer.add(out, RA_HOPS, 4, 1, layer.u8(4))
        layer.add(out, RA_FLAGS, 5, 1, layer.u8(5), text=f"Flags: 0x{layer.u8(5):02x}")
        layer.add(out, RA_LIFETIME, 6, 2, layer.u16(6))
        layer.add(out, RA_REACHABLE, 8, 4, layer.u32(8))
        layer.add(out, RA_RETRANS, 12, 4, layer.u32(12))
        at = 16
    elif kind == 135:
        layer.add(out, RESERVED, 4, 4, layer.bytes_at(4, 4))
        layer.add(out, NS_TARGET, 8, 16, _addr(layer, 8))
        at = 24
    elif kind == 136:
        word = layer.u32(4)
        names = [
            n
            for bit, n in ((1 << 31, "Router"), (1 << 30, "Solicited"), (1 << 29, "Override"))
            if word & bit
        ]
        children = [
            layer.add([], f, 4, 4, bool(word & f.mask), raw=word) for f in (NA_R, NA_S, NA_O)
        ]
        children.append(layer.add([], NA_RESERVED, 4, 4, word & NA_RESERVED.mask, raw=word))
        layer.add(
            out,
            NA_FLAGS,
            4,
            4,
            word,
            children=children,
            text=f"Flags: 0x{word:08x}, {', '.join(names) or 'none'}",
        )
        layer.add(out, NA_TARGET, 8, 16, _addr(layer, 8))
        at = 24
    elif kind == 137:
        layer.add(out, RESERVED, 4, 4, layer.bytes_at(4, 4))
        layer.add(out, RD_TARGET, 8, 16, _addr(layer, 8))
        layer.add(out, RD_DST, 24, 16, _addr(layer, 24))
        at = 40
    elif kind in (130, 131, 132):
        layer.add(out, MLD_DELAY, 4, 2, layer.u16(4))
        layer.add(out, RESERVED, 6, 2, layer.bytes_at(6, 2))
        layer.add(out, MLD_ADDR, 8, 16, _addr(layer, 8))
        return
    elif kind == 143:
        layer.add(out, RESERVED, 4, 2, layer.bytes_at(4, 2))
        count = layer.u16(6)
        layer.add(out, MLDR_COUNT, 6, 2, count)
        pos = 8
        for _ in range(count):
            if pos + 20 > size:
                break
            rtype, aux, sources = layer.u8(pos), layer.u8(pos + 1), layer.u16(pos + 2)
            length = 20 + sources * 16 + aux * 4
            name = _RECORD_TYPES.get(rtype)
            address = layer.add([], MLDR_ADDR, pos + 4, 16, _addr(layer, pos + 4))
            children = [
                layer.add(
                    [], MLDR_TYPE, pos, 1, rtype, text=f"Record Type: {name or 'Unknown'} ({rtype})"
                ),
                layer.add([], MLDR_AUX, pos + 1, 1, aux),
                layer.add([], MLDR_SOURCES, pos + 2, 2, sources),
                address,
            ]
            for i in range(sources):
                at_source = pos + 20 + 16 * i
                if at_source + 16 > size:
                    break
                children.append(layer.add([], MLDR_SOURCE, at_source, 16, _addr(layer, at_source)))
            layer.add(
                out,
                MLDR_RECORD,
                pos,
                length,
                None,
                children=children,
                text=f"Multicast Address Record {name or f'Unknown Record Type ({rtype})'}: {address.value}",
            )
            pos += length
        return
    _options(layer, out, at, size)


def _addr(layer: Layer, at: int):
    from ipaddress import IPv6Address

    return IPv6Address(layer.bytes_at(at, 16))


def _options(layer: Layer, out: list, at: int, size: int) -> None:
    while at + 2 <= size:
        kind, length = layer.u8(at), layer.u8(at + 1)
        if length == 0:
            break
        end = at + length * 8
        name = OPTIONS.get(kind, f"Unknown ({kind})")
        children = [layer.add([], OPT_TYPE, at, 1, kind), layer.add([], OPT_LEN, at + 1, 1, length)]
        label = f"ICMPv6 Option ({name})"
        if kind in (1, 2) and length == 1:
            mac = layer.bytes_at(at + 2, 6)
            from stack.wire.mac import MAC

            value = MAC(bytes(mac))
            hidden = OPT_SRC_LINK if kind == 1 else OPT_TGT_LINK
            children.append(
                # named as tshark names it (its vendor's prefix, or the address again)
                layer.add(
                    [], OPT_LINK, at + 2, 6, value, text=f"Link-layer address: {mac_text(mac)}"
                )
            )
            children.append(
                layer.add([], hidden, at + 2, 6, value, text=f"[{hidden.label}: {value}]")
            )
            label = f"ICMPv6 Option ({name} : {value})"
        elif kind == 3 and length == 4:
            children.append(layer.add([], OPT_PREFIX_LEN, at + 2, 1, layer.u8(at + 2)))
            children.append(layer.add([], OPT_PREFIX, at + 16, 16, _addr(layer, at + 16)))
            label = f"ICMPv6 Option ({name} : {_addr(layer, at + 16)}/{layer.u8(at + 2)})"
        elif kind == 14:
            nonce = layer.bytes_at(at + 2, min(end, size) - at - 2)
            children.append(layer.add([], OPT_NONCE, at + 2, len(nonce), nonce))
        elif kind == 5 and length == 1:
            children.append(layer.add([], OPT_MTU, at + 4, 4, layer.u32(at + 4)))
            label = f"ICMPv6 Option ({name} : {layer.u32(at + 4)})"
        layer.add(out, OPT, at, min(end, size) - at, None, children=children, text=label)
        at = end


def _hop_limit(layer: Layer) -> int | None:
    ip = transport.carrier(layer)
    return layer.data[ip.start + 7] if ip is not None and ip.protocol.name == "ipv6" else None


def _info(layer: Layer) -> str:
    kind = layer.u8(0)
    name = TYPES.get(kind, f"Unknown ICMPv6 type {kind}")
    size = layer.end - layer.start
    if kind in (128, 129) and size >= 8:
        hops = _hop_limit(layer)
        return f"{name} id=0x{layer.u16(4):04x}, seq={layer.u16(6)}" + (
            f", hop limit={hops}" if hops is not None else ""
        )
    if kind == 135 and size >= 24:
        text = f"{name} for {_addr(layer, 8)}"
        link = layer.value("icmpv6.opt.src_linkaddr")
        return text + (f" from {link}" if link is not None else "")
    if kind == 136 and size >= 24:
        word = layer.u32(4)
        flags = ", ".join(
            n for bit, n in ((1 << 31, "rtr"), (1 << 30, "sol"), (1 << 29, "ovr")) if word & bit
        )
        text = f"{name} {_addr(layer, 8)}" + (f" ({flags})" if flags else "")
        link = layer.value("icmpv6.opt.target_linkaddr")
        return text + (f" is at {link}" if link is not None else "")
    if kind in (133, 134):
        link = layer.value("icmpv6.opt.src_linkaddr")
        return name + (f" from {link}" if link is not None else "")
    return name


PROTOCOL = Protocol(
    "icmpv6",
    "Internet Control Message Protocol v6",
    "ICMPv6",
    fields=(
        TYPE,
        CODE,
        CHECKSUM,
        STATUS,
        ECHO_ID,
        ECHO_SEQ,
        RESERVED,
        MTU,
        NS_TARGET,
        NA_TARGET,
        NA_FLAGS,
        NA_R,
        NA_S,
        NA_O,
        NA_RESERVED,
        RA_HOPS,
        RA_FLAGS,
        RA_LIFETIME,
        RA_REACHABLE,
        RA_RETRANS,
        RD_TARGET,
        RD_DST,
        MLD_DELAY,
        MLD_ADDR,
        MLDR_COUNT,
        MLDR_ADDR,
        MLDR_RECORD,
        MLDR_TYPE,
        MLDR_AUX,
        MLDR_SOURCES,
        MLDR_SOURCE,
        OPT,
        OPT_NONCE,
        OPT_TYPE,
        OPT_LEN,
        OPT_LINK,
        OPT_SRC_LINK,
        OPT_TGT_LINK,
        OPT_PREFIX_LEN,
        OPT_PREFIX,
        OPT_MTU,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    binds=(("ip.proto", 58),),
    colour="icmp",
    checksum=lambda layer: transport.status(*reversed(transport.verdict(layer, 58, 2)[:2])),
)
