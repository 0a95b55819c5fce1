"""The application commands — `dhcp`, `resolve`, `browse`, `udp send`, `tcp connect`,
`sockets` — and DNS names as targets of `ping` and `traceroute`.

Registered with `workbench.commands.command` when that module finishes loading. As there,
each `prepare` checks its arguments before anything runs and returns a factory of a Program.
A target may be an IPv4 address, the name of a lab host (the lab is the hosts file), or any
other name, which the host's resolver looks up over DNS when the command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address

from stack.apps.browse import Browse, parse_url
from stack.apps.dhcp_client import DhcpRun
from stack.apps.named import AfterLookup
from stack.apps.netcat import TcpConnect, UdpSend
from stack.apps.program import Program, Report
from stack.apps.resolver import Resolve
from stack.apps.ss import socket_lines
from stack.host import Host
from stack.network import Network
from stack.wire import dns as N
from stack.wire.errors import WireError
from workbench.commands import COMMANDS, CommandError, Factory, command


def _flags(cmd: str, args: list[str], flags: set[str], valued: set[str]) -> tuple[list[str], set[str], dict[str, str]]:
    """Positionals, the boolean flags given, and the valued options given."""
    usage = COMMANDS[cmd].usage
    rest: list[str] = []
    seen: set[str] = set()
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in flags:
            seen.add(arg)
        elif arg in valued:
            if i + 1 >= len(args):
                raise CommandError(f"{cmd}: {arg} needs a value (usage: {usage})")
            values[arg] = args[i + 1]
            i += 1
        elif arg.startswith("-") and len(arg) > 1:
            raise CommandError(f"{cmd}: unknown option {arg} (usage: {usage})")
        else:
            rest.append(arg)
        i += 1
    return rest, seen, values


def _literal_or_lab_host(net: Network, text: str) -> IPv4Address | None:
    try:
        return IPv4Address(text)
    except ValueError:
        pass
    other = net.hosts.get(text)
    if other is not None and other.addresses:
        return min(other.addresses, key=int)
    return None


def _check_name(cmd: str, text: str) -> None:
    try:
        if not N.name_labels(text):
            raise CommandError(f"{cmd}: the root name {text!r} has no address")
    except WireError as err:
        raise CommandError(f"{cmd}: {text!r} is not a host name ({err.problem})") from None


def on_target(net: Network, host: Host, cmd: str, text: str, make: Callable[[IPv4Address], Program]) -> Factory:
    """A factory that runs `make(address)` — after a DNS lookup when `text` needs one."""
    address = _literal_or_lab_host(net, text)
    if address is not None:
        return lambda: make(address)
    _check_name(cmd, text)
    return lambda: AfterLookup(host, text, make, cmd)


def _endpoint(cmd: str, text: str) -> tuple[str, int]:
    name, colon, port_text = text.rpartition(":")
    if not colon or not name:
        raise CommandError(f"{cmd}: {text!r} should be TARGET:PORT, for example 172.194.72.105:80")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise CommandError(f"{cmd}: port {port_text!r} is not a number from 1 to 65535")
    return name, int(port_text)


# --- DNS names for ping and traceroute ------------------------------------------------------


def _by_name(name: str) -> None:
    original = COMMANDS[name]
    valued = {"ping": {"-c", "-s", "-i", "-t"}, "traceroute": {"-m"}}[name]

    def prepare(net: Network, host: Host, args: list[str]) -> Factory:
        positions = [i for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in valued)]
        if len(positions) != 1 or _literal_or_lab_host(net, args[positions[0]]) is not None:
            return original.prepare(net, host, args)
        where = positions[0]
        target = args[where]
        _check_name(name, target)
        original.prepare(net, host, args[:where] + ["127.0.0.1"] + args[where + 1 :])  # checks the options now

        def make(address: IPv4Address) -> Program:
            return original.prepare(net, host, args[:where] + [str(address)] + args[where + 1 :])()

        return lambda: AfterLookup(host, target, make, name)

    command(name, original.usage.replace("TARGET", "TARGET|NAME"), original.summary)(prepare)


_by_name("ping")
_by_name("traceroute")


# --- the application commands -----------------------------------------------------------------


@command("dhcp", "dhcp [-r] [IFACE]", "get a lease from a DHCP server (or renew it; -r releases it)")
def _dhcp(net: Network, host: Host, args: list[str]) -> Factory:
    rest, flags, _ = _flags("dhcp", args, {"-r"}, set())
    if len(rest) > 1:
        raise CommandError(f"dhcp: takes at most one interface, got {len(rest)} (usage: {COMMANDS['dhcp'].usage})")
    ifname = rest[0] if rest else host.primary.name
    if ifname not in host.interfaces:
        raise CommandError(f"dhcp: {host.name} has no interface {ifname!r} (interfaces: {', '.join(host.interfaces)})")
    return lambda: DhcpRun(host, ifname, release="-r" in flags)


@command("resolve", "resolve NAME [-t TYPE] [@SERVER]", "look a name up in DNS (dig-like; cached by the host's resolver)")
def _resolve(net: Network, host: Host, args: list[str]) -> Factory:
    rest, _, values = _flags("resolve", args, set(), {"-t"})
    server = None
    names = []
    for arg in rest:
        if arg.startswith("@"):
            try:
                server = IPv4Address(arg[1:])
            except ValueError:
                raise CommandError(f"resolve: {arg!r} should be @ and a server's IPv4 address, for example @8.8.8.8") from None
        else:
            names.append(arg)
    if len(names) != 1:
        raise CommandError(f"resolve: takes one name, got {len(names)} (usage: {COMMANDS['resolve'].usage})")
    qtype_text = values.get("-t", "A").upper()
    qtype = N.TYPES.get(qtype_text)
    if qtype is None:
        raise CommandError(f"resolve: unknown record type {qtype_text!r} (for example A, AAAA, CNAME, MX, TXT)")
    name = names[0]
    _check_name("resolve", name)
    return lambda: Resolve(host, name, qtype, server)


@command(
    "browse", "browse URL [URL...] [--seed] [--one-segment]",
    "fetch pages over HTTP the seed's way: DNS, route, ARP, TCP, GET (curl -v-like); --seed sends the "
    "seed's 4,960-byte request, --one-segment sends it as one TCP segment that IP must fragment",
)
def _browse(net: Network, host: Host, args: list[str]) -> Factory:
    rest, flags, _ = _flags("browse", args, {"--one-segment", "--seed"}, set())
    if not rest:
        raise CommandError(f"browse: give a URL, for example http://www.google.com/ (usage: {COMMANDS['browse'].usage})")
    urls = []
    for text in rest:
        try:
            url = parse_url(text)
        except ValueError as err:
            raise CommandError(f"browse: {err}") from None
        if _literal_or_lab_host(net, url.host) is None:
            _check_name("browse", url.host)
        urls.append(url)
    hosts_file = {u.host: a for u in urls if u.host in net.hosts and (a := _literal_or_lab_host(net, u.host)) is not None}
    return lambda: Browse(host, urls, one_segment="--one-segment" in flags, seed="--seed" in flags, hosts_file=hosts_file)


@command("udp", "udp send TARGET:PORT TEXT", "send one UDP datagram and wait 2 s for an answer (nc -u)")
def _udp(net: Network, host: Host, args: list[str]) -> Factory:
    usage = COMMANDS["udp"].usage
    if len(args) != 3 or args[0] != "send":
        raise CommandError(f"udp: usage: {usage}")
    name, port = _endpoint("udp send", args[1])
    data = args[2].encode()
    if len(data) > 65507:
        raise CommandError(f"udp send: {len(data):,} bytes is over the 65,507 one datagram can carry")
    return on_target(net, host, "udp send", name, lambda address: UdpSend(host, address, port, data))


@command("tcp", "tcp connect TARGET:PORT", "open a TCP connection, say whether it worked, close it (nc -vz)")
def _tcp(net: Network, host: Host, args: list[str]) -> Factory:
    usage = COMMANDS["tcp"].usage
    if len(args) != 2 or args[0] != "connect":
        raise CommandError(f"tcp: usage: {usage}")
    name, port = _endpoint("tcp connect", args[1])
    return on_target(net, host, "tcp connect", name, lambda address: TcpConnect(host, address, port, name))


@command("sockets", "sockets", "show UDP and TCP sockets (ss -tuan)")
def _sockets(net: Network, host: Host, args: list[str]) -> Factory:
    if args:
        raise CommandError(f"sockets: takes no arguments (usage: {COMMANDS['sockets'].usage})")
    return lambda: Report("sockets", socket_lines(host))
