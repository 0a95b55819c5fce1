"""`?`: every key of the workbench, read from the bindings themselves (screen first, then the
app), so the list cannot drift from what the keys do."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from workbench.i18n import say


def key_rows(app, *owners, full: bool = False) -> list[tuple[str, str]]:
    """(keys, what they do) for every described binding of `owners` (screens, the app); `full`
    takes the tooltip where there is one (the footer's description is a single short word)."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for owner in owners:
        grouped: dict[str, list[str]] = {}
        order: list[str] = []
        for _key, bindings in owner._bindings.key_to_bindings.items():
            for b in bindings:
                if not b.description or b.action in seen:
                    continue
                if b.action not in grouped:
                    grouped[b.action] = []
                    order.append(b.action)
                    grouped[b.action].append((b.tooltip if full else "") or b.description)
                grouped[b.action].append(app.get_key_display(b))
        for action in order:
            description, *keys = grouped[action]
            row = (" ".join(dict.fromkeys(keys)), say(description) if full else description)
            if row not in rows:  # one key that says two words (space: Play, Pause) is one row
                rows.append(row)
            seen.add(action)
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, owner: Screen) -> None:
        super().__init__()
        self.owner = owner

    def _trace_line(self) -> str:
        # The same words every time (the path has the process id in it: the status bar shows
        # it once frames spill).
        return (
            "Trace: the newest frames stay in memory (10,000; --trace-window N sets it); older ones "
            "go to a temporary pcapng named in the status bar (--spill FILE keeps it)."
        )

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        self.rows = key_rows(self.app, self.owner, self.app, full=True)
        for keys, description in self.rows:
            table.add_row(keys, description)
        with VerticalScroll(id="help-box"):
            yield Static(Text(say("Keys"), style="bold"), id="help-title")
            yield Static(table, id="help-keys")
            yield Static(
                say(
                    "In a pane: ↑ ↓ PgUp PgDn Home End move, Enter opens, Tab goes to the next pane.\n"
                    "The same actions are in the command palette (ctrl+p). Esc closes this."
                )
                + "\n"
                + say(self._trace_line()),
                classes="hint",
            )

    def action_dismiss(self) -> None:
        self.dismiss(None)
