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
    6: "DNS Stateful operations (DSO)",  # RFC 8490
}
RCODES = {
    0: "No error",
    1: "Format error",
    2: "Server failure",
    3: "No such name",
    4: "Not implemented",
    5: "Refused",
    6: "Name exists",  # RFC 2136's, and RFC 8490's 11
    7: "RRset exists",
    8: "RRset does not exist",
    9: "Not authoritative",
    10: "Name out of zone",
    11: "DSO-Type not implemented",
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
    (0x0040, "z", "Z", {0: "reserved (0)", 1: "reserved - incorrect!"}),
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
    "dns.flags.opcode",
    "Opcode",
    at=2,
    size=2,
    mask=0x7800,
    sub=True,
    enum=OPCODES,
    text=lambda v: f"{OPCODES.get(v, 'Unknown')} ({v})",
)
FLAG_FIELDS["rcode"] = Field(
    "dns.flags.rcode",
    "Reply code",
    at=2,
    size=2,
    mask=0x000F,
    sub=True,
    enum=RCODES,
    direct=False,
    text=lambda v: f"{RCODES.get(v, 'Unknown')} ({v})",
)
# in a query the same bit asks for authenticated data (RFC 6840 §5.7), and tshark says so
AD_ASKED = Field(
    "dns.flags.authenticated", "AD bit", BOOL, at=2, size=2, mask=0x0020, sub=True, direct=False
)
QUERIES = Field("dns.count.queries", "Questions", at=4, size=2)
ANSWERS = Field("dns.count.answers", "Answer RRs", at=6, size=2)
AUTH = Field("dns.count.auth_rr", "Authority RRs", at=8, size=2)
ADD = Field("dns.count.add_rr", "Additional RRs", at=10, size=2)
# An UPDATE (opcode 5, RFC 2136 §2.2) names its sections Zone, Prerequisite and Update
UPDATE_COUNTS = {
    QUERIES: Field("dns.count.zones", "Zones"),
    ANSWERS: Field("dns.count.prerequisites", "Prerequisites"),
    AUTH: Field("dns.count.updates", "Updates"),
}
SECTION = Field("dns.section", "Section", NONE, filterable=False)
# Bytes after the last record the counts announce (tshark notes them as extraneous data)
EXTRA = Field("dns.extraneous", "Extraneous Data", NONE)
EXTRA_DATA = Field("dns.extraneous.data", "Extraneous Data Bytes", BYTES)
EXTRA_LEN = Field("dns.extraneous.length", "Extraneous Data Length", generated=True)
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
# mDNS takes the class word's top bit for itself (RFC 6762 §5.4, §10.2): a question's "unicast
# response" bit, a record's "cache flush"; tshark shows the class as the other fifteen bits.
_CLASS_TEXT = QRY_CLASS.text
_TRUE_FALSE = {0: "False", 1: "True"}
MDNS_QRY_CLASS = Field("dns.qry.class", "Class", base=HEX, size=2, mask=0x7FFF, text=_CLASS_TEXT)
QU = Field("dns.qry.qu", '"QU" question', BOOL, size=2, mask=0x8000, enum=_TRUE_FALSE)
MDNS_RESP_CLASS = Field("dns.resp.class", "Class", base=HEX, size=2, mask=0x7FFF, text=_CLASS_TEXT)
CACHE_FLUSH = Field(
    "dns.resp.cache_flush", "Cache flush", BOOL, size=2, mask=0x8000, enum=_TRUE_FALSE
)
# An OPT record (RFC 6891 §6.1.2) puts other things where class and TTL are, as tshark shows.
UDP_SIZE = Field("dns.rr.udp_payload_size", "UDP payload size")
EXT_RCODE = Field("dns.resp.ext_rcode", "Higher bits in extended RCODE", base=HEX, size=1)
EDNS_VERSION = Field("dns.resp.edns0_version", "EDNS0 version")
MDNS_UDP_SIZE = Field("dns.rr.udp_payload_size", "UDP payload size", base=HEX, size=2, mask=0x7FFF)
EDNS_Z = Field("dns.resp.z", "Z", base=HEX, size=2)
Z_DO = Field(
    "dns.resp.z.do",
    "DO bit",
    BOOL,
    size=2,
    mask=0x8000,
    enum={0: "Cannot handle DNSSEC security RRs", 1: "Accepts DNSSEC security RRs"},
)
Z_RESERVED = Field("dns.resp.z.reserved", "Reserved", base=HEX, size=2, mask=0x7FFF)
# EDNS options (RFC 6891 §6.1.2), named as tshark 4.0 names them
OPTION_NAMES = {
    0: "Reserved",
    1: "LLQ - Long-lived query",
    2: "UL - Update lease",
    3: "NSID - Name Server Identifier",
    4: "Owner (reserved)",
    5: "DAU - DNSSEC Algorithm Understood (RFC6975)",
    6: "DHU - DS Hash Understood (RFC6975)",
    7: "N3U - NSEC3 Hash Understood (RFC6975)",
    8: "CSUBNET - Client subnet",
    9: "EDNS EXPIRE (RFC7314)",
    10: "COOKIE",
    11: "EDNS TCP Keepalive",
    12: "PADDING",
    13: "CHAIN",
    15: "Extended DNS Error",
}
OPTION = Field("dns.opt", "Option", NONE)
OPTION_CODE = Field("dns.opt.code", "Option Code", enum=OPTION_NAMES)
OPTION_LEN = Field("dns.opt.len", "Option Length")
OPTION_DATA = Field("dns.opt.data", "Option Data", BYTES)
COOKIE_CLIENT = Field("dns.opt.cookie.client", "Client Cookie", BYTES)
COOKIE_SERVER = Field("dns.opt.cookie.server", "Server Cookie", BYTES)
PADDING = Field("dns.opt.padding", "Padding", BYTES)
KEEPALIVE = Field("dns.opt.edns_tcp_keepalive.timeout", "Timeout")
EXTENDED_ERRORS = dict(
    enumerate(
        (
            "Other Error",
            "Unsupported DNSKEY Algorithm",
            "Unsupported DS Digest Type",
            "Stale Answer",
            "Forged Answer",
            "DNSSEC Indeterminate",
            "DNSSEC Bogus",
            "Signature Expired",
            "Signature Not Yet Valid",
            "DNSKEY Missing",
            "RRSIGs Missing",
            "No Zone Key Bit Set",
            "NSEC Missing",
            "Cached Error",
            "Not Ready",
            "Blocked",
            "Censored",
            "Filtered",
            "Prohibited",
            "Stale NXDomain Answer",
            "Not Authoritative",
            "Not Supported",
            "No Reachable Authority",
            "Network Error",
            "Invalid Data",
        )
    )
)  # RFC 8914 §5.2, as tshark 4.0 words them
SUBNET_FAMILY = Field("dns.opt.client.family", "Family", enum={1: "IPv4", 2: "IPv6"})
SUBNET_SOURCE = Field("dns.opt.client.netmask", "Source Netmask")
SUBNET_SCOPE = Field("dns.opt.client.scope", "Scope Netmask")
SUBNET_V4 = Field("dns.opt.client.addr4", "Client Subnet", IPV4)
SUBNET_V6 = Field("dns.opt.client.addr6", "Client Subnet", IPV6)
SUBNET_BYTES = Field("dns.opt.client.addr", "Client Subnet", BYTES)
ERROR_CODE = Field("dns.opt.ext_error.info_code", "Info Code", enum=EXTENDED_ERRORS)
ERROR_TEXT = Field("dns.opt.ext_error.extra_text", "Extra Text", STRING)
RESP_LEN = Field("dns.resp.len", "Data length")
A = Field("dns.a", "Address", IPV4)
AAAA = Field("dns.aaaa", "AAAA Address", IPV6)
CNAME = Field("dns.cname", "CNAME", STRING)
NS = Field("dns.ns", "Name Server", STRING)
PTR = Field("dns.ptr.domain_name", "Domain Name", STRING)
MX_PREF = Field("dns.mx.preference", "Preference")
MX = Field("dns.mx.mail_exchange", "Mail Exchange", STRING)
TXT_LENGTH = Field("dns.txt.length", "TXT Length")
TXT = Field("dns.txt", "TXT", STRING)
SOA_MNAME = Field("dns.soa.mname", "Primary name server", STRING)
RDATA = Field("dns.data", "Data", BYTES)
_SECTIONS = (
    ("Answers", "dns.answers"),
    ("Authoritative nameservers", "dns.authority"),
    ("Additional records", "dns.additional"),
)
_UPDATE_SECTIONS = ("Prerequisites", "Updates", "Additional records")


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
        words = OPCODES.get((flags >> 11) & 0xF, "Unknown operation")
        if response:
            words += f" response, {RCODES.get(flags & 0xF, 'Unknown error')}"
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
    update = (flags >> 11) & 0xF == 5
    if update:
        for i, item in enumerate(out):
            if item.field in UPDATE_COUNTS:
                at = item.field.at
                out[i] = layer.add([], UPDATE_COUNTS[item.field], at, 2, layer.u16(at))
    message = layer.data[layer.start : layer.end]
    mdns = layer.protocol is MDNS
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
                ]
                label = f"{shown}: type {wire.type_name(qtype)}, class "
                if mdns:
                    children.append(layer.fixed(MDNS_QRY_CLASS, pos + 2))
                    children.append(layer.fixed(QU, pos + 2))
                    label += f"{CLASSES.get(qclass & 0x7FFF, 'Unknown')}{_question_kind(qclass)}"
                else:
                    children.append(layer.add([], QRY_CLASS, pos + 2, 2, qclass))
                    label += str(CLASSES.get(qclass & 0x7FFF, qclass))
                pos += 4
                queries.append(
                    layer.add(
                        [],
                        QRY,
                        start,
                        pos - start,
                        None,
                        children=children,
                        text=label,
                    )
                )
            title = "Zone" if update else "Queries"
            layer.add(out, SECTION, 12, pos - 12, None, children=queries, text=title)
        titles = _UPDATE_SECTIONS if update else [title for title, _name in _SECTIONS]
        for title, count in zip(titles, counts[1:], strict=True):
            if not count:
                continue
            first, records = pos, []
            for _ in range(count):
                record, pos = _record(layer, message, pos, mdns)
                records.append(record)
            layer.add(out, SECTION, first, pos - first, None, children=records, text=title)
        extra = len(message) - pos
        if extra > 0:
            children = [
                layer.add([], EXTRA_DATA, pos, extra, bytes(message[pos:])),
                layer.add([], EXTRA_LEN, pos, extra, extra),
            ]
            text = f"Extraneous Data ({extra} bytes)"
            layer.add(out, EXTRA, pos, extra, None, children=children, text=text)
    except WireError as error:
        raise Stop(f"dns.{error.field}", layer.start + error.offset, error.problem) from None


def Item_len(layer: Layer):
    at = layer.state["length_at"]
    from stack.proto.model import Item

    return Item(LENGTH, at, 2, layer.end - layer.start)


def _question_kind(qclass: int) -> str:
    """What an mDNS question's class word asks for (RFC 6762 §5.4), as tshark appends it."""
    return ', "QU" question' if qclass & 0x8000 else ', "QM" question'


def _record(layer: Layer, message: bytes, pos: int, mdns: bool):
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
    flush = mdns and rclass & 0x8000
    if mdns:
        if rtype == 41:
            children.append(layer.fixed(MDNS_UDP_SIZE, pos + 2))
        else:
            children.append(layer.fixed(MDNS_RESP_CLASS, pos + 2))
        children.append(layer.fixed(CACHE_FLUSH, pos + 2))
    elif rtype == 41:
        children.append(layer.add([], UDP_SIZE, pos + 2, 2, rclass))
    else:
        children.append(layer.add([], RESP_CLASS, pos + 2, 2, rclass))
    if rtype == 41:
        z = layer.add([], EDNS_Z, pos + 6, 2, ttl & 0xFFFF)
        z.children = [layer.fixed(Z_DO, pos + 6), layer.fixed(Z_RESERVED, pos + 6)]
        children += [
            layer.add([], EXT_RCODE, pos + 4, 1, ttl >> 24),
            layer.add([], EDNS_VERSION, pos + 5, 1, ttl >> 16 & 0xFF),
            z,
        ]
        summary = f"{shown}: type OPT"  # its class word is the UDP payload size
    else:
        children.append(
            layer.add([], RESP_TTL, pos + 4, 4, ttl, text=f"Time to live: {ttl}{_ttl_text(ttl)}")
        )
        summary = (
            f"{shown}: type {wire.type_name(rtype)}, class "
            f"{CLASSES.get(rclass & 0x7FFF, 'Unknown' if mdns else rclass)}"
        )
        if flush:
            summary += ", cache flush"  # tshark 4.0: right after the class
    children.append(layer.add([], RESP_LEN, pos + 8, 2, size))
    end = data_at + size
    if rtype == 41:
        children += _options(layer, message, data_at, end)
    elif rtype == 1 and size == 4:
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
        # tshark 4.0 words NS and CNAME data, and gives a PTR's name alone
        word = {2: "ns ", 5: "cname ", 12: ""}[rtype]
        summary += f", {word}{target or '<Root>'}"
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
            children.append(layer.add([], TXT_LENGTH, at, 1, n))
            children.append(layer.add([], TXT, at + 1, n, text))
            at += 1 + n
    elif rtype == 6 and size:
        mname, _after = wire._read_name(message, data_at, end)
        children.append(layer.add([], SOA_MNAME, data_at, 0, mname))
        summary += f", mname {mname}"
    elif size:
        children.append(layer.add([], RDATA, data_at, size, message[data_at:end]))
    return layer.add([], RR, start, end - start, None, children=children, text=summary), end


def _options(layer: Layer, message: bytes, at: int, end: int) -> list:
    """An OPT record's options, each a subtree as tshark shows it; one that runs past the
    record ends the layer as malformed."""
    out = []
    while at < end:
        if at + 4 > end:
            raise WireError(
                "dns", "opt", at, "an EDNS option's code and length run past the record"
            )
        code = message[at] << 8 | message[at + 1]
        size = message[at + 2] << 8 | message[at + 3]
        data_at = at + 4
        if data_at + size > end:
            raise WireError(
                "dns", "opt.len", at + 2, f"an EDNS option of {size} bytes runs past the record"
            )
        data = message[data_at : data_at + size]
        children = [
            layer.add([], OPTION_CODE, at, 2, code),
            layer.add([], OPTION_LEN, at + 2, 2, size),
            layer.add([], OPTION_DATA, data_at, size, data),
        ]
        if code == 10 and size >= 8:
            children.append(layer.add([], COOKIE_CLIENT, data_at, 8, data[:8]))
            children.append(layer.add([], COOKIE_SERVER, data_at + 8, size - 8, data[8:]))
        elif code == 12:
            children.append(layer.add([], PADDING, data_at, size, data))
        elif code == 11 and size == 2:
            children.append(layer.add([], KEEPALIVE, data_at, 2, data[0] << 8 | data[1]))
        elif code == 8 and size >= 4:
            children += _client_subnet(layer, data_at, data)
        elif code == 15 and size >= 2:
            children.append(layer.add([], ERROR_CODE, data_at, 2, data[0] << 8 | data[1]))
            if size > 2:
                text = data[2:].decode("utf-8", "replace")
                children.append(layer.add([], ERROR_TEXT, data_at + 2, size - 2, text))
        name = OPTION_NAMES.get(code, f"Unknown ({code})")
        out.append(
            layer.add([], OPTION, at, 4 + size, None, children=children, text=f"Option: {name}")
        )
        at = data_at + size
    return out


def _client_subnet(layer: Layer, at: int, data: bytes) -> list:
    """An EDNS client subnet (RFC 7871 §6): family, the two prefix lengths, and the address's
    leading bytes, shown as a whole address."""
    family = data[0] << 8 | data[1]
    address = data[4:]
    if family == 1 and len(address) <= 4:
        shown = layer.add([], SUBNET_V4, at + 4, len(address), IPv4Address(address.ljust(4, b"\0")))
    elif family == 2 and len(address) <= 16:
        shown = layer.add(
            [], SUBNET_V6, at + 4, len(address), IPv6Address(address.ljust(16, b"\0"))
        )
    else:
        shown = layer.add([], SUBNET_BYTES, at + 4, len(address), address)
    return [
        layer.add([], SUBNET_FAMILY, at, 2, family),
        layer.add([], SUBNET_SOURCE, at + 2, 1, data[2]),
        layer.add([], SUBNET_SCOPE, at + 3, 1, data[3]),
        shown,
    ]


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
    memo = _MDNS_INFO_PARTS if layer.protocol is MDNS else _INFO_PARTS
    parts = memo.get(key)
    if parts is None:
        parts, alike = _info_parts(layer, data[start : layer.end])
        if alike and len(key) <= _INFO_KEY_MAX:
            if len(memo) >= _PARSED_MAX:
                memo.clear()
            memo[key] = parts
    # %-formatting: the f-string's hex spec costs more, on every DNS row
    return "%s 0x%04x%s" % (parts[0], data[start] << 8 | data[start + 1], parts[1])  # noqa: UP031


# The Info's words before and after the ID, by the message's bytes after the ID: all it says
# but the ID (opcode, response, reply code, questions, answers) is read from those, and a
# capture's messages repeat but for their IDs. Longer messages (zone transfers over TCP) are
# not kept: the memo stays small.
_INFO_PARTS: dict[bytes, tuple[str, str]] = {}
_MDNS_INFO_PARTS: dict[bytes, tuple[str, str]] = {}  # the same bytes read as mDNS say more
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
    mdns = layer.protocol is MDNS
    for q in parsed.questions:
        word = f"{wire.type_name(q.qtype)} {q.name or '<Root>'}"
        words.append(word + _question_kind(q.qclass) if mdns else word)
    # tshark lists the answers whatever the message (an mDNS query's known answers too)
    for record in parsed.answers:
        word = wire.rdata_text(record)
        if mdns and flags & 0x8000 and record.rclass & 0x8000:  # after the type, before the data
            kind, _, rest = word.partition(" ")
            word = f"{kind}, cache flush {rest}" if rest else f"{kind}, cache flush"
        words.append(word)
    return (head, "".join(" " + word for word in words)), True


_FIELDS = (
    LENGTH,
    ID,
    FLAGS,
    QUERIES,
    ANSWERS,
    AUTH,
    *UPDATE_COUNTS.values(),
    ADD,
    EXTRA,
    EXTRA_DATA,
    EXTRA_LEN,
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
    MDNS_QRY_CLASS,
    QU,
    MDNS_RESP_CLASS,
    CACHE_FLUSH,
    MDNS_UDP_SIZE,
    Z_DO,
    Z_RESERVED,
    OPTION,
    OPTION_CODE,
    OPTION_LEN,
    OPTION_DATA,
    COOKIE_CLIENT,
    COOKIE_SERVER,
    PADDING,
    KEEPALIVE,
    SUBNET_FAMILY,
    SUBNET_SOURCE,
    SUBNET_SCOPE,
    SUBNET_V4,
    SUBNET_V6,
    SUBNET_BYTES,
    ERROR_CODE,
    ERROR_TEXT,
    A,
    AAAA,
    CNAME,
    NS,
    PTR,
    MX_PREF,
    MX,
    TXT_LENGTH,
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
    binds=(("udp.port", 53), ("tcp.port", 53), ("tcp.port", 5353), ("udp.port", 5355)),
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
