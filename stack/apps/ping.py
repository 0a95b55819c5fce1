"""ping: ICMP echo requests, one a second, with replies and errors reported as iputils does."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.events import PingProblem, PingReply
from stack.apps.program import Program
from stack.wire import icmp as codes
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, IPv4

if TYPE_CHECKING:
    from stack.host import Host

LINGER = 4.0  # after the last request: long enough for ARP to give up (3 tries, 1 s apart)


def pattern(size: int) -> bytes:
    return bytes((0x10 + i) & 0xFF for i in range(size))


class Ping(Program):
    name = "ping"

    def __init__(
        self,
        host: Host,
        target: IPv4Address,
        count: int = 4,
        size: int = 56,
        interval: float = 1.0,
        ttl: int = 64,
    ) -> None:
        super().__init__()
        self.host = host
        self.target = target
        self.label = str(target)  # the target as the person typed it (a name, or the address)
        self.count = count
        self.size = size
        self.interval = interval
        self.ttl = ttl
        self.ident = host.rng.randrange(1, 0x10000)
        self.sent: dict[int, float] = {}
        self.answered: set[int] = set()
        self.rtts: list[float] = []
        self.errors = 0
        self.started = 0.0
        self._deadline = None

    def start(self) -> Ping:
        host = self.host
        self.started = host.clock.now()
        self.lines.append(
            f"PING {self.label} ({self.target}) {self.size}({self.size + 28}) bytes of data."
        )
        host.icmp.echo_listeners[self.ident] = self._reply
        host.icmp.error_listeners.append(self._error)
        self._send(1)
        return self

    def _send(self, seq: int) -> None:
        host = self.host
        self.sent[seq] = host.clock.now()
        message = ICMP.echo_request(self.ident, seq, pattern(self.size))
        if not host.ip.send(self.target, PROTO_ICMP, message.build(), ttl=self.ttl):
            self.lines.append(f"ping: connect: Network is unreachable (icmp_seq={seq})")
            self.errors += 1
            self.answered.add(seq)
        if seq < self.count:
            host.clock.call_later(self.interval, self._send, seq + 1)
        else:
            self._deadline = host.clock.call_later(LINGER, self._end)
        self._maybe_end()

    def _reply(self, packet: IPv4, msg: ICMP, frames: tuple[int, ...]) -> None:
        seq = msg.seq
        if seq not in self.sent or seq in self.answered or packet.src != self.target:
            return
        host = self.host
        rtt = host.clock.now() - self.sent[seq]
        self.answered.add(seq)
        self.rtts.append(rtt)
        size = len(msg.payload) + 8
        host.trace.emit(
            PingReply(host.clock.now(), host.name, frames, packet.src, seq, packet.ttl, rtt, size)
        )
        self.lines.append(
            f"{size} bytes from {packet.src}: icmp_seq={seq} ttl={packet.ttl} time={rtt * 1000:.3f} ms"
        )
        self._maybe_end()

    def _error(self, packet: IPv4, msg: ICMP, frames: tuple[int, ...]) -> None:
        quoted = quoted_echo(msg)
        if quoted is None:
            return
        dst, ident, seq = quoted
        if (
            ident != self.ident
            or dst != self.target
            or seq in self.answered
            or seq not in self.sent
        ):
            return
        host = self.host
        self.answered.add(seq)
        self.errors += 1
        problem = problem_text(msg)
        host.trace.emit(
            PingProblem(
                host.clock.now(),
                host.name,
                frames,
                self.target,
                seq,
                f"{problem} (from {packet.src})",
            )
        )
        self.lines.append(f"From {packet.src} icmp_seq={seq} {problem}")
        self._maybe_end()

    def _maybe_end(self) -> None:
        if len(self.sent) == self.count and len(self.answered) == self.count:
            self._end()

    def _end(self) -> None:
        if self.done:
            return
        host = self.host
        if self._deadline is not None:
            self._deadline.cancel()
        host.icmp.echo_listeners.pop(self.ident, None)
        if self._error in host.icmp.error_listeners:
            host.icmp.error_listeners.remove(self._error)
        sent = len(self.sent)
        received = len(self.rtts)
        loss = 100.0 * (sent - received) / sent if sent else 0.0
        elapsed = (host.clock.now() - self.started) * 1000
        self.lines.append(f"--- {self.label} ping statistics ---")
        errors = f", +{self.errors} errors" if self.errors else ""
        self.lines.append(
            f"{sent} packets transmitted, {received} received{errors}, {loss:g}% packet loss, time {elapsed:.0f}ms"
        )
        if self.rtts:
            lo, hi = min(self.rtts) * 1000, max(self.rtts) * 1000
            avg = sum(self.rtts) / len(self.rtts) * 1000
            mdev = (sum((r * 1000 - avg) ** 2 for r in self.rtts) / len(self.rtts)) ** 0.5
            self.lines.append(f"rtt min/avg/max/mdev = {lo:.3f}/{avg:.3f}/{hi:.3f}/{mdev:.3f} ms")
        self.finish(received > 0)


def quoted_echo(msg: ICMP) -> tuple[IPv4Address, int, int] | None:
    """(destination, ident, seq) of the echo request an ICMP error quotes, if it quotes one."""
    data = msg.payload
    if len(data) < 28 or data[0] >> 4 != 4:
        return None
    hlen = (data[0] & 0x0F) * 4
    if (
        hlen < 20
        or len(data) < hlen + 8
        or data[9] != PROTO_ICMP
        or data[hlen] != codes.ECHO_REQUEST
    ):
        return None
    dst = IPv4Address(bytes(data[16:20]))
    return (
        dst,
        int.from_bytes(data[hlen + 4 : hlen + 6], "big"),
        int.from_bytes(data[hlen + 6 : hlen + 8], "big"),
    )


def problem_text(msg: ICMP) -> str:
    if msg.type == codes.DEST_UNREACHABLE:
        return {
            codes.NET_UNREACHABLE: "Destination Net Unreachable",
            codes.HOST_UNREACHABLE: "Destination Host Unreachable",
            codes.PROTOCOL_UNREACHABLE: "Destination Protocol Unreachable",
            codes.PORT_UNREACHABLE: "Destination Port Unreachable",
            codes.FRAGMENTATION_NEEDED: f"Frag needed and DF set (mtu = {msg.mtu})",
        }.get(msg.code, f"Destination Unreachable, code {msg.code}")
    if msg.type == codes.TIME_EXCEEDED:
        return (
            "Time to live exceeded"
            if msg.code == codes.TTL_EXCEEDED
            else "Frag reassembly time exceeded"
        )
    return msg.describe()
