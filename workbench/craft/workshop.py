"""The craft screen's view of the lab, through the session: who can send (hosts, segments),
the templates filled in for a sender, a captured frame read back as layers, and a preview of
what is on the form — the frame's bytes, the command that sends it, the values scapy computes
for the fields left empty, and the one sentence that says why it cannot be sent, if it can't.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stack.network import Network
from workbench.craft.expression import (
    Expression,
    ExpressionError,
    LayerCall,
    build,
    from_packet,
    is_automatic,
    render,
)
from workbench.craft.fill import plan_for_segment, plan_from_host
from workbench.craft.layers import registry
from workbench.craft.templates import BY_KEY, TEMPLATES, Template, lab_for


@dataclass(frozen=True)
class Origin:
    """Where a crafted frame comes from: a host (through its stack) or a segment (as written)."""

    name: str
    is_segment: bool = False

    @property
    def label(self) -> str:
        return (
            f"{self.name}: onto the segment, as written"
            if self.is_segment
            else f"{self.name}: through its stack"
        )


@dataclass(frozen=True)
class Preview:
    frame: bytes  # an Ethernet frame, for the hex view
    command: str  # the shell command that sends what is on the form
    sent_as: str = ""  # the expression with what the host fills in written out
    problem: str | None = None
    note: str = ""
    computed: dict[tuple[int, str], str] = field(
        default_factory=dict
    )  # (layer index, field) → value
    offset: int = 0  # layers of `frame` before the form's first (an Ethernet header a host adds)


class Workshop:
    def __init__(self, net: Network) -> None:
        self.net = net

    def origins(self) -> list[Origin]:
        return [Origin(n) for n in self.net.hosts] + [Origin(n, True) for n in self.net.segments]

    def origin(self, name: str) -> Origin:
        return Origin(name, name not in self.net.hosts)

    def neighbour_of(self, victim: str) -> str:
        """The host that plays the attacker against `victim`: the last other ordinary host on its
        segment (pc5 against pc in the default lab), else any other host."""
        hosts = self.net.hosts
        target = hosts.get(victim)
        if target is None:
            return next(iter(hosts))
        segments = {i.nic.segment for i in target.interfaces.values()}
        found = None
        for name, host in hosts.items():
            if (
                name != victim
                and not host.is_router
                and any(i.nic.segment in segments for i in host.interfaces.values())
            ):
                found = name
        return found or next(n for n in hosts if n != victim)

    def templates(self) -> list[Template]:
        return list(TEMPLATES)

    def template_text(self, key: str, sender: str, victim: str | None = None) -> str:
        host = self.net.hosts.get(sender)
        if (
            host is None
        ):  # a segment: the template of its first host, which it then sends as written
            host = next(
                h
                for h in self.net.hosts.values()
                if any(i.nic.segment.name == sender for i in h.interfaces.values())
            )
        lab = lab_for(self.net, host)
        if victim and victim in self.net.hosts and victim != host.name:
            other = self.net.hosts[victim]
            iface = next(
                (i for i in other.interfaces.values() if i.nic.segment is host.primary.nic.segment),
                other.primary,
            )
            gateway = other.routes.gateway
            lab = type(lab)(
                **{
                    **lab.__dict__,
                    "victim": victim,
                    "victim_ip": str(iface.ip) if iface.configured else lab.victim_ip,
                    "victim_mac": str(iface.nic.mac),
                    "gateway": str(gateway) if gateway else lab.gateway,
                }
            )
        return BY_KEY[key].make(lab)

    def frame_layers(self, frame_id: int) -> tuple[str, Expression]:
        """A captured frame as layers, and who sent it (its host, else its segment)."""
        record = self.net.trace.frame(frame_id)
        from scapy.layers.l2 import Ether

        registry()
        layers = from_packet(Ether(record.data))
        owner = record.origin.split(" ")[0]
        return (owner if owner in self.net.hosts else record.segment), layers

    def preview(
        self,
        origin: Origin,
        layers: Expression,
        *,
        raw: str | None = None,
        count: int = 1,
        interval: float = 1.0,
    ) -> Preview:
        burst = (f" -c {count}" if count != 1 else "") + (
            f" -i {interval:g}" if count != 1 and interval != 1.0 else ""
        )
        if raw is not None:
            cleaned = "".join(raw.split()).replace(":", "")
            command = f"{origin.name}: send --raw {cleaned}{burst}"
            try:
                data = bytes.fromhex(cleaned)
            except ValueError:
                return Preview(
                    b"", command, problem="the bytes are not hexadecimal (pairs of 0–9 and a–f)"
                )
            if len(data) < 14:
                return Preview(
                    data,
                    command,
                    problem=f"a frame is at least 14 bytes (two MACs and an EtherType), not {len(data)}",
                )
            return Preview(data, command, note="sent exactly as written")
        command = (
            f"{origin.name}: send {render(layers)}{burst}" if layers else f"{origin.name}: send"
        )
        if not layers:
            return Preview(b"", command, problem="add a layer (ctrl+n) or pick a template (ctrl+t)")
        try:
            if origin.is_segment:
                plan = plan_for_segment(origin.name, layers)
            else:
                plan = plan_from_host(self.net.hosts[origin.name], layers)
        except ExpressionError as err:
            return Preview(self._as_written(layers), command, problem=str(err))
        frame, offset, note = plan.data, 0, ""
        if plan.kind == "ip":
            frame, note = (
                self._framed(origin.name, plan),
                f"{origin.name} adds the Ethernet header when it sends: routed out of {plan.interface}, next hop by ARP",
            )
            offset = 1
        elif origin.is_segment:
            note = f"put onto {origin.name} exactly as written, as from a TAP device"
        return Preview(
            frame,
            command,
            plan.expression,
            None,
            note,
            self._computed(frame, layers, offset),
            offset,
        )

    def _as_written(self, layers: Expression) -> bytes:
        """The bytes of the form as it stands, for the hex view while something is wrong."""
        try:
            return bytes(build(layers)) if layers[0].name == "Ether" else b""
        except Exception:  # noqa: BLE001 — nothing to show yet; the problem is said already
            return b""

    def _framed(self, host_name: str, plan) -> bytes:
        host = self.net.hosts[host_name]
        iface = host.interfaces[plan.interface]
        decision = host.routes.decide(plan.dst, host.interfaces)
        mac = (
            host.arp.lookup(iface.name, decision.next_hop)
            if decision.next_hop is not None
            else None
        )
        dst = (
            bytes(mac)
            if mac is not None
            else b"\xff" * 6
            if str(plan.dst).endswith(".255")
            else bytes(6)
        )
        return dst + bytes(iface.nic.mac) + b"\x08\x00" + plan.data

    def _computed(
        self, frame: bytes, layers: Expression, offset: int
    ) -> dict[tuple[int, str], str]:
        from scapy.layers.l2 import Ether

        try:
            dissected = Ether(frame)
        except Exception:  # noqa: BLE001
            return {}
        out: dict[tuple[int, str], str] = {}
        layer = dissected
        for _ in range(offset):
            layer = layer.payload
        for index, call in enumerate(layers):
            if layer is None or type(layer).__name__ != call.name:
                break
            cls = type(layer)
            for fld in cls.fields_desc:
                if is_automatic(cls, fld.name) and call.get(fld.name) is None:
                    value = layer.getfieldval(fld.name)
                    out[(index, fld.name)] = (
                        f"0x{value:04x}"
                        if "chksum" in fld.name or "cksum" in fld.name
                        else str(value)
                    )
            layer = layer.payload if layer.payload else None
        return out


def blank(name: str) -> LayerCall:
    return LayerCall(name)
