"""A network interface card: a MAC, a receive filter, counters.

Every frame on a bus reaches every NIC; the NIC reads the destination and keeps the frame
(its own MAC, broadcast, a multicast group it joined, or anything when promiscuous) or drops
it — the verdict is a trace event, as in the seed's picture of hosts 3, 4 and 5. On a bus the
segment does the dropping for the NICs a unicast frame is not for (one record for all of them,
see `stack.link.segment`); `deliver` is what a NIC that reads the frame itself does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from stack.events import FrameReceived
from stack.record import record
from stack.wire.errors import WireError
from stack.wire.ethernet import strip_fcs
from stack.wire.mac import MAC

if TYPE_CHECKING:
    from stack.link.segment import Segment
    from stack.trace import Trace


@record(frozen=False)
class NicCounters:
    tx_frames: int = 0
    tx_bytes: int = 0
    rx_frames: int = 0
    rx_bytes: int = 0
    rx_filtered: int = 0
    rx_fcs_errors: int = 0
    rx_malformed: int = 0


def _check(wire: bytes) -> bytes | WireError:
    try:
        return strip_fcs(wire)
    except WireError as err:
        return err


class NIC:
    def __init__(self, owner: str, name: str, mac: MAC, trace: Trace) -> None:
        self.owner = owner
        self.name = name
        self.mac = mac
        self.trace = trace
        self.segment: Segment | None = None
        self._promiscuous = False
        self.groups: frozenset[MAC] = frozenset()
        self._counters = NicCounters()
        self.on_frame: Callable[[int, bytes], None] | None = None
        # The host (or router) this NIC is in, when there is one: a TAP port asks whether a
        # merged TCP frame ends at it (`Segment.ends_here`).
        self.holder: object | None = None

    @property
    def counters(self) -> NicCounters:
        if self.segment is not None:
            self.segment.settle_counters()
        return self._counters

    @property
    def promiscuous(self) -> bool:
        return self._promiscuous

    @promiscuous.setter
    def promiscuous(self, on: bool) -> None:
        self._promiscuous = on
        if self.segment is not None:
            self.segment.attach_changed()

    def join(self, group: MAC) -> None:
        """Receive frames sent to multicast `group` too."""
        self.groups = self.groups | {group}
        if self.segment is not None:
            self.segment.attach_changed()

    @property
    def label(self) -> str:
        return f"{self.owner} {self.name}"

    def send(self, frame: bytes) -> int:
        """Put a frame (without FCS) on the segment; returns its frame id (0 if unplugged)."""
        if self.segment is None:
            return 0
        counters = self._counters
        counters.tx_frames += 1
        counters.tx_bytes += len(frame)
        return self.segment.transmit(self, frame)

    def accept(self, frame_id: int, frame: bytes, reason: str = "addressed to me") -> None:
        """A frame (no FCS) this NIC takes: from `deliver`, or from a segment that knows it is
        for this NIC (its own MAC, arrived intact) without the header read again."""
        counters = self._counters
        counters.rx_frames += 1
        counters.rx_bytes += len(frame)
        trace = self.trace
        # A FrameReceived, as its values (stack.events.COMPACT).
        trace.emit_values(
            (
                "frame_received",
                trace.now(),
                self.owner,
                (frame_id,),
                self.name,
                True,
                reason,
            )
        )
        if self.on_frame is not None:
            self.on_frame(frame_id, frame)

    def deliver(self, frame_id: int, wire: bytes) -> None:
        """A frame (with FCS) arrives from the segment."""
        trace = self.trace
        segment = self.segment
        if segment is None:
            frame = _check(wire)
        elif wire is segment._last_wire:  # the copy the segment just checked (or knows intact)
            frame = segment._last_checked
        else:
            frame = segment.checked(wire)
        counters = self._counters
        if type(frame) is not bytes and isinstance(frame, WireError):
            counters.rx_fcs_errors += 1
            trace.emit(
                FrameReceived(
                    trace.now(),
                    self.owner,
                    (frame_id,),
                    self.name,
                    False,
                    f"bad FCS, frame damaged on the wire ({frame.problem})",
                )
            )
            return
        dst = frame[:6]
        mac = self.mac
        if dst == mac:
            reason = "addressed to me"
        elif dst == b"\xff\xff\xff\xff\xff\xff":
            reason = "broadcast"
        elif dst[0] & 1 and MAC(dst) in self.groups:
            reason = "multicast group joined"
        elif self._promiscuous:
            reason = "promiscuous"
        else:
            counters.rx_filtered += 1
            trace.emit(
                FrameReceived(
                    trace.now(), self.owner, (frame_id,), self.name, False, "not for me", dst, mac
                )
            )
            return
        self.accept(frame_id, frame, reason)
