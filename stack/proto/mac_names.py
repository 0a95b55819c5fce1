"""Names tshark puts in the address columns: MAC vendors as `IntelCor_3a:4f:64`, `Broadcast`.

The vendor's short name comes from Wireshark's manuf database — the file scapy reads
(`share/wireshark/manuf`, installed with tshark) or, without it, scapy's bundled copy: the
same short names tshark prints. The first vendors are found one by one in the file's bytes
(a millisecond each, so a first screen does not wait); past a few dozen, its three-byte
prefixes are read into a table once (tens of milliseconds; importing `scapy.data` for it
took half a second a run).

Wireshark also names well-known addresses and ranges (its `wka` file: `LLDP_Multicast`,
`IPv4mcast_7f:00:01`, `MS-NLB-PhysServer-10_6c:1b:df:a8`) and the manuf file's longer
prefixes (`…/28`, `…/36`). As tshark 4.0 resolves an address: the whole address; then a range
of 47 down to 24 leading bits; then the three-byte vendor (for a multicast address, also the
vendor with that bit cleared); then ranges of 23 bits down to 1. A range's name is followed by
what its prefix leaves, the first byte masked to the bits outside it. Every range sits in one
table by its masked address whatever its length, so a 24-bit prefix is also found by a 23-bit
look (Wireshark's quirk, kept: tshark prints `ExtremeNetworks_01:01:02:03` for 02:04:97:…).
Locally administered addresses are looked up like the others (manuf lists some: 02:60:8C).
"""

from __future__ import annotations

import mmap
import os
import re
from functools import lru_cache

# Whether the field tree names addresses (`dissect -n` turns it off, as tshark's -n).
resolving = True

_MAC_TEXT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def mac_name(mac: bytes) -> str:
    """`IntelCor_3a:4f:64` for a known vendor's address, `Broadcast`, else the plain address."""
    if mac == b"\xff" * 6:
        return "Broadcast"
    return _named(bytes(mac)) or mac.hex(":")


@lru_cache(maxsize=4096)
def _named(mac: bytes) -> str | None:
    exact, ranges = _well_known()
    name = exact.get(mac)
    if name is not None:
        return name
    longer = _longer_prefixes(mac[:3])
    value = int.from_bytes(mac, "big")

    def in_range(bits: int) -> str | None:
        key = value >> (48 - bits) << (48 - bits)
        return ranges.get(key) or longer.get(key)

    for bits in range(47, 23, -1):
        if name := in_range(bits):
            return _after(name, mac, bits)
    short = _vendor(mac[:3])
    if short is None and mac[0] & 1:  # multicast: the vendor of the unicast prefix
        short = _vendor(bytes((mac[0] & 0xFE,)) + mac[1:3])
    if short is not None:
        return f"{short}_{mac[3:].hex(':')}"
    for bits in range(23, 0, -1):
        if name := in_range(bits):
            return _after(name, mac, bits)
    return None


def _after(name: str, mac: bytes, bits: int) -> str:
    """A range's name and the bytes its prefix leaves, the first masked: `IPv4mcast_7f:00:01`."""
    at, spare = divmod(bits, 8)
    return f"{name}_{(bytes((mac[at] & (0xFF >> spare),)) + mac[at + 1 :]).hex(':')}"


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
    global _ALONE
    if _ALONE > 0:  # a screenful of rows names a few vendors: find each in the file's bytes
        _ALONE -= 1
        return _short_name_of(_prefix_lines(oui))
    return _short_names().get(oui.hex(":").upper())


# Where scapy looks for Wireshark's file (scapy.data), in its order.
_MANUF_PLACES = ("/usr", "/usr/local", "/opt", "/opt/wireshark")
# A line "00:1B:21<tab>IntelCor<tab>Intel Corporate": a three-byte prefix and its short name
# (longer prefixes, "00:1B:C5:00:00:00/36", are never what a three-byte lookup finds).
_MANUF_LINE = re.compile(r"^([0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2})[ \t]+(\S+)", re.MULTILINE)
# Prefixes found one at a time (about 1 ms each) before the whole table is read (about 30 ms,
# which the first screen of a capture cannot afford, and a few rows never need).
_ALONE = 64


@lru_cache(maxsize=1)
def _manuf_bytes() -> bytes | mmap.mmap:
    """The manuf file's bytes: mapped, not read (reading and copying its 2.3 MB cost a first
    screen 5–15 ms; a few searches through the mapping touch it for about 1 ms)."""
    for place in _MANUF_PLACES:
        try:
            with open(os.path.join(place, "share/wireshark/manuf"), "rb") as f:
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
            continue
    from scapy.libs.manuf import DATA  # scapy's copy of the same file

    return DATA.encode("utf-8", "backslashreplace")


@lru_cache(maxsize=1024)
def _prefix_lines(oui: bytes) -> tuple[bytes, ...]:
    """Every manuf line that starts with `oui` — its vendor's and its ranges' (`…/28`, `…/36`)
    — in file order: one forward scan of the file's bytes (about 1 ms; a backward search for
    the vendor and a second scan for the ranges took 5–15)."""
    return _lines_starting(_manuf_bytes(), oui.hex(":").upper().encode("ascii"))


def _lines_starting(manuf: bytes | mmap.mmap, prefix: bytes) -> tuple[bytes, ...]:
    """The lines of `manuf` that begin with `prefix`, in file order."""
    needle = b"\n" + prefix
    first = manuf[: len(prefix)] == prefix
    at = -1 if first else manuf.find(needle)  # the newline before the line (-1: the file's start)
    if at < 0 and not first:
        return ()
    lines = []
    while True:
        stop = manuf.find(b"\n", at + 1)
        if stop < 0:
            stop = len(manuf)
        lines.append(manuf[at + 1 : stop])
        at = manuf.find(needle, stop)
        if at < 0:
            return tuple(lines)


def _short_name_of(lines: tuple[bytes, ...]) -> str | None:
    """The short name of the last vendor line among `lines`, as the whole table keeps it."""
    name = None
    for line in lines:
        found = _MANUF_LINE.match(line.decode("utf-8", "backslashreplace"))
        if found:  # not a longer prefix ("…/36") under it
            name = found[2]
    return name


def _find_short_name(manuf: bytes, prefix: str) -> str | None:
    """`prefix`'s short name from its last line in `manuf`, as the whole table keeps it."""
    return _short_name_of(_lines_starting(manuf, prefix.encode("ascii")))


@lru_cache(maxsize=1)
def _manuf_text() -> str:
    """The whole manuf file as text, for the tables (decoded once for both)."""
    return _manuf_bytes()[:].decode("utf-8", "backslashreplace")


@lru_cache(maxsize=1)
def _short_names() -> dict[str, str]:
    # a prefix listed twice: the last, as scapy keeps
    return dict(_MANUF_LINE.findall(_manuf_text()))


# A manuf line with a longer prefix: "00:55:DA:10:00:00/28<tab>KoolPOS"
_LONGER_LINE = re.compile(r"^([0-9A-F]{2}(?::[0-9A-F]{2}){5})/(\d+)[ \t]+([^\s#]+)", re.MULTILINE)
# A wka line: "01-00-5E/25  IPv4mcast", "01-80-C2-00-00-0E  LLDP_Multicast" (a whole address)
_WKA_LINE = re.compile(
    r"^([0-9A-Fa-f]{2}(?:[-:.][0-9A-Fa-f]{2}){0,5})(?:/(\d+))?[ \t]+([^\s#]+)", re.M
)


@lru_cache(maxsize=1024)
def _longer_prefixes(oui: bytes) -> dict[int, str]:
    """The manuf file's ranges under `oui` (its `/28` and `/36` lines), by masked address:
    found in the file's bytes while vendors are (about 1 ms), then from the whole table."""
    if _ALONE <= 0:
        return _all_longer_prefixes().get(oui, {})
    out: dict[int, str] = {}
    for line in _prefix_lines(oui):
        if line[8:9] == b":":  # "00:55:DA:10:00:00/28 …", not the vendor's own line
            _add_longer(out, line.decode("utf-8", "backslashreplace"))
    return out


@lru_cache(maxsize=1)
def _all_longer_prefixes() -> dict[bytes, dict[int, str]]:
    """Every range of the manuf file by its three-byte prefix (about 40 ms, once)."""
    out: dict[bytes, dict[int, str]] = {}
    for line in _LONGER_LINE.finditer(_manuf_text()):
        _add_longer(out.setdefault(bytes.fromhex(line[1][:8].replace(":", "")), {}), line[0])
    return out


def _add_longer(out: dict[int, str], line: str) -> None:
    found = _LONGER_LINE.match(line)
    if found:
        out[_masked(bytes.fromhex(found[1].replace(":", "")), int(found[2]))] = found[3]


@lru_cache(maxsize=1)
def _well_known() -> tuple[dict[bytes, str], dict[int, str]]:
    """Wireshark's wka file: whole addresses by their bytes, ranges by their masked address
    (empty without Wireshark's files: scapy carries no copy)."""
    exact: dict[bytes, str] = {}
    ranges: dict[int, str] = {}
    for place in _MANUF_PLACES:
        try:
            with open(os.path.join(place, "share/wireshark/wka"), encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            continue
        for found in _WKA_LINE.finditer(text):
            raw = bytes.fromhex(re.sub(r"[-:.]", "", found[1]))
            bits = int(found[2]) if found[2] else len(raw) * 8
            if bits >= 48:
                exact[raw.ljust(6, b"\0")] = found[3]
            elif 0 < bits:
                ranges[_masked(raw.ljust(6, b"\0"), bits)] = found[3]
        break
    return exact, ranges


def _masked(raw: bytes, bits: int) -> int:
    return int.from_bytes(raw, "big") >> (48 - bits) << (48 - bits)
