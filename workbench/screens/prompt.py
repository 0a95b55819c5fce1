"""A one-line prompt over the workbench: a title, an input, a hint, and — when the input cannot
be used — the one sentence that says why. It only closes with input that passed `check`."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.widgets.input import Selection

# (text) → None when usable, else the sentence to show
Check = Callable[[str], str | None]
Hint = Callable[[str], str]


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        value: str,
        check: Check,
        hint: Hint | None = None,
        *,
        suggestion: str = "",
        id: str | None = None,
    ) -> None:
        """`value` is typed for the person, cursor after it; `suggestion` follows it selected, so
        the first key typed replaces it (and Enter takes it)."""
        super().__init__(id=id)
        self.title_text = title
        self.value = value
        self.suggestion = suggestion
        self.check = check
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(self.title_text, id="prompt-title")
            field = Input(self.value + self.suggestion, id="prompt-input", select_on_focus=False)
            field.cursor_blink = getattr(self.app, "cursor_blink", True)
            yield field
            yield Static("", id="prompt-hint", classes="hint")
            yield Static("", id="prompt-error", classes="error")
            yield Static("Enter runs · Esc cancels", id="prompt-keys", classes="hint")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_position = len(field.value)
        if self.suggestion:
            field.selection = Selection(len(self.value), len(field.value))
        self._update_hint(field.value)
        self.query_one("#prompt-error").display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        self._update_hint(event.value)
        self.query_one("#prompt-error").display = False

    def _update_hint(self, text: str) -> None:
        hint = self.query_one("#prompt-hint", Static)
        hint.update(self.hint(text) if self.hint else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        problem = self.check(text)
        if problem:
            error = self.query_one("#prompt-error", Static)
            error.update(problem)
            error.display = True
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
