"""`workbench dissect FILE`: a terminal Wireshark over a pcap or pcapng capture, typed as tshark.

    workbench dissect FILE                   the packet list, as `tshark -r FILE`
    -Y FILTER                                only frames the display filter keeps
    -c N                                     stop after N frames READ (as tshark: before -Y)
    -V / -x                                  each frame's field tree / a hex and ASCII dump
    -T fields -e FIELD … [-E separator=,]    one line per frame of the fields' values
    -z conv,tcp | endpoints,ip | io,phs | follow,tcp,ascii,N   statistics after the list
    -q                                       no packet list (with -z: the statistics only)
    -n                                       no name resolution (MAC vendors stay numbers)

Every column, field and filter comes from the protocol model (`stack.proto`: each protocol
declared once, lenient as Wireshark on offloaded frames over 1,514 bytes, Linux cooked
captures, IPv6). The state tshark keeps across frames (TCP conversations and analysis, IP reassembly,
request/response links; `workbench.dissect.capture_state`) runs over every frame read, so
Info, `-T fields` and `-Y` see it as tshark's single pass does (a `-Y` pass over a large pcap
reads its two halves in two processes and prints the same: `workbench.dissect.halves`). Bad input (an unreadable file,
a bad filter or option) is one sentence on stderr and exit status 2; a closed pipe
(`| head -1`) ends quietly with status 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal
from typing import TextIO

from stack.proto import mac_names
from stack.proto.frame import Frame
from stack.proto.mac_names import column_name
from stack.proto.model import Row
from workbench.dissect import field_text, halves
from workbench.dissect.capture import CaptureError, read_capture, time_digits
from workbench.dissect.capture_state import CaptureState, frame_for
from workbench.dissect.filter import FilterError, compile_filter
from workbench.dissect.frame_view import FrameView
from workbench.dissect.nodes import LAYER, Dissection, FieldNode
from workbench.dissect.prefilter import arp_may_match, needed_ports, possible_protocols
from workbench.dissect.skim import can_skim, skim
from workbench.dissect.statistics_cli import Statistics, StatisticsError, names_frame
from workbench.dissect.time_column import time_text


def run(args: argparse.Namespace) -> int:
    path = args.read_file or args.file
    if not path:
        sys.stderr.write(
            "workbench: dissect needs a capture to read: workbench dissect FILE (or -r FILE)\n"
        )
        return 2
    return main(
        path,
        verbose=args.verbose,
        display_filter=args.display_filter,
        count=args.count,
        hexdump=args.hex,
        output=args.output,
        fields=args.fields,
        field_options=args.field_options,
        statistics=args.statistics,
        quiet=args.quiet,
        names=not args.no_names,
        time_format=args.time_format,
        seconds_format=args.seconds_format,
    )


def main(
    path: str,
    *,
    verbose: bool = False,
    display_filter: str | None = None,
    count: int | None = None,
    hexdump: bool = False,
    output: str = "text",
    fields: list[str] | None = None,
    field_options: list[str] | None = None,
    statistics: list[str] | None = None,
    quiet: bool = False,
    names: bool = True,
    time_format: str = "r",
    seconds_format: str = "s",
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        keep = compile_filter(display_filter) if display_filter and display_filter.strip() else None
        layout = (
            field_text.Layout.parse(fields or [], field_options or [])
            if output == "fields"
            else None
        )
        stats = Statistics.parse(statistics or [])
    except (FilterError, field_text.FieldsError, StatisticsError) as error:
        err.write(f"workbench: {_reason(error, display_filter)}\n")
        return 2
    if count is not None and count < 1:
        err.write("workbench: -c wants a count of 1 or more\n")
        return 2
    if output != "fields" and fields:  # as tshark: not quietly dropped (-E it does ignore)
        err.write("workbench: -e was given without -T fields, which prints fields\n")
        return 2
    resolving, mac_names.resolving = mac_names.resolving, names  # the tree's names too
    try:
        how = _Pass(keep, layout, stats, quiet, verbose, hexdump, names, time_digits(path))
        how.time_format = time_format
        how.hms = seconds_format == "hms"
        if stats is not None:
            stats.tree_shown = verbose or layout is not None
            stats.frame_root |= stats.tree_shown or names_frame(display_filter)
        if layout is not None:  # _ws.col.Time as the list's Time column shows it
            layout.clock = how.time_text
        _dissect(path, how, count, out)
    except CaptureError as error:
        err.write(f"workbench: {error}\n")
        return 2
    except BrokenPipeError:
        _quiet_stdout(out)
        return 0
    except OSError as error:
        err.write(f"workbench: {error.filename or path}: {error.strerror or error}\n")
        return 2
    finally:
        mac_names.resolving = resolving
    return 0


def _reason(error: Exception, display_filter: str | None) -> str:
    if isinstance(error, FilterError):
        return f"bad display filter: {error}"
    return str(error)


def _dissect(path, show: _Pass, count, out) -> None:
    keep, layout, stats = show.keep, show.layout, show.stats
    text = keep.text.lower() if keep is not None else ""
    # state spanning the pass only where something may show it (see CaptureState.for_pass)
    state = CaptureState.for_pass(text, shown=show.verbose or layout is not None)
    if layout is not None and layout.header:
        out.write(layout.header_line() + "\n")
    # (dd counts from the frame shown before, and -V's tree shows state spanning the whole
    # capture — stream numbers, the query a response answers: one pass in order)
    one_pass = show.time_format == "dd" or show.verbose or show.hexdump
    if not one_pass and halves.can_halve(path, keep, layout, stats, count):
        tcp_ports, udp_ports, icmp_types = _skimmed_ports(keep, layout, stats)
        arp = arp_may_match(keep.requires)

        def records(part, state):
            return skim(path, state, tcp_ports, udp_ports, icmp_types, part=part, arp=arp)

        halves.run(path, state, records, show.run, out)
    else:
        show.run(_frames(path, keep, layout, stats, state, count), state, out, count)
    if stats is not None:
        out.write(stats.text(show.names))
    out.flush()


class _Pass:
    """One pass over frames in order: each stepped (the state), tested, shown."""

    def __init__(self, keep, layout, stats, quiet, verbose, hexdump, names, digits=6) -> None:
        self.keep, self.layout, self.stats, self.quiet = keep, layout, stats, quiet
        self.verbose, self.hexdump, self.names = verbose, hexdump, names
        self.digits = digits  # the Time column's decimals (9 for nanosecond stamps)
        self.time_format = "r"  # tshark's -t
        self.hms = False  # tshark's -u hms: relative seconds as 1h  2m  5.250000s
        self.shown_ns: int | None = None  # the last frame shown's stamp (-t dd)
        self.displayed_ns: int | None = None  # the same for -V's "previous displayed frame"

    def time_text(self, notes) -> str:
        """The Time column's text (see `time_column`); the list formats r itself, faster."""
        mode, ns = self.time_format, notes.ns
        since = {"r": ns - notes.relative_ns, "d": ns - notes.delta_ns}.get(mode, ns)
        if mode == "dd":
            since = ns if self.shown_ns is None else self.shown_ns
            self.shown_ns = ns
        return time_text(mode, ns, since, self.digits, self.hms)

    def run(self, records, state, out, count=None) -> None:
        keep, layout, stats, quiet = self.keep, self.layout, self.stats, self.quiet
        verbose, hexdump, names = self.verbose, self.hexdump, self.names
        digits = self.digits
        relative = self.time_format == "r" and not self.hms  # the usual: a number, in the line
        line = _LINES[digits] if relative else _TEXT_LINE
        lines: list[str] = []  # written in large chunks: one write a line costs more than the line
        write = lines.append
        chunk = 1 if _is_terminal(out) else 512  # a person watching sees each line as it comes
        # Frames that cannot hold a protocol the filter needs are left undissected (the state
        # still sees them; a fragment completing a datagram is judged by the whole datagram):
        # see `workbench.dissect.prefilter`.
        requires = keep.requires if keep is not None else None
        plain = not (quiet or verbose or hexdump) and layout is None
        frame = None
        try:
            for record in records:
                notes = state.step(record)
                if (
                    requires is not None
                    and stats is None  # statistics count every frame, whatever -Y shows
                    and (
                        possible := possible_protocols(notes.facts, getattr(record, "link_type", 1))
                    )
                    is not None
                    and possible.isdisjoint(requires)
                ):
                    passed = False
                else:
                    frame = frame_for(record, notes)
                    # the filter's, -T fields' and -z's view of the frame; a listing needs none
                    view = (
                        FrameView(record, notes)
                        if keep is not None or layout is not None or stats is not None
                        else None
                    )
                    if stats is not None:
                        stats.add(notes, frame, record, view)
                    passed = keep is None or keep.predicate(frame, view)
                if passed:
                    if plain:  # the packet list's line, as nearly every pass shows it
                        protocol, source, destination, info, _kind = _row(frame, notes, names)
                        write(
                            line
                            % (
                                record.id,
                                notes.relative_ns / 1e9 if relative else self.time_text(notes),
                                source,
                                destination,
                                protocol,
                                record.wire_length or len(record.data),
                                info,
                            )
                        )
                        if len(lines) >= chunk:
                            out.write("".join(lines))
                            lines.clear()
                    elif not quiet or verbose or hexdump or layout is not None:
                        # (-q hides the packet list's lines, not -V, -x or -T fields: tshark)
                        _show(write, record, frame, view, notes, self, layout)
                        if len(lines) >= chunk:
                            out.write("".join(lines))
                            lines.clear()
                if frame is not None:
                    frame.release()
                    frame = None
                if count is not None and record.id >= count:
                    break
        finally:  # the frames before damage in the file are shown, then the reason
            out.write("".join(lines))


def _skimmed_ports(keep, layout, stats):
    """The ports and ICMP types `skim` looks for (see `_frames`)."""
    tcp_ports, udp_ports, icmp_types = needed_ports(keep.requires)
    if layout is not None or stats is not None or "tcp.stream" in keep.text.lower():
        tcp_ports = None
    return tcp_ports, udp_ports, icmp_types


def _frames(path, keep, layout, stats, state, count):
    """The frames to step, in order: with a filter over a classic pcap, the plain IPv4 TCP
    and UDP frames whose ports bind no protocol it needs (and ICMP messages of types that
    cannot match) are passed over unmade
    (`workbench.dissect.skim`). Passing over TCP loses the numbering of conversations, so
    TCP is skimmed only where nothing shown asks for `tcp.stream` (a filter naming it,
    `-T fields`, `-z`)."""
    requires = keep.requires if keep is not None else None
    if requires is None or stats is not None or not can_skim(path):
        return read_capture(path)  # (-z counts every frame: none passed over)
    tcp_ports, udp_ports, icmp_types = _skimmed_ports(keep, layout, stats)
    if tcp_ports is None and udp_ports is None and icmp_types is None:
        return read_capture(path)
    return skim(path, state, tcp_ports, udp_ports, icmp_types, count, arp=arp_may_match(requires))


def _show(write, record, frame, view, notes, how: _Pass, layout) -> None:
    verbose, hexdump, names, digits = how.verbose, how.hexdump, how.names, how.digits
    row = _row(frame, notes, names)
    dissection = None
    if verbose or hexdump:  # as tshark -V: the tree with what the frames before it add
        from workbench.dissect.noted_tree import noted_dissection  # scapy: only for -V, -x

        before, how.displayed_ns = how.displayed_ns, notes.ns
        since = 0 if before is None else notes.ns - before
        notes.note("frame.time_delta_displayed", (Decimal(since).scaleb(-9),))
        dissection = noted_dissection(record, notes)
    if layout is not None:
        write(layout.line(frame, view, row) + "\n")
    elif verbose:
        write(render_tree(dissection, data_hex=not hexdump))
    elif not hexdump:  # tshark -x alone: the dump without the summary line
        size = record.wire_length or len(record.data)
        seconds = notes.relative if how.time_format == "r" and not how.hms else how.time_text(notes)
        write(packet_line(record.id, seconds, size, row, digits))
        write("\n")
    if hexdump:
        if verbose:  # tshark -V -x: a blank line between the tree and the dump
            write("\n")
        if dissection.sources:  # tshark names each source of bytes when there are several
            write(f"Frame ({len(record.data)} bytes):\n")
        write(hex_dump(record.data) + "\n")
        for name, data in dissection.sources.items():
            write(f"{name} ({len(data)} bytes):\n{hex_dump(data)}\n")
    if verbose or hexdump:
        write("\n")


def _row(frame: Frame, notes, names: bool) -> Row:
    protocol, source, destination, info, kind = frame.row(check=False)
    protocol, info = notes.row(protocol, info)
    if names:
        source, destination = column_name(source), column_name(destination)
    else:
        if source == "Broadcast":
            source = "ff:ff:ff:ff:ff:ff"
        if destination == "Broadcast":
            destination = "ff:ff:ff:ff:ff:ff"
    return Row(protocol, source, destination, info, kind)


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _quiet_stdout(out: TextIO) -> None:
    """The reader went away (`| head -1`): send what is still buffered nowhere, so Python's
    own flush at exit does not complain about the pipe either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
    except (OSError, ValueError):
        pass


# One packet-list line (`packet_line`), with its newline: No., Time, Source, Destination,
# Protocol, Length, Info. %-formatting, as an f-string's width specs cost twice as much.
_LINE = "%5d %10.6f %12s → %-12s %s %d %s\n"
_LINES = {6: _LINE, 9: "%5d %10.9f %12s → %-12s %s %d %s\n"}  # by the Time column's decimals
_TEXT_LINE = "%5d %10s %12s → %-12s %s %d %s\n"  # -t other than r: the time as text


def packet_line(number: int, seconds: float | str, length: int, row, digits: int = 6) -> str:
    """One line as `tshark -r` prints it: right-aligned No./Time/Source, left-aligned Destination."""
    template = _TEXT_LINE if isinstance(seconds, str) else _LINES[digits]
    return template[:-1] % (
        number,
        seconds,
        row.source,
        row.destination,
        row.protocol,
        length,
        row.info,
    )


def render_tree(dissection: Dissection, data_hex: bool = False) -> str:
    """The field tree as text, four spaces a level as in `tshark -V`, each line with its bytes;
    `data_hex`: each Data layer's bytes dumped below its line, as `tshark -V` does when it
    prints no whole-frame dump (no `-x`)."""
    lines: list[str] = []
    for node, path in dissection.walk():
        lines.append(f"{'    ' * len(path)}{node.label}{byte_note(node)}")
        if data_hex and node.name == "data" and node.kind == LAYER:
            first, last = node.byte_range
            if last > first:
                lines += ["", hex_dump(dissection.bytes_of(node)[1][first:last])]
    return "\n".join(lines) + "\n"


def byte_note(node: FieldNode) -> str:
    first, last = node.byte_range
    where = f"{node.source} " if node.source else ""  # bytes of a reassembled message
    if last <= first:
        return ""
    if last - first == 1:
        return f"  [{where}byte {first}]"
    return f"  [{where}bytes {first}-{last - 1}]"


def hex_dump(data: bytes) -> str:
    """`tshark -x`'s dump: offset, 16 bytes in hex, the same bytes as ASCII."""
    lines = []
    # four digits of offset, or as many as the last byte's offset needs (as Wireshark's print.c)
    digits = max(4, len(f"{len(data) - 1:x}"))
    for at in range(0, len(data), 16):
        chunk = data[at : at + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:0{digits}x}  {hexes:<47}   {text}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1]))
