"""A frame as the display filter and `-T fields` see it: the captured record plus what the
frames before it say (`extra`: field values by Wireshark filter name, from `CaptureState`)."""

from __future__ import annotations


class FrameView:
    __slots__ = (
        "id",
        "time",
        "segment",
        "origin",
        "data",
        "ns",
        "wire_length",
        "link_type",
        "comments",
        "notes",
        "relative",
    )

    def __init__(self, record, notes) -> None:
        self.id, self.time, self.segment = record.id, record.time, record.segment
        self.origin, self.data = record.origin, record.data
        self.ns = getattr(record, "ns", 0)
        self.wire_length = getattr(record, "wire_length", 0) or len(record.data)
        self.link_type = getattr(record, "link_type", 1)
        self.comments = getattr(record, "comments", ())
        self.notes = notes
        self.relative = notes.relative

    @property
    def extra(self) -> dict:
        return self.notes.fields  # made on first use: a plain listing never asks

    @classmethod
    def of(cls, record, notes) -> FrameView:
        return cls(record, notes)
