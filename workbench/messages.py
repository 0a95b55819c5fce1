"""Messages the session and the panes post upward to the screen.

The session never pushes data through a message: it posts `SessionChanged` (at most one in
flight) and the screen pulls whatever is new with `Session.take()` when it gets round to it.
So a burst of ten thousand frames is one message, and a slow screen only means bigger batches.
"""

from __future__ import annotations

from textual.message import Message


class SessionChanged(Message):
    """Something new happened in the lab (events, frames, time, play state); pull it."""


class CommandFinished(Message):
    """A command started from the app has finished; `lines` is what it printed."""

    def __init__(self, text: str, ok: bool, lines: list[str]) -> None:
        super().__init__()
        self.text = text
        self.ok = ok
        self.lines = lines


class HostSelected(Message):
    """The person picked a host in the hosts pane."""

    def __init__(self, host: str) -> None:
        super().__init__()
        self.host = host


class EntrySelected(Message):
    """The cursor of the event log rests on entry `index` (absolute, see Session.entry)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class EntryActivated(Message):
    """Enter on entry `index` of the event log: show its first frame where frames are listed."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
