"""IPv6 (RFC 8200) with its extension headers, declared once for the list, tree and filter.

Hop-by-Hop, Routing, Fragment and Destination Options headers are walked inside the IPv6
layer (as Wireshark nests them) so the next layer is what the last one names. A fragment
is "Fragmented IP protocol", as for IPv4.
"""

from __future__ import annotations

from ipaddress import IPv6Address

from stack.proto import ipproto
from stack.proto.ipv4 import ds_fields, ds_summary, proto_text
from stack.proto.model import HEX, IPV6, Field, Layer, Protocol, Stop

VERSION = Field("ipv6.version", "Version", at=0, size=1, mask=0xF0, also=("ip.version",))
TCLASS = Field("ipv6.tclass", "Traffic Class", base=HEX, at=0, size=4, mask=0x0FF00000)
TCLASS_DSCP, TCLASS_ECN = ds_fields("ipv6.tclass.dscp", "ipv6.tclass.ecn", at=0, size=4, shift=20)
FLOW = Field("ipv6.flow", "Flow Label", base=HEX, at=1, size=3, mask=0x0FFFFF)
PLEN = Field("ipv6.plen", "Payload Length", at=4, size=2)
NXT = Field("ipv6.nxt", "Next Header", at=6, size=1, enum=ipproto.LABELS)
HLIM = Field("ipv6.hlim", "Hop Limit", at=7, size=1)
SRC = Field(
    "ipv6.src",
    "Source Address",
    IPV6,
    at=8,
    size=16,
    also=("ipv6.addr", "ipv6.src_host", "ipv6.host"),
)
DST = Field(
    "ipv6.dst",
    "Destination Address",
    IPV6,
    at=24,
    size=16,
    also=("ipv6.addr", "ipv6.dst_host", "ipv6.host"),
)
ADDR = Field("ipv6.addr", "Source or Destination Address", IPV6, hidden=True)
EXT_NAMES = {
    0: ("hopopts", "IPv6 Hop-by-Hop Option"),
    43: ("routing", "Routing Header for IPv6"),
    44: ("fraghdr", "Fragment Header for IPv6"),
    60: ("dstopts", "Destination Options for IPv6"),
}
EXT_FIELDS = {
    kind: (
        Field(f"ipv6.{short}", title, "none"),
        Field(f"ipv6.{short}.nxt", "Next Header", enum=ipproto.LABELS),
        Field(f"ipv6.{short}.len", "Length"),
        # the header's size in bytes, as tshark works it out: (Length + 1) · 8
        Field(f"ipv6.{short}.len_oct", "Length", generated=True, text=lambda v: f"{v} bytes"),
    )
    for kind, (short, title) in EXT_NAMES.items()
    if kind != 44
}
ROUTING_TYPES = {
    0: "Source Route",
    2: "Type 2 Routing",
    3: "RPL Source Route",
    4: "Segment Routing",
}
ROUTING_TYPE = Field("ipv6.routing.type", "Type", enum=ROUTING_TYPES)
ROUTING_LEFT = Field("ipv6.routing.segleft", "Segments Left")
SOURCE_RESERVED = Field("ipv6.routing.src.reserved", "Reserved", "bytes")
SOURCE_ADDRESS = Field("ipv6.routing.src.addr", "Address", IPV6)
SRH_LAST = Field("ipv6.routing.srh.last_entry", "Last Entry")
SRH_FLAGS = Field("ipv6.routing.srh.flags", "Flags", base=HEX, size=1)
SRH_TAG = Field("ipv6.routing.srh.tag", "Tag", base=HEX, size=2, text=lambda v: f"{v:04x}")
SRH_ADDRESS = Field("ipv6.routing.srh.addr", "Address", IPV6)
# The Fragment header has no length: its second byte is reserved, and the offset, two reserved
# bits and the M flag share one 16-bit word (tshark shows each with its bits)
FRAG_HEAD = Field("ipv6.fraghdr", "Fragment Header for IPv6", "none")
FRAG_NXT = Field("ipv6.fraghdr.nxt", "Next header", enum=ipproto.LABELS)
FRAG_RESERVED = Field("ipv6.fraghdr.reserved_octet", "Reserved octet", base=HEX, size=1)
FRAG_OFFSET = Field(
    "ipv6.fraghdr.offset", "Offset", size=2, mask=0xFFF8, text=lambda v: f"{v} ({v * 8} bytes)"
)
FRAG_RESERVED_BITS = Field("ipv6.fraghdr.reserved_bits", "Reserved bits", size=2, mask=0x0006)
FRAG_MORE = Field(
    "ipv6.fraghdr.more",
    "More Fragments",
    "bool",
    size=2,
    mask=0x0001,
    text=lambda v: "Yes" if v else "No",
)
FRAG_ID = Field("ipv6.fraghdr.ident", "Identification", base=HEX, size=4)
ROUTER_ALERT = Field("ipv6.opt.router_alert", "Router Alert", enum={0: "MLD"})
OPTION = Field("ipv6.opt", "IPv6 Option", "none")
OPT_TYPE = Field(
    "ipv6.opt.type",
    "Type",
    base=HEX,
    enum={0: "Pad1", 1: "PadN", 5: "Router Alert", 194: "Jumbo Payload"},
)
OPT_LEN = Field("ipv6.opt.length", "Length")
OPT_PADN = Field("ipv6.opt.padn", "PadN", "bytes")
OPT_PAD1 = Field("ipv6.opt.pad1", "Pad1", "none")
# An option type's top bits say what a node that does not know it does (RFC 8200 §4.2)
OPT_ACTION = Field(
    "ipv6.opt.type.action",
    "Action",
    size=1,
    mask=0xC0,
    sub=True,
    enum={
        0: "Skip and continue",
        1: "Discard",
        2: "Discard and send ICMP Parameter Problem",
        3: "Discard and send ICMP if not multicast",
    },
)
OPT_CHANGE = Field(
    "ipv6.opt.type.change",
    "May Change",
    "bool",
    size=1,
    mask=0x20,
    sub=True,
    text=lambda v: "Yes" if v else "No",
)
OPT_REST = Field("ipv6.opt.type.rest", "Low-Order Bits", base=HEX, size=1, mask=0x1F, sub=True)
OPT_TEL = Field("ipv6.opt.tel", "Tunnel Encapsulation Limit")
OPT_JUMBO = Field("ipv6.opt.jumbo", "Payload Length")
OPT_EXPERIMENTAL = Field("ipv6.opt.experimental", "Experimental Option", "bytes")
OPT_UNKNOWN = Field("ipv6.opt.unknown", "Unknown Option Payload", "bytes")
# The option types tshark 4.0 names (IANA's registry); 0x1E, 0x3E, … 0xFE are RFC 4727's
# experimental ones.
OPTION_NAMES = {
    0x00: "Pad1",
    0x01: "PadN",
    0x04: "Tunnel Encapsulation Limit",
    0x05: "Router Alert",
    0x07: "CALIPSO",
    0x08: "SMF_DPD",
    0x0F: "Performance and Diagnostic Metrics",
    0x26: "Quick-Start",
    0x30: "Path MTU Option",
    0x31: "IOAM Option",
    0x41: "Tunnel Payload Forwarding (TPF) Information",
    0x63: "RPL Option",
    0x6D: "MPL Option",
    0x8A: "Endpoint Identification",
    0x8B: "ILNP Nonce",
    0x8C: "Line-Identification Option",
    0xC2: "Jumbo Payload",
    0xC9: "Home Address",
    0xEE: "IP_DFF",
    **{kind: f"Experimental (0x{kind:02X})" for kind in range(0x1E, 0x100, 0x20)},
}


def _walk(layer: Layer) -> None:
    layer.need(40, "ipv6")
    if layer.u8(0) >> 4 != 6:
        raise Stop("ipv6.version", layer.start, f"Bogus IP version ({layer.u8(0) >> 4})")
    plen = layer.u16(4)
    if plen == 0 and layer.frame.wire_length > 1514:
        layer.state["tso"] = True
    elif layer.start + 40 + plen <= layer.end:
        layer.end = layer.start + 40 + plen
    else:
        layer.state["short"] = layer.start + 40 + plen - layer.end
    nh, at = layer.u8(6), 40
    exts = []
    while nh in EXT_NAMES:
        layer.need(at + 8, f"ipv6.{EXT_NAMES[nh][0]}")
        size = 8 if nh == 44 else (layer.u8(at + 1) + 1) * 8
        layer.need(at + size, f"ipv6.{EXT_NAMES[nh][0]}")
        exts.append((nh, at, size))
        if nh == 44 and layer.u16(at + 2) & 0xFFF9:  # offset or more fragments
            layer.state["fragment"] = (layer.u8(at), layer.u16(at + 2) >> 3, layer.u32(at + 4))
        nh = layer.u8(at)
        at += size
    layer.state["exts"] = exts
    layer.state["nh"] = nh
    layer.header_end = layer.start + at
    if "fragment" in layer.state:
        layer.next = ("ip.fragment", nh)
    elif nh != 59:
        layer.next = ("ip.proto", nh)


def _items(layer: Layer, out: list) -> None:
    for item in out:
        if item.field is TCLASS:
            v = item.value
            item.text = f".... {_bits8(v)} .... .... .... .... .... = Traffic Class: 0x{v:02x} ({ds_summary(v)})"
            item.children = [layer.fixed(TCLASS_DSCP), layer.fixed(TCLASS_ECN)]
        elif item.field is FLOW:
            item.text = f".... {_flow_bits(item.value)[15:]} = Flow Label: 0x{item.value:05x}"
    for nh, at, size in layer.state.get("exts", ()):
        if nh == 44:
            word = layer.u16(at + 2)
            children = [
                layer.add([], FRAG_NXT, at, 1, layer.u8(at)),
                layer.add([], FRAG_RESERVED, at + 1, 1, layer.u8(at + 1)),
                layer.add([], FRAG_OFFSET, at + 2, 2, word >> 3, raw=word),
                layer.add([], FRAG_RESERVED_BITS, at + 2, 2, (word >> 1) & 3, raw=word),
                layer.add([], FRAG_MORE, at + 2, 2, bool(word & 1), raw=word),
                layer.add([], FRAG_ID, at + 4, 4, layer.u32(at + 4)),
            ]
            layer.add(out, FRAG_HEAD, at, size, None, children=children, text=FRAG_HEAD.label)
            continue
        head, nxt, length, octets = EXT_FIELDS[nh]
        children = [
            layer.add([], nxt, at, 1, layer.u8(at)),
            layer.add([], length, at + 1, 1, layer.u8(at + 1)),
            layer.add([], octets, at + 1, 1, size),
        ]
        title = EXT_NAMES[nh][1]
        if nh == 43:
            kind = layer.u8(at + 2)
            children.append(layer.add([], ROUTING_TYPE, at + 2, 1, kind))
            children.append(layer.add([], ROUTING_LEFT, at + 3, 1, layer.u8(at + 3)))
            title += f" ({ROUTING_TYPES.get(kind, 'Unknown')})"
            if kind == 4 and size >= 8:  # RFC 8754's Segment Routing header
                children.append(layer.add([], SRH_LAST, at + 4, 1, layer.u8(at + 4)))
                children.append(layer.add([], SRH_FLAGS, at + 5, 1, layer.u8(at + 5)))
                children.append(layer.add([], SRH_TAG, at + 6, 2, layer.u16(at + 6)))
                _route(layer, children, SRH_ADDRESS, at + 8, at + size, 0)
            if kind == 0:  # RFC 2460's source route: a reserved word, then the addresses
                children.append(
                    layer.add([], SOURCE_RESERVED, at + 4, 4, layer.bytes_at(at + 4, 4))
                )
                _route(layer, children, SOURCE_ADDRESS, at + 8, at + size, 1)
        elif nh in (0, 60):
            _hop_options(layer, children, at + 2, at + size)
        layer.add(out, head, at, size, None, children=children, text=title)


def _route(layer: Layer, children: list, field: Field, at: int, end: int, first: int) -> None:
    """A routing header's addresses, `Address[first]` on (a Segment Routing header counts from
    0, a source route from 1, as tshark numbers them)."""
    for i, pos in enumerate(range(at, end - 15, 16), first):
        address = IPv6Address(layer.bytes_at(pos, 16))
        children.append(layer.add([], field, pos, 16, address, text=f"Address[{i}]: {address}"))


def final_destination(layer: Layer) -> bytes:
    """The destination an upper layer's checksum covers (RFC 8200 §8.1): with a Routing header
    that has segments left, the route's last address (type 0 and 2; a Segment Routing header's
    first segment, RFC 8754), not the next hop in the Destination field."""
    dst = layer.bytes_at(24, 16)
    for nh, at, size in layer.state.get("exts", ()):
        if nh != 43 or not layer.u8(at + 3) or size < 24:
            continue
        kind = layer.u8(at + 2)
        if kind in (0, 2):
            dst = layer.bytes_at(at + 8 + 16 * ((size - 8) // 16 - 1), 16)
        elif kind == 4:
            dst = layer.bytes_at(at + 8, 16)
    return dst


def _hop_options(layer: Layer, children: list, pos: int, end: int) -> None:
    """A Hop-by-Hop or Destination Options header's options (RFC 8200 §4.2), as tshark shows
    them: each type's action bits, then its value where tshark reads one."""
    while pos < end:
        kind = layer.u8(pos)
        name = OPTION_NAMES.get(kind)
        shown = name or "Unknown"
        parts = [layer.add([], OPT_TYPE, pos, 1, kind, text=f"Type: {shown} (0x{kind:02x})")]
        if kind == 0:
            parts.append(layer.add([], OPT_PAD1, pos, 1, None, text="Pad1"))
            children.append(layer.add([], OPTION, pos, 1, None, children=parts, text="Pad1"))
            pos += 1
            continue
        parts[0].children = [
            layer.fixed(OPT_ACTION, pos),
            layer.fixed(OPT_CHANGE, pos),
            layer.fixed(OPT_REST, pos),
        ]
        if pos + 1 >= end:
            break
        olen = min(layer.u8(pos + 1), end - pos - 2)
        parts.append(layer.add([], OPT_LEN, pos + 1, 1, layer.u8(pos + 1)))
        data = layer.bytes_at(pos + 2, olen)
        if kind == 5 and olen == 2:
            value = layer.u16(pos + 2)
            text = f"Router Alert: {'MLD' if value == 0 else value} ({value})"
            parts.append(layer.add([], ROUTER_ALERT, pos + 2, 2, value, text=text))
        elif kind == 1:
            text = None if olen else "PadN: <none>"
            parts.append(layer.add([], OPT_PADN, pos + 2, olen, data, text=text))
        elif kind == 4 and olen == 1:
            parts.append(layer.add([], OPT_TEL, pos + 2, 1, data[0]))
        elif kind == 0xC2 and olen == 4:
            parts.append(layer.add([], OPT_JUMBO, pos + 2, 4, int.from_bytes(data, "big")))
        elif name is None or name.startswith("Experimental"):
            field = OPT_UNKNOWN if name is None else OPT_EXPERIMENTAL
            parts.append(layer.add([], field, pos + 2, olen, data))
        title = name or f"Unknown IPv6 Option ({kind})"
        children.append(layer.add([], OPTION, pos, 2 + olen, None, children=parts, text=title))
        pos += 2 + olen


def _bits8(v: int) -> str:
    b = f"{v:08b}"
    return f"{b[:4]} {b[4:]}"


def _flow_bits(v: int) -> str:
    b = f"{v:020b}"
    return ".... .... .... " + " ".join(b[i : i + 4] for i in range(0, 20, 4))


def _summary(layer: Layer) -> str:
    return f", Src: {layer.value('ipv6.src')}, Dst: {layer.value('ipv6.dst')}"


def _info(layer: Layer) -> str:
    fragment = layer.state.get("fragment")
    if fragment:
        nh, offset, ident = fragment
        return f"IPv6 fragment (off={offset * 8} more={'y' if layer.u16(layer.state['exts'][-1][1] + 2) & 1 else 'n'} ident=0x{ident:08x} nxt={nh})"
    nh = layer.state.get("nh", layer.u8(6))
    return "IPv6 no next header" if nh == 59 else f"IPv6 next header {proto_text(nh)}"


PROTOCOL = Protocol(
    "ipv6",
    "Internet Protocol Version 6",
    "IPv6",
    fields=(
        VERSION,
        TCLASS,
        TCLASS_DSCP,
        TCLASS_ECN,
        FLOW,
        PLEN,
        NXT,
        HLIM,
        SRC,
        DST,
        FRAG_HEAD,
        FRAG_NXT,
        FRAG_RESERVED,
        FRAG_OFFSET,
        FRAG_RESERVED_BITS,
        FRAG_MORE,
        FRAG_ID,
        ROUTER_ALERT,
        OPTION,
        OPT_TYPE,
        OPT_LEN,
        OPT_PADN,
        OPT_PAD1,
        OPT_ACTION,
        OPT_CHANGE,
        OPT_REST,
        OPT_TEL,
        OPT_JUMBO,
        OPT_EXPERIMENTAL,
        OPT_UNKNOWN,
        ROUTING_TYPE,
        ROUTING_LEFT,
        SOURCE_RESERVED,
        SOURCE_ADDRESS,
        SRH_LAST,
        SRH_FLAGS,
        SRH_TAG,
        SRH_ADDRESS,
        *(f for fields in EXT_FIELDS.values() for f in fields),
    ),
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("ethertype", 0x86DD), ("ip.proto", 41)),
    addresses=("ipv6.src", "ipv6.dst"),
    colour="ip",
)
