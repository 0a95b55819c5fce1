"""A yes/no question over the workbench: one sentence, y answers yes, n or Esc no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str, no: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.question = question
        self.keys = f"y {yes} · n or Esc {no}"

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self.question, id="confirm-question")
            yield Static(self.keys, id="confirm-keys", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
