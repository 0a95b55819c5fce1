"""Statistics of a capture, as Wireshark's Statistics menu shows them: Conversations and
Endpoints (Ethernet, IPv4, IPv6, TCP, UDP, each tab with its count) and the Protocol
Hierarchy. They count the frames the display filter shows, as tshark's `-Y` with `-z` does.

A worker makes one pass over the capture (`workbench.capture_stats`); the tables fill in with
the totals so far while it runs, and the title says how far it has got. A table lists the
busiest `SHOWN` rows and says how many more there are.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, Tab, Tabs
from textual.worker import get_current_worker

from workbench.capture_stats import StatisticsPass
from workbench.dissect.stats import KINDS, TITLES
from workbench.i18n import say

SHOWN = 500  # rows per table: the busiest
REDRAW = 0.5  # seconds between redraws of the totals while the pass runs
VIEWS = {
    "conversations": "Conversations",
    "endpoints": "Endpoints",
    "hierarchy": "Protocol Hierarchy",
}
CONVERSATION_COLUMNS = (
    "Address A",
    "Port A",
    "Address B",
    "Port B",
    "Packets",
    "Bytes",
    "Packets A → B",
    "Bytes A → B",
    "Packets B → A",
    "Bytes B → A",
    "Rel Start",
    "Duration",
)
ENDPOINT_COLUMNS = (
    "Address",
    "Port",
    "Packets",
    "Bytes",
    "Tx Packets",
    "Tx Bytes",
    "Rx Packets",
    "Rx Bytes",
)
HIERARCHY_COLUMNS = ("Protocol", "Percent Packets", "Packets", "Percent Bytes", "Bytes")


def _address(value) -> str:
    if isinstance(value, bytes):
        from stack.proto.mac_names import mac_name

        return mac_name(value)
    return str(value)


def conversation_rows(stats: StatisticsPass, kind: str) -> tuple[list[tuple], int]:
    convs = stats.conversations(kind)
    origin = stats.first_ns or 0
    rows = []
    for c in convs[:SHOWN]:
        rows.append(
            (
                _address(c.a[0]),
                str(c.a[1]) if len(c.a) > 1 else "",
                _address(c.b[0]),
                str(c.b[1]) if len(c.b) > 1 else "",
                f"{c.frames:,}",
                f"{c.bytes:,}",
                f"{c.frames_ab:,}",
                f"{c.bytes_ab:,}",
                f"{c.frames_ba:,}",
                f"{c.bytes_ba:,}",
                f"{(c.first_ns - origin) / 1e9:.6f}",
                f"{(c.last_ns - c.first_ns) / 1e9:.4f}",
            )
        )
    return rows, len(convs)


def endpoint_rows(stats: StatisticsPass, kind: str) -> tuple[list[tuple], int]:
    points = stats.endpoints(kind)
    rows = [
        (
            _address(p.address[0]),
            str(p.address[1]) if len(p.address) > 1 else "",
            f"{p.frames:,}",
            f"{p.bytes:,}",
            f"{p.tx_frames:,}",
            f"{p.tx_bytes:,}",
            f"{p.rx_frames:,}",
            f"{p.rx_bytes:,}",
        )
        for p in points[:SHOWN]
    ]
    return rows, len(points)


def hierarchy_rows(stats: StatisticsPass) -> list[tuple]:
    frames, size = max(1, stats.counted), max(1, stats.bytes)
    return [
        (
            "· " * depth + node.name,
            f"{100 * node.frames / frames:.1f}%",
            f"{node.frames:,}",
            f"{100 * node.bytes / size:.1f}%",
            f"{node.bytes:,}",
        )
        for depth, node in stats.hierarchy()
    ]


class StatisticsScreen(Screen):
    DEFAULT_CSS = """
    StatisticsScreen { layout: vertical; }
    StatisticsScreen #stats-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    StatisticsScreen Tabs { height: 2; }
    StatisticsScreen #stats-table { height: 1fr; }
    StatisticsScreen #stats-note { height: 1; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "Back", tooltip="Back to the packet list"),
        Binding("c", "view('conversations')", "Conversations"),
        Binding("e", "view('endpoints')", "Endpoints"),
        Binding("h", "view('hierarchy')", "Hierarchy", tooltip="Protocol hierarchy"),
        Binding("left", "kind(-1)", "Previous kind", show=False),
        Binding("right", "kind(1)", "Next kind", show=False),
    ]

    def __init__(
        self, frames: Sequence, shown: Sequence[int], name: str, display_filter: str = ""
    ) -> None:
        super().__init__()
        self.stats = StatisticsPass(frames, shown)
        self.capture_name = name
        self.display_filter = display_filter
        self.view = "conversations"
        self.kind = "ip"
        self._shown_state: tuple = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="stats-title")
        yield Tabs(
            *[Tab(say(label), id=view) for view, label in VIEWS.items()],
            active=self.view,
            id="stats-views",
        )
        yield Tabs(
            *[Tab(TITLES[kind], id=f"kind-{kind}") for kind in KINDS],
            active=f"kind-{self.kind}",
            id="stats-kinds",
        )
        yield DataTable(id="stats-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="stats-note")
        yield Footer()

    def on_mount(self) -> None:
        self._redraw()
        self.query_one(DataTable).focus()
        self.run_worker(self._count, thread=True, group="statistics", exit_on_error=False)

    # --- the pass ------------------------------------------------------------------------------

    def _count(self) -> None:
        worker = get_current_worker()
        last = [time.monotonic()]

        def progress() -> None:
            now = time.monotonic()
            if self.stats.done or now - last[0] >= REDRAW:
                last[0] = now
                self.app.call_from_thread(self._redraw)

        self.stats.run(lambda: worker.is_cancelled, progress)

    # --- drawing -------------------------------------------------------------------------------

    def _redraw(self) -> None:
        stats = self.stats
        scope = (
            f"{say('frames matching')} {self.display_filter}"
            if self.display_filter
            else say("all frames")
        )
        counts = say(f"{stats.counted:,} frames, {stats.bytes:,} bytes")
        reading = (
            ""
            if stats.done
            else " · " + say(f"reading {100 * stats.scanned // max(1, stats.total)}%")
        )
        self.query_one("#stats-title", Static).update(
            f"{say('Statistics')} · {self.capture_name} · {scope}: {counts}{reading}"
        )
        for kind in KINDS:
            count = (
                len(stats._conversations[kind])
                if self.view == "conversations"
                else len(stats._endpoints[kind])
            )
            self.query_one(f"#kind-{kind}", Tab).label = f"{TITLES[kind]} · {count:,}"
        self.query_one("#stats-kinds").display = self.view != "hierarchy"
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        if self.view == "hierarchy":
            columns, rows, total = HIERARCHY_COLUMNS, hierarchy_rows(self.stats), None
        elif self.view == "conversations":
            columns, (rows, total) = CONVERSATION_COLUMNS, conversation_rows(self.stats, self.kind)
        else:
            columns, (rows, total) = ENDPOINT_COLUMNS, endpoint_rows(self.stats, self.kind)
        if self.view != "hierarchy" and self.kind not in ("tcp", "udp"):
            drop = {"Port A", "Port B", "Port"}
            keep = [i for i, c in enumerate(columns) if c not in drop]
            columns = tuple(columns[i] for i in keep)
            rows = [tuple(row[i] for i in keep) for row in rows]
        state = (self.view, self.kind, tuple(rows))
        if state == self._shown_state:
            return
        same_columns = self._shown_state[:2] == state[:2]
        self._shown_state = state
        cursor = table.cursor_row
        # each column as wide as its widest cell, said here: the table's own measuring of rows
        # added as it was refilled sometimes left the header's width (the CI picture of 1,500
        # frames' conversations showed the addresses cut to "192.168.1")
        table.clear(columns=True)
        for i, title in enumerate(columns):
            label = say(title)
            width = max([cell_len(label), *(cell_len(str(row[i])) for row in rows)])
            table.add_column(label, key=title, width=width)
        table.add_rows(rows)
        if same_columns and rows:
            table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)
        note = self.query_one("#stats-note", Static)
        if total is not None and total > len(rows):
            note.update(say(f"The {len(rows):,} busiest of {total:,} shown."))
        elif not rows:
            note.update(say("None yet." if not self.stats.done else "None in these frames."))
        else:
            note.update("")

    # --- keys ----------------------------------------------------------------------------------

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        tab = event.tab.id or ""
        if tab.startswith("kind-"):
            self.kind = tab.removeprefix("kind-")
        elif tab in VIEWS:
            self.view = tab
        self._redraw()

    def action_view(self, view: str) -> None:
        self.query_one("#stats-views", Tabs).active = view

    def action_kind(self, step: int) -> None:
        if self.view == "hierarchy":
            return
        kind = KINDS[(KINDS.index(self.kind) + step) % len(KINDS)]
        self.query_one("#stats-kinds", Tabs).active = f"kind-{kind}"

    def action_back(self) -> None:
        self.workers.cancel_group(self, "statistics")
        self.app.pop_screen()
