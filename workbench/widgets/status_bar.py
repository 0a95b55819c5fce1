"""The status bar: virtual time, playing or paused, speed, and how much the lab has said.

Only virtual time and counts are shown, never the wall clock, so a screenshot of a paused lab
is the same every run.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from workbench.session import Status


def speed_text(speed: float) -> str:
    if speed >= 1:
        return f"{speed:g}×"
    return f"1/{round(1 / speed):g}×"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


class StatusBar(Static):
    COMPONENT_CLASSES = {"status-bar--state", "status-bar--key", "status-bar--slow"}

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._last: tuple = ()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self.on_resize, init=False)

    def on_resize(self) -> None:
        if self._last:
            last, self._last = self._last, ()
            self.show(*last)

    def show(self, status: Status, host: str, hint: str = "") -> None:
        key = (status, host, hint)
        if key == self._last:
            return
        self._last = key
        if self.size.width and self.size.width < 110:
            self._show_compact(status, host, hint)
            return
        state_style = self.get_component_rich_style("status-bar--state", partial=True)
        if status.live:
            state = "● live"
        else:
            state = "▶ playing" if status.playing else "■ paused"
        text = Text.assemble(
            (f" {state} ", state_style),
            *self._hint(hint),
            f" t {status.now:.6f} s",
            "" if status.live else f"  speed {speed_text(status.speed)}",
            (
                "  (network busy: slower than asked)" if status.behind else "",
                self.get_component_rich_style("status-bar--slow", partial=True),
            ),
            f"  frames {status.frames:,}  events {status.events:,}",
            f"  running {status.running}" if status.running else "",
            f"  │ {status.lab} · {host}",
            f"  │ older frames in {status.spill}" if status.spill else "",
        )
        self.update(text, layout=False)  # one line, full width: a new text never moves anything

    def _show_compact(self, status: Status, host: str, hint: str) -> None:
        state_style = self.get_component_rich_style("status-bar--state", partial=True)
        state = "● live" if status.live else ("▶ playing" if status.playing else "■ paused")
        self.update(
            Text.assemble(
                (f" {state} ", state_style),
                *self._hint(hint),
                f" {status.now:.6f} s",
                "" if status.live else f" · {speed_text(status.speed)}",
                (
                    "  slowed" if status.behind else "",
                    self.get_component_rich_style("status-bar--slow", partial=True),
                ),
                f" · {_count(status.frames, 'frame')} · {_count(status.events, 'event')}",
                f" · {host}",
            ),
            layout=False,
        )

    def _hint(self, hint: str) -> tuple:
        """What to press, right after "paused" where the eye already is (not dim at the far end)."""
        if not hint:
            return ()
        return ((f" {hint} ", self.get_component_rich_style("status-bar--key", partial=True)),)
