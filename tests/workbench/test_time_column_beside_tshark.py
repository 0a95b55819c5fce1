"""The Time column as tshark shows it: its decimals by the capture's precision (six for microsecond
stamps, nine for a nanosecond pcap and for a pcapng whose interface stamps in nanoseconds."""

from __future__ import annotations

import subprocess

from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from tests.conftest import needs_tool
from tests.workbench.beside_tshark import ours, refused, theirs


def _pings(path: str, nano: bool) -> None:
    frames = []
    for n in range(3):
        frame = Ether() / IP(src="10.9.0.1", dst="10.9.0.2") / ICMP(id=1, seq=n)
        frame.time = 1_700_000_000 + n * 1.25 + 0.000000123 * n
        frames.append(frame)
    wrpcap(path, frames, nano=nano)


@needs_tool("tshark")
@needs_tool("editcap")
def test_time_decimals_follow_the_capture(tmp_path):
    micro, nano = str(tmp_path / "micro.pcap"), str(tmp_path / "nano.pcap")
    _pings(micro, nano=False)
    _pings(nano, nano=True)
    nano_ng = str(tmp_path / "nano.pcapng")
    subprocess.run(["editcap", "-F", "pcapng", nano, nano_ng], check=True, timeout=60)
    for path in (micro, nano, nano_ng):
        assert ours(path) == theirs(path), path
    decimals = {p: len(ours(p).splitlines()[2].split()[1].split(".")[1]) for p in (micro, nano)}
    assert decimals == {micro: 6, nano: 9}
    assert ours(nano_ng).splitlines()[1].split()[1].startswith("1.25000")
    assert len(ours(nano_ng).splitlines()[1].split()[1]) == 11


@needs_tool("tshark")
@needs_tool("editcap")
def test_every_time_format_as_tshark(tmp_path, monkeypatch):
    """-t: the ten formats, on microsecond and nanosecond captures, with and without -Y (dd
    counts from the frame shown before), in a zone that is not UTC (a, ad, adoy are local)."""
    monkeypatch.setenv("TZ", "America/New_York")
    micro, nano = str(tmp_path / "micro.pcap"), str(tmp_path / "nano.pcap")
    _pings(micro, nano=False)
    _pings(nano, nano=True)
    for path in (micro, nano):
        for mode in ("a", "ad", "adoy", "d", "dd", "e", "r", "u", "ud", "udoy"):
            for shown in ((), ("-Y", "icmp.seq != 1")):
                argv = (path, "-t", mode, *shown)
                assert ours(*argv) == theirs(*argv), argv
                fields = (*argv, "-T", "fields", "-e", "frame.number", "-e", "_ws.col.Time")
                assert ours(*fields) == theirs(*fields), fields
    assert ours(micro, "-t", "ud").split()[1:3] == ["2023-11-14", "22:13:20.000000"]
    assert ours(micro, "-t", "ad").split()[1:3] == ["2023-11-14", "17:13:20.000000"]
    assert ours(micro, "-t", "dd", "-Y", "icmp.seq != 1").splitlines()[1].split()[1] == "2.500000"


def test_an_unknown_time_format_is_one_sentence(tmp_path):
    micro = str(tmp_path / "micro.pcap")
    _pings(micro, nano=False)
    assert refused(micro, "-t", "zz").startswith("workbench: argument -t: invalid choice: 'zz'")


@needs_tool("tshark")
def test_seconds_in_hours_minutes_and_seconds_as_tshark(tmp_path):
    """-u hms: r, d and dd as `1h  2m  5.250000s` (hours past a day stay hours), in the list
    and in _ws.col.Time; e and the clock formats unchanged; microsecond and nanosecond stamps."""
    for nano in (False, True):
        frames = []
        for at in (0, 0.5, 59.999999, 61.5, 600, 3725.25, 90061.000001, 864000):
            frame = Ether() / IP(src="10.9.0.1", dst="10.9.0.2") / ICMP(id=1, seq=len(frames))
            frame.time = 1_700_000_000 + at
            frames.append(frame)
        path = str(tmp_path / f"spans{nano}.pcap")
        wrpcap(path, frames, nano=nano)
        asked = [("-t", mode, "-u", "hms") for mode in ("r", "d", "dd", "e")]
        asked.append(("-t", "dd", "-u", "hms", "-Y", "icmp.seq > 2"))
        asked.append(("-u", "hms", "-T", "fields", "-e", "_ws.col.Time"))
        for argv in asked:
            assert ours(path, *argv) == theirs(path, *argv), argv
        listed = ours(path, "-u", "hms").splitlines()
        assert "1h  2m  5.250000" in listed[5] and "240h  0m  0.000000" in listed[7]


def test_an_unknown_seconds_format_is_one_sentence(tmp_path):
    path = str(tmp_path / "one.pcap")
    _pings(path, nano=False)
    assert "-u" in refused(path, "-u", "minutes")
