"""`workbench dissect` beside `tshark -r` on a 1,000,000-frame capture, in one run.

The capture is the default lab's own traffic (ARP, DNS, the browse story's TCP and HTTP, pings
with fragments) repeated to FRAMES frames a microsecond apart, or with `--synthetic` the
capture of `benchmarks/synthetic_capture.py` (DNS, a TCP/HTTP conversation per round, pings,
ARP: every conversation its own ports). Each command runs `--repeat` times (default once; the
full listing always once), taking turns with tshark, and is timed by wall clock and CPU (children
included), its peak memory the larger of the kernel's (`wait4`'s maxrss) and what the process and
its children held together (sampled); the median of each is printed:

  - the first 50 lines (`-c 50`): how soon a user sees something, whatever the file's size;
  - a full `-Y dns` pass: every frame read, decoded as far as the filter needs, state kept;
  - a full listing to /dev/null.

    python benchmarks/dissect_million.py [FRAMES] [--synthetic] [--repeat N] [--no-listing]
                                         [--no-filter] [--compile-each-start]
                                                                       (default 1,000,000)

The workbench reads compiled bytecode, as an installed one does (`benchmarks/bytecode.py`; a
warm-up run writes it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bytecode import add_option, cache_bytecode  # noqa: E402

from stack.clock import VirtualClock
from stack.labs import build_network, load_lab
from stack.trace import Trace
from stack.writers.pcap import PcapWriter
from workbench.shell import prepare, run_virtual


def lab_frames() -> list[bytes]:
    net = build_network(load_lab("default"))
    invocations = [
        prepare(net, "pc: browse http://www.google.com/"),
        prepare(net, "pc: ping 172.194.72.105 -c 2 -s 3000"),
        prepare(net, "pc: resolve www.google.com"),
    ]
    run_virtual(net, invocations)
    return [record.data for record in net.trace.frames if record.segment == "lan"]


def write_capture(path: str, base: list[bytes], count: int) -> None:
    with open(path, "wb") as handle:
        writer = PcapWriter(handle, Trace(VirtualClock()))
        for i in range(count):
            writer.write(i * 1e-6, base[i % len(base)])


def _tree_memory(pid: int) -> tuple[int, int]:
    """Resident bytes of `pid` and its children now: the sum of each process's whole resident
    set (pages a forked child shares with its parent count twice: never below the truth) and
    the sum of their proportional sets (Pss: a shared page split between its sharers)."""
    rss = pss = 0
    pids = [pid]
    while pids:
        here = pids.pop()
        try:
            with open(f"/proc/{here}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            with open(f"/proc/{here}/task/{here}/children") as children:
                pids += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


def measure(command: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system, children included: what a busy shared machine
    does not inflate) and peak resident memory (bytes) of one run, output to /dev/null. The
    peak is the larger of the kernel's (`wait4`'s maxrss: the largest single process) and the
    most the process and its children held together, sampled every 10 ms (`workbench dissect
    -Y` reads a large file in two processes); then the most their proportional sets held."""
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL)
        together = proportional = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, pss = _tree_memory(proc.pid)
            together, proportional = max(together, rss), max(proportional, pss)
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        proc.returncode = status
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} failed with status {status}")
    peak = max(usage.ru_maxrss * 1024, together)
    return seconds, usage.ru_utime + usage.ru_stime, peak, proportional


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frames", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-listing", action="store_true", help="leave out the full listing")
    parser.add_argument("--no-filter", action="store_true", help="leave out the -Y dns pass")
    add_option(parser)
    args = parser.parse_args()
    count = args.frames
    tshark = shutil.which("tshark")
    if tshark is None:
        print("tshark is not installed (apt-get install -y tshark)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        bytecode = cache_bytecode(os.path.join(tmp, "bytecode"), args.compile_each_start)
        path = os.path.join(tmp, "million.pcap")
        if args.synthetic:
            from synthetic_capture import write_capture as write_synthetic

            write_synthetic(path, count)
            what = "synthetic_capture.py"
        else:
            base = lab_frames()
            write_capture(path, base, count)
            what = f"{len(base)} distinct, the default lab's lan"
        print(
            f"capture: {count:,} frames ({what}), {os.path.getsize(path) / 1e6:.0f} MB; "
            f"{os.cpu_count()} CPUs (shared); load {os.getloadavg()[0]:.1f}; {bytecode}"
        )
        ours = [sys.executable, "-m", "workbench.cli", "dissect", path]
        theirs = [tshark, "-r", path]
        measure(ours + ["-c", "1"])  # warm-up: writes the bytecode, reads the file's start
        measure(theirs + ["-c", "1"])
        rows = []
        for label, extra in (
            ("first 50 lines (-c 50)", ["-c", "50"]),
            *([] if args.no_filter else [("-Y dns, full pass", ["-Y", "dns"])]),
            *([] if args.no_listing else [("full listing", [])]),
        ):
            repeat = args.repeat if extra else 1  # a full listing is long enough once
            runs = [(measure(ours + extra), measure(theirs + extra)) for _ in range(repeat)]
            ours_s, ours_c, ours_m, ours_p = (
                statistics.median(r[0][i] for r in runs) for i in range(4)
            )
            theirs_s, theirs_c, theirs_m, _theirs_p = (
                statistics.median(r[1][i] for r in runs) for i in range(4)
            )
            rows.append((label, ours_s, theirs_s, ours_m, theirs_m))
            walls = " ".join(f"{r[0][0]:.2f}/{r[1][0]:.2f}" for r in runs)
            print(
                f"{label:<24} workbench {ours_s:7.2f} s wall {ours_c:7.2f} s CPU {ours_m / 1e6:5.0f} MB "
                f"(Pss {ours_p / 1e6:.0f})   "
                f"tshark {theirs_s:7.2f} s wall {theirs_c:7.2f} s CPU {theirs_m / 1e6:5.0f} MB   "
                f"ratio: wall {ours_s / theirs_s:5.2f}×  CPU {ours_c / theirs_c:5.2f}×  memory {ours_m / theirs_m:5.2f}×"
                f"   (each run, ours/theirs wall: {walls}; load {os.getloadavg()[0]:.1f})"
            )
        print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
