"""Simulated TCP bulk throughput in wall-clock MB/s, with the trace on.

    python benchmarks/tcp_bulk.py                 # 20 MB pc → www on the default lab
    python benchmarks/tcp_bulk.py --mb 5 --text   # also format every event as a trace line
    python benchmarks/tcp_bulk.py --profile       # where the time goes (cProfile, top 25)
    python benchmarks/tcp_bulk.py --floor         # the same frames without TCP, for comparison
    python benchmarks/tcp_bulk.py --ladder 5      # what each part of the trace costs (medians of 5)

The transfer crosses the seed's whole path: pc on the shared `lan` bus (whose four other
hosts each hear every frame and drop it, as NICs on a bus do), gw-a, the `transit` link, gw-b
and `webnet` to www — three segments and two routers, each hop recording the frame and
emitting its events (frame sent with a decoded summary, frame received or dropped, forwarded).
"Trace on" means what a session does: every frame kept and every event object made and kept
(the newest 10,000 frames in memory, older ones in the spill file, which a forked child writes
since 2026-12-04: stack.spill_child); `--text` adds the text writer (to /dev/null) as
`workbench run` uses it: in this process for a run's first 5,000 events, then in a forked
child (stack.writers.fork_when_long). The wall time includes waiting for the children to
finish what they were sent (the trace closed), and their CPU is printed beside ours, with the
MB/s per CPU second of all the processes (`--text-here` keeps every line in this process, as
before 2026-12-04).

The clock is virtual, so the figure is how fast the simulator runs, not the modelled link
speed (100 Mb/s); both are printed. The data is checked byte for byte at the end.

`--ladder` runs the transfer with the trace doing less and less, taking turns: the stack alone
(each frame numbered and each event made, nothing kept: the benchmark replaces the trace's
record and emit calls on that one trace), then the trace's own calls with every frame kept in
memory, then every event kept too, then the window and spill file a session has; each rung's
CPU a frame-hop, and what it adds to the one before.

`--floor` sends the same number of packets of the same sizes as UDP datagrams (a 1,460-byte
one out, an empty one back for every second) with no TCP at all: the difference between the
two wall times is what the TCP engine costs beyond a UDP socket's own per-datagram work (a
UDP value made and built, the source address looked up; on 2026-12-02 the two were about even,
so neither transport is where a bulk transfer's time goes); the rest is the per-hop frame path.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import itertools
import os
import platform
import pstats
import statistics
import sys
import time
from collections import Counter
from ipaddress import IPv4Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install

from stack.labs import build_network, load_lab  # noqa: E402
from stack.writers.text import TextWriter  # noqa: E402

try:
    from stack.writers.fork_when_long import ForkWhenLong  # noqa: E402
except ImportError:  # --repo style runs of code from before it
    ForkWhenLong = None

WWW = IPv4Address("172.194.72.105")
PORT = 5001


# `--ladder`: the same transfer with the trace doing less and less, to say what each part of
# "trace on" costs: nothing kept (the stack's own work: each frame still given its id and each
# event still made as its values, then dropped), the frames kept (in memory, every one), the
# events kept too (in memory), and the trace as a session keeps it (the window, the spill file).
RUNGS = {
    "stack": "the stack alone: no frame or event kept",
    "frames": "+ the trace's calls, every frame kept in memory",
    "events": "+ every event kept in memory",
    "trace": "+ a 10,000-frame window, the rest spilled (trace on)",
}


def _keep_nothing(trace) -> None:
    """Frames numbered, events dropped: what the stack costs with no trace to keep."""
    ids = itertools.count(1)

    def record_sent(segment, origin, owner, nic, data) -> int:
        trace.count = next(ids)
        return trace.count

    trace.record_sent = record_sent
    trace.emit = trace.emit_values = lambda event: None


def run(mb: float, text: bool, keep_events: bool, here: bool = False, rung: str = "trace") -> dict:
    window = os.environ.get("WORKBENCH_TRACE_WINDOW")
    if rung != "trace":
        os.environ["WORKBENCH_TRACE_WINDOW"] = "0"  # every frame in memory, no spill file
    try:
        net = build_network(load_lab("default"))
    finally:
        if window is None:
            os.environ.pop("WORKBENCH_TRACE_WINDOW", None)
        else:
            os.environ["WORKBENCH_TRACE_WINDOW"] = window
    net.trace.keep_events = keep_events and rung in ("events", "trace")
    if rung == "stack":
        _keep_nothing(net.trace)
    writer = None
    if text:
        writer = TextWriter(open(os.devnull, "w"))  # noqa: SIM115
        if not here and ForkWhenLong is not None:
            writer = ForkWhenLong(writer)
        net.trace.subscribe(writer)
    pc, www = net.host("pc"), net.host("www")
    size = int(mb * 1_000_000)
    data = os.urandom(size)
    digest = hashlib.sha256()
    received = [0]

    def accept(conn):
        def on_data(chunk: bytes) -> None:
            digest.update(chunk)
            received[0] += len(chunk)

        conn.on_data = on_data

    www.tcp.listen(PORT, accept)
    conn = pc.tcp.connect((WWW, PORT))
    chunk = 256 * 1024
    offset = 0

    def write_more() -> None:
        nonlocal offset
        while offset < size and conn.writable:
            conn.send(data[offset : offset + chunk])
            offset += chunk
        if offset >= size:
            conn.close()

    conn.on_connected = write_more
    conn.on_writable = write_more
    clock = net.clock
    started, cpu, before = time.perf_counter(), time.process_time(), os.times()
    while received[0] < size:
        if not clock.step():
            break
    if writer is not None and hasattr(writer, "close"):
        writer.close()  # the child's last line written: what a person waits for
    spilled = net.trace.spilled
    net.trace.close()  # the spill file's child (if any) done with what it was sent, and reaped
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    after = os.times()
    child_cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    if received[0] != size or digest.digest() != hashlib.sha256(data).digest():
        raise SystemExit(f"transfer broken: {received[0]:,} of {size:,} bytes, digest mismatch")
    kinds = Counter(e.kind for e in net.trace.events)
    return {
        "bytes": size,
        "wall": wall,
        "cpu": cpu,
        "child_cpu": child_cpu,
        "spilled": spilled,
        "frames": len(net.trace.frames),
        "events": sum(kinds.values()),
        "virtual": clock.now(),
        "kinds": kinds,
        "counters": conn.counters,
    }


def floor(segments: int, acks: int, text: bool) -> dict:
    """The frame path alone: `segments` full-size UDP datagrams pc → www, `acks` empty ones back."""
    net = build_network(load_lab("default"))
    if text:
        net.trace.subscribe(TextWriter(open(os.devnull, "w")))  # noqa: SIM115
    pc, www = net.host("pc"), net.host("www")
    out, back = pc.udp.open(), www.udp.open(PORT)
    every = max(1, round(segments / max(acks, 1)))
    count = [0]

    def on_datagram(data, src, dst, iface, frames) -> None:
        count[0] += 1
        if count[0] % every == 0:
            back.sendto(b"", src)

    back.on_datagram = on_datagram
    payload = os.urandom(1460 - 8 + 20)  # same IP packet size as a TCP segment of 1,460 bytes
    dest = (WWW, PORT)
    out.sendto(payload, dest)
    net.clock.run_until_idle()  # ARP and routes settled, as after a TCP handshake
    clock = net.clock
    started = time.perf_counter()
    sent = 1
    while sent < segments:
        for _ in range(min(20, segments - sent)):
            out.sendto(payload, dest)
            sent += 1
        clock.run_until_idle()
    return {"wall": time.perf_counter() - started, "frames": len(net.trace.frames)}


def ladder(mb: float, repeat: int) -> None:
    for rung in RUNGS:
        run(min(mb, 1.0), False, True, rung=rung)  # warm up
    times: dict[str, list[tuple[float, float]]] = {rung: [] for rung in RUNGS}
    hops = 0
    for _ in range(repeat):
        for rung in RUNGS:  # taking turns: the load moves all rungs alike
            result = run(mb, False, True, rung=rung)
            times[rung].append((result["wall"], result["cpu"]))
            hops = result["frames"]
    print(
        f"{mb:.0f} MB pc → www, {hops:,} frame-hops; medians of {repeat} taking turns"
        f" (load average {os.getloadavg()[0]:.1f})"
    )
    before = 0.0
    for rung, label in RUNGS.items():
        wall = statistics.median(w for w, _ in times[rung])
        cpu = statistics.median(c for _, c in times[rung])
        step = f"  (+{(cpu - before) / hops * 1e6:.1f} µs)" if before else ""
        print(
            f"  {label:<56} {mb / wall:6.1f} MB/s wall  {cpu / hops * 1e6:5.1f} µs of CPU a hop{step}"
        )
        before = cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="megabytes to send (default 20)")
    parser.add_argument("--text", action="store_true", help="also format every event as text")
    parser.add_argument(
        "--text-here", action="store_true", help="--text, every line formatted in this process"
    )
    parser.add_argument(
        "--no-keep", action="store_true", help="do not keep event objects (subscribers only)"
    )
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile run")
    parser.add_argument(
        "--ladder",
        type=int,
        metavar="N",
        help="what each part of the trace costs: N runs of each rung, taking turns (medians)",
    )
    parser.add_argument(
        "--floor", action="store_true", help="also time the same frames carried by UDP"
    )
    args = parser.parse_args()
    args.text = args.text or args.text_here
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    if args.ladder:
        ladder(args.mb, args.ladder)
        return
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        result = run(args.mb, args.text, not args.no_keep, args.text_here)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    else:
        run(min(args.mb, 1.0), args.text, not args.no_keep, args.text_here)  # warm up
        result = run(args.mb, args.text, not args.no_keep, args.text_here)
    wall = result["wall"]
    mb = result["bytes"] / 1e6
    print(
        f"{mb:.0f} MB pc → www across gw-a and gw-b, trace on{' + text writer' if args.text else ''}"
    )
    print(f"  wall time        {wall:8.2f} s")
    print(
        f"  throughput       {mb / wall:8.1f} MB/s (wall clock), {mb / result['cpu']:.1f} MB/s per CPU second (load average {os.getloadavg()[0]:.1f})"
    )
    if result["child_cpu"]:
        whose = "the spill file's" + (" and the text trace's" if args.text else "")
        if not result["spilled"]:
            whose = "the text trace's"
        every = result["cpu"] + result["child_cpu"]
        print(
            f"  children writing {result['child_cpu']:8.2f} s of CPU ({whose}; ours {result['cpu']:.2f} s):"
            f" {mb / every:.1f} MB/s per CPU second of all processes"
        )
    print(f"  spilled          {result['spilled']:8,} frames (past the window)")
    print(f"  frames           {result['frames']:8,}  ({result['frames'] / wall:,.0f} frames/s)")
    print(f"  events           {result['events']:8,}  ({result['events'] / wall:,.0f} events/s)")
    print(
        f"  virtual time     {result['virtual']:8.3f} s  ({mb * 8 / result['virtual']:.1f} Mb/s on the modelled 100 Mb/s links)"
    )
    top = ", ".join(f"{k} {v:,}" for k, v in result["kinds"].most_common(6))
    print(f"  events by kind   {top}")
    c = result["counters"]
    print(
        f"  TCP              {c['segments_sent']:,} segments sent, {c['retransmits']} retransmitted"
    )
    if args.floor:
        data_segments = -(-result["bytes"] // 1460)
        acks = c["segments_received"]
        base = floor(data_segments, acks, args.text)
        print(
            f"  same frames, UDP {base['wall']:8.2f} s  ({base['frames']:,} frames, {base['frames'] / base['wall']:,.0f} frames/s);"
            f" TCP − UDP = {wall - base['wall']:+.2f} s"
        )


if __name__ == "__main__":
    main()
