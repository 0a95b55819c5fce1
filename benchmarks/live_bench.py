"""Live figures: the workbench against the Linux kernel over a TAP device, side by side with the
kernel talking to itself over a veth pair between two namespaces (the reference on this box).

Measured, in one run:
  ping RTT p50/p99         kernel `ping` to the other side at 500 pings a second (and the
                           workbench's own ping back), beside a bare-Python floor: a dozen
                           lines of asyncio answering ARP and ICMP echo on a TAP device
  TCP goodput              kernel → other side and other side → kernel, plain sockets on the
                           kernel's side (tests/live/peer.py), the callback API on ours
  1-byte request/response  median and p99 of a 1-byte echo over TCP (Nagle off), both ways

The workbench runs in this process on the asyncio loop with the RealtimeClock, as
`workbench run --tap … > trace.txt` does: the trace with its default window (older frames
spilled to disk), the text trace written to a file (by a child process, stack.writers.forked),
and the SteadyGC pacer (`--no-trace-file` leaves the writer out, as `-q` does). The CPU row is
the workbench's own process during each transfer (not the child writing the text). `--keep-events` keeps every event as the app does; `--lab minimal` puts one
host on the bus instead of the default lab's six hosts and a router (every frame on a bus goes
to every NIC); `--profile` prints where the time goes during the kernel → workbench transfer.

Needs root (CAP_NET_ADMIN) for namespaces and TAP devices; everything it makes lives in its
own namespaces, and is removed at the end.

    python benchmarks/live_bench.py [--lab default|minimal] [--keep-events] [--mb 50] [--repeat 3] [--profile]
        [--repo CHECKOUT]   (another checkout's workbench code: turns with the code before)
        [--ping-only]       (the ping rows alone: kernel, workbench and bare-Python floor)

The machine should be otherwise idle: on a shared two-CPU box the goodputs moved 2–3× between
runs when other jobs ran, which is why each figure is the median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--repo" in sys.argv[:-1]:  # another checkout's code, for turns with the code before
    ROOT = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from stack.clock import RealtimeClock  # noqa: E402
from stack.labs import build_network, load_lab  # noqa: E402
from stack.labs.build import attach_taps, with_taps  # noqa: E402
from stack.labs.load import parse_lab  # noqa: E402
from stack.trace import Trace  # noqa: E402
from tests.live.peer import payload  # noqa: E402
from tests.live.streams import Echo, Sink, Source, peer_argv  # noqa: E402
from workbench.live import SteadyGC  # noqa: E402
from workbench.shell import prepare  # noqa: E402

KERNEL = "192.168.1.50"
PC = "192.168.1.100"
MINIMAL = """
name = "minimal"
[segments.lan]
subnet = "192.168.1.0/24"
[hosts.pc]
segment = "lan"
address = "192.168.1.100/24"
mac = "00:1b:21:3a:4f:64"
"""
PINGS = 1000
PING_INTERVAL = "0.002"  # 500 pings a second
EXCHANGES = 2000


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=600)


def in_ns(ns: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ping_times(output: str) -> list[float]:
    return [float(m) / 1000 for m in re.findall(r"time=([\d.]+) ms", output)]


class GcPauses:
    """Every collection's duration by generation, from CPython's gc callbacks."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._start))

    def summary(self) -> str:
        parts = []
        for gen in (0, 1, 2):
            d = [p for g, p in self.pauses if g == gen]
            if d:
                parts.append(f"gen{gen}: {len(d)}× max {max(d) * 1000:.1f} ms")
        return "; ".join(parts)


def mbps(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6 if seconds > 0 else float("inf")


# --- the kernel talking to itself ------------------------------------------------------------


def kernel_reference(nbytes: int, ping_only: bool = False) -> dict:
    a, b = f"wbbench-a{os.getpid()}", f"wbbench-b{os.getpid()}"
    out: dict = {}
    sh("ip", "netns", "add", a)
    sh("ip", "netns", "add", b)
    try:
        sh("ip", "-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b)
        sh("ip", "-n", a, "addr", "add", "10.77.0.1/24", "dev", "va")
        sh("ip", "-n", b, "addr", "add", "10.77.0.2/24", "dev", "vb")
        for ns, dev in ((a, "va"), (b, "vb")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh(*in_ns(a, "ping", "-c", "2", "-W", "2", "10.77.0.2"))  # neighbours resolved
        rtts = ping_times(
            sh(*in_ns(a, "ping", "-c", str(PINGS), "-i", PING_INTERVAL, "10.77.0.2")).stdout
        )
        out["ping"] = rtts
        if ping_only:
            return out
        for name, src, dst, dst_ip in (("in", a, b, "10.77.0.2"), ("out", b, a, "10.77.0.1")):
            recv = subprocess.Popen(
                in_ns(dst, *peer_argv("recv", dst_ip, 5001)), stdout=subprocess.PIPE, text=True
            )
            try:
                recv.stdout.readline()
                sh(*in_ns(src, *peer_argv("send", dst_ip, 5001, nbytes, 1)))
                got = json.loads(recv.stdout.readline())
                out[f"goodput_{name}"] = mbps(got["bytes"], got["seconds"])
            finally:
                recv.kill()
                recv.wait()
        echo = subprocess.Popen(
            in_ns(b, *peer_argv("echo", "10.77.0.2", 7)), stdout=subprocess.PIPE, text=True
        )
        try:
            echo.stdout.readline()
            got = json.loads(
                sh(*in_ns(a, *peer_argv("pingpong", "10.77.0.2", 7, EXCHANGES))).stdout
            )
            out["rr_in"] = out["rr_out"] = got["seconds"]
        finally:
            echo.kill()
            echo.wait()
    finally:
        sh("ip", "netns", "del", a, check=False)
        sh("ip", "netns", "del", b, check=False)
    return out


# --- the workbench --------------------------------------------------------------------------


class PingPong:
    """The workbench as the client of a 1-byte echo: send, wait for the byte, again."""

    def __init__(self, host, dest, count: int) -> None:
        self.clock = host.clock
        self.count = count
        self.times: list[float] = []
        self.done = asyncio.get_running_loop().create_future()
        self.conn = host.tcp.connect(dest, on_connected=self._send)
        self.conn.nagle = False
        self.conn.delayed_ack = False
        self.conn.on_data = self._data

    def _send(self) -> None:
        self._t = time.perf_counter()
        self.conn.send(b"x")

    def _data(self, data: bytes) -> None:
        self.times.append(time.perf_counter() - self._t)
        if len(self.times) >= self.count:
            self.conn.close()
            if not self.done.done():
                self.done.set_result(self.times)
        else:
            self._send()


async def _ns_run(ns: str, *argv: str, timeout: float = 600) -> str:
    proc = await asyncio.create_subprocess_exec(
        *in_ns(ns, *argv), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {err.decode().strip()}")
    return out.decode()


async def _ns_server(ns: str, *argv: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(*in_ns(ns, *argv), stdout=asyncio.subprocess.PIPE)
    await asyncio.wait_for(proc.stdout.readline(), 30)  # {"listening": …}
    return proc


ECHO_FLOOR = "192.168.1.100"


async def python_floor() -> list[float]:
    """The kernel pinging a bare asyncio responder on a TAP device: the floor for any Python."""
    import struct

    from stack.link.tap_device import TapDevice

    ns = f"wbbench-f{os.getpid()}"
    name = f"wbbf{os.getpid() % 100000}"
    sh("ip", "netns", "add", ns)
    loop = asyncio.get_running_loop()
    mine = bytes.fromhex("021b213a4f64")
    me = bytes(int(x) for x in ECHO_FLOOR.split("."))
    try:
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        for key in ("all", "default"):
            sh(*in_ns(ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"))
        try:
            device = TapDevice.open(name, netns=ns, offload=False)  # bare frames, as read
        except TypeError:  # --repo: code from before the offloads
            device = TapDevice.open(name, netns=ns)
        fd = device.fd

        def answer() -> None:
            while True:
                try:
                    f = os.read(fd, 65536)
                except BlockingIOError:
                    return
                if (
                    f[12:14] == b"\x08\x06" and f[38:42] == me and f[20:22] == b"\x00\x01"
                ):  # ARP who-has me
                    os.write(
                        fd,
                        f[6:12]
                        + mine
                        + b"\x08\x06"
                        + f[14:20]
                        + b"\x00\x02"
                        + mine
                        + me
                        + f[22:28]
                        + f[28:32],
                    )
                elif (
                    f[12:14] == b"\x08\x00" and f[23] == 1 and f[30:34] == me and f[34] == 8
                ):  # echo request to me
                    icmp = 14 + (f[14] & 15) * 4
                    csum = (
                        struct.unpack_from("!H", f, icmp + 2)[0] + 0x0800
                    )  # type 8 → 0 (RFC 1624)
                    csum = (csum & 0xFFFF) + (csum >> 16)
                    os.write(
                        fd,
                        f[6:12]
                        + mine
                        + f[12:14]
                        + f[14:26]
                        + f[30:34]
                        + f[26:30]
                        + f[34:icmp]
                        + b"\x00"
                        + f[icmp + 1 : icmp + 2]
                        + struct.pack("!H", csum)
                        + f[icmp + 4 :],
                    )

        loop.add_reader(fd, answer)
        try:
            sh("ip", "-n", ns, "addr", "add", f"{KERNEL}/24", "dev", name)
            sh("ip", "-n", ns, "link", "set", name, "up")
            await _ns_run(ns, "ping", "-c", "2", "-W", "2", ECHO_FLOOR)
            return ping_times(
                await _ns_run(ns, "ping", "-c", str(PINGS), "-i", PING_INTERVAL, ECHO_FLOOR)
            )
        finally:
            loop.remove_reader(fd)
            device.close()
    finally:
        sh("ip", "netns", "del", ns, check=False)


async def workbench_figures(
    lab: str,
    keep_events: bool,
    nbytes: int,
    profile: bool,
    trace_file: bool = True,
    ping_only: bool = False,
) -> dict:
    ns = f"wbbench-k{os.getpid()}"
    tap = f"wbbt{os.getpid() % 100000}"
    out: dict = {}
    sh("ip", "netns", "add", ns)
    loop = asyncio.get_running_loop()
    steady = SteadyGC(loop)
    pauses = GcPauses()
    try:
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        for key in ("all", "default"):
            sh(*in_ns(ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"))
        spec = parse_lab(MINIMAL, "minimal.toml") if lab == "minimal" else load_lab(lab)
        spec = with_taps(spec, {"lan": tap})
        clock = RealtimeClock(loop)
        trace = Trace(clock, keep_events=keep_events)
        net = build_network(spec, clock, trace, live=True)
        text_file = None
        if trace_file:
            import tempfile

            from stack.writers.deferred import Deferred
            from stack.writers.text import TextWriter

            try:
                from stack.writers.forked import Forked
            except ImportError:  # --repo: code from before the child writer
                Forked = type(None)

            text_file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed below
            # As workbench run --tap writes it: formatted by a child process.
            writer = TextWriter(text_file)
            text = (Forked.start(writer, loop) if Forked is not type(None) else None) or Deferred(
                writer, loop
            )
            stop_text = trace.subscribe(text)
        taps = attach_taps(net, netns=ns)
        pc = net.host("pc")
        try:
            sh("ip", "-n", ns, "addr", "add", f"{KERNEL}/24", "dev", tap)
            await _ns_run(ns, "ping", "-c", "2", "-W", "2", PC)
            out["ping"] = ping_times(
                await _ns_run(ns, "ping", "-c", str(PINGS), "-i", PING_INTERVAL, PC)
            )
            ours = prepare(net, f"pc: ping {KERNEL} -c {PINGS} -i {PING_INTERVAL}").start().start()
            finished = loop.create_future()
            ours.when_done(lambda _p: finished.set_result(None))
            await asyncio.wait_for(finished, 120)
            out["ping_ours"] = ours.rtts
            out["frames"] = len(net.trace.frames)
            out["gc"] = pauses.summary()
            if ping_only:
                return out

            # kernel → workbench
            sink = Sink(pc, 5001)
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            cpu = time.process_time()
            await _ns_run(ns, *peer_argv("send", PC, 5001, nbytes, 1))
            got, _digest = await asyncio.wait_for(sink.done, 120)
            out["cpu_in"] = (time.process_time() - cpu) / (nbytes / 1e6)
            if profiler:
                profiler.disable()
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
                out["profile"] = text.getvalue()
            out["goodput_in"] = mbps(got, sink.last - sink.first)
            sink.close()

            # workbench → kernel
            recv = await _ns_server(ns, *peer_argv("recv", KERNEL, 5002))
            cpu = time.process_time()
            source = Source(pc, (IPv4Address(KERNEL), 5002), payload(nbytes, 2))
            line, _ = await asyncio.wait_for(recv.communicate(), 300)
            out["cpu_out"] = (time.process_time() - cpu) / (nbytes / 1e6)
            got = json.loads(line)
            assert got["bytes"] == nbytes, got
            out["goodput_out"] = mbps(got["bytes"], got["seconds"])
            await asyncio.wait_for(source.done, 60)

            # 1-byte request/response: the kernel asks, the workbench echoes …
            echo = Echo(pc, 7)
            got = json.loads(await _ns_run(ns, *peer_argv("pingpong", PC, 7, EXCHANGES)))
            out["rr_in"] = got["seconds"]
            echo.close()
            # … and the workbench asks, the kernel echoes.
            server = await _ns_server(ns, *peer_argv("echo", KERNEL, 8))
            client = PingPong(pc, (IPv4Address(KERNEL), 8), EXCHANGES)
            out["rr_out"] = await asyncio.wait_for(client.done, 120)
            await asyncio.wait_for(server.wait(), 30)
            out["frames"] = len(net.trace.frames)
            out["gc"] = pauses.summary()
        finally:
            taps.close()
            trace.close()
            if text_file is not None:
                stop_text()
                text.close() if isinstance(text, Forked) else text.flush()
                out["trace_bytes"] = os.fstat(text_file.fileno()).st_size
                text_file.close()
    finally:
        steady.stop()
        sh("ip", "netns", "del", ns, check=False)
    return out


# --- the table ------------------------------------------------------------------------------


def pooled(runs: list[dict]) -> dict:
    """Latency samples of every run together; goodputs as the median run (with the spread)."""
    out: dict = {}
    for key, value in runs[0].items():
        values = [r[key] for r in runs]
        if isinstance(value, list):
            out[key] = [v for run in values for v in run]
        elif isinstance(value, float):
            out[key] = statistics.median(values)
            out[key + "_range"] = (min(values), max(values))
        else:
            out[key] = value if len(runs) == 1 else " | ".join(map(str, values))
    return out


def rate(d: dict, key: str, digits: int) -> str:
    lo, hi = d.get(key + "_range", (d[key], d[key]))
    spread = f" ({lo:.{digits}f}–{hi:.{digits}f})" if hi - lo > 0 else ""
    return f"{d[key]:.{digits}f} MB/s{spread}"


def report(ref: dict, wb: dict, args) -> str:
    ms = lambda s: f"{s * 1000:.3f} ms"  # noqa: E731
    floor = wb.get("floor") or [float("nan")]
    ratio = pct(wb["ping"], 0.5) / pct(floor, 0.5)
    rows = [
        (
            "ping RTT p50, 500/s (kernel's ping)",
            ms(pct(ref["ping"], 0.5)),
            f"{ms(pct(wb['ping'], 0.5))} ({ratio:.1f}× the Python floor)",
            "≤ 0.2 ms, ≤ 3× floor",
            "0.89 ms (avg)",
        ),
        (
            "ping RTT p99, 500/s (kernel's ping)",
            ms(pct(ref["ping"], 0.99)),
            ms(pct(wb["ping"], 0.99)),
            "",
            "",
        ),
        (
            "ping RTT p50 / p99, bare-Python TAP echo",
            "",
            f"{ms(pct(floor, 0.5))} / {ms(pct(floor, 0.99))}",
            "",
            "",
        ),
        (
            "ping RTT p50 / p99 (workbench's ping)",
            "",
            f"{ms(pct(wb['ping_ours'], 0.5))} / {ms(pct(wb['ping_ours'], 0.99))}",
            "",
            "",
        ),
    ]
    if "goodput_in" not in wb:  # --ping-only
        rows = rows[:4]
    else:
        rows += [
            (
                "TCP goodput kernel → other side",
                rate(ref, "goodput_in", 0),
                rate(wb, "goodput_in", 1),
                "≥ 40 MB/s",
                "1.6 MB/s",
            ),
            (
                "TCP goodput other side → kernel",
                rate(ref, "goodput_out", 0),
                rate(wb, "goodput_out", 1),
                "≥ 20 MB/s",
                "0.74 MB/s",
            ),
            (
                "CPU of the workbench's process per MB, in / out",
                "",
                f"{wb['cpu_in'] * 1000:.0f} / {wb['cpu_out'] * 1000:.0f} ms",
                "",
                "",
            ),
            (
                "1-byte req/resp median, kernel asks",
                ms(statistics.median(ref["rr_in"])),
                ms(statistics.median(wb["rr_in"])),
                "≤ 0.5 ms",
                "2.2–2.8 ms",
            ),
            (
                "1-byte req/resp p99, kernel asks",
                ms(pct(ref["rr_in"], 0.99)),
                ms(pct(wb["rr_in"], 0.99)),
                "",
                "",
            ),
            (
                "1-byte req/resp median, workbench asks",
                "",
                ms(statistics.median(wb["rr_out"])),
                "",
                "",
            ),
        ]
    head = (
        "",
        "kernel ↔ kernel (veth)",
        f"kernel ↔ workbench ({args.lab} lab, TAP)",
        "aim",
        "PyTCP 3.0.9",
    )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(5)]

    def line(r):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]
    out.append("")
    out.append(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs ({_cpu()}), "
        f"kernel {platform.release()}, load average {os.getloadavg()[0]:.1f}; {args.repeat} runs; {args.mb} MB per transfer, {PINGS} pings and {EXCHANGES} exchanges per run; "
        f"trace: {'every event kept' if args.keep_events else 'frames only'}, {'text trace written to a file' if not args.no_trace_file else 'no text trace'}; frames recorded per run: {wb['frames']}"
    )
    out.append(f"garbage collections during the workbench run: {wb['gc']}")
    out.append(f"workbench code: {Path(sys.modules['stack'].__file__).parent.parent}")
    return "\n".join(out)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lab", default="default", choices=["default", "minimal"])
    p.add_argument("--keep-events", action="store_true")
    p.add_argument(
        "--no-trace-file",
        action="store_true",
        help="do not write the text trace (as workbench run -q)",
    )
    p.add_argument("--mb", type=int, default=50)
    p.add_argument(
        "--ping-only", action="store_true", help="the ping rows only (no transfers, no exchanges)"
    )
    p.add_argument(
        "--repo", help="run the workbench code of another checkout (turns with the code before)"
    )
    p.add_argument("--profile", action="store_true")
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs to pool: medians of the goodputs, all samples of the latencies",
    )
    args = p.parse_args()
    if os.geteuid() != 0:
        print("live_bench: needs root (network namespaces, TAP devices)", file=sys.stderr)
        return 2
    nbytes = args.mb * 1_000_000
    refs, wbs = [], []
    for i in range(args.repeat):
        refs.append(kernel_reference(nbytes, args.ping_only))
        wbs.append(
            asyncio.run(
                workbench_figures(
                    args.lab,
                    args.keep_events,
                    nbytes,
                    args.profile and i == 0,
                    not args.no_trace_file,
                    args.ping_only,
                )
            )
        )
        wbs[-1]["floor"] = asyncio.run(python_floor())
        last = wbs[-1]
        pings = f"ping p50 {pct(last['ping'], 0.5) * 1000:.3f} ms, floor {pct(last['floor'], 0.5) * 1000:.3f} ms, kernel {pct(refs[-1]['ping'], 0.5) * 1000:.3f} ms"
        moved = (
            f", workbench in {last['goodput_in']:.1f} MB/s, out {last['goodput_out']:.1f} MB/s"
            if "goodput_in" in last
            else ""
        )
        print(
            f"run {i + 1}/{args.repeat} (load {os.getloadavg()[0]:.1f}): {pings}{moved}",
            file=sys.stderr,
        )
    ref, wb = pooled(refs), pooled(wbs)
    print(report(ref, wb, args))
    if args.profile:
        print("\nkernel → workbench transfer, by own time:\n" + wb["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
