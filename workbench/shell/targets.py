"""The one target resolver: an IPv4 address, the name of a lab host (the lab is the hosts
file), or any other name, which the host's resolver looks up over DNS when the command runs
(as ping and curl call getaddrinfo)."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address

from stack.apps.after_lookup import AfterLookup
from stack.apps.program import Program
from stack.network import Network
from stack.transport.ports import port_number
from stack.wire import dns as N
from stack.wire.errors import WireError
from workbench.shell.spec import Call, CommandError, Factory


def address_of(net: Network, typed: str) -> IPv4Address | None:
    """An address literal, or a lab host's lowest address; None for anything else."""
    try:
        return IPv4Address(typed)
    except ValueError:
        pass
    other = net.hosts.get(typed)
    if other is not None and other.addresses:
        return min(other.addresses, key=int)
    return None


def check_name(cmd: str, typed: str) -> None:
    try:
        if not N.name_labels(typed):
            raise CommandError(f"{cmd}: the root name {typed!r} has no address")
    except WireError as err:
        raise CommandError(f"{cmd}: {typed!r} is not a host name ({err.problem})") from None


def on_target(
    call: Call, typed: str, make: Callable[[IPv4Address], Program], tool: str | None = None
) -> Factory:
    """A factory that runs `make(address)` — after a DNS lookup when `typed` needs one. A tool
    with a `label` names its target as typed ("PING pc2 (192.168.1.101)")."""
    tool = tool or call.name
    address = address_of(call.net, typed)
    if address is not None:
        return lambda: _labelled(make(address), typed)
    check_name(tool, typed)
    host = call.host
    return lambda: AfterLookup(host, typed, make, tool)


def endpoint(cmd: str, typed: str) -> tuple[str, int]:
    """TARGET:PORT, the port checked."""
    name, colon, port_text = typed.rpartition(":")
    if not colon or not name:
        raise CommandError(f"{cmd}: {typed!r} should be TARGET:PORT, for example 172.194.72.105:80")
    port = port_number(port_text)
    if port is None:
        raise CommandError(f"{cmd}: port {port_text!r} is not a number from 1 to 65535")
    return name, port


def _labelled(program: Program, typed: str) -> Program:
    if hasattr(program, "label"):
        program.label = typed
    return program
