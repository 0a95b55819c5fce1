"""Bytes on an HTTP port that start no message, as Wireshark 4.0's HTTP reads them.

A segment a lost or skipped head leaves behind (the body of a response whose first segment was
never captured, junk after a message) still reaches HTTP's dissector on its port, which:
- skips one leading CRLF (RFC 9112 2.2) when more than three bytes came;
- calls a segment whose first byte is not printable ASCII binary: all of it Data;
- asks TCP for more when no line ends in it (a CR as its last byte may be half a CRLF), and
  reads the bytes again with the next segment's — but not after a leading CRLF;
- otherwise reads it line by line as a head without a first line: a line holding a colon is
  a header, an empty one ends the head, any other ends it too and starts the body — unless a
  header came before it and it runs to the segment's end, which is a header cut short: the
  packet is malformed;
- and then shows the rest as the body (File Data, Data).
Whether the row says "Continuation" (`workbench.dissect.messages`: once a request was read on
the connection) or stays TCP's is the capture's pass's to say; this module lays out the bytes.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from stack.proto import http
from stack.proto.model import Layer, Stop

HOLD, BINARY, PLAIN, LINES = "hold", "binary", "plain", "lines"


class Line(NamedTuple):
    at: int  # offset in the bytes
    size: int  # the text, without its line end
    span: int  # with it


class Layout(NamedTuple):
    kind: str  # HOLD: wait for more; BINARY: all Data; PLAIN: HTTP shows nothing; LINES
    headers: tuple[Line, ...] = ()
    blank: Line | None = None  # the empty line ending the head
    body: int | None = None  # where the body starts (File Data and Data), None: no body
    malformed_at: int | None = None  # a header line cut short starts here

    @property
    def has_lines(self) -> bool:
        """HTTP put something in the tree: a header, a blank line or a cut header."""
        return bool(self.headers) or self.blank is not None


def layout(data: bytes) -> Layout:
    """How HTTP's dissector reads `data` (non-empty) when it starts no request or response."""
    at = 2 if len(data) > 3 and data.startswith(b"\r\n") else 0
    if not 0x20 <= data[at] <= 0x7E:
        return Layout(BINARY)
    end = http.find_line_end(data, at, len(data))
    if end < 0 or (end == len(data) - 1 and data[end] == 0x0D):
        return Layout(PLAIN if at else HOLD)
    headers: list[Line] = []
    blank = None
    malformed_at = None
    size = len(data)
    while at < size:
        end = http.find_line_end(data, at, len(data))
        stop, after = (
            (size, size) if end < 0 else (end, end + (2 if data[end : end + 2] == b"\r\n" else 1))
        )
        if stop == at:
            blank = Line(at, 0, after - at)
            at = after
            break
        if data.find(b":", at, stop) >= 0:
            headers.append(Line(at, stop - at, after - at))
            at = after
            continue
        if headers and end < 0:
            malformed_at = at
        break
    body = at if malformed_at is None and at < size else None
    return Layout(LINES, tuple(headers), blank, body, malformed_at)


def _walk(layer: Layer) -> None:
    lay = layout(layer.data[layer.start : layer.end])
    layer.state["layout"] = lay
    layer.header_end = layer.end
    if lay.kind == BINARY:
        layer.header_end = layer.start
        layer.next = ("http.media", "")
    elif lay.body is not None:
        layer.header_end = layer.start + lay.body
        layer.next = ("http.media", "")
    elif lay.malformed_at is not None:
        at = layer.start + lay.malformed_at
        raise Stop("", at, "a header line runs to the segment's end without its line end")


def _items(layer: Layer, out: list) -> None:
    lay: Layout = layer.state["layout"]
    for line in lay.headers:
        raw = layer.bytes_at(line.at, line.size)
        whole = layer.bytes_at(line.at, line.span)  # with its line end, if it has one
        name, _, value = http.text_value(raw).partition(":")
        field = http.HEADERS.get(name.strip().lower())
        shown = http.shown_line(whole)
        if field is None:  # tshark 4.0 keeps a header it has no field for as the whole line
            layer.add(out, http.UNKNOWN, line.at, line.span, http.text_value(whole), text=shown)
        else:
            layer.add(out, field, line.at, line.span, value.strip(), text=shown)
    if lay.blank is not None:
        layer.add(out, http.LINE, lay.blank.at, lay.blank.span, None, text="\\r\\n")
    if lay.body is not None:
        size = layer.end - layer.start - lay.body
        value = http.text_value(layer.bytes_at(lay.body, size))
        layer.add(out, http.FILE_DATA, lay.body, size, value, text=f"File Data: {size} bytes")


# The same protocol (its name, fields and title) with its own reading; not bound anywhere: the
# capture's pass puts it above TCP (`Frame.walk_above`). Its row is TCP's, which the pass
# renames "Continuation" when the connection has carried a request.
CONTINUATION = dataclasses.replace(
    http.PROTOCOL,
    walk=_walk,
    items=_items,
    info=None,
    binds=(),
    heuristic=None,
    heuristic_on=(),
    claims=None,
    columns=False,
)
