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

if TYPE_CHECKING:
    from ipaddress import IPv4Address

    from stack.net.arp import ArpEntry
    from stack.net.interface import Interface

LIMIT = 4096  # flows remembered per router; past it the memo starts again


class Flow:
    __slots__ = (
        "src",
        "dst",
        "out",
        "nic",
        "next_hop_text",
        "header",
        "entry",
        "routes_version",
        "arp_generation",
    )

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
        self.src = src
        self.dst = dst
        self.out = out
        self.nic = out.nic
        self.next_hop_text = next_hop_text
        # What `Host.link_send` puts in front of an IPv4 packet for this next hop.
        self.header = bytes(entry.mac) + bytes(out.nic.mac) + b"\x08\x00"
        self.entry = entry
        self.routes_version = routes_version
        self.arp_generation = arp_generation


class Way:
    """How a host sends its own packets to one destination (from one source given or not):
    the interface, the next hop's entry and the header's constant part, kept as a `Flow` is
    and on the same conditions, so that `IPv4Layer.send` makes the header and the frame from
    them instead of routing, making a packet value and resolving the next hop each time."""

    __slots__ = (
        "dst",
        "src_given",
        "out",
        "nic",
        "addresses",
        "address_sum",
        "header",
        "entry",
        "routes_version",
        "arp_generation",
    )

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
        self.dst = dst
        self.src_given = src_given
        self.out = out
        self.nic = out.nic
        self.addresses = src.packed + dst.packed
        # The addresses' four header words, summed once for each packet's checksum.
        words = int.from_bytes(self.addresses, "big")
        self.address_sum = (
            (words >> 48) + (words >> 32 & 0xFFFF) + (words >> 16 & 0xFFFF) + (words & 0xFFFF)
        )
        self.header = bytes(entry.mac) + bytes(out.nic.mac) + b"\x08\x00"
        self.entry = entry
        self.routes_version = routes_version
        self.arp_generation = arp_generation
