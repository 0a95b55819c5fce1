"""TCP on a host: listeners, connections demultiplexed by their four-tuple, segments checked
(checksum over the pseudo-header) and built, RST for segments nobody wants (RFC 9293
§3.10.7.1), and ICMP errors passed to the connection they are about.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.net.interface import Interface
from stack.transport.events import (
    SegmentDropped,
    SocketClosed,
    SocketOpened,
    SynCookie,
    TcpReset,
    TransportError,
)
from stack.transport.ports import ANY, PortInUse, PortTable, endpoint, source_address
from stack.transport.tcp.connection import (
    CLOSED,
    SYN_SENT,
    TcpConnection,
)
from stack.transport.tcp.syncookies import PERIOD, VALID_PERIODS, check_cookie, make_cookie
from stack.transport.udp import quoted_header
from stack.wire import icmp as icmp_codes
from stack.wire.checksum import internet_checksum
from stack.wire.errors import WireError
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import IPv4
from stack.wire.tcp import ACK, PROTO, PSH, RST, SYN, TCP, TcpOption

if TYPE_CHECKING:
    from stack.host import Host

MSL = 30.0  # maximum segment lifetime; TIME-WAIT lasts 2·MSL
BACKLOG = 128
LIMITED_BROADCAST = IPv4Address("255.255.255.255")

_HEADER = struct.Struct("!HHIIHHHH")

Key = tuple[
    IPv4Address, int, IPv4Address, int
]  # local address, local port, remote address, remote port


class TcpListener:
    """A port in LISTEN: each SYN becomes a connection; `on_accept` gets it once established."""

    def __init__(
        self,
        layer: TcpLayer,
        address: IPv4Address | None,
        port: int,
        on_accept: Callable[[TcpConnection], None],
        backlog: int,
    ) -> None:
        self.layer = layer
        self.address = address
        self.port = port
        self.on_accept = on_accept
        self.backlog = backlog
        self.pending: set[TcpConnection] = set()
        self.accepted_count = 0
        self.closed = False
        self.last_overflow: float | None = None  # when a SYN last met a full backlog (cookies then)
        self.cookies = {"sent": 0, "accepted": 0}

    def cookies_lately(self, now: float) -> bool:
        """Whether cookies went out recently enough that an ACK may carry a valid one."""
        return self.last_overflow is not None and now - self.last_overflow <= PERIOD * VALID_PERIODS

    @property
    def local(self) -> str:
        return endpoint(self.address, self.port)

    def accepted(self, conn: TcpConnection) -> None:
        self.pending.discard(conn)
        self.accepted_count += 1
        if not self.closed:
            self.on_accept(conn)

    def close(self) -> None:
        """Stop listening; connections already accepted carry on, half-open ones are reset."""
        if self.closed:
            return
        self.closed = True
        for conn in list(self.pending):
            conn.abort("the listener closed before the handshake finished")
        self.layer._close_listener(self)

    def __repr__(self) -> str:
        return f"TcpListener({self.local})"


class TcpLayer:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.ports: PortTable[TcpListener] = PortTable(host, "TCP")
        self._conns: dict[Key, TcpConnection] = {}
        # The same connections keyed as a segment's bytes name them (source and destination
        # address as the IP header holds them, then the two ports): an arriving segment finds
        # its connection without making or hashing address objects.
        self._by_wire: dict[bytes, TcpConnection] = {}
        self._local_ports: dict[int, int] = {}
        # Defaults for new connections; each connection can change its own.
        self.msl = MSL
        self.nagle = True
        self.delayed_ack = True
        self.sack = True  # offer SACK (RFC 2018) in our SYNs
        self.receive_buffer = 256 * 1024
        self.send_buffer = 256 * 1024
        self.stats = {
            "received": 0,
            "bad_checksum": 0,
            "malformed": 0,
            "resets_sent": 0,
            "no_port": 0,
        }
        handler = self.receive  # one bound method: `whole_handlers` knows it by identity
        host.ip.handlers[PROTO] = handler
        host.ip.whole_handlers[PROTO] = (handler, self.receive_whole)
        host.icmp.error_listeners.append(self._icmp_error)

    # --- the API --------------------------------------------------------------------------

    def listen(
        self,
        port: int,
        on_accept: Callable[[TcpConnection], None],
        address: IPv4Address | None = None,
        *,
        backlog: int = BACKLOG,
    ) -> TcpListener:
        host = self.host
        if address is not None:
            address = IPv4Address(address)
            if address == ANY:
                address = None
        listener = TcpListener(self, address, port, on_accept, backlog)
        self.ports.bind(address, port, listener)
        host.trace.emit(
            SocketOpened(host.clock.now(), host.name, (), "TCP", listener.local, "listening")
        )
        return listener

    def connect(
        self,
        dest: tuple[IPv4Address, int],
        *,
        src_port: int | None = None,
        on_connected: Callable[[], None] | None = None,
        src: IPv4Address | None = None,
    ) -> TcpConnection:
        """Active open: SYN to `dest` from an ephemeral port (or `src_port`)."""
        host = self.host
        remote_ip, remote_port = IPv4Address(dest[0]), int(dest[1])
        local_ip = IPv4Address(src) if src is not None else source_address(host, remote_ip)
        if src_port is None:
            src_port = self.ports.ephemeral(taken=self._local_ports.__contains__)
        elif (local_ip, src_port, remote_ip, remote_port) in self._conns:
            raise PortInUse(
                f"{host.name}: TCP {local_ip}:{src_port} → {remote_ip}:{remote_port} already exists"
            )
        conn = TcpConnection(self, (local_ip, src_port), (remote_ip, remote_port))
        conn.on_connected = on_connected
        if local_ip == ANY or remote_ip == LIMITED_BROADCAST or remote_ip.is_multicast:
            why = (
                "no route to the host"
                if local_ip == ANY
                else "TCP cannot connect to a broadcast or multicast address"
            )
            host.clock.call_soon(conn.connection_failed, why, "unreachable")
            return conn
        self._register(conn)
        conn.open_active()
        return conn

    def connections(self) -> list[TcpConnection]:
        return sorted(
            self._conns.values(), key=lambda c: (c.local_port, int(c.remote_ip), c.remote_port)
        )

    def listeners(self) -> list[TcpListener]:
        return sorted(self.ports.bound.values(), key=lambda s: (s.port, str(s.address)))

    # --- plumbing for connections ---------------------------------------------------------

    def isn(self) -> int:
        """An initial sequence number: random from the host's seeded generator, so runs are
        reproducible (a real stack hashes the four-tuple with a secret, RFC 6528)."""
        return self.host.rng.getrandbits(32)

    def mtu_towards(self, dst: IPv4Address) -> int:
        host = self.host
        if dst in host.addresses or dst.is_loopback:
            return host.loopback.mtu
        decision = host.ip.decide(dst)
        if decision.route is None:
            return 576
        return host.interfaces[decision.route.interface].mtu

    def _register(self, conn: TcpConnection) -> None:
        self._conns[(conn.local_ip, conn.local_port, conn.remote_ip, conn.remote_port)] = conn
        self._by_wire[conn.wire_key] = conn
        self._local_ports[conn.local_port] = self._local_ports.get(conn.local_port, 0) + 1

    def forget(self, conn: TcpConnection) -> None:
        key = (conn.local_ip, conn.local_port, conn.remote_ip, conn.remote_port)
        if self._conns.get(key) is conn:
            del self._conns[key]
            if self._by_wire.get(conn.wire_key) is conn:
                del self._by_wire[conn.wire_key]
            left = self._local_ports[conn.local_port] - 1
            if left:
                self._local_ports[conn.local_port] = left
            else:
                del self._local_ports[conn.local_port]
        if conn.listener is not None:
            conn.listener.pending.discard(conn)

    def _close_listener(self, listener: TcpListener) -> None:
        host = self.host
        self.ports.release(listener.address, listener.port, listener)
        host.trace.emit(SocketClosed(host.clock.now(), host.name, (), "TCP", listener.local))

    def transmit(
        self,
        conn: TcpConnection,
        seq: int,
        ack: int,
        flags: int,
        window: int,
        payload: bytes,
        options: tuple[TcpOption, ...] = (),
    ) -> None:
        """Build one segment with options (checksum included) and hand it to IP."""
        src, dst = conn.local_ip, conn.remote_ip
        raw = TCP.make(
            src,
            dst,
            conn.local_port,
            conn.remote_port,
            seq=seq,
            ack=ack,
            flags=flags,
            window=window,
            payload=payload,
            options=options,
        ).build()
        self.host.ip.send(dst, PROTO, raw, src=src)

    def send_reset(
        self,
        src: IPv4Address,
        dst: IPv4Address,
        sport: int,
        dport: int,
        seq: int,
        ack: int,
        with_ack: bool,
        why: str,
        frames: tuple[int, ...],
    ) -> None:
        host = self.host
        self.stats["resets_sent"] += 1
        host.trace.emit(
            TcpReset(
                host.clock.now(), host.name, frames, f"{src}:{sport}", f"{dst}:{dport}", "sent", why
            )
        )
        flags = RST | ACK if with_ack else RST
        raw = segment_bytes(
            int(src) + int(dst),
            sport,
            dport,
            seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF if with_ack else 0,
            flags,
            0,
            b"",
        )
        host.ip.send(dst, PROTO, raw, src=src, frames=frames)

    # --- arriving segments ----------------------------------------------------------------

    def receive_whole(self, packet: bytes, total: int, iface: Interface, frame_id: int) -> None:
        """`receive` for a packet of ours with a 20-byte IPv4 header known good, on its bytes
        (see IPv4Layer.whole_handlers): a segment of a known connection with a right checksum
        and a 20-byte header is read here, and an ACK header prediction takes goes to the
        connection as its fields, with no packet or segment value made. Any other packet
        goes the way `receive` takes it, from the start."""
        # The four-tuple as `receive` reads it: source and destination address, then ports.
        conn = self._by_wire.get(packet[12:24])
        if conn is not None:
            size = total - 20
            raw = packet[20:total]
            if size >= 20 and raw[12] >> 4 == 5 and not internet_checksum(raw, conn.pseudo + size):
                self.stats["received"] += 1
                _, _, seq, ack, off_flags, window, _, _ = _HEADER.unpack_from(raw)
                flags = off_flags & 0x1FF
                if (flags == ACK or flags == ACK | PSH) and conn.predicted(
                    seq, ack, flags, window, raw[20:], (frame_id,)
                ):
                    return
                conn.unpredicted(TCP.parse(raw), (frame_id,))  # cannot fail: 20 bytes or more
                return
        self.receive(IPv4.parse(packet), iface, (frame_id,))

    def receive(self, packet: IPv4, iface: Interface, frames: tuple[int, ...]) -> None:
        host = self.host
        self.stats["received"] += 1
        payload = packet.payload
        # A segment of a known connection: found by its bytes, and its checksum summed with
        # the connection's own pseudo-header sum (what the careful path below works out).
        conn = self._by_wire.get(packet.ends() + payload[:4])
        if conn is not None and not internet_checksum(payload, conn.pseudo + len(payload)):
            try:
                seg = TCP.parse(payload)
            except WireError:
                pass  # the careful path below says what is wrong
            else:
                conn.segment_arrives(seg, frames)
                return
        src, dst = packet.src, packet.dst
        if internet_checksum(payload, int(src) + int(dst) + PROTO + len(payload)) != 0:
            self.stats["bad_checksum"] += 1
            host.trace.emit(
                SegmentDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    "TCP",
                    str(src),
                    str(dst),
                    "bad TCP checksum (damaged on the way)",
                )
            )
            return
        try:
            seg = TCP.parse(payload)
        except WireError as err:
            self.stats["malformed"] += 1
            host.trace.emit(
                SegmentDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    "TCP",
                    str(src),
                    str(dst),
                    f"malformed: {err}",
                )
            )
            return
        conn = self._conns.get((dst, seg.dport, src, seg.sport))
        if conn is not None:
            conn.segment_arrives(seg, frames)
            return
        if (
            dst == LIMITED_BROADCAST
            or dst.is_multicast
            or (iface.configured and dst == iface.broadcast)
        ):
            host.trace.emit(
                SegmentDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    "TCP",
                    f"{src}:{seg.sport}",
                    f"{dst}:{seg.dport}",
                    "TCP is never broadcast",
                )
            )
            return
        listener = self.ports.lookup(dst, seg.dport)
        if listener is not None:
            self._to_listener(listener, seg, src, dst, frames)
            return
        self.stats["no_port"] += 1
        self._refuse(seg, src, dst, f"nothing listens on port {seg.dport}", frames)

    def _refuse(
        self, seg: TCP, src: IPv4Address, dst: IPv4Address, why: str, frames: tuple[int, ...]
    ) -> None:
        """RFC 9293 §3.10.7.1: a segment for a connection that does not exist gets a RST
        (unless it is one), numbered so that the sender will accept it."""
        if seg.flags & RST:
            host = self.host
            host.trace.emit(
                SegmentDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    "TCP",
                    f"{src}:{seg.sport}",
                    f"{dst}:{seg.dport}",
                    "a RST for no connection is dropped quietly",
                )
            )
            return
        if seg.flags & ACK:
            self.send_reset(dst, src, seg.dport, seg.sport, seg.ack, 0, False, why, frames)
        else:
            seglen = len(seg.payload) + (1 if seg.flags & SYN else 0) + (1 if seg.flags & 1 else 0)
            self.send_reset(dst, src, seg.dport, seg.sport, 0, seg.seq + seglen, True, why, frames)

    def _to_listener(
        self,
        listener: TcpListener,
        seg: TCP,
        src: IPv4Address,
        dst: IPv4Address,
        frames: tuple[int, ...],
    ) -> None:
        """RFC 9293 §3.10.7.2."""
        flags = seg.flags
        if flags & RST:
            return
        if flags & ACK:
            if not flags & SYN and self._cookie_ack(listener, seg, src, dst, frames):
                return
            self._refuse(
                seg, src, dst, f"an ACK to port {seg.dport}, which is only listening", frames
            )
            return
        if not flags & SYN:
            return
        if len(listener.pending) >= listener.backlog:
            self._send_cookie(listener, seg, src, dst, frames)
            return
        conn = TcpConnection(self, (dst, seg.dport), (src, seg.sport), listener=listener)
        listener.pending.add(conn)
        self._register(conn)
        conn.open_passive(seg, frames)

    # --- SYN cookies: a full backlog answers without keeping state ----------------------------

    _secret: bytes | None = None

    @property
    def _cookie_secret(self) -> bytes:
        if (
            self._secret is None
        ):  # drawn at the first flood from the host's seeded generator: runs repeat
            self._secret = self.host.rng.getrandbits(128).to_bytes(16, "big")
        return self._secret

    def _send_cookie(
        self,
        listener: TcpListener,
        seg: TCP,
        src: IPv4Address,
        dst: IPv4Address,
        frames: tuple[int, ...],
    ) -> None:
        host = self.host
        now = host.clock.now()
        first = not listener.cookies_lately(now)
        listener.last_overflow = now
        listener.cookies["sent"] += 1
        cookie = make_cookie(
            self._cookie_secret, now, (dst, seg.dport), (src, seg.sport), seg.seq, seg.mss
        )
        why = (
            (
                f"backlog of {listener.backlog} half-open connections is full (a SYN flood?): answering with a cookie "
                "and keeping no state; a real client's ACK will bring the connection back"
            )
            if first
            else "backlog still full"
        )
        host.trace.emit(
            SynCookie(
                now, host.name, frames, f"{dst}:{seg.dport}", f"{src}:{seg.sport}", "sent", why
            )
        )
        raw = TCP.make(
            dst,
            src,
            seg.dport,
            seg.sport,
            seq=cookie,
            ack=(seg.seq + 1) & 0xFFFFFFFF,
            flags=SYN | ACK,
            window=0xFFFF,
            options=(TcpOption.mss(self.mtu_towards(src) - 40),),
        ).build()
        host.ip.send(src, PROTO, raw, src=dst, frames=frames)

    def _cookie_ack(
        self,
        listener: TcpListener,
        seg: TCP,
        src: IPv4Address,
        dst: IPv4Address,
        frames: tuple[int, ...],
    ) -> bool:
        """An ACK to a listening port is a client answering a cookie, if it carries a valid one."""
        host = self.host
        now = host.clock.now()
        if not listener.cookies_lately(now):
            return False  # no cookies went out lately: a plain stray ACK
        client_isn = (seg.seq - 1) & 0xFFFFFFFF
        cookie = (seg.ack - 1) & 0xFFFFFFFF
        mss = check_cookie(
            self._cookie_secret, now, (dst, seg.dport), (src, seg.sport), client_isn, cookie
        )
        if mss is None:
            host.trace.emit(
                SynCookie(
                    now,
                    host.name,
                    frames,
                    f"{dst}:{seg.dport}",
                    f"{src}:{seg.sport}",
                    "refused",
                    "the ACK carries no cookie of ours (or a stale one)",
                )
            )
            return False
        listener.cookies["accepted"] += 1
        conn = TcpConnection(self, (dst, seg.dport), (src, seg.sport), listener=listener)
        conn.resume_from_cookie(cookie, client_isn, mss, frames)
        host.trace.emit(
            SynCookie(
                now,
                host.name,
                frames,
                conn.local,
                conn.remote,
                "accepted",
                f"the ACK proves the cookie; connection rebuilt with MSS {mss} (no window scaling or SACK: a cookie cannot carry them)",
            )
        )
        self._register(conn)
        conn.segment_arrives(seg, frames)
        return True

    def _icmp_error(self, carrier: IPv4, msg: ICMP, frames: tuple[int, ...]) -> None:
        quote = quoted_header(msg)
        if quote is None or quote.proto != PROTO or len(quote.payload) < 4:
            return
        sport = int.from_bytes(quote.payload[0:2], "big")
        dport = int.from_bytes(quote.payload[2:4], "big")
        conn = self._conns.get((quote.src, sport, quote.dst, dport))
        if conn is None:
            return
        host = self.host
        text = msg.describe()
        if conn.state == SYN_SENT and msg.type == icmp_codes.DEST_UNREACHABLE:
            conn.connection_failed(f"cannot connect: {text}", "unreachable", frames)
            return
        if conn.state != CLOSED:
            host.trace.emit(
                TransportError(
                    host.clock.now(),
                    host.name,
                    frames,
                    "TCP",
                    conn.local,
                    conn.remote,
                    f"{text} (a soft error: TCP keeps trying)",
                )
            )


def segment_bytes(
    pseudo: int, sport: int, dport: int, seq: int, ack: int, flags: int, window: int, payload: bytes
) -> bytes:
    """A 20-byte-header segment with its checksum; `pseudo` is int(src) + int(dst) (see
    stack.wire.checksum: each address counts as one integer modulo 0xFFFF)."""
    # Each 16-bit-aligned field of the header counts as its own value modulo 0xFFFF (a 32-bit
    # one too, as 2^16 ≡ 1), so the header is summed from its fields and packed only once.
    csum = internet_checksum(
        payload,
        pseudo + PROTO + 20 + len(payload) + sport + dport + seq + ack + 0x5000 + flags + window,
    )
    return _HEADER.pack(sport, dport, seq, ack, 0x5000 | flags, window, csum, 0) + payload


__all__ = ["TcpLayer", "TcpListener", "TcpConnection", "MSL", "segment_bytes"]
