"""Scapy layers to field nodes with exact bit positions: the dissector's fallback for layers
the protocol model (`stack.proto`) does not declare.

Scapy dissects a frame into layers but does not say which bytes each field came from
(`build_ps()` gives most bit fields no width and packet-list children none at all). So after
scapy has dissected, each layer's `fields_desc` is walked again with `getfield` over the bytes
that layer consumed, and what each call consumed is noted — in bits, because bit fields hand
the rest back as `(bytes, bits already used)`. Fields that hold packets (DNS questions and
records, IP options) are walked recursively; TCP and DHCP options, which scapy keeps as plain
lists, are split by their type-length-value bytes. A layer scapy could not dissect (it falls
back to Raw) is walked field by field until the bytes run out, which is where it stopped.

Imported only by `workbench.dissect.tree` when a frame holds an undeclared layer: it imports scapy.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import scapy.layers.dhcp  # noqa: F401  (binds UDP 67/68)
import scapy.layers.dns  # noqa: F401  (binds UDP/TCP 53)
import scapy.layers.inet  # noqa: F401
import scapy.layers.l2  # noqa: F401
from scapy.config import conf
from scapy.fields import FlagValue
from scapy.packet import NoPayload, Packet, Padding, Raw

from workbench.dissect.nodes import FIELD, LAYER, MALFORMED, FieldNode

try:  # scapy's HTTP layer is optional (it needs nothing else, but older scapy lacks it)
    import scapy.layers.http as _http

    HTTP_CLASSES: tuple[type, ...] = (_http.HTTPRequest, _http.HTTPResponse)
    HTTP_WRAPPER: type | None = _http.HTTP
except ImportError:  # pragma: no cover
    HTTP_CLASSES, HTTP_WRAPPER = (), None

MAX_DEPTH = 8  # packets inside packets; DNS records are 2 deep, ICMP errors 3

# Scapy logs what it finds odd ("DNS decompression loop detected") to stderr, which would
# scribble over a full-screen app. While this module dissects, its records are dropped; the
# frame's own malformed lines say the same thing where it belongs.
_quiet = threading.local()


class _WhileDissecting(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_quiet, "on", False)


for _name in ("scapy.runtime", "scapy.loading", "scapy.interactive"):
    logging.getLogger(_name).addFilter(_WhileDissecting())


@contextmanager
def quiet():
    before = getattr(_quiet, "on", False)
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = before


class Stopped(Exception):
    """A field could not be read: the layer is malformed from `bit` on."""

    def __init__(self, layer: str, field: str, bit: int, problem: str) -> None:
        super().__init__(f"{layer}: {field}: {problem}")
        self.layer, self.field, self.bit, self.problem = layer, field, bit, problem


def frame_layers(data: bytes, link_type: int = 1) -> tuple[list[FieldNode], Stopped | None]:
    """Dissect a frame (Ethernet, or Linux cooked SLL/SLL2) with scapy: a node per layer."""
    ether = {
        113: scapy.layers.l2.CookedLinux,
        276: getattr(scapy.layers.l2, "CookedLinuxV2", scapy.layers.l2.Ether),
    }.get(link_type, scapy.layers.l2.Ether)
    with quiet():
        try:
            packet = ether(data)
        except Exception:  # noqa: BLE001 — shorter than an Ethernet header, or worse
            node, stop = partial_layer(ether, data, 0, None)
            return [node], stop
        return chain_nodes(packet, data, 0, 0)


def chain_nodes(
    packet: Packet, data: bytes, base: int, depth: int
) -> tuple[list[FieldNode], Stopped | None]:
    """Nodes for `packet` and every payload layer under it, laid over `data` from bit `base`."""
    nodes: list[FieldNode] = []
    offset = 0  # bytes into data
    layer: Packet = packet
    while not isinstance(layer, NoPayload):
        if HTTP_WRAPPER is not None and type(layer) is HTTP_WRAPPER:
            layer = layer.payload  # scapy's empty HTTP shim: its payload is the message
            continue
        size = _layer_size(layer, len(data) - offset)
        chunk = data[offset : offset + size]
        at = base + offset * 8
        if isinstance(layer, Raw) and not isinstance(layer, Padding):
            expected = _expected_class(layer)
            if expected is not None:  # scapy wanted a layer here and could not dissect it
                node, stop = partial_layer(expected, chunk, at, layer.underlayer)
                nodes.append(node)
                return nodes, stop
        if isinstance(layer, HTTP_CLASSES):
            node = http_node(layer, chunk, at)
        else:
            node = FieldNode(_layer_label(layer), at, at + size * 8, LAYER, layer.name)
            node.children, _used, stop = field_nodes(layer, chunk, at, depth)
            if stop is not None:
                node.children.append(_malformed_node(stop, at + size * 8))
                nodes.append(node)
                return nodes, stop
        nodes.append(node)
        offset += size
        layer = layer.payload
    return nodes, None


def partial_layer(
    cls: type, chunk: bytes, at: int, underlayer: Packet | None
) -> tuple[FieldNode, Stopped]:
    """The fields of a `cls` layer that `chunk` does hold, then where and why it stops."""
    try:
        layer = cls(_internal=1, _underlayer=underlayer) if underlayer is not None else cls()
    except Exception as exc:  # noqa: BLE001
        stop = Stopped(
            getattr(cls, "name", cls.__name__), "", at, f"cannot build an empty layer ({exc})"
        )
        node = FieldNode(
            f"{stop.layer} [Malformed Packet]", at, at + len(chunk) * 8, LAYER, stop.layer
        )
        node.children.append(_malformed_node(stop, at + len(chunk) * 8))
        return node, stop
    children, _used, stop = field_nodes(layer, chunk, at, 0, assign=True)
    if stop is None:  # every field read, yet scapy gave up (a post_dissect check, say)
        stop = Stopped(layer.name, "", at + _used, "scapy could not dissect this layer")
    node = FieldNode(f"{layer.name} [Malformed Packet]", at, at + len(chunk) * 8, LAYER, layer.name)
    node.children = children
    node.children.append(_malformed_node(stop, at + len(chunk) * 8))
    return node, stop


def field_nodes(
    layer: Packet, chunk: bytes, base: int, depth: int, *, assign: bool = False
) -> tuple[list[FieldNode], int, Stopped | None]:
    """Walk `layer.fields_desc` over `chunk` as `Packet.do_dissect` does, noting each field's bits.

    Returns the nodes, the bits consumed and, if a field could not be read, why. With
    `assign`, each value read is stored on `layer` so that later fields' lengths and
    conditions (which read earlier fields) work on a layer built empty.
    """
    nodes: list[FieldNode] = []
    total = len(chunk)
    remain: bytes | tuple[bytes, int] = chunk
    pos = 0
    for fld in layer.fields_desc:
        try:
            after, value = fld.getfield(layer, remain)
        except Exception as exc:  # noqa: BLE001 — scapy raises struct.error, IndexError, ...
            return (
                nodes,
                pos,
                Stopped(layer.name, fld.name, base + pos, _problem(exc, total - pos // 8)),
            )
        end = _bit_position(total, after)
        if (fld.isconditional and value is None) or (end == pos and value in (b"", [], "", None)):
            remain, pos = after, end  # absent: an unused conditional, or an empty list or string
            continue
        if assign:
            layer.fields[fld.name] = value
        node = FieldNode(_field_label(layer, fld, value), base + pos, base + end, FIELD, fld.name)
        if depth < MAX_DEPTH:
            node.children = _field_children(layer, fld, value, chunk, base, pos, end, depth)
        if node.start % 8 or node.end % 8:
            node.label = f"{_bit_pattern(chunk, pos, end)} = {node.label}"
        nodes.append(node)
        remain, pos = after, end
        if not _rest(after) and (
            fld.ismayend or (fld.isconditional and getattr(fld, "fld", fld).ismayend)
        ):
            break
    return nodes, pos, None


def _field_children(
    layer, fld, value, chunk: bytes, base: int, start: int, end: int, depth: int
) -> list[FieldNode]:
    if getattr(fld, "holds_packets", False):
        packets = value if isinstance(value, list) else [value]
        return _packet_children(
            [p for p in packets if isinstance(p, Packet)],
            chunk[start // 8 : end // 8],
            base + start,
            depth,
        )
    if start % 8 == 0 and isinstance(value, list) and layer.name in ("TCP", "DHCP options"):
        return _tlv_children(
            value, chunk[start // 8 : end // 8], base + start, tcp=layer.name == "TCP"
        )
    return []


def _packet_children(packets: list[Packet], chunk: bytes, base: int, depth: int) -> list[FieldNode]:
    """One node per packet in a packet-holding field (a DNS question, an IP option, ...)."""
    out: list[FieldNode] = []
    offset = 0
    for packet in packets:
        at = base + offset * 8
        nodes, stop = chain_nodes(packet, chunk[offset:], at, depth + 1)
        if not nodes:
            continue
        used = max(n.end for n in nodes) - at
        if len(nodes) == 1:
            node = nodes[0]
        else:  # a packet with payload layers of its own: keep them under the first
            node = FieldNode(nodes[0].label, at, at + used, LAYER, nodes[0].name, nodes)
        out.append(node)
        offset += used // 8
        if stop is not None or offset >= len(chunk):
            break
    return out


def _tlv_children(options: list, chunk: bytes, base: int, *, tcp: bool) -> list[FieldNode]:
    """Split TCP options (RFC 9293 §3.1) or DHCP options (RFC 2132 §2) by their kind/length bytes."""
    out: list[FieldNode] = []
    i = 0
    values = iter(options)
    end_kind, pad_kind = (0, 1) if tcp else (255, 0)
    while i < len(chunk):
        kind = chunk[i]
        if kind in (end_kind, pad_kind):
            width = 1
        elif i + 1 < len(chunk):
            width = chunk[i + 1] if tcp else chunk[i + 1] + 2
            width = max(width, 2)
        else:
            width = len(chunk) - i
        width = min(width, len(chunk) - i)
        value = next(values, None)
        label = _option_label(value, kind, tcp)
        out.append(FieldNode(label, base + i * 8, base + (i + width) * 8, FIELD, f"option {kind}"))
        if kind == end_kind:
            if i + 1 < len(chunk):
                out.append(
                    FieldNode(
                        f"padding: {len(chunk) - i - 1} bytes",
                        base + (i + 1) * 8,
                        base + len(chunk) * 8,
                        FIELD,
                        "padding",
                    )
                )
            break
        i += width
    return out


def _option_label(value, kind: int, tcp: bool) -> str:
    if isinstance(value, tuple) and value:
        name, *rest = value
        if name == "message-type" and rest and isinstance(rest[0], int):
            return f"{name}: {rest[0]} ({_DHCP_TYPES.get(rest[0], 'unknown')})"
        shown = ", ".join(_short_repr(v) for v in rest if v is not None)
        return f"{name}: {shown}" if shown else str(name)
    if isinstance(value, str):  # DHCP: "end", "pad"
        return value
    return f"option {kind}" if tcp else f"option {kind}"


def http_node(layer: Packet, chunk: bytes, at: int) -> FieldNode:
    """HTTP has no fixed fields: one node per line of the head (as Wireshark shows it), then the body."""
    first = chunk.split(b"\r\n", 1)[0].decode("latin-1")
    node = FieldNode(
        f"Hypertext Transfer Protocol: {first}", at, at + len(chunk) * 8, LAYER, layer.name
    )
    head_end = chunk.find(b"\r\n\r\n")
    head = chunk if head_end < 0 else chunk[: head_end + 2]
    offset = 0
    for number, line in enumerate(head.split(b"\r\n")):
        if offset >= len(head):
            break
        width = len(line) + 2 if offset + len(line) < len(head) else len(line)
        text = line.decode("latin-1")
        name = "start line" if number == 0 else text.partition(":")[0].strip()
        child = FieldNode(f"{text}\\r\\n", at + offset * 8, at + (offset + width) * 8, FIELD, name)
        if number == 0:
            child.children = _start_line_parts(line, at + offset * 8, layer)
        node.children.append(child)
        offset += width
    if head_end >= 0:
        node.children.append(
            FieldNode("\\r\\n", at + offset * 8, at + (offset + 2) * 8, FIELD, "end of head")
        )
        offset += 2
        if offset < len(chunk):
            node.children.append(
                FieldNode(
                    f"body: {len(chunk) - offset} bytes",
                    at + offset * 8,
                    at + len(chunk) * 8,
                    FIELD,
                    "body",
                )
            )
    return node


def _start_line_parts(line: bytes, at: int, layer: Packet) -> list[FieldNode]:
    names = (
        ("Method", "Path", "Http_Version")
        if isinstance(layer, HTTP_CLASSES[0])
        else ("Http_Version", "Status_Code", "Reason_Phrase")
    )
    out, offset = [], 0
    for name, part in zip(names, line.split(b" ", 2), strict=False):
        out.append(
            FieldNode(
                f"{name}: {part.decode('latin-1')}",
                at + offset * 8,
                at + (offset + len(part)) * 8,
                FIELD,
                name,
            )
        )
        offset += len(part) + 1
    return out


# --- small helpers ---------------------------------------------------------------------------


def _layer_size(layer: Packet, available: int) -> int:
    """Bytes `layer` itself consumed (its header, or all of it for Raw and Padding)."""
    cache = layer.raw_packet_cache
    if cache is not None:
        return min(len(cache), available)
    payload = layer.payload
    if isinstance(payload, NoPayload):
        return available
    try:
        return max(0, min(available, len(layer) - len(payload)))
    except Exception:  # noqa: BLE001
        return available


def _expected_class(raw: Raw) -> type | None:
    """The layer scapy's bindings say should be here, when scapy fell back to Raw, else None."""
    under = raw.underlayer
    if under is None:
        return None
    try:
        cls = under.guess_payload_class(raw.load)
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(cls, type) or not issubclass(cls, Packet) or issubclass(cls, Raw):
        return None
    if cls is conf.raw_layer or cls is conf.padding_layer:
        return None
    if HTTP_WRAPPER is not None and issubclass(cls, HTTP_WRAPPER):
        return None  # HTTP dispatches on content; a non-HTTP payload on port 80 is just data
    return cls


def _bit_position(total: int, remain) -> int:
    if isinstance(remain, tuple):
        rest, used = remain
        return (total - len(rest)) * 8 + used
    return (total - len(remain)) * 8


def _rest(remain) -> bytes:
    return remain[0] if isinstance(remain, tuple) else remain


def _problem(exc: Exception, left: int) -> str:
    text = str(exc)
    if "buffer" in text or isinstance(exc, IndexError) or "unpack" in text:
        return f"the bytes end here ({left} left, the field needs more)"
    return text or type(exc).__name__


def _malformed_node(stop: Stopped, end: int) -> FieldNode:
    field = f" at field {stop.field}" if stop.field else ""
    return FieldNode(
        f"[Malformed Packet: {stop.layer}{field}: {stop.problem}]",
        stop.bit,
        max(end, stop.bit),
        MALFORMED,
        "malformed",
    )


_LAYER_NAMES = {
    "Ethernet": "Ethernet II",
    "802.3": "IEEE 802.3 Ethernet",
    "ARP": "Address Resolution Protocol",
    "IP": "Internet Protocol Version 4",
    "IPv6": "Internet Protocol Version 6",
    "ICMP": "Internet Control Message Protocol",
    "UDP": "User Datagram Protocol",
    "TCP": "Transmission Control Protocol",
    "DNS": "Domain Name System",
    "BOOTP": "Bootstrap Protocol",
    "DHCP options": "Dynamic Host Configuration Protocol options",
    "Padding": "Padding",
    "Raw": "Data",
}
# Wireshark's names for TCP's flag bits, lowest first (scapy: F S R P A U E C N)
_TCP_FLAGS = {
    "F": "FIN",
    "S": "SYN",
    "R": "RST",
    "P": "PSH",
    "A": "ACK",
    "U": "URG",
    "E": "ECE",
    "C": "CWR",
    "N": "AE",
}
_DHCP_TYPES = {
    1: "Discover",
    2: "Offer",
    3: "Request",
    4: "Decline",
    5: "ACK",
    6: "NAK",
    7: "Release",
    8: "Inform",
}


def _layer_label(layer: Packet) -> str:
    """Wireshark's line for a layer: "Internet Protocol Version 4, Src: 192.168.1.100, Dst: 8.8.8.8"."""
    try:
        return _wireshark_layer_label(layer)
    except Exception:  # noqa: BLE001 — a field scapy left unset; the plain name will do
        return _LAYER_NAMES.get(layer.name, layer.name)


def _wireshark_layer_label(layer: Packet) -> str:
    name = layer.name
    title = _LAYER_NAMES.get(name, name)
    if name.endswith(" in ICMP"):  # the header an ICMP error quotes
        name = name.removesuffix(" in ICMP")
        title = _LAYER_NAMES.get(name, name) + " (quoted in ICMP)"
    get = layer.getfieldval
    if isinstance(layer, Raw):
        return f"{title}: {len(layer.load)} bytes"
    if name == "Ethernet":
        return f"{title}, Src: {get('src')}, Dst: {get('dst')}"
    if name == "ARP":
        op = {1: "request", 2: "reply"}.get(get("op"))
        return f"{title} ({op})" if op else title
    if name in ("IP", "IPv6"):
        return f"{title}, Src: {get('src')}, Dst: {get('dst')}"
    if name == "UDP":
        return f"{title}, Src Port: {int(get('sport'))}, Dst Port: {int(get('dport'))}"
    if name == "TCP":
        payload = len(layer.payload) if not isinstance(layer.payload, NoPayload) else 0
        return (
            f"{title}, Src Port: {int(get('sport'))}, Dst Port: {int(get('dport'))}, "
            f"Seq: {get('seq')}, Ack: {get('ack')}, Len: {payload}"
        )
    if name == "DNS":
        return f"{title} ({'response' if get('qr') else 'query'})"
    if name == "DNS Question Record":
        return (
            f"{_text(get('qname'))}: type {_enum(layer, 'qtype')}, class {_enum(layer, 'qclass')}"
        )
    if name == "DNS Resource Record":
        rdata = get("rdata")
        shown = ", " + (_text(rdata) if isinstance(rdata, bytes) else str(rdata)) if rdata else ""
        return f"{_text(get('rrname'))}: type {_enum(layer, 'type')}, class {_enum(layer, 'rclass')}{shown}"
    if name == "BOOTP":
        op = {1: "Request", 2: "Reply"}.get(get("op"))
        return f"{title} ({op})" if op else title
    if name == "DHCP options":
        for option in get("options"):
            if isinstance(option, tuple) and option and option[0] == "message-type":
                kind = option[1]
                kind = (
                    _DHCP_TYPES.get(kind, kind) if isinstance(kind, int) else str(kind).capitalize()
                )
                return f"Dynamic Host Configuration Protocol ({kind})"
        return "Dynamic Host Configuration Protocol"
    if name == "ICMP":
        return f"{title} ({_enum(layer, 'type')})"
    return title


def _enum(layer: Packet, field_name: str) -> str:
    fld = layer.get_field(field_name)
    value = layer.getfieldval(field_name)
    shown = fld.i2repr(layer, value)
    return shown if isinstance(shown, str) else str(value)


def _text(value) -> str:
    """Bytes as text when they are printable ASCII (NUL padding dropped), else as hex; never
    Python's b'' repr."""
    if isinstance(value, bytes):
        if value and not value.strip(b"\0"):
            return f"({len(value)} zero bytes)"
        text = value.rstrip(b"\0")
        if text.isascii() and text.decode("ascii").isprintable():
            return text.decode("ascii")
        return value.hex()
    if value is None:
        return ""
    return str(value)


def _field_label(layer: Packet, fld, value) -> str:
    if getattr(fld, "holds_packets", False):
        count = len(value) if isinstance(value, list) else (0 if value is None else 1)
        return f"{fld.name}: {count} item{'s' if count != 1 else ''}"
    try:
        text = _field_value(layer, fld, value)
    except Exception:  # noqa: BLE001
        text = _text(value) if isinstance(value, bytes) else str(value)
    if text in ("b''", "''", "[]"):
        text = "(empty)"
    elif not text:
        text = "(none)"
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{fld.name}: {text}"


def _field_value(layer: Packet, fld, value) -> str:
    """Numbers first, names after in parentheses (`53 (domain)`, `0x018 (PSH, ACK)`); bytes as
    text or hex."""
    if isinstance(value, bytes):
        if fld.name == "chaddr" and layer.getfieldval("hlen") == 6 and len(value) >= 6:
            rest = value[6:]  # BOOTP's client hardware address: a MAC, then padding
            mac = ":".join(f"{b:02x}" for b in value[:6])
            return mac if not rest.strip(b"\0") else f"{mac} + {rest.hex()}"
        return _text(value) if value else ""
    names = getattr(fld, "names", None)
    if isinstance(value, (int, FlagValue)) and isinstance(names, (list, str)):
        return _flags(layer, fld, int(value), names)  # a FlagsField
    shown = fld.i2repr(layer, value)
    if isinstance(shown, bytes):
        return _text(shown)
    text = shown if isinstance(shown, str) else repr(shown)
    if isinstance(value, int) and not isinstance(value, bool) and text != str(value):
        if text.startswith("0x") or text.lstrip("-").isdigit():
            return text  # a hex field (a checksum, an id): already a number
        number = _hex(fld, value) if type(fld).__name__.startswith("X") else str(value)
        return f"{number} ({text})"
    if isinstance(value, list):
        return ", ".join(_short_repr(v) for v in value)
    return text


def _hex(fld, value: int) -> str:
    size = getattr(fld, "sz", 0)
    return f"0x{value:0{2 * size}x}" if size else f"0x{value:x}"


def _flags(layer: Packet, fld, value: int, names) -> str:
    size = abs(getattr(fld, "size", 0) or 8)
    number = f"0x{value:0{(size + 3) // 4}x}"
    if not value:
        return number
    tcp = layer.name == "TCP"
    set_names = []
    for bit, flag in enumerate(names):
        if value >> bit & 1:
            set_names.append(_TCP_FLAGS.get(flag, flag) if tcp else flag)
    return f"{number} ({', '.join(set_names)})"


def _short_repr(value) -> str:
    if isinstance(value, bytes):
        text = _text(value)
    elif isinstance(value, tuple):
        text = " ".join(_short_repr(v) for v in value if v is not None)
    elif value is None:
        text = ""
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bit_pattern(chunk: bytes, start: int, end: int) -> str:
    """Wireshark's picture of a bit field: its bits shown, the others dots ("010. ...." for DF)."""
    first, last = start // 8, (end + 7) // 8
    bits = []
    for i in range(first * 8, last * 8):
        if start <= i < end and i // 8 < len(chunk):
            bits.append("1" if chunk[i // 8] >> (7 - i % 8) & 1 else "0")
        else:
            bits.append(".")
    groups = ["".join(bits[i : i + 4]) for i in range(0, len(bits), 4)]
    return " ".join(groups)
