"""Checksums: the Internet checksum (RFC 1071) and the Ethernet FCS (CRC-32, IEEE 802.3).

The Internet checksum is computed without a loop over words: read the whole buffer as one
big-endian integer N, whose 16-bit words w_k weigh 2^(16k). Since 2^16 ≡ 1 (mod 0xFFFF), N is
congruent to the plain sum of its words, and the ones' complement sum with end-around carry
is that sum modulo 0xFFFF (RFC 1071 §2(B), "casting out" 0xFFFF). One `int.from_bytes` and one
`%` in C cost about 2 µs for a full frame; summing words in Python costs ~8 µs. The `%` is the
dear part (a division per 30-bit digit), so a long buffer is read as four slices whose values
are added first: each slice but the last is followed by an even number of bytes (once an odd
length is padded), so its weight is a power of 2^16 and it counts as itself. Below 768 bytes
the three more slices and reads cost more than the division they save (timeit: a 308-byte DHCP
datagram 0.71 µs read whole, 1.0 µs in four; about even at 700–800 bytes), so it is read whole.
"""

import struct
import zlib


def internet_checksum(data: bytes, initial: int = 0) -> int:
    """Ones' complement of the ones' complement sum of the 16-bit big-endian words of `data`.

    `initial` is a partial sum (any non-negative integer, e.g. from `pseudo_header_sum`) added
    into the same sum. The result is what goes in the checksum field; over data that already
    holds a correct checksum it is 0.
    """
    n = len(data)
    if n < 768:
        head, tail = 0, int.from_bytes(data, "big")
    else:
        q = n // 8 * 2
        head = int.from_bytes(data[:q], "big") + int.from_bytes(data[q : 2 * q], "big")
        head += int.from_bytes(data[2 * q : 3 * q], "big")
        tail = int.from_bytes(data[3 * q :], "big")
    # An odd last byte is padded with a zero on the right (RFC 1071 §4.1).
    number = head + (tail << 8 if n & 1 else tail)
    total = (number % 0xFFFF + initial) % 0xFFFF
    if total == 0 and (number or initial):
        # A non-zero sum that is a multiple of 0xFFFF folds to 0xFFFF ("negative zero"), as the
        # word-by-word fold does; only all-zero input sums to zero.
        return 0
    return 0xFFFF - total


def pseudo_header_sum(src: bytes, dst: bytes, protocol: int, length: int) -> int:
    """The IPv4 pseudo-header (RFC 768, RFC 9293 §3.1) as a partial sum for `internet_checksum`."""
    addresses = int.from_bytes(src + dst, "big")
    # Reduced, but never to 0 when a word was not: a sum of ones' complement words that is a
    # multiple of 0xFFFF is "negative zero" (0xFFFF), and internet_checksum tells it from an
    # all-zero input only by a non-zero `initial` (255.255.255.255 twice, protocol 0, length 0).
    return (addresses % 0xFFFF or (0xFFFF if addresses else 0)) + protocol + length


def fcs(frame: bytes) -> bytes:
    """The 4-byte frame check sequence as it goes on the wire (CRC-32, least significant first)."""
    return struct.pack("<I", zlib.crc32(frame))
