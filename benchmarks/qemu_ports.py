"""Frames per second between two QEMU `-netdev stream` peers: through a workbench segment (the
bus, its trace, a lab of six hosts hearing every frame) beside a bare relay that only copies
the stream from one socket to the other (what joining two VMs with socat or a few lines of
Python gives), in the same run.

Fake VMs stand in for QEMU (a real guest's TCG NIC is far slower than either): VM A writes
N length-prefixed 1,514-byte frames addressed to VM B; the time is until B has read them all.

    python benchmarks/qemu_ports.py [--frames 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from stack.clock import RealtimeClock  # noqa: E402
from stack.labs import build_network, load_lab  # noqa: E402
from stack.link.qemu import QemuListener, StreamFramer, stream_record  # noqa: E402
from stack.link.qemu_address import parse_qemu_address  # noqa: E402
from stack.trace import Trace  # noqa: E402
from stack.wire.ethernet import Ethernet  # noqa: E402
from stack.wire.mac import MAC  # noqa: E402

A, B = MAC("52:54:00:00:00:0a"), MAC("52:54:00:00:00:0b")


def frames(count: int) -> bytes:
    one = Ethernet(B, A, 0x88B5, bytes(1500)).build()
    return stream_record(one) * count


async def pump(a: socket.socket, b: socket.socket, count: int) -> float:
    loop = asyncio.get_running_loop()
    data = frames(count)
    start = time.perf_counter()
    send = loop.create_task(loop.sock_sendall(a, data))
    framer = StreamFramer()
    got = 0
    while got < count:
        got += len(framer.feed(await loop.sock_recv(b, 1 << 20)))
    await send
    return time.perf_counter() - start


async def through_workbench(count: int, folder: str) -> float:
    loop = asyncio.get_running_loop()
    clock = RealtimeClock(loop)
    net = build_network(load_lab("default"), clock, Trace(clock, keep_events=False), live=True)
    path = os.path.join(folder, "lan.sock")
    listener = QemuListener.open(net.segments["lan"], parse_qemu_address(path), loop)
    a, b = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
    try:
        for s in (a, b):
            s.connect(path)
            s.setblocking(False)
        while len(listener.peers) < 2:
            await asyncio.sleep(0.01)
        return await pump(a, b, count)
    finally:
        a.close()
        b.close()
        listener.close()


async def through_relay(count: int, folder: str) -> float:
    loop = asyncio.get_running_loop()
    path = os.path.join(folder, "relay.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(2)
    server.setblocking(False)
    a, b = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
    for s in (a, b):
        s.setblocking(False)
    await loop.sock_connect(a, path)
    ca, _ = await loop.sock_accept(server)
    await loop.sock_connect(b, path)
    cb, _ = await loop.sock_accept(server)

    async def copy() -> None:
        while True:
            data = await loop.sock_recv(ca, 1 << 20)
            if not data:
                return
            await loop.sock_sendall(cb, data)

    relay = loop.create_task(copy())
    try:
        return await pump(a, b, count)
    finally:
        relay.cancel()
        for s in (a, b, ca, cb, server):
            s.close()
        os.unlink(path)


async def main(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bench, relay = [], []
        for _ in range(rounds):
            bench.append(await through_workbench(count, folder))
            relay.append(await through_relay(count, folder))
    wb, rl = sorted(bench)[rounds // 2], sorted(relay)[rounds // 2]
    print(f"{count:,} frames of 1,514 bytes, VM A → VM B over -netdev stream, median of {rounds}")
    print(
        f"  through a workbench segment (6 lab NICs hear each frame): {count / wb:,.0f} frames/s ({count * 1514 / wb / 1e6:.1f} MB/s)"
    )
    print(
        f"  bare relay (copies the stream):                           {count / rl:,.0f} frames/s ({count * 1514 / rl / 1e6:.1f} MB/s)"
    )
    print(f"  the workbench is {wb / rl:.1f}× slower than the bare relay")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.frames, args.rounds))
