"""Which protocols a frame could hold, told from its header facts without dissecting it.

A display filter such as `dns` or `icmp or tcp.port == 80` can only keep a frame that holds
one of a few protocols (`DisplayFilter.requires`). The protocol model binds every protocol
through a table key (`stack.proto.registry.TABLES`: link type, ethertype, IP protocol, port),
so for a frame whose facts (`workbench.dissect.facts`) read a plain chain — a link header,
IPv4 or IPv6 whole (not a fragment), then TCP or UDP with both ports, or an ICMP message that
is not an error (errors quote a datagram); or an IPv4 fragment, whose own bytes are data — the protocols the model can find are at most the
ones bound at those keys, and a frame holding none of the filter's needs is dropped without
a dissection. That is what makes `-Y dns` over a million frames cheap: the state across
frames still sees every frame, the dissection only the candidates.

`possible_protocols` answers None whenever it cannot be sure (ICMP errors, tunnels,
IPv6 fragments, VLAN tags, an unknown link type, a frame the facts could not read to its ports):
those frames take the full path. It may only ever answer a superset.
"""

from __future__ import annotations

from functools import lru_cache

from stack.proto import icmp, registry
from workbench.dissect.facts import (
    ETH_ARP,
    ETH_IPV4,
    ETH_IPV6,
    IP_ICMP,
    IP_ICMPV6,
    IP_TCP,
    IP_UDP,
    Facts,
    facts_of,
)

_TRANSPORT_TABLE = {IP_TCP: "tcp.port", IP_UDP: "udp.port"}


_NONE: frozenset[str] = frozenset()


# The protocols bound at each table key (a port, an ICMP type's payload), made once: most
# keys a frame shows (a client's port) bind nothing and are simply not here.
_BOUND_AT = {key: frozenset(p.name for p in ps) for key, ps in registry.TABLES.items()}
# Tables a protocol keeps for what it carries itself (HTTP's body by media type: "http.media"),
# as against the link, network and transport tables a frame's headers say which key of.
_FRAME_TABLES = {"link_type", "ethertype", "ip.proto", "tcp.port", "udp.port"}


def _carried(names: frozenset[str]) -> frozenset[str]:
    """`names` and every protocol their own tables bind, and theirs (HTTP: data-text-lines)."""
    out, todo = set(names), list(names)
    while todo:
        name = todo.pop()
        for (table, _value), bound in _BOUND_AT.items():
            if table not in _FRAME_TABLES and table.split(".")[0] == name:
                todo.extend(bound - out)
                out |= bound
    return frozenset(out)


_BOUND = {key: _carried(names) for key, names in _BOUND_AT.items()}


def _names(key: tuple) -> frozenset[str]:
    """The protocols bound at one table key (none at most)."""
    return _BOUND.get(key, _NONE)


@lru_cache(maxsize=16)
def _heuristic(table: str) -> frozenset[str]:
    """The protocols that may claim a payload at any value of `table` (HTTP on any port)."""
    return _carried(frozenset(p.name for p in registry.HEURISTICS.get(table, ())))


@lru_cache(maxsize=1024)
def _below(link_type: int, ethertype: int, proto: int) -> frozenset[str] | None:
    """The link, network and transport protocols (and data), or None if one is not declared."""
    link = _names(("link_type", link_type))
    network = _names(("ethertype", ethertype))
    if ethertype == ETH_ARP or proto == -1:  # ARP; an IPv4 fragment (-1): data above IP
        return link | network | {"data"} if link and network else None
    transport = _names(("ip.proto", proto))
    if not link or not network or not transport:
        return None
    return link | network | transport | {"data"}


def possible_protocols(f: Facts, link_type: int) -> frozenset[str] | None:
    """Protocol names the model could find in the frame (a superset), or None: cannot tell."""
    if "vlan" in f.protocols:
        return None
    ethertype = f.ethertype
    if ethertype == ETH_ARP:
        return _below(link_type, ethertype, 0)
    fragmented = f.more_fragments or f.frag_offset > 0
    if fragmented and ethertype == ETH_IPV4:
        # the frame's own bytes: IPv4 hands a fragment's payload to data (the datagram, once
        # whole, is another frame's: the caller dissects that one fully)
        return _below(link_type, ethertype, -1)
    if ethertype not in (ETH_IPV4, ETH_IPV6) or fragmented:
        return None
    proto = f.proto
    table = _TRANSPORT_TABLE.get(proto)
    if table is not None:
        if f.sport is None or f.dport is None:
            return None
        # the names at each port are few shared sets: the answer is remembered by them
        return _over_transport(
            link_type, ethertype, proto, _names((table, f.sport)), _names((table, f.dport))
        )
    if proto == IP_ICMP and ethertype == ETH_IPV4:
        # an error quotes a datagram (its layers are the frame's too): only other types tell
        if f.icmp_type is None or f.icmp_type in icmp.ERRORS:
            return None
        above = _names(("icmp.data", f.icmp_type))  # an echo's payload: data
    elif proto == IP_ICMPV6 and ethertype == ETH_IPV6:
        if f.icmp_type is None or f.icmp_type < 128:  # below 128: errors, which quote
            return None
        above = _names(("icmpv6.data", f.icmp_type))
    else:
        return None
    below = _below(link_type, ethertype, proto)
    if below is None:
        return None
    return below | above if above else below


@lru_cache(maxsize=1024)
def _over_transport(
    link_type: int, ethertype: int, proto: int, source: frozenset[str], destination: frozenset[str]
) -> frozenset[str] | None:
    below = _below(link_type, ethertype, proto)
    if below is None:
        return None
    above = source | destination | _heuristic(_TRANSPORT_TABLE[proto])
    return below | above if above else below


def data_may_match(requires: frozenset[str], record) -> bool:
    """False if the record's frame, dissected alone (no state across frames), surely holds
    none of `requires`: the packet list's filter asks this before dissecting."""
    possible = possible_protocols(facts_of(record), getattr(record, "link_type", 1))
    return possible is None or not possible.isdisjoint(requires)


def needed_ports(requires: frozenset[str]) -> tuple[bytes | None, bytes | None, bytes | None]:
    """For plain IPv4 over Ethernet (what `workbench.dissect.skim` passes over): per transport,
    TCP then UDP, 65,536 flags set at each port where the model binds one of `requires` — a
    frame with neither port flagged is one `possible_protocols` says cannot match — or None
    when a frame of that transport can always match (the filter needs TCP, IPv4, Ethernet …);
    then ICMP's 256 message types, flagged where a frame of that type may match (errors, which
    quote a datagram, always)."""
    out = []
    for proto, table in ((IP_TCP, "tcp.port"), (IP_UDP, "udp.port")):
        below = _below(1, ETH_IPV4, proto)
        if below is None or not below.isdisjoint(requires):
            out.append(None)
            continue
        if not _heuristic(table).isdisjoint(requires):
            out.append(None)  # a heuristic protocol may be on any port
            continue
        flags: bytearray | None = bytearray(65536)
        for key in registry.TABLES:
            if key[0] != table:
                continue
            if not isinstance(key[1], int) or not 0 <= key[1] < 65536:
                flags = None  # bound otherwise than by one port: cannot tell from ports
                break
            if not _names(key).isdisjoint(requires):
                flags[key[1]] = 1
        out.append(None if flags is None else bytes(flags))
    below = _below(1, ETH_IPV4, IP_ICMP)
    if below is None or not below.isdisjoint(requires):
        return out[0], out[1], None
    types = bytearray(256)
    for kind in range(256):
        if kind in icmp.ERRORS or not _names(("icmp.data", kind)).isdisjoint(requires):
            types[kind] = 1
    return out[0], out[1], bytes(types)


def arp_may_match(requires: frozenset[str]) -> bool:
    """False if an ARP frame over Ethernet surely holds none of `requires` (`skim` passes
    such frames over: ARP adds nothing to the state across frames)."""
    below = _below(1, ETH_ARP, 0)
    return below is None or not below.isdisjoint(requires)
