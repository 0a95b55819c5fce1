"""The app as the snapshot and pilot tests run it: the default lab on the virtual clock, paused
at time zero, no cursor blink, no animation — so the same keys draw the same screen every run.

`settle` waits for the hosts pane's vendor lookup (a thread, started 0.4 s after mounting) and
the screen's last refresh; a
test's `run_before` presses keys, then settles.
"""

from __future__ import annotations

from stack.labs import load_lab
from workbench.app import WorkbenchApp
from workbench.widgets.hosts import HostsPane

WIDE = (160, 48)
NARROW = (80, 24)


def make_app(theme: str | None = None, lab: str = "default", lang: str = "en") -> WorkbenchApp:
    app = WorkbenchApp(load_lab(lab), theme=theme, cursor_blink=False, lang=lang)
    app.animation_level = "none"
    app.step_note_seconds = 600.0  # a loaded machine takes seconds to the picture: keep the toast
    return app


async def settle(pilot) -> None:
    await pilot.pause()
    for screen in pilot.app.screen_stack:
        for pane in screen.query(HostsPane):
            await pane.vendors_ready.wait()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def run_command(pilot, text: str) -> None:
    """Open the ping prompt, replace its text with `text` ("pc: ping 192.168.1.1 -c 1"), run it."""
    await pilot.press("p")
    await pilot.pause()
    field = pilot.app.screen.query_one("#prompt-input")
    field.value = text
    field.cursor_position = len(text)
    await pilot.press("enter")
    await pilot.pause()


async def steps(pilot, count: int) -> None:
    """`count` instants (N): each shows every event one timer of the network caused."""
    for _ in range(count):
        await pilot.press("N")
        await pilot.pause()
