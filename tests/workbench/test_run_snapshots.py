"""Snapshots in `workbench run` and the session: a run continued from a snapshot reproduces
exactly the original's events (and frames, byte for byte) from that moment; the snapshot file is
never written to; stepping back and forward again retraces the same history; live labs refuse."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from stack.events import Event
from stack.labs import load_lab
from workbench.history import open_snapshot
from workbench.session import Session
from workbench.snapshot import SnapshotError, load_snapshot

REPO = str(Path(__file__).resolve().parents[2])
BROWSE = "pc: browse http://www.google.com/ --one-segment"
PING_WEB = "pc: ping 172.194.72.105 -c 3"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": REPO},
    )


def lines(path) -> list[str]:
    return Path(path).read_text().splitlines()


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("dos", "at"),
    [
        ([PING_WEB], 1.5),  # between the second and third echo
        ([BROWSE, PING_WEB], 0.0012),  # mid-way through the TCP exchange; the ping not started yet
    ],
)
def test_a_run_continued_from_a_snapshot_prints_exactly_what_the_original_printed_after_it(
    tmp_path, dos, at
):
    snap, first, second = tmp_path / "s.json", tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    args = [a for d in dos for a in ("--do", d)]
    original = cli("run", *args, "--events", str(first), "--snapshot", str(snap), "--at", str(at))
    assert original.returncode == 0, original.stderr
    taken = load_snapshot(str(snap))
    assert taken.at_time == at and taken.inputs[0].args == (dos[0],)
    before = digest(snap)
    continued = cli("run", "--from", str(snap), "--events", str(second))
    assert continued.returncode == 0, continued.stderr
    assert digest(snap) == before  # --from never writes to it
    # Every event and every frame's bytes after the moment, identical and in the same order.
    events_before = 0
    tail = []
    for line in lines(first):
        if json.loads(line)["kind"] != "frame_bytes":
            events_before += 1
            if events_before <= taken.events:
                continue
        elif events_before < taken.events:
            continue
        tail.append(line)
    assert tail and lines(second) == tail
    assert json.loads(lines(second)[0])["time"] >= at
    # The text trace too, and the results of every command (the pending ones ran on).
    assert original.stdout.endswith(continued.stdout.split("\n", 0)[0][-2000:])
    for d in dos:
        assert f"── {d} " in continued.stdout


def test_a_snapshot_of_a_continued_run_continues_again(tmp_path):
    s1, s2, full, last = (tmp_path / n for n in ("s1.json", "s2.json", "full.jsonl", "last.jsonl"))
    assert (
        cli(
            "run", "--do", PING_WEB, "--events", str(full), "--snapshot", str(s1), "--at", "0.5"
        ).returncode
        == 0
    )
    mid = cli("run", "--from", str(s1), "--snapshot", str(s2), "--at", "1.5")
    assert mid.returncode == 0, mid.stderr
    second = load_snapshot(str(s2))
    assert second.base == str(s1) and len(second.inputs) == 1
    assert cli("run", "--from", str(s2), "--events", str(last)).returncode == 0
    assert lines(full)[-len(lines(last)) :] == lines(last)


def test_the_snapshot_a_run_continues_from_cannot_be_overwritten(tmp_path):
    snap = tmp_path / "s.json"
    assert cli("run", "--do", PING_WEB, "--snapshot", str(snap), "--at", "1").returncode == 0
    before = digest(snap)
    got = cli("run", "--from", str(snap), "--snapshot", str(snap))
    assert got.returncode == 2 and got.stdout == ""
    assert (
        got.stderr
        == f"workbench: {snap} is the snapshot this lab continues from and is never written to: save to another file\n"
    )
    assert digest(snap) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--do", PING_WEB, "--snapshot", "x.json", "--scratch"],
            "--scratch writes nothing back, so it cannot go with --snapshot",
        ),
        (["--do", PING_WEB, "--at", "1"], "--at says when to take a --snapshot"),
        (
            ["--do", PING_WEB, "--snapshot", "x.json", "--tap", "lan=wb0"],
            "live labs (TAP devices, QEMU sockets and VMs) cannot be snapshotted",
        ),
        (
            ["--lab", "pxe", "--snapshot", "x.json"],
            "live labs (TAP devices, QEMU sockets and VMs) cannot be snapshotted",
        ),
        (["--from", "nope.json"], "nope.json: no such snapshot file"),
    ],
)
def test_snapshot_mistakes_are_one_sentence_and_exit_2(tmp_path, args, says):
    got = cli("run", *args)
    assert got.returncode == 2 and got.stdout == "" and got.stderr.count("\n") == 1
    assert says in got.stderr


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[]",
        '{"format": "packet-workbench-snapshot", "version": 9}',
        '{"format": "packet-workbench-snapshot", "version": 1, "lab": {}}',
    ],
)
def test_a_damaged_snapshot_is_refused_in_one_sentence(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    got = cli("run", "--from", str(bad))
    assert (
        got.returncode == 2
        and got.stderr.startswith(f"workbench: {bad}: not ")
        and got.stderr.count("\n") == 1
    )


def test_a_snapshot_whose_lab_changed_is_refused(tmp_path):
    snap = tmp_path / "s.json"
    assert cli("run", "--do", PING_WEB, "--snapshot", str(snap), "--at", "1").returncode == 0
    data = json.loads(snap.read_text())
    data["lab"]["text"] = (
        data["lab"]["text"].replace("latency", "latency = 0.001\n#", 1)
        if "latency" in data["lab"]["text"]
        else data["lab"]["text"].replace("[segments.lan]", "[segments.lan]\nlatency = 0.001", 1)
    )
    snap.write_text(json.dumps(data))
    got = cli("run", "--from", str(snap))
    assert got.returncode == 2 and "the lab or the workbench changed since" in got.stderr


# --- the session: stepping back, forward again, forks, snapshots ----------------------------


def _described(session: Session) -> list[str]:
    """The lab's events (command output lines are placed by when the screen collected them)."""
    return [f"{e.time:.9f} {e.host} {e.describe()}" for e in session.log if isinstance(e, Event)]


def _stepped(session: Session, count: int) -> Session:
    for _ in range(count):
        session.step()
    return session


def test_stepping_back_then_forward_retraces_the_same_history():
    session = _stepped(Session.open(load_lab("default")), 0)
    session.run(BROWSE)
    _stepped(session, 40)
    seen = _described(session)
    back = session
    counts = []
    for _ in range(12):
        back, took = back.step_back()
        counts.append(took)
    assert counts == [1] * 12 and back.shown_events() == session.shown_events() - 12
    assert (
        _described(back)[: back.shown_events()] == seen[: back.shown_events()]
    )  # the same history, shorter
    assert back.clock.now() < session.clock.now()
    forward = _stepped(back, 12)
    assert _described(forward) == seen and forward.clock.now() == session.clock.now()
    assert forward.shown_events() == session.shown_events()


def test_stepping_back_from_the_places_kept_lands_where_replaying_the_whole_history_first_does():
    """Each step back replays straight to the place the history kept for that event; forgetting
    those places (as for events older than it keeps) replays the whole history first to find
    it. Both give the same session, across commands and an ARP flush and through the redo."""
    from collections import deque

    def picture(s: Session):
        inputs = [(i.fired, i.time, i.kind, i.args) for i in s.history.inputs]
        return (
            s.clock.fired,
            s.clock.now(),
            s.held,
            s.shown_events(),
            _described(s),
            inputs,
            list(s.history.redo),
        )

    session = Session.open(load_lab("default"))
    session.run(BROWSE)
    _stepped(session, 30)
    session.clear_arp("pc")
    session.run("pc: ping 192.168.1.1 -c 2")
    _stepped(session, 12)
    current = session
    for _ in range(45):
        fast, took = current.step_back()
        kept = current.history.places
        current.history.places = deque(maxlen=kept.maxlen)
        slow, took_slow = current.step_back()
        current.history.places = kept
        assert (took, picture(fast)) == (took_slow, picture(slow))
        slow.close()
        current = fast
    assert [i.kind for i in current.history.redo] == [
        "clear_arp",
        "command",
    ]  # stepped back past both
    assert _described(_stepped(current, 45)) == _described(session)


def test_stepping_back_past_a_command_then_giving_another_forks_the_history():
    session = Session.open(load_lab("default"))
    session.run("pc: ping 192.168.1.1 -c 1")
    _stepped(session, 4)
    back = session
    while back.shown_events() or back.history.inputs:
        back, _ = back.step_back()
    assert [i.args for i in back.history.redo] == [("pc: ping 192.168.1.1 -c 1",)]
    back.run("pc2: ping 192.168.1.1 -c 1")  # a new input: the old future is gone
    assert back.history.redo == [] and [i.args for i in back.history.inputs] == [
        ("pc2: ping 192.168.1.1 -c 1",)
    ]
    with pytest.raises(SnapshotError, match="already at the start of the lab"):
        Session.open(load_lab("default")).step_back()


def test_a_run_snapshot_opens_and_steps_back_in_the_app_with_a_window_far_shorter_than_its_history(
    tmp_path, monkeypatch
):
    """A browse's whole history (hundreds of events, dozens of frames) with a trace window of 4
    frames: the event log forgets its start, yet the snapshot workbench run took opens in the
    app (every event checked, bus records counted as their rows) and steps back one event."""
    snap = tmp_path / "s.json"
    got = cli("run", "--trace-window", "4", "--do", BROWSE, "--snapshot", str(snap))
    assert got.returncode == 0, got.stderr
    taken = load_snapshot(str(snap))
    monkeypatch.setenv("WORKBENCH_TRACE_WINDOW", "4")
    session = open_snapshot(taken)
    assert session.log.first_row > 0 and session.trace.spilled  # the start is no longer in memory
    assert session.emitted == taken.events and session.frame_count() == taken.frames > 4
    back, took = session.step_back()
    assert took == 1 and back.shown_events() == taken.events - 1
    assert (
        _described(back)[-30:] == _described(session)[-30:]
    )  # the same tail, its last event held back
    assert back.held and _described(back)[len(_described(back)) - 1] == _described(session)[-1]
    forward = _stepped(back, 1)
    assert forward.shown_events() == taken.events
    for s in (session, back):
        s.close()


def test_app_actions_are_inputs_too_and_a_snapshot_reopens_where_it_was(tmp_path):
    session = Session.open(load_lab("default"))
    session.run("pc: ping 192.168.1.1 -c 1")
    _stepped(session, 4)
    session.clear_arp("pc")
    from stack.wire.arp import ARP
    from stack.wire.ethernet import ETH_ARP, Ethernet
    from stack.wire.mac import MAC

    liar = MAC("00:21:cc:61:40:68")  # pc5 claims to be the gateway
    lie = ARP.reply(
        liar, IPv4Address("192.168.1.1"), MAC("00:1b:21:3a:4f:64"), IPv4Address("192.168.1.100")
    )
    session.inject("lan", Ethernet(MAC("00:1b:21:3a:4f:64"), liar, ETH_ARP, lie.build()).build())
    _stepped(session, 3)
    snap = session.snapshot()
    assert [i.kind for i in snap.inputs] == ["command", "clear_arp", "inject"]
    path = tmp_path / "app.json"
    snap.save(str(path))
    reopened = open_snapshot(load_snapshot(str(path)))
    assert _described(reopened) == _described(session)
    assert reopened.clock.now() == session.clock.now() and reopened.arp_rows(
        "pc"
    ) == session.arp_rows("pc")
    # workbench run cannot replay the app's actions: it says where to continue instead.
    got = cli("run", "--from", str(path))
    assert got.returncode == 2 and "continue it in the app (workbench --from" in got.stderr


# --- the app: S saves, --from opens, --scratch writes nothing, live labs refuse ---------------


async def test_s_saves_a_snapshot_the_app_reopens_at_the_same_moment(tmp_path):
    from snapshot_app import make_app, run_command, settle, steps

    from workbench.app import WorkbenchApp

    path = tmp_path / "mine.snapshot.json"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await run_command(pilot, "pc: ping 192.168.1.1 -c 1")
        await steps(pilot, 2)
        await pilot.press("S")
        await pilot.pause()
        field = app.screen.query_one("#prompt-input")
        assert field.value == "default-0.000110s.snapshot.json"
        field.value = str(path)
        await pilot.press("enter")
        await pilot.pause()
        seen = _described(app.session)
        when = app.session.clock.now()
    saved = load_snapshot(str(path))
    assert saved.at_time == when and saved.events == len(seen)
    before = digest(path)
    again = WorkbenchApp(saved.spec(), origin=saved, cursor_blink=False)
    async with again.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert _described(again.session) == seen and again.session.clock.now() == when
        await pilot.press("S")  # the file it came from is not offered for writing
        await pilot.pause()
        field = again.screen.query_one("#prompt-input")
        field.value = str(path)
        await pilot.press("enter")
        await pilot.pause()
        assert again.screen.query_one("#prompt-input")  # refused: the prompt stays, saying why
        await pilot.press("escape")
        await steps(pilot, 2)  # and it carries on
        assert again.session.emitted > len(seen)
    assert digest(path) == before


async def test_scratch_writes_no_snapshot_and_a_live_lab_says_it_cannot_step_back(tmp_path):
    from snapshot_app import settle

    from workbench.app import WorkbenchApp

    app = WorkbenchApp(load_lab("default"), cursor_blink=False, scratch=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        assert not app.screen.query("#prompt-input")
        assert any("--scratch: nothing is written back" in n.message for n in app._notifications)


async def test_a_live_lab_says_it_cannot_be_rewound_or_snapshotted():
    import asyncio

    from stack.clock import RealtimeClock
    from stack.labs import build_network
    from stack.trace import Trace

    clock = RealtimeClock(asyncio.get_running_loop())
    spec = load_lab("default")
    session = Session(spec, build_network(spec, clock, Trace(clock), live=True))
    session.run("pc: ping 192.168.1.1 -c 1")
    await asyncio.sleep(0.05)
    assert session.emitted > 0
    with pytest.raises(
        SnapshotError,
        match=r"^live labs \(TAP devices, QEMU sockets and VMs\) cannot be rewound: their peers' state is outside the workbench$",
    ):
        session.step_back()
    with pytest.raises(SnapshotError, match="cannot be snapshotted or rewound"):
        session.snapshot()
    assert session.history.inputs == []  # nothing recorded: there is nothing to replay
    session.close()
