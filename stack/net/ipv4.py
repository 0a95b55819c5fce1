"""IPv4 on a host or router: send with a routing decision and fragmentation, receive with
checks and reassembly, forward with TTL and ICMP errors (RFC 791, RFC 1812).

Routing decisions are cached per destination until the table changes (as a route cache
would), so the trace explains each destination once rather than once per packet.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.events import (
    Forwarded,
    Fragmented,
    PacketDropped,
    Reassembled,
    ReassemblyFailed,
    RouteDecision,
)
from stack.net import fragment as frag
from stack.net.flows import LIMIT as FLOW_LIMIT
from stack.net.flows import Flow, Way
from stack.net.interface import Interface
from stack.net.route import Decision
from stack.wire import icmp as icmp_codes
from stack.wire.checksum import internet_checksum
from stack.wire.errors import WireError
from stack.wire.ipv4 import PROTO_ICMP, PROTO_NAMES, PROTO_TCP, IPv4, address

if TYPE_CHECKING:
    from stack.host import Host

LIMITED_BROADCAST = IPv4Address("255.255.255.255")
_ALL_ONES = b"\xff\xff\xff\xff"
_TTL_PROTO_SUM = struct.Struct("!BBH").pack
_HEADER = struct.Struct("!BBHHHBBH8s").pack  # a 20-byte header, both addresses as one field
_unpack_qqi = struct.Struct("!QQI").unpack_from  # a 20-byte header as three numbers
ANY = IPv4Address("0.0.0.0")
DEFAULT_TTL = 64

Handler = Callable[[IPv4, Interface, tuple[int, ...]], None]
# A protocol's way in for a whole packet as bytes: (packet, total length, interface, frame id).
WholeHandler = Callable[[bytes, int, Interface, int], None]


def _one_hop_on(head: bytes, payload: bytes, ttl: int, total: int) -> bytes:
    """`head` (an Ethernet header, or nothing) and the packet one hop on: TTL less one, the
    rest as it came (any Ethernet padding after `total` left behind, as the full parse leaves
    it). The checksum is updated for the one word that changed, HC' = ~(~HC + ~m + m')
    (RFC 1624 eqn. 3): over a header whose checksum was right, the very value summing the
    whole header again gives."""
    proto = payload[9]
    old_word = ttl << 8 | proto
    folded = (~(payload[10] << 8 | payload[11]) & 0xFFFF) + (~old_word & 0xFFFF) + old_word - 0x100
    folded = (folded & 0xFFFF) + (folded >> 16)
    folded = (folded & 0xFFFF) + (folded >> 16)
    return b"".join(
        (head, payload[:8], _TTL_PROTO_SUM(ttl - 1, proto, ~folded & 0xFFFF), payload[12:total])
    )


class IPv4Layer:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.handlers: dict[int, Handler] = {}
        # Beside a protocol's handler, a way in that takes a whole packet (no fragment) of
        # ours as the bytes that came, with a 20-byte header known good: what the handler
        # does, without the packet value (TCP's segments in bulk). Used only while that very
        # handler is the one registered (tests put their own in its place).
        self.whole_handlers: dict[int, tuple[Handler, WholeHandler]] = {}
        self.forwarding = False
        self.reassembler = frag.Reassembler()
        self._ident = host.rng.randrange(0x10000)
        self._decisions: dict[IPv4Address, Decision] = {}
        self._by_packed: dict[bytes, Decision] = {}  # the same decisions by the header's bytes
        self._decisions_version = -1
        self._local_said: set[IPv4Address] = set()  # local destinations whose route was told
        self.merging = False  # a way to a TAP device that takes merged TCP frames was found
        self._flows: dict[bytes, Flow] = {}  # by the header's source and destination bytes
        self._ways: dict[int, Way] = {}  # by the destination object (which the way holds)
        self.stats = {
            "sent": 0,
            "received": 0,
            "forwarded": 0,
            "dropped": 0,
            "bad_checksum": 0,
            "malformed": 0,
            "fragments_sent": 0,
            "reassembled": 0,
        }

    def next_ident(self) -> int:
        self._ident = (self._ident + 1) & 0xFFFF
        return self._ident

    # --- routing ---------------------------------------------------------------------------

    def _forget_stale_decisions(self) -> None:
        """Both caches of route decisions hold only while the routing table is as it was."""
        version = self.host.routes.version
        if self._decisions_version != version:
            self._decisions.clear()
            self._by_packed.clear()
            self._local_said.clear()
            self._decisions_version = version

    def decide(self, dst: IPv4Address, frames: tuple[int, ...] = ()) -> Decision:
        host = self.host
        self._forget_stale_decisions()
        decision = self._decisions.get(dst)
        if decision is None:
            decision = host.routes.decide(dst, host.interfaces)
            self._decisions[dst] = decision
            route = decision.route
            self._tell_route(
                frames,
                dst,
                decision.steps,
                decision.verdict,
                str(decision.next_hop or ""),
                route.interface if route else "",
                str(route) if route else "",
            )
        return decision

    def _tell_route(self, frames: tuple[int, ...], dst: IPv4Address, *how: object) -> None:
        """A route decision as an event: its steps, verdict, next hop, interface and route."""
        host = self.host
        host.trace.emit(RouteDecision(host.clock.now(), host.name, frames, dst, *how))

    def merge_size(self, dst: IPv4Address) -> int:
        """The largest TCP segment (header included) that may go to `dst` as one frame: an
        IPv4 packet's worth when the way there ends at a TAP device that has the kernel cut
        merged frames (stack.link.tap_offload), else 0 (the MTU holds)."""
        way = self._ways.get(id(dst))
        if way is None or way.dst is not dst or way.merges is None:
            return 0
        # Asked each time: the kernel's offloads can be turned off (or on) meanwhile.
        return 0xFFFF - 20 if way.merges.takes_merged(way.header[:6]) else 0

    def _say_local(self, dst: IPv4Address, frames: tuple[int, ...]) -> None:
        """The route to one of our own addresses, told once as any decision is: the packet goes
        over lo and never onto a segment (Linux's `ip route get` says `local … dev lo`)."""
        self._forget_stale_decisions()
        if dst in self._local_said:
            return
        self._local_said.add(dst)
        why = (
            f"{dst} is in 127.0.0.0/8, the loopback network"
            if dst.is_loopback
            else f"{dst} is an address of this host"
        )
        self._tell_route(
            frames,
            dst,
            (why,),
            "deliver locally over lo (no frame on any segment)",
            "",
            "lo",
            "local",
        )

    # --- sending ---------------------------------------------------------------------------

    def send(
        self,
        dst: IPv4Address,
        proto: int,
        payload: bytes,
        *,
        src: IPv4Address | None = None,
        ttl: int = DEFAULT_TTL,
        df: bool = False,
        tos: int = 0,
        interface: str | None = None,
        ident: int | None = None,
        frames: tuple[int, ...] = (),
    ) -> bool:
        """Route and send one packet. False (with a trace event saying why) when it cannot go."""
        host = self.host
        way = self._ways.get(id(dst)) if interface is None else None
        if way is not None and way.dst is dst and way.src_given is src:
            total = 20 + len(payload)
            fits = total
            if way.merges is not None and proto == PROTO_TCP and total <= 0xFFFF:
                fits = 20  # to a TAP device that has the kernel cut it (TSO): any size fits
            if way.holds(host, host.clock.now(), fits):
                # What IPv4.make(…).build() gives: the checksum from the words that vary here
                # and the addresses' sum (RFC 1071; never all zero, the first word is 0x45xx).
                if ident is None:
                    self._ident = ident = (self._ident + 1) & 0xFFFF  # next_ident()
                flags = 0x4000 if df else 0
                left = (
                    (0x4500 | tos) + total + ident + flags + (ttl << 8 | proto) + way.address_sum
                ) % 0xFFFF
                self.stats["sent"] += 1
                way.nic.send(
                    b"".join(
                        (
                            way.header,
                            _HEADER(
                                0x45,
                                tos,
                                total,
                                ident,
                                flags,
                                ttl,
                                proto,
                                0xFFFF - left if left else 0,
                                way.addresses,
                            ),
                            payload,
                        )
                    )
                )
                return True
        if interface is not None and (
            dst == LIMITED_BROADCAST or not host.interfaces[interface].configured
        ):
            # Broadcast, or a host still without an address (DHCP): straight out of the named NIC.
            iface = host.interfaces[interface]
            packet = IPv4.make(
                src or (iface.ip if iface.configured else ANY),
                dst,
                proto,
                payload,
                ttl=ttl,
                ident=self.next_ident() if ident is None else ident,
                df=df,
                tos=tos,
            )
            self.stats["sent"] += 1
            self.output(packet, iface, dst, frames)
            return True
        if dst in host.addresses or dst.is_loopback:
            self._say_local(dst, frames)
            packet = IPv4.make(
                src or dst,
                dst,
                proto,
                payload,
                ttl=ttl,
                ident=self.next_ident() if ident is None else ident,
                df=df,
                tos=tos,
            )
            host.clock.call_soon(self.deliver_local, packet, host.loopback, frames)
            return True
        decision = self.decide(dst, frames)
        if decision.route is None or decision.next_hop is None:
            self.stats["dropped"] += 1
            host.trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(src or "-"),
                    str(dst),
                    "no route to the network",
                )
            )
            return False
        iface = host.interfaces[decision.route.interface]
        packet = IPv4.make(
            src or iface.ip,
            dst,
            proto,
            payload,
            ttl=ttl,
            ident=self.next_ident() if ident is None else ident,
            df=df,
            tos=tos,
        )
        self.stats["sent"] += 1
        self.output(packet, iface, decision.next_hop, frames)
        # What that settled serves the next packets to `dst` (see stack.net.flows).
        entry = host.arp.usable(iface, decision.next_hop)
        if entry is not None:
            if len(self._ways) >= FLOW_LIMIT:
                self._ways.clear()
            way = self._ways[id(dst)] = Way(
                dst,
                src,
                packet.src,
                iface,
                entry,
                host.routes.version,
                host.arp.generation,
            )
            self.merging = self.merging or way.merges is not None
        return True

    def output(
        self, packet: IPv4, iface: Interface, next_hop: IPv4Address, frames: tuple[int, ...] = ()
    ) -> None:
        """Fragment to the interface MTU if needed, then hand each piece to ARP."""
        host = self.host
        if packet.total_length > iface.mtu:
            if packet.df:
                host.trace.emit(
                    PacketDropped(
                        host.clock.now(),
                        host.name,
                        frames,
                        str(packet.src),
                        str(packet.dst),
                        f"{packet.total_length:,} bytes is over the MTU of {iface.mtu:,} and Don't Fragment is set",
                    )
                )
                self.stats["dropped"] += 1
                if packet.src not in host.addresses:
                    host.icmp.send_error(
                        packet,
                        icmp_codes.DEST_UNREACHABLE,
                        icmp_codes.FRAGMENTATION_NEEDED,
                        f"needs fragmentation, DF set (MTU {iface.mtu})",
                        frames,
                        mtu=iface.mtu,
                    )
                else:
                    host.icmp.notify_local_error(
                        packet,
                        icmp_codes.DEST_UNREACHABLE,
                        icmp_codes.FRAGMENTATION_NEEDED,
                        iface.mtu,
                    )
                return
            pieces = frag.fragment(packet, iface.mtu)
            self.stats["fragments_sent"] += len(pieces)
            host.trace.emit(
                Fragmented(
                    host.clock.now(),
                    host.name,
                    frames,
                    packet.src,
                    packet.dst,
                    packet.ident,
                    packet.total_length,
                    iface.mtu,
                    tuple(p.total_length for p in pieces),
                )
            )
            for piece in pieces:
                host.arp.transmit(iface, next_hop, piece.build(), frames)
            return
        host.arp.transmit(iface, next_hop, packet.build(), frames)

    # --- receiving -------------------------------------------------------------------------

    def receive(self, iface: Interface, frame_id: int, payload: bytes) -> None:
        # Most packets have a 20-byte header that is whole and right: read what the decision
        # needs from the bytes — for this host (then parse it, knowing the parse cannot fail),
        # or, on a router, for someone else (RFC 1812 §5.2.2: forwarded from the bytes). Every
        # other packet takes the full parse below, which explains what is wrong.
        if len(payload) >= 20 and payload[0] == 0x45:
            total = payload[2] << 8 | payload[3]
            # internet_checksum(header) == 0, inlined: a header starting 0x45 is never all zero,
            # so the sum is right exactly when the header, as one number, is a multiple of
            # 0xFFFF. Read as three numbers (8, 8 and 4 bytes, the first two weighing 2^96 and
            # 2^32, both ≡ 1) their sum is congruent to it: no slice, no 160-bit division.
            first, second, third = _unpack_qqi(payload)
            if 20 <= total <= len(payload) and not (first + second + third) % 0xFFFF:
                dst = payload[16:20]
                if dst in self.host.packed_addresses:
                    self.stats["received"] += 1
                    whole = self.whole_handlers.get(payload[9])
                    if (
                        whole is not None
                        and not (payload[6] & 0x3F or payload[7])  # MF, fragment offset
                        and self.handlers.get(payload[9]) is whole[0]
                    ):
                        whole[1](payload, total, iface, frame_id)
                        return
                    self.deliver_local(IPv4.parse(payload), iface, (frame_id,))
                    return
                if (
                    self.forwarding
                    and iface.configured
                    and dst != _ALL_ONES
                    and dst != iface.packed_broadcast
                    and self._forward_bytes(payload, total, dst, iface, frame_id)
                ):
                    return
        self._receive_parsed(iface, frame_id, payload)

    def _receive_parsed(self, iface: Interface, frame_id: int, payload: bytes) -> None:
        host = self.host
        trace = host.trace
        try:
            packet = IPv4.parse(payload)
        except WireError as err:
            self.stats["malformed"] += 1
            iface.nic.counters.rx_malformed += 1
            trace.emit(
                PacketDropped(
                    host.clock.now(), host.name, (frame_id,), "?", "?", f"malformed IPv4: {err}"
                )
            )
            return
        # `packet.checksum_ok()`, over the bytes at hand rather than a header packed again.
        if internet_checksum(payload[: packet.ihl * 4]):
            self.stats["bad_checksum"] += 1
            trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    (frame_id,),
                    str(packet.src),
                    str(packet.dst),
                    f"bad IPv4 header checksum 0x{packet.checksum:04x}",
                )
            )
            return
        self.stats["received"] += 1
        dst = packet.dst
        if (
            dst in host.addresses
            or dst == LIMITED_BROADCAST
            or (iface.configured and dst == iface.broadcast)
            or not iface.configured
        ):
            self.deliver_local(packet, iface, (frame_id,))
        elif self.forwarding:
            self.forward(packet, iface, frame_id)
        else:
            self.stats["dropped"] += 1
            trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    (frame_id,),
                    str(packet.src),
                    str(dst),
                    "addressed to another host and this host does not forward",
                )
            )

    def deliver_local(self, packet: IPv4, iface: Interface, frames: tuple[int, ...]) -> None:
        host = self.host
        if packet.is_fragment:
            packet = self._reassemble(packet, frames)
            if packet is None:
                return
            frames = self._last_frames
        handler = self.handlers.get(packet.proto)
        if handler is None:
            self.stats["dropped"] += 1
            name = PROTO_NAMES.get(packet.proto, str(packet.proto))
            host.trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(packet.src),
                    str(packet.dst),
                    f"no handler for protocol {name}",
                )
            )
            if packet.dst not in (LIMITED_BROADCAST,) and packet.dst != iface.broadcast:
                host.icmp.send_error(
                    packet,
                    icmp_codes.DEST_UNREACHABLE,
                    icmp_codes.PROTOCOL_UNREACHABLE,
                    f"protocol {name} unreachable",
                    frames,
                )
            return
        handler(packet, iface, frames)

    def _reassemble(self, packet: IPv4, frames: tuple[int, ...]) -> IPv4 | None:
        host = self.host
        now = host.clock.now()
        whole, dgram, problem = self.reassembler.add(packet, frames[0] if frames else 0, now)
        for (src, dst, _proto, ident), old, why in self.reassembler.evicted:
            host.trace.emit(
                ReassemblyFailed(now, host.name, tuple(old.frames), src, dst, ident, why)
            )
        if problem:
            host.trace.emit(
                ReassemblyFailed(
                    now, host.name, frames, packet.src, packet.dst, packet.ident, problem
                )
            )
            return None
        if whole is None:
            if dgram is not None and dgram.timer is None:
                key = (packet.src, packet.dst, packet.proto, packet.ident)
                dgram.timer = host.clock.call_later(frag.TIMEOUT, self._reassembly_timeout, key)
            return None
        assert dgram is not None
        self.stats["reassembled"] += 1
        self._last_frames = tuple(dgram.frames)
        host.trace.emit(
            Reassembled(
                now,
                host.name,
                self._last_frames,
                whole.src,
                whole.dst,
                whole.ident,
                whole.total_length,
                len(dgram.pieces),
            )
        )
        return whole

    def _reassembly_timeout(self, key: frag.Key) -> None:
        host = self.host
        dgram = self.reassembler.expire(key)
        if dgram is None:
            return
        src, dst, _proto, ident = key
        frames = tuple(dgram.frames)
        host.trace.emit(
            ReassemblyFailed(
                host.clock.now(),
                host.name,
                frames,
                src,
                dst,
                ident,
                f"timed out after {frag.TIMEOUT:.0f} s with fragments missing",
            )
        )
        if dgram.header is not None:
            # RFC 792: time exceeded (reassembly) goes out only when the first fragment came.
            host.icmp.send_error(
                dgram.header,
                icmp_codes.TIME_EXCEEDED,
                icmp_codes.REASSEMBLY_EXCEEDED,
                "fragment reassembly time exceeded",
                frames,
            )

    # --- forwarding ------------------------------------------------------------------------

    def _forward_bytes(
        self, payload: bytes, total: int, dst: bytes, in_iface: Interface, frame_id: int
    ) -> bool:
        """`forward` for a packet known good, on its bytes: the same events and the same packet
        out. False, having done nothing, when the packet needs the full path (its TTL runs out,
        no route, or it must be fragmented)."""
        ttl = payload[8]
        if ttl <= 1:
            return False
        host = self.host
        flow = self._flows.get(payload[12:20])
        if flow is not None:
            now = host.clock.now()
            if flow.holds(host, now, total):
                stats = self.stats
                stats["received"] += 1
                stats["forwarded"] += 1
                # A Forwarded, as its values (stack.events.COMPACT).
                host.trace.emit_values(
                    (
                        "forwarded",
                        now,
                        host.name,
                        (frame_id,),
                        flow.src,
                        flow.dst,
                        ttl,
                        in_iface.name,
                        flow.out.name,
                        flow.next_hop_text,
                    )
                )
                flow.nic.send(_one_hop_on(flow.header, payload, ttl, total))
                return True
        self._forget_stale_decisions()
        frames = (frame_id,)
        decision = self._by_packed.get(dst)
        if decision is None:
            decision = self.decide(address(dst), frames)
            self._by_packed[dst] = decision
        route = decision.route
        if route is None or decision.next_hop is None:
            return False
        out = host.interfaces[route.interface]
        if total > out.mtu:
            return False
        self.stats["received"] += 1
        self.stats["forwarded"] += 1
        host.trace.emit(
            Forwarded(
                host.clock.now(),
                host.name,
                frames,
                address(payload[12:16]),
                address(dst),
                ttl,
                in_iface.name,
                out.name,
                decision.next_hop_text,
            )
        )
        packet = _one_hop_on(b"", payload, ttl, total)
        host.arp.transmit(out, decision.next_hop, packet, frames)
        # What that settled serves the flow's next packets (see stack.net.flows).
        entry = host.arp.usable(out, decision.next_hop)
        if entry is not None:
            if len(self._flows) >= FLOW_LIMIT:
                self._flows.clear()
            self._flows[payload[12:20]] = Flow(
                address(payload[12:16]),
                address(dst),
                out,
                decision.next_hop_text,
                entry,
                host.routes.version,
                host.arp.generation,
            )
        return True

    def forward(self, packet: IPv4, in_iface: Interface, frame_id: int) -> None:
        host = self.host
        frames = (frame_id,)
        if packet.ttl <= 1:
            self.stats["dropped"] += 1
            host.trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(packet.src),
                    str(packet.dst),
                    f"TTL {packet.ttl} would reach 0",
                )
            )
            host.icmp.send_error(
                packet,
                icmp_codes.TIME_EXCEEDED,
                icmp_codes.TTL_EXCEEDED,
                "TTL exceeded in transit",
                frames,
            )
            return
        decision = self.decide(packet.dst, frames)
        if decision.route is None or decision.next_hop is None:
            self.stats["dropped"] += 1
            host.trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(packet.src),
                    str(packet.dst),
                    "no route to the network",
                )
            )
            host.icmp.send_error(
                packet,
                icmp_codes.DEST_UNREACHABLE,
                icmp_codes.NET_UNREACHABLE,
                "network unreachable",
                frames,
            )
            return
        out = host.interfaces[decision.route.interface]
        self.stats["forwarded"] += 1
        host.trace.emit(
            Forwarded(
                host.clock.now(),
                host.name,
                frames,
                packet.src,
                packet.dst,
                packet.ttl,
                in_iface.name,
                out.name,
                decision.next_hop_text,
            )
        )
        self.output(packet.with_ttl(packet.ttl - 1), out, decision.next_hop, frames)

    def host_unreachable(self, packet_bytes: bytes, frames: tuple[int, ...]) -> None:
        """ARP gave up on the next hop: tell the packet's sender (ourselves included)."""
        host = self.host
        try:
            packet = IPv4.parse(packet_bytes)
        except WireError:
            return
        if packet.offset_bytes:
            return
        if packet.src in host.addresses:
            host.icmp.notify_local_error(
                packet, icmp_codes.DEST_UNREACHABLE, icmp_codes.HOST_UNREACHABLE
            )
        else:
            host.icmp.send_error(
                packet,
                icmp_codes.DEST_UNREACHABLE,
                icmp_codes.HOST_UNREACHABLE,
                "host unreachable (no ARP reply)",
                frames,
            )


__all__ = ["IPv4Layer", "PROTO_ICMP"]
