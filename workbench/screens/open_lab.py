"""`o`: open another lab — a built-in one from the list, or a lab file by path. A lab that
cannot be used says why in one sentence and the current lab keeps running."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from stack.labs import LabError, builtin_labs, load_lab
from stack.labs.spec import LabSpec


class OpenLabScreen(ModalScreen[LabSpec | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="open-box"):
            yield Label("Open a lab", id="open-title")
            yield OptionList(*[Option(f"{name:<10} {text}", id=name) for name, text in builtin_labs().items()], id="open-builtin")
            field = Input(placeholder="…or a lab file: path/to/lab.toml", id="open-path")
            field.cursor_blink = getattr(self.app, "cursor_blink", True)
            yield field
            yield Static("", id="open-error", classes="error")
            yield Static("Enter opens · Tab moves · Esc cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#open-error").display = False
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option.id or "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._open(event.value.strip())

    def _open(self, name: str) -> None:
        if not name:
            return
        try:
            spec = load_lab(name)
        except LabError as err:
            error = self.query_one("#open-error", Static)
            error.update(str(err))
            error.display = True
            return
        self.dismiss(spec)

    def action_cancel(self) -> None:
        self.dismiss(None)
