"""The ARP pane: the selected host's cache — IP, MAC, state, age — updating as the clock runs.

An entry whose MAC changed is marked CHANGED in the warning colour, and the line below the
table says from what to what and which lab NICs own the two addresses: a crafted reply that
poisons a cache cannot pass unnoticed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from workbench.views import ArpRow

COLUMNS = ("IP", "MAC", "State", "Age", "If")


class ArpTable(DataTable):
    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "arp-table--changed",
        "arp-table--incomplete",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self._shown: tuple = ()
        self._rows: list[ArpRow] = []
        self.with_interface = False

    def on_mount(self) -> None:
        self._columns(with_interface=False)
        self.watch(self.app, "theme", self._restyle, init=False)

    def _columns(self, with_interface: bool) -> None:
        """The interface column only for hosts with several (routers): room is short."""
        self.with_interface = with_interface
        self.clear(columns=True)
        for title in COLUMNS if with_interface else COLUMNS[:-1]:
            self.add_column(title, key=title)
        self._shown = ()

    def _restyle(self) -> None:
        """Colours are baked into the cells: a new theme rebuilds them."""
        self._shown = ()
        self.show(self._rows, self.with_interface)

    def show(self, rows: list[ArpRow], with_interface: bool = False) -> None:
        self._rows = rows
        if with_interface != self.with_interface:
            self._columns(with_interface)
        shown = tuple((r.ip, r.mac, r.state, f"{r.age:.0f}", r.interface, r.previous) for r in rows)
        if shown == self._shown:
            return
        self._shown = shown
        keep = self.cursor_row
        self.clear()
        changed = self.get_component_rich_style("arp-table--changed", partial=True)
        incomplete = self.get_component_rich_style("arp-table--incomplete", partial=True)
        for r in rows:
            if r.previous:
                state = Text("CHANGED", style=changed)
                mac = Text(r.mac, style=changed)
            else:
                state = Text(r.state, style=incomplete if r.state == "incomplete" else "")
                mac = Text(r.mac, style=incomplete if r.state == "incomplete" else "")
            cells = [r.ip, mac, state, f"{r.age:.0f}s", r.interface]
            self.add_row(*(cells if self.with_interface else cells[:-1]))
        if rows:
            self.move_cursor(row=min(keep, len(rows) - 1), animate=False)


class ArpPane(Vertical):
    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.host: str | None = None

    def compose(self) -> ComposeResult:
        yield ArpTable(id="arp-table")
        yield Static("", id="arp-detail", classes="detail")

    def show_host(self, host: str) -> None:
        self.host = host
        self.border_title = f"ARP · {host}"
        self.refresh_rows()

    def refresh_rows(self) -> None:
        if self.host is None:
            return
        rows = self.session.arp_rows(self.host)
        self.query_one(ArpTable).show(
            rows, with_interface=self.session.interface_count(self.host) > 1
        )
        detail = self._detail(rows)
        if detail != getattr(self, "_shown_detail", None):  # an unchanged line costs no layout
            self._shown_detail = detail
            self.query_one("#arp-detail", Static).update(detail)

    def _detail(self, rows: list[ArpRow]) -> Text:
        changed = [r for r in rows if r.previous]
        if not changed:
            if not rows:
                return Text(
                    f"{self.host}'s cache is empty: the next packet to a neighbour asks by broadcast",
                    style="dim",
                )
            waiting = [r.ip for r in rows if r.state == "incomplete"]
            if waiting:
                return Text(
                    f"asked who has {', '.join(waiting)}; packets for it wait here until the answer comes (3 tries, 1 s apart)",
                    style="dim",
                )
            return Text(
                f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}; reachable for 30 s after the last answer, then stale",
                style="dim",
            )
        owner = self.session.owner_of
        parts = []
        for r in changed:
            was, now = owner(r.previous), owner(r.mac)
            parts.append(
                Text.assemble(
                    (f"{r.ip} CHANGED", "bold"),
                    f" at {r.changed_at:.6f} s: was {r.previous}",
                    f" ({was})" if was else "",
                    f", now {r.mac}",
                    f" ({now})" if now else "",
                )
            )
        text = Text("\n").join(parts)
        text.stylize(
            self.query_one(ArpTable).get_component_rich_style("arp-table--changed", partial=True)
        )
        return text
