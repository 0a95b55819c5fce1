"""One fuzzing harness for every input path: mutate real inputs, feed a target, keep what breaks.

A target is a function of one input (bytes or text) and the exceptions it is allowed to raise
(a codec's `WireError`, the loader's `LabError`: one sentence for a person). Anything else is a
crash; an input that runs longer than `slow` seconds is a hang (interrupted by SIGALRM). Each
distinct crash (target, exception type, innermost line) keeps its first input, written to
`tests/fuzz/regressions/TARGET/` by the long campaign so that it becomes a regression test.

Mutations are seeded and deterministic: the same seed gives the same inputs, so a CI run is
repeatable and a crash seen once is seen again.
"""

from __future__ import annotations

import os
import random
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

INTERESTING_8 = (0, 1, 0x7F, 0x80, 0xFF)
INTERESTING_16 = (0, 1, 0x7FFF, 0x8000, 0xFFFF, 20, 40, 60, 1500, 1514)
INTERESTING_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 12, 28)


class Hang(BaseException):
    """An input ran past the time bound (a BaseException, so no `except Exception` in the
    target can swallow it)."""


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[object], object]
    seeds: Callable[[], Sequence[object]]  # real inputs to mutate (bytes or str)
    allowed: tuple[type[BaseException], ...] = ()
    text: bool = False  # inputs are str: mutate characters and splice tokens
    tokens: tuple[str, ...] = ()


@dataclass
class Crash:
    target: str
    kind: str
    where: str
    message: str
    data: object

    @property
    def key(self) -> tuple[str, str, str]:
        return self.target, self.kind, self.where


@dataclass
class Report:
    target: str
    inputs: int = 0
    allowed: int = 0  # inputs refused with an allowed error (one sentence)
    seconds: float = 0.0
    slowest: float = 0.0
    rss_start: int = 0
    rss_half: int = 0  # half-way: growth after it is a leak, growth before it may be caches
    rss_end: int = 0
    crashes: dict[tuple[str, str, str], Crash] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        grow = (self.rss_end - self.rss_start) / 2**20
        late = (self.rss_end - (self.rss_half or self.rss_start)) / 2**20
        return (
            f"{self.target:<9} {self.inputs:>9,} inputs in {self.seconds:6.1f} s ({self.rate:8,.0f}/s), "
            f"{self.allowed:>8,} refused in one sentence, slowest {self.slowest * 1000:6.1f} ms, "
            f"RSS {self.rss_start / 2**20:.0f} → {self.rss_end / 2**20:.0f} MB ({grow:+.1f}; "
            f"second half {late:+.1f}), "
            f"{len(self.crashes)} distinct crash(es)"
        )


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Mutator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def bytes(self, data: bytes, pool: Sequence[bytes]) -> bytes:
        r = self.random
        out = bytearray(data)
        for _ in range(r.choice((1, 1, 2, 3, 5, 8))):
            op = r.randrange(9)
            n = len(out)
            at = r.randrange(n) if n else 0
            if op == 0 and n:
                out[at] ^= 1 << r.randrange(8)
            elif op == 1 and n:
                out[at] = r.choice(INTERESTING_8)
            elif op == 2 and n >= 2:
                at = min(at, n - 2)
                out[at : at + 2] = r.choice(INTERESTING_16).to_bytes(2, r.choice(("big", "little")))
            elif op == 3 and n >= 4:
                at = min(at, n - 4)
                out[at : at + 4] = r.choice(INTERESTING_32).to_bytes(4, "big")
            elif op == 4:
                out[at:at] = r.randbytes(r.randrange(1, 17))
            elif op == 5 and n:
                del out[at : at + r.randrange(1, 33)]
            elif op == 6:
                del out[r.randrange(n + 1) :]  # truncation, as a short snaplen does
            elif op == 7 and n:
                chunk = out[at : at + r.randrange(1, 65)]
                out[r.randrange(n + 1) : 0] = chunk
            elif op == 8 and pool:
                other = r.choice(pool)
                cut = r.randrange(len(other) + 1)
                out[at:] = other[cut:]
        return bytes(out)

    def text(self, data: str, pool: Sequence[str], tokens: Sequence[str]) -> str:
        r = self.random
        out = list(data)
        for _ in range(r.choice((1, 1, 2, 3, 5))):
            op = r.randrange(7)
            n = len(out)
            at = r.randrange(n + 1)
            if op == 0 and n:
                del out[min(at, n - 1)]
            elif op == 1:
                out[at:at] = r.choice(tokens) if tokens else chr(r.randrange(32, 127))
            elif op == 2:
                out[at:at] = chr(r.choice((r.randrange(32, 127), r.randrange(0, 0x3000))))
            elif op == 3 and n:
                del out[at : at + r.randrange(1, 9)]
            elif op == 4 and pool:
                other = r.choice(pool)
                out[at:] = other[r.randrange(len(other) + 1) :]
            elif op == 5 and n:
                chunk = out[at : at + r.randrange(1, 17)]
                out[r.randrange(n + 1) : 0] = chunk
            elif op == 6:
                depth = r.randrange(1, 60)
                opener, closer = r.choice((("(", ")"), ("[", "]"), ("{", "}"), ('"', '"')))
                out[at:at] = opener * depth + closer * r.randrange(depth + 1)
        return "".join(out)


def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.relpath(last.filename)}:{last.lineno} in {last.name}"


def _alarm(_signum, _frame):
    raise Hang()


def run_one(target: Target, data: object, slow: float) -> tuple[str, BaseException | None, float]:
    """('ok' | 'allowed' | 'crash' | 'hang', the exception, seconds). A slow input is tried
    once more: the first input to reach a code path can pay for its imports (scapy's layers:
    0.7 s of CPU cold, 3 ms warm), which is not a hang; slow twice is."""
    outcome, error, took = _run_once(target, data, slow)
    if outcome == "hang":
        outcome, error, took = _run_once(target, data, slow)
    return outcome, error, took


def _run_once(target: Target, data: object, slow: float) -> tuple[str, BaseException | None, float]:
    previous = signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    try:
        try:
            # Armed inside: on a loaded machine the alarm can come before the input even starts.
            signal.setitimer(signal.ITIMER_REAL, slow)
            target.run(data)
            outcome, error = "ok", None
        except target.allowed as err:
            outcome, error = "allowed", err
        except Hang:
            raise
        except Exception as err:  # noqa: BLE001 - the point of fuzzing: any other exception is a find
            outcome, error = "crash", err
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except Hang as err:  # also when the alarm came just as the input ended, before the disarm
        outcome, error = "hang", err
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    took = time.perf_counter() - start
    if took > slow and outcome != "hang":  # the alarm came while C code held on: still too slow
        outcome, error = "hang", Hang()
    return outcome, error, took


def campaign(
    target: Target,
    inputs: int,
    seed: int = 1,
    slow: float = 1.0,
    budget: float | None = None,
    on_crash: Callable[[Crash], None] | None = None,
) -> Report:
    """Feed `target` its seeds, then `inputs` mutations of them (or until `budget` seconds)."""
    seeds = list(target.seeds())
    mutator = Mutator(seed)
    report = Report(target.name, rss_start=rss())
    started = time.perf_counter()
    queue = iter(seeds)
    for i in range(inputs):
        data = next(queue, None)
        if data is None:
            parent = mutator.random.choice(seeds)
            data = (
                mutator.text(parent, seeds, target.tokens)
                if target.text
                else mutator.bytes(parent, seeds)
            )
        # The seeds go first and pay for imports and caches (scapy's registry: over a second cold).
        warming = i < len(seeds)
        outcome, error, took = run_one(target, data, max(slow, 60.0) if warming else slow)
        report.inputs += 1
        if not warming:
            report.slowest = max(report.slowest, took)
        if outcome == "allowed":
            report.allowed += 1
        elif outcome in ("crash", "hang"):
            kind = "hang" if outcome == "hang" else type(error).__name__
            crash = Crash(
                target.name,
                kind,
                _where(error) if outcome == "crash" else f"over {slow} s",
                str(error)[:200],
                data,
            )
            if crash.key not in report.crashes:
                report.crashes[crash.key] = crash
                if on_crash is not None:
                    on_crash(crash)
        if i == min(999, inputs // 10):
            report.rss_start = rss()  # after warm-up: caches and imports are not growth
        if i == inputs // 2:
            report.rss_half = rss()
        if budget is not None and time.perf_counter() - started > budget:
            break
    report.seconds = time.perf_counter() - started
    report.rss_end = rss()
    return report
