"""The asyncio wrapper: the same coroutine code in virtual time (drive_virtual) and on the
real-time clock, with back-pressure, end of stream and errors mapped to built-in exceptions."""

from __future__ import annotations

import asyncio
import hashlib
import random

import pytest
from tcp_helpers import A, B

from stack.clock import RealtimeClock
from stack.labs import build_network
from stack.labs.load import parse_lab
from stack.transport.sockets import drive_virtual, open_connection, open_datagram, start_server


async def echo_upper(reader, writer):
    while line := await reader.readline():
        writer.write(line.upper())
        await writer.drain()
    writer.close()


async def test_echo_server_in_virtual_time(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")

    async def scenario():
        server = await start_server(b, 7000, echo_upper)
        reader, writer = await open_connection(a, (B, 7000))
        writer.write(b"hello\nworld\n")
        first = await reader.readuntil(b"\n")
        second = await reader.readline()
        writer.write_eof()
        rest = await reader.read()
        await writer.wait_closed()
        server.close()
        return first, second, rest, reader.get_extra_info("peername")

    first, second, rest, peer = await drive_virtual(net.clock, scenario())
    assert (first, second, rest) == (b"HELLO\n", b"WORLD\n", b"")
    assert peer == (B, 7000)


async def test_drain_applies_back_pressure_and_everything_arrives(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")
    data = random.Random(1).randbytes(3_000_000)
    got = hashlib.sha256()
    sizes = []

    async def sink(reader, writer):
        while chunk := await reader.recv(100_000):
            got.update(chunk)
        writer.close()

    async def scenario():
        await start_server(b, 7001, sink)
        reader, writer = await open_connection(a, (B, 7001))
        for i in range(0, len(data), 64 * 1024):
            writer.write(data[i : i + 64 * 1024])
            sizes.append(writer.conn.send_queued)
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    await drive_virtual(net.clock, scenario())
    assert got.digest() == hashlib.sha256(data).digest()
    assert max(sizes) <= a.tcp.send_buffer + 64 * 1024  # drain kept the buffer bounded


async def test_refused_connection_raises_connection_refused(pair):
    net = pair()
    with pytest.raises(ConnectionRefusedError):
        await drive_virtual(net.clock, open_connection(net.host("a"), (B, 9)))


async def test_datagram_socket_receives_with_the_senders_address(pair):
    net = pair()
    a, b = net.host("a"), net.host("b")

    async def scenario():
        server = open_datagram(b, 5353)
        client = open_datagram(a)
        client.sendto(b"query", (B, 5353))
        data, (ip, port) = await server.recvfrom()
        server.sendto(b"answer", (ip, port))
        reply, _ = await client.recvfrom()
        return data, ip, port == client.port, reply

    assert await drive_virtual(net.clock, scenario()) == (b"query", A, True, b"answer")


async def test_the_same_code_runs_on_the_realtime_clock():
    from tests.stack.transport.conftest import small_lab

    clock = RealtimeClock(asyncio.get_running_loop())
    net = build_network(parse_lab(small_lab(), "pair.toml"), clock=clock)
    a, b = net.host("a"), net.host("b")
    await start_server(b, 7000, echo_upper)
    reader, writer = await asyncio.wait_for(open_connection(a, (B, 7000)), 30)
    writer.write(b"over real time\n")
    assert await asyncio.wait_for(reader.readline(), 30) == b"OVER REAL TIME\n"
    writer.close()
    await asyncio.wait_for(writer.wait_closed(), 30)
