"""`dissect(data)`: the field tree of one Ethernet frame, every field lit in the bits it came from.

Scapy names the layers and fields (`workbench.dissect.walker` finds their bits); our own
decoder (`stack.wire.decode`) adds its verdict: checksums "[correct]" or "[incorrect, should be
0x…]", and "[Malformed Packet: …]" where it stopped. The promise: any bytes at all give a
`Dissection`, never an exception; what nobody could decode is marked as `undecoded`.

Scapy is imported on the first call (about 0.2 s), never when this module is imported.
"""

from __future__ import annotations

import threading

from stack.trace import FrameRecord
from stack.wire.decode import decode
from workbench.dissect.nodes import LAYER, MALFORMED, NOTE, Dissection, FieldNode
from workbench.dissect.verdict import checks

_lock = threading.Lock()
_walker = None


def load() -> None:
    """Import scapy's layers now (e.g. from a worker thread, before the first frame is shown)."""
    global _walker
    if _walker is None:
        with _lock:
            if _walker is None:
                from workbench.dissect import walker

                _walker = walker


def is_loaded() -> bool:
    return _walker is not None


def dissect(data: bytes) -> Dissection:
    """The field tree of `data`, an Ethernet frame without FCS. Never raises."""
    data = bytes(data)
    try:
        return _dissect(data)
    except Exception as exc:  # noqa: BLE001 — a dissector bug must show, not crash the screen
        node = FieldNode(
            f"[Dissector error: {type(exc).__name__}: {exc}]",
            0,
            len(data) * 8,
            MALFORMED,
            "malformed",
        )
        return Dissection(data, [node], (0, len(data)) if data else None)


def dissect_record(record: FrameRecord) -> Dissection:
    """`dissect(record.data)` under a Wireshark-like "Frame N" line saying where and when."""
    result = dissect(record.data)
    size = len(record.data)
    label = f"Frame {record.id}: {size} bytes ({size * 8} bits)"
    if record.segment:
        label += f" on {record.segment}"
    if record.origin:
        label += f", sent by {record.origin}"
    frame = FieldNode(label, 0, size * 8, LAYER, "frame")
    frame.children = [
        FieldNode(f"Frame number: {record.id}", 0, 0, NOTE, "number"),
        FieldNode(f"Time: {record.time:.6f} s", 0, 0, NOTE, "time"),
        FieldNode(f"Frame length: {size} bytes (without FCS)", 0, 0, NOTE, "len"),
    ]
    if record.segment:
        frame.children.append(FieldNode(f"Segment: {record.segment}", 0, 0, NOTE, "segment"))
    if record.origin:
        frame.children.append(FieldNode(f"Sent by: {record.origin}", 0, 0, NOTE, "origin"))
    result.nodes.insert(0, frame)
    return result


def _dissect(data: bytes) -> Dissection:
    load()
    assert _walker is not None
    nodes, stop = _walker.frame_layers(data)
    undecoded: int | None = None
    if stop is not None:
        undecoded = stop.bit // 8
    decoded = decode(data)
    _mark_checksums(nodes, checks(decoded, data))
    if decoded.error is not None:
        error = decoded.error
        at = decoded.error_offset if decoded.error_offset is not None else 0
        at = max(0, min(at, len(data)))
        text = f"[Malformed Packet: {error.layer} {error.field} at byte {at}: {error.problem}]"
        nodes.append(FieldNode(text, at * 8, len(data) * 8, MALFORMED, "malformed"))
        undecoded = at if undecoded is None else min(undecoded, at)
    span = (undecoded, len(data)) if undecoded is not None and undecoded < len(data) else None
    return Dissection(data, nodes, span)


def _mark_checksums(nodes: list[FieldNode], found) -> None:
    by_offset = {check.offset * 8: check for check in found}
    if not by_offset:
        return
    for top in nodes:
        for node, _path in top.walk():
            check = by_offset.get(node.start)
            if check is not None and node.name == "chksum" and node.end - node.start == 16:
                node.label += f" {check.text()}"
                del by_offset[node.start]
