"""A session's history: the inputs a person gave, so the lab can be snapshotted (`S`), opened
from a snapshot (`workbench --from FILE`) and rewound one event at a time (⌫, backspace).

Every input (a command — crafted `send`s among them —, clearing an ARP cache, an injected frame) is
recorded at its place: timers fired so far and lab time (workbench.snapshot). Stepping back
shows one event fewer: the lab is replayed from its start with a throw-away session to find
the earliest place that holds every event but the last one shown, then a new session is
replayed to that place with its later events held back (as `n` holds them). The inputs
after that place are kept as the *redo* list: stepping forward (`n`, `N`, space) re-applies
each one when the clock reaches its place, so a person can go back, watch an ARP resolution
again, and go forward through the same history. A new input instead starts a fork: the redo list
is dropped. Live labs (TAP, QEMU) have no history to replay: they refuse, saying why.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from stack.clock import VirtualClock
from stack.labs import build_network
from stack.trace import Trace
from workbench.snapshot import (
    LIVE_REFUSAL,
    EventChain,
    Input,
    Snapshot,
    SnapshotError,
    check_replayed,
    replay,
)

if TYPE_CHECKING:
    from workbench.session import Session

PLACES_KEPT = 100_000  # the newest events' places (~10 MB); stepping back further replays twice


class History:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.inputs: list[Input] = []
        self.redo: list[Input] = []
        self.origin: Snapshot | None = None  # the snapshot file the lab was opened from
        self.replaying = False
        # Every event since the lab was built, digested as it happens: the event log keeps only
        # a window, and a snapshot's chain must cover the whole history. With it, where each of
        # the newest events came from (timers fired, inputs given, lab time, events so far):
        # stepping back replays straight to the right place instead of first replaying the
        # whole history to find it.
        self.chain = EventChain()
        self.places: deque[tuple[int, int, float, int]] = deque(maxlen=PLACES_KEPT)
        self._unsubscribe = (
            session.trace.subscribe(self._heard) if session.virtual else (lambda: None)
        )

    def _heard(self, event) -> None:
        self.chain(event)
        clock = self.session.clock
        self.places.append((clock.fired, len(self.inputs), clock.now(), self.chain.count))

    def close(self) -> None:
        self._unsubscribe()

    def place_of(self, target: int) -> tuple[int, int, float, int] | None:
        """The place (fired, inputs, time, events by its end) of the action that emitted the
        `target`-th event: the earliest place holding that many. None when it is older than
        the places kept."""
        places = self.places
        if target == 0:
            return (0, 0, 0.0, 0)  # the lab as built, before any input
        i = len(places) - 1
        while i >= 0 and places[i][3] >= target:
            i -= 1
        if i + 1 >= len(places) or (
            i < 0 and places[0][3] - target > 0 and len(places) == places.maxlen
        ):
            return None
        fired, inputs, time, _count = places[i + 1]
        end = i + 1
        while end + 1 < len(places) and places[end + 1][:3] == (fired, inputs, time):
            end += 1
        return fired, inputs, time, places[end][3]

    # --- recording ---------------------------------------------------------------------------

    def record(self, kind: str, *args) -> None:
        """An input is about to take effect now. A new one (not a redo) forks: the redo list goes."""
        session = self.session
        if self.replaying or not session.virtual:
            return
        clock = session.clock
        self.inputs.append(Input(clock.fired, clock.now(), kind, tuple(args)))
        self.redo.clear()

    def apply(self, inp: Input) -> None:
        """Do what `inp` did, as the person did it (the session's own methods, not recorded)."""
        session = self.session
        was = self.replaying
        self.replaying = True
        try:
            if inp.kind == "command":
                try:
                    session.run(inp.args[0])
                except Exception:  # it failed the first time too: its effects, if any, are replayed
                    pass
            elif inp.kind == "clear_arp":
                session.clear_arp(inp.args[0])
            elif inp.kind == "inject":
                segment, hex_frame, origin = inp.args
                session.inject(segment, bytes.fromhex(hex_frame), origin)
        finally:
            self.replaying = was

    # --- redo: going forward again after a rewind --------------------------------------------

    def redo_due(self, until: float | None = None) -> bool:
        if not self.redo:
            return False
        nxt = self.redo[0]
        return nxt.fired == self.session.clock.fired and (until is None or nxt.time <= until)

    def apply_redo(self) -> None:
        inp = self.redo.pop(0)
        self.session.clock.stand_at(inp.time)
        self.inputs.append(inp)  # first: the events it causes are placed after it
        self.apply(inp)

    # --- snapshots ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        session = self.session
        if not session.virtual:
            raise SnapshotError(LIVE_REFUSAL)
        spec, clock = session.spec, session.clock
        return Snapshot(
            spec.text,
            spec.source,
            spec.name,
            spec.seed,
            clock.now(),
            clock.fired,
            session.emitted,
            session.frame_count(),
            tuple(self.inputs),
            (),
            self.origin.path if self.origin else None,
            chain_of(session),
        )

    # --- rewinding ---------------------------------------------------------------------------

    def rewound(self) -> tuple[Session, int]:
        """A new session showing one event fewer than this one, and how many it took back (1, or
        0 when only an input is undone). SnapshotError (one sentence) when there is nothing to undo.

        The lab is replayed from its start to the earliest place whose events include all but
        the last one shown; any events that place has beyond it are held back, as `n` holds them."""
        session = self.session
        if not session.virtual:
            raise SnapshotError(LIVE_REFUSAL.replace("snapshotted or rewound", "rewound"))
        shown = session.shown_events()
        if shown == 0 and not self.inputs:
            raise SnapshotError("already at the start of the lab: nothing to step back over")
        target = max(shown - 1, 0)
        clock = session.clock
        place = self.place_of(target)
        if place is None:
            # Older than the places kept: replay the whole history once to find where it was.
            places: list[tuple[int, int, float, int]] = [(0, 0, 0.0, 0)]
            probe = replayed(session.spec, self.inputs, clock.fired, clock.now(), places=places)
            emitted = probe.emitted
            probe.close()
            if emitted != session.emitted:
                raise SnapshotError(
                    f"cannot step back: replaying the lab gave {emitted} events where it has {session.emitted}"
                )
            place = next(p for p in places if p[3] >= target)
        fired, inputs, time, events = place
        # The session at that place, showing `target` events, what came after ready to redo.
        back = replayed(session.spec, self.inputs[:inputs], fired, time)
        if back.emitted != events:
            back.close()
            raise SnapshotError(
                f"cannot step back: replaying the lab gave {back.emitted} events where it had {events} at that moment"
            )
        if target:
            back.held = rows_after(back, back.emitted - target)
            back._limit_frames()
        back.history.redo = self.inputs[inputs:] + self.redo
        back.history.origin = self.origin
        back.speed_index = session.speed_index
        return back, shown - target


def replayed(
    spec,
    inputs,
    fired: int,
    time: float,
    *,
    places: list | None = None,
    origin: Snapshot | None = None,
) -> Session:
    """A new, paused session of `spec` with `inputs` replayed up to (`fired`, `time`).
    `places` collects (fired, inputs applied, time, events) after every timer and input."""
    from workbench.session import Session

    clock = VirtualClock()
    session = Session(spec, build_network(spec, clock, Trace(clock, keep_events=False)))
    history = session.history
    history.origin = origin

    def note(applied: int) -> None:
        # Command output goes into the log right after the step that printed it, as when stepping.
        session._collect_output()
        if places is not None:
            places.append((clock.fired, applied, clock.now(), session.emitted))

    def apply(inp: Input) -> None:
        history.inputs.append(inp)  # first, as when it was given: its events are placed after it
        history.apply(inp)

    replay(clock, inputs, apply, fired, time, note)
    session._collect_output()
    return session


def open_snapshot(snapshot: Snapshot) -> Session:
    """The session a snapshot names, paused at its moment; refuses a replay that differs."""
    session = replayed(
        snapshot.spec(), snapshot.inputs, snapshot.at_fired, snapshot.at_time, origin=snapshot
    )
    try:
        check_replayed(snapshot, session.emitted, session.frame_count(), chain_of(session))
    except SnapshotError:
        session.close()
        raise
    return session


def chain_of(session: Session) -> str:
    """The EventChain of every event the session's lab has emitted (command output aside)."""
    return session.history.chain.value


def rows_after(session: Session, events: int) -> int:
    """How many rows at the log's tail hold its last `events` events (and the output lines among
    them): what `held` must be to show all but those. Read from the tail, which is in memory."""
    from stack.events import Event

    log, rows, seen = session.log, 0, 0
    while seen < events or (rows < len(log) and not isinstance(log[len(log) - rows - 1], Event)):
        rows += 1
        if isinstance(log[len(log) - rows], Event):
            seen += 1
    return rows
