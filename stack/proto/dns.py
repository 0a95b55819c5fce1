"""DNS (RFC 1035) over UDP and TCP port 53, and mDNS (5353) and LLMNR (5355), declared once.

Names are read with `stack.wire.dns`'s name reader (compression pointers must point back);
a name or record that does not read ends the layer as malformed where it stops. Over TCP the
message follows its two-byte length (RFC 1035 §4.2.2).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from stack.proto.model import (
    BOOL,
    BYTES,
    HEX,
    IPV4,
    IPV6,
    NONE,
    STRING,
    Field,
    Layer,
    Protocol,
    Stop,
)
from stack.wire import dns as wire
from stack.wire.errors import WireError

TYPE_TEXT = {
    1: "A (Host Address)",
    2: "NS (authoritative Name Server)",
    5: "CNAME (Canonical NAME for an alias)",
    6: "SOA (Start Of a zone of Authority)",
    12: "PTR (domain name PoinTeR)",
    13: "HINFO (host information)",
    15: "MX (Mail eXchange)",
    16: "TXT (Text strings)",
    28: "AAAA (IPv6 Address)",
    33: "SRV (Server Selection)",
    41: "OPT",
    65: "HTTPS (HTTPS Specific Service Endpoints)",
    64: "SVCB (General Purpose Service Endpoints)",
    255: "* (A request for all records the server/cache has available)",
}
CLASSES = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
OPCODES = {
    0: "Standard query",
    1: "Inverse query",
    2: "Server status request",
    4: "Zone change notification",
    5: "Dynamic update",
}
RCODES = {
    0: "No error",
    1: "Format error",
    2: "Server failure",
    3: "No such name",
    4: "Not implemented",
    5: "Refused",
}

LENGTH = Field("dns.length", "Length")
ID = Field("dns.id", "Transaction ID", base=HEX, at=0, size=2)
FLAGS = Field("dns.flags", "Flags", base=HEX, at=2, size=2)
_FLAG_BITS = (
    (0x8000, "response", "Response", {0: "Message is a query", 1: "Message is a response"}),
    (0x7800, "opcode", "Opcode", None),
    (
        0x0400,
        "authoritative",
        "Authoritative",
        {0: "Server is not an authority for domain", 1: "Server is an authority for domain"},
    ),
    (0x0200, "truncated", "Truncated", {0: "Message is not truncated", 1: "Message is truncated"}),
    (
        0x0100,
        "recdesired",
        "Recursion desired",
        {0: "Don't do query recursively", 1: "Do query recursively"},
    ),
    (
        0x0080,
        "recavail",
        "Recursion available",
        {0: "Server can't do recursive queries", 1: "Server can do recursive queries"},
    ),
    (0x0040, "z", "Z", {0: "reserved (0)", 1: "reserved (1)"}),
    (
        0x0020,
        "authenticated",
        "Answer authenticated",
        {
            0: "Answer/authority portion was not authenticated by the server",
            1: "Answer/authority portion was authenticated by the server",
        },
    ),
    (0x0010, "checkdisable", "Non-authenticated data", {0: "Unacceptable", 1: "Acceptable"}),
    (0x000F, "rcode", "Reply code", None),
)
_RESPONSE_ONLY = ("authoritative", "recavail", "authenticated", "rcode")  # shown in responses only
FLAG_FIELDS = {
    suffix: Field(
        f"dns.flags.{suffix}",
        label,
        UINT_OR_BOOL,
        at=2,
        size=2,
        mask=mask,
        sub=True,
        enum=enum,
        direct=suffix not in _RESPONSE_ONLY,
    )
    for mask, suffix, label, enum in _FLAG_BITS
    for UINT_OR_BOOL in (("uint" if suffix in ("opcode", "rcode") else BOOL),)
}
FLAG_FIELDS["opcode"] = Field(
    "dns.flags.opcode", "Opcode", at=2, size=2, mask=0x7800, sub=True, enum=OPCODES
)
FLAG_FIELDS["rcode"] = Field(
    "dns.flags.rcode", "Reply code", at=2, size=2, mask=0x000F, sub=True, enum=RCODES, direct=False
)
# in a query the same bit asks for authenticated data (RFC 6840 §5.7), and tshark says so
AD_ASKED = Field(
    "dns.flags.authenticated", "AD bit", BOOL, at=2, size=2, mask=0x0020, sub=True, direct=False
)
QUERIES = Field("dns.count.queries", "Questions", at=4, size=2)
ANSWERS = Field("dns.count.answers", "Answer RRs", at=6, size=2)
AUTH = Field("dns.count.auth_rr", "Authority RRs", at=8, size=2)
ADD = Field("dns.count.add_rr", "Additional RRs", at=10, size=2)
SECTION = Field("dns.section", "Section", NONE, filterable=False)
QRY = Field("dns.qry", "Query", NONE, filterable=False)
QRY_NAME = Field("dns.qry.name", "Name", STRING)
QRY_NAME_LEN = Field("dns.qry.name.len", "Name Length", generated=True)
LABELS = Field("dns.count.labels", "Label Count", generated=True)
QRY_TYPE = Field(
    "dns.qry.type", "Type", text=lambda v: f"{TYPE_TEXT.get(v, wire.type_name(v))} ({v})"
)
QRY_CLASS = Field(
    "dns.qry.class",
    "Class",
    base=HEX,
    size=2,
    text=lambda v: f"{CLASSES.get(v & 0x7FFF, 'Unknown')} (0x{v:04x})",
)
RR = Field("dns.resp", "Record", NONE, filterable=False)
RESP_NAME = Field("dns.resp.name", "Name", STRING)
RESP_TYPE = Field("dns.resp.type", "Type", text=QRY_TYPE.text)
RESP_CLASS = Field("dns.resp.class", "Class", base=HEX, size=2, text=QRY_CLASS.text)
RESP_TTL = Field("dns.resp.ttl", "Time to live")
# An OPT record (RFC 6891 §6.1.2) puts other things where class and TTL are, as tshark shows.
UDP_SIZE = Field("dns.rr.udp_payload_size", "UDP payload size")
EXT_RCODE = Field("dns.resp.ext_rcode", "Higher bits in extended RCODE", base=HEX, size=1)
EDNS_VERSION = Field("dns.resp.edns0_version", "EDNS0 version")
EDNS_Z = Field("dns.resp.z", "Z", base=HEX, size=2)
RESP_LEN = Field("dns.resp.len", "Data length")
A = Field("dns.a", "Address", IPV4)
AAAA = Field("dns.aaaa", "AAAA Address", IPV6)
CNAME = Field("dns.cname", "CNAME", STRING)
NS = Field("dns.ns", "Name Server", STRING)
PTR = Field("dns.ptr.domain_name", "Domain Name", STRING)
MX_PREF = Field("dns.mx.preference", "Preference")
MX = Field("dns.mx.mail_exchange", "Mail Exchange", STRING)
TXT = Field("dns.txt", "TXT", STRING)
SOA_MNAME = Field("dns.soa.mname", "Primary name server", STRING)
RDATA = Field("dns.data", "Data", BYTES)
_SECTIONS = (
    ("Answers", "dns.answers"),
    ("Authoritative nameservers", "dns.authority"),
    ("Additional records", "dns.additional"),
)


def _walk(layer: Layer) -> None:
    below = layer.frame.layer_before(layer)
    if below is not None:
        over_tcp = below.protocol.name == "tcp"
    else:  # a message reassembled from TCP segments, bound alone
        over_tcp = layer.frame.bound is not None and layer.frame.bound[0] == "tcp.port"
    if over_tcp:
        layer.need(2, "dns.length")
        size = layer.u16(0)
        layer.state["tcp"] = True
        layer.need(2 + size, "dns")
        layer.end = layer.start + 2 + size
        layer.start += 2  # the message itself; the length field is shown before it
        layer.state["length_at"] = layer.start - 2
    layer.need(12, "dns")
    layer.header_end = layer.end
    if (
        below is not None
        and 5355 in below.state.get("ports", ())
        and 53 not in below.state["ports"]
    ):
        layer.column = "LLMNR"  # same message format (RFC 4795)


def _items(layer: Layer, out: list) -> None:
    if "length_at" in layer.state:
        out.insert(0, Item_len(layer))
    flags_item = next((i for i in out if i.field is FLAGS), None)
    flags = layer.u16(2)
    response = bool(flags & 0x8000)
    if flags_item is not None:
        words = OPCODES.get((flags >> 11) & 0xF, f"Opcode {(flags >> 11) & 0xF}")
        if response:
            words += f" response, {RCODES.get(flags & 0xF, f'Unknown ({flags & 0xF})')}"
        flags_item.text = f"Flags: 0x{flags:04x} {words}"
        shown = (
            (
                "response",
                "opcode",
                "authoritative",
                "truncated",
                "recdesired",
                "recavail",
                "z",
                "authenticated",
                "checkdisable",
                "rcode",
            )
            if response
            else ("response", "opcode", "truncated", "recdesired", "z", "checkdisable")
        )
        flags_item.children = [layer.fixed(FLAG_FIELDS[s]) for s in shown]
        if not response and flags & 0x0020:  # a query's AD bit: shown when set, as tshark
            flags_item.children.insert(-1, layer.fixed(AD_ASKED))
    message = layer.data[layer.start : layer.end]
    counts = [layer.u16(4), layer.u16(6), layer.u16(8), layer.u16(10)]
    pos = 12
    try:
        if counts[0]:
            queries = []
            for _ in range(counts[0]):
                start = pos
                name, pos = wire._read_name(message, pos, len(message))
                if pos + 4 > len(message):
                    raise WireError(
                        "dns", "question", pos, "type and class run past the end of the message"
                    )
                qtype, qclass = (
                    int.from_bytes(message[pos : pos + 2], "big"),
                    int.from_bytes(message[pos + 2 : pos + 4], "big"),
                )
                shown = name or "<Root>"
                children = [
                    layer.add([], QRY_NAME, start, pos - start, shown, text=f"Name: {shown}"),
                    layer.add([], QRY_NAME_LEN, start, pos - start, len(name)),
                    layer.add([], LABELS, start, pos - start, len(name.split(".")) if name else 0),
                    layer.add([], QRY_TYPE, pos, 2, qtype),
                    layer.add([], QRY_CLASS, pos + 2, 2, qclass),
                ]
                pos += 4
                queries.append(
                    layer.add(
                        [],
                        QRY,
                        start,
                        pos - start,
                        None,
                        children=children,
                        text=f"{shown}: type {wire.type_name(qtype)}, class {CLASSES.get(qclass & 0x7FFF, qclass)}",
                    )
                )
            layer.add(out, SECTION, 12, pos - 12, None, children=queries, text="Queries")
        for (title, _name), count in zip(_SECTIONS, counts[1:], strict=True):
            if not count:
                continue
            first, records = pos, []
            for _ in range(count):
                record, pos = _record(layer, message, pos)
                records.append(record)
            layer.add(out, SECTION, first, pos - first, None, children=records, text=title)
    except WireError as error:
        raise Stop(f"dns.{error.field}", layer.start + error.offset, error.problem) from None


def Item_len(layer: Layer):
    at = layer.state["length_at"]
    from stack.proto.model import Item

    return Item(LENGTH, at, 2, layer.end - layer.start)


def _record(layer: Layer, message: bytes, pos: int):
    start = pos
    name, pos = wire._read_name(message, pos, len(message))
    if pos + 10 > len(message):
        raise WireError(
            "dns", "record", pos, "type, class, TTL and length run past the end of the message"
        )
    rtype, rclass = (
        int.from_bytes(message[pos : pos + 2], "big"),
        int.from_bytes(message[pos + 2 : pos + 4], "big"),
    )
    ttl, size = (
        int.from_bytes(message[pos + 4 : pos + 8], "big"),
        int.from_bytes(message[pos + 8 : pos + 10], "big"),
    )
    data_at = pos + 10
    if data_at + size > len(message):
        raise WireError(
            "dns", "rdlength", pos + 8, f"{size} bytes of data run past the end of the message"
        )
    shown = name or "<Root>"
    children = [
        layer.add([], RESP_NAME, start, pos - start, shown, text=f"Name: {shown}"),
        layer.add([], RESP_TYPE, pos, 2, rtype),
    ]
    if rtype == 41:
        children += [
            layer.add([], UDP_SIZE, pos + 2, 2, rclass),
            layer.add([], EXT_RCODE, pos + 4, 1, ttl >> 24),
            layer.add([], EDNS_VERSION, pos + 5, 1, ttl >> 16 & 0xFF),
            layer.add([], EDNS_Z, pos + 6, 2, ttl & 0xFFFF),
        ]
    else:
        children += [
            layer.add([], RESP_CLASS, pos + 2, 2, rclass),
            layer.add([], RESP_TTL, pos + 4, 4, ttl, text=f"Time to live: {ttl}{_ttl_text(ttl)}"),
        ]
    children.append(layer.add([], RESP_LEN, pos + 8, 2, size))
    summary = f"{shown}: type {wire.type_name(rtype)}, class {CLASSES.get(rclass & 0x7FFF, rclass)}"
    end = data_at + size
    if rtype == 1 and size == 4:
        value = IPv4Address(message[data_at:end])
        children.append(layer.add([], A, data_at, 4, value))
        summary += f", addr {value}"
    elif rtype == 28 and size == 16:
        value = IPv6Address(message[data_at:end])
        children.append(layer.add([], AAAA, data_at, 16, value))
        summary += f", addr {value}"
    elif rtype in (2, 5, 12) and size:
        target, _after = wire._read_name(message, data_at, end)
        field = {2: NS, 5: CNAME, 12: PTR}[rtype]
        children.append(
            layer.add([], field, data_at, size, target, text=f"{field.label}: {target or '<Root>'}")
        )
        summary += f", {({2: 'ns', 5: 'cname', 12: 'domain name'})[rtype]} {target or '<Root>'}"
    elif rtype == 15 and size >= 3:
        exchange, _after = wire._read_name(message, data_at + 2, end)
        pref = int.from_bytes(message[data_at : data_at + 2], "big")
        children.append(layer.add([], MX_PREF, data_at, 2, pref))
        children.append(layer.add([], MX, data_at + 2, size - 2, exchange))
        summary += f", preference {pref}, mx {exchange}"
    elif rtype == 16 and size:
        at = data_at
        while at < end:
            n = message[at]
            text = message[at + 1 : at + 1 + n].decode("utf-8", "replace")
            children.append(layer.add([], TXT, at, 1 + n, text))
            at += 1 + n
    elif rtype == 6 and size:
        mname, _after = wire._read_name(message, data_at, end)
        children.append(layer.add([], SOA_MNAME, data_at, 0, mname))
        summary += f", mname {mname}"
    elif size:
        children.append(layer.add([], RDATA, data_at, size, message[data_at:end]))
    return layer.add([], RR, start, end - start, None, children=children, text=summary), end


def _ttl_text(ttl: int) -> str:
    if ttl == 0:
        return " (0 seconds)"
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if ttl >= size:
            n, ttl = divmod(ttl, size)
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return f" ({', '.join(parts)})"


def _summary(layer: Layer) -> str:
    return " (response)" if layer.u16(2) & 0x8000 else " (query)"


# Messages parsed, by their bytes after the ID: the Info and the row's additional records
# (workbench.dissect.capture_state) read the same message one after the other, and a capture
# asks the same questions (and gets the same answers) again and again under new IDs.
_PARSED: dict[bytes, wire.DNS] = {}
_PARSED_MAX = 1024


def parse_message(message: bytes) -> wire.DNS:
    """`stack.wire.dns.DNS.parse`, remembered for messages alike but for the ID: the value's
    `ident` is the first such message's (callers read everything else; it is frozen)."""
    key = bytes(message[2:])
    parsed = _PARSED.get(key)
    if parsed is None or len(message) < 2:
        parsed = wire.DNS.parse(message)  # a refusal is not kept: it raises every time
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = parsed
    return parsed


def _info(layer: Layer) -> str:
    start, data = layer.start, layer.data
    key = data[start + 2 : layer.end]  # `_walk` made sure of the 12-byte header
    parts = _INFO_PARTS.get(key)
    if parts is None:
        parts, alike = _info_parts(layer, data[start : layer.end])
        if alike and len(key) <= _INFO_KEY_MAX:
            if len(_INFO_PARTS) >= _PARSED_MAX:
                _INFO_PARTS.clear()
            _INFO_PARTS[key] = parts
    # %-formatting: the f-string's hex spec costs more, on every DNS row
    return "%s 0x%04x%s" % (parts[0], data[start] << 8 | data[start + 1], parts[1])  # noqa: UP031


# The Info's words before and after the ID, by the message's bytes after the ID: all it says
# but the ID (opcode, response, reply code, questions, answers) is read from those, and a
# capture's messages repeat but for their IDs. Longer messages (zone transfers over TCP) are
# not kept: the memo stays small.
_INFO_PARTS: dict[bytes, tuple[str, str]] = {}
_INFO_KEY_MAX = 1024


def _info_parts(layer: Layer, message: bytes) -> tuple[tuple[str, str], bool]:
    """The Info's text before the ID and after it, and whether it is the same for every
    message alike but for the ID (False: the codec refused it, the questions came from the
    layer's own reading)."""
    flags = message[2] << 8 | message[3]
    head = OPCODES.get((flags >> 11) & 0xF, f"Unknown operation ({(flags >> 11) & 0xF})")
    if flags & 0x8000:
        head += " response"
    words = []
    rcode = flags & 0xF
    if rcode:
        words.append(RCODES.get(rcode, f"Unknown error ({rcode})"))
    try:
        parsed = parse_message(message)
    except WireError:  # the strict codec refuses it: the questions as far as they read
        names = layer.index().get("dns.qry.name", [])
        types = layer.index().get("dns.qry.type", [])
        for name, qtype in zip(names, types, strict=False):
            words.append(f"{wire.type_name(qtype)} {name or '<Root>'}")
        return (head, "".join(" " + word for word in words)), False
    for q in parsed.questions:
        words.append(f"{wire.type_name(q.qtype)} {q.name or '<Root>'}")
    if flags & 0x8000:
        for record in parsed.answers:
            words.append(wire.rdata_text(record))
    return (head, "".join(" " + word for word in words)), True


_FIELDS = (
    LENGTH,
    ID,
    FLAGS,
    QUERIES,
    ANSWERS,
    AUTH,
    ADD,
    *FLAG_FIELDS.values(),
    SECTION,
    QRY,
    QRY_NAME,
    QRY_NAME_LEN,
    LABELS,
    QRY_TYPE,
    QRY_CLASS,
    RR,
    RESP_NAME,
    RESP_TYPE,
    RESP_CLASS,
    RESP_TTL,
    UDP_SIZE,
    EXT_RCODE,
    EDNS_VERSION,
    EDNS_Z,
    RESP_LEN,
    A,
    AAAA,
    CNAME,
    NS,
    PTR,
    MX_PREF,
    MX,
    TXT,
    SOA_MNAME,
    RDATA,
)
PROTOCOL = Protocol(
    "dns",
    "Domain Name System",
    "DNS",
    fields=_FIELDS,
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("udp.port", 53), ("tcp.port", 53), ("udp.port", 5355)),
    colour="dns",
)
MDNS = Protocol(
    "mdns",
    "Multicast Domain Name System",
    "MDNS",
    fields=_FIELDS,
    walk=_walk,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("udp.port", 5353),),
    colour="dns",
)
