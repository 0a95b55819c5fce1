"""The hex view: a frame's bytes as offset, hex and ASCII, with the selected field's bytes lit.

Sixteen bytes a line when there is room, eight or four when not. A byte cursor moves with the
arrow keys or a click (on the hex or the ASCII side) and posts `ByteSelected`, so the
dissector can select the field that byte belongs to; `highlight(first, last)` lights the
bytes of the field selected in the tree. Bytes no dissector understood are marked
(`hex-view--undecoded`). Colours are component classes, for themes.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


class HexView(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "hex-view--offset",
        "hex-view--field",
        "hex-view--cursor",
        "hex-view--undecoded",
        "hex-view--empty",
    }

    DEFAULT_CSS = """
    HexView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        & > .hex-view--offset { color: $text-muted; }
        & > .hex-view--field { background: $accent 45%; color: $foreground; text-style: bold; }
        & > .hex-view--cursor { background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground; }
        &:focus > .hex-view--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
        & > .hex-view--undecoded { background: $error 30%; color: $text-error; }
        & > .hex-view--empty { color: $text-muted; text-style: italic; }
    }
    """

    BINDINGS = [
        Binding("left", "move(-1)", "Byte left", show=False),
        Binding("right", "move(1)", "Byte right", show=False),
        Binding("up", "move_line(-1)", "Line up", show=False),
        Binding("down", "move_line(1)", "Line down", show=False),
        Binding("home", "jump(0)", "First byte", show=False),
        Binding("end", "jump(-1)", "Last byte", show=False),
    ]

    class ByteSelected(Message):
        """The byte cursor moved to `offset` (by key or click)."""

        def __init__(self, hex_view: HexView, offset: int) -> None:
            super().__init__()
            self.hex_view = hex_view
            self.offset = offset

        @property
        def control(self) -> HexView:
            return self.hex_view

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self.data = b""
        self.highlighted: tuple[int, int] = (0, 0)
        self.undecoded: tuple[int, int] | None = None
        self.cursor: int | None = None

    # --- public API -----------------------------------------------------------------------

    def show(self, data: bytes, undecoded: tuple[int, int] | None = None) -> None:
        """Show these bytes (no highlight, no cursor); `undecoded` marks bytes nobody understood."""
        self.data = bytes(data)
        self.undecoded = undecoded
        self.highlighted = (0, 0)
        self.cursor = None
        self._update_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def highlight(self, first: int, last: int) -> None:
        """Light bytes [first, last) and scroll them into view; an empty range lights nothing."""
        first, last = max(0, first), min(len(self.data), last)
        self.highlighted = (first, last) if last > first else (0, 0)
        if last > first:
            self._scroll_into_view(first // self.per_line, (last - 1) // self.per_line)
        self.refresh()

    def move_cursor(self, offset: int | None, *, announce: bool = True) -> None:
        """Put the byte cursor on `offset` (None hides it); posts ByteSelected if `announce`."""
        if offset is None or not self.data:
            self.cursor = None
            self.refresh()
            return
        offset = max(0, min(len(self.data) - 1, offset))
        self.cursor = offset
        line = offset // self.per_line
        self._scroll_into_view(line, line)
        self.refresh()
        if announce:
            self.post_message(self.ByteSelected(self, offset))

    # --- geometry -------------------------------------------------------------------------

    @property
    def per_line(self) -> int:
        width = self.scrollable_content_region.width or 80
        for count in (16, 8, 4):
            if width >= line_width(count):
                return count
        return 4

    def _update_size(self) -> None:
        lines = max(1, -(-len(self.data) // self.per_line))
        self.virtual_size = Size(self.scrollable_content_region.width, lines)

    def on_resize(self) -> None:
        self._update_size()

    def on_mount(self) -> None:
        self._update_size()

    def _scroll_into_view(self, first_line: int, last_line: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if first_line >= top and last_line < top + height:
            return
        target = (
            first_line
            if (last_line - first_line) >= height or first_line < top
            else last_line - height + 1
        )
        self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def offset_at(self, x: int, y: int) -> int | None:
        """The byte under content cell (x, y), on the hex side or the ASCII side, or None."""
        per_line = self.per_line
        line = round(self.scroll_y) + y
        column = None
        for index in range(per_line):
            hex_x = _hex_x(index, per_line)
            if hex_x <= x < hex_x + 3 or _ascii_x(index, per_line) == x:
                column = index
                break
        if column is None:
            return None
        offset = line * per_line + column
        return offset if 0 <= offset < len(self.data) else None

    # --- keys and mouse -------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        self.move_cursor(0 if self.cursor is None else self.cursor + step)

    def action_move_line(self, step: int) -> None:
        self.move_cursor(0 if self.cursor is None else self.cursor + step * self.per_line)

    def action_jump(self, where: int) -> None:
        self.move_cursor(len(self.data) - 1 if where < 0 else where)

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        byte = self.offset_at(offset.x, offset.y)
        if byte is not None:
            self.move_cursor(byte)

    # --- rendering ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self.data:
            if y == 0:
                style = self.get_component_rich_style("hex-view--empty")
                return Strip([Segment("(no frame)", style)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        per_line = self.per_line
        start = (round(self.scroll_y) + y) * per_line
        if start >= len(self.data):
            return Strip.blank(width, base)
        chunk = self.data[start : start + per_line]
        styles = [self._byte_style(start + i, base) for i in range(len(chunk))]
        offset_style = self.get_component_rich_style("hex-view--offset")
        segments = [Segment(f"{start:04x}", offset_style), Segment("  ", base)]
        for i, byte in enumerate(chunk):
            if i and i % 8 == 0:
                segments.append(Segment(" ", base))
            # The space after a byte joins it to the next one when both are lit.
            joined = i + 1 < len(chunk) and styles[i] is styles[i + 1] and styles[i] is not base
            segments.append(Segment(f"{byte:02x}", styles[i]))
            segments.append(Segment(" ", styles[i] if joined and (i + 1) % 8 else base))
        missing = per_line - len(chunk)
        if missing:
            segments.append(
                Segment("   " * missing + (" " if per_line > 8 and len(chunk) <= 8 else ""), base)
            )
        segments.append(Segment("  ", base))
        for i, byte in enumerate(chunk):
            segments.append(Segment(chr(byte) if 32 <= byte < 127 else ".", styles[i]))
        return Strip(segments).adjust_cell_length(width, base)

    def _byte_style(self, offset: int, base: Style) -> Style:
        if offset == self.cursor:
            return self.get_component_rich_style("hex-view--cursor")
        first, last = self.highlighted
        if first <= offset < last:
            return self.get_component_rich_style("hex-view--field")
        if self.undecoded is not None and self.undecoded[0] <= offset < self.undecoded[1]:
            return self.get_component_rich_style("hex-view--undecoded")
        return base


def line_width(per_line: int) -> int:
    """Cells a line needs: offset, two spaces, hex (3 a byte, one more per group of 8), ASCII."""
    return 6 + per_line * 3 + (per_line - 1) // 8 + 2 + per_line


def _hex_x(index: int, per_line: int) -> int:
    return 6 + index * 3 + index // 8


def _ascii_x(index: int, per_line: int) -> int:
    return 6 + per_line * 3 + (per_line - 1) // 8 + 2 + index
