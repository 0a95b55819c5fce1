"""The spill file written by a forked child (stack.spill_child): every frame and its notes read
back as an unbounded trace has them, also when the child is killed mid-run, also when the
process has other threads (no fork then); and the text trace's child and the spill file's
child never wait on each other's pipe."""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from stack.clock import VirtualClock
from stack.labs import build_network, load_lab
from stack.trace import Trace
from tests.conftest import needs_tool
from tests.stack.test_trace_spill import assert_same_frames
from workbench.shell import prepare, run_virtual

PING = "pc: ping 192.168.1.101 -c 10"
BROWSE = "pc: browse http://www.google.com/"


def _net(window):
    clock = VirtualClock()
    trace = Trace(clock, window=window)
    return build_network(load_lab("default"), clock, trace)


def _run(net, *story):
    outcomes = run_virtual(net, [prepare(net, line) for line in story])
    assert all(o.ok for o in outcomes)


def _notes(trace):
    return [trace.notes(i) for i in range(1, trace.count + 1)]


@pytest.fixture(autouse=True)
def two_cpus(monkeypatch):
    """A CPU free for the child whatever the load (with none, or one CPU, no child is forked:
    see the tests below)."""
    monkeypatch.setattr("stack.spill_child._cpus", lambda: 2)
    monkeypatch.setattr("stack.spill_child.cpu_free", lambda: True)
    monkeypatch.setattr("stack.spill.FORK_AFTER", 0)  # these runs spill a few hundred frames


def test_a_child_process_writes_the_spill_file_and_every_frame_reads_back():
    whole = _net(None)
    _run(whole, PING, BROWSE)
    net = _net(8)
    _run(net, PING, BROWSE)
    trace = net.trace
    child = trace.spill._child
    assert child is not None and child.pid != os.getpid()
    os.kill(child.pid, 0)  # alive, waiting for more
    assert_same_frames(trace, whole.trace)
    # The notes the child wrote are those this process writes when it cannot fork (threads).
    here = _spilled_here()
    assert here.spilled == trace.spilled
    assert _notes(trace) == _notes(here)
    assert any("pc3, pc4, pc5, gw-a drop #2: not for me" in line for line in trace.notes(2))
    path = trace.spill_path
    trace.close()
    here.close()
    assert child.returncode == 0  # it wrote the rest and ended
    assert not os.path.exists(path) and not os.path.exists(path + ".idx")


def test_a_killed_spill_writer_loses_no_frame(capfd):
    whole = _net(None)
    _run(whole, PING, BROWSE)
    net = _net(8)
    _run(net, PING)
    trace = net.trace
    child = trace.spill._child
    written_before = trace.spilled
    assert child is not None and written_before > 0
    os.kill(child.pid, signal.SIGKILL)
    _until_dead(child.pid)
    _run(net, BROWSE)  # frames keep leaving the window: the next batch finds the child gone
    assert trace.spill._child is None
    assert trace.spilled == trace.count - 8
    assert_same_frames(trace, whole.trace)
    assert _notes(trace) == _notes(_spilled_here())
    err = capfd.readouterr().err
    assert "ended (status -9)" in err and "stay in memory" in err
    trace.close()


def _until_dead(pid):
    """Wait until `pid` (our child, not reaped yet) has ended: a zombie."""
    for _ in range(500):
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rpartition(")")[2].split()[0] == "Z":
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not end")


def _spilled_here():
    """The notes an in-process spill gives for the same run (the reference for the child's)."""
    gate = threading.Event()
    other = threading.Thread(target=gate.wait)
    other.start()
    try:
        here = _net(8)
        _run(here, PING, BROWSE)
    finally:
        gate.set()
        other.join()
    assert here.trace.spill._child is None
    return here.trace


# `workbench run` with both children forked, the text trace's first: each start is noted,
# and the spill child is kept to the end whatever the load (no take-back).
BOTH_CHILDREN = """
import atexit, sys
import stack.spill_child as spill_child
from stack.writers import forked
from workbench.cli import main

started = []
spill_child._cpus = lambda: 2
spill_child.cpu_free = lambda: True
spill_child.SpillChild.behind = lambda self: False
for owner, name in ((spill_child.SpillChild, "spill"), (forked.Forked, "text")):
    def start(cls, *args, _start=owner.start.__func__, _name=name):
        child = _start(cls, *args)
        started.append((_name, child is not None))
        return child
    owner.start = classmethod(start)
atexit.register(lambda: sys.stderr.write(f"children: {started}\\n"))
sys.exit(main(sys.argv[1:]))
"""


def test_the_text_trace_child_and_the_spill_child_never_wait_on_each_other(tmp_path):
    """The text trace forks its writer after 5,000 events, the spill file its own once frames
    leave a 2,000-frame window: each child holds only its own pipe, so closing one never waits
    for the other (a child holding the other's pipe made `workbench run` hang at its end)."""
    out = tmp_path / "trace.txt"
    spill = tmp_path / "spill.pcapng"
    command = [
        sys.executable,
        "-c",
        BOTH_CHILDREN,
        "run",
        "--trace-window",
        "2000",
        "--spill",
        str(spill),
        "--do",
        "pc: ping 172.194.72.105 -c 1000 -i 0.01",
    ]
    with open(out, "w") as fh:
        # Its own process group: a hang is ended with every child it forked.
        proc = subprocess.Popen(
            command, stdout=fh, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail("workbench run did not end: a child waits on the other's pipe")
    done = subprocess.CompletedProcess(command, proc.returncode, None, err)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "1000 packets transmitted, 1000 received" in text
    assert "older ones (" in done.stderr
    assert "children: [('text', True), ('spill', True)]" in done.stderr
    # A kept spill file ends with every frame of the run (the window's too), in order.
    frames = max(int(n) for n in re.findall(r"#(\d+)", text))
    index = (tmp_path / "spill.pcapng.idx").read_bytes()
    assert len(index) == 8 * frames and frames > 4000
    offsets = [int.from_bytes(index[i : i + 8], "little") for i in range(0, len(index), 8)]
    assert offsets == sorted(offsets) and offsets[-1] < spill.stat().st_size


def test_with_one_cpu_the_spill_file_is_written_here(monkeypatch):
    monkeypatch.setattr("stack.spill_child._cpus", lambda: 1)
    whole = _net(None)
    _run(whole, PING, BROWSE)
    net = _net(8)
    _run(net, PING, BROWSE)
    assert net.trace.spill._child is None and net.trace.spilled == net.trace.count - 8
    assert_same_frames(net.trace, whole.trace)
    net.trace.close()


@needs_tool("tshark")
def test_a_child_that_falls_behind_hands_the_writing_back(monkeypatch, tmp_path):
    """With no CPU of its own the child makes the run wait: after its first batch it writes
    what it has and this process appends the rest — one file, every frame and note in order."""
    monkeypatch.setattr("stack.spill_child.SpillChild.behind", lambda self: True)
    whole = _net(None)
    _run(whole, PING, BROWSE)
    clock = VirtualClock()
    path = tmp_path / "kept.pcapng"
    trace = Trace(clock, window=8, spill_path=str(path))
    net = build_network(load_lab("default"), clock, trace)
    _run(net, PING, BROWSE)
    spill = trace.spill
    assert spill._child is None and not spill._handed and spill._out is not None
    assert_same_frames(trace, whole.trace)
    assert _notes(trace) == _notes(_spilled_here())
    count = trace.count
    trace.close()  # kept: the window's frames too
    listed = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "frame.number", "-e", "frame.comment"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert len(rows) == count
    assert "pc3,pc4,pc5,gw-a drop #2: not for me" in rows[1].replace(", ", ",")


def test_with_no_cpu_free_the_run_writes_until_one_is(monkeypatch):
    """While every CPU is busy the spill file is written here; once one is free (looked at
    every few batches) the child takes over from the frame after the last one written."""
    free = [False]
    monkeypatch.setattr("stack.spill_child.cpu_free", lambda: free[0])
    whole = _net(None)
    _run(whole, PING, BROWSE)
    net = _net(8)
    _run(net, PING)
    spill = net.trace.spill
    assert spill._child is None and spill.count > 0 and spill.fork
    free[0] = True
    _run(net, BROWSE)
    assert spill._child is not None and spill._handed
    assert_same_frames(net.trace, whole.trace)
    assert _notes(net.trace) == _notes(_spilled_here())
    net.trace.close()


def test_a_run_that_spills_little_keeps_the_writing(monkeypatch):
    """A child is thought of only after `FORK_AFTER` batches: forking costs what it would save
    on a short spill."""
    monkeypatch.setattr("stack.spill.FORK_AFTER", 10_000)
    net = _net(8)
    _run(net, PING, BROWSE)
    spill = net.trace.spill
    assert spill._child is None and spill.fork and spill.count > 40
    net.trace.close()
