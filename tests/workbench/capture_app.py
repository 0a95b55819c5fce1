"""The app on a capture file, as the capture pilot and snapshot tests run it, and the captures
they open: made in the test run with `benchmarks/synthetic_capture.py` (struct, seconds for a
million frames), the same bytes every run."""

from __future__ import annotations

from workbench.app import WorkbenchApp
from workbench.capture_session import CaptureSession
from workbench.widgets.packet_list import PacketList

SMALL = 1_500
BIG = 1_000_000


def make_capture_app(path) -> WorkbenchApp:
    app = WorkbenchApp(None, cursor_blink=False, capture=CaptureSession.open(str(path)))
    app.animation_level = "none"
    return app


async def read_whole_file(pilot) -> None:
    """Wait until the capture screen has indexed its file and the list has caught up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def filtered(pilot, text: str) -> PacketList:
    await pilot.press("slash")
    await pilot.pause()
    field = pilot.app.screen.query_one("#filter-input")
    field.value = text
    await pilot.press("enter")
    await pilot.pause()
    return pilot.app.screen.query_one(PacketList)
