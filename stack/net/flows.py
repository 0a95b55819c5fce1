"""A router's memo of how it forwards each conversation (source and destination addresses).

The first packet of a flow takes the whole path: the routing decision (explained once, as the
route cache does), ARP (resolving or re-asking as it must). What that path settled — the way
out, the next hop's MAC, the Ethernet header to put in front — is kept here, so the packets
after it cost a TTL decrement, an incremental checksum and a join (RFC 1812 §5.2.2 fast path).

A flow holds only while nothing it rests on changed: the routing table (`RouteTable.version`),
the ARP caches (`ArpEngine.generation`: an entry came, went or was learned again) and the
next hop's entry being fresh (confirmed within ARP's reachable time, else ARP must re-ask
and the packet goes the whole way again). The memo is bounded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stack.net.arp import PERMANENT, REACHABLE, REACHABLE_TIME
from stack.wire.ethernet import MAX_PAYLOAD

if TYPE_CHECKING:
    from ipaddress import IPv4Address

    from stack.host import Host
    from stack.net.arp import ArpEntry
    from stack.net.interface import Interface

LIMIT = 4096  # flows remembered per router; past it the memo starts again


class NextHop:
    """What a flow and a way share: the interface out, the next hop's entry and the Ethernet
    header put in front for it, and what they rest on (see the module's note)."""

    __slots__ = ("out", "nic", "header", "entry", "routes_version", "arp_generation")

    def __init__(
        self, out: Interface, entry: ArpEntry, routes_version: int, arp_generation: int
    ) -> None:
        self.out = out
        self.nic = out.nic
        # What `Host.link_send` puts in front of an IPv4 packet for this next hop.
        self.header = bytes(entry.mac) + bytes(out.nic.mac) + b"\x08\x00"
        self.entry = entry
        self.routes_version = routes_version
        self.arp_generation = arp_generation

    def holds(self, host: Host, now: float, total: int) -> bool:
        """Whether a packet of `total` bytes may take this memo: nothing it rests on changed,
        the next hop's entry is fresh, and the packet fits the way out unfragmented."""
        entry = self.entry
        return (
            self.routes_version == host.routes.version
            and self.arp_generation == host.arp.generation
            and (
                entry.state == REACHABLE
                and now - entry.confirmed <= REACHABLE_TIME
                or entry.state == PERMANENT
            )
            and total <= self.out.mtu
            and total <= MAX_PAYLOAD
        )


class Flow(NextHop):
    """How a router forwards one source's packets to one destination."""

    __slots__ = ("src", "dst", "next_hop_text")

    def __init__(
        self,
        src: IPv4Address,
        dst: IPv4Address,
        out: Interface,
        next_hop_text: str,
        entry: ArpEntry,
        routes_version: int,
        arp_generation: int,
    ) -> None:
        super().__init__(out, entry, routes_version, arp_generation)
        self.src = src
        self.dst = dst
        self.next_hop_text = next_hop_text


class Way(NextHop):
    """How a host sends its own packets to one destination (from one source given or not),
    kept as a `Flow` is and on the same conditions, so that `IPv4Layer.send` makes the header
    and the frame from them instead of routing, making a packet value and resolving the next
    hop each time."""

    __slots__ = ("dst", "src_given", "addresses", "address_sum", "merges")

    def __init__(
        self,
        dst: IPv4Address,
        src_given: IPv4Address | None,
        src: IPv4Address,
        out: Interface,
        entry: ArpEntry,
        routes_version: int,
        arp_generation: int,
    ) -> None:
        super().__init__(out, entry, routes_version, arp_generation)
        self.dst = dst
        self.src_given = src_given
        self.addresses = src.packed + dst.packed
        # The addresses' four header words, summed once for each packet's checksum.
        words = int.from_bytes(self.addresses, "big")
        self.address_sum = (
            (words >> 48) + (words >> 32 & 0xFFFF) + (words >> 16 & 0xFFFF) + (words & 0xFFFF)
        )
        # The TAP port (with offloads) the next hop is behind, or None: while the kernel there
        # cuts merged TCP frames (TSO), a TCP segment this way may fill an IPv4 packet.
        segment = out.nic.segment
        self.merges = segment.merging_port(self.header[:6]) if segment is not None else None
