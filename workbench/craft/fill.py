"""What a host fills in when it sends a crafted packet through its stack, and what a frame put
raw onto a segment must say for itself.

Through a host: the Ethernet source is its NIC's MAC, ARP's sender addresses are its own, an
IP source is the address of the interface the route leaves by; an IP packet without an
Ethernet header (or with one whose destination is left out) goes by the routing table and ARP
for the next hop, as the host's own packets do. Onto a segment nothing is filled in: the
frame is exactly what was written, so its sources must be written too (scapy would otherwise
take them from the machine the workbench runs on).

`plan_*` only read the host; nothing is sent and no event is emitted until the plan is carried
out (`workbench.craft.send`).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from stack.host import Host
from stack.net.interface import Interface
from workbench.craft.expression import (
    Expression,
    ExpressionError,
    LayerCall,
    build,
    in_declared_order,
    render,
    to_bytes,
)

BROADCAST = "ff:ff:ff:ff:ff:ff"
# Fields scapy would fill from the machine it runs on: never left to it here.
MACHINE_FIELDS = {"Ether": ("src", "dst"), "ARP": ("hwsrc", "psrc"), "IP": ("src",)}


@dataclass(frozen=True)
class Plan:
    """A crafted packet ready to go: a whole frame out of a NIC (or onto a segment), or an IP
    packet for the host's routing and ARP to deliver."""

    kind: str  # "frame" | "ip"
    data: bytes
    expression: str  # what was sent, every filled-in field written out
    interface: str = ""
    dst: IPv4Address | None = None


def plan_from_host(host: Host, layers: Expression) -> Plan:
    bottom = layers[0].name
    if bottom == "IP":
        return _ip_plan(host, layers)
    if bottom == "ARP":
        layers = (LayerCall("Ether"), *layers)
    elif bottom != "Ether":
        raise ExpressionError(
            f'{host.name} sends what starts with Ether(…), ARP(…) or IP(…); {bottom}(…) needs one of them below it, for example IP(dst="192.168.1.1")/{bottom}(…)'
        )
    eth = layers[0]
    upper = layers[1] if len(layers) > 1 else None
    if eth.get("dst") is None and upper is not None and upper.name == "IP":
        if eth.get("src") is not None:
            raise ExpressionError(
                f"Ether(src=…) without dst=…: give both, or leave Ether out and {host.name} frames the IP packet itself (ARP for the next hop)"
            )
        return _ip_plan(host, layers[1:])
    iface = _interface_for(host, upper)
    mac = str(iface.nic.mac)
    dst = eth.get("dst")
    if dst is None:
        dst = BROADCAST
        if upper is not None and upper.name == "ARP" and _arp_op(upper) == 2:
            hwdst = upper.get("hwdst")
            if hwdst and str(hwdst) != "00:00:00:00:00:00":
                dst = hwdst
    filled = [eth.with_field("dst", dst).with_field("src", eth.get("src") or mac)]
    for call in layers[1:]:
        if call.name == "ARP":
            if call.get("hwsrc") is None:
                call = call.with_field("hwsrc", mac)
            if call.get("psrc") is None:
                call = call.with_field("psrc", str(_address(host, iface)))
        elif call.name == "IP" and call.get("src") is None:
            call = call.with_field("src", str(_address(host, iface)))
        filled.append(call)
    filled = [in_declared_order(call) for call in filled]
    data = to_bytes(build(tuple(filled)))
    return Plan("frame", data, render(tuple(filled)), iface.name)


def _ip_plan(host: Host, layers: Expression) -> Plan:
    ip = layers[0]
    dst_text = ip.get("dst")
    if dst_text is None:
        raise ExpressionError(
            f"IP(dst=…) is needed: {host.name} routes the packet by its destination"
        )
    try:
        dst = IPv4Address(str(dst_text))
    except ValueError:
        raise ExpressionError(f"IP dst {dst_text!r} is not an IPv4 address") from None
    if dst in host.addresses or dst.is_loopback:
        raise ExpressionError(f"{dst} is {host.name} itself; crafted packets go out onto a wire")
    decision = host.routes.decide(dst, host.interfaces)
    if decision.route is None or decision.next_hop is None:
        raise ExpressionError(f"{host.name} has no route to {dst}")
    iface = host.interfaces[decision.route.interface]
    if ip.get("src") is None:
        ip = ip.with_field("src", str(_address(host, iface)))
    filled = (in_declared_order(ip), *layers[1:])
    data = to_bytes(build(filled))
    if len(data) > iface.mtu:
        raise ExpressionError(
            f"the packet is {len(data):,} bytes, over {iface.name}'s MTU of {iface.mtu:,} (crafted packets are not fragmented; send the fragments, with IP(flags=…, frag=…))"
        )
    return Plan("ip", data, render(filled), iface.name, dst)


def plan_for_segment(segment: str, layers: Expression) -> Plan:
    """A frame for a segment as written: Ethernet first, every source given."""
    if layers[0].name != "Ether":
        raise ExpressionError(
            f"a frame put onto segment {segment} starts with Ether(…): no host is there to frame it"
        )
    missing = [
        f"{call.name}({name}=…)"
        for call in layers
        for name in MACHINE_FIELDS.get(call.name, ())
        if call.get(name) is None
    ]
    if missing:
        raise ExpressionError(f"onto a segment nothing is filled in: give {', '.join(missing)}")
    return Plan("frame", to_bytes(build(layers)), render(layers))


def _interface_for(host: Host, upper: LayerCall | None) -> Interface:
    """The interface on whose subnet the packet's destination lies, else the first one."""
    wanted = None
    if upper is not None:
        wanted = (
            upper.get("pdst")
            if upper.name == "ARP"
            else upper.get("dst")
            if upper.name == "IP"
            else None
        )
        if upper.name == "ARP" and (wanted is None or str(wanted) == "0.0.0.0"):
            wanted = upper.get("psrc")
    if wanted is not None:
        try:
            address = IPv4Address(str(wanted))
        except ValueError:
            address = None
        for iface in host.interfaces.values():
            if address is not None and iface.configured and address in iface.network:
                return iface
    return host.primary


def _address(host: Host, iface: Interface) -> IPv4Address:
    return iface.ip if iface.configured else IPv4Address(0)


def _arp_op(call: LayerCall) -> int:
    op = call.get("op", 1)
    if isinstance(op, str):
        return {"who-has": 1, "is-at": 2}.get(op, 1)
    return int(op)
