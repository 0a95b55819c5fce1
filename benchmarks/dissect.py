"""`workbench dissect` against `tshark -r` on the same large capture, in one run, as a ratio.

The capture is the default lab's own traffic (a ping, then the seed's browse story if this
stack can run it), repeated to FRAMES frames a microsecond apart and written by our pcap
writer. Each command prints the whole packet list to /dev/null; best of three runs. Then the
same with a display filter, and our in-process paths (read + the protocol model's row; the
filter; the packet list's row cache, checksums checked) in frames per second.

    python benchmarks/dissect.py [FRAMES]        (default 100,000)
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from stack.clock import VirtualClock
from stack.labs import build_network, load_lab
from stack.trace import Trace
from stack.writers.pcap import PcapWriter
from workbench.dissect.capture import read_capture
from workbench.dissect.filter import compile_filter
from workbench.dissect.rows import RowCache
from workbench.shell import CommandError, prepare, run_virtual

FILTER = "icmp or dns or tcp.port == 80"


def lab_frames() -> list[bytes]:
    net = build_network(load_lab("default"))
    invocations = [prepare(net, "pc: ping 192.168.1.1 -c 3")]
    try:
        invocations.append(prepare(net, "pc: browse www.google.com"))
    except CommandError:
        pass  # an older stack without the browse story: pings alone
    run_virtual(net, invocations)
    return [record.data for record in net.trace.frames]


def write_capture(path: str, base: list[bytes], count: int) -> None:
    with open(path, "wb") as handle:
        writer = PcapWriter(handle, Trace(VirtualClock()))
        for i in range(count):
            writer.write(i * 1e-6, base[i % len(base)])


def best_of(runs: int, command: list[str]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        with open(os.devnull, "w") as sink:
            subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def in_process(path: str) -> tuple[float, float, float, int]:
    from stack.proto.frame import dissect_record

    start = time.perf_counter()
    records = list(read_capture(path))
    for record in records:
        dissect_record(record).row(check=False)
    listing = time.perf_counter() - start
    display_filter = compile_filter(FILTER)
    start = time.perf_counter()
    kept = sum(1 for record in records if display_filter.matches(record))
    filtering = time.perf_counter() - start
    cache = RowCache(records)
    start = time.perf_counter()
    for index in range(0, len(records), 97):  # rows as a scrolling list meets them, all misses
        cache.row(index)
    rows = (time.perf_counter() - start) / max(1, cache.decodes)
    return listing, filtering, rows, kept


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    tshark = shutil.which("tshark")
    base = lab_frames()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.pcap")
        write_capture(path, base, count)
        size = os.path.getsize(path)
        print(
            f"capture: {count:,} frames ({len(base)} distinct, from the default lab), {size / 1e6:.1f} MB"
        )
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
        ours_cmd = [sys.executable, "-m", "workbench.cli", "dissect", path]
        ours = best_of(3, ours_cmd)
        ours_f = best_of(3, [*ours_cmd, "-Y", FILTER])
        print(f"workbench dissect        {ours:7.2f} s  {count / ours:10,.0f} frames/s")
        print(
            f"workbench dissect -Y     {ours_f:7.2f} s  {count / ours_f:10,.0f} frames/s   ({FILTER})"
        )
        if tshark:
            theirs = best_of(3, [tshark, "-r", path])
            theirs_f = best_of(3, [tshark, "-r", path, "-Y", FILTER])
            print(f"tshark -r                {theirs:7.2f} s  {count / theirs:10,.0f} frames/s")
            print(f"tshark -r -Y             {theirs_f:7.2f} s  {count / theirs_f:10,.0f} frames/s")
            print(
                f"ratio (ours / tshark):   list {ours / theirs:.2f}×   filtered {ours_f / theirs_f:.2f}×   (below 1 is faster)"
            )
        else:
            print("tshark is not installed: no comparison (apt-get install -y tshark)")
        listing, filtering, row, kept = in_process(path)
        print(
            f"in process: read+decode+summary {count / listing:,.0f} frames/s; "
            f"filter {count / filtering:,.0f} frames/s ({kept:,} kept); a packet-list row {row * 1e6:.1f} µs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
