"""Data: the bytes of a payload that no declared protocol claims, as Wireshark's "Data" layer.

The tree asks scapy about such bytes (its fallback, marked as such); the packet list and the
filter see them as `data` (`data.data`, `data.len`).
"""

from __future__ import annotations

from stack.proto.model import BYTES, Field, Layer, Protocol, shown_bytes

DATA = Field("data.data", "Data", BYTES)
LEN = Field("data.len", "Length", generated=True)


def _walk(layer: Layer) -> None:
    layer.header_end = layer.end


def _items(layer: Layer, out: list) -> None:
    size = layer.end - layer.start
    chunk = layer.data[layer.start : layer.end]
    shown = shown_bytes(chunk)
    layer.add(out, DATA, 0, size, bytes(chunk), text=f"Data: {shown}")
    layer.add(out, LEN, 0, 0, size)


def _summary(layer: Layer) -> str:
    return f" ({layer.end - layer.start} bytes)"


PROTOCOL = Protocol(
    "data", "Data", "Data", fields=(DATA, LEN), walk=_walk, items=_items, summary=_summary
)
