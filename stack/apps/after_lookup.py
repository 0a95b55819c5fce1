"""Running a tool on a name, as ping www.google.com does: look the name up through the host's
resolver first (getaddrinfo), then run the tool on the first address. The tool names its
target as typed, "NAME (ADDR)", through its `label`."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.program import Program
from stack.apps.resolver import Answer, resolver_for

if TYPE_CHECKING:
    from stack.host import Host


class AfterLookup(Program):
    def __init__(
        self, host: Host, name: str, make: Callable[[IPv4Address], Program], tool: str
    ) -> None:
        super().__init__()
        self.host = host
        self.target = name
        self.make = make
        self.tool = tool
        self.name = tool
        self.inner: Program | None = None

    def start(self) -> AfterLookup:
        resolver_for(self.host).lookup(self.target, self._resolved)
        return self

    def _resolved(self, answer: Answer) -> None:
        if not answer.addresses:
            self.lines.append(f"{self.tool}: {self.target}: {answer.problem}")
            self.finish(False)
            return
        address = answer.addresses[0]
        inner = self.make(address)
        self.inner = inner
        inner.lines = self.lines  # one list: the tool's lines are ours as they come
        if hasattr(inner, "label"):
            inner.label = self.target  # the tool names its target as typed: "NAME (ADDR)"
        inner.when_done(self._inner_done)
        inner.start()

    def _inner_done(self, inner: Program) -> None:
        self.finish(inner.ok)
