"""IPv6 (RFC 8200) with its extension headers, declared once for the list, tree and filter.

Hop-by-Hop, Routing, Fragment and Destination Options headers are walked inside the IPv6
layer (as Wireshark nests them) so the next layer is what the last one names. A fragment
is "Fragmented IP protocol", as for IPv4.
"""

from __future__ import annotations

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
    )
    for kind, (short, title) in EXT_NAMES.items()
    if kind != 44
}
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
        head, nxt, length = EXT_FIELDS[nh]
        children = [
            layer.add([], nxt, at, 1, layer.u8(at)),
            layer.add([], length, at + 1, 1, layer.u8(at + 1)),
        ]
        if nh in (0, 60):
            pos = at + 2
            while pos < at + size:
                kind = layer.u8(pos)
                parts = [layer.add([], OPT_TYPE, pos, 1, kind)]
                name = OPT_TYPE.enum.get(kind, f"Unknown (0x{kind:02x})")
                if kind == 0:
                    children.append(
                        layer.add([], OPTION, pos, 1, None, children=parts, text="Pad1")
                    )
                    pos += 1
                    continue
                olen = layer.u8(pos + 1)
                parts.append(layer.add([], OPT_LEN, pos + 1, 1, olen))
                if kind == 5 and olen == 2:
                    value = layer.u16(pos + 2)
                    parts.append(
                        layer.add(
                            [],
                            ROUTER_ALERT,
                            pos + 2,
                            2,
                            value,
                            text=f"Router Alert: {'MLD' if value == 0 else value} ({value})",
                        )
                    )
                elif kind == 1 and olen:
                    parts.append(
                        layer.add([], OPT_PADN, pos + 2, olen, layer.bytes_at(pos + 2, olen))
                    )
                children.append(
                    layer.add([], OPTION, pos, 2 + olen, None, children=parts, text=name)
                )
                pos += 2 + olen
        layer.add(out, head, at, size, None, children=children, text=EXT_NAMES[nh][1])


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
        *(f for trio in EXT_FIELDS.values() for f in trio),
    ),
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("ethertype", 0x86DD), ("ip.proto", 41)),
    addresses=("ipv6.src", "ipv6.dst"),
    colour="ip",
)
