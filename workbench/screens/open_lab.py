"""`o`: open another lab — a built-in one from the list, or a lab file by path — or a capture
(pcap or pcapng) by path. A lab or capture that cannot be used says why in one sentence and
what is open stays open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from stack.labs import LabError, builtin_labs, load_lab
from stack.labs.spec import LabSpec
from workbench.capture_session import CaptureRefused, CaptureSession

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")


def is_capture_path(name: str) -> bool:
    """Is `name` meant as a capture? A capture's suffix, or an existing file that is not a lab's TOML."""
    import os

    return name.endswith(CAPTURE_SUFFIXES) or (os.path.isfile(name) and not name.endswith(".toml"))


class OpenLabScreen(ModalScreen[LabSpec | CaptureSession | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="open-box"):
            yield Label("Open a lab or a capture", id="open-title")
            yield OptionList(
                *[Option(f"{name:<10} {text}", id=name) for name, text in builtin_labs().items()],
                id="open-builtin",
            )
            field = Input(
                placeholder="…or a file: path/to/lab.toml, path/to/capture.pcapng", id="open-path"
            )
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
        opened: LabSpec | CaptureSession
        try:
            opened = CaptureSession.open(name) if is_capture_path(name) else load_lab(name)
        except (LabError, CaptureRefused) as err:
            error = self.query_one("#open-error", Static)
            error.update(str(err))
            error.display = True
            return
        self.dismiss(opened)

    def action_cancel(self) -> None:
        self.dismiss(None)
