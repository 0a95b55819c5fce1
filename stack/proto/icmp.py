"""ICMP (RFC 792), declared once for the packet list, tree, filter and checksum verdict.

An error (unreachable, time exceeded, redirect, parameter problem) quotes the IP header and
first bytes of the datagram that caused it: they are dissected as inner layers, so the tree
shows them and `ip.src`/`udp.dstport` find them, as in Wireshark, while the Source and
Destination columns stay the outer packet's.
"""

from __future__ import annotations

import time

from stack.proto import transport
from stack.proto.model import FLOAT, HEX, STRING, Field, Layer, Protocol

TYPES = {
    0: "Echo (ping) reply",
    3: "Destination unreachable",
    4: "Source quench (flow control)",
    5: "Redirect",
    8: "Echo (ping) request",
    9: "Router advertisement",
    10: "Router solicitation",
    11: "Time-to-live exceeded",
    12: "Parameter problem",
    13: "Timestamp request",
    14: "Timestamp reply",
}
UNREACHABLE = {
    0: "Network unreachable",
    1: "Host unreachable",
    2: "Protocol unreachable",
    3: "Port unreachable",
    4: "Fragmentation needed",
    5: "Source route failed",
    6: "Destination network unknown",
    7: "Destination host unknown",
    9: "Network administratively prohibited",
    10: "Host administratively prohibited",
    13: "Communication administratively filtered",
}
EXCEEDED = {0: "Time to live exceeded in transit", 1: "Fragment reassembly time exceeded"}
REDIRECT = {
    0: "Redirect for network",
    1: "Redirect for host",
    2: "Redirect for TOS and network",
    3: "Redirect for TOS and host",
}
CODES = {3: UNREACHABLE, 11: EXCEEDED, 5: REDIRECT}
ERRORS = (3, 4, 5, 11, 12)

TYPE = Field("icmp.type", "Type", at=0, size=1, text=lambda v: f"{v} ({TYPES.get(v, 'Unknown')})")
CODE = Field("icmp.code", "Code", at=1, size=1)
CHECKSUM = Field("icmp.checksum", "Checksum", base=HEX, at=2, size=2)
STATUS = transport.status_field("icmp")
IDENT = Field(
    "icmp.ident",
    "Identifier (BE)",
    at=4,
    size=2,
    text=lambda v: f"{v} (0x{v:04x})",
    sub=True,
    direct=False,
)
IDENT_LE = Field("icmp.ident_le", "Identifier (LE)", text=lambda v: f"{v} (0x{v:04x})")
SEQ = Field(
    "icmp.seq",
    "Sequence Number (BE)",
    at=6,
    size=2,
    text=lambda v: f"{v} (0x{v:04x})",
    sub=True,
    direct=False,
)
SEQ_LE = Field("icmp.seq_le", "Sequence Number (LE)", text=lambda v: f"{v} (0x{v:04x})")
# Linux ping's send time at the start of an echo's data, when it looks like one (`_data_time`)
DATA_TIME = Field("icmp.data_time", "Timestamp from icmp data", STRING)
DATA_TIME_RELATIVE = Field(
    "icmp.data_time_relative", "Timestamp from icmp data (relative)", FLOAT, generated=True
)
UNUSED = Field("icmp.unused", "Unused", "bytes")
MTU = Field("icmp.mtu", "MTU of next hop")
GATEWAY = Field("icmp.redir_gw", "Gateway address", "ipv4")
POINTER = Field("icmp.pointer", "Pointer")


def _walk(layer: Layer) -> None:
    layer.need(4, "icmp")
    kind = layer.u8(0)
    layer.header_end = min(layer.end, layer.start + 8)
    if kind in ERRORS:
        layer.state["colour"] = "icmp-error"
        layer.need(8, "icmp")
        if layer.end > layer.header_end:
            layer.frame.quote(layer, layer.header_end, layer.end, ("ethertype", 0x0800))
        return
    if kind in (0, 8) and layer.end - layer.start >= 16:
        stamp = _data_time(layer)
        if stamp is not None:
            layer.state["data_time"] = stamp
            layer.header_end = layer.start + 16
    if layer.end > layer.header_end:
        layer.next = ("icmp.data", kind)  # Data, as Wireshark shows an echo's payload


_DAY = 86_400


def _data_time(layer: Layer) -> tuple[int, int] | None:
    """(seconds, microseconds) of the timeval an echo's data may start with (Linux ping puts
    its send time there), as tshark 4.0 judges it: big-endian, else little-endian, taken when
    the seconds are less than a day from the frame's own, before or after, and the
    microseconds under a million."""
    frame = layer.frame
    if frame.ns is None and not frame.time:
        return None
    second = frame.ns // 1_000_000_000 if frame.ns is not None else int(frame.time)
    raw = layer.bytes_at(8, 8)
    for order in ("big", "little"):
        seconds = int.from_bytes(raw[:4], order)
        micro = int.from_bytes(raw[4:], order)
        if abs(seconds - second) < _DAY and micro < 1_000_000:
            return seconds, micro
    return None


def _items(layer: Layer, out: list) -> None:
    kind, code = layer.u8(0), layer.u8(1)
    names = CODES.get(kind)
    for item in out:
        if item.field is CODE and names and code in names:
            item.text = f"Code: {code} ({names[code]})"
        if item.field is CHECKSUM:
            expected = transport.message_expected(layer)
            value = item.value
            if expected is None:
                item.text = f"Checksum: 0x{value:04x} [unverified: the frame does not hold the whole message]"
            elif expected == value:
                item.text = f"Checksum: 0x{value:04x} [correct]"
            else:
                item.text = f"Checksum: 0x{value:04x} [incorrect, should be 0x{expected:04x}]"
            status = layer.add([], STATUS, 2, 0, transport.status(expected, value))
            out.insert(out.index(item) + 1, status)  # beside the checksum, as Wireshark shows it
    if layer.end - layer.start < 8:
        return
    if kind in (0, 8, 13, 14):
        out.append(layer.fixed(IDENT))
        out.append(layer.add([], IDENT_LE, 4, 2, int.from_bytes(layer.bytes_at(4, 2), "little")))
        out.append(layer.fixed(SEQ))
        out.append(layer.add([], SEQ_LE, 6, 2, int.from_bytes(layer.bytes_at(6, 2), "little")))
        stamp = layer.state.get("data_time")
        if stamp is not None:
            out.extend(_data_time_items(layer, *stamp))
    elif kind == 3 and code == 4:
        layer.add(out, UNUSED, 4, 2, layer.bytes_at(4, 2))
        layer.add(out, MTU, 6, 2, layer.u16(6))
    elif kind == 5:
        layer.add(out, GATEWAY, 4, 4, _ipv4(layer, 4))
    elif kind == 12:
        layer.add(out, POINTER, 4, 1, layer.u8(4))
    else:
        layer.add(out, UNUSED, 4, 4, layer.bytes_at(4, 4))


def _data_time_items(layer: Layer, seconds: int, micro: int) -> list:
    frame = layer.frame
    ns = frame.ns if frame.ns is not None else round(frame.time * 1e9)
    since = ns - (seconds * 1_000_000_000 + micro * 1000)
    shown = time.strftime("%b %e, %Y %H:%M:%S", time.localtime(seconds))
    when = f"{shown}.{micro * 1000:09d} {time.strftime('%Z', time.localtime(seconds))}"
    relative = f"{'-' if since < 0 else ''}{abs(since) // 10**9}.{abs(since) % 10**9:09d}"
    return [
        layer.add([], DATA_TIME, 8, 8, when, text=f"Timestamp from icmp data: {when}"),
        layer.add(
            [],
            DATA_TIME_RELATIVE,
            8,
            8,
            since / 1e9,
            text=f"[Timestamp from icmp data (relative): {relative} seconds]",
        ),
    ]


def _ipv4(layer: Layer, at: int):
    from ipaddress import IPv4Address

    return IPv4Address(layer.bytes_at(at, 4))


def _ttl(layer: Layer) -> str:
    ip = transport.carrier(layer)
    return (
        f", ttl={layer.data[ip.start + 8]}" if ip is not None and ip.protocol.name == "ip" else ""
    )


def echo_info(kind: int, ident: int, seq: int, seq_le: int, ttl: str) -> str:
    """An echo's Info (`Echo (ping) request  id=0x0001, seq=1/256, ttl=64`), padded as tshark
    pads it: the one place it is worded, for the model's layers and for `plain_row`."""
    return "%-19s  id=0x%04x, seq=%d/%d%s" % (TYPES[kind], ident, seq, seq_le, ttl)  # noqa: UP031


def _info(layer: Layer) -> str:
    kind, code = layer.u8(0), layer.u8(1)
    if kind in (0, 8) and layer.end - layer.start >= 8:
        seq_le = int.from_bytes(layer.bytes_at(6, 2), "little")
        return echo_info(kind, layer.u16(4), layer.u16(6), seq_le, _ttl(layer))
    if kind in CODES:
        text = f"{TYPES[kind]} ({CODES[kind].get(code, f'code {code}')})"
        if kind == 3 and code == 4 and layer.end - layer.start >= 8:
            text += f" MTU={layer.u16(6)}"
        return text
    return TYPES.get(kind, f"Type {kind}, code {code}")


def plain_row(data: bytes) -> str | None:
    """The model's row as one line, `ICMP SRC → DST INFO`, of an echo request or reply read from
    its bytes (as `stack.proto.tcp.plain_row`); None if it is a fragment, cut short, or its
    payload is claimed by a protocol. The caller has checked Ethernet II, a 20-byte IPv4
    header, protocol 1 and the type."""
    total = data[16] << 8 | data[17]
    end = 14 + total
    if total < 28 or end > len(data) or (data[20] << 8 | data[21]) & 0x3FFF:
        return None
    kind = data[34]
    if end > 42:
        from stack.proto import registry

        if registry.lookup(("icmp.data", kind), data, 42, end) is not None:
            return None
    line = "ICMP %d.%d.%d.%d → %d.%d.%d.%d %s"
    return (
        line
        % (  # noqa: UP031
            *data[26:34],
            echo_info(
                kind,
                data[38] << 8 | data[39],
                data[40] << 8 | data[41],
                data[41] << 8 | data[40],
                ", ttl=%d" % data[22],  # noqa: UP031
            ),
        )
    )


PROTOCOL = Protocol(
    "icmp",
    "Internet Control Message Protocol",
    "ICMP",
    fields=(
        TYPE,
        CODE,
        CHECKSUM,
        IDENT,
        SEQ,
        STATUS,
        IDENT_LE,
        DATA_TIME,
        DATA_TIME_RELATIVE,
        SEQ_LE,
        UNUSED,
        MTU,
        GATEWAY,
        POINTER,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    binds=(("ip.proto", 1),),
    colour="icmp",
    checksum=transport.message_status,
)
