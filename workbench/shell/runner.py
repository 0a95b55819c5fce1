"""The one runner: a `Job` is one invocation's program, started at the lab's present time and
driven by the lab's clock. Headless simulation steps the virtual clock until each job is done
(`run_virtual`), live mode awaits each on the real-time loop (`run_live`), and the app ticks
its clock and takes each job's new lines as they come (`Job.fresh_lines`).

A job starts when it is started, never before or after: commands are inputs at a lab time, so
the same commands at the same lab times make the same trace.
"""

from __future__ import annotations

from collections.abc import Callable

from stack.apps.program import Program
from stack.clock import VirtualClock
from stack.network import Network
from stack.record import field, record
from workbench.shell.spec import Invocation

VIRTUAL_BUDGET = 600.0  # virtual seconds one command may take before it is called stuck
LIVE_BUDGET = 600.0  # real seconds, likewise


@record(frozen=False)
class Outcome:
    invocation: Invocation
    ok: bool
    lines: list[str] = field(default_factory=list)


class PrintedLines(list):
    """A program's lines that tell `printed` of each one as the program prints it, so the app
    logs it at the lab time it was printed, not at the time it next looks."""

    def __init__(self, lines: list[str], printed: Callable[[str], None]) -> None:
        super().__init__(lines)
        self.printed = printed

    def append(self, line: str) -> None:
        super().append(line)
        self.printed(line)

    def extend(self, lines) -> None:
        for line in lines:
            self.append(line)

    def __iadd__(self, lines):
        self.extend(lines)
        return self


class Job:
    def __init__(
        self, invocation: Invocation, printed: Callable[[str], None] | None = None
    ) -> None:
        self.invocation = invocation
        self.program: Program | None = None
        self._taken = 0
        self._printed = printed

    def start(self) -> Job:
        program = self.invocation.start()
        if self._printed is not None:
            for line in program.lines:  # printed before it started (a report's whole answer)
                self._printed(line)
            program.lines = PrintedLines(program.lines, self._printed)
        self.program = program.start()
        return self

    @property
    def done(self) -> bool:
        return self.program is not None and self.program.done

    @property
    def ok(self) -> bool:
        return self.program is not None and self.program.done and self.program.ok

    @property
    def lines(self) -> list[str]:
        return self.program.lines if self.program is not None else []

    def fresh_lines(self) -> list[str]:
        """The lines printed since the last call."""
        lines = self.lines
        new = lines[self._taken :]
        self._taken = len(lines)
        return new

    def outcome(self, note: str | None = None) -> Outcome:
        lines = list(self.lines)
        if note:
            lines.append(note)
        return Outcome(self.invocation, self.ok, lines)


def run_virtual(
    net: Network,
    invocations: list[Invocation],
    settle: float = 0.0,
    budget: float = VIRTUAL_BUDGET,
    *,
    recorder=None,
    started=(),
) -> list[Outcome]:
    """Each command in turn until it is done (or `budget` virtual seconds pass), then `settle`
    more virtual seconds. Takes no wall time beyond the computing.

    Snapshots (workbench.run_snapshot): `started` holds (job, start time) of commands a
    snapshot's replay left running, waited on first; `recorder` records each command at the
    place it starts — the run's inputs — and takes the snapshot on the way."""
    clock = net.clock
    assert isinstance(clock, VirtualClock)
    outcomes = [_finish(clock, job, began + budget, budget, recorder) for job, began in started]
    for inv in invocations:
        if recorder is not None:
            recorder.started(inv.text)
        job = Job(inv).start()
        outcomes.append(_finish(clock, job, clock.now() + budget, budget, recorder))
    if settle:
        (recorder.run_until if recorder is not None else clock.run_until)(clock.now() + settle)
    if recorder is not None:
        recorder.finish()
    return outcomes


def _finish(clock: VirtualClock, job: Job, deadline: float, budget: float, recorder) -> Outcome:
    while not job.done:
        nxt = clock.next_time()
        if nxt is None or nxt > deadline:
            break
        if recorder is not None:
            recorder.before_step()
        clock.step()
    note = None
    if not job.done:
        note = (
            "(gave up: "
            + (
                "nothing left to happen"
                if clock.next_time() is None
                else f"still running after {budget:.0f} s"
            )
            + ")"
        )
    return job.outcome(note)


async def run_live(
    invocations: list[Invocation], outcomes: list[Outcome], budget: float = LIVE_BUDGET
) -> None:
    """Each command in turn on the running loop until it is done (or `budget` seconds pass).

    Outcomes are appended as they finish, so whoever cancels this still has the ones done.
    """
    import asyncio  # loaded by whoever runs the loop; a simulated run needs none of it

    loop = asyncio.get_running_loop()
    for inv in invocations:
        job = Job(inv).start()
        finished = loop.create_future()
        job.program.when_done(lambda _p, f=finished: f.done() or f.set_result(None))
        outcome = Outcome(inv, False, job.lines)
        outcomes.append(outcome)
        try:
            await asyncio.wait_for(asyncio.shield(finished), budget)
        except TimeoutError:
            outcome.lines = [*job.lines, f"(gave up: still running after {budget:.0f} s)"]
            continue
        except asyncio.CancelledError:
            outcome.lines = [*job.lines, "(interrupted)"]
            raise
        outcome.lines = list(job.lines)
        outcome.ok = job.ok
