"""What the panes show, read from a running network as small frozen rows: a widget gets
values, never a host or a cache to reach into. Plain functions; the session calls them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stack.events import RouteDecision
from stack.host import Host
from stack.labs.spec import HostSpec, LabSpec
from stack.network import Network


@dataclass(frozen=True)
class HostRow:
    host: str
    interface: str
    first: bool  # the host's first interface (the row that shows the host-wide columns)
    router: bool
    mac: str
    address: str
    gateway: str
    dns: str
    dhcp: str
    rx: int
    tx: int
    filtered: int


@dataclass(frozen=True)
class ArpRow:
    ip: str
    mac: str
    state: str
    age: float
    interface: str
    previous: str  # the MAC before it changed, "" if it never did
    changed_at: float


@dataclass(frozen=True)
class RouteRow:
    destination: str
    gateway: str
    netmask: str
    interface: str
    origin: str


def host_rows(net: Network, spec: LabSpec) -> list[HostRow]:
    """One row per interface of every host and router, in the lab's order."""
    rows = []
    for name, host in net.hosts.items():
        host_spec = spec.hosts.get(name)
        gateway = host.routes.gateway
        dns = ", ".join(str(d) for d in host.dns_servers) or "-"
        for i, iface in enumerate(host.interfaces.values()):
            c = iface.nic.counters
            rows.append(
                HostRow(
                    name,
                    iface.name,
                    i == 0,
                    host.is_router,
                    str(iface.nic.mac),
                    str(iface.address.with_prefixlen) if iface.configured else "(none)",
                    str(gateway) if gateway and i == 0 else ("-" if i == 0 else ""),
                    dns if i == 0 else "",
                    _dhcp_state(host, iface.name, host_spec),
                    c.rx_frames,
                    c.tx_frames,
                    c.rx_filtered,
                )
            )
    return rows


def arp_rows(host: Host) -> list[ArpRow]:
    """The host's ARP cache as it is now, by interface and address."""
    now = host.clock.now()
    rows = []
    for ifname, entry, state in sorted(host.arp.entries(), key=lambda e: (e[0], int(e[1].ip))):
        rows.append(
            ArpRow(
                str(entry.ip),
                str(entry.mac) if entry.mac else "(incomplete)",
                state,
                max(0.0, now - entry.confirmed),
                ifname,
                str(entry.previous) if entry.previous else "",
                entry.changed,
            )
        )
    return rows


def route_rows(host: Host) -> list[RouteRow]:
    """The host's routing table, longest prefix first."""
    return [
        RouteRow(
            "default" if r.network.prefixlen == 0 else str(r.network),
            str(r.gateway) if r.gateway else "-",
            str(r.network.netmask),
            r.interface,
            r.origin,
        )
        for r in host.routes.sorted()
    ]


def _dhcp_state(host: Host, ifname: str, spec: HostSpec | None) -> str:
    client = host.services.get(f"dhcp-client:{ifname}")
    if client is not None:
        return str(getattr(client, "state", "client")).lower()
    if spec is not None and "dhcp" in spec.services:
        return "server"
    if spec is not None and spec.dhcp:
        return "not yet"
    return "static"


_STEP_BREAK = re.compile(r"(?<=\d)(?:, |: )(?=\d)")


def decision_lines(decision: RouteDecision) -> list[str]:
    """A decision's arithmetic as lines for a narrow pane: one AND per line (the verdict is
    `decision.verdict`)."""
    lines = []
    for step in decision.steps:
        lines.extend(_STEP_BREAK.split(step))
    return lines
