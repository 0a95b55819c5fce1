"""Reports of a host's state in the shape of the Linux tools: `ip neigh`/`arp -n`, `ip route`,
`ifconfig`. Plain text, one line per entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack.host import Host


def arp_lines(host: Host) -> list[str]:
    now = host.clock.now()
    rows = [f"{'Address':<16} {'HWaddress':<18} {'State':<11} {'Age':>7}  Iface"]
    entries = sorted(host.arp.entries(), key=lambda e: int(e[1].ip))
    for ifname, entry, state in entries:
        mac = str(entry.mac) if entry.mac else "(incomplete)"
        age = f"{now - entry.confirmed:.1f}s"
        changed = f"  (was {entry.previous})" if entry.previous else ""
        rows.append(f"{str(entry.ip):<16} {mac:<18} {state:<11} {age:>7}  {ifname}{changed}")
    if len(rows) == 1:
        rows.append("(empty)")
    return rows


def route_lines(host: Host) -> list[str]:
    rows = [f"{'Destination':<18} {'Gateway':<16} {'Genmask':<16} {'Iface':<6} Origin"]
    for route in host.routes.sorted():
        rows.append(
            f"{str(route.network.network_address) if route.network.prefixlen else 'default':<18} "
            f"{str(route.gateway) if route.gateway else '0.0.0.0':<16} {str(route.network.netmask):<16} "
            f"{route.interface:<6} {route.origin}"
        )
    if len(rows) == 1:
        rows.append("(no routes)")
    return rows


def ifconfig_lines(host: Host) -> list[str]:
    rows = []
    for iface in host.interfaces.values():
        nic = iface.nic
        c = nic.counters
        vendor = nic.mac.vendor
        rows.append(
            f"{iface.name}: mtu {iface.mtu}  segment {nic.segment.name if nic.segment else '-'}"
        )
        if iface.configured:
            rows.append(
                f"        inet {iface.ip}  netmask {iface.netmask}  broadcast {iface.broadcast}"
            )
        else:
            rows.append("        inet (none)")
        rows.append(f"        ether {nic.mac}" + (f"  ({vendor})" if vendor else ""))
        rows.append(
            f"        RX packets {c.rx_frames}  bytes {c.rx_bytes}  filtered {c.rx_filtered}  FCS errors {c.rx_fcs_errors}  malformed {c.rx_malformed}"
        )
        rows.append(f"        TX packets {c.tx_frames}  bytes {c.tx_bytes}")
    gateway = host.routes.gateway
    rows.append(f"gateway {gateway if gateway else '(none)'}")
    rows.append(
        "dns " + (", ".join(str(d) for d in host.dns_servers) if host.dns_servers else "(none)")
    )
    return rows
