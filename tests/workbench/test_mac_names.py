"""Vendor names in the address columns: a prefix found on its own in the manuf file's bytes
(what a first screen does) names the same vendor as the whole table read at once."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest
from scapy.layers.l2 import ARP, Ether
from scapy.utils import wrpcap

from stack.proto import mac_names as names
from tests.conftest import needs_tool

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
    ranged = names._all_longer_prefixes()
    vendors = [  # prefixes with no longer ones under them (those name a range first)
        p
        for p in _prefixes_in_file()
        if p in table and bytes.fromhex(p.replace(":", "")) not in ranged
    ]
    picked = random.Random(9).sample(vendors, names._ALONE + 40)
    names._vendor.cache_clear()
    for prefix in picked:
        mac = bytes.fromhex(prefix.replace(":", "") + "123456")
        assert names.mac_name(mac) == f"{table[prefix]}_12:34:56"
    assert names.mac_name(b"\xff" * 6) == "Broadcast"
    assert names.mac_name(bytes.fromhex("0a0000123456")) == "0a:00:00:12:34:56"


@needs_tool("tshark")
def test_every_address_is_named_as_tshark_names_it(tmp_path):
    """Well-known addresses and ranges (Wireshark's wka file), the manuf file's /28 and /36
    ranges, multicast addresses of a vendor's prefix, locally administered prefixes manuf
    lists, and random addresses: the Source column equals tshark's for every one. Random veth
    addresses are what the oracle captures hold (02:0a:… is MS-NLB-PhysServer-10's range)."""
    rng = random.Random(11)
    macs = [
        "02:0a:6c:1b:df:a8",  # a /16 range of the wka file
        "02:bf:01:02:03:04",
        "02:60:8c:11:22:33",  # locally administered, and in manuf (3Com)
        "01:1b:21:11:22:33",  # multicast: the unicast prefix's vendor
        "00:55:da:1f:22:33",  # manuf /28
        "00:55:da:00:22:33",
        "00:1b:c5:00:00:1f",  # manuf /36
        "00:1b:c5:ff:01:1f",
        "01:80:c2:00:00:0e",  # a whole well-known address
        "03:00:00:00:00:01",  # its name runs up to a comment
        "01:00:5e:7f:00:01",  # IPv4 multicast, /25
        "33:33:00:00:00:16",
        "02:04:97:01:02:03",  # a /24 range found by a 23-bit look, as tshark does
        "aa:00:03:01:02:03",
        "00:1b:21:3a:4f:64",
        "0a:1b:21:3a:4f:64",
    ]
    prefixes = _prefixes_in_file()
    macs += [":".join(f"{rng.randrange(256):02x}" for _ in range(6)) for _ in range(300)]
    macs += [rng.choice(prefixes).lower() + ":00:00:01" for _ in range(100)]
    macs += [
        f"{rng.randrange(256) | 2:02x}:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
        for _ in range(200)
    ]
    path = tmp_path / "macs.pcap"
    wrpcap(str(path), [Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP() for mac in macs])
    theirs = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "_ws.col.Source"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    names._named.cache_clear()
    ours = [names.mac_name(bytes.fromhex(mac.replace(":", ""))) for mac in macs]
    assert len(theirs) == len(macs)
    assert [(m, o, t) for m, o, t in zip(macs, ours, theirs, strict=True) if o != t] == []


def test_ranges_found_alone_are_the_ranges_the_table_holds(monkeypatch):
    monkeypatch.setattr(names, "_ALONE", 10**6)  # every look a search of the file's bytes
    table = names._all_longer_prefixes()
    assert len(table) > 100
    for oui in random.Random(12).sample(sorted(table), 40):
        names._longer_prefixes.cache_clear()
        assert names._longer_prefixes(oui) == table[oui], oui.hex(":")


_ADDRESS_LINE = re.compile(r"^(Ethernet II, |\s+(Destination|Source|Address|\w+ MAC address): )")


@needs_tool("tshark")
@pytest.mark.parametrize("resolve", [[], ["-n"]], ids=["names", "no-names"])
def test_the_tree_names_addresses_as_tsharks_tree_does(tmp_path, resolve):
    """The field tree's Ethernet title, its Destination/Source/Address lines and ARP's MAC
    address lines name each address as tshark's -V does (the columns' names: the tree once said
    `Intel_3a:4f:64` where the list said `IntelCor_3a:4f:64`), and with -n give it bare."""
    macs = ["00:1b:21:3a:4f:64", "02:0a:6c:1b:df:a8", "0a:42:ac:11:00:02", "01:00:5e:7f:00:01"]
    frames = [
        Ether(src=src, dst=dst) / ARP(hwsrc=src, hwdst="00:00:00:00:00:00")
        for src in macs
        for dst in (*macs, "ff:ff:ff:ff:ff:ff")
    ]
    path = tmp_path / "tree.pcap"
    wrpcap(str(path), frames)

    def address_lines(command: list[str]) -> list[str]:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        lines = [re.sub(r"  \[bytes? [\d-]+\]$", "", line) for line in out.splitlines()]
        return [line for line in lines if _ADDRESS_LINE.match(line)]

    theirs = address_lines(["tshark", *resolve, "-r", str(path), "-V"])
    ours = address_lines(
        [sys.executable, "-m", "workbench.cli", "dissect", str(path), *resolve, "-V"]
    )
    assert (
        len(theirs) == len(frames) * 7
    )  # title, 2 × (address, its Address), ARP sender and target
    assert ours == theirs
