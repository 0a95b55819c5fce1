"""`dissect(data)`: the field tree of one frame, from the protocol model (`stack.proto`).

Every line is a declared field with Wireshark's label (`Time to Live: 64`), its filter name
on `FieldNode.name` (`ip.ttl`: what the status line shows and what "apply as filter"
writes) and its exact bits; checksums carry their verdict in the label. Bytes that no
declared protocol claims are handed to scapy (`workbench.dissect.walker`), and the layers it
finds are shown marked "[scapy]": they are not filterable. Where the bytes end early (a
malformed header, or a capture cut by its snaplen) the tree says so and stops there. The
promise: any bytes at all give a `Dissection`, never an exception.

Scapy is imported only when a frame needs it (its first undeclared layer), never here.
"""

from __future__ import annotations

import threading

from stack.proto.frame import Frame, dissect_frame
from stack.proto.frame import dissect_record as frame_of_record
from stack.proto.model import Item, Layer
from stack.trace import FrameRecord
from workbench.dissect.nodes import FIELD, LAYER, MALFORMED, NOTE, Dissection, FieldNode

# Payloads scapy may know when nothing here is declared for them (not fragments, not echo data).
FALLBACK_TABLES = ("ethertype", "llc", "ip.proto", "udp.port", "tcp.port")
SCAPY_MARK = " [scapy: not declared in the model, not filterable]"
_lock = threading.Lock()
_walker = None


def load() -> None:
    """Import scapy's layers now (e.g. from a worker thread), for the fallback."""
    global _walker
    if _walker is None:
        with _lock:
            if _walker is None:
                from workbench.dissect import walker

                _walker = walker


def is_loaded() -> bool:
    return _walker is not None


def dissect(data: bytes, link_type: int = 1) -> Dissection:
    """The field tree of `data` (an Ethernet frame without FCS, or `link_type`'s). Never raises."""
    data = bytes(data)
    try:
        return tree_of(dissect_frame(data, link_type))
    except Exception as exc:  # noqa: BLE001 — a dissector bug must show, not crash the screen
        return _broken(data, exc)


def dissect_record(record: FrameRecord, frame: Frame | None = None) -> Dissection:
    """The tree of a record's frame under a Wireshark-like "Frame N" line (and its comments).
    `frame`: the record as dissected already (a capture's pass may have rebuilt a datagram
    around it); the Frame line still gives the record's own lengths."""
    try:
        frame = frame or frame_of_record(record)
        result = tree_of(frame)
    except Exception as exc:  # noqa: BLE001
        return _broken(bytes(record.data), exc)
    size = len(record.data)
    wire = getattr(record, "wire_length", 0) or size
    label = f"Frame {record.id}: {wire} bytes on wire ({wire * 8} bits), {size} bytes captured ({size * 8} bits)"
    if frame.segment:
        label += f" on {frame.segment}"
    if frame.origin:
        label += f", sent by {frame.origin}"
    node = FieldNode(label, 0, size * 8, LAYER, "frame", filter="frame")
    node.children = [_item_node(item) for item in frame.meta().items()]
    result.nodes.insert(0, node)
    return result


REASSEMBLED = "Reassembled TCP"  # Wireshark's name for the bytes of a reassembled message


def tree_of(frame: Frame) -> Dissection:
    """The field nodes of a dissected frame."""
    nodes: list[FieldNode] = []
    undecoded: int | None = None
    sources: dict[str, bytes] = {}
    bases: dict[str, int] = {}
    for layer in frame.layers:
        node, stop_at = _layer_node(layer)
        if layer.frame is not frame:  # bytes reassembled elsewhere, dissected alone
            # Their byte tab starts at the first layer shown from them: a message from TCP
            # segments at 0, a datagram from IP fragments at its payload (the frame around it
            # is the completing fragment's own, shown above).
            source = layer.frame.source or REASSEMBLED
            if source not in bases:
                bases[source] = layer.start
                sources[source] = layer.frame.data[layer.start :]
            _rebase(node, source, bases[source])
            stop_at = None
        if layer.protocol.name == "data" and layer.state.get("key", ("",))[0] in FALLBACK_TABLES:
            fallback = _scapy_nodes(frame, layer)
            if fallback:
                nodes.extend(fallback)
                continue
        nodes.append(node)
        if stop_at is not None:
            undecoded = stop_at if undecoded is None else min(undecoded, stop_at)
    data = frame.data
    span = (undecoded, len(data)) if undecoded is not None and undecoded < len(data) else None
    return Dissection(data, nodes, span, sources)


def _rebase(node: FieldNode, source: str, base: int) -> None:
    """Point `node` and the nodes under it into `source`'s bytes, which start `base` bytes
    into the frame they were dissected in."""
    for inner, _path in node.walk():
        if inner.source is None:
            inner.source = source
            inner.start, inner.end = inner.start - base * 8, inner.end - base * 8
            if inner.span is not None:
                inner.span = (inner.span[0] - base, inner.span[1] - base)


def _layer_node(layer: Layer) -> tuple[FieldNode, int | None]:
    items = layer.items()  # reads the fields (and may find an error in the variable part)
    start = min([layer.start, *(item.start for item in items if item.size)])
    end = max(layer.end, layer.header_end if layer.error is None else layer.start)
    node = FieldNode(
        layer.text(), start * 8, end * 8, LAYER, layer.protocol.name, filter=layer.protocol.name
    )
    node.children = [_item_node(item) for item in items if not item.field.hidden]
    for inner in layer.inner:
        child, _stop = _layer_node(inner)
        node.children.append(child)
    stop = layer.error
    below = layer.frame.layer_before(layer)
    if (
        stop is None
        and below is not None
        and below.state.get("payload_cut")
        and layer.protocol.name != "data"
    ):
        column = layer.column or layer.protocol.short
        node.children.append(
            FieldNode(
                f"[Packet size limited during capture: {column} truncated]",
                len(layer.data) * 8,
                len(layer.data) * 8,
                NOTE,
                "_ws.short",
                filter="_ws.short",
            )
        )
    if stop is None:
        return node, None
    at = max(0, min(stop.at, len(layer.data)))
    column = layer.column or layer.protocol.short
    if stop.kind == "truncated":
        text = f"[Packet size limited during capture: {column} truncated ({stop.problem})]"
        node.children.append(FieldNode(text, at * 8, at * 8, NOTE, "_ws.short", filter="_ws.short"))
        return node, None
    where = " ".join(filter(None, (column, stop.field)))
    text = f"[Malformed Packet: {where} at byte {at}: {stop.problem}]"
    node.children.append(
        FieldNode(
            text, at * 8, len(layer.data) * 8, MALFORMED, "_ws.malformed", filter="_ws.malformed"
        )
    )
    node.end = max(node.end, len(layer.data) * 8)
    return node, at


def _item_node(item: Item) -> FieldNode:
    start, end = item.bits()
    node = FieldNode(item.label(), start, end, NOTE if item.size == 0 else FIELD, item.field.name)
    if item.field.filterable:
        node.filter = item.field.match_text(item.value)
    if item.field.mask and item.size:
        node.span = (item.start, item.start + item.size)
    if item.children:
        node.children = [_item_node(child) for child in item.children if not child.field.hidden]
    return node


def _scapy_nodes(frame: Frame, data_layer: Layer) -> list[FieldNode]:
    """Scapy's layers for the bytes no declared protocol claims, marked as scapy's."""
    if frame.link_type not in (1, 113, 276):
        return []
    load()
    assert _walker is not None
    try:
        nodes, _stop = _walker.frame_layers(frame.data, frame.link_type)
    except Exception:  # noqa: BLE001 — the fallback never breaks the tree
        return []
    begin = data_layer.start * 8
    found = [n for n in nodes if n.start >= begin and n.name not in ("Raw", "Padding")]
    for node in found:
        node.label += SCAPY_MARK
        for child, _path in node.walk():
            child.name, child.filter = "", None  # scapy's names are not in the vocabulary
    return found


def _broken(data: bytes, exc: Exception) -> Dissection:
    node = FieldNode(
        f"[Dissector error: {type(exc).__name__}: {exc}]",
        0,
        len(data) * 8,
        MALFORMED,
        "_ws.malformed",
        filter="_ws.malformed",
    )
    return Dissection(data, [node], (0, len(data)) if data else None)
