"""The Textual app: one `MainScreen` over one `Session`, themes from `themes/`, the command
palette with the workbench's actions.

Start-up stays light (the first screen is up in well under a second): nothing here imports
scapy. The dissector loads it when it first dissects, the hosts pane in a thread for vendors.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from workbench.capture_session import CaptureSession
from workbench.palette import WorkbenchCommands
from workbench.screens.capture import CaptureScreen
from workbench.themes import DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes

if TYPE_CHECKING:  # the lab's modules load when a lab opens: a capture alone never needs them
    from stack.labs.spec import LabSpec
    from workbench.session import Session


class UnknownTheme(ValueError):
    """`--theme` named a theme that does not exist (one sentence, like every input error)."""


class WorkbenchApp(App):
    TITLE = "Packet Workbench"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [Binding("q", "quit", "Quit", show=False)]

    def __init__(
        self,
        spec: LabSpec | None,
        theme: str | None = None,
        *,
        cursor_blink: bool = True,
        capture: CaptureSession | None = None,
        lang: str = "en",
        origin=None,
        scratch: bool = False,
    ) -> None:
        """`capture`: open on this capture file (`workbench open`) instead of the lab `spec`;
        `origin`: a workbench.snapshot.Snapshot to continue from (--from)."""
        super().__init__()
        from workbench import i18n

        i18n.set_language(lang)  # explanations and help: English, or Chinese in the seed's terms
        self.spec = spec
        self.capture = capture
        self.origin = origin
        self.scratch = scratch  # --scratch: S writes no snapshot file
        self.cursor_blink = cursor_blink
        self.workbench_themes = load_themes()
        for t in self.workbench_themes.values():
            self.register_theme(t)
        name = theme or DEFAULT_THEME
        if name not in self.available_themes:
            ours = ", ".join(self.workbench_themes)
            raise UnknownTheme(
                f"no theme named {name!r} (themes: {ours}, or any of Textual's: {', '.join(t for t in self.available_themes if t not in self.workbench_themes)})"
            )
        self.theme = name
        self.session: Session | None = None
        self.gc_held = False  # the caller disabled the collector until the first paint

    def first_screen_painted(self) -> None:
        """A screen has drawn itself for the first time: the garbage collector, if it was held
        off for the start-up (`gc_held`, set by `workbench open`), runs again."""
        if self.gc_held:
            self.gc_held = False
            gc.enable()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def on_mount(self) -> None:
        # Pushed over the (blank) default screen rather than being it, so that opening another
        # lab can switch_screen it away.
        if self.capture is not None:
            self.push_screen(CaptureScreen(self.capture))
            return
        from workbench.screens.main import MainScreen

        opened = _open(self.spec, self.origin)
        if isinstance(opened, str):  # a TAP device that cannot be opened: one sentence, exit
            self.exit(return_code=2, message=f"workbench: {opened}")
            return
        self.session = opened
        self.push_screen(MainScreen(opened))
        # SIGTERM ends the app as q does, so VMs and TAP devices are given back on the way out.
        import asyncio
        import signal

        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.exit)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    # how long a step back's toast stays up (wall clock; the snapshot tests' pictures hold it)
    step_note_seconds = 4.0

    def replace_session(self, session: Session, note: str = "") -> None:
        """Show `session` instead of the running one (a step back); `note` is toasted on the new
        screen once it is up (a toast raised before the switch would go with the old screen)."""
        from workbench.screens.main import MainScreen

        self.session = session
        self.switch_screen(MainScreen(session))
        if note:
            self.clear_notifications()  # one toast for the latest step back, however fast ⌫ repeats
            self.call_after_refresh(self.notify, note, timeout=self.step_note_seconds)

    def open_lab(self, spec: LabSpec | CaptureSession) -> None:
        """Replace what is open with the lab `spec`, paused at time zero, or with a capture."""
        if isinstance(spec, CaptureSession):
            self.session, self.capture = None, spec
            self.switch_screen(CaptureScreen(spec))
            return
        from workbench.screens.main import MainScreen

        session = _open(spec)
        if isinstance(session, str):
            self.notify(f"cannot open lab {spec.name}: {session}", severity="error", timeout=8)
            return
        self.spec = spec
        self.session, self.capture = session, None
        self.switch_screen(MainScreen(session))


def _open(spec: LabSpec, origin=None) -> Session | str:
    """The lab's session, or the sentence saying why its TAP devices (or snapshot) cannot be opened."""
    if origin is not None:
        from workbench.history import open_snapshot
        from workbench.snapshot import SnapshotError

        try:
            return open_snapshot(origin)
        except SnapshotError as err:
            return str(err)
    from stack.labs.build import is_live
    from workbench.session import Session

    if not is_live(spec):
        return Session.open(spec)
    from stack.link.qemu import QemuError
    from stack.link.tap import TapError
    from workbench.vms import VmError

    try:
        return Session.open(spec)
    except (TapError, QemuError, VmError, OSError) as err:
        return str(err)
