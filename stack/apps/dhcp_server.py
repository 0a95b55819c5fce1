"""A DHCP server (RFC 2131): a pool of addresses, leases with a time, and the four options of
the seed's settings — subnet mask, router, DNS servers — plus lease time and server id.

`LeasePool` is the bookkeeping alone (no clock, no sockets: `now` is passed in), so its rules
can be read and tested by themselves. `DhcpServer` puts it on UDP port 67 of one interface:
DISCOVER → OFFER (the address is held for the client for `OFFER_HOLD` seconds), REQUEST →
ACK or NAK, RELEASE and DECLINE, INFORM, and lease expiry on the clock.

Replies to a client that has no address yet go out as the seed says: from the server's
address to 255.255.255.255, port 67 → 68, in an Ethernet frame addressed to the client's own
MAC (its `chaddr`), since there is no address to ARP for. Like ISC dhcpd and dnsmasq, the
server writes that one frame itself (a raw packet socket), because a UDP socket cannot choose
the destination MAC. A client that sets the broadcast flag gets an Ethernet broadcast; a
client that has an address (renewing) gets plain unicast UDP.

Before it offers an address it has not seen in use, the server pings it (RFC 2131 §2.2,
§4.4.1): an answer means some host already uses it (a fixed address inside the pool, a
forgotten lease), so the address is set aside and the next one is probed; silence for
`PROBE_WAIT` seconds means it is free.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from stack.apps.events import DhcpReceived, DhcpSent, DhcpServerDecision
from stack.record import field, record
from stack.wire import dhcp as D
from stack.wire.dhcp import DHCP
from stack.wire.errors import WireError
from stack.wire.ethernet import ETH_IPV4
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, IPv4
from stack.wire.udp import PROTO as UDP_PROTO
from stack.wire.udp import UDP

if TYPE_CHECKING:
    from stack.host import Host
    from stack.net.interface import Interface

OFFER_HOLD = 60.0  # seconds an offered address stays reserved for the client it was offered to
PROBE_WAIT = 0.5  # seconds a candidate address has to answer the server's ping before it is offered
ZERO = IPv4Address(0)
BROADCAST = IPv4Address("255.255.255.255")

PROBING = "probing"
OFFERED = "offered"
BOUND = "bound"
DECLINED = "declined"


@record
class DhcpServerConfig:
    interface: str = "eth0"
    pool_start: IPv4Address = IPv4Address("192.168.1.100")
    pool_end: IPv4Address = IPv4Address("192.168.1.199")
    lease: int = 3600
    router: IPv4Address | None = None  # None: the server's own address on the interface
    dns: tuple[IPv4Address, ...] = ()
    mask: IPv4Address | None = None  # None: the interface's mask
    next_server: IPv4Address | None = None  # network boot: siaddr and option 66
    boot_file: str | None = None  # network boot: option 67 and `file` (iPXE takes a URL)


@record(frozen=False)
class Lease:
    address: IPv4Address
    client: bytes  # client identifier (option 61) or the MAC
    mac: str
    state: str
    expires: float
    timer: object | None = field(default=None, repr=False)


class LeasePool:
    """Which address goes to which client, until when."""

    def __init__(self, start: IPv4Address, end: IPv4Address) -> None:
        if int(end) < int(start):
            raise ValueError(f"pool {start}-{end} ends before it starts")
        self.start = start
        self.end = end
        self.leases: dict[IPv4Address, Lease] = {}
        self.last_address: dict[bytes, IPv4Address] = {}  # a returning client gets its old one

    def __contains__(self, address: IPv4Address) -> bool:
        return int(self.start) <= int(address) <= int(self.end)

    @property
    def size(self) -> int:
        return int(self.end) - int(self.start) + 1

    def lease_of(self, client: bytes, now: float) -> Lease | None:
        for lease in self.leases.values():
            if lease.client == client and lease.state in (OFFERED, BOUND) and lease.expires > now:
                return lease
        return None

    def probing_for(self, client: bytes, now: float) -> Lease | None:
        """The address being probed for this client right now, if any."""
        for lease in self.leases.values():
            if lease.client == client and lease.state == PROBING and lease.expires > now:
                return lease
        return None

    def holder(self, address: IPv4Address, now: float) -> Lease | None:
        """The live lease (or decline) on an address, or None if it is free."""
        lease = self.leases.get(address)
        if lease is None or lease.expires <= now:
            return None
        return lease

    def free_for(self, address: IPv4Address, client: bytes, now: float) -> bool:
        if address not in self:
            return False
        lease = self.holder(address, now)
        return lease is None or (lease.client == client and lease.state != DECLINED)

    def choose(
        self, client: bytes, requested: IPv4Address | None, now: float
    ) -> tuple[IPv4Address | None, str]:
        """The address to offer and why (RFC 2131 §4.3.1's order of preference)."""
        current = self.lease_of(client, now)
        if current is not None:
            return current.address, f"the client already holds {current.address}"
        if requested is not None and self.free_for(requested, client, now):
            return requested, f"the client asked for {requested} and it is free"
        previous = self.last_address.get(client)
        if previous is not None and self.free_for(previous, client, now):
            return previous, f"the client had {previous} before and it is free"
        why = ""
        if requested is not None:
            why = f" ({requested} it asked for is {'taken' if requested in self else 'not in the pool'})"
        for value in range(int(self.start), int(self.end) + 1):
            address = IPv4Address(value)
            if self.holder(address, now) is None:
                return address, f"first free address in the pool {self.start}-{self.end}{why}"
        return None, f"the pool {self.start}-{self.end} is exhausted: {self._holders(now)}"

    def _holders(self, now: float) -> str:
        """Who holds the pool: a starvation attack shows as offers that are never requested."""
        counts: dict[str, int] = {}
        soonest = None
        for lease in self.leases.values():
            if lease.expires > now:
                counts[lease.state] = counts.get(lease.state, 0) + 1
                if lease.state in (OFFERED, PROBING):
                    soonest = lease.expires if soonest is None else min(soonest, lease.expires)
        words = {
            BOUND: "leased",
            OFFERED: "offered and not yet requested",
            PROBING: "being probed",
            DECLINED: "declined",
        }
        parts = [f"{counts[state]} {words[state]}" for state in words if counts.get(state)]
        text = f"{sum(counts.values())} of {self.size} addresses held ({', '.join(parts)})"
        if soonest is not None:
            text += f"; the first offer not taken up frees at {soonest:.1f} s"
        return text

    def hold(
        self, address: IPv4Address, client: bytes, mac: str, state: str, until: float
    ) -> Lease:
        lease = self.leases.get(address)
        if lease is not None and lease.timer is not None:
            lease.timer.cancel()
        lease = Lease(address, client, mac, state, until)
        self.leases[address] = lease
        if state == BOUND:
            self.last_address[client] = address
        return lease

    def release(self, address: IPv4Address, client: bytes) -> bool:
        lease = self.leases.get(address)
        if lease is None or lease.client != client or lease.state == DECLINED:
            return False
        self.forget(address)
        return True

    def forget(self, address: IPv4Address) -> None:
        lease = self.leases.pop(address, None)
        if lease is not None and lease.timer is not None:
            lease.timer.cancel()

    def bound(self, now: float) -> list[Lease]:
        return sorted(
            (x for x in self.leases.values() if x.state == BOUND and x.expires > now),
            key=lambda x: int(x.address),
        )


def client_key(message: DHCP) -> bytes:
    return message.client_id or bytes(message.chaddr)


class DhcpServer:
    def __init__(self, host: Host, config: DhcpServerConfig) -> None:
        self.host = host
        self.config = config
        iface = host.interfaces.get(config.interface)
        if iface is None or not iface.configured:
            raise ValueError(
                f"{host.name}: DHCP server interface {config.interface} has no address"
            )
        self.iface = iface
        self.server_id = iface.ip
        self.network: IPv4Network = iface.network
        self.mask = config.mask or iface.netmask
        self.routers = (config.router or iface.ip,)
        self.pool = LeasePool(config.pool_start, config.pool_end)
        self.sock = host.udp.open(D.SERVER_PORT)
        self.sock.on_datagram = self._datagram
        self.stats = {
            "discover": 0,
            "request": 0,
            "offer": 0,
            "ack": 0,
            "nak": 0,
            "release": 0,
            "decline": 0,
            "ignored": 0,
        }

    def close(self) -> None:
        for address in list(self.pool.leases):
            self.pool.forget(address)
        self.sock.close()

    # --- receiving -------------------------------------------------------------------------

    def _datagram(
        self,
        data: bytes,
        source: tuple[IPv4Address, int],
        dst: IPv4Address,
        iface: Interface,
        frames: tuple[int, ...],
    ) -> None:
        host = self.host
        now = host.clock.now()
        src = f"{source[0]}:{source[1]}"
        if iface.name != self.iface.name:
            # One interface's LAN is served; a router's other sides are not its clients.
            self.stats["ignored"] += 1
            host.trace.emit(
                DhcpServerDecision(
                    now,
                    host.name,
                    frames,
                    "?",
                    "",
                    f"ignores a message from {src} on {iface.name}: it serves only the LAN on {self.iface.name}",
                )
            )
            return
        try:
            msg = DHCP.parse(data)
        except WireError as err:
            self.stats["ignored"] += 1
            host.trace.emit(
                DhcpServerDecision(
                    now,
                    host.name,
                    frames,
                    "?",
                    "",
                    f"ignores a malformed message from {src}: {err}",
                )
            )
            return
        if msg.op != D.BOOTREQUEST or msg.message_type is None:
            self.stats["ignored"] += 1
            return
        name = msg.message_name.upper()
        asked = f", asks for {msg.requested_ip}" if msg.requested_ip is not None else ""
        has = f", has {msg.ciaddr}" if msg.ciaddr != ZERO else ""
        host.trace.emit(
            DhcpReceived(
                now,
                host.name,
                frames,
                "server",
                name,
                msg.xid,
                src,
                f"client {msg.chaddr}{has}{asked}",
            )
        )
        kind = msg.message_type
        if kind == D.DISCOVER:
            self._discover(msg, frames)
        elif kind == D.REQUEST:
            self._request(msg, frames)
        elif kind == D.RELEASE:
            self._release(msg, frames)
        elif kind == D.DECLINE:
            self._decline(msg, frames)
        elif kind == D.INFORM:
            self._inform(msg, frames)
        else:
            self.stats["ignored"] += 1

    def _discover(self, msg: DHCP, frames: tuple[int, ...]) -> None:
        host = self.host
        now = host.clock.now()
        self.stats["discover"] += 1
        client = client_key(msg)
        if self.pool.probing_for(client, now) is not None:
            # A retransmitted DISCOVER (iPXE resends after 1 s, sooner under load): the probe
            # under way answers it. Choosing again would probe and offer a second address,
            # and the REQUEST for one of them would then be refused.
            return
        address, why = self.pool.choose(client, msg.requested_ip, now)
        if address is None:
            host.trace.emit(
                DhcpServerDecision(
                    now, host.name, frames, str(msg.chaddr), "", f"no offer for {msg.chaddr}: {why}"
                )
            )
            return
        current = self.pool.lease_of(client, now)
        if current is None or current.address != address:
            self._probe(msg, address, why, frames)
            return
        self._offer(msg, address, why, frames)

    def _offer(self, msg: DHCP, address: IPv4Address, why: str, frames: tuple[int, ...]) -> None:
        host = self.host
        now = host.clock.now()
        client = client_key(msg)
        current = self.pool.lease_of(client, now)
        if current is None or current.state != BOUND:
            lease = self.pool.hold(address, client, str(msg.chaddr), OFFERED, now + OFFER_HOLD)
            lease.timer = host.clock.call_later(OFFER_HOLD, self._timeout, address, lease)
        host.trace.emit(
            DhcpServerDecision(
                now,
                host.name,
                frames,
                str(msg.chaddr),
                str(address),
                f"offers {address} to {msg.chaddr}: {why}",
            )
        )
        self.stats["offer"] += 1
        self._reply(msg, D.OFFER, address, frames)

    def _probe(self, msg: DHCP, address: IPv4Address, why: str, frames: tuple[int, ...]) -> None:
        """Ping `address` before offering it; whoever answers is already using it."""
        host = self.host
        now = host.clock.now()
        lease = self.pool.hold(address, client_key(msg), str(msg.chaddr), PROBING, now + PROBE_WAIT)
        ident = host.rng.randrange(1, 0x10000)
        while ident in host.icmp.echo_listeners:
            ident = host.rng.randrange(1, 0x10000)

        def done() -> None:
            host.icmp.echo_listeners.pop(ident, None)

        def answered(packet: IPv4, reply: ICMP, reply_frames: tuple[int, ...]) -> None:
            if packet.src != address or self.pool.leases.get(address) is not lease:
                return
            timer.cancel()
            done()
            self._set_aside(
                address,
                reply_frames,
                f"{address} answered the server's ping: some host already uses it, so it is not offered (RFC 2131 §2.2)",
            )
            self._discover_again(msg, frames)

        def silent() -> None:
            done()
            if self.pool.leases.get(address) is not lease:
                return
            self.pool.forget(address)
            host.trace.emit(
                DhcpServerDecision(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(msg.chaddr),
                    str(address),
                    f"nobody answered a ping for {address} within {PROBE_WAIT:g} s: it is free",
                )
            )
            self._offer(msg, address, why, frames)

        host.icmp.echo_listeners[ident] = answered
        timer = host.clock.call_later(PROBE_WAIT, silent)
        host.trace.emit(
            DhcpServerDecision(
                now,
                host.name,
                frames,
                str(msg.chaddr),
                str(address),
                f"pings {address} before offering it to {msg.chaddr}: is it already in use?",
            )
        )
        host.ip.send(
            address,
            PROTO_ICMP,
            ICMP.echo_request(ident, 1, b"dhcp address probe").build(),
            frames=frames,
        )

    def _discover_again(self, msg: DHCP, frames: tuple[int, ...]) -> None:
        self.stats["discover"] -= 1  # the same DISCOVER, answered with the next candidate
        self._discover(msg, frames)

    def _set_aside(self, address: IPv4Address, frames: tuple[int, ...], decision: str) -> None:
        host = self.host
        lease = self.pool.hold(address, b"", "", DECLINED, host.clock.now() + self.config.lease)
        lease.timer = host.clock.call_later(self.config.lease, self._timeout, address, lease)
        host.trace.emit(
            DhcpServerDecision(
                host.clock.now(),
                host.name,
                frames,
                "",
                str(address),
                f"{decision}; set aside for {self.config.lease:,} s",
            )
        )

    def _request(self, msg: DHCP, frames: tuple[int, ...]) -> None:
        host = self.host
        now = host.clock.now()
        self.stats["request"] += 1
        client = client_key(msg)
        mac = str(msg.chaddr)
        if msg.server_id is not None:
            # SELECTING: the client answers one server's offer, by that server's id.
            offered = self.pool.lease_of(client, now)
            if msg.server_id != self.server_id:
                if offered is not None and offered.state == OFFERED:
                    self.pool.forget(offered.address)
                host.trace.emit(
                    DhcpServerDecision(
                        now,
                        host.name,
                        frames,
                        mac,
                        "",
                        f"{mac} chose server {msg.server_id}, not this one: offer withdrawn",
                    )
                )
                return
            wanted = msg.requested_ip
            if offered is not None and wanted == offered.address:
                self._bind(msg, wanted, frames, "accepted its offer")
            else:
                self._nak(msg, frames, f"{wanted} was not offered to {mac}")
            return
        if msg.ciaddr == ZERO:
            # INIT-REBOOT: a client that remembers an address asks to keep it.
            wanted = msg.requested_ip
            if wanted is None:
                self._nak(msg, frames, "REQUEST names no address")
            elif wanted not in self.network:
                self._nak(msg, frames, f"{wanted} is not on this network {self.network}")
            elif not self.pool.free_for(wanted, client, now):
                self._nak(msg, frames, f"{wanted} is not free for {mac}")
            else:
                self._bind(msg, wanted, frames, "confirmed the address it remembered")
            return
        # RENEWING (unicast) or REBINDING (broadcast): extend the lease on ciaddr.
        lease = self.pool.holder(msg.ciaddr, now)
        if lease is not None and lease.client == client and lease.state == BOUND:
            self._bind(msg, msg.ciaddr, frames, "renewed")
        elif msg.ciaddr in self.pool:
            self._nak(msg, frames, f"{msg.ciaddr} is not leased to {mac}")
        else:
            host.trace.emit(
                DhcpServerDecision(
                    now,
                    host.name,
                    frames,
                    mac,
                    str(msg.ciaddr),
                    f"no lease of {msg.ciaddr} here: stays silent",
                )
            )

    def _bind(self, msg: DHCP, address: IPv4Address, frames: tuple[int, ...], why: str) -> None:
        host = self.host
        now = host.clock.now()
        lease_time = self.config.lease
        lease = self.pool.hold(address, client_key(msg), str(msg.chaddr), BOUND, now + lease_time)
        lease.timer = host.clock.call_later(lease_time, self._timeout, address, lease)
        host.trace.emit(
            DhcpServerDecision(
                now,
                host.name,
                frames,
                str(msg.chaddr),
                str(address),
                f"leases {address} to {msg.chaddr} for {lease_time:,} s ({why})",
            )
        )
        self.stats["ack"] += 1
        self._reply(msg, D.ACK, address, frames)

    def _nak(self, msg: DHCP, frames: tuple[int, ...], why: str) -> None:
        host = self.host
        host.trace.emit(
            DhcpServerDecision(
                host.clock.now(),
                host.name,
                frames,
                str(msg.chaddr),
                "",
                f"refuses {msg.chaddr}: {why}",
            )
        )
        self.stats["nak"] += 1
        reply = DHCP.nak(msg, self.server_id, why)
        self._send(reply, msg, frames, f"NAK: {why}")

    def _release(self, msg: DHCP, frames: tuple[int, ...]) -> None:
        host = self.host
        self.stats["release"] += 1
        if msg.server_id not in (None, self.server_id):
            return
        if self.pool.release(msg.ciaddr, client_key(msg)):
            decision = f"{msg.chaddr} released {msg.ciaddr}: back in the pool"
        else:
            decision = f"{msg.chaddr} released {msg.ciaddr}, which it did not hold here"
        host.trace.emit(
            DhcpServerDecision(
                host.clock.now(), host.name, frames, str(msg.chaddr), str(msg.ciaddr), decision
            )
        )

    def _decline(self, msg: DHCP, frames: tuple[int, ...]) -> None:
        self.stats["decline"] += 1
        address = msg.requested_ip
        if address is None or address not in self.pool:
            return
        self._set_aside(address, frames, f"{msg.chaddr} found {address} already in use")

    def _inform(self, msg: DHCP, frames: tuple[int, ...]) -> None:
        reply = DHCP.reply(
            msg,
            D.ACK,
            ZERO,
            self.server_id,
            subnet_mask=self.mask,
            routers=self.routers,
            dns_servers=self.config.dns,
        )
        self.stats["ack"] += 1
        self._send(reply, msg, frames, "settings only (INFORM), no lease")

    def _timeout(self, address: IPv4Address, lease: Lease) -> None:
        if self.pool.leases.get(address) is not lease:
            return
        host = self.host
        self.pool.forget(address)
        if lease.state == BOUND:
            decision = f"lease of {address} to {lease.mac} expired: back in the pool"
        elif lease.state == OFFERED:
            decision = f"offer of {address} to {lease.mac} was not taken within {OFFER_HOLD:g} s: back in the pool"
        else:
            decision = f"declined address {address} is usable again"
        host.trace.emit(
            DhcpServerDecision(host.clock.now(), host.name, (), lease.mac, str(address), decision)
        )

    # --- sending ---------------------------------------------------------------------------

    def _reply(self, msg: DHCP, kind: int, address: IPv4Address, frames: tuple[int, ...]) -> None:
        config = self.config
        reply = DHCP.reply(
            msg,
            kind,
            address,
            self.server_id,
            lease_time=config.lease,
            subnet_mask=self.mask,
            routers=self.routers,
            dns_servers=config.dns,
            siaddr=config.next_server or ZERO,
            next_server=str(config.next_server) if config.next_server else None,
            boot_file=config.boot_file,
        )
        dns = ", ".join(str(d) for d in config.dns) or "none"
        detail = (
            f"{address} for {msg.chaddr}; mask {self.mask}, router {self.routers[0]}, DNS {dns}, "
            f"lease {config.lease:,} s, server id {self.server_id}"
        )
        if config.next_server:
            detail += f", next server {config.next_server}"
        if config.boot_file:
            detail += f", boot file {config.boot_file}"
        self._send(reply, msg, frames, detail)

    def _send(self, reply: DHCP, request: DHCP, frames: tuple[int, ...], detail: str) -> None:
        """RFC 2131 §4.1: relay agent, else the client's address, else broadcast or its MAC."""
        host = self.host
        data = reply.build()
        name = reply.message_name.upper()
        src = f"{self.server_id}:{D.SERVER_PORT}"
        if request.giaddr != ZERO:
            dst, port, how = request.giaddr, D.SERVER_PORT, "to the relay agent"
        elif request.ciaddr != ZERO and reply.message_type != D.NAK:
            dst, port, how = request.ciaddr, D.CLIENT_PORT, "unicast"
        else:
            dst, port = BROADCAST, D.CLIENT_PORT
            how = (
                "broadcast"
                if request.broadcast or reply.message_type == D.NAK
                else f"to MAC {request.chaddr}"
            )
        host.trace.emit(
            DhcpSent(
                host.clock.now(),
                host.name,
                frames,
                "server",
                name,
                reply.xid,
                src,
                f"{dst}:{port} ({how})",
                detail,
            )
        )
        if dst == BROADCAST and how != "broadcast":
            self._send_to_mac(data, request, frames)
        elif dst == BROADCAST:
            self.sock.sendto(
                data, (dst, port), interface=self.iface.name, src=self.server_id, frames=frames
            )
        else:
            self.sock.sendto(data, (dst, port), frames=frames)

    def _send_to_mac(self, data: bytes, request: DHCP, frames: tuple[int, ...]) -> None:
        host = self.host
        udp = UDP.make(self.server_id, BROADCAST, D.SERVER_PORT, D.CLIENT_PORT, data).build()
        packet = IPv4.make(self.server_id, BROADCAST, UDP_PROTO, udp, ident=host.ip.next_ident())
        host.link_send(self.iface, request.chaddr, ETH_IPV4, packet.build())

    # --- for the screen and the `leases` view ------------------------------------------------
