"""What a command is (`CommandSpec`), one typed use of it (`Call`), and the checked result
(`Invocation`) whose `start()` makes the program that runs it."""

from __future__ import annotations

from collections.abc import Callable

from stack.apps.program import Program
from stack.host import Host
from stack.link.segment import Segment
from stack.network import Network
from stack.record import record


class CommandError(ValueError):
    """Input that cannot run; the message is one sentence for the person who typed it."""


Factory = Callable[[], Program]


@record
class CommandSpec:
    name: str
    usage: str
    summary: str
    prepare: Callable[[Call], Factory]
    raw: bool = False  # gets its argument text as typed (an expression), not split into words
    on_segment: bool = False  # may also be typed on a segment ("lan: send …"), as from a TAP device


@record
class Call:
    """One command as typed on one host: what `prepare` gets."""

    net: Network
    host: Host | None  # None when typed on a segment
    args: list[str]
    spec: CommandSpec
    text: str = ""  # the arguments as typed
    segment: Segment | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def fail(self, problem: str) -> CommandError:
        """The error to raise: "NAME: problem"."""
        return CommandError(f"{self.spec.name}: {problem}")

    def usage_error(self, problem: str) -> CommandError:
        return CommandError(f"{self.spec.name}: {problem} (usage: {self.spec.usage})")

    def parse(self, options: dict | None = None, positional: int | tuple[int, int] = 0):
        from workbench.shell.parse import parse_args

        return parse_args(self, self.args, options or {}, positional)


@record
class Invocation:
    host: str
    text: str
    start: Factory
