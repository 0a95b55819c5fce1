"""IPv4 header (RFC 791): 20–60 bytes with options kept, flags, fragment offset, checksum.

`frag` is the fragment offset in 8-byte units as on the wire; `offset_bytes` gives bytes.
`payload` is what `total_length` covers after the header; trailing bytes (Ethernet padding)
are not part of the packet.
"""

from __future__ import annotations

import struct
from collections import namedtuple
from ipaddress import IPv4Address

from stack.wire.checksum import internet_checksum
from stack.wire.errors import WireError
from stack.wire.value import Value

MIN_HEADER = 20
MAX_HEADER = 60
MAX_TOTAL = 65535

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_NAMES = {PROTO_ICMP: "ICMP", PROTO_TCP: "TCP", PROTO_UDP: "UDP"}

FLAG_RESERVED = 0b100
FLAG_DF = 0b010
FLAG_MF = 0b001

_new = tuple.__new__

# The same few addresses come by in frame after frame, and IPv4Address(bytes) costs ~0.3 µs:
# a bounded memo of an immutable value (no state anyone can observe). A plain dict, emptied
# when full (never replaced), read inline by parsers as `known_address(raw) or address(raw)`
# (~0.04 µs a hit; `known_address` is its `get` bound once, as `known_mac` in mac.py).
_ADDRESSES: dict[bytes, IPv4Address] = {}
known_address = _ADDRESSES.get


def address(raw: bytes) -> IPv4Address:
    """The IPv4Address for 4 packed bytes (memoised)."""
    found = _ADDRESSES.get(raw)
    if found is None:
        if len(_ADDRESSES) >= 4096:
            _ADDRESSES.clear()
        found = _ADDRESSES[raw] = IPv4Address(bytes(raw))
    return found


# Likewise the source and destination together, keyed by their 8 bytes read as one number (an
# int hashes for less than 8 bytes do): a conversation's packets repeat them, and one lookup
# replaces two (and one unpacked field two).
_ENDS: dict[int, tuple[IPv4Address, IPv4Address]] = {}
_known_ends = _ENDS.get
_unpack_ip = struct.Struct("!BBHHHBBHQ").unpack_from  # the header, both addresses as one
# The fixed header again, the addresses as numbers (IPv4Address keeps its number as `_ip`;
# `.packed` is two Python calls each).
_pack_header = struct.Struct("!BBHHHBBHII").pack
_pack_ends = struct.Struct("!II").pack


def _remember_ends(ends: int) -> tuple[IPv4Address, IPv4Address]:
    if len(_ENDS) >= 4096:
        _ENDS.clear()
    raw = ends.to_bytes(8, "big")
    src, dst = raw[:4], raw[4:]
    pair = _ENDS[ends] = (known_address(src) or address(src), known_address(dst) or address(dst))
    return pair


# A packet made is nearly always built next (`IPv4.make(…).build()`), and `make` has packed its
# header for the checksum: it keeps the last packet it made with its bytes, one pair replaced
# as a whole (so never torn), which `build` hands back for that very value; the pair keeps
# the packet alive, so no other can be taken for it by identity. (Made packets kept their
# header in an instance attribute before, which cost every parsed packet a dict.)
_last_made: tuple[object, bytes] = (None, b"")

# Fields: src: IPv4Address, dst: IPv4Address, proto: int, payload: bytes, ttl: int, ident: int,
#  flags: int, frag: int, tos: int, options: bytes, total_length: int, checksum: int, ihl: int,
#  version: int
_Fields = namedtuple(
    "_Fields",
    "src dst proto payload ttl ident flags frag tos options total_length checksum ihl version",
    defaults=(b"", 64, 0, 0, 0, 0, b"", 0, 0, 5, 4),
)


class IPv4(Value, _Fields):
    # No instance dict: a tuple subclass with one makes a dict for each packet that stores
    # an attribute in it (~1,000 of the ~8,000 machine instructions a parse took, callgrind,
    # when the header's bytes were kept as `_raw`). The header is packed again when asked
    # for, its ten fixed fields in one `struct` call with the addresses as numbers.
    __slots__ = ()

    # Called on the class, never on a value (no `self`): see Value
    def parse(data: bytes) -> IPv4:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        n = len(data)
        if n < MIN_HEADER:
            raise WireError("ipv4", "header", n, f"{n} bytes is shorter than the 20-byte header")
        vihl, tos, total, ident, ff, ttl, proto, csum, ends = _unpack_ip(data)
        src, dst = _known_ends(ends) or _remember_ends(ends)
        if vihl == 0x45 and 20 <= total <= n:  # version 4, no options: nearly every packet
            return _new(
                IPv4,
                (
                    src,
                    dst,
                    proto,
                    data[20:total],
                    ttl,
                    ident,
                    ff >> 13,
                    ff & 0x1FFF,
                    tos,
                    b"",
                    total,
                    csum,
                    5,
                    4,
                ),
            )
        version, ihl = vihl >> 4, vihl & 0x0F
        if version != 4:
            raise WireError("ipv4", "version", 0, f"version {version} is not 4")
        hlen = ihl * 4
        if ihl < 5:
            raise WireError("ipv4", "ihl", 0, f"header length {hlen} is below the 20-byte minimum")
        if hlen > n:
            raise WireError(
                "ipv4",
                "options",
                MIN_HEADER,
                f"header length {hlen} runs past the {n} bytes received",
            )
        if total < hlen:
            raise WireError(
                "ipv4",
                "total_length",
                2,
                f"total length {total} is shorter than the {hlen}-byte header",
            )
        if total > n:
            raise WireError(
                "ipv4", "total_length", 2, f"total length {total} runs past the {n} bytes received"
            )
        return _new(
            IPv4,
            (
                src,
                dst,
                proto,
                data[hlen:total],
                ttl,
                ident,
                ff >> 13,
                ff & 0x1FFF,
                tos,
                data[MIN_HEADER:hlen] if hlen > MIN_HEADER else b"",
                total,
                csum,
                ihl,
                version,
            ),
        )

    def header(self) -> bytes:
        """The header's bytes: exactly as parsed (every bit of them is a field), or as made."""
        # A slice is a plain tuple, unpacked at once (a tuple subclass goes through its iterator).
        (src, dst, proto, _, ttl, ident, flags, frag, tos, options, total, csum, ihl,
         version) = self[:]  # fmt: skip
        header = _pack_header(
            version << 4 | ihl, tos, total, ident, flags << 13 | frag, ttl, proto, csum,
            src._ip, dst._ip,
        )  # fmt: skip
        return header + options if options else header

    def ends(self) -> bytes:
        """The source and destination addresses as on the wire (the header's bytes 12–20)."""
        return _pack_ends(self.src._ip, self.dst._ip)

    def build(self) -> bytes:
        made = _last_made
        if made[0] is self:  # the packet `make` has just made: its bytes are made too
            return made[1]
        return self.header() + self.payload

    @classmethod
    def make(
        cls,
        src: IPv4Address,
        dst: IPv4Address,
        proto: int,
        payload: bytes,
        *,
        ttl: int = 64,
        ident: int = 0,
        df: bool = False,
        mf: bool = False,
        offset_bytes: int = 0,
        tos: int = 0,
        options: bytes = b"",
    ) -> IPv4:
        """A packet with lengths and checksum computed; options are padded to 32-bit words."""
        if options:
            if len(options) % 4:
                options += bytes(4 - len(options) % 4)
            if len(options) > 40:
                raise WireError(
                    "ipv4",
                    "options",
                    MIN_HEADER,
                    f"{len(options)} bytes of options exceed the 40 allowed",
                )
        ihl = 5 + len(options) // 4
        total = ihl * 4 + len(payload)
        if total > 65535:  # MAX_TOTAL
            raise WireError(
                "ipv4", "total_length", 2, f"{total} bytes is over the 65,535-byte maximum"
            )
        if offset_bytes and (offset_bytes % 8 or not 0 <= offset_bytes <= 0x1FFF * 8):
            raise WireError(
                "ipv4",
                "frag",
                6,
                f"fragment offset {offset_bytes} is not a multiple of 8 from 0 to 65,528",
            )
        flags = 2 if df else 0  # FLAG_DF
        if mf:
            flags |= 1  # FLAG_MF
        frag = offset_bytes // 8
        src_ip, dst_ip = src._ip, dst._ip
        # internet_checksum(header), from the header's words as numbers (RFC 1071: each
        # address counts as one, 2^16 ≡ 1 mod 0xFFFF), so the header is packed once, checksum
        # and all; the first byte, 0x4X, is never zero, so a sum that folds to zero gives 0.
        try:
            left = (
                ((0x40 | ihl) << 8 | tos) + total + ident + (flags << 13 | frag)
                + (ttl << 8 | proto) + src_ip + dst_ip
                + (int.from_bytes(options, "big") if options else 0)
            ) % 0xFFFF  # fmt: skip
        except TypeError:  # a field that is no number: the pack below says so, as it did
            left = 0
        checksum = 0xFFFF - left if left else 0
        header = _pack_header(
            0x40 | ihl, tos, total, ident, flags << 13 | frag, ttl, proto, checksum, src_ip, dst_ip
        )
        if type(payload) is not bytes:
            payload = bytes(payload)
        packet = _new(
            cls,
            (
                src,
                dst,
                proto,
                payload,
                ttl,
                ident,
                flags,
                frag,
                tos,
                options,
                total,
                checksum,
                ihl,
                4,
            ),
        )
        global _last_made
        _last_made = (packet, b"".join((header, options, payload)))
        return packet

    @property
    def df(self) -> bool:
        return bool(self.flags & FLAG_DF)

    @property
    def mf(self) -> bool:
        return bool(self.flags & FLAG_MF)

    @property
    def offset_bytes(self) -> int:
        return self.frag * 8

    @property
    def header_length(self) -> int:
        return self.ihl * 4

    @property
    def is_fragment(self) -> bool:
        return self.mf or self.frag != 0

    def checksum_ok(self) -> bool:
        return internet_checksum(self.header()) == 0

    def with_ttl(self, ttl: int) -> IPv4:
        """The same packet one hop on: new TTL, checksum recomputed."""
        header = bytearray(self.header())
        header[8] = ttl
        header[10] = header[11] = 0
        csum = internet_checksum(header)
        header[10], header[11] = csum >> 8, csum & 0xFF
        # Fields in order: src, dst, proto, payload, ttl, …, checksum, ihl, version.
        return _new(IPv4, (*self[:4], ttl, *self[5:11], csum, *self[12:]))
