"""Commands that print what a host knows at once: arp, route, ifconfig, sockets."""

from __future__ import annotations

from stack.apps.program import Report
from stack.apps.show import arp_lines, ifconfig_lines, route_lines
from stack.apps.ss import socket_lines
from workbench.shell.spec import Call, CommandSpec, Factory


def _report(lines_of):
    def prepare(call: Call) -> Factory:
        call.parse()
        host, name = call.host, call.name
        return lambda: Report(name, lines_of(host))

    return prepare


COMMANDS = [
    CommandSpec("arp", "arp", "show the ARP cache", _report(arp_lines)),
    CommandSpec("route", "route", "show the routing table", _report(route_lines)),
    CommandSpec(
        "ifconfig",
        "ifconfig",
        "show interfaces, addresses, gateway and DNS",
        _report(ifconfig_lines),
    ),
    CommandSpec("sockets", "sockets", "show UDP and TCP sockets (ss -tuan)", _report(socket_lines)),
]
