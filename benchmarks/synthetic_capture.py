"""A large, realistic capture made in seconds with `struct` (scapy would take minutes): rounds of
a client looking a name up and fetching a page — DNS query and answer over UDP, the TCP
handshake, an HTTP GET, a two-segment response, the ACKs and the FINs — then a ping and its
reply, and every 50th round an ARP exchange. Each round has client ports of its own (64,000
rounds before one comes back), so conversations stay apart; round 0 is built field by field and
every other round is patched from it, checksums updated as RFC 1624 does it, which is what
makes a million frames take seconds. Checksums are right: tshark reads it clean. The same
arguments always write the same bytes.

    python benchmarks/synthetic_capture.py OUT.pcap [--frames 1000000]
"""

from __future__ import annotations

import argparse
import struct
import sys

from stack.wire.checksum import internet_checksum

CLIENT_MAC = bytes.fromhex("001b213a4f64")
ROUTER_MAC = bytes.fromhex("50c7bfa10001")
CLIENT, ROUTER = bytes([192, 168, 1, 100]), bytes([192, 168, 1, 1])
RESOLVER, SERVER = bytes([8, 8, 8, 8]), bytes([172, 194, 72, 105])
NAME = b"\x03www\x06google\x03com\x00"
GET = b"GET / HTTP/1.1\r\nHost: www.google.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
BODY = b"<html><head><title>Google</title></head><body>" + b"search " * 180 + b"</body></html>\n"
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(BODY)
RESPONSE = HEAD + BODY
PART = 1000  # bytes of the response in the first segment; the rest in the second


def _ether(src: bytes, dst: bytes, ethertype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


def _ipv4(src: bytes, dst: bytes, proto: int, ident: int, payload: bytes, ttl: int = 64) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl, proto, 0, src, dst
    )
    checksum = internet_checksum(header)
    return header[:10] + struct.pack("!H", checksum) + header[12:] + payload


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> int:
    return int.from_bytes(src + dst, "big") % 0xFFFF + proto + length


def _udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    segment = struct.pack("!HHHH", sport, dport, length, 0) + payload
    checksum = internet_checksum(segment, _pseudo(src, dst, 17, length)) or 0xFFFF
    return segment[:6] + struct.pack("!H", checksum) + segment[8:]


def _tcp(
    src: bytes,
    dst: bytes,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    payload: bytes = b"",
    mss: bool = False,
) -> bytes:
    options = struct.pack("!BBH", 2, 4, 1460) if mss else b""
    offset = (20 + len(options)) // 4
    segment = (
        struct.pack(
            "!HHIIBBHHH",
            sport,
            dport,
            seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF,
            offset << 4,
            flags,
            64240,
            0,
            0,
        )
        + options
        + payload
    )
    checksum = internet_checksum(segment, _pseudo(src, dst, 6, len(segment)))
    return segment[:16] + struct.pack("!H", checksum) + segment[18:]


def _icmp_echo(kind: int, ident: int, seq: int) -> bytes:
    message = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + bytes(range(48))
    return message[:2] + struct.pack("!H", internet_checksum(message)) + message[4:]


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def round_frames(r: int) -> list[bytes]:
    """The frames of round `r`, in the order they are on the wire, built field by field."""
    port, dport = _ports(r)
    seq, ack = CLIENT_ISN, SERVER_ISN

    def out(payload: bytes, dst: bytes, proto: int, n: int) -> bytes:
        return _ether(CLIENT_MAC, ROUTER_MAC, 0x0800, _ipv4(CLIENT, dst, proto, n, payload))

    def back(payload: bytes, src: bytes, proto: int, n: int) -> bytes:
        return _ether(ROUTER_MAC, CLIENT_MAC, 0x0800, _ipv4(src, CLIENT, proto, n, payload, ttl=56))

    query = struct.pack("!HHHHHH", 0x2B7C, 0x0100, 1, 0, 0, 0) + NAME + struct.pack("!HH", 1, 1)
    answer = (
        struct.pack("!HHHHHH", 0x2B7C, 0x8180, 1, 1, 0, 0)
        + NAME
        + struct.pack("!HH", 1, 1)
        + struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4)
        + SERVER
    )
    got, sent = len(GET), len(RESPONSE)
    frames = [
        out(_udp(CLIENT, RESOLVER, dport, 53, query), RESOLVER, 17, 0x1000),
        back(_udp(RESOLVER, CLIENT, 53, dport, answer), RESOLVER, 17, 0x2000),
        out(_tcp(CLIENT, SERVER, port, 80, seq, 0, SYN, mss=True), SERVER, 6, 0x1001),
        back(_tcp(SERVER, CLIENT, 80, port, ack, seq + 1, SYN | ACK, mss=True), SERVER, 6, 0x2001),
        out(_tcp(CLIENT, SERVER, port, 80, seq + 1, ack + 1, ACK), SERVER, 6, 0x1002),
        out(_tcp(CLIENT, SERVER, port, 80, seq + 1, ack + 1, PSH | ACK, GET), SERVER, 6, 0x1003),
        back(
            _tcp(SERVER, CLIENT, 80, port, ack + 1, seq + 1 + got, ACK, RESPONSE[:PART]),
            SERVER,
            6,
            0x2002,
        ),
        back(
            _tcp(
                SERVER, CLIENT, 80, port, ack + 1 + PART, seq + 1 + got, PSH | ACK, RESPONSE[PART:]
            ),
            SERVER,
            6,
            0x2003,
        ),
        out(_tcp(CLIENT, SERVER, port, 80, seq + 1 + got, ack + 1 + sent, ACK), SERVER, 6, 0x1004),
        out(
            _tcp(CLIENT, SERVER, port, 80, seq + 1 + got, ack + 1 + sent, FIN | ACK),
            SERVER,
            6,
            0x1005,
        ),
        back(
            _tcp(SERVER, CLIENT, 80, port, ack + 1 + sent, seq + 2 + got, FIN | ACK),
            SERVER,
            6,
            0x2004,
        ),
        out(_tcp(CLIENT, SERVER, port, 80, seq + 2 + got, ack + 2 + sent, ACK), SERVER, 6, 0x1006),
        out(_icmp_echo(8, 0x4242, 1), ROUTER, 1, 0x1007),
        back(_icmp_echo(0, 0x4242, 1), ROUTER, 1, 0x2005),
    ]
    if r % ARP_EVERY == 0:
        frames[:0] = ARP_FRAMES
    return frames


CLIENT_ISN, SERVER_ISN = 0x1F2E3D4C, 0x5A6B7C8D
ARP_EVERY = 50
ARP_FRAMES = [
    _ether(
        CLIENT_MAC,
        b"\xff" * 6,
        0x0806,
        struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, CLIENT_MAC, CLIENT, bytes(6), ROUTER),
    ),
    _ether(
        ROUTER_MAC,
        CLIENT_MAC,
        0x0806,
        struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, ROUTER_MAC, ROUTER, CLIENT_MAC, CLIENT),
    ),
]


def _ports(r: int) -> tuple[int, int]:
    """Round `r`'s client ports: TCP to the web server, UDP to the resolver (each round its own)."""
    return 1024 + r % 64000, 1024 + (r * 7 + 3) % 64000


# Where a round's client port sits in each frame of round 0 (offset of the port, offset of the
# checksum over it): 14 bytes of Ethernet, 20 of IPv4, then UDP/TCP with ports at 0 and 2.
_L4 = 34
_PATCH = (
    [(_L4 + 0, _L4 + 6), (_L4 + 2, _L4 + 6)]  # DNS query (sport), answer (dport)
    + [(_L4 + (0 if i in (0, 2, 3, 6, 7, 9) else 2), _L4 + 16) for i in range(10)]
    + [None, None]
)  # ICMP: no port


def _patched(frame: bytes, at: int, checksum_at: int, value: int) -> bytes:
    """`frame` with the 16-bit field at `at` set to `value` and its checksum updated (RFC 1624)."""
    old = frame[at] << 8 | frame[at + 1]
    checksum = frame[checksum_at] << 8 | frame[checksum_at + 1]
    total = (~checksum & 0xFFFF) + (~old & 0xFFFF) + value
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    new = ~total & 0xFFFF
    if checksum_at == _L4 + 6 and new == 0:
        new = 0xFFFF  # UDP sends a zero checksum as 0xFFFF (RFC 768)
    buf = bytearray(frame)
    buf[at : at + 2] = value.to_bytes(2, "big")
    buf[checksum_at : checksum_at + 2] = new.to_bytes(2, "big")
    return bytes(buf)


def fast_round(r: int, template: list[bytes]) -> list[bytes]:
    """`round_frames(r)` from round 0's frames (`template`, without ARP): only the ports change."""
    port, dport = _ports(r)
    frames = []
    for frame, patch, value in zip(
        template, _PATCH, [dport, dport] + [port] * 10 + [0, 0], strict=True
    ):
        frames.append(frame if patch is None else _patched(frame, patch[0], patch[1], value))
    if r % ARP_EVERY == 0:
        frames[:0] = ARP_FRAMES
    return frames


def write_capture(path: str, frames: int = 1_000_000) -> int:
    """Write `frames` frames to `path` (classic pcap, microseconds); returns the byte size."""
    template = round_frames(1)  # a round without ARP
    record = struct.Struct("<IIII")
    written, size, r, usec = 0, 24, 0, 0
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while written < frames:
            chunk = []
            for data in fast_round(r, template):
                if written == frames:
                    break
                usec += 137 + (written * 31) % 400  # irregular gaps, as on a real wire
                chunk.append(
                    record.pack(
                        1_700_000_000 + usec // 1_000_000, usec % 1_000_000, len(data), len(data)
                    )
                )
                chunk.append(data)
                written += 1
                size += 16 + len(data)
            out.write(b"".join(chunk))
            r += 1
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--frames", type=int, default=1_000_000)
    args = parser.parse_args()
    size = write_capture(args.out, args.frames)
    print(f"wrote {args.frames:,} frames ({size / 1e6:.1f} MB) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
