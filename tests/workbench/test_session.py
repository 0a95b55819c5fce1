"""The session without a screen: stepping, batching, commands and their output, the panes'
rows, the crafted ARP reply, captures."""

from __future__ import annotations

import pytest

from stack.labs import load_lab
from workbench.session import SPEEDS, OutputLine, Session
from workbench.shell import CommandError
from workbench.views import decision_lines


@pytest.fixture
def session() -> Session:
    return Session.open(load_lab("default"))


class FakePump:
    """Stands in for the app: records what the session posts, fires no timers."""

    def __init__(self) -> None:
        self.posted = []

    def post_message(self, message) -> bool:
        self.posted.append(message)
        return True

    def set_interval(self, interval, callback):
        class Timer:
            def stop(self) -> None:
                pass

        return Timer()


def test_opens_paused_at_zero(session):
    status = session.status()
    assert (status.now, status.playing, status.speed, status.frames, status.events) == (
        0.0,
        False,
        1.0,
        0,
        0,
    )
    assert session.default_host() == "pc"


def test_step_fires_until_an_event(session):
    session.run("pc: ping 192.168.1.1 -c 1")
    before = session.emitted
    assert session.step()
    assert session.emitted > before
    assert not session.playing


def test_step_with_nothing_to_do(session):
    assert not session.step()


def test_step_pauses_a_playing_session(session):
    session.run("pc: ping 192.168.1.1 -c 1")
    session.toggle_play()
    session.step()
    assert not session.playing


def test_speed_ladder_stops_at_its_ends(session):
    for _ in range(len(SPEEDS) + 2):
        session.faster()
    assert session.speed == SPEEDS[-1]
    for _ in range(len(SPEEDS) + 2):
        session.slower()
    assert session.speed == SPEEDS[0]


async def test_one_message_in_flight_until_taken(session):
    """A flood is one SessionChanged: the session posts again only after the screen took."""
    pump = FakePump()
    session.attach(pump)
    try:
        assert len(pump.posted) == 1
        session.run("pc: ping 192.168.1.1 -c 3")
        while session.step():
            pass
        changed = [m for m in pump.posted if type(m).__name__ == "SessionChanged"]
        assert len(changed) == 1, "nothing posted while the first is unread"
        assert [type(m).__name__ for m in pump.posted].count("CommandFinished") == 1
        new = session.take()
        assert len(new) == len(session.log)
        session.faster()
        assert [type(m).__name__ for m in pump.posted].count("SessionChanged") == 2
    finally:
        session.close()


def test_playing_tick_runs_the_clock_within_budget(session, monkeypatch):
    session.run("pc: ping 192.168.1.1 -c 1")
    session.toggle_play()
    session._last_wall -= 0.1  # a tick 0.1 s after play: 0.1 virtual seconds at 1×
    session.tick()
    assert session.clock.now() == pytest.approx(0.1, abs=0.01)
    assert not session.programs, "the ping finished inside that tick"


def test_output_is_stamped_when_printed_not_when_the_tick_ends(session):
    """Playing, the app runs the clock a tick at a time; a program's lines are logged at the
    lab time the program printed them, among the events of that instant, whatever the ticks."""
    session.run("pc: ping 172.194.72.105 -c 2")
    session.toggle_play()
    for _ in range(200):
        session._last_wall -= 0.7  # long ticks (the session caps each): the ping ends inside one
        session.tick()
        if not session.programs:
            break
    assert not session.programs and session.clock.now() > 1.001
    log = list(session.log)
    replies = [e for e in log if type(e).__name__ == "PingReply"]
    stats = next(i for i, e in enumerate(log) if getattr(e, "text", "").startswith("--- 172"))
    assert log[stats].time == replies[-1].time < 1.001  # not the tick's end
    assert log.index(replies[-1]) < stats
    header = next(e for e in log if getattr(e, "text", "").startswith("PING "))
    # ping says PING before it sends: the line comes before the first frame's events
    assert log.index(header) < next(i for i, e in enumerate(log) if type(e).__name__ == "FrameSent")


def test_command_output_is_logged_once(session):
    """ping's reply lines are also events (PingReply): the log has each once."""
    session.run("pc: ping 192.168.1.1 -c 1")
    while session.step():
        pass
    texts = [e.describe() for e in session.log if e.host == "pc"]
    replies = [t for t in texts if t.startswith("64 bytes from 192.168.1.1")]
    assert len(replies) == 1
    outputs = [e.text for e in session.log if isinstance(e, OutputLine)]
    assert outputs[0] == "$ pc: ping 192.168.1.1 -c 1"
    assert "--- 192.168.1.1 ping statistics ---" in outputs


def test_bad_command_raises_the_sentence_and_runs_nothing(session):
    with pytest.raises(CommandError, match="-c takes a number"):
        session.run("pc: ping 192.168.1.1 -c x")
    assert session.log == []


def test_first_entry_for_a_frame(session):
    session.run("pc: ping 192.168.1.1 -c 1")
    while session.step():
        pass
    index = session.first_entry_for(2)
    assert "sends #2" in session.entry(index).describe()
    assert session.frame(2).id == 2 and session.frame(99) is None


def test_rows_for_the_panes(session):
    rows = session.host_rows()
    assert [(r.host, r.interface) for r in rows][:2] == [("pc", "eth0"), ("pc2", "eth0")]
    gw = [r for r in rows if r.host == "gw-b"]
    assert [r.first for r in gw] == [True, False, False]
    pc = rows[0]
    assert (pc.address, pc.gateway, pc.dns, pc.dhcp) == (
        "192.168.1.100/24",
        "192.168.1.1",
        "8.8.8.8",
        "static",
    )
    assert next(r for r in rows if r.host == "gw-a").dhcp == "server"
    assert [r.destination for r in session.route_rows("pc")] == ["192.168.1.0/24", "default"]


def test_decision_lines_put_each_and_on_a_line(session):
    session.run("pc: ping 172.194.72.105 -c 1")
    (decision,) = session.decisions_of("pc")
    assert decision_lines(decision) == [
        "192.168.1.100 AND 255.255.255.0 = 192.168.1.0",
        "172.194.72.105 AND 255.255.255.0 = 172.194.72.0",
        "192.168.1.0 ≠ 172.194.72.0, different subnets",
    ]


def test_the_workshop_offers_the_arp_reply_template_from_a_neighbour(session):
    """What `x` starts from: pc5 (pc's last ordinary neighbour) telling pc the gateway is at
    pc5's MAC; sent through the shell it changes pc's cached gateway entry."""
    session.run("pc: ping 192.168.1.1 -c 1")
    while session.step():
        pass
    workshop = session.workshop()
    sender = workshop.neighbour_of("pc")
    assert sender == "pc5"
    text = workshop.template_text("arp-reply", sender, victim="pc")
    assert (
        text
        == 'Ether(dst="00:1b:21:3a:4f:64")/ARP(op=2, psrc="192.168.1.1", hwdst="00:1b:21:3a:4f:64", pdst="192.168.1.100")'
    )
    session.run(f"{sender}: send {text}")
    while session.step():
        pass
    (row,) = session.arp_rows("pc")
    assert (row.mac, row.previous) == ("00:21:cc:61:40:68", "50:c7:bf:a1:00:01")
    assert session.owner_of(row.previous) == "gw-a eth0" and session.owner_of(row.mac) == "pc5 eth0"


def test_clear_arp(session):
    session.run("pc: ping 192.168.1.1 -c 1")
    while session.step():
        pass
    assert session.clear_arp("pc") == 1
    assert session.arp_rows("pc") == []


@pytest.mark.parametrize("name, magic", [("x.pcap", "d4c3b2a1"), ("x.pcapng", "0a0d0d0a")])
def test_save_capture(session, tmp_path, name, magic):
    session.run("pc: ping 192.168.1.1 -c 1")
    while session.step():
        pass
    path = tmp_path / name
    assert session.save_capture(str(path)) == 4
    assert path.read_bytes()[:4].hex() == magic


def test_inject_onto_a_segment(session):
    frame = bytes.fromhex("ffffffffffff0200000000980806") + bytes(46)
    frame_id = session.inject("lan", frame)
    assert session.frame(frame_id).origin.startswith("crafted")
    with pytest.raises(CommandError, match="no segment named 'wan'"):
        session.inject("wan", frame)


async def test_a_playing_lab_with_nothing_due_sleeps_between_ticks(session, monkeypatch):
    """Idle costs (almost) nothing: no 30-a-second ticking when no timer is due."""
    import asyncio

    ticks = []
    real_tick = session.tick
    monkeypatch.setattr(session, "tick", lambda: (ticks.append(session.clock.now()), real_tick()))
    session.attach(FakePump())
    try:
        await asyncio.sleep(0.3)
        paused = len(ticks)
        assert paused <= 1, "a paused lab does not tick"
        session.toggle_play()
        await asyncio.sleep(1.2)
        idle = len(ticks) - paused
        assert 1 <= idle <= 3, f"{idle} ticks in 1.2 s with nothing due"
        assert session.clock.now() == pytest.approx(1.2, abs=0.3), (
            "the clock still moves in real time"
        )
        # With a ping every 0.25 s of lab time, ticks come when its timers are due, not 30 a second.
        session.run("pc: ping 192.168.1.1 -c 4 -i 0.25")
        before = len(ticks)
        await asyncio.sleep(1.2)
        busy = len(ticks) - before
        assert 2 <= busy <= 15, f"{busy} ticks: as the timers fall due, not 30 a second"
        assert not session.programs, "the ping ran to its end while playing"
    finally:
        session.close()


def test_a_long_session_keeps_a_window_and_points_to_the_spill_for_the_rest(monkeypatch):
    monkeypatch.setenv("WORKBENCH_TRACE_WINDOW", "20")
    session = Session.open(load_lab("default"))
    try:
        session.run("pc: ping 192.168.1.1 -c 200 -i 0.01")
        session.clock.run_until_idle()
        session._collect_output()
        assert session.trace.count > 400
        assert len(session.log.records()) <= 20 * 20 + 1024  # the window, compacted in chunks
        assert len(session.first_entry) <= 4 * 20 + 1
        assert "spill" in session.entry(0).describe()
        # Every frame is still there to show, the old ones read back from disk.
        assert (
            session.frame(1).id == 1
            and session.frame(session.trace.count).id == session.trace.count
        )
        assert session.status().spill == session.trace.spill_path
    finally:
        session.close()
