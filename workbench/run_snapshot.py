"""Snapshots in `workbench run`: `--snapshot FILE --at T` saves the moment lab time reaches T;
`--from FILE` rebuilds a snapshot's moment and carries on from there, so the continued run
prints exactly the events the original printed after T.

The run's inputs are its commands, each recorded at the place it started. A snapshot is taken
just before the clock would fire a timer later than T (standing at T, as the original stands
there too), so taking one changes nothing about the run.
"""

from __future__ import annotations

from stack.clock import VirtualClock
from stack.network import Network
from workbench.shell import CommandError, Job, prepare
from workbench.snapshot import EventChain, Input, Snapshot, SnapshotError, check_replayed, replay


class RunRecorder:
    """Records a run's commands and saves the snapshot at lab time `at` into `path`."""

    def __init__(
        self, net: Network, path: str, at: float | None, origin: Snapshot | None, pending: list[str]
    ) -> None:
        clock = net.clock
        assert isinstance(clock, VirtualClock)
        self.net = net
        self.clock = clock
        self.path = path
        self.at = at if at is not None else float("inf")  # None: when the run ends
        self.origin = origin
        self.inputs: list[Input] = list(origin.inputs) if origin else []
        self.pending = list(pending)
        self.chain = EventChain(origin.chain if origin else "")
        self.chain.count = origin.events if origin else 0
        self.taken: Snapshot | None = None
        self._unsubscribe = net.trace.subscribe(self.chain)
        if origin is not None and at is not None and at < origin.at_time:
            raise SnapshotError(
                f"--at {at:g} is before the moment the run continues from ({origin.at_time:g} s)"
            )

    def started(self, text: str) -> None:
        """A command starts now (before its first effect)."""
        if self.pending and self.pending[0] == text:
            self.pending.pop(0)
        if self.taken is None:
            self.inputs.append(Input(self.clock.fired, self.clock.now(), "command", (text,)))

    def before_step(self) -> None:
        """Called before the run fires the next timer: past T, the snapshot is taken first."""
        if self.taken is None:
            nxt = self.clock.next_time()
            if nxt is None or nxt > self.at:
                if self.at >= self.clock.now() and (nxt is not None):
                    self.take()

    def run_until(self, target: float) -> None:
        """`clock.run_until(target)`, taking the snapshot on the way if T falls inside."""
        clock = self.clock
        while True:
            nxt = clock.next_time()
            if self.taken is None and self.at <= target and (nxt is None or nxt > self.at):
                self.take()
            if nxt is None or nxt > target:
                break
            clock.step()
        clock.run_until(target)

    def finish(self) -> None:
        """The run is over: a snapshot not taken yet lets the lab run on to T, then is taken."""
        if self.taken is None:
            if self.at != float("inf"):
                self.run_until(max(self.at, self.clock.now()))
            if self.taken is None:
                self.at = self.clock.now()
                self.take()
        self._unsubscribe()

    def take(self) -> Snapshot:
        clock = self.clock
        clock.stand_at(self.at)
        spec = self.net.spec
        snapshot = Snapshot(
            spec.text,
            spec.source,
            spec.name,
            spec.seed,
            clock.now(),
            clock.fired,
            self.chain.count,
            len(self.net.trace.frames),
            tuple(self.inputs),
            tuple(self.pending),
            self.origin.path if self.origin else None,
            self.chain.value,
        )
        snapshot.save(self.path, backing=self.origin.path if self.origin else None)
        self.taken = snapshot
        return snapshot


def continue_from(origin: Snapshot, net: Network) -> list[tuple[Job, float]]:
    """Replay `origin` into `net` (just built from its lab); the commands still running at that
    moment, as (job, start time), for the run to wait on."""
    clock = net.clock
    assert isinstance(clock, VirtualClock)
    started: list[tuple[Job, float]] = []
    chain = EventChain()
    unsubscribe = net.trace.subscribe(chain)

    def apply(inp: Input) -> None:
        if inp.kind != "command":
            raise SnapshotError(
                f"{origin.path}: holds a {inp.kind} from the app, which workbench run cannot replay: continue it in the app (workbench --from {origin.path})"
            )
        text = inp.args[0] if inp.args else ""
        try:
            job = Job(prepare(net, text)).start()
        except (CommandError, ValueError) as err:
            raise SnapshotError(
                f"{origin.path}: its command {text!r} no longer runs ({err})"
            ) from None
        started.append((job, inp.time))

    try:
        replay(clock, origin.inputs, apply, origin.at_fired, origin.at_time)
    finally:
        unsubscribe()
    check_replayed(origin, chain.count, len(net.trace.frames), chain.value)
    return [(job, began) for job, began in started if not job.done]
