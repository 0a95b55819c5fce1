#!/usr/bin/env python3
"""The long fuzzing campaign: a million mutated inputs per target (wire codecs, a host's receive
path, the dissector, the capture readers, the lab loader, the display filter), each bounded to
1 s, with memory measured. Every distinct crash or hang is written to
tests/fuzz/regressions/TARGET/ so that `pytest tests/fuzz` replays it from then on.

    .venv/bin/python scripts/fuzz.py                       # every target, 1,000,000 inputs each
    .venv/bin/python scripts/fuzz.py -t dissect -n 50000   # one target, fewer inputs
    WORKBENCH_FUZZ_CORPUS=captures/ .venv/bin/python scripts/fuzz.py   # seeds from real captures too
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz.harness import Crash, campaign  # noqa: E402
from tests.fuzz.targets import TARGETS  # noqa: E402


def keep(crash: Crash) -> None:
    folder = REPO / "tests" / "fuzz" / "regressions" / crash.target
    folder.mkdir(parents=True, exist_ok=True)
    data = (
        crash.data.encode("utf-8", "surrogatepass") if isinstance(crash.data, str) else crash.data
    )
    name = f"{crash.kind.lower()}-{hashlib.sha256(data).hexdigest()[:12]}.bin"
    (folder / name).write_bytes(data)
    print(
        f"  found: {crash.kind} at {crash.where}: {crash.message[:120]} → {folder / name}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--inputs", type=int, default=1_000_000)
    parser.add_argument("-t", "--target", action="append", choices=[t.name for t in TARGETS])
    parser.add_argument("-s", "--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--slow", type=float, default=1.0, help="seconds after which an input counts as a hang"
    )
    args = parser.parse_args()
    print(
        f"seed {args.seed}, {args.inputs:,} inputs per target, load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    found = 0
    for t in TARGETS:
        if args.target and t.name not in args.target:
            continue
        report = campaign(t, args.inputs, seed=args.seed, slow=args.slow, on_crash=keep)
        print(report.line(), flush=True)
        found += len(report.crashes)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
