"""An Ethernet segment: the shared bus of the seed (every port hears every frame), or a
learning switch that forwards a unicast frame only to the port behind its destination.

On a bus every NIC reads every frame, but a unicast frame costs a constant amount of work: the
segment looks its destination up among its NICs' MACs, hands the frame to that NIC and to the
ports that want every frame (TAP ports, promiscuous NICs, NICs in a multicast group), and
records the NICs in between that read the header and dropped it as one `FramesFiltered`
record per run of them — each NIC's verdict is expanded from it only when someone reads it.
Broadcast, multicast and damaged frames are read by every port itself, as before.

Timing is modelled as a half-duplex medium: a frame occupies the segment for its
serialisation time at `bandwidth` bits per second, then arrives after `latency`. Both zero
(live segments) means the far side gets it as soon as the loop runs.
"""

from __future__ import annotations

import struct
import zlib
from typing import Protocol

from stack.clock import Clock
from stack.events import FramesFiltered, LinkFault
from stack.link.faults import LinkFaults
from stack.trace import Trace
from stack.wire.errors import WireError
from stack.wire.ethernet import HEADER_LEN, MIN_PAYLOAD, strip_fcs

_FCS = struct.Struct(
    "<I"
).pack  # the FCS as `with_fcs` appends it (CRC-32, least significant first)


class Port(Protocol):
    """Anything plugged into a segment: a NIC, a TAP device, a QEMU socket."""

    owner: str
    name: str

    def deliver(self, frame_id: int, wire: bytes) -> None: ...


class Segment:
    # False: every port reads every frame itself (one event per NIC), the reference the
    # coalesced path is tested against.
    coalesce = True

    def __init__(
        self,
        name: str,
        clock: Clock,
        trace: Trace,
        *,
        mtu: int = 1500,
        latency: float = 0.0,
        bandwidth: float = 0.0,
        switch: bool = False,
        faults: LinkFaults | None = None,
    ) -> None:
        self.name = name
        self.clock = clock
        self._post = clock.post
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
        self._origins: dict[object, str] = {}  # "pc eth0" per port, as the trace names senders
        self._outside: dict[str, _Outside] = {}
        self._reindex()

    def attach(self, port: Port) -> None:
        self.settle_counters()
        self.ports.append(port)
        if hasattr(port, "segment"):
            port.segment = self
        self._reindex()

    def detach(self, port: Port) -> None:
        self.settle_counters()
        if port in self.ports:
            self.ports.remove(port)
        self._reindex()

    def attach_changed(self) -> None:
        """A port's filter changed (promiscuous, a multicast group joined)."""
        self.settle_counters()
        self._reindex()

    def _reindex(self) -> None:
        """Work out once, when the ports change, who must read which frames."""
        from stack.link.nic import NIC

        self.roster: tuple[Port, ...] = tuple(self.ports)
        self._position = {id(p): i for i, p in enumerate(self.roster)}
        by_mac: dict[bytes, int] = {}
        listeners = []
        clash = False
        for i, port in enumerate(self.roster):
            if type(port) is not NIC or port.promiscuous or port.groups:
                listeners.append(i)
                continue
            mac = bytes(port.mac)
            clash = clash or mac in by_mac
            by_mac[mac] = i
        self._by_mac = by_mac
        self._listeners = tuple(listeners)
        # Live devices, written to as a frame is sent when nothing delays or damages it.
        self._at_once = tuple(p for p in self.roster if hasattr(p, "deliver_now"))
        # Two NICs with one MAC (a lab that clones one): let every NIC read for itself.
        self._coalescing = not clash
        # Dropped-frame counts as a difference array: a run of NICs costs two additions.
        self._filtered = [0] * (len(self.roster) + 1)
        self._filtered_dirty = False

    def settle_counters(self) -> None:
        """Fold the dropped-frame runs into each NIC's `rx_filtered` (when someone reads them)."""
        if not self._filtered_dirty:
            return
        running = 0
        diff = self._filtered
        for i, port in enumerate(self.roster):
            running += diff[i]
            diff[i] = 0
            if running:
                port._counters.rx_filtered += running
        diff[-1] = 0
        self._filtered_dirty = False

    def transmit(self, sender: Port, frame: bytes) -> int:
        """Frame (no FCS) from `sender`: record it, then deliver a copy to the other ports."""
        if len(frame) < HEADER_LEN + MIN_PAYLOAD:
            frame = frame + bytes(HEADER_LEN + MIN_PAYLOAD - len(frame))
        trace = self.trace
        origin = self._origins.get(sender)
        if origin is None:
            origin = self._origins[sender] = f"{sender.owner} {sender.name}"
        # Recorded, and a FrameSent emitted as its values (stack.events.COMPACT).
        frame_id = trace.record_sent(self.name, origin, sender.owner, sender.name, frame)
        target = None
        if self.switch:
            # A switch learns and decides as the frame comes in, not when it leaves.
            self.learned[frame[6:12]] = sender
            if not frame[0] & 1:
                target = self.learned.get(frame[:6])
        delay = self.latency
        if self.bandwidth:
            now = self.clock.now()
            start = now if now > self._busy_until else self._busy_until
            self._busy_until = start + (len(frame) + 4) * 8 / self.bandwidth
            delay += self._busy_until - now
        if self.faults is None and type(frame) is bytes:
            # Nothing on this segment damages frames: the receivers' FCS check is known to pass,
            # so the frame itself goes along, and its FCS is worked out only if a port reads
            # the bits on the wire (see `_deliver`).
            if self._at_once and not delay:
                for port in self._at_once:  # a TAP device: out now (see TapPort.deliver_now)
                    if port is not sender and (target is None or target is port):
                        port.deliver_now(frame_id, frame)
            self._post(delay, self._deliver, sender, target, frame_id, None, frame)
            return frame_id
        wire = frame + _FCS(zlib.crc32(frame))  # `with_fcs`: the frame is already 60 bytes or more
        if self.faults is None:
            self._post(delay, self._deliver, sender, target, frame_id, wire)
            return frame_id
        copies = self.faults.plan(wire)
        if not copies:
            trace.emit(
                LinkFault(trace.now(), self.name, (frame_id,), self.name, "lost", "seeded loss")
            )
        for extra, data, tag in copies:
            if tag:
                trace.emit(
                    LinkFault(trace.now(), self.name, (frame_id,), self.name, tag.split()[0], tag)
                )
            self._schedule(delay + extra, sender, target, frame_id, data)
        return frame_id

    def _schedule(
        self, delay: float, sender: Port, target: Port | None, frame_id: int, wire: bytes
    ) -> None:
        self._post(delay, self._deliver, sender, target, frame_id, wire)

    def _deliver(
        self,
        sender: Port,
        target: Port | None,
        frame_id: int,
        wire: bytes | None,
        intact: bytes | None = None,
    ) -> None:
        if wire is None:
            # Sent intact (see `transmit`): a unicast frame on a bus whose ports all filter by
            # MAC reaches NICs that take the frame as it is; any other port reads the wire.
            if (
                target is None
                and not intact[0] & 1
                and not self._listeners
                and self.coalesce
                and self._coalescing
            ):
                self._unicast(sender, frame_id, intact)
                return
            wire = intact + _FCS(zlib.crc32(intact))
        if intact is not None:
            self._last_wire, self._last_checked = wire, intact
        if target is not None:
            if target is not sender:
                target.deliver(frame_id, wire)
            return
        frame = self._last_checked if wire is self._last_wire else self.checked(wire)
        if type(frame) is not bytes or frame[0] & 1 or not (self.coalesce and self._coalescing):
            # Broadcast, multicast or damaged: every port reads it and says so itself.
            for port in self.roster:
                if port is not sender:
                    port.deliver(frame_id, wire)
            return
        receivers = self._listeners
        if not receivers:
            self._unicast(sender, frame_id, frame)
            return
        roster = self.roster
        dst = frame[:6]
        skip = self._position.get(id(sender), -1)
        addressee = self._by_mac.get(dst)
        if addressee is not None:
            receivers = (addressee,) if not receivers else tuple(sorted((*receivers, addressee)))
        last = 0
        for position in receivers:
            if position > last:
                self._drop_run(frame_id, last, position, skip, dst)
            if position != skip:
                roster[position].deliver(frame_id, wire)
            last = position + 1
        if last < len(roster):
            self._drop_run(frame_id, last, len(roster), skip, dst)

    def _unicast(self, sender: Port, frame_id: int, frame: bytes) -> None:
        """An intact unicast frame on a bus where nobody listens to everything: the NICs before
        the addressee drop it, the addressee keeps it (its own MAC: nothing to read again),
        the NICs after it drop it."""
        roster = self.roster
        dst = frame[:6]
        skip = self._position.get(id(sender), -1)
        addressee = self._by_mac.get(dst)
        stop = len(roster)
        if addressee is None:
            self._drop_run(frame_id, 0, stop, skip, dst)
            return
        if addressee:
            self._drop_run(frame_id, 0, addressee, skip, dst)
        if addressee != skip:
            roster[addressee].accept(frame_id, frame)
        if addressee + 1 < stop:
            self._drop_run(frame_id, addressee + 1, stop, skip, dst)

    def _drop_run(self, frame_id: int, start: int, stop: int, skip: int, dst: bytes) -> None:
        """NICs `start`…`stop - 1` (but the sender) read the header and dropped the frame."""
        if stop - start == 1 and start == skip:
            return
        diff = self._filtered
        diff[start] += 1
        diff[stop] -= 1
        if start <= skip < stop:
            diff[skip] -= 1
            diff[skip + 1] += 1
        self._filtered_dirty = True
        trace = self.trace
        trace.emit(
            FramesFiltered(trace.now(), (frame_id,), self.name, self.roster, start, stop, skip, dst)
        )

    def merging_port(self, mac: bytes):
        """The TAP port with offloads behind which `mac` sits (stack.link.tap_offload: the
        kernel there cuts merged TCP frames itself), or None."""
        for port in self._at_once:
            if getattr(port, "behind", None) is not None and port.behind(mac):
                return port
        return None

    def ends_here(self, frame: bytes) -> bool:
        """Whether `frame` (Ethernet, IPv4) is addressed to a NIC on this segment whose host
        holds its destination address: it goes no further than that host."""
        index = self._by_mac.get(frame[:6])
        if index is None:
            return False
        holder = getattr(self.roster[index], "holder", None)
        return holder is not None and frame[30:34] in holder.packed_addresses

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
        outside = self._outside.get(origin)
        if outside is None:
            if len(self._outside) >= 64:  # crafted frames may name many origins: stay bounded
                self._outside.clear()
                self._origins = {p: o for p, o in self._origins.items() if type(p) is not _Outside}
            outside = self._outside[origin] = _Outside(origin)
        return self.transmit(outside, frame)


class _Outside:
    def __init__(self, origin: str) -> None:
        self.owner, _, self.name = origin.partition(" ")
        self.name = self.name or "port"

    def deliver(self, frame_id: int, wire: bytes) -> None:  # pragma: no cover - never a target
        pass
