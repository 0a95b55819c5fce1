"""UDP (RFC 768), declared once for the packet list, tree, filter and checksum verdict."""

from __future__ import annotations

from stack.proto import transport
from stack.proto.model import HEX, Field, Layer, Protocol, Stop

SRCPORT = Field("udp.srcport", "Source Port", at=0, size=2, also=("udp.port",))
DSTPORT = Field("udp.dstport", "Destination Port", at=2, size=2, also=("udp.port",))
LENGTH = Field("udp.length", "Length", at=4, size=2)
CHECKSUM = Field("udp.checksum", "Checksum", base=HEX, at=6, size=2)
STATUS = transport.status_field("udp")
PAYLOAD = Field("udp.payload", "UDP payload", "bytes")
PORT = Field("udp.port", "Source or Destination Port", hidden=True)


def _walk(layer: Layer) -> None:
    layer.need(8, "udp")
    data, start = layer.frame.data, layer.start  # the 8 bytes are there: read them in place
    layer.header_end = start + 8
    length = data[start + 4] << 8 | data[start + 5]
    if length < 8 and not (
        length == 0 and (ip := transport.carrier(layer)) is not None and ip.state.get("tso")
    ):
        raise Stop("udp.length", start + 4, f"Bad length value {length} < UDP header length 8")
    if 8 <= length and start + length <= layer.end:
        layer.end = start + length
    elif length > layer.end - start:
        layer.state["short"] = True
    layer.state["ports"] = ports = (
        data[start] << 8 | data[start + 1],
        data[start + 2] << 8 | data[start + 3],
    )
    if layer.end > layer.header_end:
        layer.next = ("udp.port", ports)


def _items(layer: Layer, out: list) -> None:
    for item in out:
        if item.field is CHECKSUM:
            value, expected, text = transport.verdict(layer, 17, 6, zero_ok=True)
            item.text = f"Checksum: 0x{value:04x} {text}"
            status = layer.add([], STATUS, 6, 0, transport.status(expected, value))
            out.insert(out.index(item) + 1, status)  # beside the checksum, as Wireshark shows it
    size = layer.end - layer.header_end
    if size > 0:
        layer.add(
            out,
            PAYLOAD,
            8,
            size,
            layer.payload,
            text=f"UDP payload ({size} byte{'s' if size != 1 else ''})",
        )


def _summary(layer: Layer) -> str:
    return f", Src Port: {layer.u16(0)}, Dst Port: {layer.u16(2)}"


def _info(layer: Layer) -> str:
    sport, dport = layer.state["ports"]
    length = layer.u16(4)
    return f"{sport} → {dport} Len={max(0, length - 8) if layer.frame.truncated_at(layer.end) else layer.end - layer.header_end}"


PROTOCOL = Protocol(
    "udp",
    "User Datagram Protocol",
    "UDP",
    fields=(SRCPORT, DSTPORT, LENGTH, CHECKSUM, STATUS, PAYLOAD),
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("ip.proto", 17),),
    colour="udp",
    checksum=lambda layer: transport.status(
        *reversed(transport.verdict(layer, 17, 6, zero_ok=True)[:2])
    ),
)
