"""The lab's virtual machines as the panes (and the map) see them: small frozen rows read from
the spec, the QEMU ports and the DHCP servers' leases — never the processes themselves.

A VM the lab declares (`[vms.NAME]`) has a row from the start; a VM of someone's own that
joined a `--qemu` socket has one once it has sent a frame (its MAC is that frame's source).
"""

from __future__ import annotations

from dataclasses import dataclass

from stack.network import Network
from stack.wire.mac import MAC
from workbench.views import HostRow


@dataclass(frozen=True)
class VmRow:
    name: str
    segment: str
    mac: str
    model: str  # the NIC model, "" when the VM is not one the workbench started
    address: str  # leased by a lab DHCP server, or ""
    state: str  # "starting", "on the segment", "stopped", …
    rx: int  # frames the segment handed the VM
    tx: int  # frames the VM sent


def leased_address(net: Network, mac: str) -> str:
    for host in net.hosts.values():
        server = host.services.get("dhcp")
        pool = getattr(server, "pool", None)
        if pool is None:
            continue
        for lease in pool.bound(net.clock.now()):
            if lease.mac == mac:
                return str(lease.address)
    return ""


def vm_rows(net: Network, ports) -> list[VmRow]:
    """Every VM of the lab, then every other QEMU peer on a segment."""
    vms = getattr(ports, "vms", None)
    running = vms.vms if vms is not None else {}
    rows = []
    own_ports = set()
    for name, spec in net.spec.vms.items():
        vm = running.get(name)
        port = vm.port if vm is not None else None
        if port is not None:
            own_ports.add(id(port))
        if vm is None:
            state = "not started"
        elif vm.stopped:
            state = "stopped"
        elif port is None:
            state = "starting"
        else:
            state = "on the segment"
        c = port.counters if port is not None else None
        rows.append(
            VmRow(
                name,
                spec.segment,
                str(spec.mac),
                spec.model,
                leased_address(net, str(spec.mac)),
                state,
                c.frames_out if c else 0,
                c.frames_in if c else 0,
            )
        )
    for listener in getattr(ports, "listeners", ()):
        for peer in listener.peers:
            if id(peer) in own_ports or peer.owner in net.spec.vms or not peer.mac:
                continue
            mac = str(MAC(peer.mac))
            rows.append(
                VmRow(
                    peer.owner,
                    listener.segment.name,
                    mac,
                    "",
                    leased_address(net, mac),
                    "on the segment",
                    peer.counters.frames_out,
                    peer.counters.frames_in,
                )
            )
    return rows


def host_rows(rows: list[VmRow]) -> list[HostRow]:
    """The VMs as rows of the hosts pane, after the lab's hosts."""
    return [
        HostRow(
            r.name,
            "net0",
            True,
            False,
            r.mac,
            r.address or "(none yet)",
            "-",
            "",
            f"VM {r.model + ', ' if r.model else ''}{r.state}",
            r.rx,
            r.tx,
            0,
        )
        for r in rows
    ]
