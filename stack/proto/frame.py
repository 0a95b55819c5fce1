"""One frame through the protocol model: its layers, its fields by filter name, its row.

    frame = dissect_frame(data, link_type=1)       # lenient; never raises on any bytes
    frame.layers                                    # Layer per protocol, outermost first
    frame.has("dns"); frame.values("ip.ttl")        # what a display filter asks
    frame.fields()                                  # every field: filter name → tuple of values
    frame.row()                                     # Protocol, Source, Destination, Info, colour

`dissect_record(record)` does the same for a `FrameRecord`-like object (`id`, `time`,
`segment`, `data`) and reads, when the record has them, `link_type` (the pcap link type:
1 Ethernet, 113 SLL, 276 SLL2), `wire_length` (the length on the wire; more than
`len(data)` means the capture cut it: snaplen) and `comments` (pcapng packet comments,
`frame.comment`).

Only the chain of layers is worked out up front (a few header bytes each); the fields of a
layer are read the first time something asks for them, so a filter for `dns` reads no field
at all and a packet-list row reads the fields of one or two layers.
"""

from __future__ import annotations

from stack.proto import registry
from stack.proto.data import PROTOCOL as DATA
from stack.proto.model import FLOAT, NONE, STRING, Field, Layer, Protocol, Row, Stop

# The frame pseudo-protocol: what the capture says about the frame, not its bytes.
NUMBER = Field("frame.number", "Frame Number")
LEN = Field("frame.len", "Frame Length", unit=" bytes")
CAP_LEN = Field("frame.cap_len", "Capture Length", unit=" bytes")
TIME = Field("frame.time_relative", "Time", FLOAT, unit=" seconds")
INTERFACE = Field("frame.interface_name", "Interface name", STRING)
ORIGIN = Field("frame.origin", "Sent by", STRING)
COMMENT = Field("frame.comment", "Comment", STRING)
PROTOCOLS = Field("frame.protocols", "Protocols in frame", STRING)
# Wireshark numbers its encapsulations itself (WTAP_ENCAP_*), not as the file's link type
ENCAPSULATIONS = {1: 1, 113: 25, 276: 210}  # link type → frame.encap_type
LINK_TYPE = Field(
    "frame.encap_type",
    "Encapsulation type",
    enum={1: "Ethernet", 25: "Linux cooked-mode capture v1", 210: "Linux cooked-mode capture v2"},
)
TRUNCATED = Field("frame.truncated", "Packet size limited during capture", NONE)
FRAME = Protocol(
    "frame",
    "Frame",
    "Frame",
    fields=(
        NUMBER,
        LEN,
        CAP_LEN,
        TIME,
        INTERFACE,
        ORIGIN,
        COMMENT,
        PROTOCOLS,
        LINK_TYPE,
        TRUNCATED,
    ),
)
registry.EXTRA = (FRAME,)

_IPV6_EXTENSIONS = {0: "ipv6.hopopts", 43: "ipv6.routing", 44: "ipv6.fraghdr", 60: "ipv6.dstopts"}
SPECIAL_PROTOCOLS = ("frame", "malformed", "_ws.malformed", "_ws.expert")


class Frame:
    """A frame's layers and what they hold; see the module docstring."""

    __slots__ = (
        "data",
        "link_type",
        "layers",
        "number",
        "time",
        "wire_length",
        "comments",
        "segment",
        "origin",
        "bound",
        "source",
        "ns",
        "_meta",
        "_all",
    )

    def __init__(
        self,
        data: bytes,
        link_type: int = 1,
        *,
        number: int = 0,
        time: float = 0.0,
        wire_length: int | None = None,
        comments: tuple[str, ...] = (),
        segment: str = "",
        origin: str = "",
        bound: tuple | None = None,
        source: str = "",
        ns: int | None = None,
        first: Protocol | None = None,
    ) -> None:
        self.data = data = bytes(data)
        self.ns = ns  # the stamp in nanoseconds, exact, when the reader has it (`time` is a float)
        self.link_type = link_type
        self.number = number
        self.time = time
        self.wire_length = max(wire_length or 0, len(data))
        self.comments = tuple(comments)
        self.segment = segment
        self.origin = origin
        self._meta: Layer | None = None
        self._all: list[Layer] | None = None
        self.layers: list[Layer] = []
        # `bound`: the bytes are not a frame but what a protocol carries, bound as it says
        # (("tcp.port", (80, 40000)): a message reassembled from several segments)
        self.bound = bound
        # what Wireshark calls these bytes when its layers are shown in another frame's tree
        # (a byte tab: "Reassembled TCP", "Reassembled IPv4"); "" for a frame's own
        self.source = source
        # `first`: the protocol the bytes are, whatever the tables say (a continuation)
        self._walk(bound or ("link_type", link_type), 0, len(data), self.layers, first)

    def release(self) -> None:
        """Let go of the layers: each names its frame, and the cycle would otherwise wait
        for Python's cycle collector, whose passes over a million frames' layers cost more
        than the layers. The frame is not to be read afterwards."""
        self.layers = []
        self._all = self._meta = None

    # --- the chain ----------------------------------------------------------------------

    def _walk(
        self, key, start: int, end: int, into: list[Layer], protocol: Protocol | None = None
    ) -> None:
        data = self.data
        protocol = protocol or registry.lookup(key, data, start, end)
        if protocol is None:
            if start < end or key[0] == "link_type":
                layer = Layer(DATA, self, start, end)
                layer.state["key"] = key
                layer.header_end = end
                into.append(layer)
            return
        while True:
            layer = Layer(protocol, self, start, end)
            into.append(layer)
            try:
                protocol.walk(layer)
            except Stop as stop:
                layer.error = stop
                return
            except (IndexError, ValueError) as exc:  # lenient: a bug or odd bytes end the chain
                layer.error = Stop("", start, f"cannot read: {exc}")
                return
            key = layer.next
            if key is None or layer.header_end >= layer.end:
                return
            if (
                key[0] in ("tcp.port", "udp.port")
                and self.wire_length > len(data)  # `truncated_at`, asked of every TCP and UDP layer
                and layer.end >= len(data)
            ):
                # As Wireshark: the payload is dissected as far as its bytes go and marked, but
                # the columns stay the carrier's, with a note.
                layer.state["payload_cut"] = True
            start, end = layer.header_end, layer.end
            protocol = registry.lookup(key, data, start, end)
            if protocol is None:
                if key[0] == "tcp.port" and registry.bound(key):
                    # Wireshark's dissector on the port (HTTP's 80) takes any bytes, and
                    # shows nothing for what it cannot read as a message: tcp.payload alone
                    return
                rest = Layer(DATA, self, start, end)
                rest.state["key"] = key
                into.append(rest)
                return

    def replace_above(self, name: str, layers: list[Layer] | tuple = ()) -> None:
        """Put `layers` in place of the chain above the first `name` layer: nothing, when
        Wireshark gives the layers above it nothing (a TCP retransmission's seen bytes, a
        segment of a longer message), or a message reassembled from several segments."""
        for i, layer in enumerate(self.layers):
            if layer.protocol.name == name:
                self.layers[i + 1 :] = layers
                self._all = None
                return

    def walk_above(self, name: str, protocol: Protocol) -> None:
        """Dissect the payload of the first `name` layer as `protocol`, in place of what the
        tables found there (bytes a port's dissector reads once the frames before say how)."""
        for i, layer in enumerate(self.layers):
            if layer.protocol.name == name:
                del self.layers[i + 1 :]
                if layer.header_end < layer.end:
                    self._walk(layer.next, layer.header_end, layer.end, self.layers, protocol)
                self._all = None
                return

    def quote(self, layer: Layer, start: int, end: int, key) -> None:
        """Dissect bytes quoted inside `layer` (an ICMP error's datagram) as its inner layers."""
        layer.inner = []
        self._walk(key, start, end, layer.inner)
        self._all = None

    def truncated_at(self, at: int) -> bool:
        """True if the capture kept fewer bytes than the wire carried and `at` is past them."""
        return self.wire_length > len(self.data) and at >= len(self.data)

    def layer_before(self, layer: Layer) -> Layer | None:
        layers = self.layers
        if layers and layers[-1] is layer:  # a layer being walked asks: it is the last so far
            return layers[-2] if len(layers) > 1 else None
        for i, other in enumerate(layers):  # the chain itself first: nearly always there
            if other is layer:
                return layers[i - 1] if i else None
        for chain in self._chains():
            for i, other in enumerate(chain):
                if other is layer:
                    return chain[i - 1] if i else None
        return None

    def layer_after(self, layer: Layer) -> Layer | None:
        for chain in self._chains():
            for i, other in enumerate(chain):
                if other is layer:
                    return chain[i + 1] if i + 1 < len(chain) else None
        return None

    def _chains(self):
        yield self.layers
        for layer in self.layers:
            if layer.inner:
                yield layer.inner

    # --- what a filter asks -------------------------------------------------------------

    def all_layers(self) -> list[Layer]:
        """The chain's layers and the layers quoted inside them."""
        if self._all is None:
            out = []
            for layer in self.layers:
                out.append(layer)
                if layer.inner:
                    out.extend(layer.inner)
            self._all = out
        return self._all

    def has(self, protocol: str) -> bool:
        if protocol == "frame":
            return True
        if protocol in ("malformed", "_ws.malformed"):
            return self.error is not None and self.error.kind == "malformed"
        if protocol == "_ws.expert":
            return self.error is not None
        if protocol == "data":
            return "data" in self.protocol_names()
        for layer in self.layers:  # `all_layers` without making its list: asked of every frame
            if layer.protocol.name == protocol:
                return True
            if layer.inner:
                for inner in layer.inner:
                    if inner.protocol.name == protocol:
                        return True
        return False

    def values(self, name: str) -> tuple:
        """The values of field `name` in this frame, in the tree's order (empty: not there)."""
        if name.startswith("frame."):
            return tuple(self.meta().index().get(name, ()))
        out: list = []
        for layer in self.all_layers():
            if name in layer.protocol.names:
                out.extend(layer.values(name))
        return tuple(out)

    def fields(self) -> dict[str, tuple]:
        """Every field of the frame: filter name → its values, in the tree's order."""
        out: dict[str, list] = {}
        for layer in (self.meta(), *self.all_layers()):
            for name, values in layer.index().items():
                out.setdefault(name, []).extend(values)
        return {name: tuple(values) for name, values in out.items()}

    @property
    def error(self) -> Stop | None:
        for layer in self.layers:
            if layer.error is not None:
                return layer.error
        return None

    def protocol_names(self) -> list[str]:
        """The protocols Wireshark lists for the frame (eth, ip, tcp, http …), ethertype aside:
        IPv6's extension headers by their own names."""
        names = []
        for layer in self.layers:
            name = layer.protocol.name
            names.append(name)
            if name == "ipv6":
                names.extend(
                    _IPV6_EXTENSIONS[nh]
                    for nh, _at, _size in layer.state.get("exts", ())
                    if nh in _IPV6_EXTENSIONS
                )
        return names

    def protocols(self) -> str:
        """`frame.protocols`: eth:ethertype:ip:udp:dns, as Wireshark lists them."""
        names = []
        # a GRE tunnel's cooked header hands its payload on by GRE's table, not an ethertype
        gre = any(layer.state.get("gre") for layer in self.layers)
        for name in self.protocol_names():
            names.append(name)
            if name == "eth" or (name == "sll" and not gre):
                names.append("ethertype")
            elif name == "igmp":  # Wireshark's IGMP hands each version to a dissector of that name
                names.append("igmp")
        return ":".join(names)

    def meta(self) -> Layer:
        """The frame pseudo-layer: number, lengths, time, interface, comments."""
        if self._meta is None:
            layer = Layer(FRAME, self, 0, len(self.data))
            items: list = []
            layer._items = items
            size = len(self.data)
            for c in self.comments:
                layer.add(items, COMMENT, 0, 0, c, text=f"Comment: {c}")
            if self.segment:
                layer.add(
                    items, INTERFACE, 0, 0, self.segment, text=f"Interface name: {self.segment}"
                )
            if self.link_type != 1:
                layer.add(items, LINK_TYPE, 0, 0, ENCAPSULATIONS.get(self.link_type, -1))
            layer.add(items, NUMBER, 0, 0, self.number)
            layer.add(items, TIME, 0, 0, self.time, text=f"Time: {self.time:.6f} s")
            layer.add(
                items,
                LEN,
                0,
                0,
                self.wire_length,
                text=f"Frame Length: {self.wire_length} bytes ({self.wire_length * 8} bits)",
            )
            layer.add(
                items, CAP_LEN, 0, 0, size, text=f"Capture Length: {size} bytes ({size * 8} bits)"
            )
            if self.wire_length > size:
                layer.add(
                    items,
                    TRUNCATED,
                    0,
                    0,
                    None,
                    text=f"[Packet size limited during capture: {self.wire_length - size} bytes not kept]",
                )
            if self.origin:
                layer.add(items, ORIGIN, 0, 0, self.origin, text=f"Sent by: {self.origin}")
            layer.add(
                items,
                PROTOCOLS,
                0,
                0,
                self.protocols(),
                text=f"[Protocols in frame: {self.protocols()}]",
            )
            self._meta = layer
        return self._meta

    # --- the packet list ----------------------------------------------------------------

    def row(self, *, check: bool = True) -> Row:
        """Protocol, Source, Destination and Info as Wireshark's columns, and the colour rule.
        With `check`, a wrong checksum colours the row "bad-checksum"."""
        layers = self.layers
        source = destination = ""
        for layer in reversed(layers):  # the innermost layer that names both ends
            pair = layer.protocol.addresses
            if pair is None or layer.error is not None:
                continue
            src = layer.address_text(pair[0]) if pair[0] else None
            if src is None:
                continue
            dst = layer.address_text(pair[1]) if pair[1] else None
            source, destination = src, dst if dst is not None else ""
            break
        cut = None  # the first layer whose payload the capture cut short (snaplen)
        for layer in layers:
            stop = layer.error
            if stop is None:
                if cut is None and layer.state.get("payload_cut"):
                    cut = layer
                continue
            column = layer.column or layer.protocol.short
            at = layers.index(layer)
            if not layer.protocol.columns and at and stop.kind == "malformed":
                # the columns are the layer's below, and Wireshark's note ends its Info
                below = layers[at - 1]
                column = below.column or below.protocol.short
                return Row(
                    column,
                    source,
                    destination,
                    _safe_info(below) + "[Malformed Packet]",
                    "malformed",
                )
            if stop.kind == "truncated":
                info = _info_below(layers, layer)
                return Row(
                    column,
                    source,
                    destination,
                    f"{info} [Packet size limited during capture]".strip(),
                    layer.state.get("colour", layer.protocol.colour),
                )
            return Row(
                column,
                source,
                destination,
                f"[Malformed Packet: {' '.join(filter(None, (column, stop.field)))} at frame byte {stop.at}: {stop.problem}]",
                "malformed",
            )
        top = layers[-1] if layers else None
        if top is None:
            return Row("Frame", source, destination, "", "other")
        if not top.protocol.columns and len(layers) > 1:
            top = layers[-2]
        if cut is not None:
            top = cut
            return Row(
                top.column or top.protocol.short,
                source,
                destination,
                _safe_info(top) + "[Packet size limited during capture]",
                top.state.get("colour", top.protocol.colour),
            )
        if top.protocol is DATA:
            column = registry.column_for(top.state.get("key"))
            below = layers[-2] if len(layers) > 1 else None
            if column is None and below is not None:
                top = below
                if not top.protocol.columns and len(layers) > 2:
                    top = layers[-3]
            else:
                info = _safe_info(below) if below is not None else ""
                if (
                    below is not None
                    and top.state.get("key", ("",))[0] == "ip.proto"
                    and "protocol" in info
                ):
                    info += ", not declared (scapy shows it in the tree)"
                return Row(column or "Data", source, destination, info, "other")
        kind = top.state.get("colour", top.protocol.colour)
        if check and self.checksums_bad():
            kind = "bad-checksum"
        return Row(top.column or top.protocol.short, source, destination, _safe_info(top), kind)

    def checksums_bad(self) -> bool:
        """True if any checksum the model verifies is wrong (each protocol's `checksum`)."""
        for layer in self.layers:
            check = layer.protocol.checksum
            if check is not None and layer.error is None:
                try:
                    if check(layer) == 0:
                        return True
                except Stop:
                    continue
        return False


def _safe_info(layer: Layer) -> str:
    info = layer.protocol.info
    if info is None:
        return ""
    try:
        return info(layer)
    except Stop as stop:
        return f"[Malformed Packet: {stop.problem}]"
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        return f"[cannot summarise: {exc}]"


def _info_below(layers: list[Layer], broken: Layer) -> str:
    for layer in reversed(layers[: layers.index(broken)]):
        if layer.protocol.info is not None:
            return _safe_info(layer)
    return ""


def dissect_frame(data: bytes, link_type: int = 1, **meta) -> Frame:
    """The frame's layers (see `Frame`); never raises on any bytes."""
    return Frame(data, link_type, **meta)


def dissect_record(record) -> Frame:
    """`dissect_frame` for a FrameRecord-like object (see the module docstring)."""
    return Frame(
        record.data,
        getattr(record, "link_type", 1),
        number=record.id,
        time=record.time,
        wire_length=getattr(record, "wire_length", None),
        comments=tuple(getattr(record, "comments", ()) or ()),
        segment=getattr(record, "segment", "") or "",
        origin=getattr(record, "origin", "") or "",
    )


def fields_of(record) -> dict[str, tuple]:
    """Every field of a record's frame by filter name (the display filter's view)."""
    return dissect_record(record).fields()


def row_of(record, *, check: bool = True) -> Row:
    """The packet-list row of a record's frame."""
    return dissect_record(record).row(check=check)
