"""The shape every command-like application shares."""

from __future__ import annotations

from collections.abc import Callable


class Program:
    """Started once; the clock drives it; `finish` marks it done and tells whoever waits."""

    name = "program"

    def __init__(self) -> None:
        self.done = False
        self.ok = False
        self.lines: list[str] = []
        self._on_done: list[Callable[[Program], None]] = []

    def start(self) -> Program:
        raise NotImplementedError

    def when_done(self, callback: Callable[[Program], None]) -> None:
        if self.done:
            callback(self)
        else:
            self._on_done.append(callback)

    def finish(self, ok: bool) -> None:
        if self.done:
            return
        self.done = True
        self.ok = ok
        for callback in self._on_done:
            callback(self)
        self._on_done.clear()


class Report(Program):
    """A program whose answer is known at once (arp, route, ifconfig)."""

    def __init__(self, name: str, lines: list[str], ok: bool = True) -> None:
        super().__init__()
        self.name = name
        self.lines = lines
        self._ok = ok

    def start(self) -> Report:
        self.finish(self._ok)
        return self
