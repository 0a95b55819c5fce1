"""The event log: every decision of the stack in plain words, one line each, linked to frames.

It reads the session's log (a list that only grows) and renders only the rows on screen, so a
million events cost what twenty do. The cursor row's full sentence is shown below the list by
the pane; moving the cursor posts `EntrySelected`, which the screen turns into a packet-list
selection. While the cursor sits on the last row (or nowhere) the log follows new events; the
person moving the cursor up or scrolling up stops that, coming back to the end resumes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench.i18n import say
from workbench.messages import EntryActivated, EntrySelected

# Event kind → component class; kinds not listed use the plain text colour.
_KIND_CLASS = {
    "output": "event-log--output",
    "route": "event-log--route",
    "arp_failed": "event-log--error",
    "ping_problem": "event-log--error",
    "reassembly_failed": "event-log--error",
    "packet_dropped": "event-log--warning",
    "link_fault": "event-log--warning",
}


class EventLog(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "cursor(-1)", "Previous", show=False),
        Binding("down", "cursor(1)", "Next", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "activate", "Show its frame", show=False),
    ]

    COMPONENT_CLASSES = {
        "event-log--time",
        "event-log--host",
        "event-log--cursor",
        "event-log--drop",
        "event-log--output",
        "event-log--route",
        "event-log--error",
        "event-log--warning",
        "event-log--changed",
    }

    cursor: reactive[int | None] = reactive(None, init=False, always_update=True)

    def __init__(
        self,
        entries: Sequence,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.entries = entries
        self.follow = True
        self._count = 0
        self._styles: dict[str, Style] = {}
        self._host_width = 6
        self._silent = False

    # --- data ------------------------------------------------------------------------------

    def refresh_rows(self) -> None:
        """The list grew: resize the scroll area and, when following, show the newest row."""
        count = len(self.entries)
        if count == self._count:
            return
        self._count = count
        self.virtual_size = Size(self.size.width, count)
        if self.follow:
            self.scroll_to(y=max(0, count - self.size.height), animate=False, immediate=True)
        self.refresh()

    def follow_newest(self) -> int | None:
        """While following, put the cursor on the newest entry (no message: the screen, which
        asks while the person steps, links the rest). Its index, or None when not following."""
        self.refresh_rows()
        if not self.follow or not self.entries:
            return None
        self.select(len(self.entries) - 1)
        return self.cursor

    def set_host_width(self, width: int) -> None:
        self._host_width = max(4, width)
        self.refresh()

    def select(self, index: int | None) -> None:
        """Put the cursor on entry `index` (scrolling it into view) without posting a message:
        the screen calls this to follow a selection made elsewhere."""
        if index is None or not 0 <= index < len(self.entries):
            return
        self._silent = True
        self.cursor = index

    def watch_cursor(self, new: int | None) -> None:
        silent, self._silent = self._silent, False
        if new is None:
            return
        if (
            not silent
        ):  # a selection made elsewhere (a frame picked) is not the person leaving the end
            self.follow = new >= len(self.entries) - 1
        self._scroll_to_cursor()
        self.refresh()
        if not silent:
            self.post_message(EntrySelected(new))

    def _scroll_to_cursor(self) -> None:
        if self.cursor is None:
            return
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    # --- keys and mouse ----------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        count = len(self.entries)
        if not count:
            return
        if self.cursor is None:
            self.cursor = count - 1 if delta < 0 else max(0, min(count - 1, self.scroll_offset.y))
            return
        self.cursor = max(0, min(count - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        count = len(self.entries)
        if count:
            self.cursor = count - 1 if where < 0 else 0

    def action_activate(self) -> None:
        if self.cursor is not None:
            self.post_message(EntryActivated(self.cursor))

    def on_mouse_scroll_up(self) -> None:
        self.follow = False

    def on_mouse_scroll_down(self) -> None:
        # Back at the bottom (and the cursor, if any, on the last row): follow again.
        at_end = self.scroll_offset.y + self.size.height >= len(self.entries)
        if at_end and (self.cursor is None or self.cursor >= len(self.entries) - 1):
            self.follow = True

    def on_click(self, event: Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.entries):
            self.cursor = index

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.entries))
        if self.follow:
            self.scroll_to(
                y=max(0, len(self.entries) - self.size.height), animate=False, immediate=True
            )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    # --- rendering -------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        base = self.rich_style
        if index >= len(self.entries):
            return Strip.blank(width, base)
        entry = self.entries[index]
        segments = _row(entry, self._host_width, self._style)
        if index == self.cursor:
            base = base + self._style("event-log--cursor")
        return Strip(segments).apply_style(base).crop_extend(0, width, base).simplify()


def _row(entry, host_width: int, style: Callable[[str], Style]) -> list[Segment]:
    kind = entry.kind
    text = entry.describe()
    if kind == "frame_received" and not entry.accepted:
        text_style = style("event-log--drop")
    elif kind == "arp_cache" and "CHANGED" in text:
        text_style = style("event-log--changed")
    else:
        cls = _KIND_CLASS.get(kind)
        text_style = style(cls) if cls else Style()
    return [
        Segment(f"{entry.time:11.6f} ", style("event-log--time")),
        Segment(f"{entry.host[:host_width]:<{host_width}} ", style("event-log--host")),
        Segment(say(text), text_style),
    ]
