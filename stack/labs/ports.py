"""A running lab's ports to the outside world: TAP devices (`tap =`, `--tap`) and sockets where
QEMU virtual machines join a segment (`qemu =`, `--qemu`). Opened together on the asyncio loop,
closed together however the run ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stack.clock import RealtimeClock
from stack.labs.load import LabError
from stack.labs.spec import LabSpec
from stack.link.qemu_address import QemuAddressError, parse_qemu_address
from stack.network import Network
from stack.record import replace

if TYPE_CHECKING:
    from stack.link.qemu import QemuListener
    from stack.link.tap import TapSet


def with_qemu(spec: LabSpec, sockets: dict[str, str]) -> LabSpec:
    """The lab with `sockets` (segment → address, from `--qemu`) over the file's `qemu =`."""
    for name, address in sockets.items():
        if name not in spec.segments:
            raise LabError(
                f"--qemu {name}=…: lab {spec.name} has no segment named {name!r} (segments: {', '.join(spec.segments)})"
            )
        try:
            parse_qemu_address(address)
        except QemuAddressError as err:
            raise LabError(f"--qemu {name}={address}: {err}") from None
    segments = {
        name: replace(seg, qemu=sockets.get(name, seg.qemu)) for name, seg in spec.segments.items()
    }
    seen: dict[str, str] = {}
    for seg in segments.values():
        if seg.qemu and seg.qemu in seen:
            raise LabError(
                f"segments {seen[seg.qemu]} and {seg.name} both listen for QEMU at {seg.qemu}; give each its own"
            )
        if seg.qemu:
            seen[seg.qemu] = seg.name
    return replace(spec, segments=segments)


def parse_qemu_options(items: list[str]) -> dict[str, str]:
    """`SEGMENT=ADDRESS` pairs from the command line, checked for shape."""
    sockets: dict[str, str] = {}
    for item in items:
        segment, sep, address = item.partition("=")
        segment, address = segment.strip(), address.strip()
        if not sep or not segment or not address:
            raise LabError(
                f"--qemu {item!r} should look like SEGMENT=PATH (or SEGMENT=tcp:PORT, dgram:PATH, udp:PORT), for example --qemu lan=/tmp/lan.sock"
            )
        if segment in sockets:
            raise LabError(
                f"--qemu names segment {segment} twice ({sockets[segment]} and {address})"
            )
        sockets[segment] = address
    return sockets


class LivePorts:
    """The TAP ports and QEMU listeners of one running lab; `close()` undoes them all, last
    opened first (and whatever else was added with `on_close`, e.g. the VMs to stop)."""

    def __init__(self, taps: TapSet | None = None) -> None:
        if taps is None:
            from stack.link.tap import TapSet

            taps = TapSet()
        self.taps = taps
        self.listeners: list[QemuListener] = []
        self.vms = None  # the lab's running VMs, set by whoever starts them (workbench.vms)
        self._closers: list = []

    def on_close(self, closer) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        while self.listeners:
            self.listeners.pop().close()
        self.taps.close()

    def __iter__(self):  # the TAP ports, as a TapSet iterates (for messages that name them)
        return iter(self.taps)

    def __len__(self) -> int:
        return len(self.taps) + len(self.listeners)

    def describe(self) -> list[str]:
        lines = [f"{p.segment.name} ⇄ TAP {p.device.name}" for p in self.taps]
        lines += [f"{q.segment.name} ⇄ QEMU at {q.address}" for q in self.listeners]
        return lines


def attach_ports(net: Network, *, netns: str | None = None) -> LivePorts:
    """Open every segment's TAP device and QEMU socket. Call on the running loop, with the lab
    built on a RealtimeClock. On trouble (TapError, QemuError: one sentence) what was opened is
    closed again before the error propagates."""
    from stack.labs.build import attach_taps
    from stack.link.qemu import QemuError, QemuListener

    if not isinstance(net.clock, RealtimeClock):
        raise QemuError(
            "a segment with outside peers runs in real time: build the lab on a RealtimeClock"
        )
    ports = LivePorts(attach_taps(net, netns=netns))
    try:
        for seg in net.spec.segments.values():
            if seg.qemu:
                ports.listeners.append(
                    QemuListener.open(
                        net.segments[seg.name], parse_qemu_address(seg.qemu), net.clock.loop
                    )
                )
    except BaseException:
        ports.close()
        raise
    return ports


__all__ = ["LivePorts", "attach_ports", "parse_qemu_options", "with_qemu"]
