"""Start `workbench serve …` as a person would, wait for it to say where it listens, and stop it
(by its PID) however the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(*args: str, env: dict | None = None, timeout: float = 60.0):
    """`workbench serve ARGS`; yields the process once it printed that it serves."""
    log = open(
        Path(os.environ.get("TMPDIR", "/tmp"))
        / f"wb-serve-{os.getpid()}-{time.monotonic_ns()}.log",
        "w+",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "serve", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while "serving" not in Path(log.name).read_text():
            if proc.poll() is not None:
                raise AssertionError(f"workbench serve ended: {Path(log.name).read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"workbench serve did not start: {Path(log.name).read_text()}")
            time.sleep(0.2)
        proc.log = Path(log.name)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        os.unlink(log.name)
