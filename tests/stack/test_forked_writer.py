"""The live text trace written by a child process (`Forked`): the file holds the very lines the
text writer gives, every one, in order, once `close()` returns — also when Ctrl-C reached the
child, and with an event the pipe does not carry among the others."""

import asyncio
import os
import signal

from stack.clock import VirtualClock
from stack.events import Event
from stack.labs import build_network, load_lab
from stack.record import record
from stack.trace import Trace
from stack.writers.forked import Forked
from stack.writers.text import TextWriter
from workbench.shell import prepare, run_virtual

STORY = [
    "pc: ping 192.168.1.101 -c 3",
    "pc: browse http://www.google.com/",
    "pc: ping 10.9.9.9 -c 1",
]


def _events() -> list[Event]:
    """A run's events: frames sent, NICs' verdicts (a bus's in one record), ARP, routing,
    TCP, DNS, HTTP, ICMP errors."""
    clock = VirtualClock()
    trace = Trace(clock, keep_events=False, window=None)
    net = build_network(load_lab("default"), clock, trace)
    events: list[Event] = []
    trace.subscribe(events.append)
    run_virtual(net, [prepare(net, t) for t in STORY])
    return events


def _expected(events) -> str:
    import io

    out = io.StringIO()
    writer = TextWriter(out)
    for event in events:
        writer(event)
    return out.getvalue()


async def _write(path, events, *, between=None) -> Forked:
    with open(path, "w", encoding="utf-8") as out:
        forked = Forked.start(TextWriter(out), asyncio.get_running_loop())
        assert forked is not None
        try:
            for i, event in enumerate(events):
                forked(event)
                if i % 97 == 0:
                    await asyncio.sleep(0)  # batches go as the loop turns
                if between is not None and i == len(events) // 2:
                    between(forked)
        finally:
            forked.close()
    return forked


async def test_the_file_holds_every_line_the_text_writer_gives_in_order(tmp_path):
    events = _events()
    kinds = {e.kind for e in events}
    assert {
        "frame_sent",
        "frames_filtered",
        "frame_received",
        "arp_cache",
        "route",
        "tcp_state",
        "http_request",
        "icmp_sent",
    } <= kinds
    path = tmp_path / "trace.txt"
    forked = await _write(path, events)
    assert path.read_text(encoding="utf-8") == _expected(events)
    assert forked.returncode == 0


async def test_ctrl_c_reaching_the_child_loses_no_line(tmp_path):
    # A terminal's Ctrl-C goes to the child too: it keeps writing until its parent closes.
    events = _events()
    path = tmp_path / "trace.txt"
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # the child inherits it
    try:
        forked = await _write(path, events, between=lambda f: os.kill(f.pid, signal.SIGINT))
    finally:
        signal.signal(signal.SIGINT, handler)
    assert path.read_text(encoding="utf-8") == _expected(events)
    assert forked.returncode == 0  # the child wrote it all and ended at the pipe's end


@record
class HoldsAnObject(Event):
    thing: object

    kind = "holds_an_object"

    def describe(self) -> str:
        return f"holds {type(self.thing).__name__}"


async def test_an_event_the_pipe_does_not_carry_is_written_in_its_place(tmp_path):
    events = _events()[:40]
    odd = HoldsAnObject(1.5, "pc", (), object())  # not sent across: written by the parent
    events = events[:20] + [odd] + events[20:]
    path = tmp_path / "trace.txt"
    await _write(path, events)
    text = path.read_text(encoding="utf-8")
    assert text == _expected(events)
    assert "pc       holds object" in text


async def test_without_the_child_the_rest_is_written_here(tmp_path):
    events = _events()
    half = len(events) // 2
    path = tmp_path / "trace.txt"
    with open(path, "w", encoding="utf-8") as out:
        forked = Forked.start(TextWriter(out), asyncio.get_running_loop())
        for event in events[:half]:
            forked(event)
        forked.flush()
        os.kill(forked.pid, signal.SIGKILL)
        os.waitpid(forked.pid, 0)
        for event in events[half:]:
            forked(event)
        forked.close()
    assert path.read_text(encoding="utf-8").endswith(_expected(events[half:]))


def _events_as_they_come() -> list:
    """The same run's events as a subscriber content with values gets them: a frame's
    commonest events as their values, the rest as objects."""
    clock = VirtualClock()
    trace = Trace(clock, keep_events=False, window=None)
    net = build_network(load_lab("default"), clock, trace)
    items: list = []

    class Taker:
        takes_values = True

        def __call__(self, item) -> None:
            items.append(item)

    trace.subscribe(Taker())
    run_virtual(net, [prepare(net, t) for t in STORY])
    return items


async def test_events_sent_as_their_values_are_written_as_the_objects_would_be(tmp_path):
    items = _events_as_they_come()
    assert sum(type(i) is tuple for i in items) > 100  # most frames' events, not made objects
    assert any(type(i) is not tuple for i in items)
    path = tmp_path / "trace.txt"
    await _write(path, items)
    assert path.read_text(encoding="utf-8") == _expected(_events())


def test_a_subscriber_wanting_objects_still_gets_every_event_as_one():
    clock = VirtualClock()
    trace = Trace(clock, keep_events=False, window=None)
    net = build_network(load_lab("default"), clock, trace)
    objects: list = []
    values: list = []

    class Taker:
        takes_values = True

        def __call__(self, item) -> None:
            values.append(item)

    trace.subscribe(Taker())
    unsubscribe = trace.subscribe(objects.append)
    run_virtual(net, [prepare(net, STORY[0])])
    assert objects and all(isinstance(e, Event) for e in objects) and values == objects
    unsubscribe()
    run_virtual(net, [prepare(net, STORY[0])])
    assert any(type(v) is tuple for v in values)  # with nobody wanting objects, values again


async def test_the_child_yields_the_cpu_to_the_loop(tmp_path):
    """The child formats lines at a lower priority than the process answering frames: on a
    busy machine it held the loop's CPU for a whole scheduler slice (a live ping's p99 at
    500/s went from ~0.25 ms to 0.7–4 ms; benchmarks/live_bench.py)."""
    import time

    ours = os.getpriority(os.PRIO_PROCESS, 0)
    with open(tmp_path / "trace.txt", "w", encoding="utf-8") as out:
        forked = Forked.start(TextWriter(out), asyncio.get_running_loop())
        try:
            deadline = time.monotonic() + 5
            while os.getpriority(os.PRIO_PROCESS, forked.pid) == ours:
                assert time.monotonic() < deadline, "the child runs at the loop's own priority"
                await asyncio.sleep(0.01)
            assert os.getpriority(os.PRIO_PROCESS, forked.pid) == min(ours + 10, 19)
        finally:
            forked.close()


def test_a_long_simulated_run_hands_its_lines_to_a_child_every_one_in_order(tmp_path):
    """Simulated, there is no loop: the lines are written here until the run is long, then by
    a forked child batch by batch, the file the same as if all were written here."""
    from stack.writers.fork_when_long import ForkWhenLong

    items = _events_as_they_come()
    path = tmp_path / "trace.txt"
    with open(path, "w", encoding="utf-8") as out:
        writer = ForkWhenLong(TextWriter(out), after=40)
        for item in items:
            writer(item)
        assert writer.forked is not None and writer.forked.loop is None
        writer.close()
    assert writer.forked.returncode == 0
    assert path.read_text(encoding="utf-8") == _expected(_events())


def test_a_short_simulated_run_forks_nothing(tmp_path):
    from stack.writers.fork_when_long import AFTER, ForkWhenLong

    items = _events_as_they_come()
    assert len(items) < AFTER
    path = tmp_path / "trace.txt"
    with open(path, "w", encoding="utf-8") as out:
        writer = ForkWhenLong(TextWriter(out))
        for item in items:
            writer(item)
        writer.close()
    assert writer.forked is None
    assert path.read_text(encoding="utf-8") == _expected(_events())
