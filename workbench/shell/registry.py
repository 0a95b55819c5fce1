"""Every command the shell knows, gathered from an explicit list of modules (no import side
effects: a module left out of `MODULES` is plainly not there), and `prepare`, which turns
"HOST: COMMAND ARGS" into a checked `Invocation`."""

from __future__ import annotations

from stack.network import Network
from workbench.shell.commands import apps, craft, probe, show
from workbench.shell.parse import split_do, split_words
from workbench.shell.spec import Call, CommandError, CommandSpec, Invocation

MODULES = (probe, show, apps, craft)

COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec for module in MODULES for spec in module.COMMANDS
}


def prepare(net: Network, typed: str) -> Invocation:
    """The command checked against the lab, ready to start; CommandError (one sentence) if not."""
    target, rest = split_do(typed)
    word, _sep, text = rest.partition(" ")
    spec = COMMANDS.get(word)
    host = net.hosts.get(target)
    segment = net.segments.get(target) if host is None else None
    if host is None and (segment is None or spec is None or not spec.on_segment):
        if segment is not None:
            raise CommandError(
                f"{target} is a segment; only {', '.join(n for n, s in COMMANDS.items() if s.on_segment)} run on a segment, other commands on a host"
            )
        raise CommandError(
            f"no host named {target!r} in lab {net.spec.name} (hosts: {', '.join(net.hosts)})"
        )
    if spec is None:
        raise CommandError(f"unknown command {word!r} (commands: {', '.join(sorted(COMMANDS))})")
    text = text.strip()
    args = [] if spec.raw else split_words(text) if text else []
    factory = spec.prepare(Call(net, host, args, spec, text, segment))
    return Invocation(target, typed, factory)


def hint(typed: str) -> str:
    """The usage and summary of the command being typed, or the list of commands."""
    _host, _sep, rest = typed.partition(":")
    words = rest.split()
    spec = COMMANDS.get(words[0]) if words else None
    if spec is not None:
        return f"{spec.usage} — {spec.summary}"
    return "commands: " + ", ".join(sorted(COMMANDS))
