"""Time to first screen: the workbench on the default lab against a bare Textual "hello world",
side by side, each started cold in a fresh interpreter on a pseudo-terminal, as a person starts
it — imports, building the lab, the first full paint of the main screen.

    python benchmarks/startup.py [--runs 7] [--compile-each-start]

The clock starts just before the process is spawned and stops when the app's first screen has
been painted (`call_after_refresh` from the screen's mount), read from CLOCK_MONOTONIC, which
all processes share. Both read compiled bytecode, as installed (`benchmarks/bytecode.py`;
the warm-up runs write it). The child also reports whether scapy was imported by then (it
must not be: it costs 0.2–1.3 s; the dissector and the vendor lookup load it later, in
threads).
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bytecode import add_option, cache_bytecode  # noqa: E402

SIZE = (160, 48)

HELLO = r"""
import json, os, sys, time
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")

    def on_mount(self):
        self.call_after_refresh(self.report)

    def report(self):
        with open(os.environ["STARTUP_REPORT"], "w") as out:
            json.dump({"painted": time.monotonic(), "cpu": time.process_time(), "scapy": "scapy" in sys.modules}, out)
        self.exit()

Hello().run()
"""

WORKBENCH = r"""
import json, os, sys, time
from stack.labs import load_lab
from workbench.app import WorkbenchApp
from workbench.screens.main import MainScreen

mounted = MainScreen.on_mount

def on_mount(self):
    mounted(self)
    self.call_after_refresh(report, self)

def report(screen):
    with open(os.environ["STARTUP_REPORT"], "w") as out:
        json.dump({"painted": time.monotonic(), "cpu": time.process_time(), "scapy": "scapy" in sys.modules}, out)
    screen.app.exit()

MainScreen.on_mount = on_mount
WorkbenchApp(load_lab("default")).run()
"""


class Timing(NamedTuple):
    seconds: float  # wall clock, spawn to first paint
    cpu: float  # the child's CPU seconds by then (what a busy machine inflates least)
    scapy: bool  # scapy was imported by then
    report: dict  # all the child reported


def run_once(code: str, *args: str) -> tuple[float, bool]:
    """Seconds from spawn to first paint, and whether scapy was loaded by then (`args` go to
    the child's sys.argv)."""
    timing = run_timed(code, *args)
    return timing.seconds, timing.scapy


def run_timed(code: str, *args: str) -> Timing:
    """As `run_once`, with the child's CPU time to its first paint (`code` reports "cpu")."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        _set_size(slave, *SIZE)
        env = dict(
            os.environ,
            STARTUP_REPORT=report,
            TERM="xterm-256color",
            COLUMNS=str(SIZE[0]),
            LINES=str(SIZE[1]),
        )
        start = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        _drain_until_exit(master, child)
        os.close(master)
        if child.returncode != 0 or not os.path.exists(report):
            raise RuntimeError(
                f"the app did not report its first screen (exit status {child.returncode})"
            )
        with open(report) as fh:
            data = json.load(fh)
    return Timing(data["painted"] - start, data.get("cpu", float("nan")), data["scapy"], data)


def _set_size(fd: int, cols: int, rows: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _drain_until_exit(master: int, child: subprocess.Popen, timeout: float = 30.0) -> None:
    """Read (and drop) what the app paints, so it never blocks on a full terminal."""
    deadline = time.monotonic() + timeout
    while child.poll() is None:
        if time.monotonic() > deadline:
            child.kill()
            raise RuntimeError("the app took more than 30 s")
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                pass
    child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    add_option(parser)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    bytecode = tempfile.TemporaryDirectory(prefix="startup-bytecode-")
    how = cache_bytecode(bytecode.name, args.compile_each_start)  # the warm-up runs fill it
    results: dict[str, list[float]] = {"hello": [], "workbench": []}
    scapy_seen = False
    run_once(HELLO)  # warm the disk cache for both, so neither pays for it alone
    run_once(WORKBENCH)
    for _ in range(args.runs):  # interleaved, so drift in the machine hits both alike
        results["hello"].append(run_once(HELLO)[0])
        seconds, scapy = run_once(WORKBENCH)
        results["workbench"].append(seconds)
        scapy_seen |= scapy
    hello = statistics.median(results["hello"])
    bench = statistics.median(results["workbench"])
    bytecode.cleanup()
    print(
        f"time to first screen, {SIZE[0]}×{SIZE[1]} pty, median of {args.runs} cold starts ({how})"
    )
    print(
        f"  textual hello world  {hello * 1000:7.0f} ms  (min {min(results['hello']) * 1000:.0f}, max {max(results['hello']) * 1000:.0f})"
    )
    print(
        f"  workbench, default   {bench * 1000:7.0f} ms  (min {min(results['workbench']) * 1000:.0f}, max {max(results['workbench']) * 1000:.0f})"
    )
    print(f"  ratio                {bench / hello:7.2f}×")
    print(f"  scapy imported before the first screen: {'YES (fix it)' if scapy_seen else 'no'}")
    print(f"  under one second: {'yes' if max(results['workbench']) < 1.0 else 'NO'}")
    return 0 if max(results["workbench"]) < 1.0 and not scapy_seen else 1


if __name__ == "__main__":
    sys.exit(main())
