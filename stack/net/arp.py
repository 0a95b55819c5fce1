"""ARP (RFC 826): a cache per interface with states and aging, and the queue of packets that
wait for a resolution.

Requests are broadcast and retried `RETRIES` times a second apart; when none is answered the
waiting packets are dropped and each sender hears ICMP host unreachable. Entries are REACHABLE
for `REACHABLE_TIME` after they were confirmed, then STALE (still used, but the first use
re-asks), and are forgotten after `FORGET_TIME`. A changed MAC is an event of its own, so a
poisoned cache is visible. A cache holds at most `CACHE_LIMIT` entries (Linux's gc_thresh3):
a newcomer beyond that evicts the entry confirmed longest ago (never a static one), and says so,
so a flood of spoofed requests cannot grow it without bound.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.events import (
    ArpCacheChanged,
    ArpEvicted,
    ArpFailed,
    ArpIgnored,
    ArpRequestSent,
    PacketDropped,
)
from stack.record import field, record
from stack.wire.arp import ARP, REPLY, REQUEST
from stack.wire.errors import WireError
from stack.wire.ethernet import ETH_ARP, ETH_IPV4
from stack.wire.mac import BROADCAST, MAC

if TYPE_CHECKING:
    from stack.host import Host
    from stack.net.interface import Interface

REACHABLE_TIME = 30.0
FORGET_TIME = 300.0
RETRY_INTERVAL = 1.0
RETRIES = 3
QUEUE_LIMIT = 64
CACHE_LIMIT = 1024  # entries per interface's cache, as Linux's neigh gc_thresh3
LIMITED_BROADCAST = IPv4Address("255.255.255.255")
UNSPECIFIED = IPv4Address(0)

INCOMPLETE = "incomplete"
REACHABLE = "reachable"
STALE = "stale"
PERMANENT = "permanent"


@record(frozen=False)
class ArpEntry:
    ip: IPv4Address
    mac: MAC | None
    state: str
    confirmed: float
    changed: float = 0.0
    previous: MAC | None = None
    attempts: int = 0
    queue: list[tuple[bytes, tuple[int, ...]]] = field(default_factory=list)
    timer: object | None = None


class ArpEngine:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.caches: dict[str, dict[IPv4Address, ArpEntry]] = {}
        self.requests_sent = 0
        self.replies_sent = 0
        # Bumped whenever an entry comes, goes or is learned again: what a router remembered
        # about a next hop (`usable`) holds only while it is unchanged.
        self.generation = 0

    # --- the cache as a person sees it -----------------------------------------------------

    def state_of(self, entry: ArpEntry, now: float) -> str:
        if entry.state in (REACHABLE, STALE) and now - entry.confirmed > REACHABLE_TIME:
            return STALE
        return entry.state

    def entries(self) -> list[tuple[str, ArpEntry, str]]:
        """(interface, entry, current state) for every remembered address, oldest forgotten."""
        now = self.host.clock.now()
        out = []
        for ifname, cache in self.caches.items():
            for ip in list(cache):
                entry = cache[ip]
                if (
                    entry.state != PERMANENT
                    and entry.state != INCOMPLETE
                    and now - entry.confirmed > FORGET_TIME
                ):
                    del cache[ip]
                    self.generation += 1
                    continue
                out.append((ifname, entry, self.state_of(entry, now)))
        return out

    def lookup(self, ifname: str, ip: IPv4Address) -> MAC | None:
        entry = self.caches.get(ifname, {}).get(ip)
        return entry.mac if entry is not None else None

    def clear(self) -> None:
        for cache in self.caches.values():
            for entry in cache.values():
                if entry.timer is not None:
                    entry.timer.cancel()
        self.caches.clear()
        self.generation += 1

    def add_static(self, ifname: str, ip: IPv4Address, mac: MAC) -> None:
        self.caches.setdefault(ifname, {})[ip] = ArpEntry(ip, mac, PERMANENT, self.host.clock.now())
        self.generation += 1

    def usable(self, iface: Interface, next_hop: IPv4Address) -> ArpEntry | None:
        """The entry `transmit` sends to `next_hop` through with nothing else to do (its MAC
        known and confirmed recently enough, or static), else None. It stays so while
        `generation` is unchanged and `fresh` says so."""
        if next_hop == LIMITED_BROADCAST or next_hop == iface.broadcast:
            return None  # `transmit` broadcasts these, whatever the cache says
        entry = self.caches.get(iface.name, {}).get(next_hop)
        if entry is None or entry.mac is None or not self.fresh(entry, self.host.clock.now()):
            return None
        return entry

    @staticmethod
    def fresh(entry: ArpEntry, now: float) -> bool:
        """Used as it is: neither stale (which re-asks) nor forgotten."""
        return entry.state == PERMANENT or (
            entry.state == REACHABLE and now - entry.confirmed <= REACHABLE_TIME
        )

    # --- sending through the cache ---------------------------------------------------------

    def transmit(
        self, iface: Interface, next_hop: IPv4Address, packet: bytes, frames: tuple[int, ...] = ()
    ) -> None:
        """Send an IP packet to `next_hop` on `iface`, resolving its MAC first when needed."""
        host = self.host
        if next_hop == LIMITED_BROADCAST or next_hop == iface.broadcast:
            host.link_send(iface, BROADCAST, ETH_IPV4, packet)
            return
        cache = self.caches.get(iface.name)
        if cache is None:
            cache = self.caches[iface.name] = {}
        entry = cache.get(next_hop)
        now = host.clock.now()
        if entry is not None and entry.mac is not None:
            if entry.state != PERMANENT and now - entry.confirmed > FORGET_TIME:
                del cache[next_hop]
                self.generation += 1
                entry = None
            else:
                if (
                    entry.state != PERMANENT
                    and now - entry.confirmed > REACHABLE_TIME
                    and entry.timer is None
                ):
                    # Stale: use it, and ask again (unicast) so a moved address is noticed.
                    entry.state = STALE
                    entry.attempts = 0
                    self._ask(iface, entry, unicast=entry.mac)
                host.link_send(iface, entry.mac, ETH_IPV4, packet)
                return
        if entry is None:
            entry = ArpEntry(next_hop, None, INCOMPLETE, now)
            self._insert(iface, cache, entry, frames)
        if len(entry.queue) >= QUEUE_LIMIT:
            entry.queue.pop(0)
        entry.queue.append((packet, frames))
        if entry.timer is None:
            self._ask(iface, entry)

    def _ask(self, iface: Interface, entry: ArpEntry, unicast: MAC | None = None) -> None:
        host = self.host
        entry.attempts += 1
        request = ARP.request(iface.nic.mac, iface.ip, entry.ip)
        host.trace.emit(
            ArpRequestSent(host.clock.now(), host.name, (), entry.ip, iface.name, entry.attempts)
        )
        self.requests_sent += 1
        host.link_send(iface, unicast or BROADCAST, ETH_ARP, request.build())
        entry.timer = host.clock.call_later(RETRY_INTERVAL, self._retry, iface, entry)

    def _retry(self, iface: Interface, entry: ArpEntry) -> None:
        entry.timer = None
        if entry.state == REACHABLE:
            return
        if entry.attempts < RETRIES:
            self._ask(iface, entry, unicast=entry.mac if entry.state == STALE else None)
            return
        host = self.host
        waiting = entry.queue
        entry.queue = []
        cache = self.caches.get(iface.name, {})
        if cache.get(entry.ip) is entry:
            del cache[entry.ip]
            self.generation += 1
        host.trace.emit(
            ArpFailed(
                host.clock.now(), host.name, (), entry.ip, iface.name, entry.attempts, len(waiting)
            )
        )
        for packet, frames in waiting:
            host.ip.host_unreachable(packet, frames)

    # --- receiving -------------------------------------------------------------------------

    def receive(self, iface: Interface, frame_id: int, payload: bytes) -> None:
        host = self.host
        try:
            arp = ARP.parse(payload)
        except WireError as err:
            iface.nic.counters.rx_malformed += 1
            host.trace.emit(
                PacketDropped(
                    host.clock.now(), host.name, (frame_id,), "?", "?", f"malformed ARP: {err}"
                )
            )
            return
        cache = self.caches.setdefault(iface.name, {})
        now = host.clock.now()
        merged = False
        entry = cache.get(arp.sender_ip)
        if entry is not None and entry.state != PERMANENT and arp.sender_ip != UNSPECIFIED:
            self._learn(
                iface,
                entry,
                arp.sender_mac,
                now,
                frame_id,
                "learned from " + ("reply" if arp.op == REPLY else "request"),
            )
            merged = True
        for_me = iface.configured and arp.target_ip == iface.ip
        if not for_me:
            mine = str(iface.ip) if iface.configured else "(none yet)"
            if arp.op == REQUEST and not arp.is_gratuitous:
                host.trace.emit(
                    ArpIgnored(now, host.name, (frame_id,), arp.sender_ip, arp.target_ip, mine)
                )
            elif not merged:
                # Said, so that a crafted or gratuitous frame that changes nothing is explained.
                if arp.is_gratuitous:
                    why = f"a gratuitous announcement that {arp.sender_ip} is at {arp.sender_mac}, and {arp.sender_ip} is not in the cache (no entry is made from it)"
                else:
                    why = f"a reply for {arp.target_ip}, not my address {mine}"
                host.trace.emit(
                    ArpIgnored(now, host.name, (frame_id,), arp.sender_ip, arp.target_ip, mine, why)
                )
            return
        if not merged and arp.op == REPLY:
            # A reply nobody asked for, about an address not in the cache: Linux (arp_accept=0)
            # does not create an entry from it, and neither do we. An entry that exists is
            # updated above, which is how a poisoning reply takes hold.
            host.trace.emit(
                ArpIgnored(
                    now,
                    host.name,
                    (frame_id,),
                    arp.sender_ip,
                    arp.target_ip,
                    str(iface.ip),
                    f"an unsolicited reply saying {arp.sender_ip} is at {arp.sender_mac}, and {arp.sender_ip} is not in the cache",
                )
            )
            return
        if not merged and arp.sender_ip != UNSPECIFIED:
            entry = ArpEntry(arp.sender_ip, None, INCOMPLETE, now)
            self._insert(iface, cache, entry, (frame_id,))
            self._learn(
                iface,
                entry,
                arp.sender_mac,
                now,
                frame_id,
                "learned from the request for my address"
                if arp.op == REQUEST
                else "learned from reply",
            )
        if arp.op == REQUEST:
            reply = ARP.reply(iface.nic.mac, iface.ip, arp.sender_mac, arp.sender_ip)
            self.replies_sent += 1
            host.link_send(iface, arp.sender_mac, ETH_ARP, reply.build())

    def _insert(
        self,
        iface: Interface,
        cache: dict[IPv4Address, ArpEntry],
        entry: ArpEntry,
        frames: tuple[int, ...],
    ) -> None:
        """Add `entry`; a full cache first forgets the entry confirmed longest ago. Entries are
        kept in the order they were last confirmed (`_learn` moves one to the end)."""
        if len(cache) >= CACHE_LIMIT:
            victim = next(
                (e for e in cache.values() if e.state != PERMANENT and e.timer is None), None
            )
            if victim is None:
                victim = next((e for e in cache.values() if e.state != PERMANENT), None)
            if victim is not None:
                if victim.timer is not None:
                    victim.timer.cancel()
                del cache[victim.ip]
                host = self.host
                host.trace.emit(
                    ArpEvicted(
                        host.clock.now(),
                        host.name,
                        frames,
                        iface.name,
                        victim.ip,
                        str(victim.mac) if victim.mac else "",
                        entry.ip,
                        CACHE_LIMIT,
                    )
                )
        cache[entry.ip] = entry
        self.generation += 1

    def _learn(
        self, iface: Interface, entry: ArpEntry, mac: MAC, now: float, frame_id: int, reason: str
    ) -> None:
        host = self.host
        old = entry.mac
        if old is not None and old != mac:
            entry.previous = old
            entry.changed = now
        if old != mac or entry.state != REACHABLE:
            host.trace.emit(
                ArpCacheChanged(
                    now,
                    host.name,
                    (frame_id,),
                    iface.name,
                    entry.ip,
                    str(mac),
                    str(old) if old else "",
                    REACHABLE,
                    reason,
                )
            )
        entry.mac = mac
        entry.state = REACHABLE
        entry.confirmed = now
        self.generation += 1
        cache = self.caches.get(iface.name)
        if cache is not None and cache.get(entry.ip) is entry and next(reversed(cache)) != entry.ip:
            cache[entry.ip] = cache.pop(entry.ip)  # most recently confirmed last: evicted last
        entry.attempts = 0
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        waiting, entry.queue = entry.queue, []
        for packet, _frames in waiting:
            host.link_send(iface, mac, ETH_IPV4, packet)
