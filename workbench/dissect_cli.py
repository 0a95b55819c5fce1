"""`workbench dissect FILE`: a terminal Wireshark over a pcap or pcapng capture.

Prints the packet list as `tshark -r` does (No., Time since the first frame, Source →
Destination, Protocol, Length, Info) from our fast decoder; `-V` prints each frame's field tree
instead, every field with the bytes it came from; `-x` adds a hex and ASCII dump; `-Y FILTER`
keeps the frames our display filter matches; `-c N` stops after N frames shown. Bad input
(an unreadable file, a bad filter) is one sentence on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from typing import TextIO

from stack.wire.decode import decode
from workbench.dissect.capture import CaptureError, read_capture
from workbench.dissect.filter import FilterError, compile_filter
from workbench.dissect.nodes import Dissection, FieldNode
from workbench.dissect.rows import row_from


def main(
    path: str,
    *,
    verbose: bool = False,
    display_filter: str | None = None,
    count: int | None = None,
    hexdump: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        keep = compile_filter(display_filter) if display_filter and display_filter.strip() else None
    except FilterError as error:
        err.write(f"workbench: bad display filter: {error}\n")
        return 2
    if count is not None and count < 1:
        err.write("workbench: -c wants a count of 1 or more\n")
        return 2
    write = out.write
    shown = 0
    first_time: float | None = None
    try:
        for record in read_capture(path):
            if first_time is None:
                first_time = record.time
            decoded = decode(record.data)
            if keep is not None and not keep.predicate(decoded, record):
                continue
            relative = record.time - first_time
            if verbose:
                from workbench.dissect.tree import dissect_record  # scapy: only for -V

                write(render_tree(dissect_record(record)))
            else:
                write(packet_line(record.id, relative, len(record.data), row_from(decoded)) + "\n")
            if hexdump:
                write(hex_dump(record.data) + "\n")
            if verbose or hexdump:
                write("\n")
            shown += 1
            if count is not None and shown >= count:
                break
    except CaptureError as error:
        err.write(f"workbench: {error}\n")
        return 2
    except OSError as error:
        err.write(f"workbench: {error.filename or path}: {error.strerror or error}\n")
        return 2
    return 0


def packet_line(number: int, seconds: float, length: int, row) -> str:
    """One line as `tshark -r` prints it: right-aligned No./Time/Source, left-aligned Destination."""
    return (
        f"{number:>5} {seconds:>10.6f} {row.source:>12} → {row.destination:<12} "
        f"{row.protocol} {length} {row.info}"
    )


def render_tree(dissection: Dissection) -> str:
    """The field tree as text, four spaces a level as in `tshark -V`, each line with its bytes."""
    lines: list[str] = []
    for node, path in dissection.walk():
        lines.append(f"{'    ' * len(path)}{node.label}{byte_note(node)}")
    return "\n".join(lines) + "\n"


def byte_note(node: FieldNode) -> str:
    first, last = node.byte_range
    if last <= first:
        return ""
    if last - first == 1:
        return f"  [byte {first}]"
    return f"  [bytes {first}-{last - 1}]"


def hex_dump(data: bytes) -> str:
    """`tshark -x`'s dump: offset, 16 bytes in hex, the same bytes as ASCII."""
    lines = []
    for at in range(0, len(data), 16):
        chunk = data[at : at + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:04x}  {hexes:<47}   {text}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1]))
