"""Stand-ins for the packet list and the dissector until their modules land (same calls, no
function): the screen composes and runs without them. Delete when both exist."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Static


class PacketList(Static, can_focus=True):
    class FrameSelected(Message):
        def __init__(self, frame_id: int) -> None:
            super().__init__()
            self.frame_id = frame_id

    def __init__(self, frames, **kwargs) -> None:
        super().__init__("(the packet list is being built)", **kwargs)
        self.frames = frames

    def refresh_rows(self) -> None:
        self.update(f"(the packet list is being built) {len(self.frames)} frames")

    def select_frame(self, frame_id: int) -> None:
        pass

    def set_filter(self, text: str) -> str | None:
        return None


class Dissector(Static, can_focus=True):
    def __init__(self, **kwargs) -> None:
        super().__init__("(the dissector is being built)", **kwargs)

    def show_frame(self, record) -> None:
        self.update(f"(the dissector is being built) frame #{record.id}" if record else "")
