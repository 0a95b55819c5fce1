"""Names tshark puts in the address columns: MAC vendors as `IntelCor_3a:4f:64`, `Broadcast`.

The vendor's short name comes from scapy's bundled copy of Wireshark's manuf database (the
same short names tshark prints), loaded on first use only.
"""

from __future__ import annotations

import re
from functools import lru_cache

_MAC_TEXT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def mac_name(mac: bytes) -> str:
    """`IntelCor_3a:4f:64` for a known vendor's address, `Broadcast`, else the plain address."""
    plain = mac.hex(":")
    if mac == b"\xff" * 6:
        return "Broadcast"
    short = _vendor(bytes(mac[:3]))
    return f"{short}_{plain[9:]}" if short else plain


def column_name(text: str) -> str:
    """An address column's text with a MAC address given its vendor's name, as tshark shows it."""
    name = _COLUMN_NAMES.get(text)
    if name is None:
        if len(_COLUMN_NAMES) > 65536:  # a capture of many addresses: keep the memo bounded
            _COLUMN_NAMES.clear()
        name = text
        if _MAC_TEXT.match(text):
            name = mac_name(bytes.fromhex(text.replace(":", "")))
        _COLUMN_NAMES[text] = name
    return name


_COLUMN_NAMES: dict[str, str] = {}  # column text → its named form; every row asks twice


@lru_cache(maxsize=4096)
def _vendor(oui: bytes) -> str | None:
    if oui[0] & 0x02:  # locally administered: no vendor owns it
        return None
    import scapy.data  # noqa: F401  (loads conf.manufdb)
    from scapy.config import conf

    db = conf.manufdb
    if db is None:
        return None
    probe = oui.hex(":") + ":00:00:00"
    short = db.lookup(probe)[0]
    return None if not short or short == probe else short
