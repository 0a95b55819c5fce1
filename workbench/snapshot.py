"""Snapshots of a simulated lab: the honest simple form — the lab, its seed, and every input a
person gave (commands and actions at their exact place in time), replayed on load.

A simulated lab is deterministic: the virtual clock fires timers in a fixed order, every random
choice is seeded by the lab. So a moment is named by how many timers had fired and the lab time,
and an input by the same pair; replaying the inputs at their places rebuilds the moment exactly,
frame for frame. A snapshot file is never written to by the run that continues from it (like a
qcow2 image on its backing file); a new snapshot taken there copies its inputs and names it in
`from`. Labs with TAP devices or QEMU VMs cannot be snapshotted or rewound: their peers' state
lives outside the workbench.

    {"format": "packet-workbench-snapshot", "version": 1,
     "lab": {"name": …, "source": …, "text": "<the lab's TOML>"}, "seed": 1,
     "at": {"time": 1.5, "fired": 123}, "events": 456, "frames": 17,
     "inputs": [{"time": 0.0, "fired": 0, "kind": "command", "args": ["pc: ping …"]}, …],
     "pending": ["pc: browse …"], "from": "base.json"}

`events` and `frames` are what the lab had emitted and sent at that moment: a replay that gives
other numbers (the lab or the workbench changed since) is refused in one sentence.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from stack.clock import VirtualClock
from stack.events import FramesFiltered
from stack.labs import LabError
from stack.labs.load import parse_lab
from stack.labs.spec import LabSpec

FORMAT = "packet-workbench-snapshot"
VERSION = 1
KINDS = ("command", "clear_arp", "inject")
LIVE_REFUSAL = "live labs (TAP devices, QEMU sockets and VMs) cannot be snapshotted or rewound: their peers' state is outside the workbench"


class SnapshotError(Exception):
    """A snapshot that cannot be taken, read or replayed; the message is one sentence."""


@dataclass(frozen=True)
class Input:
    """Something a person did, at its place in the lab's history: after `fired` timers, at `time`."""

    fired: int
    time: float
    kind: str
    args: tuple

    def as_dict(self) -> dict:
        return {"time": self.time, "fired": self.fired, "kind": self.kind, "args": list(self.args)}


@dataclass(frozen=True)
class Snapshot:
    lab_text: str
    lab_source: str
    lab_name: str
    seed: int
    at_time: float
    at_fired: int
    events: int
    frames: int
    inputs: tuple[Input, ...] = ()
    pending: tuple[str, ...] = ()  # `workbench run`'s commands not yet started at that moment
    base: str | None = None  # the snapshot this one continued from
    chain: str = ""  # EventChain of every event up to the moment: a replay must give the same
    path: str | None = field(default=None, compare=False)  # where it was read from

    def spec(self) -> LabSpec:
        try:
            return parse_lab(self.lab_text, self.lab_source)
        except LabError as err:
            raise SnapshotError(
                f"snapshot {self.path or ''}: its lab no longer loads ({err})"
            ) from None

    def describe(self) -> str:
        n = len(self.inputs)
        return f"lab {self.lab_name} at {self.at_time:.6f} s ({n} input{'s' if n != 1 else ''}, {self.events} events, {self.frames} frames)"

    def as_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "lab": {"name": self.lab_name, "source": self.lab_source, "text": self.lab_text},
            "seed": self.seed,
            "at": {"time": self.at_time, "fired": self.at_fired},
            "events": self.events,
            "frames": self.frames,
            "chain": self.chain,
            "inputs": [i.as_dict() for i in self.inputs],
            "pending": list(self.pending),
            "from": self.base,
        }

    @staticmethod
    def check_target(path: str, backing: str | None) -> None:
        if (
            backing is not None
            and os.path.exists(path)
            and os.path.exists(backing)
            and os.path.samefile(path, backing)
        ):
            raise SnapshotError(
                f"{path} is the snapshot this lab continues from and is never written to: save to another file"
            )

    def save(self, path: str, *, backing: str | None = None) -> None:
        """Write it to `path` whole or not at all; never over the snapshot a lab continues from."""
        self.check_target(path, backing)
        directory = os.path.dirname(os.path.abspath(path))
        try:
            fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=directory)
        except OSError as err:
            raise SnapshotError(
                f"cannot write a snapshot in {directory}: {err.strerror or err}"
            ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self.as_dict(), out, indent=1, ensure_ascii=False)
                out.write("\n")
            os.replace(tmp, path)
        except OSError as err:
            os.unlink(tmp)
            raise SnapshotError(f"cannot write snapshot {path}: {err.strerror or err}") from None


def load_snapshot(path: str) -> Snapshot:
    """Read a snapshot file, checking every field; one sentence when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SnapshotError(
            f"{path}: cannot be read ({getattr(err, 'strerror', None) or err})"
        ) from None
    except (json.JSONDecodeError, RecursionError) as err:
        raise SnapshotError(f"{path}: not a workbench snapshot (not JSON: {err})") from None

    def bad(what: str) -> SnapshotError:
        return SnapshotError(f"{path}: not a usable workbench snapshot ({what})")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f'no "format": "{FORMAT}"')
    if data.get("version") != VERSION:
        raise bad(f"version {data.get('version')!r}, this workbench reads version {VERSION}")
    lab, at = data.get("lab"), data.get("at")
    if not isinstance(lab, dict) or not all(
        isinstance(lab.get(k), str) for k in ("name", "source", "text")
    ):
        raise bad("lab needs name, source and text")
    if not isinstance(at, dict) or not _number(at.get("time")) or not _count(at.get("fired")):
        raise bad("at needs a time and a count of fired timers")
    for key in ("events", "frames", "seed"):
        if not _count(data.get(key)):
            raise bad(f"{key} should be a whole number")
    inputs = []
    raw_inputs = data.get("inputs")
    if not isinstance(raw_inputs, list):
        raise bad("inputs should be a list")
    last = (0, 0.0)
    for i, raw in enumerate(raw_inputs):
        if (
            not isinstance(raw, dict)
            or raw.get("kind") not in KINDS
            or not _count(raw.get("fired"))
            or not _number(raw.get("time"))
            or not isinstance(raw.get("args"), list)
            or not all(isinstance(a, str | None) for a in raw["args"])
        ):
            raise bad(
                f"input {i + 1} should have a kind ({', '.join(KINDS)}), fired, time and a list of text args"
            )
        place = (raw["fired"], raw["time"])
        if place < last or place > (at["fired"], at["time"]):
            raise bad(f"input {i + 1} is out of order")
        last = place
        inputs.append(Input(raw["fired"], float(raw["time"]), raw["kind"], tuple(raw["args"])))
    pending = data.get("pending", [])
    if not isinstance(pending, list) or not all(isinstance(p, str) for p in pending):
        raise bad("pending should be a list of commands")
    base = data.get("from")
    if base is not None and not isinstance(base, str):
        raise bad("from should be a file name")
    chain = data.get("chain", "")
    if not isinstance(chain, str):
        raise bad("chain should be text")
    return Snapshot(
        lab["text"],
        lab["source"],
        lab["name"],
        data["seed"],
        float(at["time"]),
        at["fired"],
        data["events"],
        data["frames"],
        tuple(inputs),
        tuple(pending),
        base,
        chain,
        path,
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e12


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


# --- replay ---------------------------------------------------------------------------------


def advance(clock: VirtualClock, fired: int, on_timer: Callable[[], None] | None = None) -> None:
    """Fire timers until `fired` have fired in all."""
    while clock.fired < fired:
        if not clock.step():
            raise SnapshotError(
                f"the lab ran out of things to do after {clock.fired} timers where the snapshot has {fired}: the lab or the workbench changed since it was taken"
            )
        if on_timer is not None:
            on_timer()


def replay(
    clock: VirtualClock,
    inputs,
    apply: Callable[[Input], None],
    fired: int,
    time: float,
    on_action: Callable[[int], None] | None = None,
) -> None:
    """Apply each input at its place, then stop where (`fired`, `time`) says. `on_action(n)`
    is called after every timer and every input (n: inputs applied so far)."""
    applied = 0

    def timer() -> None:
        if on_action is not None:
            on_action(applied)

    for inp in inputs:
        advance(clock, inp.fired, timer)
        clock.stand_at(inp.time)
        apply(inp)
        applied += 1
        if on_action is not None:
            on_action(applied)
    advance(clock, fired, timer)
    clock.stand_at(time)


class EventChain:
    """A running digest of the events a lab emits (time, host, words), each link hashing the
    last: two histories agree only if every event agrees. A trace subscriber: it sees every
    event of the run, however small the trace's and the event log's windows are."""

    def __init__(self, start: str = "") -> None:
        self.value = start
        self.count = 0

    def __call__(self, event) -> None:
        # A bus's one record for the NICs a frame is not for links as its rows, one per NIC, so
        # the chain and its count are the same whether read from the trace or the event log.
        for row in event.expand() if type(event) is FramesFiltered else (event,):
            line = f"{self.value}{row.time:.9f} {row.host} {row.describe()}"
            self.value = hashlib.sha256(line.encode()).hexdigest()
            self.count += 1


def check_replayed(snapshot: Snapshot, events: int, frames: int, chain: str) -> None:
    if (events, frames) != (snapshot.events, snapshot.frames):
        raise SnapshotError(
            f"replaying {snapshot.path or 'the snapshot'} gave {events} events and {frames} frames where it recorded "
            f"{snapshot.events} and {snapshot.frames}: the lab or the workbench changed since it was taken"
        )
    if snapshot.chain and chain != snapshot.chain:
        raise SnapshotError(
            f"replaying {snapshot.path or 'the snapshot'} gave other events than it recorded (as many, {events}, but not the same): "
            "the lab or the workbench changed since it was taken"
        )
