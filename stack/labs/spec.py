"""The lab as plain values, checked and ready to build."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from stack.record import field, record
from stack.wire.mac import MAC


@record
class FaultSpec:
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    delay: float = 0.0
    jitter: float = 0.0
    seed: int | None = None


@record
class SegmentSpec:
    name: str
    subnet: IPv4Network | None = None
    mtu: int = 1500
    switch: bool = False
    latency: float = 0.00005
    bandwidth_mbps: float = 100.0
    tap: str | None = None
    qemu: str | None = None  # where QEMU VMs reach this segment (stack.link.qemu_address)
    faults: FaultSpec = FaultSpec()


@record
class InterfaceSpec:
    name: str
    segment: str
    address: IPv4Interface | None
    mac: MAC
    mtu: int | None = None


@record
class RouteSpec:
    to: IPv4Network
    via: IPv4Address


@record
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


@record
class VmSpec:
    """A QEMU virtual machine the workbench starts on a segment (`[vms.NAME]`)."""

    name: str
    segment: str
    mac: MAC
    model: str = "e1000"
    memory: int = 128  # MiB
    boot: str = "network"  # network (the NIC's iPXE ROM), disk, cdrom, or none
    accel: str = "tcg"
    args: tuple[str, ...] = ()  # more QEMU arguments (a disk, a cdrom, -smp …)
    command: tuple[str, ...] = ()  # a whole QEMU command line instead; the NIC is added to it
    snapshot: bool = False  # -snapshot: disk images are never written to


@record
class LabSpec:
    name: str
    description: str
    seed: int
    segments: dict[str, SegmentSpec]
    hosts: dict[str, HostSpec]
    source: str = "<built-in>"
    vms: dict[str, VmSpec] = field(default_factory=dict)
    text: str = field(
        default="", repr=False, compare=False
    )  # the TOML it was read from (snapshots keep it)
