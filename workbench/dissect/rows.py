"""Packet-list rows: Wireshark's columns for one frame, from the protocol model, behind a small LRU.

A row comes from `stack.proto` (`Frame.row()`: the same declarations as the field tree and
the display filter) when it is first shown, and is kept while it is among the most recently
shown (`RowCache`), so scrolling a million-frame trace decodes only the rows that pass the
screen. `kind` names the colouring rule each protocol declares (arp, icmp, icmp-error, tcp,
udp, dns, dhcp, http, ip, other) or malformed, or bad-checksum for a frame with a wrong IPv4,
ICMP, ICMPv6, UDP or TCP checksum, as Wireshark's "Checksum Errors" rule would mark it.
A record's link type (Ethernet, Linux cooked SLL/SLL2) and its length on the wire (a frame
cut by the capture's snaplen) are read from the record.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stack.proto.frame import dissect_frame, dissect_record
from stack.proto.model import Row

if TYPE_CHECKING:  # stack.trace brings the lab's events: a capture's rows never need them
    from stack.trace import FrameRecord

__all__ = ["Columns", "ColumnWidths", "Row", "RowCache", "row_of", "row_of_record"]


def row_of(data: bytes, link_type: int = 1) -> Row:
    """The Protocol, Source, Destination and Info columns of one frame, and its colour rule."""
    return dissect_frame(data, link_type).row()


def row_of_record(record: FrameRecord) -> Row:
    """The row of a record (its link type, length on the wire and comments as read)."""
    return dissect_record(record).row()


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
        row, keep = self.decode(index)
        self.decodes += 1
        if keep:
            rows[index] = row
            if len(rows) > self.size:
                rows.popitem(last=False)
        return row

    def decode(self, index: int) -> tuple[Row, bool]:
        """Frame `index`'s row, and whether it may be kept (a subclass may know more later)."""
        return row_of_record(self.frames[index]), True

    def clear(self) -> None:
        self._rows.clear()


def format_time(seconds: float) -> str:
    """The Time column: the lab's clock (the trace's, as events and the status bar show it),
    in seconds to the microsecond."""
    return f"{seconds:.6f}"


# --- columns ---------------------------------------------------------------------------------

NARROW_INFO = 16  # cells kept for Info below 100 columns before addresses are cut


@dataclass
class ColumnWidths:
    """What the rows seen so far need; it only grows, so columns do not jump while scrolling."""

    source: int = 11
    destination: int = 11
    protocol: int = 5
    length: int = 3
    segment: int = 3

    def grow(self, row: Row, length: int, segment: str = "") -> None:
        self.segment = max(self.segment, min(10, len(segment)))
        self.source = max(self.source, min(22, len(row.source)))
        self.destination = max(self.destination, min(22, len(row.destination)))
        self.protocol = max(self.protocol, min(10, len(row.protocol)))
        self.length = max(self.length, len(str(length)))


@dataclass(frozen=True)
class Columns:
    """Cells per column for one screen width; `line` and `header` lay text out in them."""

    number: int
    time: int
    source: int
    destination: int
    protocol: int
    length: int
    info: int = field(default=0)
    segment: int = field(default=0)  # 0: no Seg column

    @classmethod
    def fit(cls, width: int, wants: ColumnWidths, last_id: int, last_time: str) -> Columns:
        number, stamp = max(3, len(str(last_id))), max(4, len(last_time))
        protocol, length = wants.protocol, wants.length
        # The segment (Wireshark's interface column) says which wire a frame is on and tells
        # apart the copies of one frame seen on several links: shown at every width, 80 too.
        segment = wants.segment
        if width >= 100:
            protocol, length = max(protocol, 8), max(length, 6)
        # Narrow: addresses get 15 cells (a whole IPv4 address; a MAC keeps its last octets,
        # the ones that tell NICs apart) so that Info keeps room to say what the frame is.
        cap = 22 if width >= 120 else 17 if width >= 100 else 15
        source, destination = min(wants.source, cap), min(wants.destination, cap)
        fixed = number + stamp + protocol + length + 6 + (segment + 1 if segment else 0)
        room = width - fixed - (12 if width >= 100 else NARROW_INFO)
        if source + destination > room:
            source = destination = max(9, room // 2)
        info = max(0, width - fixed - source - destination)
        return cls(number, stamp, source, destination, protocol, length, info, segment)

    def line(self, frame_id: int, seconds: float, length: int, row: Row, segment: str = "") -> str:
        seg = f"{fit(segment, self.segment):<{self.segment}} " if self.segment else ""
        return (
            f"{frame_id:>{self.number}} {format_time(seconds):>{self.time}} {seg}"
            f"{fit_address(row.source, self.source):<{self.source}} "
            f"{fit_address(row.destination, self.destination):<{self.destination}} "
            f"{fit(row.protocol, self.protocol):<{self.protocol}} {length:>{self.length}} "
            f"{fit(row.info, self.info)}"
        )

    def header(self) -> str:
        protocol = "Protocol" if self.protocol >= 8 else "Proto"
        length = "Length" if self.length >= 6 else "Len"
        seg = f"{fit('Seg', self.segment):<{self.segment}} " if self.segment else ""
        return (
            f"{'No.':>{self.number}} {'Time':>{self.time}} {seg}"
            f"{fit('Source', self.source):<{self.source}} "
            f"{fit('Destination', self.destination):<{self.destination}} "
            f"{protocol:<{self.protocol}} {length:>{self.length}} Info"
        )


def fit_address(text: str, width: int) -> str:
    """An address cut to `width`. A MAC is cut in the middle: its first two octets (it still
    reads as a MAC, and the vendor's start) and its last three (the ones that tell NICs
    apart), `00:1b…3a:4f:64`; narrower, only its last octets."""
    if len(text) <= width:
        return text
    if len(text) == 17 and text.count(":") == 5 and width > 1:
        if width >= 14:
            return text[:5] + "…" + text[-8:]
        return "…" + text[len(text) - width + 1 :]
    return fit(text, width)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis (one cell a character: our text is ASCII)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + "…"
