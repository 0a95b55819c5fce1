"""Checksums: the Internet checksum (RFC 1071) and the Ethernet FCS (CRC-32, IEEE 802.3)."""

import struct
import zlib


def internet_checksum(data: bytes, initial: int = 0) -> int:
    """Ones' complement of the ones' complement sum of 16-bit words (RFC 1071)."""
    if len(data) & 1:
        data += b"\x00"
    # int.from_bytes over the whole buffer and folding is far faster than summing words in Python.
    total = initial + sum(memoryview(data).cast("H"))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    # The sum above was in host order; swap to network order for a little-endian host.
    value = ~total & 0xFFFF
    return ((value & 0xFF) << 8 | value >> 8) if _LITTLE else value


_LITTLE = struct.pack("=H", 1) == b"\x01\x00"


def pseudo_header_sum(src: bytes, dst: bytes, protocol: int, length: int) -> int:
    """The IPv4 pseudo-header (RFC 768, RFC 9293 §3.1) as a partial sum in host word order."""
    return sum(memoryview(src + dst + struct.pack("!BBH", 0, protocol, length)).cast("H"))


def fcs(frame: bytes) -> bytes:
    """The 4-byte frame check sequence as it goes on the wire (CRC-32, least significant first)."""
    return struct.pack("<I", zlib.crc32(frame))
