"""The lab as plain values, checked and ready to build."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from stack.wire.mac import MAC


@dataclass(frozen=True)
class FaultSpec:
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    delay: float = 0.0
    jitter: float = 0.0
    seed: int | None = None


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    subnet: IPv4Network | None = None
    mtu: int = 1500
    switch: bool = False
    latency: float = 0.00005
    bandwidth_mbps: float = 100.0
    tap: str | None = None
    faults: FaultSpec = FaultSpec()


@dataclass(frozen=True)
class InterfaceSpec:
    name: str
    segment: str
    address: IPv4Interface | None
    mac: MAC
    mtu: int | None = None


@dataclass(frozen=True)
class RouteSpec:
    to: IPv4Network
    via: IPv4Address


@dataclass(frozen=True)
class HostSpec:
    name: str
    router: bool
    interfaces: tuple[InterfaceSpec, ...]
    gateway: IPv4Address | None = None
    dns: tuple[IPv4Address, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    dhcp: bool = False
    arp: tuple[tuple[IPv4Address, MAC], ...] = ()
    services: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LabSpec:
    name: str
    description: str
    seed: int
    segments: dict[str, SegmentSpec]
    hosts: dict[str, HostSpec]
    source: str = "<built-in>"
