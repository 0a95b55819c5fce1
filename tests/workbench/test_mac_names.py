"""Vendor names in the address columns: a prefix found on its own in the manuf file's bytes
(what a first screen does) names the same vendor as the whole table read at once."""

from __future__ import annotations

import random
import re

from workbench.dissect import names

_PREFIX = re.compile(rb"^([0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2})", re.MULTILINE)


def _prefixes_in_file() -> list[str]:
    return sorted({m.decode() for m in _PREFIX.findall(names._manuf_bytes())})


def test_a_prefix_found_alone_names_the_vendor_the_table_names():
    table = names._short_names()
    listed = _prefixes_in_file()
    rng = random.Random(8)
    # Every prefix that also opens a longer one ("…/28", "…/36"), which the search steps over,
    # a random sample of the rest, and prefixes no vendor owns.
    longer = sorted(
        {m.decode() for m in re.findall(rb"\n([0-9A-F:]{8}):[0-9A-F:]+/\d+", names._manuf_bytes())}
    )
    missing = [f"{rng.randrange(256):02X}:{rng.randrange(256):02X}:FE" for _ in range(50)]
    asked = longer[:200] + rng.sample(listed, 300) + missing
    assert longer and any(p in table for p in longer)
    for prefix in asked:
        assert names._find_short_name(names._manuf_bytes(), prefix) == table.get(prefix), prefix


def test_names_stay_the_same_past_the_prefixes_found_alone():
    table = names._short_names()
    vendors = [p for p in _prefixes_in_file() if p in table and not int(p[:2], 16) & 2]
    picked = random.Random(9).sample(vendors, names._ALONE + 40)
    names._vendor.cache_clear()
    for prefix in picked:
        mac = bytes.fromhex(prefix.replace(":", "") + "123456")
        assert names.mac_name(mac) == f"{table[prefix]}_12:34:56"
    assert names.mac_name(b"\xff" * 6) == "Broadcast"
    assert names.mac_name(bytes.fromhex("020000123456")) == "02:00:00:12:34:56"
