"""The one parser: "HOST: COMMAND ARGS" split into its parts, and a command's arguments into
positionals, flags and typed options with their ranges. Every message is one sentence that
names the command and, where it helps, its usage."""

from __future__ import annotations

import math
import shlex

from stack.record import field, record
from workbench.shell.spec import Call, CommandError


@record
class Opt:
    """An option: a flag (`kind` None) or one that takes a value of `kind` within [lo, hi]."""

    kind: type | None = None
    lo: float = -math.inf
    hi: float = math.inf
    what: str = "a number"

    @property
    def flag(self) -> bool:
        return self.kind is None


def flag() -> Opt:
    return Opt()


def number(kind: type, lo: float, hi: float) -> Opt:
    return Opt(kind, lo, hi)


def text() -> Opt:
    return Opt(str, what="a value")


@record(frozen=False)
class Parsed:
    positional: list[str] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)

    def get(self, name: str, default=None):
        return self.values.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.values


def split_do(typed: str) -> tuple[str, str]:
    host, sep, rest = typed.partition(":")
    if not sep or not host.strip() or not rest.strip():
        raise CommandError(
            f'{typed!r} should look like "HOST: COMMAND", for example "pc: ping 192.168.1.1 -c 1"'
        )
    return host.strip(), rest.strip()


def split_words(rest: str) -> list[str]:
    try:
        words = shlex.split(rest)
    except ValueError as err:
        raise CommandError(f"cannot read {rest!r}: {err}") from None
    if not words:
        raise CommandError('give a command after the host, for example "pc: ping 192.168.1.1"')
    return words


def parse_args(
    call: Call, args: list[str], options: dict[str, Opt], positional: int | tuple[int, int]
) -> Parsed:
    """Options anywhere among the positionals (as ping takes them); a negative number is a
    positional, not an option."""
    parsed = Parsed()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1 and not _is_number(arg):
            opt = options.get(arg)
            if opt is None:
                raise call.usage_error(f"unknown option {arg}")
            if opt.flag:
                parsed.values[arg] = True
                i += 1
                continue
            if i + 1 >= len(args):
                raise call.usage_error(f"{arg} needs a value")
            raw = args[i + 1]
            try:
                value = opt.kind(raw)
            except ValueError:
                raise call.fail(f"{arg} takes {opt.what}, not {raw!r}") from None
            if opt.kind is not str and not opt.lo <= value <= opt.hi:
                raise call.fail(f"{arg} {raw} is outside {opt.lo:g}–{opt.hi:g}")
            parsed.values[arg] = value
            i += 2
        else:
            parsed.positional.append(arg)
            i += 1
    lo, hi = (positional, positional) if isinstance(positional, int) else positional
    count = len(parsed.positional)
    if not lo <= count <= hi:
        if lo == hi:
            want = "no arguments" if lo == 0 else f"{lo} argument{'s' if lo > 1 else ''}"
        else:
            want = f"{lo} to {hi} arguments"
        raise call.usage_error(f"takes {want}, got {count}")
    return parsed


def _is_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False


def peel_options(call: Call, typed: str, options: dict[str, Opt]) -> tuple[Parsed, str]:
    """Options before and after a text that must stay as typed (an expression): `-c 3 EXPR -i
    0.5` gives the options and EXPR. The text itself is never split or unquoted."""
    parsed = Parsed()
    words = typed.split()

    def take(i: int) -> int:  # the option at words[i]; how many words it used
        opt = options[words[i]]
        if opt.flag:
            parsed.values[words[i]] = True
            return 1
        if i + 1 >= len(words):
            raise call.usage_error(f"{words[i]} needs a value")
        raw = words[i + 1]
        try:
            value = opt.kind(raw)
        except ValueError:
            raise call.fail(f"{words[i]} takes {opt.what}, not {raw!r}") from None
        if opt.kind is not str and not opt.lo <= value <= opt.hi:
            raise call.fail(f"{words[i]} {raw} is outside {opt.lo:g}–{opt.hi:g}")
        parsed.values[words[i]] = value
        return 2

    start = 0
    while start < len(words) and words[start] in options:
        start += take(start)
    end = len(words)
    while True:
        if end - 2 >= start and words[end - 2] in options and not options[words[end - 2]].flag:
            take(end - 2)
            end -= 2
        elif end - 1 >= start and words[end - 1] in options and options[words[end - 1]].flag:
            take(end - 1)
            end -= 1
        else:
            break
    middle = typed
    if start or end < len(words):
        # Cut the original text (spacing inside an expression's strings is kept).
        import re

        spans = [m.span() for m in re.finditer(r"\S+", typed)]
        middle = typed[spans[start][0] : spans[end - 1][1]] if end > start else ""
    return parsed, middle.strip()
