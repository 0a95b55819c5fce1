"""Packet-list rows: Wireshark's columns for one frame, from our fast decoder, behind a small LRU.

A row is decoded when it is first shown and kept while it is among the most recently shown
(`RowCache`), so scrolling a million-frame trace decodes only the rows that pass the screen.
`kind` names the colouring rule (arp, icmp, icmp-error, tcp, udp, dns, dhcp, http, ip,
malformed, other) that the packet list turns into a theme class.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from stack.trace import FrameRecord
from stack.wire.decode import Decoded, decode

_KINDS = {
    "ARP": "arp",
    "ICMP": "icmp",
    "TCP": "tcp",
    "UDP": "udp",
    "DNS": "dns",
    "DHCP": "dhcp",
    "BOOTP": "dhcp",
    "HTTP": "http",
    "IPv4": "ip",
}
_ICMP_ERRORS = ("Destination unreachable", "Time-to-live exceeded", "Redirect")


@dataclass(frozen=True, slots=True)
class Row:
    protocol: str
    source: str
    destination: str
    info: str
    kind: str


def row_of(data: bytes) -> Row:
    """The Protocol, Source, Destination and Info columns of one frame, and its colour rule."""
    return row_from(decode(data))


def row_from(decoded: Decoded) -> Row:
    """`row_of` for a frame already decoded."""
    summary = decoded.summary()
    if decoded.error is not None:
        kind = "malformed"
    else:
        kind = _KINDS.get(summary.protocol, "other")
        if kind == "icmp" and summary.info.startswith(_ICMP_ERRORS):
            kind = "icmp-error"
    return Row(summary.protocol, summary.source, summary.destination, summary.info, kind)


class RowCache:
    """Rows of `frames` by index, decoded on first use; the `size` most recently used are kept."""

    def __init__(self, frames: Sequence[FrameRecord], size: int = 4096) -> None:
        self.frames = frames
        self.size = size
        self.decodes = 0  # how many rows were decoded (cache misses): tests hold this small
        self._rows: OrderedDict[int, Row] = OrderedDict()

    def row(self, index: int) -> Row:
        rows = self._rows
        row = rows.get(index)
        if row is not None:
            rows.move_to_end(index)
            return row
        row = row_of(self.frames[index].data)
        self.decodes += 1
        rows[index] = row
        if len(rows) > self.size:
            rows.popitem(last=False)
        return row

    def clear(self) -> None:
        self._rows.clear()


def format_time(seconds: float) -> str:
    """Wireshark's default Time column: seconds since the first frame, to the microsecond."""
    return f"{seconds:.6f}"
