"""traceroute with ICMP echo probes (as `traceroute -I` and Windows' tracert): TTL 1, 2, 3 …
until the target answers; each router on the way says "time exceeded" from its own address."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.ping import pattern, problem_text, quoted_echo
from stack.apps.program import Program
from stack.wire import icmp as codes
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, IPv4

if TYPE_CHECKING:
    from stack.host import Host

PROBES = 3
WAIT = 3.0  # per hop; more than ARP's 3 s give-up would make "!H" late


class Traceroute(Program):
    name = "traceroute"

    def __init__(self, host: Host, target: IPv4Address, max_hops: int = 30, size: int = 32) -> None:
        super().__init__()
        self.host = host
        self.target = target
        self.label = str(target)  # the target as the person typed it (a name, or the address)
        self.max_hops = max_hops
        self.size = size
        self.ident = host.rng.randrange(1, 0x10000)
        self.ttl = 0
        self.seq = 0
        self.hop: dict[int, list[str]] = {}
        self.sent_at: dict[int, float] = {}
        self.reached = False
        self._timer = None
        self._hop_seqs: set[int] = set()
        self._hop_addr: str | None = None
        self._answers: dict[int, str] = {}
        self.hops: list[tuple[int, str | None, list[float | None]]] = []

    def start(self) -> Traceroute:
        host = self.host
        self.lines.append(
            f"traceroute to {self.label} ({self.target}), {self.max_hops} hops max, {self.size + 28} byte packets"
        )
        host.icmp.echo_listeners[self.ident] = self._reply
        host.icmp.error_listeners.append(self._error)
        self._next_hop()
        return self

    def _next_hop(self) -> None:
        if self.reached or self.ttl >= self.max_hops:
            self._end()
            return
        self.ttl += 1
        self._hop_seqs = set()
        self._answers = {}
        self._hop_addr = None
        self._hop_flag = ""
        for _ in range(PROBES):
            self.seq += 1
            self._hop_seqs.add(self.seq)
            self.sent_at[self.seq] = self.host.clock.now()
            probe = ICMP.echo_request(self.ident, self.seq, pattern(self.size))
            if not self.host.ip.send(self.target, PROTO_ICMP, probe.build(), ttl=self.ttl):
                self.lines.append(f"{self.ttl:2d}  network unreachable")
                self._end()
                return
        self._timer = self.host.clock.call_later(WAIT, self._close_hop)

    def _answer(self, seq: int, src: IPv4Address, flag: str = "") -> None:
        if seq not in self._hop_seqs or seq in self._answers:
            return
        self._answers[seq] = f"{(self.host.clock.now() - self.sent_at[seq]) * 1000:.3f} ms"
        self._hop_addr = str(src)
        if flag:
            self._hop_flag = flag
        if len(self._answers) == len(self._hop_seqs):
            if self._timer is not None:
                self._timer.cancel()
            self.host.clock.call_soon(self._close_hop)

    def _reply(self, packet: IPv4, msg: ICMP, frames: tuple[int, ...]) -> None:
        if packet.src == self.target:
            self.reached = True
            self._answer(msg.seq, packet.src)

    def _error(self, packet: IPv4, msg: ICMP, frames: tuple[int, ...]) -> None:
        quoted = quoted_echo(msg)
        if quoted is None or quoted[1] != self.ident:
            return
        flag = ""
        if msg.type == codes.DEST_UNREACHABLE:
            flag = {
                codes.HOST_UNREACHABLE: " !H",
                codes.NET_UNREACHABLE: " !N",
                codes.PROTOCOL_UNREACHABLE: " !P",
            }.get(msg.code, " !X")
            self.reached = True  # nothing further will answer
            self.unreachable = problem_text(msg)
        self._answer(quoted[2], packet.src, flag)

    def _close_hop(self) -> None:
        if self.done or not self._hop_seqs:
            return
        seqs = sorted(self._hop_seqs)
        self._hop_seqs = set()
        times = [self._answers.get(s, "*") for s in seqs]
        if self._hop_addr is None:
            self.lines.append(f"{self.ttl:2d}  " + "  ".join(times))
        else:
            self.lines.append(
                f"{self.ttl:2d}  {self._hop_addr}  " + "  ".join(times) + self._hop_flag
            )
        self.hops.append(
            (self.ttl, self._hop_addr, [None if t == "*" else float(t.split()[0]) for t in times])
        )
        self._next_hop()

    def _end(self) -> None:
        host = self.host
        host.icmp.echo_listeners.pop(self.ident, None)
        if self._error in host.icmp.error_listeners:
            host.icmp.error_listeners.remove(self._error)
        reached_target = any(addr == str(self.target) for _, addr, _ in self.hops)
        self.finish(reached_target)
