"""The kernel's side of live TCP tests and benchmarks: a plain-socket program run inside a
test namespace (`ip netns exec NS python3 peer.py …`). Standard library only.

  send HOST PORT NBYTES SEED      connect, send NBYTES of seeded bytes, close at once
  recv BIND PORT                  accept one connection, read to EOF
  echo BIND PORT                  accept one connection, echo everything back until EOF
  pingpong HOST PORT COUNT        COUNT 1-byte request/response exchanges, timed

Each prints one JSON line on stdout (bytes, sha256, seconds, …). `recv` and `echo` print
{"listening": PORT} first, so the caller knows when to connect.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import sys
import time


def payload(nbytes: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(nbytes)


def say(**fields) -> None:
    print(json.dumps(fields), flush=True)


def send(host: str, port: int, nbytes: int, seed: int) -> None:
    data = payload(nbytes, seed)
    sock = socket.create_connection((host, port), timeout=120)
    start = time.perf_counter()
    sock.sendall(data)
    sock.close()  # right after the last send: the peer must still get every byte
    say(bytes=nbytes, sha256=hashlib.sha256(data).hexdigest(), seconds=time.perf_counter() - start)


def _accept(bind: str, port: int) -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((bind, port))
    server.listen(1)
    server.settimeout(120)
    say(listening=port)
    conn, _ = server.accept()
    server.close()
    conn.settimeout(300)
    return conn


def recv(bind: str, port: int) -> None:
    conn = _accept(bind, port)
    digest = hashlib.sha256()
    total = 0
    first = None
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter()
        total += len(chunk)
        digest.update(chunk)
    end = time.perf_counter()
    conn.close()
    say(bytes=total, sha256=digest.hexdigest(), seconds=end - (first or end))


def echo(bind: str, port: int) -> None:
    conn = _accept(bind, port)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    total = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        conn.sendall(chunk)
        total += len(chunk)
    conn.close()
    say(bytes=total)


def pingpong(host: str, port: int, count: int) -> None:
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        sock.sendall(b"x")
        if not sock.recv(1):
            break
        times.append(time.perf_counter() - start)
    sock.close()
    say(count=len(times), seconds=times)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "send":
        send(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "recv":
        recv(args[0], int(args[1]))
    elif mode == "echo":
        echo(args[0], int(args[1]))
    elif mode == "pingpong":
        pingpong(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit(f"unknown mode {mode}")
