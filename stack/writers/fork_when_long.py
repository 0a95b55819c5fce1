"""The text trace of a simulated run, handed to a forked child once the run is long."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack.events import Event
    from stack.writers.forked import Forked
    from stack.writers.text import TextWriter

AFTER = 5_000  # events a run writes here before a child takes over


class ForkWhenLong:
    """The text trace of a simulated run: written here by `writer` until the run has made
    `after` events, then by a forked child (`Forked`, no loop) for the rest. A run has no loop
    to write its lines after the frames, and a long one spent a third of its CPU formatting
    them (a bulk transfer's; pickling a batch costs a tenth of formatting it); a short one, a
    demo's ping, pays no fork."""

    def __init__(self, writer: TextWriter, after: int = AFTER) -> None:
        self.writer = writer
        self.after = after
        self.forked: Forked | None = None
        self.takes_values = writer.takes_values  # then as the child: it expands them itself

    def __call__(self, event: Event | tuple) -> None:
        forked = self.forked
        if forked is not None:
            forked(event)
            return
        self.writer(event)
        self.after -= 1
        if not self.after:
            from stack.writers.forked import Forked

            self.forked = Forked.start(self.writer, None)

    def close(self) -> None:
        """Wait until every line is written (the child's, when there is one)."""
        if self.forked is not None:
            self.forked.close()
        else:
            self.writer.flush()
