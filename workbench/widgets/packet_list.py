"""The packet list: Wireshark's No., Time, Source, Destination, Protocol, Length and Info columns,
and Seg (the segment the frame was seen on, Wireshark's interface column; from 90 cells wide),
over a trace that keeps growing, fast with a million frames. Time is the lab's clock, the one
the event log and the status bar show.

Modelled on Toolong's log view: a `ScrollView` whose virtual height is the number of rows and
which renders only the lines on screen, decoding each shown frame once (`RowCache`, an LRU of
rows from our fast decoder). The frames are the trace's own list, read in place; the stack
appends to it and the session calls `refresh_rows()`, which only updates the size (and follows
the tail, as Wireshark's auto-scroll does). A display filter (`set_filter`) runs over our
decoder too: a few thousand new frames inline, more in a thread worker that fills the list in
as it goes and reports its progress in the header.

Rows are coloured by protocol through component classes (`packet-list--arp`, `--icmp`,
`--icmp-error`, `--tcp`, `--udp`, `--dns`, `--dhcp`, `--http`, `--ip`, `--malformed`,
`--bad-checksum`, `--other`) so that a theme can restyle each one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from workbench.dissect.filter import DisplayFilter, FilterError, compile_filter
from workbench.dissect.rows import Columns, ColumnWidths, RowCache, format_time
from workbench.dissect.scan import FilterScan

if TYPE_CHECKING:  # stack.trace brings the lab's events: a capture's rows never need them
    from stack.trace import FrameRecord

ROW_KINDS = (
    "arp",
    "icmp",
    "icmp-error",
    "tcp",
    "udp",
    "dns",
    "dhcp",
    "http",
    "ip",
    "malformed",
    "bad-checksum",
    "other",
)
INLINE_SCAN = 5_000  # new frames filtered on the spot; more go to a worker thread


class PacketList(ScrollView, can_focus=True):
    """Wireshark's packet list over `frames`, a list the stack keeps appending to."""

    COMPONENT_CLASSES = {
        "packet-list--header",
        "packet-list--cursor",
        "packet-list--progress",
        *(f"packet-list--{kind}" for kind in ROW_KINDS),
    }

    DEFAULT_CSS = """
    PacketList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .packet-list--header { text-style: bold; background: $panel; color: $foreground; }
        & > .packet-list--progress { text-style: bold italic; background: $panel; color: $warning; }
        & > .packet-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .packet-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        /* Wireshark's hues, faint over any theme's surface; a theme restyles these classes. */
        & > .packet-list--arp { background: #e6c35c 16%; }
        & > .packet-list--icmp { background: #d65cd6 18%; }
        & > .packet-list--icmp-error { background: $error 25%; color: $text-warning; }
        & > .packet-list--tcp { background: #8c7cff 16%; }
        & > .packet-list--udp { background: #3fa9f5 15%; }
        & > .packet-list--dns { background: #3fa9f5 28%; }
        & > .packet-list--dhcp { background: #2ec4b6 22%; }
        & > .packet-list--http { background: #7ed957 18%; }
        & > .packet-list--ip { background: $foreground 6%; }
        & > .packet-list--malformed { background: $error 45%; color: $text-error; text-style: bold; }
        & > .packet-list--bad-checksum { background: $error 20%; color: $text-error; }
        & > .packet-list--other { }
    }
    """

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last (follow)", show=False),
        Binding("enter", "activate", "Open frame", show=False),
    ]

    class _FrameMessage(Message):
        def __init__(self, frame_id: int, packet_list: PacketList | None = None) -> None:
            super().__init__()
            self.frame_id = frame_id
            self.packet_list = packet_list

        @property
        def control(self) -> PacketList | None:
            return self.packet_list

    class FrameSelected(_FrameMessage):
        """The cursor moved onto a frame."""

    class FrameActivated(_FrameMessage):
        """Enter (or a double click) on a frame: the person wants to look into it."""

    class FilterProgress(Message):
        """A display filter is being applied: `scanned` of `total` frames, `matched` so far."""

        def __init__(
            self, packet_list: PacketList, scanned: int, total: int, matched: int, done: bool
        ) -> None:
            super().__init__()
            self.packet_list = packet_list
            self.scanned, self.total, self.matched, self.done = scanned, total, matched, done

        @property
        def control(self) -> PacketList:
            return self.packet_list

    def __init__(
        self,
        frames: Sequence[FrameRecord],
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 — Textual's name
        classes: str | None = None,
        disabled: bool = False,
        follow_tail: bool = True,
        time_origin: float = 0.0,
        segments: bool = True,
        rows: RowCache | None = None,
        scan: Callable[[DisplayFilter], FilterScan] | None = None,
    ) -> None:
        """`follow_tail`: new frames scroll a list resting at its end (a running lab; not a file
        being indexed). `time_origin` is subtracted from each frame's time in the Time column.
        `segments`: whether there is a Seg column at all (a pcap file names no interfaces).
        `rows` and `scan`: where rows and a filter's matches come from (a capture: its pass
        across frames, `workbench.dissect.capture_notes`); by default each frame alone."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.frames = frames
        self.follow_tail = follow_tail
        self.time_origin = time_origin
        self.rows = rows if rows is not None else RowCache(frames)
        self._new_scan = scan or (lambda display_filter: FilterScan(frames, display_filter))
        self._count = len(frames)  # frames known to the view (refresh_rows moves it on)
        self._scan: FilterScan | None = None  # the filter, and the frames that pass it so far
        self._scanning = False  # a worker is filtering
        self._generation = 0  # bumped by every set_filter, so a stale worker's results are dropped
        self._cursor: int | None = None  # row index
        self._selected_id: int | None = None
        self._segments = segments
        self._widths = ColumnWidths() if segments else ColumnWidths(segment=0)

    # --- public API -----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows shown: every frame, or the frames that pass the filter so far."""
        return len(self._scan) if self._scan is not None else self._count

    @property
    def cursor_row(self) -> int | None:
        return self._cursor

    @property
    def selected_frame_id(self) -> int | None:
        """The frame under the cursor, if any."""
        if self._cursor is None:
            return None
        return self.frames[self._frame_index(self._cursor)].id

    @property
    def filter_text(self) -> str:
        return self._scan.text if self._scan is not None else ""

    def shown_indices(self) -> Sequence[int]:
        """The indices into `frames` of the rows shown, ascending (all of them without a filter)."""
        return self._scan.matches if self._scan is not None else range(self._count)

    @property
    def filtering(self) -> bool:
        """True while a worker is still applying the filter to old frames."""
        return self._scanning

    def refresh_rows(self) -> None:
        """The frame list grew: show the new rows, and keep following the tail if we were."""
        total = len(self.frames)
        if total < self._count:  # the list was emptied (a new lab, say): start again
            self._start_over()
            return
        if total == self._count and (self._scan is None or not self._scan.pending):
            return
        cursor_at_tail = (
            self.follow_tail and self._cursor is not None and self._cursor == self.row_count - 1
        )
        view_at_tail = self.follow_tail and self.scroll_y >= self.max_scroll_y
        self._count = total
        if self._scan is not None and not self._scanning:
            self._continue_scan()
        self._update_size()
        self._after_growth(cursor_at_tail, view_at_tail)

    def select_frame(self, frame_id: int) -> bool:
        """Put the cursor on frame `frame_id` and scroll it into view; False if it is not shown."""
        index = self._index_of_id(frame_id)
        if index is None:
            return False
        row = index if self._scan is None else self._scan.row_of(index)
        if row is None:
            return False
        self._move_cursor(row, center=True)
        return True

    def set_filter(self, text: str) -> str | None:
        """Show only frames that match `text` (empty: all). None if it parsed, else one sentence why not."""
        text = text.strip()
        if not text:
            if self._scan is not None:
                self._clear_filter()
            return None
        try:
            display_filter = compile_filter(text)
        except FilterError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 — a parser bug must not take the screen down
            return f"the filter could not be read ({type(error).__name__}: {error})"
        self._generation += 1
        self.workers.cancel_group(self, "packet-list-filter")
        self._scanning = False
        self._scan = self._new_scan(display_filter)
        self._count = len(self.frames)
        self._cursor = None
        self._update_size()
        self.scroll_to(y=0, animate=False)
        self._continue_scan()
        self._update_size()
        self.refresh()
        return None

    def _start_over(self) -> None:
        self.rows.clear()
        self._widths = ColumnWidths() if self._segments else ColumnWidths(segment=0)
        self._cursor = self._selected_id = None
        self._count = len(self.frames)
        if self._scan is not None:
            self.set_filter(self._scan.text)
        self._update_size()
        self.scroll_to(y=0, animate=False)
        self.refresh()

    # --- filtering ------------------------------------------------------------------------

    def _clear_filter(self) -> None:
        self._generation += 1
        self.workers.cancel_group(self, "packet-list-filter")
        self._scanning = False
        self._scan = None
        self._count = len(self.frames)
        self._update_size()
        self._cursor = None
        if self._selected_id is not None and self.select_frame(self._selected_id):
            return
        if self.follow_tail:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def _continue_scan(self) -> None:
        """Filter the frames not yet looked at: inline if few, else in a worker thread."""
        scan = self._scan
        assert scan is not None
        if scan.pending <= INLINE_SCAN:
            found_before = len(scan)
            scan.catch_up()
            self._restore_cursor(scan.matches[found_before:])
            self.post_message(
                self.FilterProgress(self, scan.scanned, scan.scanned, len(scan), True)
            )
            return
        self._scanning = True
        generation = self._generation
        self.run_worker(
            lambda: self._scan_worker(generation, scan),
            thread=True,
            group="packet-list-filter",
            exit_on_error=False,
        )

    def _scan_worker(self, generation: int, scan: FilterScan) -> None:
        worker = get_current_worker()
        start = scan.scanned
        while not worker.is_cancelled and generation == self._generation:
            end = min(len(scan.frames), start + scan.chunk)
            if start >= end:
                break
            found = scan.find(start, end)
            if worker.is_cancelled or generation != self._generation:
                return
            try:
                self.app.call_from_thread(self._scan_progress, generation, found, end)
            except Exception:  # noqa: BLE001 — the app is closing
                return
            start = end
        try:
            self.app.call_from_thread(self._scan_finished, generation)
        except Exception:  # noqa: BLE001
            return

    def _scan_progress(self, generation: int, found: list[int], upto: int) -> None:
        scan = self._scan
        if generation != self._generation or scan is None:
            return
        scan.accept(found, upto)
        self._restore_cursor(found)
        self._update_size()
        self.post_message(self.FilterProgress(self, upto, len(self.frames), len(scan), False))
        self.refresh()

    def _scan_finished(self, generation: int) -> None:
        scan = self._scan
        if generation != self._generation or scan is None:
            return
        self._scanning = False
        self._count = len(self.frames)
        if scan.pending:
            self._continue_scan()
            return
        self.post_message(self.FilterProgress(self, scan.scanned, self._count, len(scan), True))
        self._update_size()
        self.refresh()

    def _restore_cursor(self, found) -> None:
        """While a new filter fills the list, put the cursor back on the selected frame when it passes."""
        if self._cursor is not None or self._selected_id is None or not found or self._scan is None:
            return
        index = self._index_of_id(self._selected_id)
        if index is not None and found[0] <= index <= found[-1]:
            row = self._scan.row_of(index)
            if row is not None:
                self._cursor = row
                self.call_after_refresh(self._scroll_to_row, row, True)

    # --- cursor and scrolling -------------------------------------------------------------

    def _after_growth(self, cursor_at_tail: bool, view_at_tail: bool) -> None:
        if cursor_at_tail and self.row_count:
            self._move_cursor(self.row_count - 1)
        elif view_at_tail:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.refresh()

    def _move_cursor(self, row: int | None, *, center: bool = False) -> None:
        count = self.row_count
        if row is None or count == 0:
            return
        row = max(0, min(count - 1, row))
        previous = self._cursor
        self._cursor = row
        self._scroll_to_row(row, center)
        self.refresh()
        frame_id = self.frames[self._frame_index(row)].id
        if previous != row or frame_id != self._selected_id:
            self._selected_id = frame_id
            self.post_message(self.FrameSelected(frame_id, self))

    def _scroll_to_row(self, row: int, center: bool = False) -> None:
        visible = self._visible_rows()
        top = round(self.scroll_y)
        if top <= row < top + visible:
            return
        if center:
            target = row - visible // 2
        elif row < top:
            target = row
        else:
            target = row - visible + 1
        self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self._move_cursor(self.row_count - 1 if self._cursor is None else self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(round(self.scroll_y) if self._cursor is None else self._cursor + 1)

    def action_page_up(self) -> None:
        step = self._visible_rows()
        self._move_cursor(
            max(0, (self._cursor if self._cursor is not None else round(self.scroll_y)) - step)
        )

    def action_page_down(self) -> None:
        step = self._visible_rows()
        self._move_cursor(
            (self._cursor if self._cursor is not None else round(self.scroll_y)) + step
        )

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        self._move_cursor(self.row_count - 1)

    def action_activate(self) -> None:
        if self._cursor is not None:
            self.post_message(
                self.FrameActivated(self.frames[self._frame_index(self._cursor)].id, self)
            )

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = round(self.scroll_y) + offset.y - 1
        if 0 <= row < self.row_count:
            self._move_cursor(row)
            if event.chain >= 2:
                self.action_activate()

    # --- geometry and rendering -----------------------------------------------------------

    def _frame_index(self, row: int) -> int:
        return self._scan.matches[row] if self._scan is not None else row

    def _index_of_id(self, frame_id: int) -> int | None:
        frames = self.frames
        count = min(self._count, len(frames))
        guess = frame_id - 1
        if 0 <= guess < count and frames[guess].id == frame_id:
            return guess
        lo, hi = 0, count  # ids ascend: binary search
        while lo < hi:
            mid = (lo + hi) // 2
            if frames[mid].id < frame_id:
                lo = mid + 1
            else:
                hi = mid
        if lo < count and frames[lo].id == frame_id:
            return lo
        return None

    def _update_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count + 1)

    def on_resize(self) -> None:
        self._update_size()

    def on_mount(self) -> None:
        self._update_size()

    def render_lines(self, crop):
        self._grow_columns()
        return super().render_lines(crop)

    def _grow_columns(self) -> None:
        """Widen Source/Destination/Protocol/Length to what the rows on screen need (never shrink)."""
        top = round(self.scroll_y)
        for row in range(top, min(self.row_count, top + self._visible_rows())):
            index = self._frame_index(row)
            record = self.frames[index]
            self._widths.grow(self.rows.row(index), _length(record), record.segment)

    def _columns(self, width: int) -> Columns:
        count = self._count
        if not count:
            return Columns.fit(width, self._widths, 1, "0.000000")
        last = self.frames[count - 1]
        return Columns.fit(width, self._widths, last.id, format_time(last.time - self.time_origin))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = self._columns(width)
        if y == 0:
            return self._header(columns, width)
        row = round(self.scroll_y) + y - 1
        if row >= self.row_count:
            return Strip.blank(width, self.rich_style)
        index = self._frame_index(row)
        record = self.frames[index]
        r = self.rows.row(index)
        text = columns.line(
            record.id, record.time - self.time_origin, _length(record), r, record.segment
        )
        style = self.get_component_rich_style(f"packet-list--{r.kind}")
        if row == self._cursor:
            style = style + self.get_component_rich_style("packet-list--cursor")
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _header(self, columns: Columns, width: int) -> Strip:
        text = columns.header()
        style = self.get_component_rich_style("packet-list--header")
        segments = [Segment(text, style)]
        if self._scan is not None:
            note = self._progress_note()
            pad = max(1, width - len(text) - len(note))
            progress_style = self.get_component_rich_style("packet-list--progress")
            segments = [Segment(text + " " * pad, style), Segment(note, progress_style)]
        return Strip(segments).adjust_cell_length(width, style)

    def _progress_note(self) -> str:
        total = max(1, self._count)
        if self._scanning and self._scan is not None:
            scanned = self._scan.scanned
            return f" filtering {100 * scanned // total}%: {self.row_count:,} of {scanned:,} "
        return f" {self.row_count:,} of {self._count:,} shown "


def _length(record) -> int:
    """The Length column: the frame's length on the wire, as Wireshark's (a capture's snaplen
    may have kept fewer bytes)."""
    return getattr(record, "wire_length", 0) or len(record.data)


__all__ = ["PacketList", "ROW_KINDS"]


class PacketsPane(Container):
    """The packet list as a pane of the workbench screen, over the session's frames."""

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session

    def compose(self) -> ComposeResult:
        yield PacketList(self.session.frames, id="packet-list")

    def refresh_rows(self) -> None:
        self.query_one(PacketList).refresh_rows()
