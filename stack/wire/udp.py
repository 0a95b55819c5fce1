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
_pack_udp = _UDP.pack

# A datagram made is nearly always built next (`UDP.make(…).build()`), and `make` has its bytes
# at hand for the checksum: it keeps the last one it made with them, one pair replaced as a
# whole (so never torn), which `build` hands back for that very value; the pair keeps the
# datagram alive, so no other can be taken for it by identity.
_last_made: tuple[object, bytes] = (None, b"")


# Fields: sport: int, dport: int, payload: bytes, length: int, checksum: int
_Fields = namedtuple(
    "_Fields",
    "sport dport payload length checksum",
    defaults=(b"", 0, 0),
)


class UDP(Value, _Fields):
    __slots__ = ()

    # Called on the class, never on a value (no `self`): see Value
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
        made = _last_made
        if made[0] is self:  # the datagram `make` has just made: its bytes are made too
            return made[1]
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
        # hi·2^16 + lo ≡ hi + lo (mod 0xFFFF) — see checksum.py. (`_ip` is the number
        # IPv4Address keeps; `int(src)` is a Python call.)
        if type(payload) is not bytes:
            payload = bytes(payload)
        # The header's words are summed as numbers too (its 8 bytes keep the payload's words
        # aligned), so the checksum reads the payload alone, not a copy of it behind the header.
        try:
            addresses = src._ip + dst._ip
        except AttributeError:  # not an IPv4Address: whatever int() makes of it, as before
            addresses = int(src) + int(dst)
        try:
            initial = addresses + 17 + length + sport + dport + length
        except TypeError:  # a port that is no number: the pack below says so, as it did
            initial = 0
        # A computed zero is sent as all ones: zero means "no checksum" (RFC 768).
        csum = internet_checksum(payload, initial) or 0xFFFF
        wire = _pack_udp(sport, dport, length, csum) + payload
        datagram = _new(cls, (sport, dport, payload, length, csum))
        global _last_made
        _last_made = (datagram, wire)
        return datagram

    def checksum_ok(self, src: IPv4Address, dst: IPv4Address) -> bool:
        if self.checksum == 0:
            return True
        initial = pseudo_header_sum(src.packed, dst.packed, PROTO, self.length)
        return internet_checksum(self.build(), initial) == 0
