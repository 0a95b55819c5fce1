"""What a lab costs when nothing happens, and how long the default lab takes to build.

  idle CPU   the app on the default lab, playing (space pressed) with nothing to do, on a
             pseudo-terminal as a person runs it: CPU seconds per wall second of the process
             over `--seconds`, beside a bare Textual "hello world" idling the same way. Aim:
             under 2% of a core (it was 31–38% when the clock ticked 30 times a second).
  lab build  a fresh interpreter importing the stack and building the default lab (what
             `workbench run` pays before the first event), beside `python -c pass`. Aim ≤ 150 ms.
             Measured as installed, with the bytecode cache warm (pip writes it; Python writes
             it on the first run), and again compiling the project's source each time, which
             is what every run pays under PYTHONDONTWRITEBYTECODE=1 (this machine's sessions
             set it, and earlier figures included it). The cache goes to a temporary
             PYTHONPYCACHEPREFIX, so the benchmark writes nothing in the checkout.
             Beside it, a whole `workbench run -q --do "pc: ping 8.8.8.8 -c 1"` process.
             `--before DIR` takes turns with another checkout (the code before a change).

    python benchmarks/idle.py [--seconds 20] [--runs 7] [--idle-runs 3] [--before DIR]
    python benchmarks/idle.py --build-only --before DIR

Figures are medians; the machine is shared, so `uptime`'s load is printed with them.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.startup import HELLO, _set_size  # noqa: E402

APP = "from stack.labs import load_lab\nfrom workbench.app import WorkbenchApp\nWorkbenchApp(load_lab('default')).run()\n"
# A whole headless run of one ping, command line included: what the imports cost a person.
RUN = "from workbench.cli import main\nmain(['run', '-q', '--do', 'pc: ping 8.8.8.8 -c 1'])\n"
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


def build_env(root: Path, cache: str, compiled: bool) -> dict[str, str]:
    """The child's environment: `root` on the path, bytecode under `cache`; `compiled` False
    drops the cached bytecode of `root`'s own modules and forbids writing it again."""
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not compiled:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        shutil.rmtree(cache + str(root), ignore_errors=True)  # the prefix mirrors the path
    return env


def build_time(code: str, root: Path, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env
    )
    return float(out.stdout.strip() or 0)


def wall(code: str, root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, capture_output=True, env=env)
    return time.perf_counter() - start


def measure_builds(runs: int, before: Path | None) -> None:
    trees = {"this checkout": ROOT} | ({f"before ({before})": before} if before else {})
    with tempfile.TemporaryDirectory() as cache:
        for compiled, title in ((True, "bytecode cached"), (False, "compiling the source")):
            builds: dict[str, list[float]] = {name: [] for name in trees}
            processes: dict[str, list[float]] = {name: [] for name in trees}
            pings: dict[str, list[float]] = {name: [] for name in trees}
            bare = []
            envs = {name: build_env(root, cache, compiled) for name, root in trees.items()}
            for name, root in trees.items():  # warms the disk cache, and the bytecode cache
                build_time(BUILD, root, envs[name])
            for _ in range(runs):  # taking turns, so drift in the machine hits each alike
                bare.append(wall("pass", ROOT, envs["this checkout"]))
                for name, root in trees.items():
                    builds[name].append(build_time(BUILD, root, envs[name]))
                    processes[name].append(wall(BUILD, root, envs[name]))
                    pings[name].append(wall(RUN, root, envs[name]))
            pass_ms = statistics.median(bare) * 1000
            print(
                f"  default lab build, {title}, medians of {runs}  (aim ≤ 150 ms; python -c pass: {pass_ms:.0f} ms)"
            )
            mine = statistics.median(builds["this checkout"])
            for name in trees:
                build, whole = statistics.median(builds[name]), statistics.median(processes[name])
                spread = f"{min(builds[name]) * 1000:.0f}–{max(builds[name]) * 1000:.0f}"
                ratio = f", {build / mine:.2f}× this checkout" if name != "this checkout" else ""
                ping = statistics.median(pings[name])
                print(
                    f"    {name:40s} in-process {build * 1000:5.0f} ms ({spread}), whole process {whole * 1000:5.0f} ms{ratio}; "
                    f"`workbench run` of one ping {ping * 1000:5.0f} ms"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--idle-runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout to take turns with")
    parser.add_argument("--build-only", action="store_true", help="skip the idle CPU runs")
    args = parser.parse_args()
    if args.before and not (args.before / "stack" / "labs").is_dir():
        parser.error(f"{args.before} is not a checkout of this project (no stack/labs in it)")
    print(f"Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.2f} at start")
    measure_builds(args.runs, args.before)
    if args.build_only:
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        return 0
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
