"""Every declared protocol, in one list one can read, and the tables that bind them.

A protocol binds under another through a dissector table, as in Wireshark: ("link_type", 1)
is Ethernet, ("ethertype", 0x0800) IPv4, ("ip.proto", 17) UDP (IPv4's protocol and IPv6's
next header share the table), ("udp.port", 53) DNS. A protocol may also be a heuristic
dissector of a table (`heuristic_on`): HTTP is tried on any TCP port no protocol is bound at,
when its first line ends or starts with `HTTP/1.`. Adding a protocol is one module that
declares it and one line in `PROTOCOLS` below; nothing else needs to know.
"""

from __future__ import annotations

from stack.proto import (
    arp,
    data,
    dhcp,
    dns,
    ethernet,
    http,
    icmp,
    icmpv6,
    igmp,
    ipv4,
    ipv6,
    json_body,
    ntp,
    sll,
    tcp,
    text_lines,
    udp,
)
from stack.proto.model import Protocol

PROTOCOLS: tuple[Protocol, ...] = (
    ethernet.PROTOCOL,
    sll.SLL,
    sll.SLL2,
    arp.PROTOCOL,
    ipv4.PROTOCOL,
    ipv6.PROTOCOL,
    icmp.PROTOCOL,
    icmpv6.PROTOCOL,
    igmp.PROTOCOL,
    udp.PROTOCOL,
    tcp.PROTOCOL,
    dns.PROTOCOL,
    dns.MDNS,
    dhcp.PROTOCOL,
    http.PROTOCOL,
    ntp.PROTOCOL,
    json_body.PROTOCOL,
    text_lines.PROTOCOL,
    data.PROTOCOL,
)

TABLES: dict[tuple[str, object], list[Protocol]] = {}
for _protocol in PROTOCOLS:
    for _key in _protocol.binds:
        TABLES.setdefault(_key, []).append(_protocol)

HEURISTICS: dict[str, tuple[Protocol, ...]] = {}
for _protocol in PROTOCOLS:
    for _table in _protocol.heuristic_on:
        HEURISTICS[_table] = (*HEURISTICS.get(_table, ()), _protocol)

BY_NAME: dict[str, Protocol] = {}
for _protocol in PROTOCOLS:
    BY_NAME.setdefault(_protocol.name, _protocol)


def lookup(key: tuple[str, object], data: bytes, start: int, end: int) -> Protocol | None:
    """The protocol bound at `key` whose heuristic (if any) accepts data[start:end], else one
    whose heuristic dissector claims the bytes at any value of the table (`HEURISTICS`). Ports
    come as a pair and the lower one is tried first, as Wireshark does."""
    table, value = key
    if value.__class__ is tuple:  # a port pair: each port looked up alone (a capture of many
        low, high = value  # conversations has as many pairs, and remembering them costs more)
        if low > high:
            low, high = high, low
        first = _TUPLES.get((table, low), ())
        if first and first[0].heuristic is None:
            return first[0]
        second = _TUPLES.get((table, high), ())
        found = first + second if first and second else first or second
    else:
        sure = _SURE.get(key)
        if sure is not None:
            return sure
        found = _TUPLES.get(key, ())
    for protocol in found:
        if protocol.heuristic is None or protocol.heuristic(data[start : min(end, start + 64)]):
            return protocol
    # as Wireshark's TCP: the ports first, then the heuristic dissectors
    for protocol in HEURISTICS.get(key[0], ()):
        if protocol.claims(data, start, end):
            return protocol
    return None


def bound(key: tuple[str, object]) -> tuple[Protocol, ...]:
    """Every protocol bound at `key`, in the order `lookup` tries them."""
    table, value = key
    if value.__class__ is tuple:
        low, high = value
        values = (low, high) if low <= high else (high, low)
    else:
        values = (value,)
    return tuple(p for v in values for p in TABLES.get((table, v), ()))


_TUPLES = {key: tuple(protocols) for key, protocols in TABLES.items()}
# Keys whose first protocol binds without a heuristic: `lookup`'s answer whatever the bytes.
_SURE = {key: found[0] for key, found in _TUPLES.items() if found[0].heuristic is None}


def column_for(key: tuple[str, object] | None) -> str | None:
    """The Protocol column for a payload nothing declares, named by what carries it."""
    if key is None:
        return None
    table, value = key
    if table == "ethertype":
        return ethernet.column_for_ethertype(value)
    if table == "llc":
        return "LLC"
    if table == "ip.proto":
        return ipv4.PROTOCOL_NAMES.get(value, f"IP proto {value}")
    return None


def fields() -> dict[str, object]:
    """Every declared field by filter name (the display filter's vocabulary)."""
    out: dict[str, object] = {}
    for protocol in (*PROTOCOLS, *EXTRA):
        for f in protocol.fields:
            out.setdefault(f.name, f)
            for alias in f.also:
                out.setdefault(alias, f)
    return out


EXTRA: tuple[Protocol, ...] = ()  # set by stack.proto.frame: the frame pseudo-protocol
