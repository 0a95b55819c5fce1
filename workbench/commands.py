"""The commands a person runs on a lab host — `ping`, `traceroute`, `arp`, … — as typed after
`HOST:` in `workbench run --do` and in the app's prompts.

`prepare` checks everything (host, arguments, targets) before anything runs, so bad input is
one sentence and nothing half-happens; it returns an `Invocation` that starts the program.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.apps.program import Program, Report
from stack.apps.show import arp_lines, ifconfig_lines, route_lines
from stack.apps.traceroute import Traceroute
from stack.host import Host
from stack.network import Network


class CommandError(ValueError):
    """Input that cannot run; the message is one sentence for the person who typed it."""


Factory = Callable[[], Program]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    prepare: Callable[[Network, Host, list[str]], Factory]


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, usage: str, summary: str):
    def register(fn: Callable[[Network, Host, list[str]], Factory]):
        COMMANDS[name] = CommandSpec(name, usage, summary, fn)
        return fn

    return register


@dataclass(frozen=True)
class Invocation:
    host: str
    text: str
    start: Factory


def split_do(text: str) -> tuple[str, str]:
    host, sep, rest = text.partition(":")
    if not sep or not host.strip() or not rest.strip():
        raise CommandError(f"{text!r} should look like \"HOST: COMMAND\", for example \"pc: ping 192.168.1.1 -c 1\"")
    return host.strip(), rest.strip()


def prepare(net: Network, text: str) -> Invocation:
    host_name, rest = split_do(text)
    if host_name not in net.hosts:
        raise CommandError(f"no host named {host_name!r} in lab {net.spec.name} (hosts: {', '.join(net.hosts)})")
    try:
        argv = shlex.split(rest)
    except ValueError as err:
        raise CommandError(f"cannot read {rest!r}: {err}") from None
    name, args = argv[0], argv[1:]
    spec = COMMANDS.get(name)
    if spec is None:
        raise CommandError(f"unknown command {name!r} (commands: {', '.join(sorted(COMMANDS))})")
    factory = spec.prepare(net, net.hosts[host_name], args)
    return Invocation(host_name, text, factory)


# --- argument helpers ---------------------------------------------------------------------


def options(cmd: str, args: list[str], known: dict[str, tuple[type, float, float]], positional: int) -> tuple[list[str], dict]:
    """Split `args` into positionals and `-x VALUE` options, checking types and ranges."""
    values: dict = {}
    rest: list[str] = []
    usage = COMMANDS[cmd].usage
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and not _is_number(arg):
            if arg not in known:
                raise CommandError(f"{cmd}: unknown option {arg} (usage: {usage})")
            if i + 1 >= len(args):
                raise CommandError(f"{cmd}: {arg} needs a value (usage: {usage})")
            kind, lo, hi = known[arg]
            raw = args[i + 1]
            try:
                value = kind(raw)
            except ValueError:
                raise CommandError(f"{cmd}: {arg} takes a number, not {raw!r}") from None
            if not lo <= value <= hi:
                raise CommandError(f"{cmd}: {arg} {raw} is outside {lo:g}–{hi:g}")
            values[arg] = value
            i += 2
        else:
            rest.append(arg)
            i += 1
    if len(rest) != positional:
        want = "no arguments" if positional == 0 else f"{positional} argument{'s' if positional > 1 else ''}"
        raise CommandError(f"{cmd}: takes {want}, got {len(rest)} (usage: {usage})")
    return rest, values


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def resolve_target(net: Network, text: str) -> IPv4Address:
    """An IPv4 address, or the name of a lab host (like a hosts file)."""
    try:
        return IPv4Address(text)
    except ValueError:
        pass
    other = net.hosts.get(text)
    if other is not None and other.addresses:
        return min(other.addresses, key=int)
    raise CommandError(f"{text!r} is neither an IPv4 address nor a host of lab {net.spec.name}")


def _labelled(program, typed: str):
    """ping pc2 prints "PING pc2 (192.168.1.101)", as ping does for a name from /etc/hosts."""
    program.label = typed
    return program


# --- the commands -------------------------------------------------------------------------


@command("ping", "ping TARGET [-c COUNT] [-s SIZE] [-i INTERVAL] [-t TTL]", "send ICMP echo requests")
def _ping(net: Network, host: Host, args: list[str]) -> Factory:
    (target_text,), opts = options("ping", args, {"-c": (int, 1, 10000), "-s": (int, 0, 65507), "-i": (float, 0.001, 60), "-t": (int, 1, 255)}, 1)
    target = resolve_target(net, target_text)
    return lambda: _labelled(Ping(host, target, count=opts.get("-c", 4), size=opts.get("-s", 56), interval=opts.get("-i", 1.0), ttl=opts.get("-t", 64)), target_text)


@command("traceroute", "traceroute TARGET [-m MAX_HOPS]", "find the routers on the way (ICMP echo probes)")
def _traceroute(net: Network, host: Host, args: list[str]) -> Factory:
    (target_text,), opts = options("traceroute", args, {"-m": (int, 1, 64)}, 1)
    target = resolve_target(net, target_text)
    return lambda: _labelled(Traceroute(host, target, max_hops=opts.get("-m", 30)), target_text)


@command("arp", "arp", "show the ARP cache")
def _arp(net: Network, host: Host, args: list[str]) -> Factory:
    options("arp", args, {}, 0)
    return lambda: Report("arp", arp_lines(host))


@command("route", "route", "show the routing table")
def _route(net: Network, host: Host, args: list[str]) -> Factory:
    options("route", args, {}, 0)
    return lambda: Report("route", route_lines(host))


@command("ifconfig", "ifconfig", "show interfaces, addresses, gateway and DNS")
def _ifconfig(net: Network, host: Host, args: list[str]) -> Factory:
    options("ifconfig", args, {}, 0)
    return lambda: Report("ifconfig", ifconfig_lines(host))


# The application commands (dhcp, resolve, browse, udp, tcp, sockets) and DNS names for
# ping and traceroute register themselves here.
from workbench import app_commands as _app_commands  # noqa: E402, F401
