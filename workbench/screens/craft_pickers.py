"""The craft screen's two choosers: a template to start from (or the selected frame, to edit
and resend), and a layer from scapy's registry to add to the stack."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from workbench.craft.templates import Template

FRAME = "frame"  # the option that starts from the selected frame
LAYERS_SHOWN = 200  # the registry holds ~2,000 layers; typing narrows them


class TemplateChooser(ModalScreen[str | None]):
    """Dismisses with a template's key, FRAME, or None."""

    DEFAULT_CSS = """
    TemplateChooser { align: center middle; }
    #template-box { width: 90%; max-width: 100; height: auto; max-height: 90%; border: round $primary;
                    background: $surface; padding: 0 1; }
    #template-title { text-style: bold; color: $text-primary; padding: 0 1; }
    #template-list { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, templates: list[Template], frame_id: int | None = None, selected: str | None = None
    ) -> None:
        super().__init__(id="template-chooser")
        self.templates = templates
        self.frame_id = frame_id
        self.selected = selected

    def compose(self) -> ComposeResult:
        options = []
        if self.frame_id is not None:
            options.append(
                Option(
                    f"{'Frame #' + str(self.frame_id):<16} edit the selected frame and resend it",
                    id=FRAME,
                )
            )
        options += [Option(f"{t.title:<16} {t.summary}", id=t.key) for t in self.templates]
        with Vertical(id="template-box"):
            yield Label("Craft a frame: start from", id="template-title")
            yield OptionList(*options, id="template-list")
            yield Static("Enter picks · Esc cancels", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.selected is not None:
            for index in range(options.option_count):
                if options.get_option_at_index(index).id == self.selected:
                    options.highlighted = index
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LayerPicker(ModalScreen[str | None]):
    """Dismisses with a layer name from scapy's registry, or None."""

    DEFAULT_CSS = """
    LayerPicker { align: center middle; }
    #layer-box { width: 80%; max-width: 80; height: auto; max-height: 90%; border: round $primary;
                 background: $surface; padding: 0 1; }
    #layer-title { text-style: bold; color: $text-primary; padding: 0 1; }
    #layer-list { height: 12; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, names: list[str]) -> None:
        super().__init__(id="layer-picker")
        self.names = sorted(names, key=str.lower)

    def compose(self) -> ComposeResult:
        with Vertical(id="layer-box"):
            yield Label(f"Add a layer ({len(self.names):,} that scapy knows)", id="layer-title")
            field = Input(placeholder="type to narrow: dns, tcp, dot1q …", id="layer-filter")
            field.cursor_blink = getattr(self.app, "cursor_blink", True)
            yield field
            yield OptionList(id="layer-list")
            yield Static("Enter adds · ↓ to the list · Esc cancels", classes="hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value.strip().lower())

    def _fill(self, wanted: str) -> None:
        starts = [n for n in self.names if n.lower().startswith(wanted)]
        inside = [n for n in self.names if wanted in n.lower() and not n.lower().startswith(wanted)]
        found = (starts + inside)[:LAYERS_SHOWN]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(n, id=n) for n in found])
        if found:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
