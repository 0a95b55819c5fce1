"""A DHCP client (RFC 2131 §4.4): the seed's way for a new computer to learn its four settings.

The first packet is the seed's: source MAC the NIC's own, destination ff:ff:ff:ff:ff:ff, IP
0.0.0.0 → 255.255.255.255, UDP 68 → 67. The client takes the first OFFER, REQUESTs it by
broadcast naming the server, and on the ACK installs address and mask, the default gateway
(origin "dhcp") and the DNS servers. It renews at T1 by unicast to the server, rebinds at T2 by
broadcast to any server, and when the lease runs out removes what it installed and starts
again. Messages are retransmitted after 4, 8, 16 and 32 s (RFC 2131 §4.1, without the random
±1 s so a run is reproducible); then the client gives up, as dhclient says "No DHCPOFFERS".

No ARP probe of the offered address before using it (RFC 2131 §4.4.1 says SHOULD; dhclient
leaves it to its script): the server's pool is the lab's to keep free of fixed addresses.

`DhcpRun` is the `dhcp` command: it starts (or renews, or releases) the interface's client
and prints what dhclient -v prints.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface
from typing import TYPE_CHECKING

from stack.apps.events import (
    DhcpClientState,
    DhcpLeaseInstalled,
    DhcpLeaseLost,
    DhcpReceived,
    DhcpSent,
)
from stack.apps.program import Program
from stack.wire import dhcp as D
from stack.wire.dhcp import DHCP
from stack.wire.errors import WireError

if TYPE_CHECKING:
    from stack.host import Host
    from stack.net.interface import Interface

ZERO = IPv4Address(0)
BROADCAST = IPv4Address("255.255.255.255")
RETRANSMIT = (4.0, 8.0, 16.0, 32.0)  # then give up (RFC 2131 §4.1: 4 s doubling)
MIN_RENEW_RETRY = 60.0  # RFC 2131 §4.4.5: half the time left, at least 60 s

INIT = "INIT"
SELECTING = "SELECTING"
REQUESTING = "REQUESTING"
BOUND = "BOUND"
RENEWING = "RENEWING"
REBINDING = "REBINDING"
STOPPED = "STOPPED"

# (what happened, the dhclient-style line): "line", "bound", "failed", "released"
Watcher = Callable[[str, str], None]


class DhcpClient:
    def __init__(self, host: Host, ifname: str = "eth0") -> None:
        self.host = host
        self.ifname = ifname
        self.iface: Interface = host.interfaces[ifname]
        self.state = STOPPED
        self.xid = 0
        self.sock = None
        self.server: IPv4Address | None = None
        self.address: IPv4Interface | None = None
        self.offer: DHCP | None = None
        self.lease = 0
        self.t1 = 0
        self.t2 = 0
        self.lease_start = 0.0
        self.request_sent = 0.0
        self.tries = 0
        self.installed_gateway: IPv4Address | None = None
        self.installed_dns: list[IPv4Address] = []
        self.watchers: list[Watcher] = []
        self._timer = None
        self._lease_timers: list = []

    # --- control ---------------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        return self.state in (BOUND, RENEWING, REBINDING)

    def start(self) -> None:
        """From scratch: DISCOVER (asking for the address it had, if any)."""
        self._open()
        self.offer = None
        self.tries = 0
        self.xid = self.host.rng.getrandbits(32)
        self._set_state(SELECTING, "looking for a DHCP server")
        self._discover()

    def start_if_idle(self) -> None:
        if self.state == STOPPED:
            self.start()

    def renew(self) -> None:
        """Renew now (as at T1), or start over when there is no lease to renew."""
        if not self.bound or self.server is None:
            self.start()
            return
        self.xid = self.host.rng.getrandbits(32)
        self.tries = 0
        self._set_state(RENEWING, "renewal asked for")
        self._send_renewal()

    def release(self) -> bool:
        """Give the address back (RELEASE, unicast to the server) and remove it here."""
        if not self.bound or self.address is None or self.server is None:
            return False
        xid = self.host.rng.getrandbits(32)
        msg = DHCP.release(self.iface.nic.mac, xid, self.address.ip, self.server)
        self._emit_sent(
            msg, f"{self.address.ip}:68", f"{self.server}:67", f"gives {self.address.ip} back"
        )
        self._tell(
            "line", f"DHCPRELEASE of {self.address.ip} on {self.ifname} to {self.server} port 67"
        )
        self.sock.sendto(msg.build(), (self.server, D.SERVER_PORT))
        self._drop_lease("released by the user")
        self._cancel()
        self._set_state(STOPPED, "address released")
        self._tell("released", "")
        return True

    def stop(self) -> None:
        self._cancel()
        for timer in self._lease_timers:
            timer.cancel()
        self._lease_timers = []
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.state = STOPPED

    # --- messages out ----------------------------------------------------------------------

    def _open(self) -> None:
        if self.sock is None:
            self.sock = self.host.udp.open(D.CLIENT_PORT)
            self.sock.on_datagram = self._datagram

    def _discover(self) -> None:
        host = self.host
        mac = self.iface.nic.mac
        wanted = (
            self.address.ip
            if self.address is not None
            else (self.iface.ip if self.iface.configured else None)
        )
        msg = DHCP.discover(mac, self.xid, requested_ip=wanted, hostname=host.name)
        interval = RETRANSMIT[self.tries]
        asks = f", asks for {wanted}" if wanted else ""
        self._emit_sent(
            msg,
            "0.0.0.0:68",
            "255.255.255.255:67",
            f"from MAC {mac} to ff:ff:ff:ff:ff:ff, who can give me an address?{asks}",
        )
        self._tell(
            "line",
            f"DHCPDISCOVER on {self.ifname} to 255.255.255.255 port 67 interval {interval:g}",
        )
        self.sock.sendto(msg.build(), (BROADCAST, D.SERVER_PORT), interface=self.ifname, src=ZERO)
        self._timer = host.clock.call_later(interval, self._retry, self._discover)

    def _request_offer(self) -> None:
        offer = self.offer
        assert offer is not None and offer.server_id is not None
        msg = DHCP.request(
            self.iface.nic.mac,
            self.xid,
            requested_ip=offer.yiaddr,
            server_id=offer.server_id,
            hostname=self.host.name,
        )
        self.request_sent = self.host.clock.now()
        self._emit_sent(
            msg,
            "0.0.0.0:68",
            "255.255.255.255:67",
            f"takes {offer.yiaddr} from server {offer.server_id} (broadcast, so other servers hear the choice)",
        )
        self._tell(
            "line", f"DHCPREQUEST for {offer.yiaddr} on {self.ifname} to 255.255.255.255 port 67"
        )
        self.sock.sendto(msg.build(), (BROADCAST, D.SERVER_PORT), interface=self.ifname, src=ZERO)
        self._timer = self.host.clock.call_later(
            RETRANSMIT[self.tries], self._retry, self._request_offer
        )

    def _send_renewal(self) -> None:
        """RENEWING: unicast to the server that leased; REBINDING: broadcast to any server."""
        host = self.host
        assert self.address is not None
        ip = self.address.ip
        msg = DHCP.request(self.iface.nic.mac, self.xid, ciaddr=ip, hostname=host.name)
        self.request_sent = host.clock.now()
        if self.state == RENEWING and self.server is not None:
            dst, how = self.server, "unicast to the server that leased it"
        else:
            dst, how = BROADCAST, "broadcast: any server may answer"
        self._emit_sent(msg, f"{ip}:68", f"{dst}:67", f"asks to keep {ip} ({how})")
        self._tell("line", f"DHCPREQUEST for {ip} on {self.ifname} to {dst} port 67")
        if dst == BROADCAST:
            self.sock.sendto(msg.build(), (BROADCAST, D.SERVER_PORT), interface=self.ifname, src=ip)
        else:
            self.sock.sendto(msg.build(), (dst, D.SERVER_PORT))
        # RFC 2131 §4.4.5: retry after half the time left before T2 (or expiry), at least 60 s.
        end = self.lease_start + (self.t2 if self.state == RENEWING else self.lease)
        wait = max(MIN_RENEW_RETRY, (end - host.clock.now()) / 2)
        if host.clock.now() + wait < end:
            self._timer = host.clock.call_later(wait, self._send_renewal)

    def _retry(self, again: Callable[[], None]) -> None:
        self._timer = None
        self.tries += 1
        if self.tries < len(RETRANSMIT):
            again()
            return
        if self.state == REQUESTING:
            self._set_state(SELECTING, "no ACK after 4 requests: start over")
            self.tries = 0
            self.xid = self.host.rng.getrandbits(32)
            self._discover()
            return
        self._set_state(
            STOPPED, f"no offer after {len(RETRANSMIT)} DISCOVERs ({sum(RETRANSMIT):g} s)"
        )
        self._tell("line", "No DHCPOFFERS received.")
        self._tell("failed", "No working leases in persistent database - sleeping.")

    # --- messages in -----------------------------------------------------------------------

    def _datagram(
        self,
        data: bytes,
        source: tuple[IPv4Address, int],
        dst: IPv4Address,
        iface: Interface,
        frames: tuple[int, ...],
    ) -> None:
        if iface.name != self.ifname:
            return
        try:
            msg = DHCP.parse(data)
        except WireError:
            return
        if msg.op != D.BOOTREPLY or msg.xid != self.xid or msg.chaddr != self.iface.nic.mac:
            return  # someone else's exchange (every client on the LAN hears broadcast replies)
        host = self.host
        kind = msg.message_type
        name = msg.message_name.upper()
        server = msg.server_id or source[0]
        detail = self._describe_reply(msg)
        host.trace.emit(
            DhcpReceived(
                host.clock.now(),
                host.name,
                frames,
                "client",
                name,
                msg.xid,
                f"{source[0]}:{source[1]}",
                detail,
            )
        )
        if kind == D.OFFER and self.state == SELECTING and msg.server_id is not None:
            self._cancel()
            self.offer = msg
            self.tries = 0
            self._tell("line", f"DHCPOFFER of {msg.yiaddr} from {server}")
            self._set_state(REQUESTING, f"first offer taken: {msg.yiaddr} from {server}")
            self._request_offer()
        elif kind == D.ACK and self.state in (REQUESTING, RENEWING, REBINDING):
            if self.state != REQUESTING and (self.address is None or msg.yiaddr != self.address.ip):
                return
            self._cancel()
            self._tell("line", f"DHCPACK of {msg.yiaddr} from {server}")
            self._install(msg, server, frames)
        elif kind == D.NAK and self.state in (REQUESTING, RENEWING, REBINDING):
            self._cancel()
            why = (msg.option(D.MESSAGE) or b"").decode("latin-1") or "no reason given"
            self._tell("line", f"DHCPNAK from {server} ({why})")
            if self.address is not None:
                self._drop_lease(f"the server said NAK: {why}")
            self._set_state(INIT, "NAK: start over")
            self.start()

    def _describe_reply(self, msg: DHCP) -> str:
        if msg.message_type == D.NAK:
            return "the server refuses"
        parts = [f"your address {msg.yiaddr}"]
        if msg.subnet_mask is not None:
            parts.append(f"mask {msg.subnet_mask}")
        if msg.routers:
            parts.append(f"router {msg.routers[0]}")
        if msg.dns_servers:
            parts.append("DNS " + ", ".join(str(d) for d in msg.dns_servers))
        if msg.lease_time is not None:
            parts.append(f"lease {msg.lease_time:,} s")
        return ", ".join(parts)

    # --- the lease -------------------------------------------------------------------------

    def _install(self, ack: DHCP, server: IPv4Address, frames: tuple[int, ...]) -> None:
        host = self.host
        mask = ack.subnet_mask or _classful_mask(ack.yiaddr)
        address = IPv4Interface(f"{ack.yiaddr}/{mask}")
        lease = ack.lease_time if ack.lease_time is not None else 0xFFFFFFFF
        self.lease = lease
        self.t1 = ack.renewal_time if ack.renewal_time is not None else lease // 2
        self.t2 = ack.rebinding_time if ack.rebinding_time is not None else lease * 7 // 8
        self.lease_start = self.request_sent
        self.server = server
        if self.address != address or self.iface.address != address:
            host.configure(self.ifname, address)
        self.address = address
        gateway = ack.routers[0] if ack.routers else None
        if gateway is not None:
            try:
                host.set_gateway(gateway, origin="dhcp")
                self.installed_gateway = gateway
            except ValueError:
                gateway = None
        if ack.dns_servers:
            host.dns_servers = list(ack.dns_servers)
            self.installed_dns = list(ack.dns_servers)
        host.trace.emit(
            DhcpLeaseInstalled(
                host.clock.now(),
                host.name,
                frames,
                self.ifname,
                str(address.ip),
                str(address.netmask),
                str(gateway) if gateway else "",
                tuple(str(d) for d in ack.dns_servers),
                lease,
                self.t1,
                self.t2,
                str(server),
            )
        )
        for timer in self._lease_timers:
            timer.cancel()
        elapsed = host.clock.now() - self.lease_start
        clock = host.clock
        self._lease_timers = [
            clock.call_later(self.t1 - elapsed, self._at_t1),
            clock.call_later(self.t2 - elapsed, self._at_t2),
            clock.call_later(lease - elapsed, self._expire),
        ]
        self._set_state(BOUND, f"lease of {address.ip} for {lease:,} s")
        self._tell("bound", f"bound to {address.ip} -- renewal in {self.t1} seconds.")

    def _at_t1(self) -> None:
        if self.state != BOUND:
            return
        self.xid = self.host.rng.getrandbits(32)
        self._set_state(RENEWING, f"T1: {self.t1:,} s of the lease gone")
        self._send_renewal()

    def _at_t2(self) -> None:
        if self.state not in (BOUND, RENEWING):
            return
        self._cancel()
        self.xid = self.host.rng.getrandbits(32)
        self._set_state(
            REBINDING, f"T2: {self.t2:,} s gone and server {self.server} has not renewed"
        )
        self._send_renewal()

    def _expire(self) -> None:
        if not self.bound:
            return
        self._cancel()
        self._drop_lease(f"the lease of {self.lease:,} s ran out without a renewal")
        self.start()

    def _drop_lease(self, why: str) -> None:
        host = self.host
        address = self.address
        for timer in self._lease_timers:
            timer.cancel()
        self._lease_timers = []
        if address is not None and self.iface.address == address:
            host.unconfigure(self.ifname)
        if self.installed_dns and host.dns_servers == self.installed_dns:
            host.dns_servers = []
        self.installed_dns = []
        self.installed_gateway = None
        self.address = None
        host.trace.emit(
            DhcpLeaseLost(
                host.clock.now(),
                host.name,
                (),
                self.ifname,
                str(address.ip) if address else "-",
                why,
            )
        )

    # --- plumbing ----------------------------------------------------------------------------

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set_state(self, new: str, why: str) -> None:
        old, self.state = self.state, new
        if old != new:
            host = self.host
            host.trace.emit(
                DhcpClientState(host.clock.now(), host.name, (), self.ifname, old, new, why)
            )

    def _emit_sent(self, msg: DHCP, src: str, dst: str, detail: str) -> None:
        host = self.host
        host.trace.emit(
            DhcpSent(
                host.clock.now(),
                host.name,
                (),
                "client",
                msg.message_name.upper(),
                msg.xid,
                src,
                dst,
                detail,
            )
        )

    def _tell(self, what: str, line: str) -> None:
        for watcher in list(self.watchers):
            watcher(what, line)


def _classful_mask(address: IPv4Address) -> str:
    first = int(address) >> 24
    return "255.0.0.0" if first < 128 else "255.255.0.0" if first < 192 else "255.255.255.0"


def client_for(host: Host, ifname: str = "eth0") -> DhcpClient:
    """The interface's one DHCP client (made on first use), kept in `host.services`."""
    key = f"dhcp-client:{ifname}"
    client = host.services.get(key)
    if client is None:
        client = DhcpClient(host, ifname)
        host.services[key] = client
    return client  # type: ignore[return-value]


class DhcpRun(Program):
    """`dhcp [-r] [IFACE]`: get (or renew, or release) a lease and print what dhclient -v does."""

    name = "dhcp"

    def __init__(self, host: Host, ifname: str = "eth0", release: bool = False) -> None:
        super().__init__()
        self.host = host
        self.client = client_for(host, ifname)
        self.release = release
        self._deadline = None

    def start(self) -> DhcpRun:
        client = self.client
        client.watchers.append(self._watch)
        if self.release:
            released = client.release()
            if not released:
                self.lines.append(f"dhcp: {client.ifname} holds no DHCP lease to release")
            self._end(released)
            return self
        if client.state in (SELECTING, REQUESTING):
            self.lines.append(f"(a DHCP exchange on {client.ifname} is already under way)")
        elif client.bound:
            # A renewal that gets no answer keeps trying until T2; the command stops waiting sooner.
            self._deadline = self.host.clock.call_later(sum(RETRANSMIT), self._no_answer)
            client.renew()
        else:
            client.start()
        return self

    def _watch(self, what: str, line: str) -> None:
        if line:
            self.lines.append(line)
        if what in ("bound", "failed"):
            if what == "bound":
                self._settings()
            self._end(what == "bound")

    def _no_answer(self) -> None:
        self.lines.append(
            f"no answer from {self.client.server} in {sum(RETRANSMIT):g} s; the lease stays until T2 or expiry"
        )
        self._end(False)

    def _end(self, ok: bool) -> None:
        if self._watch in self.client.watchers:
            self.client.watchers.remove(self._watch)
        if self._deadline is not None:
            self._deadline.cancel()
        self.finish(ok)

    def _settings(self) -> None:
        host = self.host
        iface = self.client.iface
        gateway = host.routes.gateway
        self.lines.append(f"  address {iface.ip}")
        self.lines.append(f"  mask    {iface.netmask}")
        self.lines.append(f"  gateway {gateway if gateway else '(none)'}")
        self.lines.append("  DNS     " + (", ".join(str(d) for d in host.dns_servers) or "(none)"))
