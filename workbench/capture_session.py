"""A capture file opened in the app: what the capture screen shows in place of a running lab.

There is no network, no clock and no event log here — only frames, read from the file as the
screen asks for them (`workbench.dissect.capture_index`), and what the frames before each one
add to it (`notes`: the pass `workbench dissect` runs, kept for any frame the screen shows). `open` reads the header and the
first frames at once, so the first screen has rows to draw; the rest of the file is indexed
by `index_more`, which a worker thread calls chunk by chunk, while the screen is already up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.dissect.capture import CaptureError
from workbench.dissect.capture_index import CaptureIndex
from workbench.dissect.capture_notes import CaptureNotes

FIRST_FRAMES = 2_000  # indexed before the first screen: more rows than any terminal shows
CHUNK = 50_000  # frames the worker indexes between progress reports (about 30 ms)


class CaptureRefused(Exception):
    """The file cannot be shown; the message is one sentence."""


@dataclass(frozen=True)
class CaptureStatus:
    name: str
    format: str
    frames: int
    size: int
    indexing: bool
    fraction: float
    problem: str | None


class CaptureSession:
    def __init__(self, index: CaptureIndex) -> None:
        self.index = index
        self.frames = index  # the packet list reads it like the lab's frame list
        # tshark's single pass (TCP conversations, reassembly …), run as far as asked
        self.notes = CaptureNotes(index)
        self.path = index.path
        self.name = index.name
        first = index[0].time if len(index) else 0.0
        self.time_origin = first  # the Time column counts from the first frame, as Wireshark's

    @classmethod
    def open(cls, path: str) -> CaptureSession:
        """Open `path` and index its first frames; raises `CaptureRefused` with one sentence."""
        try:
            index = CaptureIndex(path)
        except CaptureError as err:
            raise CaptureRefused(str(err)) from None
        except IsADirectoryError:
            raise CaptureRefused(f"{path} is a folder, not a capture") from None
        except OSError as err:
            raise CaptureRefused(f"cannot read {path}: {err.strerror or err}") from None
        index.index(FIRST_FRAMES)
        refused = index.unsupported_link()
        if refused is None and not len(index) and index.problem:
            refused = index.problem.split(";")[0]  # not one whole frame: nothing to show
        if refused:
            index.close()
            raise CaptureRefused(refused)
        return cls(index)

    @property
    def indexing(self) -> bool:
        return not self.index.done

    def index_more(self, count: int = CHUNK) -> int:
        """Index up to `count` more frames (from a worker thread); 0 when the file is done."""
        found = self.index.index(count)
        if (
            not found
            and len(self.index)
            and self.index.problem is None
            and self.index.unsupported_link()
        ):
            self.index.problem = self.index.unsupported_link()
        return found

    def status(self) -> CaptureStatus:
        i = self.index
        return CaptureStatus(self.name, i.format, len(i), i.size, not i.done, i.fraction, i.problem)

    def save(self, path: str, indices: Iterable[int]) -> int:
        """Write the frames at `indices` to `path` in this capture's format; returns the count.
        Written to a temporary name first, so a failure never leaves half a file behind, and a
        capture saved over itself is read to the end before it is replaced."""
        temporary = f"{path}.part"
        try:
            with open(temporary, "wb") as out:
                count = self.index.write_subset(out, indices)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return count

    def close(self) -> None:
        self.index.close()
