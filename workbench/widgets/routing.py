"""The routing pane: the selected host's table and its decisions, each with the mask arithmetic
the stack did (the seed's `192.168.1.100 AND 255.255.255.0 = 192.168.1.0`), the verdict, the
next hop and the interface. The newest decision is at the bottom and is the one in full colour.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from stack.events import RouteDecision
from workbench.i18n import say
from workbench.views import RouteRow, decision_lines

COLUMNS = ("Destination", "Gateway", "If", "Origin")
SHOWN = 40  # decisions kept on screen; the event log has them all


class RouteTable(DataTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", show_cursor=False, **kwargs)
        self._shown: tuple = ()

    def on_mount(self) -> None:
        for title in COLUMNS:
            self.add_column(title, key=title)

    def show(self, rows: list[RouteRow]) -> None:
        if tuple(rows) == self._shown:
            return
        self._shown = tuple(rows)
        self.clear()
        for r in rows:
            self.add_row(r.destination, r.gateway, r.interface, r.origin)


class DecisionLog(VerticalScroll, can_focus=True):
    COMPONENT_CLASSES = {"decision-log--head", "decision-log--verdict", "decision-log--old"}

    def compose(self) -> ComposeResult:
        yield Static("", id="decisions-text")

    def show(self, host: str, decisions: list[RouteDecision]) -> None:
        head = self.get_component_rich_style("decision-log--head", partial=True)
        verdict = self.get_component_rich_style("decision-log--verdict", partial=True)
        old = self.get_component_rich_style("decision-log--old", partial=True)
        recent = decisions[-SHOWN:]
        if not recent:
            text = Text(
                f"no routing decisions by {host} yet: they appear when it sends or forwards a packet",
                style="dim",
            )
        else:
            blocks = []
            for i, d in enumerate(recent):
                block = Text.assemble(
                    (f"{d.time:.6f}  " + say(f"route to {d.dst}: ").rstrip(": ："), head), "\n"
                )
                for line in decision_lines(d):
                    block.append(f"  {say(line)}\n")
                block.append(f"  → {say(d.verdict)}", style=verdict)
                if i < len(recent) - 1:
                    block.stylize(old)
                blocks.append(block)
            text = Text("\n").join(blocks)
        self.query_one("#decisions-text", Static).update(text)
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)


class RoutingPane(Vertical):
    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.host: str | None = None
        self._count = -1

    def compose(self) -> ComposeResult:
        yield RouteTable(id="route-table")
        yield DecisionLog(id="decision-log")

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._restyle, init=False)

    def _restyle(self) -> None:
        self._count = -1  # colours are baked into the text: draw it again
        self.refresh_rows()

    relabel = _restyle  # the language changed: so are the words

    def show_host(self, host: str) -> None:
        self.host = host
        self.border_title = f"Routing · {host}"
        self._count = -1
        self.refresh_rows()

    def refresh_rows(self) -> None:
        if self.host is None:
            return
        self.query_one(RouteTable).show(self.session.route_rows(self.host))
        decisions = self.session.decisions_of(self.host)
        if len(decisions) != self._count:
            self._count = len(decisions)
            self.query_one(DecisionLog).show(self.host, decisions)
