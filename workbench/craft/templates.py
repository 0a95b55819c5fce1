"""The frames a person starts crafting from, filled in for the host that will send them: its
gateway, its DNS server, the lab's web server, the default victim of ARP tricks (the lab's
first ordinary host other than the sender).

Every template is an expression in the craft language with every field a person may want to
change written out; `raw` is the one written as hex (`send --raw`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stack.host import Host
from stack.network import Network

BROADCAST = "ff:ff:ff:ff:ff:ff"
DHCP_PARAMETERS = [
    1,
    3,
    6,
    15,
    51,
    54,
    58,
    59,
]  # mask, router, DNS, domain, lease, server id, T1, T2 (as the seed's client asks)


@dataclass(frozen=True)
class Lab:
    """What a template needs to know about the lab, worked out once for the sender."""

    host: str
    mac: str
    ip: str
    gateway: str
    victim: str
    victim_ip: str
    victim_mac: str
    dns: str
    www: str


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    summary: str
    make: Callable[[Lab], str]  # the expression (or, for raw, hex)
    raw: bool = False


def lab_for(net: Network, host: Host) -> Lab:
    iface = host.primary
    ip = str(iface.ip) if iface.configured else "0.0.0.0"
    gateway = host.routes.gateway
    victim = next(
        (
            h
            for n, h in net.hosts.items()
            if n != host.name
            and not h.is_router
            and h.addresses
            and any(i.nic.segment is iface.nic.segment for i in h.interfaces.values())
        ),
        None,
    )
    victim_iface = (
        next((i for i in victim.interfaces.values() if i.nic.segment is iface.nic.segment), None)
        if victim
        else None
    )
    www = net.hosts.get("www")
    return Lab(
        host=host.name,
        mac=str(iface.nic.mac),
        ip=ip,
        gateway=str(gateway) if gateway else ip,
        victim=victim.name if victim else host.name,
        victim_ip=str(victim_iface.ip)
        if victim_iface is not None and victim_iface.configured
        else ip,
        victim_mac=str(victim_iface.nic.mac) if victim_iface is not None else BROADCAST,
        dns=str(host.dns_servers[0]) if host.dns_servers else "8.8.8.8",
        www=str(min(www.addresses, key=int))
        if www is not None and www.addresses
        else "172.194.72.105",
    )


def _mac_bytes(mac: str) -> str:
    return repr(bytes.fromhex(mac.replace(":", "")))


def _client_id(mac: str) -> str:
    """RFC 2132 §9.14: hardware type 1 (Ethernet), then the MAC."""
    return repr(b"\x01" + bytes.fromhex(mac.replace(":", "")))


TEMPLATES: list[Template] = [
    Template(
        "arp-request",
        "ARP request",
        "who has the gateway? (broadcast)",
        lambda lab: f'Ether(dst="{BROADCAST}")/ARP(op=1, pdst="{lab.gateway}")',
    ),
    Template(
        "arp-reply",
        "ARP reply",
        "tell the victim the gateway is at this MAC (poisons a cached entry)",
        lambda lab: (
            f'Ether(dst="{lab.victim_mac}")/ARP(op=2, psrc="{lab.gateway}", hwdst="{lab.victim_mac}", pdst="{lab.victim_ip}")'
        ),
    ),
    Template(
        "gratuitous-arp",
        "Gratuitous ARP",
        "announce an address to everyone (sender = target address)",
        lambda lab: (
            f'Ether(dst="{BROADCAST}")/ARP(op=2, psrc="{lab.ip}", hwdst="{BROADCAST}", pdst="{lab.ip}")'
        ),
    ),
    Template(
        "icmp-echo",
        "ICMP echo",
        "a ping to the gateway",
        lambda lab: f'IP(dst="{lab.gateway}")/ICMP(type=8, id=1, seq=1)/Raw(load="workbench")',
    ),
    Template(
        "dhcp-discover",
        "DHCP DISCOVER",
        "the seed's DISCOVER: 0.0.0.0:68 → 255.255.255.255:67",
        lambda lab: (
            f'Ether(dst="{BROADCAST}")/IP(src="0.0.0.0", dst="255.255.255.255")/UDP(sport=68, dport=67)'
            f"/BOOTP(op=1, xid=305419896, chaddr={_mac_bytes(lab.mac)})"
            f'/DHCP(options=[("message-type", "discover"), ("client_id", {_client_id(lab.mac)}), '
            f'("hostname", "{lab.host}"), ("param_req_list", {DHCP_PARAMETERS}), "end"])'
        ),
    ),
    Template(
        "dns-query",
        "DNS query",
        "ask the host's DNS server for www.google.com",
        lambda lab: (
            f'IP(dst="{lab.dns}")/UDP(sport=33333, dport=53)/DNS(id=4660, rd=1, qd=DNSQR(qname="www.google.com", qtype=1))'
        ),
    ),
    Template(
        "tcp-syn",
        "TCP SYN",
        "open a connection (any flags: S, SA, R, F, PA …)",
        lambda lab: f'IP(dst="{lab.www}")/TCP(sport=40000, dport=80, flags="S", seq=1000)',
    ),
    Template(
        "udp",
        "UDP datagram",
        "a datagram to the echo port of the gateway",
        lambda lab: f'IP(dst="{lab.gateway}")/UDP(sport=40000, dport=7)/Raw(load="hello")',
    ),
    Template(
        "http-get",
        "HTTP GET",
        "a GET in one segment (no handshake: the server says RST)",
        lambda lab: (
            f'IP(dst="{lab.www}")/TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=1)/HTTP()/HTTPRequest(Path="/", Host="www.google.com")'
        ),
    ),
    Template(
        "raw",
        "Raw hex",
        "any bytes, sent as written (send --raw)",
        lambda lab: (
            f"{lab.victim_mac.replace(':', '')}{lab.mac.replace(':', '')}88b5"
            + "776f726b62656e6368"
            + "00" * 37
        ),
        raw=True,
    ),
]

BY_KEY = {t.key: t for t in TEMPLATES}
