"""The live trace writer (`Deferred`): events are written in order, after the frames, and a
frame arriving while a batch is being written is read within a slice, not after the batch."""

import asyncio
import socket
import time

from stack.writers.deferred import Deferred


class SlowWriter:
    """Writes an event in ~50 µs (a trace line with a decoded summary costs about that)."""

    def __init__(self, on_write=None) -> None:
        self.written: list[int] = []
        self.flushes = 0
        self.on_write = on_write

    def __call__(self, event) -> None:
        until = time.perf_counter() + 0.00005
        while time.perf_counter() < until:
            pass
        self.written.append(event)
        if self.on_write is not None:
            self.on_write(len(self.written))

    def flush(self) -> None:
        self.flushes += 1


async def test_a_frame_arriving_mid_batch_is_read_before_the_batch_is_written():
    loop = asyncio.get_running_loop()
    device, peer = socket.socketpair()
    device.setblocking(False)
    read_after: list[int] = []

    def arrive(n: int) -> None:
        if n == 20:  # a frame comes in while the writer is busy with the batch
            peer.send(b"x")

    writer = SlowWriter(arrive)

    def on_readable() -> None:
        device.recv(1)
        read_after.append(len(writer.written))

    loop.add_reader(device.fileno(), on_readable)
    try:
        deferred = Deferred(writer, loop, delay=0.001)
        for i in range(2000):
            deferred(i)
        assert writer.written == []  # nothing written between the frames
        while len(writer.written) < 2000:
            await asyncio.sleep(0.01)
        # The frame was read a slice after it came, not after 2,000 lines (~0.1 s).
        assert read_after and read_after[0] < 200, read_after
        assert writer.written == list(range(2000))  # every event, in order
        # The file is flushed after each slice, so a run killed mid-way leaves whole lines.
        assert 2 <= writer.flushes <= 2000 // 8
    finally:
        loop.remove_reader(device.fileno())
        device.close()
        peer.close()


async def test_flush_writes_what_is_pending_once_and_in_order():
    loop = asyncio.get_running_loop()
    writer = SlowWriter()
    deferred = Deferred(writer, loop, delay=0.001)
    for i in range(500):
        deferred(i)
    await asyncio.sleep(0.002)  # a slice or a few written, the rest pending
    deferred.flush()
    assert writer.written == list(range(500))
    deferred(500)
    deferred.flush()
    assert writer.written == list(range(501))
    await asyncio.sleep(0.01)  # nothing scheduled writes anything twice
    assert writer.written == list(range(501))


async def test_a_backlog_past_the_bound_is_written_in_one_go(monkeypatch):
    import stack.writers.deferred as module

    monkeypatch.setattr(module, "BACKLOG", 100)
    loop = asyncio.get_running_loop()
    writer = SlowWriter()
    deferred = Deferred(writer, loop, delay=0.001)
    for i in range(300):
        deferred(i)
    await asyncio.sleep(0.002)
    loop_turns = 0
    while len(writer.written) < 300 and loop_turns < 3:
        await asyncio.sleep(0)
        loop_turns += 1
    assert writer.written == list(range(300))
