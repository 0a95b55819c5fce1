"""ICMP on a host: answer echo requests, send errors by RFC 1812's rules, and pass replies and
errors to whoever waits for them (ping, traceroute, sockets).

Never an error about an ICMP error, a non-first fragment, or a broadcast (RFC 1812 §4.3.2.7).
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.events import IcmpSent, PacketDropped
from stack.net.interface import Interface
from stack.wire import icmp as codes
from stack.wire.checksum import internet_checksum
from stack.wire.errors import WireError
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, IPv4

if TYPE_CHECKING:
    from stack.host import Host

_LIMITED_BROADCAST = IPv4Address("255.255.255.255")
_NO_REPLY = (IPv4Address(0), _LIMITED_BROADCAST)
_QUERY_TYPES = (codes.ECHO_REQUEST, codes.ECHO_REPLY, 13, 14, 15, 16, 17, 18)

# Called with (the packet that carried the ICMP message, the message, frame ids).
Listener = Callable[[IPv4, ICMP, tuple[int, ...]], None]


def _answers(host: Host, dst: bytes, iface: Interface) -> bool:
    """Whether `host` answers an echo request to `dst`: one of its addresses, or, come over
    loopback, any of 127.0.0.0/8, which Linux's lo holds whole (`ping 127.0.0.2` is answered
    from 127.0.0.2; from a wire such a destination is a martian, not answered)."""
    return dst in host.packed_addresses or (dst[0] == 127 and iface is host.loopback)


class IcmpLayer:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.echo_listeners: dict[int, Listener] = {}
        self.error_listeners: list[Listener] = []
        self.answer_echo = True
        self.stats = {
            "echo_requests": 0,
            "echo_replies": 0,
            "errors_sent": 0,
            "errors_received": 0,
            "malformed": 0,
        }
        host.ip.handlers[PROTO_ICMP] = self.receive

    def receive(self, packet: IPv4, iface: Interface, frames: tuple[int, ...]) -> None:
        host = self.host
        data = packet.payload
        if data[:1] == b"\x08" and len(data) >= 8 and not internet_checksum(data):
            # An echo request, whole and right (nearly every ICMP message a lab gets): the
            # reply from its bytes. Type 0, code 0, the checksum of the rest (the zero words
            # in front add nothing to it), the identifier, sequence and data as they came.
            self.stats["echo_requests"] += 1
            if self.answer_echo and _answers(host, packet.ends()[4:], iface):
                self.stats["echo_replies"] += 1
                rest = data[4:]
                host.ip.send(
                    packet.src,
                    PROTO_ICMP,
                    b"".join((b"\x00\x00", internet_checksum(rest).to_bytes(2, "big"), rest)),
                    src=packet.dst,
                    frames=frames,
                )
            return
        try:
            msg = ICMP.parse(packet.payload)
        except WireError as err:
            self.stats["malformed"] += 1
            host.trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(packet.src),
                    str(packet.dst),
                    f"malformed ICMP: {err}",
                )
            )
            return
        if not msg.checksum_ok():
            host.trace.emit(
                PacketDropped(
                    host.clock.now(),
                    host.name,
                    frames,
                    str(packet.src),
                    str(packet.dst),
                    "bad ICMP checksum",
                )
            )
            return
        if msg.type == codes.ECHO_REQUEST:
            self.stats["echo_requests"] += 1
            if self.answer_echo and _answers(host, packet.ends()[4:], iface):
                self.stats["echo_replies"] += 1
                host.ip.send(
                    packet.src,
                    PROTO_ICMP,
                    ICMP.echo_reply(msg).build(),
                    src=packet.dst,
                    frames=frames,
                )
            return
        if msg.type == codes.ECHO_REPLY:
            listener = self.echo_listeners.get(msg.ident)
            if listener is not None:
                listener(packet, msg, frames)
            return
        if msg.is_error:
            self.stats["errors_received"] += 1
            for listener in list(self.error_listeners):
                listener(packet, msg, frames)

    def send_error(
        self,
        offending: IPv4,
        type: int,
        code: int,
        reason: str,
        frames: tuple[int, ...],
        mtu: int = 0,
    ) -> None:
        host = self.host
        if offending.offset_bytes or offending.src in _NO_REPLY or offending.src.is_multicast:
            return
        if offending.dst == _LIMITED_BROADCAST or offending.dst.is_multicast:
            return
        if (
            offending.proto == PROTO_ICMP
            and offending.payload[:1]
            and offending.payload[0] not in _QUERY_TYPES
        ):
            return
        raw = offending.build()
        msg = (
            ICMP.unreachable(code, raw, mtu)
            if type == codes.DEST_UNREACHABLE
            else ICMP.time_exceeded(code, raw)
        )
        self.stats["errors_sent"] += 1
        host.trace.emit(
            IcmpSent(host.clock.now(), host.name, frames, offending.src, msg.describe(), reason)
        )
        host.ip.send(offending.src, PROTO_ICMP, msg.build(), frames=frames)

    def notify_local_error(self, offending: IPv4, type: int, code: int, mtu: int = 0) -> None:
        """An error about a packet this host itself sent, raised inside the host (as Linux
        reports "Destination Host Unreachable" from its own address)."""
        host = self.host
        raw = offending.build()
        msg = (
            ICMP.unreachable(code, raw, mtu)
            if type == codes.DEST_UNREACHABLE
            else ICMP.time_exceeded(code, raw)
        )
        carrier = IPv4.make(offending.src, offending.src, PROTO_ICMP, msg.build())
        host.clock.call_soon(self.receive, carrier, host.loopback, ())
