"""A running lab: its clock, its trace, its segments and hosts by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stack.clock import Clock
from stack.host import Host
from stack.link.segment import Segment
from stack.trace import Trace

if TYPE_CHECKING:
    from stack.labs.spec import LabSpec


class Network:
    def __init__(self, spec: LabSpec, clock: Clock, trace: Trace) -> None:
        self.spec = spec
        self.clock = clock
        self.trace = trace
        self.segments: dict[str, Segment] = {}
        self.hosts: dict[str, Host] = {}

    def host(self, name: str) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            raise KeyError(
                f"no host named {name!r} in lab {self.spec.name} (hosts: {', '.join(self.hosts)})"
            ) from None
