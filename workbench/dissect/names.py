"""Names tshark puts in the address columns: MAC vendors as `IntelCor_3a:4f:64`, `Broadcast`.

The vendor's short name comes from Wireshark's manuf database — the file scapy reads
(`share/wireshark/manuf`, installed with tshark) or, without it, scapy's bundled copy: the
same short names tshark prints. The first vendors are found one by one in the file's bytes
(a millisecond each, so a first screen does not wait); past a few dozen, its three-byte
prefixes are read into a table once (tens of milliseconds; importing `scapy.data` for it
took half a second a run).
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
    prefix = oui.hex(":").upper()
    global _ALONE
    if _ALONE > 0:  # a screenful of rows names a few vendors: find each in the file's bytes
        _ALONE -= 1
        return _find_short_name(_manuf_bytes(), prefix)
    return _short_names().get(prefix)


# Where scapy looks for Wireshark's file (scapy.data), in its order.
_MANUF_PLACES = ("/usr", "/usr/local", "/opt", "/opt/wireshark")
# A line "00:1B:21<tab>IntelCor<tab>Intel Corporate": a three-byte prefix and its short name
# (longer prefixes, "00:1B:C5:00:00:00/36", are never what a three-byte lookup finds).
_MANUF_LINE = re.compile(r"^([0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2})[ \t]+(\S+)", re.MULTILINE)
# Prefixes found one at a time (about 1 ms each) before the whole table is read (about 30 ms,
# which the first screen of a capture cannot afford, and a few rows never need).
_ALONE = 64


@lru_cache(maxsize=1)
def _manuf_bytes() -> bytes:
    """The manuf file, after a newline so that every line, the first too, follows one."""
    for place in _MANUF_PLACES:
        try:
            with open(os.path.join(place, "share/wireshark/manuf"), "rb") as f:
                return b"\n" + f.read()
        except OSError:
            continue
    from scapy.libs.manuf import DATA  # scapy's copy of the same file

    return b"\n" + DATA.encode("utf-8", "backslashreplace")


def _find_short_name(manuf: bytes, prefix: str) -> str | None:
    """`prefix`'s short name from its last line in `manuf`, as the whole table keeps it."""
    needle = b"\n" + prefix.encode("ascii")
    end = len(manuf)
    while (at := manuf.rfind(needle, 0, end)) >= 0:
        stop = manuf.find(b"\n", at + 1)
        line = manuf[at + 1 : stop if stop >= 0 else len(manuf)]
        found = _MANUF_LINE.match(line.decode("utf-8", "backslashreplace"))
        if found:
            return found[2]
        end = at + len(needle) - 1  # a longer prefix ("…/36") on that line: look further up
    return None


@lru_cache(maxsize=1)
def _short_names() -> dict[str, str]:
    text = _manuf_bytes().decode("utf-8", "backslashreplace")
    return dict(_MANUF_LINE.findall(text))  # a prefix listed twice: the last, as scapy keeps
