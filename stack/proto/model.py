"""The protocol model: what a protocol declares once, and the values a frame gives it.

A `Protocol` declares its fields (`Field`: Wireshark's filter name and label, byte position
and bit mask, value type, enumeration), how it binds under another protocol (`binds`: a
dissector table and a value, as Wireshark's `ethertype`, `ip.proto`, `udp.port` tables), its
Info column text, its colour and which fields are the Source and Destination columns. Its
`walk` reads only what the chain needs (header length, payload end, the next binding); its
`items` lays out the variable parts (options, questions). The fields declared with a position
(`at`) are read by the model itself, in declaration order, so a fixed header is pure data, as
smoltcp's `mod field { const TTL: usize = 8; … }`.

Everything here is lenient: a layer reads what its bytes hold, and a `Stop` marks where they
end — "malformed" when the frame is whole but says something impossible, "truncated" when the
capture kept fewer bytes than the wire carried (snaplen). The stack's own codecs in
`stack.wire` stay strict; this model is for showing frames, never for acting on them.

No scapy, no I/O: `stack.proto.frame` runs this for every visible packet-list row and for every
frame a display filter reads, so values are computed only when asked (`Layer.items`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import NamedTuple

from stack.proto import mac_names
from stack.wire.mac import MAC

# value types (what a filter compares; how a label prints)
UINT, INT, BOOL, IPV4, IPV6, ETHER, STRING, BYTES, FLOAT, NONE = (
    "uint",
    "int",
    "bool",
    "ipv4",
    "ipv6",
    "mac",
    "str",
    "bytes",
    "float",
    "none",
)
# how an integer prints, as Wireshark's BASE_* do
DEC, HEX, HEX_DEC, DEC_HEX = "dec", "hex", "hex_dec", "dec_hex"


@dataclass(frozen=True, eq=False)
class Field:
    """One field as declared: `ip.ttl`, labelled "Time to Live", one byte at offset 8.

    `at` and `size` place a fixed field in its layer's header (bytes); `mask` picks its bits
    out of those bytes (the value is shifted down). `scale` multiplies the raw value
    (`ip.hdr_len` is counted in 4-byte words). `enum` names values; `text` formats one when a
    name is not enough. `also` names hidden fields that get the same value (`ip.src` is also
    `ip.addr`). `generated` fields are worked out, not read (Wireshark puts them in brackets).
    """

    name: str
    label: str
    type: str = UINT
    base: str = DEC
    at: int | None = None
    size: int = 0
    mask: int = 0
    scale: int = 1
    enum: Mapping[int, str] | None = None
    unit: str = ""
    text: Callable[[object], str] | None = None
    also: tuple[str, ...] = ()
    generated: bool = False
    hidden: bool = False
    sub: bool = False  # shown under another item (a flag under its flags word), not on its own
    direct: bool = True  # a positioned field a filter may read straight from its bytes (False:
    # the layer shows it only sometimes, or reworks its value: read it through the items)
    filterable: bool = True  # False for the tree's own grouping lines (a DNS query's line, an
    # HTTP header line): Wireshark shows those as text with no filter name of their own

    @property
    def shift(self) -> int:
        mask = self.mask
        return (mask & -mask).bit_length() - 1 if mask else 0

    def filter_text(self, value) -> str:
        """The value as `tshark -T fields -e NAME` writes it (numbers in the field's base,
        booleans 1/0, bytes as plain hex): what the filter compares, in text."""
        kind = self.type
        if kind == BOOL:
            return "1" if value else "0"
        if kind in (UINT, INT) and isinstance(value, int):
            if self.base in (HEX, HEX_DEC) and value >= 0:
                return f"0x{value:0{max(2, self.size * 2)}x}"
            return str(value)
        if kind == BYTES or (kind == NONE and isinstance(value, bytes)):
            return bytes(value).hex()
        if kind == FLOAT:
            return f"{value:.9f}"
        return str(value)

    def match_text(self, value) -> str:
        """The display filter Wireshark's "Apply as Filter" writes for this field holding
        `value`: `ip.ttl == 64`, `eth.src == 00:1b:21:3a:4f:64`, `tcp.flags == 0x0012`,
        `tcp.flags.syn == 1`, `http.host == "example.com"`, `data.data == 47:45:54`; the name
        alone for a field that holds no value (`tcp.options.nop`, a protocol)."""
        if value is None or self.type == NONE or (self.type == BYTES and not value):
            return self.name
        if self.type == STRING:
            return f"{self.name} == {quoted(str(value))}"
        if self.type == BYTES:
            return f"{self.name} == {bytes(value).hex(':')}"
        return f"{self.name} == {self.filter_text(value)}"

    def value_text(self, value) -> str:
        """The value as Wireshark prints it after the label."""
        if self.text is not None:
            return self.text(value)
        kind = self.type
        if kind in (UINT, INT):
            name = self.enum.get(value) if self.enum is not None else None
            if self.base == HEX:
                digits = (
                    max(2, self.size * 2)
                    if not self.mask
                    else max(1, (self.mask.bit_length() - self.shift + 3) // 4)
                )
                number = f"0x{value:0{digits}x}"
            elif self.base == HEX_DEC:
                number = f"0x{value:0{max(2, self.size * 2)}x} ({value})"
            elif self.base == DEC_HEX:
                number = f"{value} (0x{value:0{max(2, self.size * 2)}x})"
            else:
                number = str(value)
            if name is not None:
                return f"{name} ({number})"
            return number + self.unit
        if kind == BOOL:
            if self.enum is not None:
                return self.enum.get(int(value), str(value))
            return "Set" if value else "Not set"
        if kind == ETHER:
            return mac_text(value)
        if kind == BYTES:
            if not value:
                return "<MISSING>"
            return shown_bytes(value)
        if kind == FLOAT:
            return f"{value:.9f}{self.unit}"
        if kind == STRING and isinstance(value, str):  # as C reads it: up to a NUL
            return escaped(value.partition("\0")[0])
        return str(value)


def shown_bytes(value: bytes) -> str:
    """Bytes in hex as Wireshark's tree shows them: 36 bytes of a longer value, then "…"."""
    return value.hex() if len(value) <= 36 else value[:36].hex() + "…"


def escaped(text: str) -> str:
    """`text` as Wireshark writes it in a label: control characters as C's escapes, else in
    octal (`\\001`)."""
    return text.translate(_ESCAPES)


_NAMED = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
_ESCAPES = {c: _NAMED.get(c, f"\\{c:03o}") for c in (*range(32), 127)}

LABEL_BYTES = 239  # Wireshark's ITEM_LABEL_LENGTH (240) less its NUL


def fit_label(text: str, name_end: int) -> str:
    """A label as Wireshark keeps it: one longer than 239 bytes is marked " [truncated]" after
    its name (at the start of a label that is all text) and cut to 238 bytes, at the start of
    a UTF-8 character."""
    raw = text.encode()
    if len(raw) <= LABEL_BYTES:
        return text
    at = len(text[:name_end].encode())
    marked = raw[:at] + b" [truncated]" + raw[at:]
    return marked[: LABEL_BYTES - 1].decode("utf-8", "ignore")


def quoted(text: str) -> str:
    """`text` as a display filter's string literal: in double quotes, a quote or backslash
    escaped with a backslash, a control character as \\xNN; other characters as they are
    (a filter's strings are UTF-8, as Wireshark's `·` in `tcp.flags.str`)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.extend(f"\\x{b:02x}" for b in ch.encode())
    return '"' + "".join(out) + '"'


def mac_text(mac: bytes) -> str:
    """`Broadcast (ff:ff:ff:ff:ff:ff)`, `IntelCor_3a:4f:64 (00:1b:21:3a:4f:64)`: the name tshark
    gives the address (the same the packet list's columns show), then the address; the address
    alone when names are not resolved (`-n`), as tshark's tree."""
    plain = mac.hex(":")
    if len(mac) != 6 or not mac_names.resolving:
        return plain
    return f"{mac_names.mac_name(bytes(mac))} ({plain})"


def bit_pattern(raw: int, mask: int, size: int, bits: int = 0) -> str:
    """`.1.. ....`: the field's bits of `raw` shown in its `size` bytes (or its low `bits`),
    as Wireshark prefixes a bit field's label."""
    out = []
    for i in range((bits or size * 8) - 1, -1, -1):
        bit = 1 << i
        out.append(("1" if raw & bit else "0") if mask & bit else ".")
        if i % 4 == 0 and i:
            out.append(" ")
    return "".join(out)


class Item:
    """One field's value in one frame: where its bytes are (from the frame's first byte),
    the value, and the items under it (a flags field's bits, a DNS query's parts)."""

    __slots__ = ("field", "start", "size", "value", "raw", "children", "text")

    def __init__(
        self, field: Field, start: int, size: int, value, raw: int = 0, children=None, text=None
    ):
        self.field = field
        self.start = start
        self.size = size
        self.value = value
        self.raw = raw  # the bytes' integer for a masked field (its bit pattern)
        self.children = children
        self.text = text  # a whole label that replaces the generated one

    def label(self) -> str:
        if self.text is not None:
            return self.text if len(self.text) < 60 else fit_label(self.text, 0)
        f = self.field
        text = f"{f.label}: {f.value_text(self.value)}" if f.type != NONE else f.label
        name_end = len(f.label)
        if f.mask and f.size:
            pattern = f"{bit_pattern(self.raw, f.mask, f.size)} = "
            text, name_end = pattern + text, name_end + len(pattern)
        if len(text) >= 60:
            text = fit_label(text, name_end)
        if f.generated:
            text = f"[{text}]"
        return text

    def bits(self) -> tuple[int, int]:
        """[first, last) bit of the frame this item covers (exact for masked fields)."""
        f = self.field
        if f.mask and f.size:
            width = f.size * 8
            top = width - f.mask.bit_length()
            return self.start * 8 + top, self.start * 8 + width - f.shift
        return self.start * 8, (self.start + self.size) * 8


class Stop(Exception):
    """Dissection of a layer ends here: `kind` is "malformed" or "truncated"."""

    def __init__(self, field: str, at: int, problem: str, kind: str = "malformed") -> None:
        super().__init__(problem)
        self.field, self.at, self.problem, self.kind = field, at, problem, kind


@dataclass(eq=False)
class Protocol:
    """A protocol, declared once. See the module docstring; `stack.proto.registry` lists them."""

    name: str  # filter name: "ip"
    title: str  # tree line: "Internet Protocol Version 4"
    short: str  # Protocol column: "IPv4"
    fields: tuple[Field, ...] = ()
    walk: Callable[[Layer], None] | None = None
    items: Callable[[Layer, list], None] | None = None
    info: Callable[[Layer], str] | None = None
    summary: Callable[[Layer], str] | None = None  # the tree's layer line after the title
    binds: tuple[tuple[str, object], ...] = ()
    heuristic: Callable[[bytes], bool] | None = None  # also bound only when the bytes look right
    # Wireshark's heuristic dissectors: tried at any value of these tables (a TCP port no
    # protocol claims) when `claims(data, start, end)` says the bytes are this protocol's
    heuristic_on: tuple[str, ...] = ()
    claims: Callable[[bytes, int, int], bool] | None = None
    addresses: tuple[str, str] | None = None  # fields for the Source and Destination columns
    checksum: Callable[[Layer], int] | None = None  # the verdict alone: 0 bad, 1 good, 2 unverified
    colour: str = "other"  # the packet list's colouring rule (a theme class)
    header: int = 0  # bytes the fixed fields need
    columns: bool = True  # False: the Protocol and Info columns stay the layer below's

    def __post_init__(self) -> None:
        fixed = [f for f in self.fields if f.at is not None]
        self.header = self.header or max((f.at + f.size for f in fixed), default=0)
        self.by_name = {f.name: f for f in self.fields}
        self.names = frozenset(self.by_name) | frozenset(a for f in self.fields for a in f.also)
        self.fixed = tuple(f for f in fixed if not f.sub)
        # Names a filter can read from the bytes without laying out the whole layer: the
        # positioned fields (and their aliases, when every field behind an alias is one).
        direct: dict[str, list[Field]] = {}
        for f in fixed:
            if f.direct:
                direct.setdefault(f.name, []).append(f)
        for alias in {a for f in self.fields for a in f.also}:
            behind = [f for f in self.fields if alias in f.also]
            if all(f.at is not None and f.direct for f in behind):
                direct[alias] = behind
        self.direct = {name: tuple(fs) for name, fs in direct.items()}
        # Addresses a row's Source/Destination read at a fixed place: name → (at, size)
        self.address_places = {
            name: (fs[0].at, fs[0].size)
            for name, fs in self.direct.items()
            if len(fs) == 1 and _ADDRESS_SIZES.get(fs[0].type) == fs[0].size and not fs[0].mask
        }


_NO_LAYERS: list = []  # shared and never appended to: `Frame.quote` gives a layer its own list


class Layer:
    """One protocol's part of one frame: bytes [start, end), its header [start, header_end).

    `walk` sets `header_end`, `end` (where its payload ends, e.g. IPv4's total length) and
    `next` (a binding key such as ("ethertype", 0x0800)); `state` holds what it read on the
    way for Info and for the layers above (ports, addresses). `error` is where it stopped.
    """

    __slots__ = (
        "protocol",
        "frame",
        "start",
        "end",
        "header_end",
        "next",
        "state",
        "error",
        "column",
        "_items",
        "_index",
        "inner",
    )

    def __init__(self, protocol: Protocol, frame, start: int, end: int) -> None:
        self.protocol = protocol
        self.frame = frame
        self.start = start
        self.end = end
        self.header_end = end
        self.next = None
        self.state: dict = {}
        self.error: Stop | None = None
        self.column: str | None = None  # a Protocol column other than protocol.short (LLMNR)
        self._items: list[Item] | None = None
        self._index: dict | None = None
        self.inner: list[Layer] = (
            _NO_LAYERS  # layers quoted inside this one (an ICMP error's datagram)
        )

    # --- reading bytes ------------------------------------------------------------------

    @property
    def data(self) -> bytes:
        return self.frame.data

    def need(self, size: int, field: str) -> None:
        """Stop unless the layer holds `size` bytes from its start."""
        have = self.end - self.start
        if have < size:
            at = self.end
            if self.frame.truncated_at(at):
                raise Stop(field, at, f"the capture ends {size - have} bytes into it", "truncated")
            raise Stop(field, at, f"{have} bytes is shorter than the {size}-byte header")

    def _short(self, at: int, size: int) -> Stop:
        i = self.start + at
        kind = "truncated" if self.frame.truncated_at(self.end) else "malformed"
        return Stop(
            "",
            self.end,
            f"the bytes end inside a field ({size} bytes at frame byte {i}, {max(0, self.end - i)} there)",
            kind,
        )

    def u8(self, at: int) -> int:
        i = self.start + at
        if i >= self.end:
            raise self._short(at, 1)
        return self.frame.data[i]

    def u16(self, at: int) -> int:
        i = self.start + at
        if i + 2 > self.end:
            raise self._short(at, 2)
        d = self.frame.data
        return d[i] << 8 | d[i + 1]

    def u32(self, at: int) -> int:
        i = self.start + at
        if i + 4 > self.end:
            raise self._short(at, 4)
        return int.from_bytes(self.frame.data[i : i + 4], "big")

    def bytes_at(self, at: int, size: int) -> bytes:
        i = self.start + at
        if i + size > self.end:
            raise self._short(at, size)
        return self.frame.data[i : i + size]

    @property
    def payload(self) -> bytes:
        return self.frame.data[self.header_end : self.end]

    # --- values -------------------------------------------------------------------------

    def read(self, field: Field):
        """A positioned field's value (the bytes must be there: `need` first)."""
        i = self.start + field.at
        raw = int.from_bytes(self.frame.data[i : i + field.size], "big")
        return _convert(field, raw, self.frame.data[i : i + field.size])

    def items(self) -> list[Item]:
        """Every field of the layer, in the tree's order; computed on first use."""
        if self._items is None:
            self._items = out = []
            data = self.frame.data
            end = self.end
            for f in self.protocol.fixed:
                i = self.start + f.at
                if i + f.size > end:
                    break  # the bytes end here (a truncated or malformed header)
                chunk = data[i : i + f.size]
                raw = int.from_bytes(chunk, "big")
                out.append(Item(f, i, f.size, _convert(f, raw, chunk), raw))
            if self.protocol.items is not None:
                try:
                    self.protocol.items(self, out)
                except Stop as stop:
                    if self.error is None:
                        self.error = stop
                except (
                    IndexError,
                    ValueError,
                    KeyError,
                    TypeError,
                ) as exc:  # lenient: a value we cannot read ends the layer
                    if self.error is None:
                        self.error = Stop("", self.end, f"cannot read: {exc}")
        return self._items

    def index(self) -> dict[str, list]:
        """Filter name → values, for this layer (not the layers quoted in it: `inner`)."""
        if self._index is None:
            index: dict[str, list] = {}
            stack = list(self.items())
            while stack:
                item = stack.pop(0)
                f = item.field
                value = item.value
                if f.type == NONE and value is None and f.filterable:
                    # present with no value (tcp.options.nop): its bytes, as tshark's -T fields
                    value = bytes(self.frame.data[item.start : item.start + item.size])
                if f.type != NONE or value is not None:
                    index.setdefault(f.name, []).append(value)
                    for alias in f.also:
                        index.setdefault(alias, []).append(value)
                if item.children:
                    stack[0:0] = item.children
            self._index = index
        return self._index

    def values(self, name: str) -> list:
        """This layer's values of field `name`: read straight from the bytes when the field
        has a fixed place, else from the laid-out items."""
        fields = self.protocol.direct.get(name)
        if fields is not None and self.error is None and self._index is None:
            out = []
            end, data = self.end, self.frame.data
            for f in fields:
                i = self.start + f.at
                if i + f.size <= end:
                    chunk = data[i : i + f.size]
                    out.append(_convert(f, int.from_bytes(chunk, "big"), chunk))
            return out
        return self.index().get(name, [])

    def value(self, name: str, default=None):
        values = self.values(name)
        return values[0] if values else default

    def address_text(self, name: str) -> str | None:
        """Field `name`'s first value as the packet list's Source or Destination shows it
        ("Broadcast" for ff:ff:ff:ff:ff:ff), None if the layer has no such value. An address
        at a fixed place is turned into text once per distinct address (a capture repeats a
        few), not parsed into an address object for every row."""
        place = self.protocol.address_places.get(name)
        if place is not None and self.error is None:
            i = self.start + place[0]
            end = i + place[1]
            if end > self.end:
                return None
            chunk = self.frame.data[i:end]
            text = _ADDRESS_TEXT.get(chunk)
            if text is None:
                if len(_ADDRESS_TEXT) > 65536:
                    _ADDRESS_TEXT.clear()
                f = self.protocol.direct[name][0]
                text = _ADDRESS_TEXT[chunk] = _column_text(
                    _convert(f, int.from_bytes(chunk, "big"), chunk)
                )
            return text
        values = self.values(name)
        return _column_text(values[0]) if values else None

    def add(
        self,
        out: list,
        field: Field,
        at: int,
        size: int,
        value,
        *,
        raw: int = 0,
        children=None,
        text=None,
    ) -> Item:
        """Append an item; `at` counts from the layer's start."""
        item = Item(field, self.start + at, size, value, raw, children, text)
        out.append(item)
        return item

    def fixed(self, field: Field, at: int | None = None) -> Item:
        """An item for a positioned field read at its place (or at `at`)."""
        i = self.start + (field.at if at is None else at)
        chunk = self.frame.data[i : i + field.size]
        raw = int.from_bytes(chunk, "big")
        return Item(field, i, field.size, _convert(field, raw, chunk), raw)

    def text(self) -> str:
        """The layer's line in the tree: "Internet Protocol Version 4, Src: …, Dst: …"."""
        p = self.protocol
        extra = ""
        if p.summary is not None:
            try:
                extra = p.summary(self)
            except Exception:  # noqa: BLE001 — a summary never hides the layer
                extra = ""
        return f"{p.title}{extra}"


_ADDRESS_SIZES = {IPV4: 4, IPV6: 16, ETHER: 6}  # the size tells the type apart in the memo
_ADDRESS_TEXT: dict[bytes, str] = {}  # an address's bytes → its column text (see address_text)


def _column_text(value) -> str:
    text = str(value)
    return "Broadcast" if text == "ff:ff:ff:ff:ff:ff" else text


def _convert(field: Field, raw: int, chunk: bytes):
    kind = field.type
    if field.mask:
        raw = (raw & field.mask) >> field.shift
    if kind == UINT:
        return raw * field.scale
    if kind == BOOL:
        return bool(raw)
    if kind == IPV4:
        return IPv4Address(chunk)
    if kind == ETHER:
        return MAC.of(bytes(chunk))
    if kind == IPV6:
        return IPv6Address(chunk)
    if kind == BYTES:
        return bytes(chunk)
    if kind == STRING:
        return chunk.decode("latin-1")
    return raw


class Row(NamedTuple):
    """The packet list's columns for one frame, and its colouring rule (a theme class). A
    named tuple, not a frozen dataclass: made for every row shown, in a quarter of the time."""

    protocol: str
    source: str
    destination: str
    info: str
    kind: str = "other"


def flag_fields(
    prefix: str, at: int, size: int, bits: list[tuple[int, str, str]]
) -> tuple[Field, ...]:
    """Boolean fields for the bits of a flags word: (mask, filter suffix, label)."""
    return tuple(
        Field(f"{prefix}.{suffix}", label, BOOL, at=at, size=size, mask=mask)
        for mask, suffix, label in bits
    )


__all__ = [
    "BOOL",
    "BYTES",
    "DEC",
    "DEC_HEX",
    "ETHER",
    "FLOAT",
    "HEX",
    "HEX_DEC",
    "INT",
    "IPV4",
    "IPV6",
    "NONE",
    "STRING",
    "UINT",
    "Field",
    "Item",
    "Layer",
    "Protocol",
    "Row",
    "Stop",
    "bit_pattern",
    "field",
    "flag_fields",
    "mac_text",
    "shown_bytes",
    "quoted",
]
