"""The bounded trace: a window of frames in memory, the rest in a spill file on disk, and every
frame of the run still readable by its id — checked against an unbounded trace of the same
run, and against tshark reading the spill file as the capture it is."""

import os
import subprocess

import pytest

from stack.clock import VirtualClock
from stack.events import expand
from stack.labs import build_network, load_lab
from stack.spill import SpillFile
from stack.trace import Trace
from tests.conftest import needs_tool
from workbench.shell import prepare, run_virtual

STORY = ["pc: ping 192.168.1.101 -c 3", "pc: browse http://www.google.com/"]


def _run(window, spill_path=None):
    clock = VirtualClock()
    trace = Trace(clock, window=window, spill_path=spill_path)
    net = build_network(load_lab("default"), clock, trace)
    outcomes = run_virtual(net, [prepare(net, t) for t in STORY])
    assert all(o.ok for o in outcomes)
    return net


def assert_same_frames(trace, whole):
    """`trace` (bounded) gives every frame of the run as `whole` (unbounded) does."""
    assert trace.count == whole.count > 40
    for frame_id in range(1, trace.count + 1):
        got, want = trace.frame(frame_id), whole.frame(frame_id)
        assert (got.id, got.segment, got.origin, got.data) == (
            want.id,
            want.segment,
            want.origin,
            want.data,
        )
        assert got.time == pytest.approx(want.time, abs=1e-9)


def test_every_frame_reads_back_the_same_from_the_spill_file_as_from_memory(tmp_path):
    whole = _run(None)
    bounded = _run(8)
    trace = bounded.trace
    assert len(trace._window) == 8 and trace.spilled == trace.count - 8
    assert os.path.exists(trace.spill_path)
    assert_same_frames(trace, whole.trace)
    # The sequence view is the same whole run, first frame to last.
    assert [f.data for f in trace.frames] == [f.data for f in whole.trace.frames]
    assert trace.frames[0].id == 1 and trace.frames[-1].id == trace.count
    # The events that followed a spilled frame are its notes: pc2's verdict on frame #1 is there.
    notes = trace.notes(1)
    assert any("pc2      eth0 accepts #1: broadcast" in line for line in notes)
    assert any("pc3, pc4, pc5, gw-a drop #2: not for me" in line for line in trace.notes(2))
    trace.close()
    assert not os.path.exists(bounded.trace.spill_path)  # a temporary spill is removed


def test_memory_holds_the_window_however_long_the_run(tmp_path):
    clock = VirtualClock()
    trace = Trace(clock, window=50)
    net = build_network(load_lab("default"), clock, trace)
    run_virtual(net, [prepare(net, "pc: ping 192.168.1.1 -c 400 -i 0.01")])
    assert trace.count > 800
    assert len(trace._window) == 50 and len(trace._notes) == 50
    assert len(trace.events.records()) <= 50 * 20
    assert trace.frame(3).id == 3 and trace.frame(trace.count).id == trace.count
    trace.close()


@needs_tool("tshark")
def test_frames_leave_the_window_a_batch_at_a_time_and_each_reads_back_whole(tmp_path):
    """Past the window, frames go to disk a 64th of the window at a time (one write a batch):
    memory never holds more than the window, and every frame of every batch reads back with
    its notes, from the trace and from tshark reading the kept spill file."""

    def run(window, spill_path=None):
        clock = VirtualClock()
        trace = Trace(clock, window=window, spill_path=spill_path)
        most = [0]
        trace.subscribe(lambda _e: most.__setitem__(0, max(most[0], len(trace._window))))
        net = build_network(load_lab("default"), clock, trace)
        run_virtual(net, [prepare(net, "pc: ping 192.168.1.1 -c 400 -i 0.01")])
        return trace, most[0]

    whole, _ = run(1_000_000)  # every frame and its notes in memory
    path = str(tmp_path / "spill.pcapng")
    trace, most = run(320, path)  # batches of 5
    assert most == 320 and 315 <= len(trace._window) <= 320
    assert trace.count == whole.count > 800
    assert trace.spilled == trace.count - len(trace._window)
    for frame_id in range(1, trace.count + 1):
        assert trace.frame(frame_id).data == whole.frame(frame_id).data
        assert trace.notes(frame_id) == whole.notes(frame_id)
    trace.close()
    out = subprocess.run(
        ["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.comment"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(out) == whole.count
    number, comments = out[400].split("\t")
    assert number == "401"
    # tshark joins a frame's comments with commas: who sent it, then its trace lines.
    assert comments == ",".join([f"sent by {whole.frame(401).origin}", *whole.notes(401)])


def test_the_event_log_reads_the_rows_an_unbounded_one_does():
    """The events of a bounded trace (their window a few frames' worth) are numbered and read
    as an unbounded trace's are, by row, by slice and in order, however they were appended."""
    whole, bounded = _run(None).trace.events, _run(3).trace.events
    first = bounded.first_row
    assert 0 < first < len(bounded) == len(whole) > 200
    assert bounded[first:] == whole[first:]
    assert [bounded[row] for row in range(first, len(bounded))] == whole[first:]
    assert list(bounded)[-5:] == whole[-5:]


@needs_tool("tshark")
def test_tshark_reads_the_spill_file_with_each_frames_events_as_comments(tmp_path):
    path = str(tmp_path / "spill.pcapng")
    net = _run(4, spill_path=path)
    net.trace.close()  # a spill file that was asked for is kept, with every frame
    assert os.path.exists(path)
    out = subprocess.run(
        [
            "tshark",
            "-r",
            path,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.interface_name",
            "-e",
            "frame.comment",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(out) == net.trace.count
    number, interface, comments = out[1].split("\t")
    assert number == "2" and interface == "lan"
    assert "sent by pc2 eth0" in comments and "pc3, pc4, pc5, gw-a drop #2: not for me" in comments


def test_a_spill_file_refuses_frames_out_of_order(tmp_path):
    spill = SpillFile(str(tmp_path / "s.pcapng"))
    spill.write(1, 0.0, "lan", "pc eth0", b"\xff" * 60, [])
    with pytest.raises(ValueError):
        spill.write(3, 0.0, "lan", "pc eth0", b"\xff" * 60, [])
    assert spill.read(1).data == b"\xff" * 60
    spill.close()


def test_the_window_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_TRACE_WINDOW", "123")
    assert Trace(VirtualClock()).window == 123
    monkeypatch.setenv("WORKBENCH_TRACE_WINDOW", "0")
    assert Trace(VirtualClock()).window is None
    monkeypatch.setenv("WORKBENCH_TRACE_WINDOW", "lots")
    with pytest.raises(ValueError, match="number of frames"):
        Trace(VirtualClock())


async def test_a_live_run_that_ends_while_frames_wait_to_spill_ends_quietly(tmp_path):
    """Live, frames past the window go to disk a moment later; a run that ends in that moment
    (every live run does at its last frames) must not write them to the closed spill file: it
    printed 'spill expects frame #…' as a traceback at the end of a 10-minute run."""
    import asyncio

    from stack.clock import RealtimeClock

    loop = asyncio.get_running_loop()
    problems: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: problems.append(context))
    trace = Trace(RealtimeClock(loop), window=2)  # a temporary spill file, removed at the end
    for i in range(3):
        trace.record_frame("lan", "pc eth0", bytes(60) + bytes([i]))
    await asyncio.sleep(0.02)  # the first frame past the window goes to the spill file
    assert trace.spilled == 1
    trace.record_frame("lan", "pc eth0", bytes(61))  # a last frame, then the run ends
    trace.close()
    await asyncio.sleep(0.02)  # the wait for the quiet moment runs out after the end
    assert problems == []
    assert trace.spilled == 1
    assert not os.path.exists(trace.spill_path)  # removed, and not made again by a late write


def test_the_spill_file_holds_each_frames_trace_lines_as_they_read_in_memory(tmp_path):
    """The spill file's comments are encoded from parts kept per shape (sender, segment,
    length, reason …): they must be the very lines `notes` gives while the frame is in
    memory, for every kind of event in a run that pings across both routers, traces the
    route (TTL exceeded on the way) and browses."""
    story = [*STORY, "pc: traceroute 172.194.72.105", "pc: ping 8.8.8.8 -c 2 -s 3000"]

    def run(window, spill_path=None):
        clock = VirtualClock()
        trace = Trace(clock, window=window, spill_path=spill_path)
        net = build_network(load_lab("default"), clock, trace)
        outcomes = run_virtual(net, [prepare(net, t) for t in story])
        assert all(o.ok for o in outcomes)
        return trace

    whole = run(1_000_000)  # every frame's notes in memory
    bounded = run(40, str(tmp_path / "spill.pcapng"))  # frames leave long after their events
    assert bounded.spilled == bounded.count - 40 > 60
    made = [expand(e) if type(e) is tuple else e for notes in whole._notes for e in notes]
    kinds = {type(e).__name__ for e in made}
    assert {"FrameSent", "FrameReceived", "FramesFiltered", "Forwarded", "IcmpSent"} <= kinds
    for frame_id in range(1, bounded.spilled + 1):
        assert bounded.notes(frame_id) == whole.notes(frame_id)


def test_merged_frames_leave_the_window_sooner_so_its_memory_stays_bounded():
    # A TAP device's offload hands over TCP frames of up to 64 KB: a window of 100 such frames
    # would hold 6.4 MB where wire-sized ones hold 150 KB. The window keeps 3,200 bytes a frame.
    trace = Trace(VirtualClock(), window=100)
    big = bytes(14) + bytes(range(256)) * 250  # 64,014 bytes
    small = bytes(60)
    for n in range(50):
        trace.record_frame("lan", "tap tap", big if n % 2 else small)
    held = sum(len(f[4]) for f in trace._window)
    assert held <= 100 * 3200 and len(trace._window) < 10
    assert trace.spilled == 50 - len(trace._window)
    assert trace.frame(2).data == big and trace.frame(1).data == small  # read back from disk
    for _ in range(200):  # wire-sized frames fill the window by count as before
        trace.record_frame("lan", "pc eth0", small)
    assert len(trace._window) == 100
    trace.close()


@pytest.mark.parametrize("as_objects", [False, True], ids=["values", "objects"])
def test_the_event_window_holds_no_more_frame_bytes_than_the_frame_window(as_objects):
    # Each FrameSent holds its frame: 20 events a frame of window would let merged 64 KB
    # frames keep a gigabyte in the event log after the frames themselves left for the disk.
    trace = Trace(VirtualClock(), window=100)
    if as_objects:  # as the app subscribes: every event an object as it happens
        trace.subscribe(lambda _event: None)
    big = bytes(14) + bytes(range(256)) * 250
    for _ in range(200):
        trace.record_sent("lan", "tap tap", "tap", "tap", big)
    assert trace.events.held <= 100 * 3200 + len(big)
    kept = list(trace.events)
    assert kept[-1].data == big and kept[-1].frames == (200,) and 0 < len(kept) < 10
    # What left the event window is still told, in the spill file's notes of its frame.
    assert trace.notes(1) and "sends #1 on lan (64018 bytes with FCS)" in trace.notes(1)[0]
    trace.close()
