"""Follow TCP stream: what each side of the selected frame's connection sent, in order, as
Wireshark's Follow window shows it — both directions interleaved as the data became readable,
the client's (the side that spoke first) in red, the server's in blue; `h` switches between
text and a hex dump, `d` between both directions, the client's only and the server's only.

The stream is found by a worker (`workbench.capture_follow`), whose progress is shown while a
large capture is read; Esc goes back to the packet list at any time.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from workbench.capture_follow import Followed, NotTcp, follow_frame

MODES = ("text", "hex")
DIRECTIONS = ("both", "client", "server")


def text_lines(followed: Followed, direction: str) -> list[tuple[int, str]]:
    """(side, line) for the text view: printable ASCII as it is, other bytes as '.', each side's
    run of data from the start of a line."""
    out: list[tuple[int, str]] = []
    for side, chunk in _chunks(followed, direction):
        text = "".join(
            chr(b) if 32 <= b < 127 or b == 10 else ("    " if b == 9 else ".")
            for b in chunk
            if b != 13
        )
        for line in text.split("\n"):
            out.append((side, line))
        if text.endswith("\n"):
            out.pop()  # the chunk's last newline ends a line; it does not start one
    return out


def hex_lines(followed: Followed, direction: str) -> list[tuple[int, str]]:
    """(side, line) for the hex view: offset in that side's data, 16 bytes, ASCII (76 cells:
    whole lines at 80 columns; the colour says whose they are)."""
    out: list[tuple[int, str]] = []
    position = [0, 0]
    for side, chunk in _chunks(followed, direction):
        chunk = bytes(chunk)
        shown = chunk.translate(_PRINTABLE).decode(
            "ascii"
        )  # bytes' own methods: C speed, a MB a second
        for at in range(0, len(chunk), 16):
            hexes = chunk[at : at + 8].hex(" ") + "  " + chunk[at + 8 : at + 16].hex(" ")
            out.append((side, f"{position[side] + at:08x}  {hexes:<49} {shown[at : at + 16]}"))
        position[side] += len(chunk)
    return out


_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))  # the ASCII column's bytes


def _chunks(followed: Followed, direction: str):
    for side, chunk in followed.stream.chunks:
        if direction == "both" or (side == 0) == (direction == "client"):
            yield side, chunk


class StreamView(ScrollView, can_focus=True):
    """Lines of one side or the other, wrapped to the width, each in its side's colour; only
    the lines on screen are drawn, so a stream of megabytes scrolls as fast as a short one."""

    COMPONENT_CLASSES = {"stream-view--client", "stream-view--server"}
    DEFAULT_CSS = """
    StreamView { background: $surface; overflow-x: hidden; }
    StreamView > .stream-view--client { color: #e05561; background: #e05561 10%; }
    StreamView > .stream-view--server { color: #4aa5f0; background: #4aa5f0 10%; }
    """
    BINDINGS = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lines: list[tuple[int, str]] = []
        self._wrapped: list[tuple[int, str]] = []
        self._width = 0

    def show(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines
        self._width = 0
        self._wrap()
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def _wrap(self) -> None:
        width = max(1, self.scrollable_content_region.width)
        if width == self._width:
            return
        self._width = width
        wrapped = []
        for side, line in self.lines:
            if len(line) <= width:
                wrapped.append((side, line))
                continue
            for at in range(0, len(line), width):
                wrapped.append((side, line[at : at + width]))
        self._wrapped = wrapped
        self.virtual_size = Size(width, len(wrapped))

    def on_resize(self) -> None:
        self._width = 0
        self._wrap()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        if row >= len(self._wrapped):
            return Strip.blank(width, self.rich_style)
        side, text = self._wrapped[row]
        style = self.get_component_rich_style(
            "stream-view--server" if side else "stream-view--client"
        )
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)


class FollowScreen(Screen):
    DEFAULT_CSS = """
    FollowScreen { layout: vertical; }
    FollowScreen #follow-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    FollowScreen #follow-view { height: 1fr; }
    FollowScreen #follow-summary { height: auto; max-height: 2; background: $panel; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "Back", tooltip="Back to the packet list"),
        Binding("h", "mode", "Text/hex", tooltip="Show as text or as a hex dump"),
        Binding(
            "d",
            "direction",
            "Direction",
            tooltip="Both directions, the client's only, the server's only",
        ),
    ]

    def __init__(self, frames: Sequence, index: int, name: str) -> None:
        super().__init__()
        self.frames = frames
        self.index = index
        self.capture_name = name
        self.followed: Followed | None = None
        self.mode = "text"
        self.direction = "both"

    def compose(self) -> ComposeResult:
        yield Static(
            f"Follow TCP stream · frame {self.frames[self.index].id} of {self.capture_name}",
            id="follow-title",
        )
        yield StreamView(id="follow-view")
        yield Static("Finding the stream's segments…", id="follow-summary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(StreamView).focus()
        self.run_worker(self._find, thread=True, group="follow", exit_on_error=False)

    def _find(self) -> None:
        worker = get_current_worker()

        def progress(fraction: float) -> None:
            if fraction < 1.0:
                self.app.call_from_thread(self._progress, fraction)

        try:
            followed = follow_frame(self.frames, self.index, lambda: worker.is_cancelled, progress)
        except NotTcp as err:
            self.app.call_from_thread(self._refused, str(err))
            return
        if followed is not None and not worker.is_cancelled:
            self.app.call_from_thread(self._found, followed)

    def _progress(self, fraction: float) -> None:
        self.query_one("#follow-summary", Static).update(
            f"Finding the stream's segments… {100 * fraction:.0f}% of the capture read"
        )

    def _refused(self, sentence: str) -> None:
        self.query_one("#follow-summary", Static).update(
            Text(sentence[:1].upper() + sentence[1:] + ".", style="bold")
        )

    def _found(self, followed: Followed) -> None:
        self.followed = followed
        (a, pa), (b, pb) = followed.stream.nodes
        self.query_one("#follow-title", Static).update(
            f"Follow TCP stream · {a}:{pa} ↔ {b}:{pb} · {followed.frames:,} segment{'s' if followed.frames != 1 else ''} from frame {followed.first_frame}"
        )
        self._show()

    def _show(self) -> None:
        followed = self.followed
        if followed is None:
            return
        lines = (text_lines if self.mode == "text" else hex_lines)(followed, self.direction)
        self.query_one(StreamView).show(lines)
        (a, pa), (b, pb) = followed.stream.nodes
        client = self.query_one(StreamView).get_component_rich_style("stream-view--client")
        server = self.query_one(StreamView).get_component_rich_style("stream-view--server")
        which = {"both": "Entire conversation", "client": "Client only", "server": "Server only"}[
            self.direction
        ]
        shown = followed.total(
            None if self.direction == "both" else (0 if self.direction == "client" else 1)
        )
        self.query_one("#follow-summary", Static).update(
            Text.assemble(
                f"{which} ({shown:,} bytes) as {self.mode} · ",
                (f"{a}:{pa} → {followed.total(0):,} bytes", client),
                "  ",
                (f"{b}:{pb} → {followed.total(1):,} bytes", server),
            )
        )

    def action_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self._show()

    def action_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        self._show()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "follow")
        self.app.pop_screen()
