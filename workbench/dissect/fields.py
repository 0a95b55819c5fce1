"""The display filter's vocabulary, read from the protocol model (`stack.proto`).

Every field a protocol declares is a filter name here with its type, so whatever the field
tree shows can be filtered by the name it shows. `PROTOCOLS` maps a protocol name to a
predicate and `FIELDS` a field name to (type, extractor); both take the frame as the model
dissected it (`stack.proto.frame.Frame`) and the record (or `FrameView`). Types: int, bool,
float, ipv4, ipv6, mac, str, bytes, none (a field that can only be present or absent).

`frame.*` fields about the capture (number, lengths, interface, comments) are read from the
record, not from the bytes dissected: the frame that completes an IP datagram is dissected
with the whole datagram in it, but its `frame.len` is still its own.

`frame_of(record)` is the one way to get a frame for a filter; the model reads a layer's
fields on first use, so a filter for `dns` never reads a field at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from stack.proto import registry
from stack.proto.frame import SPECIAL_PROTOCOLS, Frame, dissect_record

if TYPE_CHECKING:  # stack.trace brings the lab's events: a capture's rows never need them
    from stack.trace import FrameRecord

Predicate = Callable[[Frame, "FrameRecord"], bool]
Extractor = Callable[[Frame, "FrameRecord"], tuple]

NO_DECODE, FULL = 0, 2  # whether a name needs the frame dissected at all

_TYPES = {
    "uint": "int",
    "int": "int",
    "bool": "bool",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
    "mac": "mac",
    "str": "str",
    "bytes": "bytes",
    "float": "float",
    "none": "none",
}
# Names Wireshark users still type for protocols that were renamed.
PROTOCOL_ALIASES = {"bootp": "dhcp"}


def frame_of(record: FrameRecord) -> Frame:
    return dissect_record(record)


def _has(name: str) -> Predicate:
    return lambda d, r: d.has(name)


def _values(name: str) -> Extractor:
    return lambda d, r: d.values(name)


PROTOCOLS: dict[str, Predicate] = {}
for _protocol in registry.PROTOCOLS:
    PROTOCOLS.setdefault(_protocol.name, _has(_protocol.name))
for _name in SPECIAL_PROTOCOLS:
    PROTOCOLS[_name] = _has(_name)
for _alias, _name in PROTOCOL_ALIASES.items():
    PROTOCOLS[_alias] = _has(_name)

DECLARED = registry.fields()  # filter name → the model's Field (its type, base, label)

FIELDS: dict[str, tuple[str, Extractor]] = {
    name: (_TYPES.get(f.type, "str"), _values(name)) for name, f in DECLARED.items()
}
# The capture's own facts about a frame, from the record (see the module docstring).
FIELDS.update(
    {
        "frame.number": ("int", lambda d, r: (r.id,)),
        "frame.len": ("int", lambda d, r: (getattr(r, "wire_length", 0) or len(r.data),)),
        "frame.cap_len": ("int", lambda d, r: (len(r.data),)),
        "frame.time_relative": ("float", lambda d, r: (r.time,)),
        "frame.interface_name": (
            "str",
            lambda d, r: (r.segment,) if getattr(r, "segment", "") else (),
        ),
        "frame.comment": ("str", lambda d, r: tuple(getattr(r, "comments", ()) or ())),
    }
)
for _name, (_kind, _extract) in list(FIELDS.items()):  # bootp.* for dhcp.*
    if _name.startswith("dhcp."):
        FIELDS.setdefault("bootp." + _name[5:], (_kind, _extract))

ADDRESS_FIELDS = {
    ("ipv4", ""): ("ip.addr", "arp.src.proto_ipv4", "arp.dst.proto_ipv4"),
    ("ipv4", "src"): ("ip.src", "arp.src.proto_ipv4"),
    ("ipv4", "dst"): ("ip.dst", "arp.dst.proto_ipv4"),
    ("ipv6", ""): ("ipv6.addr",),
    ("ipv6", "src"): ("ipv6.src",),
    ("ipv6", "dst"): ("ipv6.dst",),
    ("mac", ""): ("eth.addr",),
    ("mac", "src"): ("eth.src",),
    ("mac", "dst"): ("eth.dst",),
    ("port", ""): ("tcp.port", "udp.port"),
    ("port", "src"): ("tcp.srcport", "udp.srcport"),
    ("port", "dst"): ("tcp.dstport", "udp.dstport"),
}


def depth_of(name: str) -> int:
    """Whether the frame must be dissected to answer for protocol or field `name`."""
    if name == "frame" or name in _RECORD_ONLY:
        return NO_DECODE
    return FULL


_RECORD_ONLY = {
    "frame.number",
    "frame.len",
    "frame.cap_len",
    "frame.time_relative",
    "frame.interface_name",
    "frame.comment",
}
