"""ping and traceroute: to an address, a lab host, or a DNS name (looked up first)."""

from __future__ import annotations

from stack.apps.ping import Ping
from stack.apps.traceroute import Traceroute
from workbench.shell.parse import number
from workbench.shell.spec import Call, CommandSpec, Factory
from workbench.shell.targets import on_target


def _ping(call: Call) -> Factory:
    args = call.parse(
        {
            "-c": number(int, 1, 10000),
            "-s": number(int, 0, 65507),
            "-i": number(float, 0.001, 60),
            "-t": number(int, 1, 255),
        },
        1,
    )
    host = call.host
    count, size, interval, ttl = (
        args.get("-c", 4),
        args.get("-s", 56),
        args.get("-i", 1.0),
        args.get("-t", 64),
    )
    return on_target(
        call,
        args.positional[0],
        lambda address: Ping(host, address, count=count, size=size, interval=interval, ttl=ttl),
    )


def _traceroute(call: Call) -> Factory:
    args = call.parse({"-m": number(int, 1, 64)}, 1)
    host, hops = call.host, args.get("-m", 30)
    return on_target(
        call, args.positional[0], lambda address: Traceroute(host, address, max_hops=hops)
    )


COMMANDS = [
    CommandSpec(
        "ping",
        "ping TARGET|NAME [-c COUNT] [-s SIZE] [-i INTERVAL] [-t TTL]",
        "send ICMP echo requests",
        _ping,
    ),
    CommandSpec(
        "traceroute",
        "traceroute TARGET|NAME [-m MAX_HOPS]",
        "find the routers on the way (ICMP echo probes)",
        _traceroute,
    ),
]
