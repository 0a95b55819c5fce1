"""Ethernet II (and IEEE 802.3 length frames), declared once for the packet list, tree and filter.

Lenient as Wireshark: a frame over 1,514 bytes (a TSO/GRO frame as the capturing host saw
it) is dissected like any other, with a note; bytes after the payload a length field counts
are the padding or trailer; an ethertype nothing declares is Data. The stack's own strict
rules (the 1,500-byte maximum) stay in `stack.wire.ethernet`.
"""

from __future__ import annotations

from stack.proto.model import ETHER, HEX, NONE, Field, Layer, Protocol, mac_text

HEADER = 14
MAX_FRAME = 1514  # without FCS

ETHERTYPES = {
    0x0800: "IPv4",
    0x0806: "ARP",
    0x86DD: "IPv6",
    0x8100: "802.1Q Virtual LAN",
    0x88A8: "802.1ad Provider Bridge (Q-in-Q)",
    0x88CC: "802.1 Link Layer Discovery Protocol (LLDP)",
    0x8863: "PPPoE Discovery",
    0x8864: "PPPoE Session",
    0x8035: "RARP",
    0x888E: "802.1X Authentication",
    0x88B5: "Local Experimental Ethertype 1",
    0x88B6: "Local Experimental Ethertype 2",
}
# The Protocol column for a payload nothing here declares, as tshark names it.
COLUMN_NAMES = {
    0x8100: "802.1Q",
    0x88A8: "802.1ad",
    0x88CC: "LLDP",
    0x8863: "PPPoED",
    0x8864: "PPPoES",
    0x888E: "EAPOL",
}

DST = Field("eth.dst", "Destination", ETHER, at=0, size=6)
SRC = Field("eth.src", "Source", ETHER, at=6, size=6)
ADDRESS = Field("eth.addr", "Address", ETHER)
LG = Field(
    "eth.lg",
    "LG bit",
    "bool",
    size=3,
    mask=0x020000,
    enum={
        0: "Globally unique address (factory default)",
        1: "Locally administered address (this is NOT the factory default)",
    },
)
IG = Field(
    "eth.ig",
    "IG bit",
    "bool",
    size=3,
    mask=0x010000,
    enum={0: "Individual address (unicast)", 1: "Group address (multicast/broadcast)"},
)
TYPE = Field("eth.type", "Type", base=HEX, at=12, size=2, enum=ETHERTYPES)
LENGTH = Field("eth.len", "Length")
PADDING = Field("eth.padding", "Padding", "bytes")
TRAILER = Field("eth.trailer", "Trailer", "bytes")
OVERSIZED = Field("eth.oversized", "Frame over 1,514 bytes", NONE, generated=True)


def _walk(layer: Layer) -> None:
    layer.need(HEADER, "eth")
    layer.header_end = layer.start + HEADER
    data = layer.frame.data
    kind = data[layer.start + 12] << 8 | data[layer.start + 13]
    if kind < 0x0600:  # IEEE 802.3: a length, then LLC (not declared: scapy shows it)
        layer.state["length"] = kind
        layer.next = ("llc", 0)
        end = layer.header_end + kind
        if end <= layer.end:
            layer.end = end
        return
    layer.next = ("ethertype", kind)


def _items(layer: Layer, out: list) -> None:
    for item in out:
        if item.field in (DST, SRC):  # each address's parts, as Wireshark lists them
            at = item.start - layer.start
            raw = int.from_bytes(layer.bytes_at(at, 3), "big")
            item.children = [
                layer.add([], ADDRESS, at, 6, item.value),
                layer.add([], LG, at, 3, bool(raw & LG.mask), raw=raw),
                layer.add([], IG, at, 3, bool(raw & IG.mask), raw=raw),
            ]
    if "length" in layer.state and out and out[-1].field is TYPE:
        out[-1] = layer.fixed(Field("eth.len", "Length", at=12, size=2))
    frame = layer.frame
    size = frame.wire_length
    if size > MAX_FRAME and layer.start == 0:
        layer.add(
            out,
            OVERSIZED,
            0,
            0,
            None,
            text=(
                f"[Frame of {size:,} bytes is over Ethernet's 1,514: the capturing host saw it before "
                "segmentation offload (TSO/GRO) cut it up, and it is dissected as it is]"
            ),
        )
    # What follows the payload the layer above counts (IPv4's total length, ARP's 28 bytes).
    above = frame.layer_after(layer)
    if (
        above is not None
        and above.error is None
        and above.end < len(frame.data)
        and above.end >= layer.header_end
    ):
        rest = frame.data[above.end :]
        field = PADDING if not any(rest) else TRAILER
        layer.add(out, field, above.end - layer.start, len(rest), bytes(rest))


def _summary(layer: Layer) -> str:
    src, dst = layer.bytes_at(6, 6), layer.bytes_at(0, 6)
    title = ", Src: " + mac_text(src) + ", Dst: " + mac_text(dst)
    return title


def _info(layer: Layer) -> str:
    if "length" in layer.state:
        return f"IEEE 802.3 frame, length {layer.state['length']}"
    kind = layer.next[1] if layer.next else 0
    return f"Ethernet II, ethertype 0x{kind:04x}"


PROTOCOL = Protocol(
    "eth",
    "Ethernet II",
    "Ethernet",
    fields=(DST, SRC, TYPE, PADDING, TRAILER, OVERSIZED, LENGTH, ADDRESS, LG, IG),
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("link_type", 1),),
    addresses=("eth.src", "eth.dst"),
    colour="other",
)


def column_for_ethertype(kind: int) -> str:
    return COLUMN_NAMES.get(kind, f"0x{kind:04x}")
