"""TCP (RFC 9293), declared once for the packet list, tree, filter and checksum verdict.

From one frame alone: `tcp.seq` and `tcp.ack` are the numbers on the wire (also `tcp.seq_raw`,
`tcp.ack_raw`) and `tcp.window_size` is the unscaled window; relative numbers, window scaling
and `tcp.analysis.*` need the conversation, which cross-frame state adds on top.
"""

from __future__ import annotations

from stack.proto import model, transport
from stack.proto.model import BOOL, HEX, NONE, STRING, Field, Layer, Protocol, Stop, bit_pattern

FLAG_BITS = (
    (0x800, "res", "Reserved"),
    (0x400, "res", "Reserved"),
    (0x200, "res", "Reserved"),
    (0x100, "ae", "Accurate ECN"),
    (0x80, "cwr", "Congestion Window Reduced"),
    (0x40, "ece", "ECN-Echo"),
    (0x20, "urg", "Urgent"),
    (0x10, "ack", "Acknowledgment"),
    (0x08, "push", "Push"),
    (0x04, "reset", "Reset"),
    (0x02, "syn", "Syn"),
    (0x01, "fin", "Fin"),
)
FLAG_NAMES = (
    (0x01, "FIN"),
    (0x02, "SYN"),
    (0x04, "RST"),
    (0x08, "PSH"),
    (0x10, "ACK"),
    (0x20, "URG"),
    (0x40, "ECE"),
    (0x80, "CWR"),
    (0x100, "AE"),
)
_STR_LETTERS = (
    (0x800, "R"),
    (0x400, "R"),
    (0x200, "R"),
    (0x100, "A"),
    (0x80, "C"),
    (0x40, "E"),
    (0x20, "U"),
    (0x10, "A"),
    (0x08, "P"),
    (0x04, "R"),
    (0x02, "S"),
    (0x01, "F"),
)

SRCPORT = Field("tcp.srcport", "Source Port", at=0, size=2, also=("tcp.port",))
DSTPORT = Field("tcp.dstport", "Destination Port", at=2, size=2, also=("tcp.port",))
SEGLEN = Field("tcp.len", "TCP Segment Len", generated=True)
SEQ = Field("tcp.seq", "Sequence Number", at=4, size=4)
SEQ_RAW = Field("tcp.seq_raw", "Sequence Number (raw)")
ACK_RAW = Field("tcp.ack_raw", "Acknowledgment number (raw)")
NXTSEQ = Field("tcp.nxtseq", "Next Sequence Number", generated=True)
ACK = Field("tcp.ack", "Acknowledgment Number", at=8, size=4)
HDR_LEN = Field(
    "tcp.hdr_len",
    "Header Length",
    at=12,
    size=1,
    mask=0xF0,
    scale=4,
    text=lambda v: f"{v} bytes ({v // 4})",
)
FLAGS = Field("tcp.flags", "Flags", base=HEX, at=12, size=2, mask=0x0FFF)
# Each flag is read from the one byte that holds it (as Wireshark places them), its label
# drawn over the 12 bits of the flags field.
RES = Field("tcp.flags.res", "Reserved", BOOL, at=12, size=1, mask=0x0E, sub=True)
FLAG_FIELDS = {
    suffix: Field(
        f"tcp.flags.{suffix}",
        label,
        BOOL,
        at=12 if mask > 0xFF else 13,
        size=1,
        mask=mask >> 8 if mask > 0xFF else mask,
        sub=True,
        also=(("tcp.flags.ns",) if suffix == "ae" else ()),
    )
    for mask, suffix, label in FLAG_BITS
    if suffix != "res"
}
_WORD_MASK = {
    "res": 0x0E00,
    **{suffix: mask for mask, suffix, _label in FLAG_BITS if suffix != "res"},
}
FLAGS_STR = Field("tcp.flags.str", "TCP Flags", STRING, generated=True)
WINDOW = Field("tcp.window_size_value", "Window", at=14, size=2)
WINDOW_SIZE = Field("tcp.window_size", "Calculated window size", generated=True)
CHECKSUM = Field("tcp.checksum", "Checksum", base=HEX, at=16, size=2)
STATUS = transport.status_field("tcp")
URGENT = Field("tcp.urgent_pointer", "Urgent Pointer", at=18, size=2)
OPTIONS = Field("tcp.options", "Options", "bytes")
OPTION = Field("tcp.option_kind", "Kind")
OPT_LEN = Field("tcp.option_len", "Length")
MSS = Field("tcp.options.mss_val", "MSS Value")
WSCALE = Field("tcp.options.wscale.shift", "Shift count")
WSCALE_MUL = Field("tcp.options.wscale.multiplier", "Multiplier")
# the option's own line (it has no value of its own), as tshark's
SACK_PERM = Field("tcp.options.sack_perm", "TCP Option - SACK permitted", NONE)
TSVAL = Field("tcp.options.timestamp.tsval", "Timestamp value")
TSECR = Field("tcp.options.timestamp.tsecr", "Timestamp echo reply")
SACK_LE = Field("tcp.options.sack_le", "left edge")
SACK_RE = Field("tcp.options.sack_re", "right edge")
NOP = Field("tcp.options.nop", "TCP Option - No-Operation (NOP)", NONE)
EOL = Field("tcp.options.eol", "TCP Option - End of Option List (EOL)", NONE)
PAYLOAD = Field("tcp.payload", "TCP payload", "bytes")
RESET_CAUSE = Field("tcp.reset_cause", "Reset cause", STRING)
PORT = Field("tcp.port", "Source or Destination Port", hidden=True)

OPTION_NAMES = {
    0: "End of Option List (EOL)",
    1: "No-Operation (NOP)",
    2: "Maximum segment size",
    3: "Window scale",
    4: "SACK permitted",
    5: "SACK",
    8: "Timestamps",
    30: "Multipath TCP",
    34: "TCP Fast Open Cookie",
}


KIND_NAMES = {
    2: "Maximum Segment Size",
    3: "Window Scale",
    4: "SACK Permitted",
    5: "SACK",
    8: "Time Stamp Option",
}


def _walk(layer: Layer) -> None:
    layer.need(20, "tcp")
    hdr = (layer.u8(12) >> 4) * 4
    if hdr < 20:
        raise Stop(
            "tcp.hdr_len", layer.start + 12, f"Bogus TCP header length ({hdr}, must be at least 20)"
        )
    layer.need(hdr, "tcp.options")
    layer.header_end = layer.start + hdr
    layer.state["ports"] = ports = (layer.u16(0), layer.u16(2))
    if layer.end > layer.header_end and not layer.u8(13) & 0x04:
        layer.next = (
            "tcp.port",
            ports,
        )  # a reset's bytes are its cause (RFC 9293 3.5.3), TCP's own


_FLAG_TEXTS: dict[int, str] = {}


def flags_text(flags: int) -> str:
    text = _FLAG_TEXTS.get(flags)
    if text is None:
        text = ", ".join(name for bit, name in FLAG_NAMES if flags & bit)
        if len(_FLAG_TEXTS) < 4096:  # the 12 bits' every value at most
            _FLAG_TEXTS[flags] = text
    return text


def _items(layer: Layer, out: list) -> None:
    seglen = segment_length(layer)
    flags_value = layer.u16(12) & 0x0FFF
    result = []
    for item in out:
        f = item.field
        if f is SEQ:
            result.append(layer.add([], SEGLEN, 12, 0, seglen))
            result.append(item)
            result.append(layer.add([], SEQ_RAW, 4, 4, item.value))
            nxt = (item.value + seglen + (1 if flags_value & 0x03 else 0)) & 0xFFFFFFFF
            result.append(layer.add([], NXTSEQ, 4, 0, nxt))
            continue
        if f is ACK:
            result.append(item)
            result.append(layer.add([], ACK_RAW, 8, 4, item.value))
            continue
        if f is FLAGS:
            names = flags_text(flags_value)
            item.text = f"{bit_pattern(item.raw, 0x0FFF, 2)} = Flags: 0x{flags_value:03x} ({names or '<None>'})"
            children = [layer.fixed(RES)]
            children += [layer.fixed(FLAG_FIELDS[suffix]) for _m, suffix, _l in FLAG_BITS[3:]]
            for child in children:
                suffix = child.field.name.rsplit(".", 1)[1]
                state = "Set" if child.value else "Not set"
                child.text = f"{bit_pattern(flags_value, _WORD_MASK[suffix], 2, 12)} = {child.field.label}: {state}"
            letters = "".join(ch if flags_value & bit else "·" for bit, ch in _STR_LETTERS)
            children.append(layer.add([], FLAGS_STR, 12, 2, letters))
            item.children = children
            item.text = f"Flags: 0x{flags_value:03x} ({names or '<None>'})"
        elif f is CHECKSUM:
            value, expected, text = transport.verdict(layer, 6, 16)
            item.text = f"Checksum: 0x{value:04x} {text}"
            result.append(item)  # the status beside the checksum, as Wireshark shows it
            result.append(layer.add([], STATUS, 16, 0, transport.status(expected, value)))
            continue
        result.append(item)
        if f is WINDOW:
            result.append(layer.add([], WINDOW_SIZE, 14, 2, item.value))
    out[:] = result
    hdr = layer.header_end - layer.start
    if hdr > 20:
        options, names = _options(layer, 20, hdr)
        layer.add(
            out,
            OPTIONS,
            20,
            hdr - 20,
            layer.bytes_at(20, hdr - 20),
            children=options,
            text=f"Options: ({hdr - 20} bytes), {', '.join(names)}",
        )
    held = layer.end - layer.header_end
    if held > 0 and flags_value & 0x04:
        cause = layer.bytes_at(hdr, held)
        text = model.escaped(cause.split(b"\0", 1)[0].decode("utf-8", "replace"))
        layer.add(
            out,
            RESET_CAUSE,
            hdr,
            held,
            cause.decode("ascii", "replace"),
            text=f"Reset cause: {text}",
        )
    elif held > 0:
        layer.add(
            out,
            PAYLOAD,
            hdr,
            held,
            layer.payload,
            text=f"TCP payload ({seglen} byte{'s' if seglen != 1 else ''})",
        )


def _options(layer: Layer, at: int, end: int):
    items, names = [], []
    while at < end:
        kind = layer.u8(at)
        name = OPTION_NAMES.get(kind, f"Unknown ({kind})")
        names.append(name)
        if kind == 0:
            # One byte, and the walk goes on: Wireshark 4.0 shows each byte of zero padding
            # as an EOL of its own (and reads whatever follows one as options).
            items.append(
                layer.add(
                    [],
                    EOL,
                    at,
                    1,
                    None,
                    children=[layer.add([], OPTION, at, 1, 0, text="Kind: End of Option List (0)")],
                )
            )
            at += 1
            continue
        if kind == 1:
            items.append(
                layer.add(
                    [],
                    NOP,
                    at,
                    1,
                    None,
                    children=[layer.add([], OPTION, at, 1, 1, text="Kind: No-Operation (1)")],
                )
            )
            at += 1
            continue
        if at + 1 >= end:
            break
        size = layer.u8(at + 1)
        if size < 2 or at + size > end:
            items.append(
                layer.add(
                    [], OPTION, at, end - at, kind, text=f"TCP Option - {name}: bad length {size}"
                )
            )
            break
        children = [
            layer.add([], OPTION, at, 1, kind, text=f"Kind: {KIND_NAMES.get(kind, name)} ({kind})"),
            layer.add([], OPT_LEN, at + 1, 1, size),
        ]
        label = f"TCP Option - {name}"
        if kind == 2 and size == 4:
            mss = layer.u16(at + 2)
            children.append(layer.add([], MSS, at + 2, 2, mss))
            label += f": {mss} bytes"
        elif kind == 3 and size == 3:
            shift = layer.u8(at + 2)
            children.append(layer.add([], WSCALE, at + 2, 1, shift))
            children.append(
                layer.add(
                    [],
                    WSCALE_MUL,
                    at + 2,
                    1,
                    1 << min(shift, 14),
                    text=f"[Multiplier: {1 << min(shift, 14)}]",
                )
            )
            label += f": {shift} (multiply by {1 << min(shift, 14)})"
        elif kind == 8 and size == 10:
            tsval, tsecr = layer.u32(at + 2), layer.u32(at + 6)
            children.append(layer.add([], TSVAL, at + 2, 4, tsval))
            children.append(layer.add([], TSECR, at + 6, 4, tsecr))
            label += f": TSval {tsval}, TSecr {tsecr}"
        elif kind == 5:
            edges = []
            for i in range(at + 2, at + size - 7, 8):
                left, right = layer.u32(i), layer.u32(i + 4)
                children.append(layer.add([], SACK_LE, i, 4, left))
                children.append(layer.add([], SACK_RE, i + 4, 4, right))
                edges.append(f"{left}-{right}")
            label += " " + " ".join(edges)
        field, value = (SACK_PERM, None) if kind == 4 else (OPTION, kind)
        items.append(layer.add([], field, at, size, value, children=children, text=label))
        at += size
    return items, names


def option_words(layer: Layer) -> list[str]:
    """The options as Info shows them: MSS=1460 SACK_PERM TSval=… TSecr=… WS=128."""
    words = []
    at, end = 20, layer.header_end - layer.start
    while at < end:
        kind = layer.u8(at)
        if kind == 0:
            break
        if kind == 1:
            at += 1
            continue
        if at + 1 >= end:
            break
        size = layer.u8(at + 1)
        if size < 2 or at + size > end:
            break
        if kind == 2 and size == 4:
            words.append(f"MSS={layer.u16(at + 2)}")
        elif kind == 3 and size == 3:
            words.append(f"WS={1 << min(layer.u8(at + 2), 14)}")
        elif kind == 4:
            words.append("SACK_PERM")
        elif kind == 8 and size == 10:
            words.append(f"TSval={layer.u32(at + 2)} TSecr={layer.u32(at + 6)}")
        elif kind == 5:
            for i in range(at + 2, at + size - 7, 8):
                words.append(f"SLE={layer.u32(i)} SRE={layer.u32(i + 4)}")
        at += size
    return words


def segment_length(layer: Layer) -> int:
    """The segment's length as IP reckons it (a frame cut by its snaplen holds fewer bytes)."""
    return layer.end - layer.header_end + transport.missing(layer)


def _summary(layer: Layer) -> str:
    sport, dport = layer.state["ports"]
    text = f", Src Port: {sport}, Dst Port: {dport}, Seq: {layer.u32(4)}"
    if layer.u16(12) & 0x10:
        text += f", Ack: {layer.u32(8)}"
    return text + f", Len: {segment_length(layer)}"


def info_text(
    sport: int,
    dport: int,
    flags: int,
    seq: int,
    ack: int,
    window: int,
    length: int,
    urgent: int,
    options: list[str] | tuple = (),
) -> str:
    """tcp's Info column (`80 → 40000 [ACK] Seq=1 Ack=1 Win=502 Len=0 …`): the one place it is
    worded, for the model's layers (`_info`) and for a segment read from its bytes (`plain_row`)."""
    text = "%d → %d [%s] Seq=%d%s Win=%d%s Len=%d" % (  # noqa: UP031
        sport,
        dport,
        flags_text(flags) or "<None>",
        seq,
        " Ack=%d" % ack if flags & 0x10 else "",  # noqa: UP031
        window,
        " Urg=%d" % urgent if flags & 0x20 else "",  # noqa: UP031 — with URG set, 0 too
        length,
    )
    return " ".join((text, *options)) if options else text


def _info(layer: Layer) -> str:
    sport, dport = layer.state["ports"]
    return info_text(
        sport,
        dport,
        layer.u16(12) & 0x0FFF,
        layer.u32(4),
        layer.u32(8),
        layer.u16(14),
        segment_length(layer),
        layer.u16(18),
        option_words(layer),
    )


def _claimed(key, data: bytes, start: int, end: int):
    """`stack.proto.registry.lookup`, imported at the first call (the registry imports this)."""
    global _claimed
    from stack.proto.registry import lookup as _claimed

    return _claimed(key, data, start, end)


def plain_row(data: bytes) -> str | None:
    """The model's row (`Frame.row(check=False)`) as one line, `TCP SRC → DST INFO`, of the
    commonest frame, a TCP segment with no options whose payload no protocol claims, read from
    its bytes without making layers (the trace summarises every frame it sends). None for any
    other frame. The caller has checked Ethernet II and a 20-byte IPv4 header."""
    if len(data) < 54 or data[23] != 6 or data[46] != 0x50:
        return None
    total = data[16] << 8 | data[17]
    end = 14 + total
    if total < 40 or end > len(data) or (data[20] << 8 | data[21]) & 0x3FFF:
        return None  # options, a fragment, a datagram the frame cuts: the layers' business
    sport, dport = data[34] << 8 | data[35], data[36] << 8 | data[37]
    if end > 54 and _claimed(("tcp.port", (sport, dport)), data, 54, end) is not None:
        return None
    line = "TCP %d.%d.%d.%d → %d.%d.%d.%d %s"
    return (
        line
        % (  # noqa: UP031
            *data[26:34],
            info_text(
                sport,
                dport,
                (data[46] << 8 | data[47]) & 0x0FFF,
                int.from_bytes(data[38:42], "big"),
                int.from_bytes(data[42:46], "big"),
                data[48] << 8 | data[49],
                end - 54,
                data[52] << 8 | data[53],
            ),
        )
    )


PROTOCOL = Protocol(
    "tcp",
    "Transmission Control Protocol",
    "TCP",
    fields=(
        SRCPORT,
        DSTPORT,
        SEQ,
        SEQ_RAW,
        ACK,
        ACK_RAW,
        HDR_LEN,
        FLAGS,
        WINDOW,
        CHECKSUM,
        URGENT,
        SEGLEN,
        NXTSEQ,
        RES,
        *FLAG_FIELDS.values(),
        FLAGS_STR,
        WINDOW_SIZE,
        STATUS,
        OPTIONS,
        OPTION,
        OPT_LEN,
        MSS,
        WSCALE,
        WSCALE_MUL,
        SACK_PERM,
        TSVAL,
        TSECR,
        SACK_LE,
        SACK_RE,
        NOP,
        EOL,
        PAYLOAD,
        RESET_CAUSE,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("ip.proto", 6),),
    colour="tcp",
    checksum=lambda layer: transport.status(*reversed(transport.verdict(layer, 6, 16)[:2])),
)
