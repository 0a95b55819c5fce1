"""A frame as the display filter and `-T fields` see it: the captured record plus what the
frames before it say (`extra`: field values by Wireshark filter name, from `CaptureState`).

Made for every frame a filter reads and asked of by few (`-Y dns` asks nothing of it), so
each value is read from the record when asked, not copied when made."""

from __future__ import annotations


class FrameView:
    __slots__ = ("record", "notes")

    def __init__(self, record, notes) -> None:
        self.record, self.notes = record, notes

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def time(self) -> float:
        return self.record.time

    @property
    def segment(self) -> str:
        return self.record.segment

    @property
    def origin(self) -> str:
        return self.record.origin

    @property
    def data(self) -> bytes:
        return self.record.data

    @property
    def ns(self) -> int:
        return getattr(self.record, "ns", 0)

    @property
    def wire_length(self) -> int:
        record = self.record
        return getattr(record, "wire_length", 0) or len(record.data)

    @property
    def link_type(self) -> int:
        return getattr(self.record, "link_type", 1)

    @property
    def comments(self) -> tuple:
        return getattr(self.record, "comments", ())

    @property
    def relative(self) -> float:
        return self.notes.relative

    @property
    def extra(self) -> dict:
        return self.notes.fields  # made on first use: a plain listing never asks

    @classmethod
    def of(cls, record, notes) -> FrameView:
        return cls(record, notes)
