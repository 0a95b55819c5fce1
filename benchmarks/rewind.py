"""What one step back (⌫) costs in the app's session, beside running the same history forward.

A step back rebuilds the lab and replays its inputs to the place of the event before the last
one shown (workbench.history). The history keeps the places of its newest events, so that is
one replay; without them (events older than it keeps) a first replay of the whole history
finds the place. Printed for a history of N `n` steps of a ping run: the forward time, a step
back with the places kept, one with them forgotten, and each as a ratio of the forward time.

    python benchmarks/rewind.py [--steps 3000] [--runs 5]

Figures are medians of --runs; the machine is shared, so `uptime`'s load is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stack.labs import load_lab  # noqa: E402
from workbench.session import Session  # noqa: E402

COMMAND = "pc: ping 192.168.1.1 -c 1000 -i 0.01"


def once(steps: int) -> tuple[float, float, float, int]:
    session = Session.open(load_lab("default"))
    session.run(COMMAND)
    began = time.perf_counter()
    for _ in range(steps):
        session.step()
    forward = time.perf_counter() - began
    began = time.perf_counter()
    back, _ = session.step_back()
    kept = time.perf_counter() - began
    back.close()
    session.history.places = deque(maxlen=session.history.places.maxlen)
    began = time.perf_counter()
    back, _ = session.step_back()
    forgotten = time.perf_counter() - began
    back.close()
    events = session.emitted
    session.close()
    return forward, kept, forgotten, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [once(args.steps) for _ in range(args.runs)]
    forward, kept, forgotten = (statistics.median(r[i] for r in runs) for i in range(3))
    print(
        f"history: {args.steps:,} steps of {COMMAND!r}, {runs[0][3]:,} events; load {os.getloadavg()[0]:.1f}"
    )
    print(f"  forward through it     {forward:7.3f} s")
    print(f"  step back, place kept  {kept:7.3f} s  ({kept / forward:.2f}× the forward run)")
    print(
        f"  step back, place found {forgotten:7.3f} s  ({forgotten / forward:.2f}× the forward run)"
    )


if __name__ == "__main__":
    main()
