"""An Ethernet segment: the shared bus of the seed (every port hears every frame), or a
learning switch that forwards a unicast frame only to the port behind its destination.

Timing is modelled as a half-duplex medium: a frame occupies the segment for its
serialisation time at `bandwidth` bits per second, then arrives after `latency`. Both zero
(live segments) means the far side gets it as soon as the loop runs.
"""

from __future__ import annotations

from typing import Protocol

from stack.clock import Clock
from stack.events import FrameSent, LinkFault
from stack.link.faults import LinkFaults
from stack.trace import Trace
from stack.wire.errors import WireError
from stack.wire.ethernet import HEADER_LEN, MIN_PAYLOAD, strip_fcs, with_fcs


class Port(Protocol):
    """Anything plugged into a segment: a NIC, a TAP device, a QEMU socket."""

    owner: str
    name: str

    def deliver(self, frame_id: int, wire: bytes) -> None: ...


class Segment:
    def __init__(
        self, name: str, clock: Clock, trace: Trace, *, mtu: int = 1500, latency: float = 0.0,
        bandwidth: float = 0.0, switch: bool = False, faults: LinkFaults | None = None,
    ) -> None:
        self.name = name
        self.clock = clock
        self.trace = trace
        self.mtu = mtu
        self.latency = latency
        self.bandwidth = bandwidth
        self.switch = switch
        self.faults = faults if faults is not None and faults.active else None
        self.ports: list[Port] = []
        self.learned: dict[bytes, Port] = {}
        self._busy_until = 0.0
        self._last_wire: bytes | None = None
        self._last_checked: bytes | WireError = b""

    def attach(self, port: Port) -> None:
        self.ports.append(port)
        if hasattr(port, "segment"):
            port.segment = self

    def transmit(self, sender: Port, frame: bytes) -> int:
        """Frame (no FCS) from `sender`: record it, then deliver a copy to the other ports."""
        if len(frame) < HEADER_LEN + MIN_PAYLOAD:
            frame = frame + bytes(HEADER_LEN + MIN_PAYLOAD - len(frame))
        trace = self.trace
        frame_id = trace.record_frame(self.name, f"{sender.owner} {sender.name}", frame)
        wire = with_fcs(frame)
        trace.emit(FrameSent(trace.now(), sender.owner, (frame_id,), sender.name, self.name, len(wire), frame))
        target = None
        if self.switch:
            # A switch learns and decides as the frame comes in, not when it leaves.
            self.learned[frame[6:12]] = sender
            if not frame[0] & 1:
                target = self.learned.get(frame[:6])
        delay = self.latency
        if self.bandwidth:
            start = max(self.clock.now(), self._busy_until)
            self._busy_until = start + len(wire) * 8 / self.bandwidth
            delay += self._busy_until - self.clock.now()
        if self.faults is None:
            self._schedule(delay, sender, target, frame_id, wire)
            return frame_id
        copies = self.faults.plan(wire)
        if not copies:
            trace.emit(LinkFault(trace.now(), self.name, (frame_id,), self.name, "lost", "seeded loss"))
        for extra, data, tag in copies:
            if tag:
                trace.emit(LinkFault(trace.now(), self.name, (frame_id,), self.name, tag.split()[0], tag))
            self._schedule(delay + extra, sender, target, frame_id, data)
        return frame_id

    def _schedule(self, delay: float, sender: Port, target: Port | None, frame_id: int, wire: bytes) -> None:
        if delay > 0:
            self.clock.call_later(delay, self._deliver, sender, target, frame_id, wire)
        else:
            self.clock.call_soon(self._deliver, sender, target, frame_id, wire)

    def _deliver(self, sender: Port, target: Port | None, frame_id: int, wire: bytes) -> None:
        if target is not None:
            if target is not sender:
                target.deliver(frame_id, wire)
            return
        for port in self.ports:
            if port is not sender:
                port.deliver(frame_id, wire)

    def checked(self, wire: bytes) -> bytes | WireError:
        """The frame without its FCS, or why the FCS is wrong. Every port on a bus sees the same
        bits, so the CRC is worked out once per copy on the wire, not once per NIC."""
        if wire is not self._last_wire:
            try:
                self._last_checked = strip_fcs(wire)
            except WireError as err:
                self._last_checked = err
            self._last_wire = wire
        return self._last_checked

    def inject(self, origin: str, frame: bytes) -> int:
        """A frame from outside the lab (a TAP device, a crafted frame) enters the segment."""
        return self.transmit(_Outside(origin), frame)


class _Outside:
    def __init__(self, origin: str) -> None:
        self.owner, _, self.name = origin.partition(" ")
        self.name = self.name or "port"

    def deliver(self, frame_id: int, wire: bytes) -> None:  # pragma: no cover - never a target
        pass
