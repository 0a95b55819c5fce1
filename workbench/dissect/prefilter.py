"""Which protocols a frame could hold, told from its header facts without dissecting it.

A display filter such as `dns` or `icmp or tcp.port == 80` can only keep a frame that holds
one of a few protocols (`DisplayFilter.requires`). The protocol model binds every protocol
through a table key (`stack.proto.registry.TABLES`: link type, ethertype, IP protocol, port),
so for a frame whose facts (`workbench.dissect.facts`) read a plain chain — a link header,
IPv4 or IPv6 whole (not a fragment), then TCP or UDP with both ports — the protocols the model
can find are at most the ones bound at those keys, and a frame holding none of the filter's
needs is dropped without a dissection. That is what makes `-Y dns` over a million frames
cheap: the state across frames still sees every frame, the dissection only the candidates.

`possible_protocols` answers None whenever it cannot be sure (ICMP quotes other datagrams,
tunnels, fragments, VLAN tags, an unknown link type, a frame the facts could not read to its
ports): those frames take the full path. It may only ever answer a superset.
"""

from __future__ import annotations

from stack.proto import registry
from workbench.dissect.facts import ETH_ARP, ETH_IPV4, ETH_IPV6, IP_TCP, IP_UDP, Facts

_TRANSPORT_TABLE = {IP_TCP: "tcp.port", IP_UDP: "udp.port"}
_cache: dict[tuple, frozenset[str] | None] = {}


def _names(key: tuple) -> tuple[str, ...]:
    return tuple(p.name for p in registry.TABLES.get(key, ()))


def _chain(link_type: int, ethertype: int, proto: int, sport: int, dport: int):
    link = _names(("link_type", link_type))
    if not link:
        return None
    network = _names(("ethertype", ethertype))
    if ethertype == ETH_ARP:
        return frozenset((*link, *network, "data"))
    transport = _names(("ip.proto", proto))
    table = _TRANSPORT_TABLE.get(proto)
    if not network or not transport or table is None:
        return None
    above = _names((table, sport)) + _names((table, dport))
    return frozenset((*link, *network, *transport, *above, "data"))


def possible_protocols(f: Facts, link_type: int) -> frozenset[str] | None:
    """Protocol names the model could find in the frame (a superset), or None: cannot tell."""
    if "vlan" in f.protocols:
        return None
    ethertype = f.ethertype
    if ethertype == ETH_ARP:
        key = (link_type, ethertype, 0, 0, 0)
    elif ethertype not in (ETH_IPV4, ETH_IPV6) or f.fragmented or f.sport is None:
        return None
    elif f.proto not in _TRANSPORT_TABLE or f.dport is None:
        return None
    else:
        key = (link_type, ethertype, f.proto, f.sport, f.dport)
    found = _cache.get(key, _cache)
    if found is _cache:
        if len(_cache) > 65536:  # many ports: keep the memo bounded
            _cache.clear()
        found = _cache[key] = _chain(*key)
    return found
