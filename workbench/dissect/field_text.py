"""`-T fields -e FIELD …`: one line per frame of field values, printed as tshark 4.0 prints them.

Values come, in this order, from the columns (`_ws.col.Info` …), from the state across frames
(`tcp.stream`, relative `tcp.seq` …, via the frame's `extra`), and from the display filter's
vocabulary, which is the protocol model's (`workbench.dissect.fields`, `stack.proto`).
tshark's conventions: integers in decimal unless the field is shown in hex (`ip.id` 0x1c46,
`tcp.flags` 0x0018: as many digits as its bytes; each declared field says its base), booleans
1/0, times with nine decimals, several occurrences joined by the aggregator (`,`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from ipaddress import IPv4Address

from workbench.dissect.capture_state import FIELD_TYPES as STATE_FIELDS
from workbench.dissect.fields import DECLARED, FIELDS

COLUMNS = {
    "_ws.col.No.": lambda v, row: str(v.id),
    "_ws.col.Time": lambda v, row: f"{v.relative:.6f}",
    "_ws.col.Source": lambda v, row: row.source,
    "_ws.col.Destination": lambda v, row: row.destination,
    "_ws.col.Protocol": lambda v, row: row.protocol,
    "_ws.col.Length": lambda v, row: str(v.wire_length),
    "_ws.col.Info": lambda v, row: row.info,
}
FRAME = {
    "frame.number": lambda v: (v.id,),
    "frame.len": lambda v: (v.wire_length,),
    "frame.cap_len": lambda v: (len(v.data),),
    "frame.comment": lambda v: tuple(v.comments),
    "frame.interface_name": lambda v: (v.segment,) if v.segment else (),
}


class FieldsError(ValueError):
    """A -e or -E we cannot honour; the message is one sentence."""


@dataclass
class Layout:
    names: list[str]
    separator: str = "\t"
    header: bool = False
    occurrence: str = "a"
    aggregator: str = ","
    quote: str = ""
    clock: object = None  # the Time column's text from a frame's notes (-t, the decimals)

    @classmethod
    def parse(cls, names: list[str], options: list[str]) -> Layout:
        if not names:
            raise FieldsError(
                "-T fields needs at least one -e FIELD (e.g. -e ip.src -e tcp.stream)"
            )
        unknown = [n for n in names if not known(n)]
        if unknown:
            raise FieldsError(f"some fields aren't valid: {', '.join(unknown)}")
        layout = cls(list(names))
        for option in options:
            key, sep, value = option.partition("=")
            if not sep:
                raise FieldsError(f"-E {option} should look like NAME=VALUE (e.g. separator=,)")
            if key == "separator":
                layout.separator = {"/t": "\t", "/s": " "}.get(value, value)
            elif key == "header":
                layout.header = value in ("y", "Y")
            elif key == "occurrence" and value in ("f", "l", "a"):
                layout.occurrence = value
            elif key == "aggregator":
                layout.aggregator = {"/s": " "}.get(value, value)
            elif key == "quote" and value in ("d", "s", "n"):
                layout.quote = {"d": '"', "s": "'", "n": ""}[value]
            else:
                raise FieldsError(
                    f"-E {option} is not an option we know (separator, header, occurrence, aggregator, quote)"
                )
        return layout

    def header_line(self) -> str:
        return self.separator.join(self.names)

    def line(self, frame, view, row) -> str:
        cells = []
        for name in self.names:
            if name == "_ws.col.Time" and self.clock is not None:
                cells.append(self.clock(view.notes))
                continue
            values = [text(name, value) for value in values_of(name, frame, view, row)]
            if self.occurrence == "f":
                values = values[:1]
            elif self.occurrence == "l":
                values = values[-1:]
            cell = self.aggregator.join(values)
            cells.append(f"{self.quote}{cell}{self.quote}" if self.quote and values else cell)
        return self.separator.join(cells)


def known(name: str) -> bool:
    return (
        name in COLUMNS
        or name in FRAME
        or name in FIELDS
        or name in STATE_FIELDS
        or name.startswith("tcp.analysis.")
    )


def values_of(name: str, frame, view, row) -> tuple:
    """The values of `name` for one frame: `frame` is the model's dissection, `view` the
    record with what the frames before it say (`FrameView`), `row` its columns."""
    column = COLUMNS.get(name)
    if column is not None:
        return (column(view, row),)
    extra = getattr(view, "extra", None)
    if extra and name in extra:
        return extra[name]
    from_record = FRAME.get(name)
    if from_record is not None:
        return from_record(view)
    if name in STATE_FIELDS or name.startswith("tcp.analysis."):
        return ()
    return FIELDS[name][1](frame, view)


# tshark writes five of a text value's control characters as escapes (line breaks among
# them: one frame, one line); the others, and a backslash, go out as they are
_ESCAPES = str.maketrans({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"})


_DOUBLES = frozenset(("icmp.resptime", "icmpv6.resptime"))


def text(name: str, value) -> str:
    declared = DECLARED.get(name)
    if declared is not None and not isinstance(value, bool | float | Decimal):
        out = declared.filter_text(value)  # in the base the model declares, as tshark prints it
        if not out and declared.type == "bytes":
            return "<MISSING>"  # tshark 4.0's word for a bytes field of no bytes (a DNS cookie's server half)
        if isinstance(value, str):  # tshark 4.0 prints text up to a NUL, as C reads a string
            return out.partition("\0")[0].translate(_ESCAPES)
        return out
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if name in _DOUBLES:
        return f"{value:.15g}"  # FT_DOUBLE, as Wireshark prints a double (DBL_DIG digits)
    if isinstance(value, float | Decimal):
        return f"{value:.9f}"
    if isinstance(value, (bytes, bytearray)):
        return value.hex(":") if len(value) == 6 else value.hex()
    if isinstance(value, IPv4Address):
        return str(value)
    return str(value)
