"""Simulated frames per second through a router, with the trace on.

Two hosts on two segments with one router between them; host a pings host b as fast as the
virtual clock allows (one echo every 10 µs of virtual time). Every frame is recorded, given
its Wireshark-style summary, and every NIC's verdict is an event. Three runs per setting:
the trace kept in memory (what the app does), the trace also written as text to /dev/null
(what `workbench run` does), and pcap writing on top.

    python benchmarks/router_frames.py [PINGS]

Wall-clock rates move with the machine's load; the CPU columns (this process's CPU time) less.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import time
from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.labs import build_network
from stack.labs.load import parse_lab
from stack.writers.pcap import PcapWriter
from stack.writers.text import TextWriter

LAB = """
name = "bench"
[segments.left]
[segments.right]
[hosts.a]
segment = "left"
address = "10.1.0.2/24"
gateway = "10.1.0.1"
[hosts.b]
segment = "right"
address = "10.2.0.2/24"
gateway = "10.2.0.1"
[routers.r]
interfaces = [{ segment = "left", address = "10.1.0.1/24" }, { segment = "right", address = "10.2.0.1/24" }]
"""


def one_run(pings: int, mode: str) -> tuple[float, int, int]:
    net = build_network(parse_lab(LAB, "bench.toml"))
    sink = open(os.devnull, "w")  # noqa: SIM115
    if mode in ("text", "pcap"):
        net.trace.subscribe(TextWriter(sink))
    if mode == "pcap":
        net.trace.subscribe(PcapWriter(io.BytesIO(), net.trace))
    ping = Ping(net.host("a"), IPv4Address("10.2.0.2"), count=pings, size=56, interval=0.00001)
    start, cpu = time.perf_counter(), time.process_time()
    ping.start()
    net.clock.run_until_idle()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    sink.close()
    assert len(ping.rtts) == pings, "every echo must come back"
    return elapsed, len(net.trace.frames), len(net.trace.events), cpu


def main() -> None:
    pings = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(
        f"Python {platform.python_version()} on {platform.machine()}; {pings} pings a → r → b, 3 runs each, median"
    )
    print(f"load average {os.getloadavg()[0]:.1f}; CPU: per CPU second of this process")
    print(
        f"{'trace':<28} {'frames/s':>10} {'events/s':>10} {'µs/frame':>9} {'frames/CPU s':>13} {'CPU µs/frame':>13}"
    )
    for mode, label in (
        ("memory", "kept in memory"),
        ("text", "+ text to /dev/null"),
        ("pcap", "+ text + pcap"),
    ):
        runs = [one_run(pings, mode) for _ in range(3)]
        elapsed = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[3] for r in runs)
        frames, events = runs[0][1], runs[0][2]
        print(
            f"{label:<28} {frames / elapsed:>10,.0f} {events / elapsed:>10,.0f} {elapsed / frames * 1e6:>9.1f}"
            f" {frames / cpu:>13,.0f} {cpu / frames * 1e6:>13.1f}"
        )


if __name__ == "__main__":
    main()
