"""IGMP (RFC 1112, 2236, 3376): the messages a host sends to join and leave multicast groups
(mDNS, SSDP and every multicast listener make the kernel send them), as tshark shows them.

The version is read as RFC 3376 §7.1 says: a query of 8 bytes is version 1 when its Max Resp
Code is zero, else version 2; 12 bytes or more, version 3; reports and leaves by their type.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.proto import transport
from stack.proto.model import BOOL, BYTES, HEX, IPV4, NONE, Field, Layer, Protocol

QUERY, REPORT_V1, REPORT_V2, LEAVE, REPORT_V3 = 0x11, 0x12, 0x16, 0x17, 0x22
TYPES = {
    QUERY: "Membership Query",
    REPORT_V1: "Membership Report",
    REPORT_V2: "Membership Report",
    LEAVE: "Leave Group",
    REPORT_V3: "Membership Report",
}
RECORD_TYPES = {
    1: "Mode Is Include",
    2: "Mode Is Exclude",
    3: "Change To Include Mode",
    4: "Change To Exclude Mode",
    5: "Allow New Sources",
    6: "Block Old Sources",
}

VERSION = Field("igmp.version", "IGMP Version", generated=True)
TYPE = Field("igmp.type", "Type", base=HEX, at=0, size=1, enum=TYPES)
MAX_RESP = Field("igmp.max_resp", "Max Resp Time")
EXPONENT = Field("igmp.max_resp.exp", "Exponent", base=HEX, size=1, mask=0x70, sub=True)
MANTISSA = Field("igmp.max_resp.mant", "Mantissa", base=HEX, size=1, mask=0x0F, sub=True)
RESERVED = Field("igmp.reserved", "Reserved", BYTES)
CHECKSUM = Field("igmp.checksum", "Checksum", base=HEX, at=2, size=2)
STATUS = transport.status_field("igmp")
MADDR = Field("igmp.maddr", "Multicast Address", IPV4)
SUPPRESS = Field(
    "igmp.s",
    "S",
    BOOL,
    size=1,
    mask=0x08,
    sub=True,
    text=lambda v: (
        "SUPPRESS router side processing" if v else "Do not suppress router side processing"
    ),
)
QRV = Field("igmp.qrv", "QRV", size=1, mask=0x07, sub=True)
QQIC = Field("igmp.qqic", "QQIC")
NUM_SRC = Field("igmp.num_src", "Num Src")
SADDR = Field("igmp.saddr", "Source Address", IPV4)
NUM_RECORDS = Field("igmp.num_grp_recs", "Num Group Records")
RECORD = Field("igmp.record", "Group Record", NONE, filterable=False)
RECORD_TYPE = Field("igmp.record_type", "Record Type", enum=RECORD_TYPES)
AUX = Field("igmp.aux_data_len", "Aux Data Len")


def version(layer: Layer) -> int:
    kind, size = layer.u8(0), layer.end - layer.start
    if kind == QUERY:
        return 3 if size >= 12 else (2 if layer.u8(1) else 1)
    return {REPORT_V1: 1, REPORT_V2: 2, LEAVE: 2, REPORT_V3: 3}.get(kind, 0)


def _walk(layer: Layer) -> None:
    layer.need(8, "igmp")
    number = version(layer)
    layer.state["version"] = number
    layer.column = f"IGMPv{number}" if number else "IGMP"
    layer.header_end = layer.end  # the whole message: no layer above it


def _tenths(code: int) -> int:
    """A version 3 Max Resp Code as tenths of a second (RFC 3376 §4.1.1): from 128 on, a
    floating-point number of a 3-bit exponent and a 4-bit mantissa."""
    if code < 128:
        return code
    return ((code & 0x0F) | 0x10) << (((code >> 4) & 0x07) + 3)


def _ipv4(layer: Layer, at: int) -> IPv4Address:
    return IPv4Address(layer.bytes_at(at, 4))


def _addresses(layer: Layer, at: int, count: int) -> list[IPv4Address]:
    """Up to `count` source addresses from `at`, as far as the message holds them."""
    fits = min(count, max(0, (layer.end - layer.start - at) // 4))
    return [_ipv4(layer, at + 4 * i) for i in range(fits)]


def _sources(layer: Layer, at: int, count: int) -> list:
    addresses = _addresses(layer, at, count)
    return [layer.add([], SADDR, at + 4 * i, 4, a) for i, a in enumerate(addresses)]


def _items(layer: Layer, out: list) -> None:
    number = layer.state.get("version", 0)
    kind = layer.u8(0)
    if number:
        out.insert(0, layer.add([], VERSION, 0, 0, number))
    at = out.index(next(i for i in out if i.field is CHECKSUM))
    if number == 1 or kind == REPORT_V3:
        out.insert(at, layer.add([], RESERVED, 1, 1, layer.bytes_at(1, 1)))
    elif number:
        code = layer.u8(1)
        tenths = _tenths(code) if number == 3 else code
        item = layer.add(
            [],
            MAX_RESP,
            1,
            1,
            tenths,  # tshark keeps it in tenths of a second, and says the time
            text=f"Max Resp Time: {tenths / 10:.1f} sec (0x{code:02x})",
        )
        if number == 3 and code >= 128:
            item.children = [layer.fixed(EXPONENT, 1), layer.fixed(MANTISSA, 1)]
        out.insert(at, item)
    checksum = next(i for i in out if i.field is CHECKSUM)
    expected = transport.message_expected(layer)
    status = transport.status(expected, checksum.value)
    verdict = {1: "[correct]", 0: f"[incorrect, should be 0x{expected or 0:04x}]"}
    checksum.text = f"Checksum: 0x{checksum.value:04x} {verdict.get(status, '[unverified]')}"
    out.insert(out.index(checksum) + 1, layer.add([], STATUS, 2, 0, status))
    if kind == REPORT_V3:
        count = layer.u16(6)
        layer.add(out, RESERVED, 4, 2, layer.bytes_at(4, 2))
        layer.add(out, NUM_RECORDS, 6, 2, count)
        pos, end = 8, layer.end - layer.start
        for _ in range(count):
            if pos + 8 > end:
                break
            rtype, aux, sources = layer.u8(pos), layer.u8(pos + 1), layer.u16(pos + 2)
            group = _ipv4(layer, pos + 4)
            name = RECORD_TYPES.get(rtype, "Unknown")
            children = [
                layer.add([], RECORD_TYPE, pos, 1, rtype, text=f"Record Type: {name} ({rtype})"),
                layer.add([], AUX, pos + 1, 1, aux),
                layer.add([], NUM_SRC, pos + 2, 2, sources),
                layer.add([], MADDR, pos + 4, 4, group),
                *_sources(layer, pos + 8, sources),
            ]
            size = 8 + 4 * sources + 4 * aux
            text = f"Group Record : {group}  {RECORD_TYPES.get(rtype, '')}"
            layer.add(out, RECORD, pos, size, None, children=children, text=text)
            pos += size
        return
    layer.add(out, MADDR, 4, 4, _ipv4(layer, 4))
    if number == 3:  # a version 3 query
        count = layer.u16(10)
        out.append(layer.fixed(SUPPRESS, 8))
        out.append(layer.fixed(QRV, 8))
        layer.add(out, QQIC, 9, 1, layer.u8(9))
        layer.add(out, NUM_SRC, 10, 2, count)
        out.extend(_sources(layer, 12, count))


def _listed(sources: list[str]) -> str:
    return "{" + ", ".join(sources) + "}"


def _record_words(rtype: int, group: str, sources: list[str]) -> str:
    """One group record in tshark's Info: what the host asks of the group."""
    many = len(sources) > 1
    if rtype in (1, 3):  # include: nothing is a leave
        if not sources:
            return f"Leave group {group}"
        return f"Join group {group} for {'sources in' if many else 'source'} {_listed(sources)}"
    if rtype in (2, 4):  # exclude: nothing excluded is a join for any source
        if not sources:
            return f"Join group {group} for any sources"
        return f"Join group {group}, for {'sources not in' if many else 'source not'} {_listed(sources)}"
    if rtype in (5, 6):
        word = "new" if rtype == 5 else "block"
        if not sources:
            what = "ALLOW_NEW_SOURCES" if rtype == 5 else "BLOCK_OLD_SOURCES"
            return f"Group {group}, {what} but no source specified (?)"
        return f"Group {group}, {word} {'sources' if many else 'source'} {_listed(sources)}"
    words = f"Group {group}, unknown record type (?)"
    return f"{words}, sources {_listed(sources)}" if sources else words


def _info(layer: Layer) -> str:
    kind, number = layer.u8(0), layer.state.get("version", 0)
    if kind not in TYPES:
        return f"Unknown Type:0x{kind:02x}"
    if number == 1:
        return TYPES[kind]
    if kind == QUERY:
        group = _ipv4(layer, 4)
        text = "Membership Query, " + (
            "general" if not int(group) else f"specific for group {group}"
        )
        if number == 3 and layer.u16(10):
            count = layer.u16(10)
            text += ", sources " + _listed([str(a) for a in _addresses(layer, 12, count)])
        return text
    if kind == LEAVE:
        return f"Leave Group {_ipv4(layer, 4)}"
    if kind != REPORT_V3:
        return f"Membership Report group {_ipv4(layer, 4)}"
    words, pos, end = ["Membership Report"], 8, layer.end - layer.start
    for _ in range(layer.u16(6)):
        if pos + 8 > end:
            break
        rtype, aux, count = layer.u8(pos), layer.u8(pos + 1), layer.u16(pos + 2)
        sources = [str(a) for a in _addresses(layer, pos + 8, count)]
        words.append(_record_words(rtype, str(_ipv4(layer, pos + 4)), sources))
        pos += 8 + 4 * count + 4 * aux
    return " / ".join(words)


PROTOCOL = Protocol(
    "igmp",
    "Internet Group Management Protocol",
    "IGMP",
    fields=(
        VERSION,
        TYPE,
        MAX_RESP,
        EXPONENT,
        MANTISSA,
        RESERVED,
        CHECKSUM,
        STATUS,
        MADDR,
        SUPPRESS,
        QRV,
        QQIC,
        NUM_SRC,
        SADDR,
        NUM_RECORDS,
        RECORD,
        RECORD_TYPE,
        AUX,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    binds=(("ip.proto", 2),),
    colour="icmp",
    checksum=transport.message_status,
)
