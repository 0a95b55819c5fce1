"""SYN cookies (RFC 4987 §3.6), as Linux sends them when a listener's backlog is full.

Instead of keeping a half-open connection, the listener encodes what it needs in the initial
sequence number of its SYN-ACK and forgets the SYN. A client that really wanted to connect
answers with an ACK whose acknowledgment number is that ISN + 1; recomputing the cookie from the
ACK's addresses and sequence number proves it and recreates the connection. Spoofed SYNs cost
one SYN-ACK and no memory, so a flood cannot fill the backlog against real clients.

Layout of the 32-bit cookie (our own; only its properties follow Linux): 5 bits of a 64-second
counter (cookies older than two periods are refused), 2 bits of MSS index (the peer's MSS
rounded down to one of `MSS_TABLE`), 25 bits of a keyed hash of the four-tuple, the counter and
the client's ISN. What a cookie cannot carry — window scale, SACK-permitted — is lost, as on a
Linux peer without TCP timestamps.
"""

from __future__ import annotations

import hashlib
import struct
from ipaddress import IPv4Address

MSS_TABLE = (536, 1220, 1440, 1460)
PERIOD = 64.0  # seconds per counter tick
VALID_PERIODS = 2  # a cookie older than this many ticks is refused
_PACK = struct.Struct("!IHIHII")


def _mss_index(mss: int | None) -> int:
    mss = mss or 536
    index = 0
    for i, value in enumerate(MSS_TABLE):
        if mss >= value:
            index = i
    return index


def _hash(
    secret: bytes,
    local: tuple[IPv4Address, int],
    remote: tuple[IPv4Address, int],
    tick: int,
    client_isn: int,
) -> int:
    data = _PACK.pack(int(local[0]), local[1], int(remote[0]), remote[1], tick, client_isn)
    return (
        int.from_bytes(hashlib.blake2s(data, key=secret, digest_size=4).digest(), "big") & 0x1FFFFFF
    )


def make_cookie(
    secret: bytes,
    now: float,
    local: tuple[IPv4Address, int],
    remote: tuple[IPv4Address, int],
    client_isn: int,
    peer_mss: int | None,
) -> int:
    """The ISN of a SYN-ACK that keeps no state."""
    tick = int(now // PERIOD) & 0x1F
    return (
        (tick << 27) | (_mss_index(peer_mss) << 25) | _hash(secret, local, remote, tick, client_isn)
    )


def check_cookie(
    secret: bytes,
    now: float,
    local: tuple[IPv4Address, int],
    remote: tuple[IPv4Address, int],
    client_isn: int,
    cookie: int,
) -> int | None:
    """The MSS the cookie carries if it is one we made recently for this four-tuple, else None."""
    tick = (cookie >> 27) & 0x1F
    age = (int(now // PERIOD) - tick) & 0x1F
    if age >= VALID_PERIODS:
        return None
    if cookie & 0x1FFFFFF != _hash(secret, local, remote, tick, client_isn):
        return None
    return MSS_TABLE[(cookie >> 25) & 0x3]
