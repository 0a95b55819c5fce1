"""Frames per second on one bus as it fills with hosts: 5, 50 and 200 NICs on `lan`.

h0 sends 2 MB over TCP to h1 on a shared bus (every NIC hears every frame; all but the
addressee drop it), trace on: every frame recorded and every event kept, as in the app. The
aim: a frame costs at most 1.5× as much with 50 hosts on the bus as with 5 (each silent NIC's
verdict is one shared record, expanded only when read). Rates are per CPU second of this
process (time.process_time), so other jobs on a shared machine matter less.

    python benchmarks/bus_hosts.py [--mb 2] [--hosts 5,50,200] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install

from stack.labs import build_network  # noqa: E402
from stack.labs.load import parse_lab  # noqa: E402

PORT = 5001


def lab(hosts: int) -> str:
    text = 'name = "bus"\n[segments.lan]\nsubnet = "10.0.0.0/16"\nbandwidth_mbps = 1000\n'
    for i in range(hosts):
        text += f'[hosts.h{i}]\nsegment = "lan"\naddress = "10.0.{i // 250}.{i % 250 + 1}/16"\n'
    return text


def one_run(hosts: int, mb: float) -> tuple[float, int]:
    net = build_network(parse_lab(lab(hosts), "bus.toml"))
    a, b = net.host("h0"), net.host("h1")
    size = int(mb * 1_000_000)
    data = os.urandom(size)
    digest = hashlib.sha256()
    got = [0]

    def accept(conn):
        def on_data(chunk: bytes) -> None:
            digest.update(chunk)
            got[0] += len(chunk)

        conn.on_data = on_data

    b.tcp.listen(PORT, accept)
    conn = a.tcp.connect((b.primary.ip, PORT))
    offset = 0

    def write_more() -> None:
        nonlocal offset
        while offset < size and conn.writable:
            conn.send(data[offset : offset + 65536])
            offset += 65536
        if offset >= size:
            conn.close()

    conn.on_connected = write_more
    conn.on_writable = write_more
    clock = net.clock
    started = time.process_time()  # CPU time of this process: the shared machine's load drops out
    while got[0] < size and clock.step():
        pass
    wall = time.process_time() - started
    assert got[0] == size and digest.digest() == hashlib.sha256(data).digest(), "transfer broken"
    return wall, len(net.trace.frames)


def measure(hosts: list[int], mb: float, runs: int) -> dict[int, float]:
    """Median frames/s per bus size."""
    one_run(hosts[0], 0.2)  # warm up
    out = {}
    for n in hosts:
        rates = []
        for _ in range(runs):
            wall, frames = one_run(n, mb)
            rates.append(frames / wall)
        out[n] = statistics.median(rates)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--hosts", default="5,50,200")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    hosts = [int(h) for h in args.hosts.split(",")]
    print(f"Python {platform.python_version()}; load: {os.getloadavg()[0]:.2f}")
    rates = measure(hosts, args.mb, args.runs)
    base = rates[hosts[0]]
    for n, rate in rates.items():
        print(
            f"  {n:4} hosts on the bus: {rate:9,.0f} frames per CPU second   per-frame cost {base / rate:4.2f}× that of {hosts[0]} hosts"
        )


if __name__ == "__main__":
    main()
