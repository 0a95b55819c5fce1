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
_IP = struct.Struct("!BBHHHBBH4s4s")

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


# Likewise the source and destination together, keyed by their 8 bytes: a conversation's
# packets repeat them, and one lookup replaces two (and one unpacked field two).
_ENDS: dict[bytes, tuple[IPv4Address, IPv4Address]] = {}
_known_ends = _ENDS.get
_unpack_ip = struct.Struct("!BBHHHBBH8s").unpack_from  # the header, both addresses as one


def _remember_ends(raw: bytes) -> tuple[IPv4Address, IPv4Address]:
    if len(_ENDS) >= 4096:
        _ENDS.clear()
    src, dst = raw[:4], raw[4:]
    ends = _ENDS[raw] = (known_address(src) or address(src), known_address(dst) or address(dst))
    return ends


# Fields: src: IPv4Address, dst: IPv4Address, proto: int, payload: bytes, ttl: int, ident: int,
#  flags: int, frag: int, tos: int, options: bytes, total_length: int, checksum: int, ihl: int,
#  version: int
_Fields = namedtuple(
    "_Fields",
    "src dst proto payload ttl ident flags frag tos options total_length checksum ihl version",
    defaults=(b"", 64, 0, 0, 0, 0, b"", 0, 0, 5, 4),
)


class IPv4(Value, _Fields):
    # No __slots__: parsed and made packets remember their header bytes in `_raw` (not a
    # field: never compared or shown), so a router checks and rewrites it without packing
    # addresses again.
    _raw: bytes | None = None

    @staticmethod  # not a classmethod: see Value
    def parse(data: bytes) -> IPv4:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        n = len(data)
        if n < MIN_HEADER:
            raise WireError("ipv4", "header", n, f"{n} bytes is shorter than the 20-byte header")
        vihl, tos, total, ident, ff, ttl, proto, csum, ends = _unpack_ip(data)
        src, dst = _known_ends(ends) or _remember_ends(ends)
        if vihl == 0x45 and 20 <= total <= n:  # version 4, no options: nearly every packet
            packet = _new(
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
            packet._raw = data[:20]
            return packet
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
        packet = _new(
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
        packet._raw = data[:hlen]
        return packet

    def header(self) -> bytes:
        raw = self._raw
        if raw is not None:
            return raw
        return (
            _IP.pack(
                self.version << 4 | self.ihl,
                self.tos,
                self.total_length,
                self.ident,
                self.flags << 13 | self.frag,
                self.ttl,
                self.proto,
                self.checksum,
                self.src.packed,
                self.dst.packed,
            )
            + self.options
        )

    def build(self) -> bytes:
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
        if len(options) % 4:
            options += bytes(4 - len(options) % 4)
        hlen = MIN_HEADER + len(options)
        if hlen > MAX_HEADER:
            raise WireError(
                "ipv4",
                "options",
                MIN_HEADER,
                f"{len(options)} bytes of options exceed the 40 allowed",
            )
        total = hlen + len(payload)
        if total > MAX_TOTAL:
            raise WireError(
                "ipv4", "total_length", 2, f"{total} bytes is over the 65,535-byte maximum"
            )
        if offset_bytes % 8 or not 0 <= offset_bytes <= 0x1FFF * 8:
            raise WireError(
                "ipv4",
                "frag",
                6,
                f"fragment offset {offset_bytes} is not a multiple of 8 from 0 to 65,528",
            )
        flags = (FLAG_DF if df else 0) | (FLAG_MF if mf else 0)
        header = (
            _IP.pack(
                0x40 | hlen // 4,
                tos,
                total,
                ident,
                flags << 13 | offset_bytes // 8,
                ttl,
                proto,
                0,
                src.packed,
                dst.packed,
            )
            + options
        )
        csum = internet_checksum(header)
        packet = _new(
            cls,
            (
                src,
                dst,
                proto,
                bytes(payload),
                ttl,
                ident,
                flags,
                offset_bytes // 8,
                tos,
                options,
                total,
                csum,
                hlen // 4,
                4,
            ),
        )
        packet._raw = header[:10] + csum.to_bytes(2, "big") + header[12:]
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
        packet = _new(IPv4, (*self[:4], ttl, *self[5:11], csum, *self[12:]))
        packet._raw = bytes(header)
        return packet
