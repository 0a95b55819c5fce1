"""The lab as a text diagram: each segment a bus, its hosts, routers and outside ports (TAP
devices, virtual machines — any port a segment reports) hanging from it with their addresses.

    lan             ──┬──────┬──────┬──────┬──────┬──────┬──
    192.168.1.0/24    pc     pc2    pc3    pc4    pc5    gw-a
                      .100   .101   .102   .103   .104   .1

A router appears on every segment it joins, so the buses read top to bottom as the way out.
Addresses are written in full when the row has room, else as the part after the segment's
network (".100" under 192.168.1.0/24). A frame lights its bus, its sender (▲) and the NICs that
heard it so far: kept (▼) or dropped (×) — stepping with n moves it hop by hop.

Plain values in, rich Text out: `build` reads a running network (the session calls it), `draw`
lays it out for a width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Interface

from rich.style import Style
from rich.text import Text

GAP = 1  # columns between two nodes' cells
MIN_CELL = 5


@dataclass(frozen=True)
class Node:
    label: str  # the port's label in the trace ("pc eth0", "tap0 tap"): how frames name it
    name: str  # what the map writes ("pc", "tap0")
    address: IPv4Interface | None
    kind: str  # "host", "router", or an outside port's kind ("tap", "qemu", …)


@dataclass(frozen=True)
class Bus:
    name: str
    subnet: str
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class FramePath:
    """Where one frame is: its segment, who sent it, who heard it so far (shown events only)."""

    frame: int
    segment: str
    sender: str
    accepted: tuple[str, ...]
    dropped: tuple[str, ...]
    summary: str


def build(net, spec, leased: dict[str, IPv4Interface] | None = None) -> tuple[Bus, ...]:
    """The buses of a running network, in the lab's order; on each, hosts, then routers, then
    outside ports, each in the order they were attached. `leased`: the address a lab DHCP
    server gave an outside port's owner (a VM), written under it instead of its kind."""
    leased = leased or {}
    buses = []
    for name, segment in net.segments.items():
        hosts, routers, outside = [], [], []
        for port in segment.ports:
            host = net.hosts.get(getattr(port, "owner", ""))
            label = f"{port.owner} {port.name}"
            if host is not None and port.name in host.interfaces:
                iface = host.interfaces[port.name]
                node = Node(
                    label,
                    host.name,
                    iface.address if iface.configured else None,
                    "router" if host.is_router else "host",
                )
                (routers if host.is_router else hosts).append(node)
            else:
                outside.append(
                    Node(
                        label,
                        str(port.owner),
                        leased.get(str(port.owner)),
                        getattr(port, "kind", port.name),
                    )
                )
        seg_spec = spec.segments.get(name)
        subnet = str(seg_spec.subnet) if seg_spec is not None and seg_spec.subnet else ""
        buses.append(Bus(name, subnet, tuple(hosts + routers + outside)))
    return tuple(buses)


def _short(address: IPv4Interface) -> str:
    """The address after its network's whole octets: .100 in a /24, .1.5 in a /16."""
    octets = str(address.ip).split(".")
    keep = 4 - min(3, address.network.prefixlen // 8)
    return "." + ".".join(octets[-keep:])


def _address_text(node: Node, short: bool) -> str:
    if node.address is not None:
        return _short(node.address) if short else str(node.address.ip)
    if node.kind in ("host", "router"):
        return "(none)"
    return f"⇄{node.kind}"  # an outside port: its kind (TAP, VM …)


STYLE_NAMES = (
    "title",
    "subnet",
    "bus",
    "lit",
    "router",
    "port",
    "address",
    "sender",
    "heard",
    "dropped",
    "caption",
)


def draw(
    buses: tuple[Bus, ...],
    width: int,
    path: FramePath | None = None,
    style: Callable[[str], Style] = lambda name: Style(),
) -> Text:
    """The map for `width` columns; `path` lit. `style(name)` gives each part's look."""
    lines: list[Text] = []
    if path is not None:
        from workbench.i18n import say

        heard = (
            f"{len(path.accepted)} {say('kept it')}" if path.accepted else say("nobody has it yet")
        )
        dropped = f", {len(path.dropped)} {say('dropped it')}" if path.dropped else ""
        sender = path.sender.split(" ")[0]
        where = f"#{path.frame} {say('on')} {path.segment} {say('from')} {sender}: "
        lines.append(
            Text.assemble((where, style("caption")), f"{heard}{dropped} · {say(path.summary)}")
        )
    title_width = max((max(len(b.name), len(b.subnet)) for b in buses), default=0) + 1
    for bus in buses:
        lines.extend(_bus_lines(bus, width, title_width, path, style))
    text = Text("\n").join(lines)
    text.no_wrap = True
    text.overflow = "crop"
    return text


def _bus_lines(bus: Bus, width: int, title_width: int, path: FramePath | None, style) -> list[Text]:
    lit = path is not None and path.segment == bus.name
    room = max(MIN_CELL, width - title_width - 2)

    def cell_width(short: bool) -> int:
        return max(
            [MIN_CELL]
            + [max(len(n.name), len(_address_text(n, short))) + GAP + 1 for n in bus.nodes]
        )

    short = cell_width(False) * max(1, len(bus.nodes)) > room
    cell = cell_width(short)
    per_row = max(1, room // cell)
    rows = [bus.nodes[i : i + per_row] for i in range(0, len(bus.nodes), per_row)] or [()]
    bus_style = style("lit") if lit else style("bus")
    out = []
    for r, nodes in enumerate(rows):
        # A bus too long for one row goes on below: the row ends and the next begins with an
        # arrow, and the next row says again whose wire it is.
        head = Text(f"{bus.name:<{title_width}}", style("title") if r == 0 else style("subnet"))
        sub = Text(f"{bus.subnet if r == 0 else '':<{title_width}}", style("subnet"))
        wire = Text("→" if r else ("━" if lit else "─"), bus_style)
        names, addrs = Text(), Text()
        for node in nodes:
            mark, node_style = _mark(node, path, style)
            wire.append(mark, node_style if mark != "┬" else bus_style)
            wire.append(("━" if lit else "─") * (cell - 1), bus_style)
            name_style = (
                style("router")
                if node.kind == "router"
                else style("port")
                if node.kind not in ("host",)
                else Style()
            )
            name = node.name[: cell - GAP]
            names.append(name, name_style + node_style if mark != "┬" else name_style)
            names.append(" " * (cell - len(name)))
            addrs.append(f"{_address_text(node, short):<{cell}}"[:cell], style("address"))
        if r < len(rows) - 1:
            wire.right_crop(1)
            wire.append("→", bus_style)
        # Each node's name and address start under the point where it meets the bus.
        out.append(head + Text(" ") + wire)
        out.append(sub + Text("  ") + names)
        out.append(Text(" " * title_width + "  ") + addrs)
    return out


def _mark(node: Node, path: FramePath | None, style) -> tuple[str, Style]:
    """The character where the node meets the bus, and the style of its name."""
    if path is None:
        return "┬", Style()
    if node.label == path.sender:
        return "▲", style("sender")
    if node.label in path.accepted:
        return "▼", style("heard")
    if node.label in path.dropped:
        return "×", style("dropped")
    return "┬", Style()
