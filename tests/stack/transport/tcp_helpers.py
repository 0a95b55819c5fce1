"""Helpers for the TCP tests: a sink that records what arrives, taps on a host's TCP input,
and the events of one kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address

from stack.transport.tcp.connection import TcpConnection
from stack.wire.tcp import TCP


@dataclass
class Sink:
    """A server side that keeps everything it receives and records its connection."""

    data: bytearray = field(default_factory=bytearray)
    conns: list[TcpConnection] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    eof: bool = False
    close_on_eof: bool = True

    def accept(self, conn: TcpConnection) -> None:
        self.conns.append(conn)
        conn.on_data = self.data.extend
        conn.on_closed = self.closed.append
        conn.on_eof = self._eof

    def _eof(self) -> None:
        self.eof = True
        if self.close_on_eof:
            self.conns[-1].close()


def tap_tcp(host, keep=None):
    """Record (and optionally drop) segments arriving at `host`'s TCP: `keep(seg) -> bool`.
    Returns the list of segments that arrived (before the verdict)."""
    seen: list[TCP] = []
    original = host.ip.handlers[6]

    def handler(packet, iface, frames):
        seg = TCP.parse(packet.payload)
        seen.append(seg)
        if keep is None or keep(seg):
            original(packet, iface, frames)

    host.ip.handlers[6] = handler
    return seen


def events(net, kind: str, host: str | None = None) -> list:
    return [e for e in net.trace.events if e.kind == kind and (host is None or e.host == host)]


def states(net, host: str) -> list[str]:
    """The states one host's connections went through, in order (the first one's start too)."""
    changes = events(net, "tcp_state", host)
    return [changes[0].old] + [e.new for e in changes] if changes else []


A = IPv4Address("10.1.0.10")
B = IPv4Address("10.2.0.20")
