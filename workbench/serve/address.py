"""`[ADDR:]PORT` as `workbench serve` takes it: loopback unless an address is given."""

from __future__ import annotations

import ipaddress

from stack.transport.ports import port_number
from workbench.shell import CommandError

LOOPBACK = "127.0.0.1"


def parse_listen(text: str) -> tuple[str, int]:
    """("127.0.0.1", 2222) from "2222"; ("0.0.0.0", 2222) from "0.0.0.0:2222"; "[::1]:22" too."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host = LOOPBACK
    host = host.strip("[]") or LOOPBACK
    number = port_number(port)
    if number is None:
        raise CommandError(f"{text!r} is not [ADDRESS:]PORT with a port from 1 to 65535")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise CommandError(
                f"{host!r} is not an IP address to listen on (e.g. 127.0.0.1 or 0.0.0.0)"
            ) from None
    return host, number


def is_loopback(host: str) -> bool:
    return host == "localhost" or ipaddress.ip_address(host).is_loopback
