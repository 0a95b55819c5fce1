"""Time to first screen of `workbench open FILE` on a 1,000-frame and a 1,000,000-frame capture,
beside a bare Textual "hello world", each started cold in a fresh interpreter on a
pseudo-terminal, interleaved in one run (the method of `benchmarks/startup.py`).

    python benchmarks/open_capture.py [--runs 5] [--capture BIG.pcap]

The captures are written by `benchmarks/synthetic_capture.py` into a temporary folder unless
`--capture` names one. The clock stops when the capture screen's first full paint is done
(`call_after_refresh` from its mount): rows drawn from the first frames while a worker is
still reading the rest of the file. Also reported: how long the worker takes to index the
whole file in the same process (the status bar counts up meanwhile).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from startup import HELLO, SIZE, run_once  # noqa: E402
from synthetic_capture import write_capture  # noqa: E402

OPEN = r"""
import json, os, sys, time
from workbench.app import WorkbenchApp
from workbench.capture_session import CaptureSession
from workbench.screens.capture import CaptureScreen

mounted = CaptureScreen.on_mount

def on_mount(self):
    mounted(self)
    self.call_after_refresh(report, self)

def report(screen):
    rows = screen.query_one("#packet-list").row_count
    with open(os.environ["STARTUP_REPORT"], "w") as out:
        json.dump({"painted": time.monotonic(), "scapy": "scapy" in sys.modules, "rows": rows}, out)
    screen.app.exit()

CaptureScreen.on_mount = on_mount
WorkbenchApp(None, capture=CaptureSession.open(sys.argv[1])).run()
"""


def index_seconds(path: str) -> float:
    from workbench.capture_session import CaptureSession

    start = time.perf_counter()
    session = CaptureSession.open(path)
    while session.index_more():
        pass
    seconds = time.perf_counter() - start
    session.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--capture", help="a large capture to open (default: a generated million frames)"
    )
    args = parser.parse_args()
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        small = os.path.join(tmp, "small.pcap")
        write_capture(small, 1_000)
        big = args.capture
        if big is None:
            big = os.path.join(tmp, "million.pcap")
            started = time.perf_counter()
            write_capture(big, 1_000_000)
            print(
                f"wrote a 1,000,000-frame capture ({os.path.getsize(big) / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
            )
        runs = {"hello": [], "small": [], "big": []}
        scapy = False
        run_once(HELLO)  # warm the disk cache for all three
        run_once(OPEN, small)
        run_once(OPEN, big)
        for _ in range(args.runs):
            runs["hello"].append(run_once(HELLO)[0])
            for name, path in (("small", small), ("big", big)):
                seconds, loaded = run_once(OPEN, path)
                runs[name].append(seconds)
                scapy |= loaded
        indexed = index_seconds(big)
        size = os.path.getsize(big)
    hello = statistics.median(runs["hello"])
    print(f"time to first screen, {SIZE[0]}×{SIZE[1]} pty, median of {args.runs} cold starts")
    print(
        f"  textual hello world            {hello * 1000:7.0f} ms  (min {min(runs['hello']) * 1000:.0f}, max {max(runs['hello']) * 1000:.0f})"
    )
    for name, label in (
        ("small", "workbench open, 1,000 frames"),
        ("big", f"workbench open, {size / 1e6:.0f} MB"),
    ):
        median = statistics.median(runs[name])
        print(
            f"  {label:<30} {median * 1000:7.0f} ms  (min {min(runs[name]) * 1000:.0f}, max {max(runs[name]) * 1000:.0f})  {median / hello:.2f}× hello world"
        )
    print(f"  scapy imported before the first screen: {'YES (fix it)' if scapy else 'no'}")
    print(
        f"  whole file indexed in the background in {indexed:.2f} s ({size / indexed / 1e6:.0f} MB/s)"
    )
    big_median = statistics.median(runs["big"])
    print(f"  first screen of the big capture under 0.5 s: {'yes' if big_median < 0.5 else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
