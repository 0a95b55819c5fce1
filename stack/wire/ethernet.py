"""Ethernet II framing: 14-byte header, 46–1,500 bytes of data, and the 4-byte FCS.

Header (14) plus FCS (4) are the 18 bytes of overhead; a frame on the wire is 64–1,518 bytes.
`Ethernet` is the frame as captures show it (no FCS); `with_fcs`/`strip_fcs` add and check the
trailer for the simulated bus.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from stack.wire.errors import WireError
from stack.wire.mac import MAC

HEADER_LEN = 14
FCS_LEN = 4
MIN_PAYLOAD = 46
MAX_PAYLOAD = 1500
MIN_FRAME = HEADER_LEN + MIN_PAYLOAD + FCS_LEN  # 64
MAX_FRAME = HEADER_LEN + MAX_PAYLOAD + FCS_LEN  # 1518

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
ETH_VLAN = 0x8100

_new = object.__new__
_HDR = struct.Struct("!6s6sH")


@dataclass(frozen=True)
class Ethernet:
    """An Ethernet II frame without FCS. `payload` includes any padding the sender added."""

    dst: MAC
    src: MAC
    ethertype: int
    payload: bytes

    @classmethod
    def parse(cls, data: bytes) -> Ethernet:
        if len(data) < HEADER_LEN:
            raise WireError("ethernet", "header", len(data), f"frame of {len(data)} bytes is shorter than the 14-byte header")
        if len(data) > HEADER_LEN + MAX_PAYLOAD:
            raise WireError("ethernet", "payload", HEADER_LEN, f"{len(data) - HEADER_LEN} bytes of data is over the {MAX_PAYLOAD}-byte maximum")
        dst, src, ethertype = _HDR.unpack_from(data)
        frame = _new(cls)
        frame.__dict__.update(dst=MAC(dst), src=MAC(src), ethertype=ethertype, payload=bytes(data[HEADER_LEN:]))
        return frame

    def build(self) -> bytes:
        payload = self.payload
        if len(payload) > MAX_PAYLOAD:
            raise WireError(
                "ethernet", "payload", HEADER_LEN,
                f"{len(payload)} bytes is over the {MAX_PAYLOAD}-byte maximum; it must be split (IP fragments) before it is framed",
            )
        if len(payload) < MIN_PAYLOAD:
            payload = payload + bytes(MIN_PAYLOAD - len(payload))
        return _HDR.pack(self.dst, self.src, self.ethertype) + payload


def with_fcs(frame: bytes) -> bytes:
    """Append the FCS, padding a short frame to the 60 bytes that make 64 with the trailer."""
    if len(frame) < HEADER_LEN + MIN_PAYLOAD:
        frame = frame + bytes(HEADER_LEN + MIN_PAYLOAD - len(frame))
    return frame + struct.pack("<I", zlib.crc32(frame))


def strip_fcs(wire: bytes) -> bytes:
    """Check the FCS and return the frame without it; a mismatch raises WireError."""
    if len(wire) < HEADER_LEN + FCS_LEN:
        raise WireError("ethernet", "fcs", len(wire), f"frame of {len(wire)} bytes has no room for header and FCS")
    body, trailer = wire[:-FCS_LEN], wire[-FCS_LEN:]
    (got,) = struct.unpack("<I", trailer)
    want = zlib.crc32(body)
    if got != want:
        raise WireError("ethernet", "fcs", len(body), f"FCS 0x{got:08x} does not match the computed 0x{want:08x}")
    return body
