"""The hosts pane: every host and router of the lab, one row per interface, and a line below
with the highlighted host's vendor and counters in full.

Vendors come from scapy's OUI database, which costs a quarter of a second to load: they are
looked up in a thread after the first screen is up, and fill in when ready.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from workbench.messages import HostSelected
from workbench.views import HostRow

VENDOR_WIDTH = 10  # the table's vendor column; the line below it has the whole name
VENDOR_DELAY = 0.4  # seconds after mounting before the OUI database is loaded (in a thread)
COLUMNS = ("Host", "Address", "MAC", "Gateway", "DNS", "DHCP", "Vendor", "RX/TX")


class HostsTable(DataTable):
    # DataTable's own Home/End scroll sideways, which a table this narrow never needs.
    BINDINGS = [
        Binding("home", "first_host", "First host", show=False),
        Binding("end", "last_host", "Last host", show=False),
    ]
    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {"hosts-table--router", "hosts-table--dim"}

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_shown: list[HostRow] = []
        self.vendors: dict[str, str] = {}
        self._shown: tuple = ()
        self._cells: list[tuple] = []

    def on_mount(self) -> None:
        for title in COLUMNS:
            # The vendor column is as wide as its names are cut to from the start: the names
            # come from a thread, and a column grown when they came was a race (seen in CI).
            width = VENDOR_WIDTH if title == "Vendor" else None
            self.add_column(title, key=title, width=width)
        self.watch(self.app, "theme", self._restyle, init=False)

    def _restyle(self) -> None:
        """Colours are baked into the cells: a new theme rebuilds them."""
        rows, self.rows_shown, self._shown = self.rows_shown, [], ()
        self.show(rows)

    def show(self, rows: list[HostRow]) -> None:
        shown = (tuple(rows), tuple(sorted(self.vendors.items())))
        if shown == self._shown:
            return
        old = self.rows_shown
        self._shown = shown
        self.rows_shown = rows
        if [(r.host, r.interface) for r in old] == [(r.host, r.interface) for r in rows]:
            # The same hosts (the usual case: counters moved): touch only the cells that changed.
            for y, (before, after) in enumerate(
                zip(self._cells, cells := [self._cells_of(r) for r in rows], strict=True)
            ):
                for x, (a, b) in enumerate(zip(before, after, strict=True)):
                    if a != b:
                        self.update_cell_at((y, x), b, update_width=True)
            self._cells = cells
            return
        keep = self.cursor_row
        self.clear()
        self._cells = [self._cells_of(r) for r in rows]
        for cells in self._cells:
            self.add_row(*cells)
        if rows:
            self.move_cursor(row=min(keep, len(rows) - 1), animate=False)

    def _cells_of(self, row: HostRow) -> tuple:
        if row.first:
            name = Text(row.host, style=self._style("hosts-table--router") if row.router else "")
        else:
            name = Text(f"└{row.interface}", style=self._style("hosts-table--dim"))
        vendor = self.vendors.get(row.mac, "…")
        return (
            name,
            row.address,
            row.mac,
            row.gateway,
            row.dns,
            row.dhcp if row.first else "",
            _short(vendor),
            f"{_count(row.rx)}/{_count(row.tx)}",
        )

    def _style(self, name: str):
        return self.get_component_rich_style(name, partial=True)

    def action_first_host(self) -> None:
        if self.rows_shown:
            self.move_cursor(row=0, animate=False)

    def action_last_host(self) -> None:
        """The last host's own row (not its last interface's)."""
        firsts = [i for i, row in enumerate(self.rows_shown) if row.first]
        if firsts:
            self.move_cursor(row=firsts[-1], animate=False)
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def host_at(self, index: int) -> str | None:
        return self.rows_shown[index].host if 0 <= index < len(self.rows_shown) else None


def _short(vendor: str) -> str:
    """The vendor's first word (as Wireshark's short names), enough to tell NICs apart."""
    word = vendor.split(" ")[0].rstrip(",")
    return word if len(word) <= VENDOR_WIDTH else word[: VENDOR_WIDTH - 1] + "…"


def _count(n: int) -> str:
    return f"{n}" if n < 10_000 else f"{n // 1000}k" if n < 10_000_000 else f"{n // 1_000_000}M"


class HostsPane(Vertical):
    """HostsTable plus the detail line; posts HostSelected when the highlight moves to a host."""

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.selected: str | None = None

    def compose(self) -> ComposeResult:
        yield HostsTable(id="hosts-table")
        yield Static("", id="hosts-detail", classes="detail")

    @property
    def table(self) -> HostsTable:
        return self.query_one(HostsTable)

    def on_mount(self) -> None:
        self.vendors_ready = asyncio.Event()
        self.refresh_rows()
        # Not at once: loading scapy in a thread competes for the GIL with the first paint.
        self.set_timer(VENDOR_DELAY, self._look_up_vendors)

    def _look_up_vendors(self) -> None:
        self.run_worker(
            self._vendors, thread=True, name="vendors", group="vendors", exit_on_error=False
        )

    def _vendors(self) -> None:
        found = {mac: self.session.vendor(mac) for mac in self.session.macs()}
        self.app.call_from_thread(self._got_vendors, found)

    def _got_vendors(self, found: dict[str, str]) -> None:
        self.table.vendors = found
        self.refresh_rows()
        self.vendors_ready.set()

    def refresh_rows(self) -> None:
        self.table.show(self.session.host_rows())
        self._show_detail()

    def show_host(self, host: str) -> None:
        """The screen's host in focus: put the cursor on it, unless it is already on one of its rows."""
        if self.table.host_at(self.table.cursor_row) != host:
            self.select_host(host)

    def select_host(self, host: str) -> None:
        table = self.table
        for i, row in enumerate(table.rows_shown):
            if row.host == host and row.first:
                table.move_cursor(row=i, animate=False)
                break

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        host = self.table.host_at(event.cursor_row)
        self._show_detail()
        if host is not None and host != self.selected:
            self.selected = host
            self.post_message(HostSelected(host))

    def _show_detail(self) -> None:
        table = self.table
        index = table.cursor_row
        if not 0 <= index < len(table.rows_shown):
            return
        row = table.rows_shown[index]
        vendor = table.vendors.get(row.mac)
        text = Text.assemble(
            (f"{row.host} {row.interface}", "bold"),
            "  ",
            row.mac,
            f" ({vendor})"
            if vendor
            else (" (vendor: looking up…)" if vendor is None else " (no registered vendor)"),
            f"  RX {row.rx}  TX {row.tx}  not for it {row.filtered}",
        )
        if text != getattr(self, "_shown_detail", None):  # an unchanged line costs no layout
            self._shown_detail = text
            self.query_one("#hosts-detail", Static).update(text)
