"""The filter bar under the panes: `/` opens it, Enter applies the filter to the packet list
(protocol, host, port; the display-filter language plugs in behind the same call), Escape
closes it. A filter the packet list cannot read shows its one sentence and stays open.
"Apply as Filter" (a, A on a field of the dissector's tree) fills it in the same way."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static


class FilterBar(Vertical):
    BINDINGS = [Binding("escape", "close", "Close filter", show=False)]

    class Submitted(Message):
        def __init__(self, bar: FilterBar, text: str) -> None:
            super().__init__()
            self.bar = bar
            self.text = text

    class Closed(Message):
        pass

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="filter: arp, icmp, tcp port 80, host 192.168.1.1 … (empty clears)",
            id="filter-input",
        )
        yield Static("", id="filter-error", classes="error")

    def open(self, text: str = "", *, to_edit: bool = False) -> None:
        """Show the bar with `text`, all of it selected (typing replaces it); `to_edit`: the
        cursor after it instead, so typing adds to it ("Prepare as Filter")."""
        self.display = True
        field = self.query_one(Input)
        field.value = text
        field.cursor_position = len(text)
        field.cursor_blink = getattr(self.app, "cursor_blink", True)
        self.show_error(None)
        field.focus()
        if to_edit:
            self.call_after_refresh(field.action_end)  # after the focus has selected it all

    def apply(self, text: str) -> None:
        """Open with `text` and submit it, as if typed and Enter pressed ("Apply as Filter")."""
        self.open(text)
        self.post_message(self.Submitted(self, text.strip()))

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    def show_error(self, sentence: str | None) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(sentence or "")
        error.display = bool(sentence)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self, event.value.strip()))
