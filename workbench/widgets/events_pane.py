"""The events pane: the event log, and below it the cursor entry's whole sentence, wrapped (log
rows are cut at the pane's edge; nothing a person needs is lost to the cut).

While the person steps (n, N) the screen has the log follow (`EventLog.follow_newest`): its
cursor goes to the newest event, the line below tells it in full and its frame is selected —
unless the person moved the log's cursor off the end or scrolled it up, which leaves the log
where they put it until they go back to the end (End, or scrolling to the bottom).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from workbench.i18n import explain
from workbench.widgets.event_log import EventLog


class EventsPane(Vertical):
    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session

    def compose(self) -> ComposeResult:
        host_width = max((len(h) for h in self.session.host_names()), default=4)
        log = EventLog(self.session.entries, id="event-log")
        log.set_host_width(host_width)
        yield log
        yield Static("", id="event-detail", classes="detail")

    @property
    def log(self) -> EventLog:
        return self.query_one(EventLog)

    def refresh_rows(self) -> None:
        self.log.refresh_rows()

    def relabel(self) -> None:
        """The language changed: every line again."""
        self.log.refresh()
        self.show_detail(self.log.cursor)

    def show_detail(self, index: int | None) -> None:
        detail = self.query_one("#event-detail", Static)
        if index is None:
            detail.update("")
            return
        entry = self.session.entry(index)
        frames = " ".join(f"#{f}" for f in entry.frames)
        detail.update(
            Text.assemble(
                (f"{entry.time:.6f} {entry.host}: ", "bold"),
                explain(entry),
                (f"  [frames {frames}]" if frames else "", "dim"),
            )
        )
