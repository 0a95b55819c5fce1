"""IPv4 (RFC 791), declared once for the packet list, tree, filter and checksum verdict.

Lenient as Wireshark: a total length of 0 in a frame over 1,514 bytes is a TSO frame (the
payload is what the frame holds); a fragment is "Fragmented IP protocol" and its payload is
not dissected from this frame alone (reassembly, across frames, dissects the datagram).
"""

from __future__ import annotations

from stack.proto import ipproto
from stack.proto.model import BOOL, HEX, HEX_DEC, IPV4, NONE, Field, Layer, Protocol, Stop
from stack.wire.checksum import internet_checksum

PROTOCOL_NAMES = {
    0: "IPv6 Hop-by-Hop Option",
    1: "ICMP",
    2: "IGMP",
    4: "IPIP",
    6: "TCP",
    17: "UDP",
    41: "IPv6",
    43: "IPv6 Routing",
    44: "IPv6 Fragment",
    47: "GRE",
    50: "ESP",
    51: "AH",
    58: "ICMPv6",
    59: "IPv6 No Next Header",
    60: "IPv6 Destination Options",
    89: "OSPF",
    103: "PIM",
    112: "VRRP",
    132: "SCTP",
}
CHECKSUM_STATUS = {0: "Bad", 1: "Good", 2: "Unverified"}

VERSION = Field("ip.version", "Version", at=0, size=1, mask=0xF0)
HDR_LEN = Field(
    "ip.hdr_len",
    "Header Length",
    at=0,
    size=1,
    mask=0x0F,
    scale=4,
    text=lambda v: f"{v} bytes ({v // 4})",
)
DSFIELD = Field("ip.dsfield", "Differentiated Services Field", base=HEX, at=1, size=1)
DSCP_NAMES = {
    0: "Default",
    8: "Class Selector 1",
    16: "Class Selector 2",
    24: "Class Selector 3",
    32: "Class Selector 4",
    40: "Class Selector 5",
    48: "Class Selector 6",
    56: "Class Selector 7",
    46: "Expedited Forwarding",
    10: "Assured Forwarding 11",
    12: "Assured Forwarding 12",
    14: "Assured Forwarding 13",
    18: "Assured Forwarding 21",
    26: "Assured Forwarding 31",
    34: "Assured Forwarding 41",
    1: "Lower Effort",
}
ECN_NAMES = {
    0: "Not ECN-Capable Transport",
    1: "ECN-Capable Transport codepoint '01'",
    2: "ECN-Capable Transport codepoint '10'",
    3: "Congestion Experienced",
}


def ds_fields(dscp: str, ecn: str, at: int, size: int, shift: int) -> tuple[Field, Field]:
    """The DSCP and ECN subfields of a differentiated-services octet (RFC 2474, RFC 3168):
    IPv4's DS field, IPv6's Traffic Class, `shift` bits up from the end of `size` bytes at `at`."""
    parts = (
        (dscp, "Differentiated Services Codepoint", 0xFC, DSCP_NAMES),
        (ecn, "Explicit Congestion Notification", 0x03, ECN_NAMES),
    )
    made = [
        Field(name, label, at=at, size=size, mask=bits << shift, sub=True, enum=names)
        for name, label, bits, names in parts
    ]
    return made[0], made[1]


DSCP, ECN = ds_fields("ip.dsfield.dscp", "ip.dsfield.ecn", at=1, size=1, shift=0)
LEN = Field("ip.len", "Total Length", at=2, size=2)
ID = Field("ip.id", "Identification", base=HEX_DEC, at=4, size=2)
FLAGS = Field("ip.flags", "Flags", base=HEX, at=6, size=1, mask=0xE0)
RB = Field("ip.flags.rb", "Reserved bit", BOOL, at=6, size=1, mask=0x80, sub=True)
DF = Field("ip.flags.df", "Don't fragment", BOOL, at=6, size=1, mask=0x40, sub=True)
MF = Field("ip.flags.mf", "More fragments", BOOL, at=6, size=1, mask=0x20, sub=True)
FRAG = Field(
    "ip.frag_offset", "Fragment Offset", at=6, size=2, mask=0x1FFF, text=lambda v: str(v * 8)
)  # tshark: in bytes
TTL = Field("ip.ttl", "Time to Live", at=8, size=1)
PROTO = Field("ip.proto", "Protocol", at=9, size=1, enum=ipproto.LABELS)
CHECKSUM = Field("ip.checksum", "Header Checksum", base=HEX, at=10, size=2)
STATUS = Field(
    "ip.checksum.status",
    "Header checksum status",
    enum=CHECKSUM_STATUS,
    generated=True,
    text=CHECKSUM_STATUS.__getitem__,
)
SRC = Field(
    "ip.src", "Source Address", IPV4, at=12, size=4, also=("ip.addr", "ip.src_host", "ip.host")
)
DST = Field(
    "ip.dst", "Destination Address", IPV4, at=16, size=4, also=("ip.addr", "ip.dst_host", "ip.host")
)
OPTIONS = Field("ip.options", "Options", "bytes")
# Options (RFC 791 §3.1), each under its own line as tshark shows it: the type's copy, class
# and number bits, then its length and value
OPT_LINES = {
    0: Field("ip.options.eol", "IP Option - End of Options List (EOL)", NONE),
    1: Field("ip.options.nop", "IP Option - No-Operation (NOP)", NONE),
    148: Field("ip.options.routeralert", "IP Option - Router Alert", NONE),
}
OPT_TYPE = Field("ip.opt.type", "Type")
OPT_COPY = Field(
    "ip.opt.type.copy",
    "Copy on fragmentation",
    BOOL,
    size=1,
    mask=0x80,
    sub=True,
    text=lambda v: "Yes" if v else "No",
)
OPT_CLASS = Field(
    "ip.opt.type.class",
    "Class",
    size=1,
    mask=0x60,
    sub=True,
    enum={
        0: "Control",
        1: "Reserved for future use",
        2: "Debugging and measurement",
        3: "Reserved for future use",
    },
)
OPT_NUMBER = Field(
    "ip.opt.type.number",
    "Number",
    size=1,
    mask=0x1F,
    sub=True,
    enum={0: "End of Option List (EOL)", 1: "No-Operation (NOP)", 20: "Router Alert"},
)
OPT_LEN = Field("ip.opt.len", "Length")
OPT_RA = Field("ip.opt.ra", "Router Alert")
ADDR = Field("ip.addr", "Source or Destination Address", IPV4, hidden=True)
TSO = Field(
    "ip.len.tso", "Total length 0: a TSO frame, length from the frame", NONE, generated=True
)


def _walk(layer: Layer) -> None:
    layer.need(20, "ip")
    data, start = layer.frame.data, layer.start  # the 20 bytes are there: read them in place
    first = data[start]
    if first >> 4 != 4:
        raise Stop("ip.version", start, f"Bogus IP version ({first >> 4})")
    ihl = (first & 0x0F) * 4
    if ihl < 20:
        raise Stop("ip.hdr_len", start, f"Bogus IP header length ({ihl}, must be at least 20)")
    layer.need(ihl, "ip.options")
    layer.header_end = start + ihl
    total = data[start + 2] << 8 | data[start + 3]
    if total == 0 and layer.frame.wire_length > 1514:
        layer.state["tso"] = True  # Wireshark: "0 (bogus, payload length assumed TSO)"
    elif total < ihl:
        raise Stop("ip.len", start + 2, f"Bogus IP length ({total}, less than header length {ihl})")
    elif start + total <= layer.end:
        layer.end = start + total
    else:
        layer.state["short"] = start + total - layer.end
    proto = data[start + 9]
    if (data[start + 6] << 8 | data[start + 7]) & 0x3FFF:  # more fragments, or not the first:
        layer.state["fragment"] = True  # reassembly's business
        layer.next = ("ip.fragment", proto)  # shown as Data, as tshark does
        return
    layer.next = ("ip.proto", proto)


def _items(layer: Layer, out: list) -> None:
    by = {item.field: item for item in out}
    if DSFIELD in by:
        ds = by[DSFIELD]
        ds.children = [layer.fixed(DSCP), layer.fixed(ECN)]
        ds.text = f"Differentiated Services Field: 0x{ds.value:02x} ({ds_summary(ds.value)})"
    if FLAGS in by:
        flags = by[FLAGS]
        flags.children = [layer.fixed(RB), layer.fixed(DF), layer.fixed(MF)]
        names = [
            n
            for bit, n in ((4, "Reserved bit"), (2, "Don't fragment"), (1, "More fragments"))
            if flags.value & bit
        ]
        flags.text = f"{_bits(flags)} = Flags: 0x{flags.value:x}" + (
            f", {', '.join(names)}" if names else ""
        )
    if layer.state.get("tso") and LEN in by:
        by[
            LEN
        ].text = f"Total Length: 0 (bogus, payload length {layer.end - layer.start} assumed TSO)"
    if CHECKSUM in by:
        item = by[CHECKSUM]
        header = bytearray(layer.data[layer.start : layer.header_end])
        header[10:12] = b"\0\0"
        expected = internet_checksum(bytes(header))
        good = expected == item.value
        item.text = f"Header Checksum: 0x{item.value:04x} " + (
            "[correct]" if good else f"[incorrect, should be 0x{expected:04x}]"
        )
        out.insert(out.index(item) + 1, layer.add([], STATUS, 10, 0, 1 if good else 0))
        layer.state["checksum_ok"] = good
    ihl = layer.header_end - layer.start
    if ihl > 20:
        options = _options(layer, ihl)
        names = ", Router Alert" if any(o.field is OPT_LINES[148] for o in options or ()) else ""
        layer.add(
            out,
            OPTIONS,
            20,
            ihl - 20,
            layer.bytes_at(20, ihl - 20),
            children=options,
            text=f"Options: ({ihl - 20} bytes){names}",
        )
    if layer.state.get("short") and not layer.frame.truncated_at(layer.end):
        layer.add(
            out,
            TSO,
            2,
            0,
            None,
            text=(
                f"[IPv4 total length exceeds the frame by {layer.state['short']} bytes: dissected up to where the bytes end]"
            ),
        )


def _bits(item) -> str:
    from stack.proto.model import bit_pattern

    return bit_pattern(item.raw, item.field.mask, item.field.size)


_ECN = {0: "Not-ECT", 1: "ECT(1)", 2: "ECT(0)", 3: "CE"}
_DSCP = {
    0: "CS0",
    8: "CS1",
    16: "CS2",
    24: "CS3",
    32: "CS4",
    40: "CS5",
    48: "CS6",
    56: "CS7",
    46: "EF",
    10: "AF11",
    12: "AF12",
    14: "AF13",
    18: "AF21",
    20: "AF22",
    22: "AF23",
    26: "AF31",
    28: "AF32",
    30: "AF33",
    34: "AF41",
    36: "AF42",
    38: "AF43",
    44: "VOICE-ADMIT",
    1: "LE",
}


def ds_summary(octet: int) -> str:
    """ "DSCP: EF, ECN: Not-ECT", as the DS field's and the Traffic Class's lines end."""
    dscp = octet >> 2
    return f"DSCP: {_DSCP.get(dscp, f'Unknown ({dscp})')}, ECN: {_ECN[octet & 3]}"


def _summary(layer: Layer) -> str:
    return f", Src: {layer.value('ip.src')}, Dst: {layer.value('ip.dst')}"


def proto_text(proto: int) -> str:
    name = PROTOCOL_NAMES.get(proto)
    return f"{name} {proto}" if name else str(proto)


def _info(layer: Layer) -> str:
    proto = layer.u8(9)
    if layer.state.get("fragment"):
        word = layer.u16(6)
        return f"Fragmented IP protocol (proto={proto_text(proto)}, off={(word & 0x1FFF) * 8}, ID={layer.u16(4):04x})"
    return f"IPv4 protocol {proto_text(proto)}"


def _options(layer: Layer, ihl: int) -> list | None:
    """Each option under the Options line, when they are all ones shown so (End of Options
    List, No-Operation, Router Alert); else None, the options shown as their bytes."""
    items, pos = [], 20
    while pos < ihl:
        kind = layer.u8(pos)
        line = OPT_LINES.get(kind)
        if line is None:
            return None
        bits = [
            layer.fixed(OPT_COPY, pos),
            layer.fixed(OPT_CLASS, pos),
            layer.fixed(OPT_NUMBER, pos),
        ]
        parts = [layer.add([], OPT_TYPE, pos, 1, kind, children=bits)]
        if kind == 148:
            if pos + 4 > ihl or layer.u8(pos + 1) != 4:
                return None
            value = layer.u16(pos + 2)
            said = f"{'Router shall examine packet' if value == 0 else 'Reserved'} ({value})"
            parts.append(layer.add([], OPT_LEN, pos + 1, 1, 4))
            parts.append(layer.add([], OPT_RA, pos + 2, 2, value, text=f"Router Alert: {said}"))
            text = f"{line.label} (4 bytes): {said}"
            items.append(layer.add([], line, pos, 4, None, children=parts, text=text))
            pos += 4
            continue
        size = ihl - pos if kind == 0 else 1  # the list ends: the rest is its padding
        items.append(layer.add([], line, pos, size, None, children=parts, text=line.label))
        pos += size
    return items


def checksum_status(layer: Layer) -> int:
    header = bytearray(layer.data[layer.start : layer.header_end])
    value = header[10] << 8 | header[11]
    header[10:12] = b"\0\0"
    return 1 if internet_checksum(bytes(header)) == value else 0


PROTOCOL = Protocol(
    "ip",
    "Internet Protocol Version 4",
    "IPv4",
    fields=(
        VERSION,
        HDR_LEN,
        DSFIELD,
        LEN,
        ID,
        FLAGS,
        FRAG,
        TTL,
        PROTO,
        CHECKSUM,
        SRC,
        DST,
        OPTIONS,
        *OPT_LINES.values(),
        OPT_TYPE,
        OPT_COPY,
        OPT_CLASS,
        OPT_NUMBER,
        OPT_LEN,
        OPT_RA,
        STATUS,
        RB,
        DF,
        MF,
        DSCP,
        ECN,
        TSO,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("ethertype", 0x0800),),
    addresses=("ip.src", "ip.dst"),
    colour="ip",
    checksum=checksum_status,
)
