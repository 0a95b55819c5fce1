"""UDP on a host (RFC 768): sockets bound to (address, port), datagrams demultiplexed to
them, checksums (over the IPv4 pseudo-header) checked on receipt, and ICMP port unreachable
for a datagram nobody listens for — except when it was broadcast (RFC 1122 §4.1.3.1).
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, NamedTuple

from stack.net.interface import Interface
from stack.transport.events import (
    PortUnreachable,
    SegmentDropped,
    SocketClosed,
    SocketOpened,
    TransportError,
)
from stack.transport.ports import PortInUse, PortTable, endpoint, source_address
from stack.wire import icmp as icmp_codes
from stack.wire.errors import WireError
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import IPv4
from stack.wire.udp import PROTO, UDP

if TYPE_CHECKING:
    from stack.host import Host

LIMITED_BROADCAST = IPv4Address("255.255.255.255")

# (data, (source address, source port), destination address, interface, frame ids)
DatagramHandler = Callable[
    [bytes, tuple[IPv4Address, int], IPv4Address, Interface, tuple[int, ...]], None
]


class UdpSocket:
    """One bound UDP port. `on_datagram` is called for each datagram that arrives;
    `on_error` (optional) with a sentence when an ICMP error comes back about one we sent."""

    def __init__(self, layer: UdpLayer, address: IPv4Address | None, port: int) -> None:
        self.layer = layer
        self.address = address
        self.port = port
        self.on_datagram: DatagramHandler | None = None
        self.on_error: Callable[[str, tuple[IPv4Address, int]], None] | None = None
        self.closed = False
        self.counters = {
            "sent": 0,
            "received": 0,
            "bytes_sent": 0,
            "bytes_received": 0,
            "unrouted": 0,
        }

    @property
    def local(self) -> str:
        return endpoint(self.address, self.port)

    def sendto(
        self,
        data: bytes,
        dest: tuple[IPv4Address, int],
        *,
        interface: str | None = None,
        src: IPv4Address | None = None,
        frames: tuple[int, ...] = (),
    ) -> bool:
        """Send one datagram; False (with a trace event from IP) when it cannot go."""
        if self.closed:
            raise ValueError(f"UDP socket {self.local} is closed")
        host = self.layer.host
        dst, dport = dest
        if type(dst) is not IPv4Address:  # IPv4Address(an address) would print and parse it
            dst = IPv4Address(dst)
        if src is None:
            src = self.address if self.address is not None else source_address(host, dst, interface)
        payload = UDP.make(src, dst, self.port, dport, bytes(data)).build()
        ok = host.ip.send(dst, PROTO, payload, src=src, interface=interface, frames=frames)
        if ok:
            self.counters["sent"] += 1
            self.counters["bytes_sent"] += len(data)
        else:
            self.counters["unrouted"] += 1
        return ok

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.layer._close(self)

    def __repr__(self) -> str:
        return f"UdpSocket({self.local})"


class UdpLayer:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.ports: PortTable[UdpSocket] = PortTable(host, "UDP")
        self.stats = {
            "received": 0,
            "delivered": 0,
            "bad_checksum": 0,
            "malformed": 0,
            "no_port": 0,
        }
        host.ip.handlers[PROTO] = self.receive
        host.icmp.error_listeners.append(self._icmp_error)

    def open(self, port: int | None = None, address: IPv4Address | None = None) -> UdpSocket:
        """Bind a socket; port None picks an ephemeral one. PortInUse if taken."""
        host = self.host
        if address is not None:
            address = IPv4Address(address)
            if address == IPv4Address(0):
                address = None
        how = "bound"
        if port is None:
            port = self.ports.ephemeral()
            how = "bound to an ephemeral port"
        sock = UdpSocket(self, address, port)
        self.ports.bind(address, port, sock)
        host.trace.emit(SocketOpened(host.clock.now(), host.name, (), "UDP", sock.local, how))
        return sock

    def sockets(self) -> list[UdpSocket]:
        return sorted(self.ports.bound.values(), key=lambda s: (s.port, str(s.address)))

    def _close(self, sock: UdpSocket) -> None:
        host = self.host
        self.ports.release(sock.address, sock.port, sock)
        host.trace.emit(SocketClosed(host.clock.now(), host.name, (), "UDP", sock.local))

    def receive(self, packet: IPv4, iface: Interface, frames: tuple[int, ...]) -> None:
        host = self.host
        self.stats["received"] += 1
        try:
            dgram = UDP.parse(packet.payload)
        except WireError as err:
            self.stats["malformed"] += 1
            host.trace.emit(
                SegmentDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    "UDP",
                    str(packet.src),
                    str(packet.dst),
                    f"malformed: {err}",
                )
            )
            return
        src, dst = packet.src, packet.dst
        if not dgram.checksum_ok(src, dst):
            self.stats["bad_checksum"] += 1
            host.trace.emit(
                SegmentDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    "UDP",
                    f"{src}:{dgram.sport}",
                    f"{dst}:{dgram.dport}",
                    f"bad UDP checksum 0x{dgram.checksum:04x} (damaged on the way)",
                )
            )
            return
        sock = self.ports.lookup(dst, dgram.dport)
        if sock is None and (
            dst == LIMITED_BROADCAST or not iface.configured or dst == iface.broadcast
        ):
            sock = self.ports.lookup(iface.ip, dgram.dport)
        if sock is None:
            self.stats["no_port"] += 1
            broadcast = (
                dst == LIMITED_BROADCAST
                or (iface.configured and dst == iface.broadcast)
                or dst.is_multicast
            )
            reply = (
                "dropped quietly (broadcast: no ICMP error)"
                if broadcast
                else "ICMP port unreachable"
            )
            host.trace.emit(
                PortUnreachable(
                    host.clock.now(),
                    host.name,
                    frames,
                    "UDP",
                    f"{src}:{dgram.sport}",
                    f"{dst}:{dgram.dport}",
                    reply,
                )
            )
            if not broadcast:
                host.icmp.send_error(
                    packet,
                    icmp_codes.DEST_UNREACHABLE,
                    icmp_codes.PORT_UNREACHABLE,
                    f"UDP port {dgram.dport} unreachable",
                    frames,
                )
            return
        self.stats["delivered"] += 1
        sock.counters["received"] += 1
        sock.counters["bytes_received"] += len(dgram.payload)
        if sock.on_datagram is not None:
            sock.on_datagram(dgram.payload, (src, dgram.sport), dst, iface, frames)

    def _icmp_error(self, carrier: IPv4, msg: ICMP, frames: tuple[int, ...]) -> None:
        """An ICMP error quoting a UDP datagram we sent: tell the socket that sent it."""
        inner = quoted_header(msg)
        if inner is None or inner.proto != PROTO or len(inner.payload) < 4:
            return
        sport = int.from_bytes(inner.payload[0:2], "big")
        dport = int.from_bytes(inner.payload[2:4], "big")
        sock = self.ports.lookup(inner.src, sport)
        if sock is None:
            return
        host = self.host
        text = msg.describe()
        host.trace.emit(
            TransportError(
                host.clock.now(),
                host.name,
                frames,
                "UDP",
                f"{inner.src}:{sport}",
                f"{inner.dst}:{dport}",
                text,
            )
        )
        if sock.on_error is not None:
            sock.on_error(text, (inner.dst, dport))


class Quoted(NamedTuple):
    src: IPv4Address
    dst: IPv4Address
    proto: int
    payload: bytes


def quoted_header(msg: ICMP) -> Quoted | None:
    """The IP header and first data bytes an ICMP error quotes (RFC 792), or None."""
    raw = msg.payload
    if len(raw) < 20 or raw[0] >> 4 != 4:
        return None
    hlen = (raw[0] & 0x0F) * 4
    if hlen < 20 or len(raw) < hlen:
        return None
    return Quoted(IPv4Address(raw[12:16]), IPv4Address(raw[16:20]), raw[9], bytes(raw[hlen:]))


__all__ = ["UdpLayer", "UdpSocket", "PortInUse", "Quoted", "quoted_header"]
