"""The routing table: connected routes, static routes, the default gateway; longest prefix match.

`RouteTable.decide` returns the route with the arithmetic a person can check, the seed's
`192.168.1.100 AND 255.255.255.0 = 192.168.1.0`, for the trace and the routing pane.
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Address, IPv4Network

from stack.net.interface import Interface
from stack.record import record

DEFAULT = IPv4Network("0.0.0.0/0")


@record
class Route:
    network: IPv4Network
    interface: str
    gateway: IPv4Address | None = None
    origin: str = "static"  # connected, static, default, dhcp
    metric: int = 0

    def __str__(self) -> str:
        via = f"via {self.gateway} " if self.gateway else ""
        name = "default" if self.network == DEFAULT else str(self.network)
        return f"{name} {via}dev {self.interface} ({self.origin})"


@record
class Decision:
    dst: IPv4Address
    route: Route | None
    next_hop: IPv4Address | None
    steps: tuple[str, ...]
    verdict: str

    @cached_property
    def next_hop_text(self) -> str:
        """`str(next_hop)`, worked out once: a router names it for every packet it forwards."""
        return str(self.next_hop)


def _and(address: IPv4Address, network: IPv4Network) -> str:
    return f"{address} AND {network.netmask} = {IPv4Address(int(address) & int(network.netmask))}"


class RouteTable:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.version = 0  # bumped on every change, so cached decisions can tell they are stale

    def add(self, route: Route) -> None:
        self.routes = [
            r
            for r in self.routes
            if not (
                r.network == route.network
                and r.origin == route.origin
                and r.interface == route.interface
            )
        ]
        self.routes.append(route)
        self.version += 1

    def remove_where(self, *, interface: str | None = None, origin: str | None = None) -> None:
        self.routes = [
            r
            for r in self.routes
            if not (
                (interface is None or r.interface == interface)
                and (origin is None or r.origin == origin)
            )
        ]
        self.version += 1

    def add_connected(self, iface: Interface) -> None:
        self.add(Route(iface.network, iface.name, None, "connected"))

    def set_default(self, gateway: IPv4Address, interface: str, origin: str = "default") -> None:
        self.routes = [r for r in self.routes if r.network != DEFAULT]
        self.add(Route(DEFAULT, interface, gateway, origin))

    @property
    def gateway(self) -> IPv4Address | None:
        for route in self.routes:
            if route.network == DEFAULT:
                return route.gateway
        return None

    def sorted(self) -> list[Route]:
        return sorted(
            self.routes,
            key=lambda r: (-r.network.prefixlen, r.metric, int(r.network.network_address)),
        )

    def lookup(self, dst: IPv4Address) -> Route | None:
        best: Route | None = None
        value = int(dst)
        for route in self.routes:
            net = route.network
            if value & int(net.netmask) == int(net.network_address):
                if best is None or (net.prefixlen, -route.metric) > (
                    best.network.prefixlen,
                    -best.metric,
                ):
                    best = route
        return best

    def decide(self, dst: IPv4Address, interfaces: dict[str, Interface]) -> Decision:
        """Longest prefix match, explained with the AND of the mask."""
        route = self.lookup(dst)
        configured = [i for i in interfaces.values() if i.configured]
        steps: list[str] = []
        if len(configured) == 1:
            # The seed's test: my address and the destination, each ANDed with my mask.
            iface = configured[0]
            mine = IPv4Address(int(iface.ip) & int(iface.netmask))
            theirs = IPv4Address(int(dst) & int(iface.netmask))
            relation = "same subnet" if mine == theirs else f"{mine} ≠ {theirs}, different subnets"
            steps.append(f"{_and(iface.ip, iface.network)}, {_and(dst, iface.network)}: {relation}")
            if route is not None and route.origin != "connected" and route.network != DEFAULT:
                steps.append(f"{_and(dst, route.network)}: matches static route {route.network}")
        else:
            # A router: try routes from the longest prefix down, as the lookup does.
            for candidate in self.sorted():
                masked = IPv4Address(int(dst) & int(candidate.network.netmask))
                if candidate.network == DEFAULT:
                    steps.append("no longer prefix matches: default route 0.0.0.0/0")
                    break
                hit = masked == candidate.network.network_address
                mark = (
                    f"= {candidate.network} ✓" if hit else f"≠ {candidate.network.network_address}"
                )
                steps.append(f"{dst} AND {candidate.network.netmask} = {masked} {mark}")
                if hit:
                    break
        if route is None:
            return Decision(dst, None, None, tuple(steps), "no route: network unreachable")
        if route.gateway is None:
            verdict = f"deliver directly on {route.interface} (ARP for {dst} itself)"
            next_hop = dst
        else:
            kind = "default gateway" if route.network == DEFAULT else f"gateway for {route.network}"
            verdict = f"send to {kind} {route.gateway} on {route.interface}"
            next_hop = route.gateway
        return Decision(dst, route, next_hop, tuple(steps), verdict)
