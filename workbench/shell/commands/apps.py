"""The application commands: dhcp, resolve, browse, udp send, tcp connect.

Each imports its application when it is typed: a run that never browses loads no HTTP client."""

from __future__ import annotations

from ipaddress import IPv4Address

from workbench.shell.parse import flag, text
from workbench.shell.policy import dhcp_refusal
from workbench.shell.spec import Call, CommandError, CommandSpec, Factory
from workbench.shell.targets import address_of, check_name, endpoint, on_target


def _dhcp(call: Call) -> Factory:
    from stack.apps.dhcp_client import DhcpRun

    args = call.parse({"-r": flag()}, (0, 1))
    host = call.host
    ifname = args.positional[0] if args.positional else host.primary.name
    if ifname not in host.interfaces:
        raise call.fail(
            f"{host.name} has no interface {ifname!r} (interfaces: {', '.join(host.interfaces)})"
        )
    refused = dhcp_refusal(call.net, host.name)
    if refused:
        raise CommandError(refused)
    release = args.has("-r")
    return lambda: DhcpRun(host, ifname, release=release)


def _resolve(call: Call) -> Factory:
    from stack.apps.resolver import Resolve
    from stack.wire import dns as N

    args = call.parse({"-t": text()}, (0, 99))
    server = None
    names = []
    for arg in args.positional:
        if arg.startswith("@"):
            try:
                server = IPv4Address(arg[1:])
            except ValueError:
                raise call.fail(
                    f"{arg!r} should be @ and a server's IPv4 address, for example @8.8.8.8"
                ) from None
        else:
            names.append(arg)
    if len(names) != 1:
        raise call.usage_error(f"takes one name, got {len(names)}")
    qtype_text = str(args.get("-t", "A")).upper()
    qtype = N.TYPES.get(qtype_text)
    if qtype is None:
        raise call.fail(f"unknown record type {qtype_text!r} (for example A, AAAA, CNAME, MX, TXT)")
    name = names[0]
    check_name("resolve", name)
    host = call.host
    return lambda: Resolve(host, name, qtype, server)


def _browse(call: Call) -> Factory:
    from stack.apps.browse import Browse, parse_url

    args = call.parse({"--one-segment": flag(), "--seed": flag()}, (0, 99))
    if not args.positional:
        raise call.usage_error("give a URL, for example http://www.google.com/")
    urls = []
    for typed in args.positional:
        try:
            url = parse_url(typed)
        except ValueError as err:
            raise call.fail(str(err)) from None
        if address_of(call.net, url.host) is None:
            check_name("browse", url.host)
        urls.append(url)
    net, host = call.net, call.host
    hosts_file = {
        u.host: a
        for u in urls
        if u.host in net.hosts and (a := address_of(net, u.host)) is not None
    }
    one_segment, seed = args.has("--one-segment"), args.has("--seed")
    return lambda: Browse(host, urls, one_segment=one_segment, seed=seed, hosts_file=hosts_file)


def _udp(call: Call) -> Factory:
    from stack.apps.netcat import UdpSend

    if len(call.args) != 3 or call.args[0] != "send":
        raise CommandError(f"udp: usage: {call.spec.usage}")
    name, port = endpoint("udp send", call.args[1])
    data = call.args[2].encode()
    if len(data) > 65507:
        raise CommandError(
            f"udp send: {len(data):,} bytes is over the 65,507 one datagram can carry"
        )
    host = call.host
    return on_target(call, name, lambda address: UdpSend(host, address, port, data), "udp send")


def _tcp(call: Call) -> Factory:
    from stack.apps.netcat import TcpConnect

    if len(call.args) != 2 or call.args[0] != "connect":
        raise CommandError(f"tcp: usage: {call.spec.usage}")
    name, port = endpoint("tcp connect", call.args[1])
    host = call.host
    return on_target(
        call, name, lambda address: TcpConnect(host, address, port, name), "tcp connect"
    )


def _ntp(call: Call) -> Factory:
    from stack.apps.ntp import NtpQuery

    if len(call.args) != 1 or call.args[0].startswith("-"):
        raise call.usage_error("takes one server")
    host = call.host
    return on_target(call, call.args[0], lambda address: NtpQuery(host, address), "ntp")


COMMANDS = [
    CommandSpec(
        "dhcp",
        "dhcp [-r] [IFACE]",
        "get a lease from a DHCP server (or renew it; -r releases it)",
        _dhcp,
    ),
    CommandSpec(
        "resolve",
        "resolve NAME [-t TYPE] [@SERVER]",
        "look a name up in DNS (dig-like; cached by the host's resolver)",
        _resolve,
    ),
    CommandSpec(
        "browse",
        "browse URL [URL...] [--seed] [--one-segment]",
        "fetch pages over HTTP the seed's way: DNS, route, ARP, TCP, GET (curl -v-like); --seed sends the "
        "seed's 4,960-byte request, --one-segment sends it as one TCP segment that IP must fragment",
        _browse,
    ),
    CommandSpec(
        "udp",
        "udp send TARGET:PORT TEXT",
        "send one UDP datagram and wait 2 s for an answer (nc -u)",
        _udp,
    ),
    CommandSpec(
        "tcp",
        "tcp connect TARGET:PORT",
        "open a TCP connection, say whether it worked, close it (nc -vz)",
        _tcp,
    ),
    CommandSpec(
        "ntp",
        "ntp SERVER",
        "ask an NTP server for the time: its stratum, the clock offset and the delay (ntpdate -q)",
        _ntp,
    ),
]
