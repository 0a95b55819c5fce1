"""Where the workbench listens for QEMU's socket network back ends, and the `-netdev` a VM needs
to reach it.

One address per segment, written the way a person types it after `--qemu SEGMENT=` or in a lab
file's `qemu = "…"`:

    PATH  or  unix:PATH      -netdev stream over a unix socket (QEMU connects, we listen)
    tcp:[HOST:]PORT          -netdev stream over TCP (HOST defaults to 127.0.0.1)
    dgram:PATH               -netdev dgram over unix datagrams (each VM binds a path of its own)
    udp:[HOST:]PORT          -netdev dgram over UDP

Both back ends need no privileges. A stream carries each frame as a 4-byte big-endian length
and the Ethernet frame (no FCS); a datagram carries one frame.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.record import record

STREAM = "stream"
DGRAM = "dgram"
LOOPBACK = "127.0.0.1"


class QemuAddressError(ValueError):
    """An address that cannot be listened on; the message is one sentence."""


@record
class QemuAddress:
    mode: str  # STREAM or DGRAM
    path: str | None = None  # unix sockets
    host: str = LOOPBACK  # inet sockets
    port: int = 0

    @property
    def unix(self) -> bool:
        return self.path is not None

    def __str__(self) -> str:
        if self.mode == STREAM:
            return self.path if self.unix else f"tcp:{self.host}:{self.port}"
        return f"dgram:{self.path}" if self.unix else f"udp:{self.host}:{self.port}"

    def describe(self) -> str:
        where = (
            f"unix socket {self.path}"
            if self.unix
            else f"{'TCP' if self.mode == STREAM else 'UDP'} {self.host}:{self.port}"
        )
        return f"-netdev {self.mode} on {where}"

    def netdev(self, netdev_id: str, local: str | None = None) -> str:
        """The `-netdev` value that connects a VM to this address. For datagrams `local` is the
        VM's own end: a socket path (unix) or a port (udp; 0 lets the kernel choose)."""
        if self.mode == STREAM:
            if self.unix:
                return f"stream,id={netdev_id},server=off,addr.type=unix,addr.path={self.path}"
            return f"stream,id={netdev_id},server=off,addr.type=inet,addr.host={self.host},addr.port={self.port}"
        if self.unix:
            own = local or f"{self.path}.{netdev_id}"
            return f"dgram,id={netdev_id},local.type=unix,local.path={own},remote.type=unix,remote.path={self.path}"
        own = local or "0"
        return f"dgram,id={netdev_id},local.type=inet,local.host={self.host},local.port={own},remote.type=inet,remote.host={self.host},remote.port={self.port}"


def parse_qemu_address(text: str) -> QemuAddress:
    """`PATH`, `unix:PATH`, `tcp:[HOST:]PORT`, `dgram:PATH` or `udp:[HOST:]PORT`."""
    text = text.strip()
    if not text:
        raise QemuAddressError(
            "a QEMU socket address is empty: give a path, tcp:PORT, dgram:PATH or udp:PORT"
        )
    scheme, sep, rest = text.partition(":")
    if not sep or scheme not in ("unix", "tcp", "dgram", "udp"):
        return _unix(STREAM, text)
    if scheme == "unix":
        return _unix(STREAM, rest)
    if scheme == "dgram":
        return _unix(DGRAM, rest)
    return _inet(STREAM if scheme == "tcp" else DGRAM, rest, text)


def _unix(mode: str, path: str) -> QemuAddress:
    if not path:
        raise QemuAddressError("a QEMU unix socket needs a path, e.g. /tmp/lan.sock")
    if len(path.encode()) > 107:  # sun_path holds 108 bytes with the terminating zero
        raise QemuAddressError(
            f"the socket path {path} is {len(path.encode())} bytes; unix sockets take at most 107"
        )
    return QemuAddress(mode, path=path)


def _inet(mode: str, rest: str, text: str) -> QemuAddress:
    host, sep, port_text = rest.rpartition(":")
    if not sep:
        host, port_text = LOOPBACK, rest
    try:
        port = int(port_text)
    except ValueError:
        raise QemuAddressError(f"{text!r}: {port_text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise QemuAddressError(f"{text!r}: port {port} is not between 1 and 65535")
    try:
        IPv4Address(host)
    except ValueError:
        raise QemuAddressError(f"{text!r}: {host!r} is not an IPv4 address") from None
    return QemuAddress(mode, host=host, port=port)
