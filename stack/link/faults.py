"""Seeded link faults: loss, delay with jitter, duplication, reordering, corruption.

`LinkFaults.plan` decides, for one frame, which copies reach the far side and how late; the
same seed gives the same decisions, so a lossy run is as reproducible as a clean one.
"""

from __future__ import annotations

import random

from stack.record import field, record


@record(frozen=False)
class LinkFaults:
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    delay: float = 0.0
    jitter: float = 0.0
    seed: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder", "corrupt"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, not {value}")
        if self.delay < 0 or self.jitter < 0:
            raise ValueError("delay and jitter cannot be negative")
        self.rng = random.Random(self.seed)

    @property
    def active(self) -> bool:
        return any((self.loss, self.duplicate, self.reorder, self.corrupt, self.delay, self.jitter))

    def plan(self, wire: bytes) -> list[tuple[float, bytes, str]]:
        """Copies to deliver as (extra delay, bytes, what happened); empty when lost."""
        rng = self.rng
        if self.loss and rng.random() < self.loss:
            return []
        delay = self.delay + (rng.uniform(0, self.jitter) if self.jitter else 0.0)
        tag = ""
        if self.reorder and rng.random() < self.reorder:
            # Held back long enough for the frames behind it to overtake it.
            delay += 0.001 + rng.uniform(0, 0.002)
            tag = "reordered"
        if self.corrupt and rng.random() < self.corrupt:
            data = bytearray(wire)
            at = rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
            wire = bytes(data)
            tag = f"corrupted byte {at}"
        copies = [(delay, wire, tag)]
        if self.duplicate and rng.random() < self.duplicate:
            copies.append((delay + 0.0001, wire, "duplicated"))
        return copies
