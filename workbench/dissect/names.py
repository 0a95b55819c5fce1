"""Names tshark puts in the address columns: MAC vendors as `IntelCor_3a:4f:64`, `Broadcast`.

The vendor's short name comes from Wireshark's manuf database — the file scapy reads
(`share/wireshark/manuf`, installed with tshark) or, without it, scapy's bundled copy: the
same short names tshark prints. Only its three-byte prefixes are read, once, on first use
(tens of milliseconds; importing `scapy.data` for it took half a second a run).
"""

from __future__ import annotations

import os
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
    return _short_names().get(oui.hex(":").upper())


# Where scapy looks for Wireshark's file (scapy.data), in its order.
_MANUF_PLACES = ("/usr", "/usr/local", "/opt", "/opt/wireshark")
# A line "00:1B:21<tab>IntelCor<tab>Intel Corporate": a three-byte prefix and its short name
# (longer prefixes, "00:1B:C5:00:00:00/36", are never what a three-byte lookup finds).
_MANUF_LINE = re.compile(r"^([0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2})[ \t]+(\S+)", re.MULTILINE)


@lru_cache(maxsize=1)
def _short_names() -> dict[str, str]:
    text = None
    for place in _MANUF_PLACES:
        try:
            with open(os.path.join(place, "share/wireshark/manuf"), errors="backslashreplace") as f:
                text = f.read()
            break
        except OSError:
            continue
    if text is None:
        from scapy.libs.manuf import DATA  # scapy's copy of the same file

        text = DATA
    return dict(_MANUF_LINE.findall(text))  # a prefix listed twice: the last, as scapy keeps
