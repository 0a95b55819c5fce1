"""Our own decoder's verdict on a frame: checksums right or wrong, and where decoding stopped.

Scapy shows what the bytes say; this says whether they are right, with `stack.wire`'s codecs
(the same ones the stack trusts), as Wireshark's "[correct]" and "[incorrect, should be
0x…]". A checksum that covers bytes this frame does not hold (a fragment's transport header)
is "[unverified]", with the reason. No scapy here.
"""

from __future__ import annotations

from dataclasses import dataclass

from stack.wire.checksum import internet_checksum, pseudo_header_sum
from stack.wire.decode import Decoded
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import IPv4
from stack.wire.tcp import TCP
from stack.wire.udp import UDP

# Where each checksum sits in its header (RFC 791, 792, 768, 9293).
CHECKSUM_AT = {IPv4: 10, ICMP: 2, UDP: 6, TCP: 16}
_PROTO = {UDP: 17, TCP: 6}


@dataclass(frozen=True)
class Check:
    """One checksum: its layer, its frame offset, what it says and what it should say."""

    layer: str  # "IPv4", "ICMP", "UDP", "TCP"
    offset: int  # frame offset of the 16-bit field
    value: int
    expected: int | None  # None when it cannot be computed from this frame alone
    why_unverified: str = ""

    @property
    def ok(self) -> bool | None:
        if self.expected is None:
            return None
        return self.value == self.expected

    def text(self) -> str:
        if self.expected is None:
            return f"[unverified: {self.why_unverified}]"
        if self.value == self.expected:
            return "[correct]"
        return f"[incorrect, should be 0x{self.expected:04x}]"


def checks(decoded: Decoded, frame: bytes) -> list[Check]:
    """Every checksum in the layers our decoder parsed, outermost first."""
    out: list[Check] = []
    ip: IPv4 | None = None
    ip_start = 0
    for layer, start in zip(decoded.layers, decoded.offsets, strict=False):
        kind = type(layer)
        if kind is IPv4:
            ip, ip_start = layer, start
            header = bytearray(frame[start : start + layer.ihl * 4])
            header[10:12] = b"\0\0"
            out.append(Check("IPv4", start + 10, layer.checksum, internet_checksum(bytes(header))))
        elif kind in CHECKSUM_AT:
            out.append(_transport_check(kind, layer, start, ip, ip_start, frame))
    return out


def _transport_check(
    kind, layer, start: int, ip: IPv4 | None, ip_start: int, frame: bytes
) -> Check:
    name = kind.__name__
    at = start + CHECKSUM_AT[kind]
    if ip is None:
        return Check(name, at, layer.checksum, None, "no IPv4 header")
    if ip.flags & 1 or ip.frag:
        return Check(
            name, at, layer.checksum, None, "covers the whole datagram, and this is one fragment"
        )
    end = ip_start + ip.total_length
    segment = bytearray(frame[start:end])
    field = CHECKSUM_AT[kind]
    segment[field : field + 2] = b"\0\0"
    if kind is ICMP:
        return Check(name, at, layer.checksum, internet_checksum(bytes(segment)))
    if kind is UDP and layer.checksum == 0:
        return Check(name, at, 0, None, "zero: the sender did not compute one (RFC 768)")
    initial = pseudo_header_sum(ip.src.packed, ip.dst.packed, _PROTO[kind], len(segment))
    expected = internet_checksum(bytes(segment), initial)
    if kind is UDP and expected == 0:
        expected = 0xFFFF  # a computed zero is sent as all ones (RFC 768)
    return Check(name, at, layer.checksum, expected)
