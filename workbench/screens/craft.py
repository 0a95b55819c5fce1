"""The craft screen: build any frame as a stack of layers with a form for each layer's fields,
see its bytes (a field lights the bytes it fills), read the shell command it makes, and send it
from a host through its stack or onto a segment as written — once or as a burst.

The form holds only what the person wrote: a field left empty is scapy's default, or — for
lengths and checksums — computed, shown as "auto" with the value it gets; a computed field
that is written is an override, marked as one. Every change is checked at once and a problem
is one sentence beside the field. Sending is the shell's `send` command (shown at the bottom,
editable: Enter there reads it back into the form), run through the session like any other.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from workbench.craft.expression import ExpressionError, LayerCall, parse
from workbench.craft.form import FieldSpec, meaning, present, read, shown
from workbench.craft.layers import registry
from workbench.craft.workshop import Origin, Preview
from workbench.screens.craft_pickers import FRAME, LayerPicker, TemplateChooser
from workbench.screens.prompt import PromptScreen
from workbench.session import Session
from workbench.shell import CommandError
from workbench.widgets.hex_view import HexView


class CraftScreen(Screen):
    DEFAULT_CSS = """
    CraftScreen { layout: vertical; }
    #craft-title { height: 1; padding: 0 1; text-style: bold; color: $text-primary; }
    #craft-top { height: 1fr; min-height: 8; }
    #craft-layers { width: 22; height: 100%; border: round $primary 60%; }
    #craft-layers:focus-within { border: round $primary; }
    #craft-form { width: 1fr; border: round $primary 60%; padding: 0 1; }
    #craft-form:focus-within { border: round $primary; }
    .craft-row { height: 1; }
    .craft-name { width: 16; }
    .craft-row Input { width: 28; height: 1; border: none; padding: 0 1; background: $boost; }
    .craft-row Input:focus { background: $accent 30%; }
    .craft-row Input.-wrong { background: $error 30%; }
    .craft-note { width: 1fr; color: $text-muted; padding: 0 1; }
    .craft-row.-automatic .craft-note { color: $text-success; }
    .craft-row.-override .craft-name { color: $text-warning; text-style: bold; }
    .craft-row.-override .craft-note { color: $text-warning; text-style: bold; }
    .craft-row.-wrong .craft-note { color: $text-error; text-style: bold; }
    #craft-hex { height: 7; border: round $primary 60%; }
    #craft-hex:focus { border: round $primary; }
    #craft-command { height: 1; border: none; padding: 0 1; background: $boost; }
    #craft-problem { height: auto; padding: 0 1; color: $text-error; }
    #craft-note { height: auto; padding: 0 1; color: $text-muted; }
    #craft-send { height: 3; }
    #craft-origin { width: 44; }
    #craft-send Label { padding: 1 1 0 2; }
    #craft-count, #craft-interval { width: 10; }
    """

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", tooltip="Send what is on the form"),
        Binding(
            "ctrl+t",
            "templates",
            "Templates",
            tooltip="Start from a template or the selected frame",
        ),
        Binding(
            "ctrl+n",
            "add_layer",
            "Add layer",
            tooltip="Add a layer from scapy's registry above the selected one",
        ),
        Binding("ctrl+r", "remove_layer", "Remove layer", tooltip="Remove the selected layer"),
        Binding("f2", "save", "Save", tooltip="Save the expression to a text file"),
        Binding("f3", "load", "Load", tooltip="Load an expression from a text file"),
        Binding("escape", "close", "Close", tooltip="Back to the lab"),
    ]

    def __init__(
        self,
        session: Session,
        sender: str,
        *,
        victim: str | None = None,
        template: str | None = "arp-reply",
        frame_id: int | None = None,
        choose: bool = True,
    ) -> None:
        super().__init__(id="craft")
        self.session = session
        self.workshop = session.workshop()
        self.origin: Origin = self.workshop.origin(sender)
        self.victim = victim
        self.frame_id = frame_id
        self.start_template = template
        self.choose = choose
        self.calls: list[LayerCall] = []
        self.raw: str | None = None  # hex, when crafting raw bytes
        self.at = 0
        self.burst_count = 1
        self.burst_interval = 1.0
        self.problems: dict[str, str] = {}  # field → the sentence while its input is wrong
        self.current: Preview | None = None
        self.focused_field: str | None = None
        self.rows: dict[str, tuple[Horizontal, Input, Static]] = {}  # the form's rows by field name

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="craft-title")
        with Horizontal(id="craft-top"):
            yield OptionList(id="craft-layers")
            yield VerticalScroll(id="craft-form")
        yield HexView(id="craft-hex")
        command = Input(id="craft-command", select_on_focus=False)
        command.cursor_blink = getattr(self.app, "cursor_blink", True)
        yield command
        yield Static("", id="craft-problem")
        yield Static("", id="craft-note")
        with Horizontal(id="craft-send"):
            yield Select(
                [(o.label, o.name) for o in self.workshop.origins()],
                value=self.origin.name,
                allow_blank=False,
                id="craft-origin",
            )
            yield Label("count")
            yield self._small_input(str(self.burst_count), "craft-count")
            yield Label("interval s")
            yield self._small_input(f"{self.burst_interval:g}", "craft-interval")
        yield Footer()

    def _small_input(self, value: str, id: str) -> Input:
        field = Input(value, id=id, select_on_focus=False)
        field.cursor_blink = getattr(self.app, "cursor_blink", True)
        return field

    def on_mount(self) -> None:
        self.query_one("#craft-layers").border_title = "Layers"
        self.query_one("#craft-hex").border_title = "Bytes"
        registry()  # scapy's layers, loaded once (a second or so the first time)
        if self.frame_id is not None and self.start_template == FRAME:
            self._start(FRAME)
        elif self.start_template:
            self._start(self.start_template)
        if self.choose:
            self.action_templates()
        else:
            self.query_one("#craft-form").focus()

    # --- starting points -----------------------------------------------------------------------

    def action_templates(self) -> None:
        def picked(key: str | None) -> None:
            if key:
                self._start(key)
            self._focus_first_field()

        selected = self.start_template if self.start_template != FRAME else None
        self.app.push_screen(
            TemplateChooser(self.workshop.templates(), self.frame_id, selected), picked
        )

    def _start(self, key: str) -> None:
        self.problems.clear()
        if key == FRAME and self.frame_id is not None:
            owner, layers = self.workshop.frame_layers(self.frame_id)
            self.origin = self.workshop.origin(owner)
            self.query_one("#craft-origin", Select).value = owner
            self.calls, self.raw = list(layers), None
            self.start_template = FRAME
        else:
            text = self.workshop.template_text(key, self.origin.name, self.victim)
            self.start_template = key
            if next(t for t in self.workshop.templates() if t.key == key).raw:
                self.calls, self.raw = [], text
            else:
                self.calls, self.raw = list(parse(text)), None
        self.at = 0 if self.raw is not None else min(self.at, max(0, len(self.calls) - 1))
        if self.raw is None and key != FRAME:
            self.at = len(self.calls) - 1  # the layer that says what the frame is (ARP, TCP …)
        self._show_layers()
        self._show_form()
        self._update()

    def _focus_first_field(self) -> None:
        if self.rows:
            next(iter(self.rows.values()))[1].focus()

    # --- the layer stack -----------------------------------------------------------------------

    def _show_layers(self) -> None:
        options = self.query_one("#craft-layers", OptionList)
        options.clear_options()
        if self.raw is not None:
            options.add_option(Option("raw bytes", id="raw"))
            options.highlighted = 0
            return
        options.add_options(
            [Option(f"{i + 1}. {call.name}", id=str(i)) for i, call in enumerate(self.calls)]
        )
        if self.calls:
            options.highlighted = self.at

    @on(OptionList.OptionHighlighted, "#craft-layers")
    def _layer_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.raw is None and event.option.id is not None and int(event.option.id) != self.at:
            self.at = int(event.option.id)
            self.problems.clear()
            self._show_form()
            self._update()

    def action_add_layer(self) -> None:
        def add(name: str | None) -> None:
            if not name:
                return
            if self.raw is not None:
                self.raw, self.calls = None, []
            at = self.at + 1 if self.calls else 0
            self.calls.insert(at, LayerCall(name))
            self.at = at
            self._show_layers()
            self._show_form()
            self._update()
            self._focus_first_field()

        self.app.push_screen(LayerPicker(list(registry())), add)

    def action_remove_layer(self) -> None:
        if self.raw is not None or not self.calls:
            self.notify("No layer to remove.", timeout=3)
            return
        del self.calls[self.at]
        self.at = max(0, min(self.at, len(self.calls) - 1))
        self.problems.clear()
        self._show_layers()
        self._show_form()
        self._update()

    # --- the form ------------------------------------------------------------------------------

    def _show_form(self) -> None:
        form = self.query_one("#craft-form", VerticalScroll)
        form.remove_children()
        self.rows = {}
        if self.raw is not None:
            form.border_title = "Raw bytes (hex)"
            self._add_row(form, "bytes", "raw", self.raw, "hex bytes", "sent as written")
            return
        if not self.calls:
            form.border_title = "Fields"
            form.mount(
                Static("No layers: ctrl+n adds one, ctrl+t picks a template.", classes="hint")
            )
            return
        call = self.calls[self.at]
        form.border_title = f"Fields · {call.name}"
        for spec in present(call):
            placeholder = (
                "auto"
                if spec.automatic
                else (spec.default or self._filled_by(call.name, spec.name))
            )
            self._add_row(
                form, spec.name, spec.name, shown(spec, call.get(spec.name)), placeholder, ""
            )

    def _add_row(
        self, form: VerticalScroll, label: str, name: str, value: str, placeholder: str, note: str
    ) -> None:
        field = Input(
            value, placeholder=placeholder, name=name, select_on_focus=False, classes="craft-field"
        )
        field.cursor_blink = getattr(self.app, "cursor_blink", True)
        remark = Static(note, classes="craft-note")
        row = Horizontal(Label(label, classes="craft-name"), field, remark, classes="craft-row")
        self.rows[name] = (row, field, remark)
        form.mount(row)

    def _filled_by(self, layer: str, name: str) -> str:
        from workbench.craft.fill import MACHINE_FIELDS

        if name in MACHINE_FIELDS.get(layer, ()):
            return "must be given" if self.origin.is_segment else f"{self.origin.name} fills it"
        return "unset"

    def field_input(self, name: str) -> Input:
        """The input of a field of the selected layer (for tests and the focus)."""
        return self.rows[name][1]

    def _specs(self) -> dict[str, FieldSpec]:
        if self.raw is not None or not self.calls:
            return {}
        return {s.name: s for s in present(self.calls[self.at])}

    @on(Input.Changed, ".craft-field")
    def _field_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = event.input.name or ""
        if name == "raw":
            self.raw = event.value
            self._update()
            return
        spec = self._specs().get(name)
        if spec is None:
            return
        try:
            value = read(spec, event.value)
        except ExpressionError as err:
            self.problems[name] = str(err)
        else:
            self.problems.pop(name, None)
            self.calls[self.at] = self.calls[self.at].with_field(name, value)
        self._update()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        widget = event.widget
        if isinstance(widget, Input) and widget.has_class("craft-field"):
            self.focused_field = widget.name
            self._light()

    # --- what the form makes -------------------------------------------------------------------

    def _update(self) -> None:
        """Preview, command, notes, problem and the bytes lit, after any change."""
        preview = self.workshop.preview(
            self.origin,
            tuple(self.calls),
            raw=self.raw,
            count=self.burst_count,
            interval=self.burst_interval,
        )
        self.current = preview
        title = f"Craft · from {self.origin.label}"
        if self.start_template == FRAME and self.frame_id is not None:
            title += f" · editing frame #{self.frame_id}"
        self.query_one("#craft-title", Static).update(title)
        command = self.query_one("#craft-command", Input)
        if not command.has_focus:
            command.value = preview.command
            command.cursor_position = 0
        self._show_notes(preview)
        problem = next(iter(self.problems.values()), None) or preview.problem
        self.query_one("#craft-problem", Static).update(problem or "")
        self.query_one("#craft-problem").display = bool(problem)
        note = preview.note
        self.query_one("#craft-note", Static).update(note)
        self.query_one("#craft-note").display = bool(note)
        hex_view = self.query_one(HexView)
        if hex_view.data != preview.frame:
            hex_view.show(preview.frame)
        self._light()

    def _show_notes(self, preview: Preview) -> None:
        if self.raw is not None:
            return
        for name, spec in self._specs().items():
            if name not in self.rows:
                continue
            row, field, note = self.rows[name]
            written = self.calls[self.at].get(name) is not None
            computed = preview.computed.get((self.at, name))
            row.set_class(name in self.problems, "-wrong")
            field.set_class(name in self.problems, "-wrong")
            row.set_class(spec.automatic and not written, "-automatic")
            row.set_class(spec.automatic and written and name not in self.problems, "-override")
            if name in self.problems:
                note.update(self.problems[name])
            elif spec.automatic and written:
                note.update("✎ override (scapy would compute it)")
            elif spec.automatic:
                note.update(f"auto: {computed}" if computed is not None else "auto")
            else:
                name_of = meaning(spec, self.calls[self.at].get(name))
                note.update(f"= {name_of} · {spec.hint}" if name_of else spec.hint)

    def _light(self) -> None:
        """Light the bytes of the field being edited (scapy's layers laid over the bytes by
        `workbench.dissect.walker`, by scapy's field name, the names this form edits)."""
        hex_view = self.query_one(HexView)
        preview = self.current
        name = self.focused_field
        if (
            preview is None
            or not preview.frame
            or name is None
            or name == "raw"
            or self.raw is not None
        ):
            hex_view.highlight(0, 0)
            return
        from workbench.dissect import walker

        layers = [n for n in walker.frame_layers(preview.frame)[0] if n.kind == "layer"]
        index = self.at + preview.offset
        if index < len(layers):
            for node, _path in layers[index].walk():
                if node is not layers[index] and node.name == name:
                    hex_view.highlight(*node.byte_range)
                    return
        hex_view.highlight(0, 0)

    # --- the command line, sender, count -------------------------------------------------------

    @on(Input.Submitted, "#craft-command")
    def _command_submitted(self, event: Input.Submitted) -> None:
        """The command edited by hand: read its expression back into the form."""
        event.stop()
        text = event.value.strip()
        _target, _sep, rest = text.partition(":")
        rest = rest.strip()
        if not rest.startswith("send "):
            self._say('the command line holds a send: "HOST: send EXPR"')
            return
        body = rest[len("send ") :].strip()
        if body.startswith("--raw"):
            self.raw, self.calls = body[len("--raw") :].strip(), []
        else:
            try:
                self.calls, self.raw = list(parse(body)), None
            except ExpressionError as err:
                self._say(str(err))
                return
        self.at = max(0, min(self.at, len(self.calls) - 1))
        self.problems.clear()
        self._show_layers()
        self._show_form()
        self._update()

    def _say(self, problem: str) -> None:
        self.query_one("#craft-problem", Static).update(problem)
        self.query_one("#craft-problem").display = True

    @on(Select.Changed, "#craft-origin")
    def _origin_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.origin.name:
            self.origin = self.workshop.origin(event.value)
            self._show_form()
            self._update()

    @on(Input.Changed, "#craft-count, #craft-interval")
    def _burst_changed(self, event: Input.Changed) -> None:
        event.stop()
        problem = None
        try:
            if event.input.id == "craft-count":
                count = int(event.value)
                if not 1 <= count <= 100_000:
                    raise ValueError
                self.burst_count = count
            else:
                interval = float(event.value)
                if not 0 <= interval <= 3600:
                    raise ValueError
                self.burst_interval = interval
        except ValueError:
            problem = (
                "count is a whole number from 1 to 100,000"
                if event.input.id == "craft-count"
                else "interval is a number of seconds from 0 to 3,600"
            )
        event.input.set_class(problem is not None, "-wrong")
        self.problems.pop("burst", None)
        if problem:
            self.problems["burst"] = problem
        self._update()

    # --- actions ------------------------------------------------------------------------------

    def action_send(self) -> None:
        preview = self.current
        problem = next(iter(self.problems.values()), None) or (
            preview.problem if preview else "nothing to send"
        )
        if problem:
            self._say(problem)
            self.app.bell()
            return
        try:
            self.session.run(preview.command)
        except CommandError as err:
            self._say(str(err))
            return
        self.dismiss(preview.command)

    def action_save(self) -> None:
        from workbench.craft.textfile import save

        if self.raw is not None or not self.calls:
            self.notify(
                "Only an expression saves to a file (raw bytes: copy the command).", timeout=4
            )
            return
        from workbench.craft.expression import render

        text = render(tuple(self.calls))

        def write(path: str | None) -> None:
            if not path:
                return
            try:
                save(path, [text])
            except OSError as err:
                self.notify(f"cannot write {path}: {err.strerror}", severity="error", timeout=6)
                return
            self.notify(f"Saved to {path}.", timeout=4)

        self.app.push_screen(
            PromptScreen("Save the expression to", "crafted.txt", lambda _p: None, id="craft-save"),
            write,
        )

    def action_load(self) -> None:
        from workbench.craft.textfile import load

        def check(path: str) -> str | None:
            try:
                load(path)
            except ExpressionError as err:
                return str(err)
            except OSError as err:
                return f"cannot read {path}: {err.strerror}"
            return None

        def read_file(path: str | None) -> None:
            if not path:
                return
            first = load(path)[0]
            self.calls, self.raw = list(parse(first)), None
            self.at = 0
            self.problems.clear()
            self._show_layers()
            self._show_form()
            self._update()

        self.app.push_screen(
            PromptScreen("Load an expression from", "crafted.txt", check, id="craft-load"),
            read_file,
        )

    def action_close(self) -> None:
        self.dismiss(None)
