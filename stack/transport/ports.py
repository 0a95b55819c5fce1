"""Ports: who owns which (address, port) on a host, and ephemeral ports drawn from the host's
seeded random generator so that a simulated run is reproducible.

An owner bound to the wildcard address (None, i.e. 0.0.0.0) hears its port on every address;
one bound to a specific address wins over the wildcard for packets to that address.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from stack.host import Host

EPHEMERAL_LOW = 1024
EPHEMERAL_HIGH = 65535
ANY = IPv4Address("0.0.0.0")

Owner = TypeVar("Owner")


class PortInUse(ValueError):
    """The (address, port) asked for is already bound (as EADDRINUSE)."""


class NoFreePort(PortInUse):
    """Every ephemeral port is taken."""


def port_number(text: str) -> int | None:
    """The port a person typed, 1 to 65535, or None. ASCII digits only: `str.isdigit()` also
    accepts `²` and `₁`, which `int()` then refuses (the shell's fuzzing found `8₁0`)."""
    if not (text.isascii() and text.isdigit()):
        return None
    port = int(text)
    return port if 1 <= port <= 65535 else None


def endpoint(address: IPv4Address | None, port: int) -> str:
    return f"{address if address is not None else '*'}:{port}"


class PortTable(Generic[Owner]):
    """(address or None, port) → owner, for one protocol on one host."""

    def __init__(self, host: Host, protocol: str) -> None:
        self.host = host
        self.protocol = protocol
        self.bound: dict[tuple[IPv4Address | None, int], Owner] = {}
        self._ports: dict[int, int] = {}  # port → how many bindings use it

    def bind(self, address: IPv4Address | None, port: int, owner: Owner) -> None:
        if address == ANY:
            address = None
        if not 0 < port <= 0xFFFF:
            raise ValueError(f"{self.protocol} port {port} is outside 1–65535")
        if (
            (address, port) in self.bound
            or (address is None and port in self._ports)
            or (None, port) in self.bound
        ):
            raise PortInUse(
                f"{self.host.name}: {self.protocol} port {endpoint(address, port)} is already in use"
            )
        self.bound[(address, port)] = owner
        self._ports[port] = self._ports.get(port, 0) + 1

    def release(self, address: IPv4Address | None, port: int, owner: Owner) -> None:
        if address == ANY:
            address = None
        if self.bound.get((address, port)) is owner:
            del self.bound[(address, port)]
            left = self._ports[port] - 1
            if left:
                self._ports[port] = left
            else:
                del self._ports[port]

    def lookup(self, address: IPv4Address, port: int) -> Owner | None:
        owner = self.bound.get((address, port))
        if owner is None:
            owner = self.bound.get((None, port))
        return owner

    def ephemeral(self, taken=None) -> int:
        """A free port in 1024–65535, drawn from the host's seeded generator."""
        rng = self.host.rng
        for _ in range(64):
            port = rng.randint(EPHEMERAL_LOW, EPHEMERAL_HIGH)
            if port not in self._ports and (taken is None or not taken(port)):
                return port
        start = rng.randint(EPHEMERAL_LOW, EPHEMERAL_HIGH)
        span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
        for i in range(span):
            port = EPHEMERAL_LOW + (start - EPHEMERAL_LOW + i) % span
            if port not in self._ports and (taken is None or not taken(port)):
                return port
        raise NoFreePort(
            f"{self.host.name}: no free {self.protocol} port left in {EPHEMERAL_LOW}–{EPHEMERAL_HIGH}"
        )


def source_address(host: Host, dst: IPv4Address, interface: str | None = None) -> IPv4Address:
    """The address a packet to `dst` leaves from (what the IP layer will pick), for the
    pseudo-header checksum. 0.0.0.0 when there is no route or no address yet (DHCP)."""
    if interface is not None:
        iface = host.interfaces[interface]
        if dst == IPv4Address("255.255.255.255") or not iface.configured:
            return iface.ip if iface.configured else ANY
    if dst in host.addresses or dst.is_loopback:
        return dst
    decision = host.ip.decide(dst)
    if decision.route is None:
        return ANY
    return host.interfaces[decision.route.interface].ip
