"""`workbench dissect` against `tshark -r` on the same large capture, in one run, as a ratio.

The capture is the default lab's own traffic (a ping, then the seed's browse story if this
stack can run it), repeated to FRAMES frames a microsecond apart and written by our pcap
writer; with --synthetic, benchmarks/synthetic_capture.py's rounds of DNS, HTTP over TCP,
ping and ARP instead. Each command prints the whole packet list to /dev/null, three runs
each, ours and tshark's taking turns so both see the same load; the median and the best are
shown, and the load average before and after. Then the same with display filters (`dns`,
the issue's aim, and a mixed one), and our in-process paths (read + the protocol model's
row; the filter; the packet list's row cache, checksums checked) in frames per second.

    python benchmarks/dissect.py [FRAMES] [--synthetic]       (default 100,000)
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
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


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def side_by_side(runs: int, ours: list[str], theirs: list[str] | None) -> tuple[list, list]:
    """Each command `runs` times, taking turns, so a change in the machine's load hits both."""
    mine, other = [], []
    for _ in range(runs):
        mine.append(timed(ours))
        if theirs:
            other.append(timed(theirs))
    return mine, other


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
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 100_000
    synthetic = "--synthetic" in sys.argv
    tshark = shutil.which("tshark")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.pcap")
        if synthetic:
            from synthetic_capture import write_capture as write_synthetic  # beside this file

            write_synthetic(path, count)
            what = "rounds of DNS, HTTP over TCP, ping and ARP: benchmarks/synthetic_capture.py"
        else:
            base = lab_frames()
            write_capture(path, base, count)
            what = f"{len(base)} distinct, from the default lab"
        size = os.path.getsize(path)
        print(f"capture: {count:,} frames ({what}), {size / 1e6:.1f} MB")
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        ours_cmd = [sys.executable, "-m", "workbench.cli", "dissect", path]
        theirs_cmd = [tshark, "-r", path] if tshark else None
        for label, extra in (("list", []), ("-Y dns", ["-Y", "dns"]), ("-Y", ["-Y", FILTER])):
            mine, other = side_by_side(
                3, ours_cmd + extra, theirs_cmd + extra if theirs_cmd else None
            )
            ours, best = statistics.median(mine), min(mine)
            line = f"workbench dissect {label:<7} median {ours:6.2f} s (best {best:6.2f} s)"
            if other:
                theirs, their_best = statistics.median(other), min(other)
                line += (
                    f"   tshark median {theirs:6.2f} s (best {their_best:6.2f} s)"
                    f"   ratio {ours / theirs:.2f}× (below 1 is faster)"
                )
            print(line + ("   " + FILTER if label == "-Y" else ""))
        if not tshark:
            print("tshark is not installed: no comparison (apt-get install -y tshark)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        listing, filtering, row, kept = in_process(path)
        print(
            f"in process: read+decode+summary {count / listing:,.0f} frames/s; "
            f"filter {count / filtering:,.0f} frames/s ({kept:,} kept); a packet-list row {row * 1e6:.1f} µs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
