"""Reading captures: classic pcap in both byte orders and both time resolutions, and pcapng with
several interfaces, all back as the frames that went in."""

from __future__ import annotations

import struct
import subprocess

import pytest

from stack.clock import VirtualClock
from stack.trace import Trace
from stack.writers.pcap import PcapngWriter, PcapWriter
from tests.conftest import needs_tool
from workbench.dissect.capture import CaptureError, read_capture

FRAMES = [
    (0.0, "lan", bytes(range(60))),
    (0.25, "wan", b"\xff" * 42 + b"\x01"),
    (1.000001, "lan", bytes(1514)),
]


def write_pcap(path):
    with open(path, "wb") as handle:
        writer = PcapWriter(handle, Trace(VirtualClock()))
        for time, _segment, data in FRAMES:
            writer.write(time, data)


def write_pcapng(path):
    with open(path, "wb") as handle:
        writer = PcapngWriter(handle, Trace(VirtualClock()))
        for time, segment, data in FRAMES:
            writer.write(time, segment, data)


def test_pcap(tmp_path):
    write_pcap(tmp_path / "a.pcap")
    records = list(read_capture(str(tmp_path / "a.pcap")))
    assert [r.id for r in records] == [1, 2, 3]
    assert [r.data for r in records] == [f[2] for f in FRAMES]
    assert [round(r.time, 6) for r in records] == [0.0, 0.25, 1.000001]


def test_pcapng_keeps_interface_names(tmp_path):
    write_pcapng(tmp_path / "a.pcapng")
    records = list(read_capture(str(tmp_path / "a.pcapng")))
    assert [(r.segment, r.data) for r in records] == [(f[1], f[2]) for f in FRAMES]
    assert [round(r.time, 6) for r in records] == [0.0, 0.25, 1.000001]


def test_big_endian_nanosecond_pcap(tmp_path):
    path = tmp_path / "be.pcap"
    body = struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
    body += struct.pack(">IIII", 3, 500, 4, 4) + b"abcd"
    path.write_bytes(body)
    (record,) = read_capture(str(path))
    assert record.time == pytest.approx(3.0000005) and record.data == b"abcd"


@needs_tool("editcap")
@pytest.mark.parametrize("kind", ["nsecpcap", "pcapng"])
def test_files_from_wireshark_tools(tmp_path, kind):
    write_pcap(tmp_path / "a.pcap")
    out = tmp_path / f"b.{kind}"
    subprocess.run(
        ["editcap", "-F", kind, str(tmp_path / "a.pcap"), str(out)], check=True, capture_output=True
    )
    records = list(read_capture(str(out)))
    assert [r.data for r in records] == [f[2] for f in FRAMES]
    assert [round(r.time, 6) for r in records] == [0.0, 0.25, 1.000001]


def test_other_link_types_are_refused(tmp_path):
    path = tmp_path / "raw.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    with pytest.raises(
        CaptureError,
        match=r"link type 101, and only Ethernet \(1\), Linux cooked capture \(SLL\) \(113\), Linux cooked capture v2 \(SLL2\) \(276\) are supported",
    ):
        list(read_capture(str(path)))


@pytest.mark.parametrize("cut", [10, 30, 50])
def test_truncated_files_raise_one_sentence(tmp_path, cut):
    write_pcapng(tmp_path / "a.pcapng")
    data = (tmp_path / "a.pcapng").read_bytes()
    (tmp_path / "b.pcapng").write_bytes(data[: len(data) - cut])
    with pytest.raises(CaptureError) as caught:
        list(read_capture(str(tmp_path / "b.pcapng")))
    assert "\n" not in str(caught.value)
