"""ARP for IPv4 over Ethernet (RFC 826): 28 bytes, request and reply."""

from __future__ import annotations

import struct
from collections import namedtuple
from ipaddress import IPv4Address

from stack.wire.errors import WireError
from stack.wire.ipv4 import address, known_address
from stack.wire.mac import MAC, ZERO, known_mac, remember_mac
from stack.wire.value import Value

REQUEST = 1
REPLY = 2
LENGTH = 28

_new = tuple.__new__
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_FIXED = struct.Struct("!HHBB")  # hardware and protocol types and address lengths
# The whole packet: the fixed part as two words (types, lengths) for two comparisons, and each
# end (its hardware address, then its protocol address) as one 10-byte key.
_unpack_words = struct.Struct("!IHH10s10s").unpack_from

# A host's binding of MAC to IPv4 address comes by in request after request: a bounded memo of
# the decoded pair, as for the addresses alone (emptied when full; nothing anyone can observe).
_BINDINGS: dict[bytes, tuple[MAC, IPv4Address]] = {}
_known_binding = _BINDINGS.get


def _remember_binding(raw: bytes) -> tuple[MAC, IPv4Address]:
    if len(_BINDINGS) >= 4096:
        _BINDINGS.clear()
    mac, ip = raw[:6], raw[6:]
    binding = _BINDINGS[raw] = (
        known_mac(mac) or remember_mac(mac),
        known_address(ip) or address(ip),
    )
    return binding


# Fields: op: int, sender_mac: MAC, sender_ip: IPv4Address, target_mac: MAC, target_ip: IPv4Address,
#  htype: int, ptype: int, hlen: int, plen: int
_Fields = namedtuple(
    "_Fields",
    "op sender_mac sender_ip target_mac target_ip htype ptype hlen plen",
    defaults=(1, 0x0800, 6, 4),
)


class ARP(Value, _Fields):
    __slots__ = ()

    # Called on the class, never on a value (no `self`): see Value
    def parse(data: bytes) -> ARP:
        """Parse the first 28 bytes; what follows (Ethernet padding) is not part of ARP."""
        n = len(data)
        if n < LENGTH:
            _refuse(data, n)
        types, sizes, op, sender, target = _unpack_words(data)
        if types != 0x0001_0800 or sizes != 0x0604:  # htype 1, ptype 0x0800; hlen 6, plen 4
            _refuse(data, n)
        sender_mac, sender_ip = _known_binding(sender) or _remember_binding(sender)
        target_mac, target_ip = _known_binding(target) or _remember_binding(target)
        return _new(ARP, (op, sender_mac, sender_ip, target_mac, target_ip, 1, 0x0800, 6, 4))

    def build(self) -> bytes:
        return _ARP.pack(
            self.htype,
            self.ptype,
            self.hlen,
            self.plen,
            self.op,
            self.sender_mac,
            self.sender_ip.packed,
            self.target_mac,
            self.target_ip.packed,
        )

    @classmethod
    def request(cls, sender_mac: MAC, sender_ip: IPv4Address, target_ip: IPv4Address) -> ARP:
        return cls(REQUEST, sender_mac, sender_ip, ZERO, target_ip)

    @classmethod
    def reply(
        cls, sender_mac: MAC, sender_ip: IPv4Address, target_mac: MAC, target_ip: IPv4Address
    ) -> ARP:
        return cls(REPLY, sender_mac, sender_ip, target_mac, target_ip)

    @property
    def is_gratuitous(self) -> bool:
        return self.sender_ip == self.target_ip


def _refuse(data: bytes, n: int) -> None:
    """Raise the WireError naming the first thing wrong with an ARP packet that is short or not
    Ethernet/IPv4 (every such packet has one)."""
    if n < 8:
        raise WireError("arp", "header", n, f"{n} bytes is shorter than the 8-byte fixed part")
    htype, ptype, hlen, plen = _FIXED.unpack_from(data)
    if htype != 1:
        raise WireError("arp", "htype", 0, f"hardware type {htype} is not Ethernet (1)")
    if ptype != 0x0800:
        raise WireError("arp", "ptype", 2, f"protocol type 0x{ptype:04x} is not IPv4 (0x0800)")
    if hlen != 6:
        raise WireError("arp", "hlen", 4, f"hardware address length {hlen} is not 6")
    if plen != 4:
        raise WireError("arp", "plen", 5, f"protocol address length {plen} is not 4")
    raise WireError("arp", "addresses", n, f"{n} bytes is shorter than the 28 an ARP packet needs")
