"""Ethernet II framing: 14-byte header, 46–1,500 bytes of data, and the 4-byte FCS.

Header (14) plus FCS (4) are the 18 bytes of overhead; a frame on the wire is 64–1,518 bytes.
`Ethernet` is the frame as captures and TAP devices show it: no FCS, and padding only if the
sender put it there (frames a host sends are often captured before the NIC pads them), so
`build` writes exactly what the value holds. `Ethernet.make` pads the data to the 46-byte
minimum; `with_fcs`/`strip_fcs` add and check the trailer (padding short frames) for the
simulated bus. Data over 1,500 bytes is refused: it must be split into IP fragments first.
"""

from __future__ import annotations

import struct
import zlib
from collections import namedtuple

from stack.wire.errors import WireError
from stack.wire.mac import MAC, known_mac, remember_mac
from stack.wire.value import Value

HEADER_LEN = 14
FCS_LEN = 4
MIN_PAYLOAD = 46
MAX_PAYLOAD = 1500
MIN_FRAME = HEADER_LEN + MIN_PAYLOAD + FCS_LEN  # 64
MAX_FRAME = HEADER_LEN + MAX_PAYLOAD + FCS_LEN  # 1518
VLAN_TAG_LEN = 4  # an 802.1Q tag rides inside the data of an 0x8100 frame (1,522 on the wire)

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
ETH_VLAN = 0x8100

_new = tuple.__new__
_HDR = struct.Struct("!6s6sH")

# A link carries the same few headers frame after frame — one per pair of hosts, direction and
# ethertype — so, as with the addresses themselves (`stack.wire.mac._MACS`), a bounded memo of
# the decoded fields (dst, src, ethertype) keyed by the 14 bytes: one lookup where there were
# an unpack and two address lookups. Immutable values: nothing anyone can observe.
_HEADERS: dict[bytes, tuple[MAC, MAC, int]] = {}
_known_header = _HEADERS.get


def _remember_header(header: bytes) -> tuple[MAC, MAC, int]:
    if len(_HEADERS) >= 4096:
        _HEADERS.clear()
    dst, src, ethertype = _HDR.unpack(header)
    fields = _HEADERS[header] = (
        known_mac(dst) or remember_mac(dst),
        known_mac(src) or remember_mac(src),
        ethertype,
    )
    return fields


# Fields: dst: MAC, src: MAC, ethertype: int, payload: bytes
_Fields = namedtuple(
    "_Fields",
    "dst src ethertype payload",
)


class Ethernet(Value, _Fields):
    """An Ethernet II frame without FCS. `payload` includes any padding the sender added."""

    __slots__ = ()

    # Called on the class, never on a value (no `self`): see Value
    def parse(data: bytes) -> Ethernet:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError(
                "ethernet", "header", n, f"frame of {n} bytes is shorter than the 14-byte header"
            )
        header = data[:14]
        dst, src, ethertype = _known_header(header) or _remember_header(header)
        # Literals, not HEADER_LEN and friends: each global read is a step on every frame.
        if n > 1514 and n - 14 > _max_payload(ethertype):  # over HEADER_LEN + MAX_PAYLOAD
            raise WireError(
                "ethernet",
                "payload",
                HEADER_LEN,
                f"{n - HEADER_LEN} bytes of data is over the {_max_payload(ethertype)}-byte maximum",
            )
        return _new(Ethernet, (dst, src, ethertype, data[14:]))  # not `fields + (…,)`: one tuple

    def build(self) -> bytes:
        """The frame's bytes exactly as held: header and data, no padding added, no FCS."""
        payload = self.payload
        if len(payload) > MAX_PAYLOAD and len(payload) > _max_payload(self.ethertype):
            raise _too_long(len(payload))
        return _HDR.pack(self.dst, self.src, self.ethertype) + payload

    @classmethod
    def make(cls, dst: MAC, src: MAC, ethertype: int, payload: bytes) -> Ethernet:
        """A frame ready to send: data padded with zeros to the 46-byte minimum (IEEE 802.3)."""
        if len(payload) > MAX_PAYLOAD:
            raise _too_long(len(payload))
        if len(payload) < MIN_PAYLOAD:
            payload = bytes(payload) + bytes(MIN_PAYLOAD - len(payload))
        return _new(cls, (dst, src, ethertype, bytes(payload)))


def _max_payload(ethertype: int) -> int:
    return MAX_PAYLOAD + VLAN_TAG_LEN if ethertype == ETH_VLAN else MAX_PAYLOAD


def _too_long(size: int) -> WireError:
    return WireError(
        "ethernet",
        "payload",
        HEADER_LEN,
        f"{size} bytes is over the {MAX_PAYLOAD}-byte maximum; it must be split (IP fragments) before it is framed",
    )


def with_fcs(frame: bytes) -> bytes:
    """Append the FCS, padding a short frame to the 60 bytes that make 64 with the trailer."""
    if len(frame) < HEADER_LEN + MIN_PAYLOAD:
        frame = frame + bytes(HEADER_LEN + MIN_PAYLOAD - len(frame))
    return frame + struct.pack("<I", zlib.crc32(frame))


def strip_fcs(wire: bytes) -> bytes:
    """Check the FCS and return the frame without it; a mismatch raises WireError."""
    if len(wire) < HEADER_LEN + FCS_LEN:
        raise WireError(
            "ethernet",
            "fcs",
            len(wire),
            f"frame of {len(wire)} bytes has no room for header and FCS",
        )
    body, trailer = wire[:-FCS_LEN], wire[-FCS_LEN:]
    (got,) = struct.unpack("<I", trailer)
    want = zlib.crc32(body)
    if got != want:
        raise WireError(
            "ethernet",
            "fcs",
            len(body),
            f"FCS 0x{got:08x} does not match the computed 0x{want:08x}",
        )
    return body
