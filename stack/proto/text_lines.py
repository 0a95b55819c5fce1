"""Line-based text data: an HTTP body of a text type, one tree line per line, as Wireshark's
`data-text-lines` shows it (`Line-based text data: text/html (2 lines)`).

It names no fields of its own (a filter says `data-text-lines`) and leaves the Protocol and
Info columns to HTTP, as Wireshark's does.
"""

from __future__ import annotations

from stack.proto.model import NONE, Field, Layer, Protocol, escaped

LINE = Field("data-text-lines.line", "Line", NONE, filterable=False)


def _walk(layer: Layer) -> None:
    layer.header_end = layer.end


def _lines(layer: Layer) -> list[tuple[int, bytes]]:
    body = layer.data[layer.start : layer.end]
    out, at = [], 0
    while at < len(body):
        stop = body.find(b"\n", at)
        stop = len(body) if stop < 0 else stop + 1
        out.append((at, body[at:stop]))
        at = stop
    return out


def _items(layer: Layer, out: list) -> None:
    for at, line in _lines(layer):
        text = escaped(line.decode("utf-8", "replace"))
        layer.add(out, LINE, at, len(line), None, text=text)


def _summary(layer: Layer) -> str:
    below = layer.frame.layer_before(layer)
    media = below.state.get("media") if below is not None else None
    return f": {media} ({len(_lines(layer))} lines)"


PROTOCOL = Protocol(
    "data-text-lines",
    "Line-based text data",
    "Line-based text data",
    fields=(LINE,),
    walk=_walk,
    items=_items,
    summary=_summary,
    binds=(("http.media", "data-text-lines"),),
    columns=False,
)
