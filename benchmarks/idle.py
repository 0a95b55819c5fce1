"""What a lab costs when nothing happens, and how long the default lab takes to build.

  idle CPU   the app on the default lab, playing (space pressed) with nothing to do, on a
             pseudo-terminal as a person runs it: CPU seconds per wall second of the process
             over `--seconds`, beside a bare Textual "hello world" idling the same way. Aim:
             under 2% of a core (it was 31–38% when the clock ticked 30 times a second).
  lab build  a fresh interpreter importing the stack and building the default lab (what
             `workbench run` pays before the first event), beside `python -c pass`. Aim ≤ 150 ms.

    python benchmarks/idle.py [--seconds 20] [--runs 7] [--idle-runs 3]

Figures are medians; the machine is shared, so `uptime`'s load is printed with them.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.startup import HELLO, _set_size  # noqa: E402

APP = "from stack.labs import load_lab\nfrom workbench.app import WorkbenchApp\nWorkbenchApp(load_lab('default')).run()\n"
BUILD = "import time; t = time.perf_counter()\nfrom stack.labs import build_network, load_lab\nbuild_network(load_lab('default'))\nprint(time.perf_counter() - t)\n"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(code: str, seconds: float, keys: bytes = b"") -> float:
    """Fraction of a core the app uses once started (and `keys` pressed), over `seconds`."""
    master, slave = pty.openpty()
    _set_size(slave, 160, 48)
    env = dict(os.environ, TERM="xterm-256color", PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        cwd=ROOT,
    )
    os.close(slave)
    try:
        _drain(master, 4.0)  # start-up, first paint, vendor lookups
        if keys:
            os.write(master, keys)
            _drain(master, 1.0)
        start_cpu, start = cpu_seconds(child.pid), time.monotonic()
        _drain(master, seconds)
        return (cpu_seconds(child.pid) - start_cpu) / (time.monotonic() - start)
    finally:
        child.kill()  # our own child, by its PID
        child.wait()
        os.close(master)


def _drain(master: int, seconds: float) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([master], [], [], min(left, 0.1))
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                return


def build_time(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    return float(out.stdout.strip() or 0)


def wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--idle-runs", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.2f} at start")
    builds = [build_time(BUILD) for _ in range(args.runs)]
    processes = [wall(BUILD) for _ in range(args.runs)]
    bare = [wall("pass") for _ in range(args.runs)]
    print(
        f"  default lab build (imports + build), in-process: {statistics.median(builds) * 1000:6.0f} ms median of {args.runs}  (aim ≤ 150 ms)"
    )
    print(
        f"  the same as a whole process:                     {statistics.median(processes) * 1000:6.0f} ms  (python -c pass: {statistics.median(bare) * 1000:.0f} ms)"
    )
    # Medians of a few runs each, interleaved: one run on a shared machine can catch a burst.
    hellos, apps = [], []
    for _ in range(args.idle_runs):
        hellos.append(
            idle_cpu(HELLO.replace("self.call_after_refresh(self.report)", "pass"), args.seconds)
        )
        apps.append(idle_cpu(APP, args.seconds, b" "))
    app, hello = statistics.median(apps), statistics.median(hellos)
    runs = ", ".join(f"{a * 100:.1f}" for a in apps)
    print(
        f"  idle CPU, app playing the default lab:  {app * 100:5.1f}% of a core, median of {args.idle_runs} × {args.seconds:.0f} s ({runs})  (aim < 2%)"
    )
    print(f"  idle CPU, bare Textual hello world:     {hello * 100:5.1f}% of a core")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
