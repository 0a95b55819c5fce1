"""UDP (RFC 768): 8-byte header, checksum over the IPv4 pseudo-header."""

from __future__ import annotations

import struct
from collections import namedtuple
from ipaddress import IPv4Address

from stack.wire.checksum import internet_checksum, pseudo_header_sum
from stack.wire.errors import WireError
from stack.wire.value import Value

HEADER_LEN = 8
PROTO = 17

_new = tuple.__new__
_UDP = struct.Struct("!HHHH")


# Fields: sport: int, dport: int, payload: bytes, length: int, checksum: int
_Fields = namedtuple(
    "_Fields",
    "sport dport payload length checksum",
    defaults=(b"", 0, 0),
)


class UDP(Value, _Fields):
    __slots__ = ()

    @staticmethod  # not a classmethod: see Value
    def parse(data: bytes) -> UDP:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError("udp", "header", n, f"{n} bytes is shorter than the 8-byte header")
        sport, dport, length, csum = _UDP.unpack_from(data)
        if length < HEADER_LEN:
            raise WireError(
                "udp", "length", 4, f"length {length} is shorter than the 8-byte header"
            )
        if length > n:
            raise WireError("udp", "length", 4, f"length {length} runs past the {n} bytes received")
        return _new(UDP, (sport, dport, data[HEADER_LEN:length], length, csum))

    def build(self) -> bytes:
        return _UDP.pack(self.sport, self.dport, self.length, self.checksum) + self.payload

    @classmethod
    def make(
        cls, src: IPv4Address, dst: IPv4Address, sport: int, dport: int, payload: bytes
    ) -> UDP:
        length = HEADER_LEN + len(payload)
        if length > 0xFFFF:
            raise WireError(
                "udp", "length", 4, f"{length} bytes is over the 65,535 a UDP length can say"
            )
        # The pseudo-header's words, summed: an address counts as one integer because
        # hi·2^16 + lo ≡ hi + lo (mod 0xFFFF) — see checksum.py.
        initial = int(src) + int(dst) + PROTO + length
        csum = internet_checksum(_UDP.pack(sport, dport, length, 0) + payload, initial)
        # A computed zero is sent as all ones: zero means "no checksum" (RFC 768).
        return _new(cls, (sport, dport, bytes(payload), length, csum or 0xFFFF))

    def checksum_ok(self, src: IPv4Address, dst: IPv4Address) -> bool:
        if self.checksum == 0:
            return True
        initial = pseudo_header_sum(src.packed, dst.packed, PROTO, self.length)
        return internet_checksum(self.build(), initial) == 0
