"""Time to first screen of `workbench open FILE` on a 1,000-frame and a 1,000,000-frame capture,
beside a bare Textual "hello world", each started cold in a fresh interpreter on a
pseudo-terminal, interleaved in one run (the method of `benchmarks/startup.py`).

    python benchmarks/open_capture.py [--runs 5] [--capture BIG.pcap] [--compile-each-start]

The captures are written by `benchmarks/synthetic_capture.py` into a temporary folder unless
`--capture` names one. Each child runs `workbench open FILE` as the command line does (its
parser and dispatch included). The clock stops when the capture screen's first full paint is
done (`call_after_refresh` from its mount): rows drawn from the first frames while a worker
is still reading the rest of the file; beside the wall clock, the child's CPU time by then (a
busy shared machine inflates it least). Every child reads compiled bytecode, as an installed
workbench does (`benchmarks/bytecode.py`; the warm-up runs write it). Also reported: how long
the worker takes to index the whole file in the same process (the status bar counts up
meanwhile).
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

from bytecode import add_option, cache_bytecode  # noqa: E402
from startup import HELLO, SIZE, run_timed  # noqa: E402
from synthetic_capture import write_capture  # noqa: E402

# The screen is patched from inside `workbench open`'s own start (its `_open`, or `main` in
# older code), so that everything it imports is imported as the command imports it.
PATCH = r"""
import json, os, sys, time
import workbench.open_capture as command

def patched(original):
    def start(*args, **kwargs):
        from workbench.screens.capture import CaptureScreen

        mounted = CaptureScreen.on_mount

        def on_mount(self):
            self.call_after_refresh(painted, self)  # first: before the screen's own after-paint work
            mounted(self)

        CaptureScreen.on_mount = on_mount
        return original(*args, **kwargs)
    return start

name = "_open" if hasattr(command, "_open") else "main"
setattr(command, name, patched(getattr(command, name)))
"""

OPEN = (
    PATCH
    + r"""
def painted(screen):
    rows = screen.query_one("#packet-list").row_count
    with open(os.environ["STARTUP_REPORT"], "w") as out:
        json.dump({"painted": time.monotonic(), "cpu": time.process_time(), "scapy": "scapy" in sys.modules, "rows": rows}, out)
    screen.app.exit()

from workbench.cli import main  # as the `workbench` command starts
sys.exit(main(["open", sys.argv[1]]))
"""
)


# `o` in the app: the first capture's screen up, `o`, the big capture's path entered; the clock
# runs from Enter to the new screen's first paint (the open dialog's modules load with `o`).
IN_APP = (
    PATCH
    + r"""
entered = []

def painted(screen):
    if not entered:
        screen.action_open()
        screen.app.call_after_refresh(enter, screen.app)
        return
    now, cpu = time.monotonic(), time.process_time()
    with open(os.environ["STARTUP_REPORT"], "w") as out:
        json.dump({"painted": now, "cpu": cpu, "scapy": "scapy" in sys.modules,
                   "seconds": now - entered[0], "cpu_seconds": cpu - entered[1]}, out)
    screen.app.exit()

def enter(app):
    entered.extend((time.monotonic(), time.process_time()))
    app.screen._open(sys.argv[2])  # what Enter in its path field does

from workbench.cli import main
sys.exit(main(["open", sys.argv[1]]))
"""
)


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
    add_option(parser)
    args = parser.parse_args()
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        bytecode = cache_bytecode(os.path.join(tmp, "bytecode"), args.compile_each_start)
        load = os.getloadavg()[0]
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
        runs: dict[str, list] = {"hello": [], "small": [], "big": []}
        run_timed(HELLO)  # warm the disk cache (and the bytecode) for all three
        run_timed(OPEN, small)
        run_timed(OPEN, big)
        run_timed(IN_APP, small, big)
        in_app = []
        for _ in range(args.runs):
            runs["hello"].append(run_timed(HELLO))
            for name, path in (("small", small), ("big", big)):
                runs[name].append(run_timed(OPEN, path))
            in_app.append(run_timed(IN_APP, small, big).report)
        indexed = index_seconds(big)
        size = os.path.getsize(big)
    scapy = any(t.scapy for name in ("small", "big") for t in runs[name])
    print(
        f"time to first screen, {SIZE[0]}×{SIZE[1]} pty, median of {args.runs} cold starts ({bytecode}); "
        f"load {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"  {'':<30} {'wall clock':>10}  {'':<18} {'ratio':>6}   {'CPU':>6}  {'ratio':>6}")
    hello = statistics.median(t.seconds for t in runs["hello"])
    hello_cpu = statistics.median(t.cpu for t in runs["hello"])
    for name, label in (
        ("hello", "textual hello world"),
        ("small", "workbench open, 1,000 frames"),
        ("big", f"workbench open, {size / 1e6:.0f} MB"),
    ):
        wall = [t.seconds for t in runs[name]]
        median, cpu = statistics.median(wall), statistics.median(t.cpu for t in runs[name])
        print(
            f"  {label:<30} {median * 1000:7.0f} ms  (min {min(wall) * 1000:4.0f}, max {max(wall) * 1000:4.0f})  "
            f"{median / hello:5.2f}×   {cpu * 1000:4.0f} ms  {cpu / hello_cpu:5.2f}×"
        )
    seconds = [r["seconds"] for r in in_app]
    print(
        f"  o in the app: Enter to the {size / 1e6:.0f} MB capture's first paint "
        f"{statistics.median(seconds) * 1000:.0f} ms (min {min(seconds) * 1000:.0f}, max {max(seconds) * 1000:.0f}), "
        f"{statistics.median(r['cpu_seconds'] for r in in_app) * 1000:.0f} ms CPU"
    )
    print(f"  scapy imported before the first screen: {'YES (fix it)' if scapy else 'no'}")
    print(
        f"  whole file indexed in the background in {indexed:.2f} s ({size / indexed / 1e6:.0f} MB/s)"
    )
    big_median = statistics.median(t.seconds for t in runs["big"])
    print(f"  first screen of the big capture under 0.5 s: {'yes' if big_median < 0.5 else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
