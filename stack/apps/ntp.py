"""NTP in the lab: a server on UDP port 123 and the `ntp SERVER` client (as `ntpdate -q`).

Both read the lab's clock as wall time from `EPOCH` (2026-01-01 00:00:00 UTC, so captures
show plausible dates); a server may run `skew` seconds ahead of it, and the client then
reports that offset. The client takes the four timestamps of RFC 5905 §8: T1 when its
request left (the request's transmit time, echoed by the server as the origin), T2 and T3
when the server received and answered, T4 when the answer came back;
offset = ((T2 − T1) + (T3 − T4)) / 2 and delay = (T4 − T1) − (T3 − T2).
The message codec is `stack.proto.ntp` (one module: codec and declaration).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.events import NtpServerAnswered
from stack.apps.program import Program
from stack.wire.errors import WireError

if TYPE_CHECKING:
    from stack.host import Host

# The codec (stack.proto.ntp, with the protocol model under it) is imported where a datagram is
# made or read, not here: a lab with an NTP server is built without loading it (~20 ms).
PORT = 123  # stack.proto.ntp.PORT
EPOCH = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: lab time 0 as wall time
WAIT = 2.0  # seconds the client waits for an answer


def wall_time(host: Host, skew: float = 0.0) -> float:
    return EPOCH + host.clock.now() + skew


class NtpServer:
    """Answers client-mode requests (mode 3) with server-mode replies (mode 4)."""

    def __init__(
        self, host: Host, stratum: int = 2, refid: str = "", skew: float = 0.0, port: int = PORT
    ) -> None:
        self.host = host
        self.stratum = stratum
        self.skew = skew
        self.ref_id = _ref_id(stratum, refid)
        self.sock = host.udp.open(port)
        self.sock.on_datagram = self._datagram
        self.stats = {"requests": 0, "answered": 0, "malformed": 0}

    def close(self) -> None:
        self.sock.close()

    def _datagram(
        self, data: bytes, source, dst: IPv4Address, iface, frames: tuple[int, ...]
    ) -> None:
        from stack.proto.ntp import CLIENT, NTP, SERVER, to_ntp

        received = to_ntp(wall_time(self.host, self.skew))
        try:
            request = NTP.parse(data)
        except WireError:
            self.stats["malformed"] += 1
            return  # not NTP: no answer, as ntpd does
        self.stats["requests"] += 1
        if request.mode != CLIENT:
            return
        now = wall_time(self.host, self.skew)
        reply = NTP(
            SERVER,
            version=request.version,
            stratum=self.stratum,
            poll=request.poll,
            precision=-20,
            root_delay=0,
            root_dispersion=0x00000100,
            ref_id=self.ref_id,
            ref_time=to_ntp(now - 64),
            orig_time=request.xmit_time,
            recv_time=received,
            xmit_time=to_ntp(now),
        )
        self.stats["answered"] += 1
        self.host.trace.emit(
            NtpServerAnswered(
                self.host.clock.now(),
                self.host.name,
                frames,
                f"{source[0]}:{source[1]}",
                self.stratum,
                stamp_text(now),
            )
        )
        src = dst if dst in self.host.addresses else None
        self.sock.sendto(reply.build(), source, src=src, frames=frames)


def _ref_id(stratum: int, refid: str) -> bytes:
    if stratum <= 1:
        return (refid or "LOCL").encode("ascii")[:4].ljust(4, b"\0")
    try:
        return IPv4Address(refid or "127.127.1.0").packed
    except ValueError:
        return refid.encode("ascii", "replace")[:4].ljust(4, b"\0")


def stamp_text(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


class NtpQuery(Program):
    """`ntp SERVER`: one request, the answer's offset and delay (ntpdate -q)."""

    name = "ntp"

    def __init__(self, host: Host, address: IPv4Address, wait: float = WAIT) -> None:
        super().__init__()
        self.host = host
        self.address = IPv4Address(address)
        self.label = str(address)
        self.wait = wait
        self.sock = None
        self._timer = None
        self._sent = 0

    def start(self) -> NtpQuery:
        from stack.proto.ntp import CLIENT, NTP, to_ntp

        host = self.host
        sock = self.sock = host.udp.open()
        sock.on_datagram = self._datagram
        sock.on_error = self._error
        self._sent = to_ntp(wall_time(host))
        request = NTP(CLIENT, version=4, poll=6, precision=-20, xmit_time=self._sent)
        if not sock.sendto(request.build(), (self.address, PORT)):
            self.lines.append(f"ntp: {self._target()}: Network is unreachable")
            self._end(False)
            return self
        self._timer = host.clock.call_later(self.wait, self._timeout)
        return self

    def _target(self) -> str:
        return self.label if self.label == str(self.address) else f"{self.label} ({self.address})"

    def _datagram(self, data: bytes, source, dst, iface, frames) -> None:
        from stack.proto.ntp import NTP, SERVER, from_ntp, to_ntp

        if source != (self.address, PORT):
            return
        arrived = to_ntp(wall_time(self.host))
        try:
            reply = NTP.parse(data)
        except WireError as error:
            self.lines.append(
                f"ntp: {self._target()} answered with something that is not NTP ({error})"
            )
            self._end(False)
            return
        if reply.mode != SERVER or reply.orig_time != self._sent:
            return  # not the answer to our request (RFC 5905 §8: the origin must echo our time)
        t1, t2, t3, t4 = (
            from_ntp(x) for x in (self._sent, reply.recv_time, reply.xmit_time, arrived)
        )
        offset = ((t2 - t1) + (t3 - t4)) / 2
        delay = (t4 - t1) - (t3 - t2)
        self.lines.append(
            f"server {self.address}, stratum {reply.stratum}, offset {offset:+.6f}, delay {delay:.6f}"
        )
        self.lines.append(f"{stamp_text(t3)}: the server's time; this host is {_ahead(-offset)} it")
        self._end(True)

    def _error(self, text: str, dest) -> None:
        if dest != (self.address, PORT):
            return
        self.lines.append(f"ICMP: {text}")
        self.lines.append(f"ntp: {self._target()}: no NTP server there")
        self._end(False)

    def _timeout(self) -> None:
        self._timer = None
        self.lines.append(f"ntp: no answer from {self._target()} within {self.wait:g} s")
        self._end(False)

    def _end(self, ok: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.finish(ok)


def _ahead(seconds: float) -> str:
    if abs(seconds) < 0.0005:
        return "in step with"
    return f"{abs(seconds):.3f} s {'ahead of' if seconds > 0 else 'behind'}"
