"""Turn a checked lab into a running network on a clock."""

from __future__ import annotations

from collections.abc import Callable

from stack.clock import Clock, RealtimeClock, VirtualClock
from stack.host import Host
from stack.labs.load import LabError
from stack.labs.spec import LabSpec
from stack.link.faults import LinkFaults
from stack.link.segment import Segment
from stack.network import Network
from stack.record import replace
from stack.trace import Trace

# Service name → installer(host, config, network). Filled by the application modules.
SERVICE_INSTALLERS: dict[str, Callable[[Host, dict, Network], None]] = {}

from stack.apps import services as _services  # noqa: E402, F401  (fills SERVICE_INSTALLERS)


def build_network(
    spec: LabSpec, clock: Clock | None = None, trace: Trace | None = None, *, live: bool = False
) -> Network:
    clock = clock or VirtualClock()
    trace = trace or Trace(clock)
    net = Network(spec, clock, trace)
    for seg in spec.segments.values():
        f = seg.faults
        faults = LinkFaults(
            f.loss,
            f.duplicate,
            f.reorder,
            f.corrupt,
            f.delay,
            f.jitter,
            seed=f.seed if f.seed is not None else spec.seed,
        )
        # A segment bridged to a TAP device runs at the speed of the loop, not a modelled wire.
        timing = (
            {}
            if (live or seg.tap or seg.qemu)
            else {"latency": seg.latency, "bandwidth": seg.bandwidth_mbps * 1e6}
        )
        net.segments[seg.name] = Segment(
            seg.name, clock, trace, mtu=seg.mtu, switch=seg.switch, faults=faults, **timing
        )
    for hs in spec.hosts.values():
        host = Host(hs.name, clock, trace, forwarding=hs.router, seed=spec.seed)
        for ifs in hs.interfaces:
            host.add_interface(ifs.name, ifs.mac, net.segments[ifs.segment], ifs.address, ifs.mtu)
        if hs.gateway is not None:
            host.set_gateway(hs.gateway)
        for route in hs.routes:
            host.routes.add(_static(host, route.to, route.via))
        host.dns_servers = list(hs.dns)
        for ip, mac in hs.arp:
            iface = next(
                (i for i in host.interfaces.values() if i.configured and ip in i.network),
                host.primary,
            )
            host.arp.add_static(iface.name, ip, mac)
        net.hosts[hs.name] = host
    for hs in spec.hosts.values():
        for service, config in hs.services.items():
            installer = SERVICE_INSTALLERS.get(service)
            if installer is not None:
                installer(net.hosts[hs.name], config, net)
        if hs.dhcp:
            SERVICE_INSTALLERS["dhcp-client"](net.hosts[hs.name], {}, net)
    return net


def _static(host: Host, to, via):
    from stack.net.route import Route

    iface = next(i for i in host.interfaces.values() if i.configured and via in i.network)
    return Route(to, iface.name, via, "static")


# --- live mode: segments bridged to TAP devices ------------------------------------------------


def with_taps(spec: LabSpec, taps: dict[str, str]) -> LabSpec:
    """The lab with `taps` (segment → device name, from `--tap`) over the file's `tap =`."""
    for name in taps:
        if name not in spec.segments:
            raise LabError(
                f"--tap {name}=…: lab {spec.name} has no segment named {name!r} (segments: {', '.join(spec.segments)})"
            )
    segments = {
        name: replace(seg, tap=taps.get(name, seg.tap)) for name, seg in spec.segments.items()
    }
    devices: dict[str, str] = {}
    for seg in segments.values():
        if seg.tap in devices:
            raise LabError(
                f"segments {devices[seg.tap]} and {seg.name} are both bridged to TAP device {seg.tap}; give each its own"
            )
        if seg.tap:
            devices[seg.tap] = seg.name
    return replace(spec, segments=segments)


def is_live(spec: LabSpec) -> bool:
    """A lab with a TAP device, a QEMU socket or a VM runs in real time with outside peers."""
    return bool(spec.vms) or any(seg.tap or seg.qemu for seg in spec.segments.values())


def attach_taps(net: Network, *, netns: str | None = None):
    """Open (or create) the TAP device of every segment with `tap =` and plug it in.

    Call it on the running asyncio loop, with the network built on a RealtimeClock. Returns a
    `TapSet`; its `close()` unplugs them all and removes the devices that were created. On a
    `TapError` the devices opened so far are closed before it propagates.
    """
    from stack.link.tap import TapError, TapPort, TapSet

    if not isinstance(net.clock, RealtimeClock):
        raise TapError(
            "a segment bridged to a TAP device runs in real time: build the lab on a RealtimeClock"
        )
    taps = TapSet()
    try:
        for seg in net.spec.segments.values():
            if seg.tap:
                taps.add(
                    TapPort.open(net.segments[seg.name], seg.tap, netns=netns, loop=net.clock.loop)
                )
    except BaseException:
        taps.close()
        raise
    return taps
