"""The trace as JSON Lines: one object per event, and one per frame (with its bytes in hex)
just before the event that sent it, so a reader can always resolve an event's frame ids."""

from __future__ import annotations

import json
from typing import TextIO

from stack.events import Event, FrameSent, FramesFiltered
from stack.trace import Trace


class JsonlWriter:
    def __init__(self, out: TextIO, trace: Trace) -> None:
        self.out = out
        self.trace = trace

    def __call__(self, event: Event) -> None:
        if isinstance(event, FrameSent):
            rec = self.trace.frame(event.frames[0])
            self.out.write(
                json.dumps(
                    {
                        "kind": "frame_bytes",
                        "id": rec.id,
                        "time": rec.time,
                        "segment": rec.segment,
                        "origin": rec.origin,
                        "hex": rec.data.hex(),
                    }
                )
                + "\n"
            )
        if type(event) is FramesFiltered:  # each NIC's verdict on a line of its own, as it reads
            self.out.write(
                "".join(json.dumps(e.as_dict(), ensure_ascii=False) + "\n" for e in event.expand())
            )
            return
        self.out.write(json.dumps(event.as_dict(), ensure_ascii=False) + "\n")

    def flush(self) -> None:
        """Called after each live batch, so a run killed mid-way leaves whole lines."""
        self.out.flush()
