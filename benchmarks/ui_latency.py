"""Key-to-screen latency while the workbench is flooded with 10,000 frames a second.

    python benchmarks/ui_latency.py [--rate 10000] [--keys 40] [--size 160x48]

The app runs as a person runs it — its own process, a real terminal driver on a
pseudo-terminal — on the default lab, playing at 1×. Inside it a load generator injects
`--rate` frames per second of virtual time onto the `lan` segment through the session
(`Session.inject`, as a TAP device or the crafter would): UDP to a MAC no NIC owns, so every
frame is recorded, decoded for the packet list and heard and dropped by six NICs — seven trace
events per frame, 70,000 a second at the default rate.

This process presses keys on the terminal and times each until the screen shows its effect:
`+` until the status bar reads "2×", `-` until it reads "1×" again (the status bar
is repainted all the time, so the first paint carrying the new speed is the moment the person
sees it). The app also reports how late its event loop ever ran (a 5 ms heartbeat): that is
"never blocked". Aim: key-to-screen under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time

ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[PX^_].*?\x1b\\|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]|\x1b[=>78cDEHM]"
)


# --- the app side ------------------------------------------------------------------------------


def child(rate: int, stats_path: str) -> None:
    import asyncio
    from ipaddress import IPv4Address

    from stack.labs import load_lab
    from stack.wire.ethernet import ETH_IPV4, Ethernet
    from stack.wire.ipv4 import PROTO_UDP, IPv4
    from stack.wire.mac import MAC
    from stack.wire.udp import UDP
    from workbench.app import WorkbenchApp
    from workbench.screens.main import MainScreen

    src, dst = IPv4Address("192.168.1.200"), IPv4Address("192.168.1.201")
    frames = []
    for i in range(64):
        udp = UDP.make(src, dst, 40000 + i, 5000 + i, f"load {i:02d} ".encode() * 4)
        ip = IPv4.make(src, dst, PROTO_UDP, udp.build(), ident=i)
        frames.append(
            Ethernet.make(
                MAC("02:00:00:00:00:99"), MAC("02:00:00:00:00:98"), ETH_IPV4, ip.build()
            ).build()
        )

    stats = {"lags": [], "injected": 0, "gc": []}
    gc_started = {}

    def gc_watch(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[info["generation"]] = time.perf_counter()
        elif info["generation"] in gc_started:
            stats["gc"].append(
                (info["generation"], time.perf_counter() - gc_started.pop(info["generation"]))
            )

    import gc

    gc.callbacks.append(gc_watch)
    batch = max(1, rate // 1000)  # frames per millisecond of virtual time
    period = batch / rate

    def start(screen: MainScreen) -> None:
        session = screen.session
        clock = session.clock

        def inject() -> None:
            for _ in range(batch):
                session.inject("lan", frames[stats["injected"] % 64], "load gen")
                stats["injected"] += 1
            clock.call_later(period, inject)

        clock.call_soon(inject)
        session.toggle_play()
        stats["started_wall"] = time.monotonic()
        stats["started_virtual"] = clock.now()
        asyncio.get_running_loop().create_task(heartbeat())

        def stop() -> None:
            stats["ended_wall"] = time.monotonic()
            stats["ended_virtual"] = clock.now()
            stats["frames"] = len(session.trace.frames)
            stats["events"] = session.emitted
            with open(stats_path, "w") as out:
                json.dump(stats, out)

        screen.app.stats_stop = stop

    async def heartbeat() -> None:
        beat = 0.005
        while True:
            before = time.monotonic()
            await asyncio.sleep(beat)
            stats["lags"].append(time.monotonic() - before - beat)

    mounted = MainScreen.on_mount

    def on_mount(self: MainScreen) -> None:
        mounted(self)
        self.call_after_refresh(start, self)

    MainScreen.on_mount = on_mount

    class BenchApp(WorkbenchApp):
        BINDINGS = [*WorkbenchApp.BINDINGS, ("ctrl+t", "finish", "finish the benchmark")]

        def action_finish(self) -> None:
            self.stats_stop()
            self.exit()

    BenchApp(load_lab("default")).run()


# --- the person's side -------------------------------------------------------------------------


class Terminal:
    def __init__(self, argv: list[str], cols: int, rows: int) -> None:
        import fcntl
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.pending = b""

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 1 << 20)
        except OSError:
            return b""

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.read(0.01)
        self.pending = b""

    def press(self, key: bytes, marker: bytes, timeout: float = 5.0) -> float:
        """Send `key`; seconds until the screen output carries `marker` (ANSI codes removed)."""
        self.drain(0)
        sent = time.monotonic()
        os.write(self.master, key)
        text = b""
        while time.monotonic() - sent < timeout:
            chunk = self.read(0.005)
            if chunk:
                text += chunk
                if marker in ANSI.sub(b"", text):
                    return time.monotonic() - sent
        raise TimeoutError(f"{marker!r} did not appear within {timeout} s of pressing {key!r}")

    def wait_for(self, marker: bytes, timeout: float = 20.0) -> None:
        start = time.monotonic()
        text = b""
        while time.monotonic() - start < timeout:
            text += self.read(0.05)
            if marker in ANSI.sub(b"", text):
                return
        raise TimeoutError(f"the app did not show {marker!r} within {timeout} s")

    def close(self) -> None:
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.master)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rate", type=int, default=10_000, help="frames per second of virtual time (played at 1×)"
    )
    parser.add_argument("--keys", type=int, default=40, help="key presses to time")
    parser.add_argument(
        "--size", default="160x48", help="terminal COLSxROWS (160x48: every pane on screen)"
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of flood before the first key"
    )
    parser.add_argument("--child", metavar="STATS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rate, args.child)
        return 0
    cols, rows = (int(n) for n in args.size.split("x"))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = os.path.join(tmp, "stats.json")
        term = Terminal(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--rate",
                str(args.rate),
                "--child",
                stats_path,
            ],
            cols,
            rows,
        )
        os.chdir(root)
        term.wait_for(b"playing")
        term.drain(args.warmup)
        latencies = []
        for i in range(args.keys):
            key, marker = (b"+", " 2× ".encode()) if i % 2 == 0 else (b"-", " 1× ".encode())
            latencies.append(term.press(key, marker))
            term.drain(0.1)
        os.write(term.master, b"\x14")  # ctrl+t: the app writes its numbers and quits
        term.drain(0.5)
        term.close()
        with open(stats_path) as fh:
            stats = json.load(fh)
    wall = stats["ended_wall"] - stats["started_wall"]
    virtual = stats["ended_virtual"] - stats["started_virtual"]
    lags = sorted(stats["lags"])
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"flood: {args.rate:,} frames per virtual second on lan, played at 1× (half the timed keys at 2×), {cols}×{rows}"
    )
    print(
        f"  achieved: {stats['injected'] / wall:,.0f} frames/s and {stats['events'] / wall:,.0f} trace events/s of wall time "
        f"over {wall:.1f} s (virtual time ran at {virtual / wall:.2f}× of wall time)"
    )
    print(
        f"key-to-screen over {len(ms)} key presses: median {statistics.median(ms):.0f} ms, "
        f"p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms"
    )
    print(
        f"event loop lateness (5 ms heartbeat, {len(lags):,} beats): median {statistics.median(lags) * 1000:.1f} ms, "
        f"p99 {lags[int(0.99 * (len(lags) - 1))] * 1000:.1f} ms, max {lags[-1] * 1000:.1f} ms"
    )
    ok = statistics.median(ms) < 100
    full = [d for g, d in stats["gc"] if g == 2]
    print(
        f"garbage collector: {len(stats['gc']):,} collections, {len(full)} full, longest full {max(full, default=0) * 1000:.0f} ms, "
        f"longest of any {max((d for _, d in stats['gc']), default=0) * 1000:.0f} ms"
    )
    print(f"aim (median under 100 ms): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
