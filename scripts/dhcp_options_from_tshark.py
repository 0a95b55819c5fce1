"""Write stack/proto/dhcp_options.py: how tshark names and shows each DHCP option (1–254).

    python scripts/dhcp_options_from_tshark.py > stack/proto/dhcp_options.py && ruff format stack/proto/dhcp_options.py

Wireshark knows every option IANA lists; our dissector shows the same title for each and, for
the options whose value is one simple kind (an address or a list of them, a number, a time
in seconds, a flag, a string), the same line under it. The facts are read off tshark itself:
one DHCP DISCOVER per option and test value, crafted with scapy, dissected by `tshark -T pdml`,
and each option's title, its value's field name and label, and how the value is shown
(`1.2.3.4`, `16909060`, `(16909060s) 195 days, …`, `Enabled`) taken from what tshark wrote.
An option whose value tshark shows in any other way (suboptions, encodings, expert notes)
gets no kind: ours shows its bytes as `Value:`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

VALUES = {
    "four": b"\x01\x02\x03\x04",
    "two": b"\x05\xdc",
    "one": b"\x2a",
    "zero": b"\x00",
    "eight": b"\x01\x02\x03\x04\x05\x06\x07\x08",
    "text": b"abcd",
    "ones": b"\xff\xff\xff\xff",
}
SKIP = {53}  # the message type: declared by hand (it names the message)


def frames() -> list[tuple[int, str]]:
    order = []
    packets = []
    for code in range(1, 255):
        if code in SKIP:
            continue
        for name, value in VALUES.items():
            order.append((code, name))
            packets.append(
                Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff")
                / IP(src="0.0.0.0", dst="255.255.255.255")
                / UDP(sport=68, dport=67)
                / BOOTP(chaddr=b"\x02\0\0\0\0\x01", xid=code)
                / DHCP(options=[("message-type", "discover"), (code, value), "end"])
            )
    return order, packets


def shown(pdml: str, order) -> dict:
    """(code, value name) → (the option's line, [(field, line) under it])."""
    out = {}
    root = ET.fromstring(pdml)
    for (code, name), packet in zip(order, root.iter("packet"), strict=True):
        for field in packet.iter("field"):
            if field.get("name") == "dhcp.option.type" and field.get("show") == str(code):
                kids = [
                    (k.get("name"), k.get("showname"))
                    for k in field
                    if k.get("name") not in ("dhcp.option.value", "dhcp.option.length")
                ]
                out[code, name] = (field.get("showname"), kids)
                break
    return out


def kind_of(code: int, seen: dict) -> tuple[str, str | None, str | None, bool]:
    """(title, kind, field name, label, whether the option's line names the address)."""
    title = seen[code, "two"][0].split(") ", 1)[1]  # a line that cannot name an address
    plain = f"Option: ({code}) {title}"

    def one(name: str, pattern: str):
        line, kids = seen[code, name]
        if len(kids) == 1:
            match = re.fullmatch(rf"(.+): {pattern}", kids[0][1])
            if match:
                return kids[0][0], match.group(1), line
        return None

    if found := one("four", r"1\.2\.3\.4"):
        field, label, line = found
        _, eight = seen[code, "eight"]
        if eight == [(field, f"{label}: 1.2.3.4"), (field, f"{label}: 5.6.7.8")]:
            return title, "ipv4s", field, label, False
        return title, "ipv4", field, label, line == f"{plain} (1.2.3.4)"
    if found := one("four", r"\(16909060s\) 195 days, 16 hours, 57 minutes, 40 seconds"):
        signed = one("ones", r"\(-1s\) -1 second")  # RFC 2132's time offset, else unsigned
        return title, "stime" if signed else "time", found[0], found[1], False
    if found := one("four", "16909060"):
        return title, "u32", found[0], found[1], False
    if found := one("two", "1500"):
        return title, "u16", found[0], found[1], False
    if (found := one("one", "Enabled")) and one("zero", "Disabled"):
        return title, "enabled", found[0], found[1], False
    if (found := one("one", "Yes")) and one("zero", "No"):
        return title, "yes", found[0], found[1], False
    if found := one("one", "42"):
        return title, "u8", found[0], found[1], False
    if found := one("text", "abcd"):
        return title, "string", found[0], found[1], False
    return title, None, None, None, False


def main() -> None:
    order, packets = frames()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "options.pcap"
        wrpcap(str(path), packets)
        pdml = subprocess.run(
            ["tshark", "-r", str(path), "-T", "pdml"], capture_output=True, text=True, check=True
        ).stdout
        version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    seen = shown(pdml, order)
    rows = [(code, *kind_of(code, seen)) for code in sorted({c for c, _ in order})]
    number = re.search(r"\d+\.\d+\.\d+", version).group(0)
    print(f'"""DHCP options as tshark {number} names and shows them (generated: see')
    print("scripts/dhcp_options_from_tshark.py, which says how; do not edit by hand).")
    print()
    print("Each option code: its title, the kind of value it holds (None: shown as its bytes), the")
    print("field that holds the value and the label of its line, and whether the option's own line")
    print('ends with its address."""')
    print()
    print("OPTIONS: dict[int, tuple[str, str | None, str | None, str | None, bool]] = {")
    for code, title, kind, field, label, named in rows:
        print(f"    {code}: ({title!r}, {kind!r}, {field!r}, {label!r}, {named!r}),")
    print("}")


if __name__ == "__main__":
    sys.exit(main())
