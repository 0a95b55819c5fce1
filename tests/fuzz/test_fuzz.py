"""The short fuzzing campaign CI runs (about a minute in all), and every input a campaign ever
broke something with, replayed. The long campaign is `scripts/fuzz.py` (a million inputs per
target); what it finds lands in tests/fuzz/regressions/TARGET/ and is replayed here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import campaign, run_one
from tests.fuzz.targets import TARGETS, target

REGRESSIONS = Path(__file__).parent / "regressions"
# A hang is a hang at any speed; on a loaded CI machine a slow-but-finite input must not
# read as one, so the bound here is looser than the long campaign's 1 s.
SLOW = 5.0


def _inputs():
    for folder in sorted(REGRESSIONS.iterdir()):
        for path in sorted(folder.iterdir()):
            yield pytest.param(folder.name, path, id=f"{folder.name}/{path.name}")


@pytest.mark.parametrize("name, path", list(_inputs()))
def test_every_input_that_once_broke_a_target_is_handled(name, path):
    t = target(name)
    data = path.read_text(encoding="utf-8", errors="replace") if t.text else path.read_bytes()
    outcome, error, _ = run_one(t, data, SLOW)
    assert outcome in ("ok", "allowed"), f"{name} {path.name}: {outcome}: {error!r}"


@pytest.mark.parametrize("t", TARGETS, ids=[t.name for t in TARGETS])
def test_a_short_campaign_finds_nothing(t):
    report = campaign(t, inputs=4000, seed=20261201, slow=SLOW, budget=8.0)
    assert report.inputs >= 50, report.line()
    found = "\n".join(
        f"{c.kind} at {c.where}: {c.message} — input {c.data!r:.300}"
        for c in report.crashes.values()
    )
    assert not report.crashes, f"{report.line()}\n{found}"


def test_slow_once_is_a_cold_import_but_slow_twice_is_a_hang():
    import time

    from tests.fuzz.harness import Target

    calls = []

    def cold_then_fast(_data):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.3)  # the first input to reach a path pays for its imports

    def always_slow(_data):
        while True:
            pass

    assert run_one(Target("cold", cold_then_fast, lambda: [b""]), b"x", 0.2)[0] == "ok"
    outcome, _error, took = run_one(Target("loop", always_slow, lambda: [b""]), b"x", 0.2)
    assert outcome == "hang" and took < 1.0


def test_an_alarm_that_comes_as_the_input_ends_is_a_hang_not_an_escape(monkeypatch):
    """The long campaign once stopped with a traceback: the time bound's alarm arrived after
    the target returned but before the harness disarmed it, outside the code that catches it."""
    import signal

    from tests.fuzz import harness
    from tests.fuzz.harness import Hang, Target

    real = signal.setitimer
    calls = []

    def late_alarm(which, seconds):
        real(which, seconds)
        calls.append(seconds)
        if seconds == 0 and len(calls) == 2:  # the first disarm: the alarm beats it
            raise Hang()

    monkeypatch.setattr(harness.signal, "setitimer", late_alarm)
    outcome, error, _ = harness._run_once(Target("late", lambda _d: None, lambda: [b""]), b"x", 0.2)
    assert outcome == "hang" and isinstance(error, Hang)
