"""Replaying a capture onto a segment (or out of a host's NIC) at its own pace or faster, as
tcpreplay does: each frame leaves at its capture time, scaled by `speed` (2 is twice as fast;
0 sends them back to back, tcpreplay's --topspeed), measured on the lab's clock."""

from __future__ import annotations

from stack.apps.program import Program
from stack.trace import FrameRecord
from workbench.craft.send import Sender


class Replay(Program):
    name = "replay"

    def __init__(
        self, sender: Sender, frames: list[FrameRecord], source: str, speed: float = 1.0
    ) -> None:
        super().__init__()
        self.sender = sender
        self.frames = frames
        self.source = source
        self.speed = speed
        self.sent = 0
        self._began = 0.0

    def start(self) -> Replay:
        clock = self.sender.net.clock
        self._began = clock.now()
        if not self.frames:
            self.lines.append(f"{self.source} holds no frames")
            self.finish(False)
            return self
        first = self.frames[0].time
        for record in self.frames:
            offset = 0.0 if self.speed == 0 else max(0.0, record.time - first) / self.speed
            clock.call_later(offset, self._put, record)
        return self

    def _put(self, record: FrameRecord) -> None:
        sender = self.sender
        if sender.host is not None:
            sender.host.primary.nic.send(record.data)
        else:
            sender.segment.inject("replay port", record.data)
        self.sent += 1
        if self.sent == len(self.frames):
            took = self.sender.net.clock.now() - self._began
            pace = "back to back" if self.speed == 0 else f"at {self.speed:g}× the captured pace"
            self.lines.append(
                f"replayed {self.sent:,} frame{'s' if self.sent != 1 else ''} from {self.source} by {sender.label} in {took:.6f} s ({pace})"
            )
            self.finish(True)
