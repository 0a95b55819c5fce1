"""`udp send` and `tcp connect`: one datagram or one connection by hand, as `nc -u` and `nc -vz`.

`UdpSend` sends TEXT from an ephemeral port and listens for `WAIT` seconds for an answer or
an ICMP error about it (a closed port answers "port unreachable", which nc reports as
"Connection refused"). `TcpConnect` opens a connection (the three-way handshake), reports
whether it succeeded, and closes it again (FIN in both directions).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.program import Program

if TYPE_CHECKING:
    from stack.host import Host

WAIT = 2.0  # seconds `udp send` listens for an answer
LINGER = 2.0  # seconds `tcp connect` waits for the FIN exchange after closing
SERVICES = {
    20: "ftp-data",
    21: "ftp",
    22: "ssh",
    23: "telnet",
    25: "smtp",
    53: "domain",
    67: "bootps",
    68: "bootpc",
    80: "http",
    123: "ntp",
    443: "https",
}


def service_name(port: int) -> str:
    return SERVICES.get(port, "*")


class UdpSend(Program):
    name = "udp send"

    def __init__(
        self, host: Host, address: IPv4Address, port: int, data: bytes, wait: float = WAIT
    ) -> None:
        super().__init__()
        self.host = host
        self.address = address
        self.port = port
        self.data = data
        self.wait = wait
        self.sock = None
        self.refused = False
        self._timer = None

    def start(self) -> UdpSend:
        host = self.host
        sock = self.sock = host.udp.open()
        sock.on_datagram = self._datagram
        sock.on_error = self._error
        if not sock.sendto(self.data, (self.address, self.port)):
            self.lines.append(f"udp send: {self.address}:{self.port}: Network is unreachable")
            self._end(False)
            return self
        self.lines.append(
            f"sent {len(self.data)} bytes to {self.address}:{self.port} [udp/{service_name(self.port)}] from port {sock.port}"
        )
        self._timer = host.clock.call_later(self.wait, self._quiet)
        return self

    def _datagram(
        self, data: bytes, source: tuple[IPv4Address, int], dst: IPv4Address, iface, frames
    ) -> None:
        if source != (self.address, self.port):
            return
        text = data.decode("utf-8", "replace")
        self.lines.append(f"reply of {len(data)} bytes from {source[0]}:{source[1]}: {text!r}")
        self._end(True)

    def _error(self, text: str, dest: tuple[IPv4Address, int]) -> None:
        if dest != (self.address, self.port):
            return
        self.lines.append(f"ICMP: {text}")
        self.lines.append(f"udp send: {self.address}:{self.port} (udp): Connection refused")
        self._end(False)

    def _quiet(self) -> None:
        self._timer = None
        self.lines.append(
            f"no answer within {self.wait:g} s (UDP itself never confirms that a datagram arrived)"
        )
        self._end(True)

    def _end(self, ok: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.finish(ok)


class TcpConnect(Program):
    name = "tcp connect"

    def __init__(
        self, host: Host, address: IPv4Address, port: int, label: str | None = None
    ) -> None:
        super().__init__()
        self.host = host
        self.address = address
        self.port = port
        self.label = label or str(address)
        self.conn = None
        self.connected = False
        self._timer = None

    def start(self) -> TcpConnect:
        self.conn = self.host.tcp.connect((self.address, self.port), on_connected=self._connected)
        self.conn.on_closed = self._closed
        return self

    def _connected(self) -> None:
        conn = self.conn
        self.connected = True
        self.lines.append(
            f"Connection to {self.label} ({self.address}) {self.port} port [tcp/{service_name(self.port)}] succeeded! (from {conn.local}, MSS {conn.mss})"
        )
        conn.close()
        self._timer = self.host.clock.call_later(LINGER, self.finish, True)

    def _closed(self, reason: str) -> None:
        if not self.connected:
            why = {
                "refused": "Connection refused",
                "timed out": "Connection timed out",
                "unreachable": "No route to host",
            }.get(reason, reason)
            self.lines.append(
                f"tcp connect: connect to {self.label} ({self.address}) port {self.port} (tcp) failed: {why}"
            )
            self.finish(False)
            return
        self.lines.append(
            "closed again: FIN sent and answered"
            if reason == "closed"
            else f"connection ended: {reason}"
        )
        if self._timer is not None:
            self._timer.cancel()
        self.finish(True)
