"""ICMP for IPv4 (RFC 792): echo, destination unreachable, time exceeded.

`rest` is the 32-bit word after the checksum: identifier and sequence for echo, the next-hop
MTU for "fragmentation needed", unused otherwise. Errors carry the offending packet's IP header
and at least its first 8 bytes of data in `payload` (`quote` makes that).
"""

from __future__ import annotations

import struct
from collections import namedtuple

from stack.wire.checksum import internet_checksum
from stack.wire.errors import WireError
from stack.wire.value import Value

ECHO_REPLY = 0
DEST_UNREACHABLE = 3
ECHO_REQUEST = 8
TIME_EXCEEDED = 11

# Destination unreachable codes (RFC 792, RFC 1812).
NET_UNREACHABLE = 0
HOST_UNREACHABLE = 1
PROTOCOL_UNREACHABLE = 2
PORT_UNREACHABLE = 3
FRAGMENTATION_NEEDED = 4
# Time exceeded codes.
TTL_EXCEEDED = 0
REASSEMBLY_EXCEEDED = 1

TYPE_NAMES = {
    ECHO_REPLY: "echo reply",
    DEST_UNREACHABLE: "destination unreachable",
    ECHO_REQUEST: "echo request",
    TIME_EXCEEDED: "time exceeded",
}
UNREACHABLE_NAMES = {
    NET_UNREACHABLE: "network unreachable",
    HOST_UNREACHABLE: "host unreachable",
    PROTOCOL_UNREACHABLE: "protocol unreachable",
    PORT_UNREACHABLE: "port unreachable",
    FRAGMENTATION_NEEDED: "fragmentation needed",
}
EXCEEDED_NAMES = {
    TTL_EXCEEDED: "TTL exceeded in transit",
    REASSEMBLY_EXCEEDED: "fragment reassembly time exceeded",
}

_new = tuple.__new__
_ICMP = struct.Struct("!BBHI")


# Fields: type: int, code: int, rest: int, payload: bytes, checksum: int
_Fields = namedtuple(
    "_Fields",
    "type code rest payload checksum",
    defaults=(0, b"", 0),
)


class ICMP(Value, _Fields):
    __slots__ = ()

    # Called on the class, never on a value (no `self`): see Value
    def parse(data: bytes) -> ICMP:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        if len(data) < 8:
            raise WireError(
                "icmp", "header", len(data), f"{len(data)} bytes is shorter than the 8-byte header"
            )
        t, c, csum, rest = _ICMP.unpack_from(data)
        return _new(ICMP, (t, c, rest, data[8:], csum))

    def build(self) -> bytes:
        return _ICMP.pack(self.type, self.code, self.checksum, self.rest) + self.payload

    @classmethod
    def make(cls, type: int, code: int, rest: int = 0, payload: bytes = b"") -> ICMP:
        payload = bytes(payload)
        checksum = internet_checksum(_ICMP.pack(type, code, 0, rest) + payload)
        return _new(cls, (type, code, rest, payload, checksum))

    @classmethod
    def echo_request(cls, ident: int, seq: int, data: bytes = b"") -> ICMP:
        return cls.make(ECHO_REQUEST, 0, ident << 16 | seq, data)

    @classmethod
    def echo_reply(cls, request: ICMP) -> ICMP:
        return cls.make(ECHO_REPLY, 0, request.rest, request.payload)

    @classmethod
    def unreachable(cls, code: int, offending: bytes, mtu: int = 0) -> ICMP:
        return cls.make(
            DEST_UNREACHABLE, code, mtu if code == FRAGMENTATION_NEEDED else 0, quote(offending)
        )

    @classmethod
    def time_exceeded(cls, code: int, offending: bytes) -> ICMP:
        return cls.make(TIME_EXCEEDED, code, 0, quote(offending))

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        return self.rest & 0xFFFF

    @property
    def is_error(self) -> bool:
        return self.type in (DEST_UNREACHABLE, TIME_EXCEEDED)

    def checksum_ok(self) -> bool:
        return internet_checksum(self.build()) == 0

    def describe(self) -> str:
        name = TYPE_NAMES.get(self.type, f"type {self.type}")
        if self.type == DEST_UNREACHABLE:
            return f"{name} ({UNREACHABLE_NAMES.get(self.code, f'code {self.code}')})"
        if self.type == TIME_EXCEEDED:
            return f"{name} ({EXCEEDED_NAMES.get(self.code, f'code {self.code}')})"
        if self.type in (ECHO_REQUEST, ECHO_REPLY):
            return f"{name} id=0x{self.ident:04x} seq={self.seq}"
        return name


def quote(offending: bytes) -> bytes:
    """The offending packet's header and first 8 bytes of its data (RFC 792)."""
    if len(offending) < 20:
        return bytes(offending)
    hlen = (offending[0] & 0x0F) * 4
    return bytes(offending[: hlen + 8])
