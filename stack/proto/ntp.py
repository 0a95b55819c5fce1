"""NTP (RFC 5905) on UDP port 123: the codec the stack's client and server use, and the
declaration the packet list, field tree and display filter (`ntp.*`) read. One module, one
line in `stack.proto.registry`: the proof that a protocol is declared once.

Timestamps are 64-bit NTP values (seconds since 1900 in the top 32 bits, the fraction in
the bottom 32); `to_ntp`/`from_ntp` convert from and to seconds on the stack's clock, which
the server and client treat as seconds since the Unix epoch.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from stack.proto.model import BYTES, HEX, Field, Layer, Protocol
from stack.wire.errors import WireError

PORT = 123
LENGTH = 48
UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01 (RFC 5905 §6)
CLIENT, SERVER = 3, 4
MODES = {
    0: "reserved",
    1: "symmetric active",
    2: "symmetric passive",
    3: "client",
    4: "server",
    5: "broadcast",
    6: "reserved for NTP control message",
    7: "reserved for private use",
}
LEAP = {
    0: "no warning",
    1: "last minute of the day has 61 seconds",
    2: "last minute of the day has 59 seconds",
    3: "unknown (clock unsynchronized)",
}
_PACKET = struct.Struct("!BBbbII4sQQQQ")


def to_ntp(seconds: float) -> int:
    """Seconds since the Unix epoch → a 64-bit NTP timestamp."""
    value = seconds + UNIX_OFFSET
    whole = int(value)
    return (whole & 0xFFFFFFFF) << 32 | int((value - whole) * (1 << 32)) & 0xFFFFFFFF


def from_ntp(stamp: int) -> float:
    """A 64-bit NTP timestamp → seconds since the Unix epoch."""
    return (stamp >> 32) - UNIX_OFFSET + (stamp & 0xFFFFFFFF) / (1 << 32)


@dataclass(frozen=True)
class NTP:
    """One NTP message (strict: exactly the 48-byte header; extensions are not used here)."""

    mode: int
    version: int = 4
    leap: int = 0
    stratum: int = 0
    poll: int = 6
    precision: int = -20
    root_delay: int = 0  # 16.16 fixed-point seconds
    root_dispersion: int = 0
    ref_id: bytes = b"\0\0\0\0"
    ref_time: int = 0
    orig_time: int = 0
    recv_time: int = 0
    xmit_time: int = 0

    @classmethod
    def parse(cls, data: bytes) -> NTP:
        if len(data) < LENGTH:
            raise WireError(
                "ntp", "header", len(data), f"{len(data)} bytes is shorter than the 48-byte header"
            )
        first, stratum, poll, precision, delay, dispersion, ref_id, ref, orig, recv, xmit = (
            _PACKET.unpack_from(data)
        )
        version = first >> 3 & 7
        if not 1 <= version <= 4:
            raise WireError("ntp", "version", 0, f"version {version} is not 1 to 4")
        return cls(
            first & 7,
            version,
            first >> 6,
            stratum,
            poll,
            precision,
            delay,
            dispersion,
            ref_id,
            ref,
            orig,
            recv,
            xmit,
        )

    def build(self) -> bytes:
        first = (self.leap & 3) << 6 | (self.version & 7) << 3 | (self.mode & 7)
        return _PACKET.pack(
            first,
            self.stratum,
            self.poll,
            self.precision,
            self.root_delay,
            self.root_dispersion,
            self.ref_id,
            self.ref_time,
            self.orig_time,
            self.recv_time,
            self.xmit_time,
        )


# --- the declaration --------------------------------------------------------------------


def _stamp_text(value: int) -> str:
    if value == 0:
        return "NULL"
    moment = datetime.fromtimestamp(from_ntp(value), UTC)
    nanos = (value & 0xFFFFFFFF) * 1_000_000_000 >> 32
    return moment.strftime("%b %e, %Y %H:%M:%S") + f".{nanos:09d} UTC"


def _short(value: int) -> str:
    return f"{value / 65536:.6f} seconds"


FLAGS = Field("ntp.flags", "Flags", base=HEX, at=0, size=1)
LI = Field("ntp.flags.li", "Leap Indicator", at=0, size=1, mask=0xC0, enum=LEAP, sub=True)
VN = Field(
    "ntp.flags.vn",
    "Version number",
    at=0,
    size=1,
    mask=0x38,
    sub=True,
    text=lambda v: f"NTP Version {v} ({v})",
)
MODE = Field("ntp.flags.mode", "Mode", at=0, size=1, mask=0x07, enum=MODES, sub=True)
STRATUM = Field(
    "ntp.stratum",
    "Peer Clock Stratum",
    at=1,
    size=1,
    text=lambda v: (
        f"{'unspecified or invalid' if v == 0 else 'primary reference' if v == 1 else 'secondary reference' if v < 16 else 'reserved'} ({v})"
    ),
)
PPOLL = Field(
    "ntp.ppoll",
    "Peer Polling Interval",
    at=2,
    size=1,
    text=lambda v: f"{v} ({1 << v if 0 <= v < 32 else 0} seconds)",
)
PRECISION = Field("ntp.precision", "Peer Clock Precision", "int", at=3, size=1, direct=False)
ROOTDELAY = Field("ntp.rootdelay", "Root Delay", at=4, size=4, text=_short)
ROOTDISP = Field("ntp.rootdispersion", "Root Dispersion", at=8, size=4, text=_short)
REFID = Field("ntp.refid", "Reference ID", BYTES, at=12, size=4)
REFTIME = Field("ntp.reftime", "Reference Timestamp", at=16, size=8, text=_stamp_text)
ORG = Field("ntp.org", "Origin Timestamp", at=24, size=8, text=_stamp_text)
REC = Field("ntp.rec", "Receive Timestamp", at=32, size=8, text=_stamp_text)
XMT = Field("ntp.xmt", "Transmit Timestamp", at=40, size=8, text=_stamp_text)


def _walk(layer: Layer) -> None:
    layer.need(LENGTH, "ntp")
    layer.header_end = layer.end


def _items(layer: Layer, out: list) -> None:
    for item in out:
        if item.field is FLAGS:
            v = item.value
            item.children = [layer.fixed(LI), layer.fixed(VN), layer.fixed(MODE)]
            item.text = f"Flags: 0x{v:02x}, Leap Indicator: {LEAP[v >> 6]}, Version number: NTP Version {v >> 3 & 7}, Mode: {MODES[v & 7]}"
        elif item.field is PRECISION:
            signed = item.value - 256 if item.value > 127 else item.value
            item.value = signed
            item.text = f"Peer Clock Precision: {2.0**signed:.6f} seconds"
        elif item.field is REFID:
            ref = item.value
            stratum = layer.u8(1)
            shown = (
                "NULL"
                if ref == b"\0\0\0\0"
                else ref.rstrip(b"\0").decode("ascii", "replace")
                if stratum <= 1
                else ".".join(str(b) for b in ref)
            )
            item.text = f"Reference ID: {shown}"


def _info(layer: Layer) -> str:
    first = layer.u8(0)
    return f"NTP Version {first >> 3 & 7}, {MODES[first & 7]}"


PROTOCOL = Protocol(
    "ntp",
    "Network Time Protocol",
    "NTP",
    fields=(
        FLAGS,
        STRATUM,
        PPOLL,
        PRECISION,
        ROOTDELAY,
        ROOTDISP,
        REFID,
        REFTIME,
        ORG,
        REC,
        XMT,
        LI,
        VN,
        MODE,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    summary=lambda layer: f" ({MODES[layer.u8(0) & 7]})",
    binds=(("udp.port", PORT),),
    colour="udp",
)
