"""MAC addresses: a small value type over six bytes that knows its kind and its vendor.

The vendor comes from the OUI in scapy's bundled manufacturer database, looked up offline and
only when first asked for, so importing the stack does not import scapy.
"""

from __future__ import annotations

from functools import lru_cache

from stack.wire.errors import WireError


class MAC(bytes):
    """Six bytes; prints as aa:bb:cc:dd:ee:ff. Subclassing bytes keeps parsing a slice away."""

    __slots__ = ()

    def __new__(cls, value: bytes | str | MAC) -> MAC:
        if type(value) is bytes and len(value) == 6:
            return bytes.__new__(cls, value)
        if isinstance(value, str):
            text = value.replace("-", ":").strip()
            parts = text.split(":")
            if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
                raise ValueError(
                    f"not a MAC address: {value!r} (want six hex octets like 02:00:00:00:00:01)"
                )
            try:
                value = bytes(int(p, 16) for p in parts)
            except ValueError:
                raise ValueError(
                    f"not a MAC address: {value!r} (want six hex octets like 02:00:00:00:00:01)"
                ) from None
        if len(value) != 6:
            raise WireError("ethernet", "mac", 0, f"a MAC address has 6 bytes, not {len(value)}")
        return super().__new__(cls, value)

    @classmethod
    def from_int(cls, value: int) -> MAC:
        return cls(value.to_bytes(6, "big"))

    def __str__(self) -> str:
        return self.hex(":")

    def __repr__(self) -> str:
        return f"MAC('{self.hex(':')}')"

    @property
    def is_broadcast(self) -> bool:
        return self == BROADCAST

    @property
    def is_multicast(self) -> bool:
        """Group bit set (broadcast is the all-ones group)."""
        return bool(self[0] & 0x01)

    @property
    def is_unicast(self) -> bool:
        return not self[0] & 0x01

    @property
    def is_local(self) -> bool:
        """Locally administered: the U/L bit, so no vendor owns it."""
        return bool(self[0] & 0x02)

    @property
    def vendor(self) -> str | None:
        """The registered owner of the OUI, or None (locally administered, group, unknown)."""
        if self.is_local or self.is_multicast:
            return None
        return _vendor(bytes(self[:3]))


# Parsers meet the same few addresses frame after frame: a bounded memo of the immutable value
# (nothing anyone can observe). A plain dict, emptied when full (never replaced), and read
# inline by the parsers as `known_mac(raw) or remember_mac(raw)`: ~0.04 µs a hit, where
# lru_cache took ~0.1 µs. `known_mac` is the dict's `get` bound once: `_MACS.get` spelled in
# a parser makes a bound method on every call (CPython 3.11 leaves that attribute load
# unspecialised when it is an argument of another call).
_MACS: dict[bytes, MAC] = {}
known_mac = _MACS.get


def remember_mac(raw: bytes) -> MAC:
    """The MAC for exactly 6 bytes, memoised (see `_MACS`)."""
    if len(_MACS) >= 4096:
        _MACS.clear()
    mac = _MACS[raw] = MAC(bytes(raw))
    return mac


def _of(raw: bytes) -> MAC:
    return _MACS.get(raw) or remember_mac(raw)


MAC.of = staticmethod(_of)

BROADCAST = MAC(b"\xff" * 6)
ZERO = MAC(b"\x00" * 6)


@lru_cache(maxsize=4096)
def _vendor(oui: bytes) -> str | None:
    import scapy.data  # noqa: F401  (loads conf.manufdb)
    from scapy.config import conf  # deferred: scapy costs ~0.2–1 s to import

    db = conf.manufdb
    if db is None:
        return None
    probe = oui.hex(":") + ":00:00:00"
    _short, name = db.lookup(probe)
    if not name or name == probe:
        return None
    return name
