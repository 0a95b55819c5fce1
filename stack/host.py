"""A host or a router: NICs with IP interfaces, a routing table, ARP, IPv4 and ICMP.

A router is a host that forwards. Transport and applications attach to `host.ip.handlers`
and keep their own state; nothing here knows they exist.
"""

from __future__ import annotations

import random
from functools import partial
from ipaddress import IPv4Address, IPv4Interface

from stack.clock import Clock
from stack.events import PacketDropped
from stack.link.nic import NIC
from stack.link.segment import Segment
from stack.net.arp import ArpEngine
from stack.net.icmp import IcmpLayer
from stack.net.interface import Interface
from stack.net.ipv4 import IPv4Layer
from stack.net.route import RouteTable
from stack.trace import Trace
from stack.transport.tcp import TcpLayer
from stack.transport.udp import UdpLayer
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, MAX_PAYLOAD, Ethernet
from stack.wire.mac import MAC

_ETHERTYPES = {ETH_IPV4: b"\x08\x00", ETH_ARP: b"\x08\x06"}


class Host:
    def __init__(
        self, name: str, clock: Clock, trace: Trace, *, forwarding: bool = False, seed: int = 0
    ) -> None:
        self.name = name
        self.clock = clock
        self.trace = trace
        self.rng = random.Random(f"{seed}:{name}")
        self.interfaces: dict[str, Interface] = {}
        self.routes = RouteTable()
        self.dns_servers: list[IPv4Address] = []
        self.arp = ArpEngine(self)
        self.ip = IPv4Layer(self)
        self.ip.forwarding = forwarding
        self.icmp = IcmpLayer(self)
        self.udp = UdpLayer(self)
        self.tcp = TcpLayer(self)
        self.loopback = Interface(
            "lo", NIC(name, "lo", MAC(b"\0" * 6), trace), IPv4Interface("127.0.0.1/8"), 65535
        )
        self.services: dict[str, object] = {}
        self.dropped_ethertype = 0
        self._addresses: frozenset[IPv4Address] | None = None
        self._packed_addresses: frozenset[bytes] | None = None

    @property
    def is_router(self) -> bool:
        return self.ip.forwarding

    @property
    def addresses(self) -> frozenset[IPv4Address]:
        # Asked for every packet; recomputed only when an address changes.
        if self._addresses is None:
            self._addresses = frozenset(i.ip for i in self.interfaces.values() if i.configured)
        return self._addresses

    @property
    def packed_addresses(self) -> frozenset[bytes]:
        """`addresses` as the 4 bytes a header holds: the receive path asks without making an
        IPv4Address (whose hash is Python code)."""
        if self._packed_addresses is None:
            self._packed_addresses = frozenset(a.packed for a in self.addresses)
        return self._packed_addresses

    @property
    def primary(self) -> Interface:
        return next(iter(self.interfaces.values()))

    def add_interface(
        self,
        name: str,
        mac: MAC,
        segment: Segment,
        address: IPv4Interface | None = None,
        mtu: int | None = None,
    ) -> Interface:
        nic = NIC(self.name, name, mac, self.trace)
        nic.holder = self
        iface = Interface(name, nic, None, mtu or segment.mtu)
        nic.on_frame = partial(self.on_frame, iface)
        segment.attach(nic)
        self.interfaces[name] = iface
        if address is not None:
            self.configure(name, address)
        return iface

    def configure(self, ifname: str, address: IPv4Interface, origin: str = "connected") -> None:
        iface = self.interfaces[ifname]
        self.routes.remove_where(interface=ifname, origin="connected")
        iface.address = address
        self._addresses = self._packed_addresses = None
        self.routes.add_connected(iface)

    def unconfigure(self, ifname: str) -> None:
        from stack.net.interface import UNSET

        self.interfaces[ifname].address = UNSET
        self._addresses = self._packed_addresses = None
        self.routes.remove_where(interface=ifname)

    def set_gateway(self, gateway: IPv4Address, origin: str = "default") -> None:
        for iface in self.interfaces.values():
            if iface.configured and gateway in iface.network:
                self.routes.set_default(gateway, iface.name, origin)
                return
        raise ValueError(f"{self.name}: gateway {gateway} is not on any of its subnets")

    def link_send(self, iface: Interface, dst: MAC, ethertype: int, payload: bytes) -> int:
        nic = iface.nic
        if len(payload) > MAX_PAYLOAD:  # refused as Ethernet.build refuses it
            return nic.send(Ethernet(dst, nic.mac, ethertype, payload).build())
        # The same bytes Ethernet(…).build() gives, without the frozen value in between.
        return nic.send(
            b"".join(
                (dst, nic.mac, _ETHERTYPES.get(ethertype) or ethertype.to_bytes(2, "big"), payload)
            )
        )

    def on_frame(self, iface: Interface, frame_id: int, frame: bytes) -> None:
        ethertype = frame[12] << 8 | frame[13]
        payload = frame[14:]
        if ethertype == ETH_IPV4:
            self.ip.receive(iface, frame_id, payload)
        elif ethertype == ETH_ARP:
            self.arp.receive(iface, frame_id, payload)
        else:
            self.dropped_ethertype += 1
            self.trace.emit(
                PacketDropped(
                    self.clock.now(),
                    self.name,
                    (frame_id,),
                    "?",
                    "?",
                    f"EtherType 0x{ethertype:04x} is not one this host speaks",
                )
            )
