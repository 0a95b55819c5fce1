"""A TAP device the workbench creates takes the kernel's offloads, as a virtio NIC does: the
kernel leaves TCP and UDP checksums to it and hands a bulk transfer over merged, up to 64 KB a
frame. A merged frame for a host on the device's segment stays whole (as Linux's GRO would
give it to that host); one through a router is cut into the segments it stands for. Every
frame the lab carries has the bytes a wire would have: tshark, checking every checksum, is the
judge, and the data's SHA-256 must match what the kernel sent."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys

import pytest

from stack.clock import RealtimeClock
from stack.labs import build_network, load_lab
from stack.link.tap import TapDevice, TapPort
from stack.trace import Trace
from stack.writers.pcap import PcapngWriter
from tests.live.conftest import (
    KERNEL_CIDR,
    KERNEL_IP,
    LiveLab,
    Tap,
    impair_kernel_egress,
    impairment_counts,
    need_tools,
    reap,
    unique,
)
from tests.live.peer import payload
from tests.live.streams import Sink, Source, peer_argv

pytestmark = pytest.mark.live

PC, WWW = "192.168.1.100", "172.194.72.105"
SIZE = 8 * 1024 * 1024


@pytest.fixture
async def offload_lab(netns, tmp_path):
    """The default lab live, its lan bridged to a TAP device it created in the namespace (so
    with offloads on), the kernel at 192.168.1.50 routing through gw-a; every frame of the run
    written to a pcapng."""
    from workbench.live import SteadyGC

    loop = asyncio.get_running_loop()
    clock = RealtimeClock(loop)
    net = build_network(load_lab("default"), clock, Trace(clock), live=True)
    capture = tmp_path / "run.pcapng"
    out = capture.open("wb")
    writer = PcapngWriter(out, net.trace)
    net.trace.subscribe(writer)
    name = unique("wbo")
    device = TapDevice.open(name, netns=netns.name)
    port = TapPort.plug(device, net.segments["lan"])
    steady = SteadyGC(loop)

    def finished():
        """The device unplugged and every frame of the run in the capture."""
        port.close()
        if not out.closed:
            writer.close()
            out.close()
        return capture

    try:
        netns.ip("addr", "add", KERNEL_CIDR, "dev", name)
        netns.ip("route", "add", "default", "via", "192.168.1.1")
        lab = LiveLab(net, port, Tap(-1, name, netns, device.mac))
        lab.finished = finished
        yield lab
    finally:
        await reap(netns)
        steady.stop()
        finished()


def tshark(capture, *fields: str, where: str = "") -> list[list[str]]:
    got = subprocess.run(
        [
            "tshark",
            "-r",
            str(capture),
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ]
        + ["-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|"]
        + [arg for f in fields for arg in ("-e", f)]
        + (["-Y", where] if where else []),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert got.returncode == 0, got.stderr
    return [line.split("|") for line in got.stdout.splitlines()]


def bad_checksums(capture) -> list[list[str]]:
    return tshark(
        capture,
        "frame.number",
        "frame.interface_name",
        where="ip.checksum.status == 0 or tcp.checksum.status == 0 or udp.checksum.status == 0",
    )


async def send(lab, dest: str, sink: Sink) -> None:
    code, out, err = await lab.ns.sh(*peer_argv("send", dest, 5001, SIZE, 3), timeout=240)
    assert code == 0, err
    got = await asyncio.wait_for(sink.done, 60)
    assert got == (SIZE, json.loads(out)["sha256"])


async def test_a_bulk_transfer_to_pc_arrives_merged_and_whole(offload_lab):
    need_tools("tshark")
    lab = offload_lab
    (attached,) = lab.events("tap_attached")
    assert attached.offload and "segmentation offload on" in attached.describe()
    await send(lab, PC, Sink(lab.host("pc"), 5001))
    counters = lab.port.counters
    assert counters.merged_in > 0 and counters.cut_in == 0, counters
    # Far fewer frames than 1,448-byte segments would take, each as Wireshark reads it.
    assert counters.frames_in < SIZE // 1448 // 4, counters
    capture = lab.finished()
    big = tshark(capture, "frame.len", "tcp.len", where="frame.len > 1514")
    assert len(big) >= SIZE // 65536 // 2, big[:5]
    assert all(int(tcp_len) > 1448 for _, tcp_len in big)
    assert bad_checksums(capture) == []


async def test_a_bulk_transfer_through_the_routers_is_cut_to_the_mtu(offload_lab):
    need_tools("tshark")
    lab = offload_lab
    await send(lab, WWW, Sink(lab.host("www"), 5001))
    counters = lab.port.counters
    assert counters.cut_in > 0, counters
    assert not [e for e in lab.net.trace.events if "needs fragmentation" in e.describe()]
    capture = lab.finished()
    sizes = tshark(capture, "frame.len", "frame.interface_name")
    assert len(sizes) > SIZE // 1448
    assert max(int(n) for n, _ in sizes) <= 1514
    assert bad_checksums(capture) == []


async def test_dig_and_curl_through_a_device_that_leaves_checksums_to_the_lab(offload_lab):
    need_tools("dig", "curl", "tshark")
    lab = offload_lab
    code, out, err = await lab.ns.sh("dig", "+short", "+time=5", "@8.8.8.8", "www.google.com")
    assert code == 0 and out.split() == [WWW], (out, err)
    code, out, err = await lab.ns.sh("curl", "-sS", "--max-time", "20", f"http://{WWW}/")
    assert code == 0 and "<title>Google</title>" in out, err
    capture = lab.finished()
    protocols = {p for (p,) in tshark(capture, "_ws.col.Protocol")}
    assert {"DNS", "HTTP", "TCP"} <= protocols
    assert bad_checksums(capture) == []


async def test_ethtool_turns_the_offload_off_and_the_frames_are_wire_sized_again(offload_lab):
    need_tools("ethtool")
    lab = offload_lab
    got = lab.ns.run("ethtool", "-K", lab.tap.name, "tso", "off", "tx", "off")
    assert got.returncode == 0, got.stderr
    await send(lab, PC, Sink(lab.host("pc"), 5001))
    counters = lab.port.counters
    assert counters.merged_in == 0 and counters.frames_in > SIZE // 1500, counters
    # … and pc no longer sends the kernel merged segments either.
    receiver = await lab.ns.spawn(*peer_argv("recv", str(KERNEL_IP), 5002))
    assert json.loads(await asyncio.wait_for(receiver.stdout.readline(), 30)) == {"listening": 5002}
    source = Source(lab.host("pc"), (KERNEL_IP, 5002), payload(SIZE // 4, 5))
    out, err = await asyncio.wait_for(receiver.communicate(), 240)
    assert json.loads(out)["bytes"] == SIZE // 4, err.decode()
    await asyncio.wait_for(source.done, 60)
    assert max(len(f.data) for f in lab.net.trace.frames) <= 1514


@pytest.mark.parametrize("netem", [False, True], ids=["clean", "kernel-acks-lost"])
async def test_pc_sends_the_kernel_merged_segments_that_the_kernel_cuts(offload_lab, netem):
    """The other way (TSO from the lab's side): pc's TCP sends merged segments to a peer behind
    the device, the kernel takes them as from a virtio guest; with the kernel's ACKs lost and
    reordered, every byte still gets there."""
    need_tools("tshark")
    lab = offload_lab
    # pc knows the kernel's MAC before any TCP (as after a ping): its way there is settled
    # before the kernel has left it a single checksum.
    assert (await lab.do(f"pc: ping {KERNEL_IP} -c 1")).ok
    if netem:
        impair_kernel_egress(lab.ns, lab.tap.name)
    receiver = await lab.ns.spawn(*peer_argv("recv", str(KERNEL_IP), 5002))
    assert json.loads(await asyncio.wait_for(receiver.stdout.readline(), 30)) == {"listening": 5002}
    data = payload(SIZE, 5)
    source = Source(lab.host("pc"), (KERNEL_IP, 5002), data)
    out, err = await asyncio.wait_for(receiver.communicate(), 240)
    assert receiver.returncode == 0, err.decode()
    got = json.loads(out)
    assert (got["bytes"], got["sha256"]) == (SIZE, hashlib.sha256(data).hexdigest())
    await asyncio.wait_for(source.done, 60)
    sent = [f for f in lab.net.trace.frames if f.origin == "pc eth0" and len(f.data) > 1514]
    assert len(sent) >= SIZE // 65536 // 2 and lab.port.counters.write_errors == 0
    if netem:
        assert impairment_counts(lab.ns, lab.tap.name)["dropped"] > 0  # ACKs really were lost
    capture = lab.finished()
    assert bad_checksums(capture) == []


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def test_memory_stays_flat_through_600_mb_of_merged_frames(offload_lab):
    """Merged frames are 40 times a wire frame: the trace's windows bound their bytes, not just
    their count, so a long transfer leaves memory where its first quarter left it."""
    lab = offload_lab
    sink = Sink(lab.host("pc"), 5001)
    stream = (
        "import socket\ns = socket.create_connection(('192.168.1.100', 5001))\n"
        "b = bytes(1 << 20)\nfor _ in range(600): s.sendall(b)\ns.close()\n"
    )
    sender = await lab.ns.spawn(sys.executable, "-c", stream)
    settled = peak = 0.0
    while not sink.done.done():
        await asyncio.sleep(0.2)
        if not settled and sink.bytes >= 150 << 20:
            settled = _rss_mb()
        elif settled:
            peak = max(peak, _rss_mb())
    assert (await sink.done)[0] == 600 << 20 and await sender.wait() == 0
    assert lab.port.counters.merged_in > 0 and settled
    assert peak - settled < 10, f"RSS {settled:.1f} MB at 150 MB in, {peak:.1f} MB at most after"
