"""TCP's state names (RFC 9293 §3.3.2), its limits, and sequence-number arithmetic.

Inside this package sequence numbers are unwrapped: plain integers that keep growing from
the ISN, so comparisons are `<`. Only the wire sees them modulo 2^32; `unwrap` turns a wire
number back into the unwrapped one nearest a reference.
"""

from __future__ import annotations

LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED = "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING = "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING"
LAST_ACK, TIME_WAIT, CLOSED = "LAST-ACK", "TIME-WAIT", "CLOSED"

MOD = 1 << 32
HALF = 1 << 31
DEFAULT_MSS = 536  # RFC 9293 §3.7.1: assumed when the peer sends no MSS option
DELAYED_ACK = 0.040  # Linux's minimum delayed-ACK time; RFC 1122 allows up to 0.5 s
SYN_RETRIES = 6  # as Linux's tcp_syn_retries: 1+2+4+8+16+32+64 = 127 s
DATA_RETRIES = 15  # as Linux's tcp_retries2
FIN_WAIT_2_TIMEOUT = 60.0  # as Linux's tcp_fin_timeout, for a connection the application closed
PERSIST_MAX = 60.0


def unwrap(wire: int, ref: int) -> int:
    """The unwrapped sequence number nearest `ref` whose low 32 bits are `wire`."""
    d = (wire - ref) % MOD
    return ref + d - MOD if d >= HALF else ref + d
