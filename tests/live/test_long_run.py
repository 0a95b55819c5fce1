"""A long live run stays flat in memory, and floods cannot grow the stack's tables.

The default lab runs live as `workbench run --tap` runs it (trace with its default window, the
text trace written, a pcap capture) for `DURATION` seconds while the namespace's kernel floods
pc with pings and curl fetches www's page in a loop through gw-a and gw-b. After the first
minute the process may not grow by 10 MB, and at the end every frame of the run is in the
capture (tshark counts them) and readable through the trace by its id, byte for byte.
"""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import sys
import time

import pytest

from stack.clock import RealtimeClock
from stack.labs import build_network, load_lab
from stack.link.tap import TapDevice, TapPort
from stack.net.arp import CACHE_LIMIT
from stack.trace import SLACK, WINDOW, Trace
from stack.writers.pcap import PcapWriter
from stack.writers.text import TextWriter
from tests.live.conftest import need_tools, reap

pytestmark = pytest.mark.live

DURATION = 150.0  # seconds of flood; CI's whole budget is 45 minutes
SETTLE = 60.0  # the first minute: the window fills, caches warm up
WWW = "172.194.72.105"


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def pcap_frames(path) -> list[bytes]:
    raw = path.read_bytes()
    out, at = [], 24
    while at < len(raw):
        _s, _u, captured, _orig = struct.unpack_from("<IIII", raw, at)
        out.append(raw[at + 16 : at + 16 + captured])
        at += 16 + captured
    return out


async def test_memory_stays_flat_under_a_ping_flood_and_a_curl_loop(tap, tmp_path):
    need_tools("curl", "tshark")
    from workbench.live import SteadyGC

    loop = asyncio.get_running_loop()
    clock = RealtimeClock(loop)
    trace = Trace(clock, keep_events=False, epoch=time.time() - clock.now())  # as workbench run
    net = build_network(load_lab("default"), clock, trace, live=True)
    capture = tmp_path / "long.pcap"
    sink = open(os.devnull, "w")  # noqa: SIM115 - the text trace, as workbench run prints it
    with open(capture, "wb") as out:
        stop_text = trace.subscribe(TextWriter(sink))
        stop_pcap = trace.subscribe(PcapWriter(out, trace))
        port = TapPort.plug(
            TapDevice.adopt(os.dup(tap.fd), tap.name, created=False), net.segments["lan"]
        )
        steady = SteadyGC(loop)
        try:
            tap.ns.ip("route", "add", "default", "via", "192.168.1.1")
            await tap.ns.spawn("ping", "-f", "-q", "-s", "200", "192.168.1.100")
            await tap.ns.spawn(
                "sh", "-c", f"while true; do curl -s -o /dev/null --max-time 5 http://{WWW}/; done"
            )
            started = time.monotonic()
            samples = []
            while (elapsed := time.monotonic() - started) < DURATION:
                await asyncio.sleep(5)
                samples.append((elapsed, rss(), trace.count))
            await reap(tap.ns)
        finally:
            steady.stop()
            port.close()
            stop_text()  # the lab's timers still run on this loop: nothing more to these files
            stop_pcap()
            sink.close()
    baseline = next(r for t, r, _ in samples if t >= SETTLE)
    growth = max(r for t, r, _ in samples if t >= SETTLE) - baseline
    frames = trace.count
    print(
        f"\n{frames:,} frames in {DURATION:.0f} s; RSS at {SETTLE:.0f} s {baseline / 1e6:.1f} MB, growth after it {growth / 1e6:+.1f} MB; "
        f"{trace.spilled:,} spilled to {trace.spill_path}"
    )
    assert frames > 4 * WINDOW, "the flood should have pushed most of the run out of memory"
    assert growth < 10_000_000, [(round(t), round(r / 1e6, 1), n) for t, r, n in samples]
    # Every frame is in the capture ...
    counted = subprocess.run(
        ["tshark", "-r", str(capture), "-T", "fields", "-e", "frame.number"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert len(counted.stdout.split()) == frames
    # ... and reachable through the trace by its id, the old ones read back from the spill file.
    captured = pcap_frames(capture)
    assert len(captured) == frames
    for frame_id in range(1, frames + 1):
        assert trace.frame(frame_id).data == captured[frame_id - 1], frame_id
    # Live, it spills just after a burst, a 64th of the window more than it must (a batch).
    assert frames - WINDOW - SLACK <= trace.spilled <= frames - WINDOW + WINDOW // 64
    requests = sum(1 for f in captured if f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 8)
    assert requests > 10_000, "the flood reached pc"
    assert any(b"GET / HTTP/1.1" in f for f in captured[: frames // 4]) and any(
        b"GET / HTTP/1.1" in f for f in captured[-frames // 4 :]
    )
    trace.close()
    assert not os.path.exists(trace.spill_path)


SPOOF = r"""
import socket, sys, time
from scapy.layers.l2 import ARP, Ether
dev, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
for i in range(count):
    mac = "02:00:%02x:%02x:%02x:%02x" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)
    sender = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
    target = "192.168.1.100" if i % 2 else "192.168.1.1"
    frame = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=sender, hwdst="00:00:00:00:00:00", pdst=target)
    while True:
        try:
            s.send(bytes(frame))
            break
        except OSError:  # the TAP queue is full: let the workbench catch up
            time.sleep(0.005)
    if i % 100 == 99:
        time.sleep(0.03)
"""


async def test_ten_thousand_spoofed_arp_requests_leave_caches_bounded_and_pings_working(lab):
    lab.ns.ip("link", "set", lab.tap.name, "txqueuelen", "10000")
    flood = asyncio.ensure_future(
        lab.ns.sh(sys.executable, "-c", SPOOF, lab.tap.name, "10000", timeout=150)
    )
    code, out, err = await lab.ns.sh(
        "ping", "-c", "30", "-i", "0.2", "-W", "2", "192.168.1.100", timeout=60
    )
    rc, _out, flood_err = await flood
    assert rc == 0, flood_err
    received = int(out.split(" received")[0].rsplit(" ", 1)[1])
    assert received >= 25, out  # legitimate pings kept working during the flood
    for name in ("pc", "gw-a"):
        cache = lab.host(name).arp.caches["eth0"]
        assert len(cache) <= CACHE_LIMIT, (name, len(cache))
    assert lab.port.counters.frames_in >= 10_000
    evicted = lab.events("arp_evicted")
    assert {e.host for e in evicted} == {"pc", "gw-a"}
    assert "is full (1,024 entries)" in evicted[-1].describe()
    code, out, _ = await lab.ns.sh("ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.1.100")
    assert code == 0 and " 0% packet loss" in out, out
