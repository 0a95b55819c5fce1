"""One running lab for the app: its network and clock, play/pause/step, the commands a person
started, and the trace turned into something a screen can pull at its own pace.

The network never waits on the screen: every trace event is appended to `Session.log` (a list,
so appending is all the subscriber does) and the session posts one `SessionChanged` when
something is new — never a second one until the screen has called `take()`. The screen never
waits on the network: while playing, each tick (at most 30 a second) spends at most
`TICK_BUDGET` of wall time firing timers; a network busier than that runs slower than the
chosen speed (the status bar says so) instead of freezing the keys. Ticks come only when there
is something to do: a playing lab sleeps until its next timer is due (waking every `IDLE_TICK`
to move the clock on screen), a paused one until a key is pressed, a live one until an event.

Panes read the lab through the session's small frozen rows (`workbench.views`), never through
the stack's objects, so no widget reaches into a host.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Interface

from stack.clock import VirtualClock
from stack.events import Event, FrameReceived, FrameSent, FramesFiltered, RouteDecision
from stack.labs import build_network
from stack.labs.build import is_live
from stack.labs.spec import LabSpec
from stack.network import Network
from stack.trace import FrameRecord, Trace
from stack.trace_log import ExpandedLog
from stack.wire.mac import MAC
from workbench import views, vm_view
from workbench.history import History
from workbench.shell import CommandError, Invocation, Job, prepare
from workbench.shell.policy import dhcp_refusal
from workbench.views import ArpRow, HostRow, RouteRow

# 1× is real time. The network's events are microseconds apart, so the slow end matters most.
SPEEDS = (0.0001, 0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0)
TICK = 1 / 30  # how often the clock advances while busy, and how often the screen hears news
IDLE_TICK = 1.0  # a playing lab with nothing due still shows its clock moving, once a second
TICK_BUDGET = 0.012  # wall seconds of network work per tick; the screen has the rest
MAX_GAP = 0.25  # a tick that comes late (a stall) does not make virtual time leap
STEP_LIMIT = 200_000  # timers one `n` may fire looking for an event
DECISIONS_KEPT = 1000  # routing decisions kept per host (the routing pane shows the last 40)


class Shown(Sequence):
    """The first `count()` items of a list that grows: what the screen may show while the events
    of one instant are being told one at a time (`Session.step`). Read in place, never copied."""

    def __init__(self, items: list, count: Callable[[], int]) -> None:
        self.items = items
        self.count = count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        size = self.count()
        if isinstance(index, slice):
            return [self.items[i] for i in range(*index.indices(size))]
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(index)
        return self.items[index]


@dataclass(frozen=True)
class OutputLine:
    """A line a command printed, shown in the event log among the stack's events."""

    time: float
    host: str
    text: str
    frames: tuple[int, ...] = ()
    kind: str = "output"

    def describe(self) -> str:
        return self.text


Entry = Event | OutputLine


@dataclass(frozen=True)
class Status:
    lab: str
    now: float
    playing: bool
    speed: float
    live: bool
    behind: bool
    frames: int
    events: int
    running: int
    spill: str = ""  # where frames beyond the trace's memory window went, once some did


@dataclass
class _Running:
    """A job the app started, and how much of its host's log has been read for echoes."""

    job: Job | None  # set once made: the job's printing calls back with this
    started_at: int  # log length when it started: its host's events after this are its echo
    scanned: int = 0
    echoed: set[str] = field(default_factory=set)


class Session:
    def __init__(self, spec: LabSpec, net: Network, taps=None) -> None:
        self.spec = spec
        self.net = net
        self.clock = net.clock
        self.trace = net.trace
        self.virtual = isinstance(self.clock, VirtualClock)
        self.taps = taps
        # A bus's dropped-frame record is one entry, a row per NIC when read. Like the trace, the
        # log keeps a window in memory; an older row reads as a pointer to the spill file.
        window = self.trace.window
        self.log = ExpandedLog(window * 20 if window else None, recall=self._forgotten)
        self.first_entry: dict[int, int] = {}  # frame id → index of the first log entry naming it
        self.decisions: dict[str, list[RouteDecision]] = defaultdict(list)
        self.playing = not self.virtual  # a live lab runs in real time from the start
        self.speed_index = SPEEDS.index(1.0)
        self.behind = False
        self.emitted = 0
        self.programs: list[_Running] = []
        # `n` tells one event at a time, but one timer of the network often says many things at
        # once (a broadcast heard by six NICs): the rest wait here, at the log's tail, unshown.
        self.held = 0
        self.steps = 0  # how many times n (or N) showed something: panes follow the newest then
        self._frames_shown = 0  # while entries are held: frames first named by a shown entry
        self.entries = Shown(self.log, lambda: len(self.log) - self.held)
        self._frames = Shown(net.trace.frames, self._frame_count_shown)
        self._taken = 0
        self._dirty = True
        self._posted = False
        self._post: Callable[[], object] | None = None
        self._finished: Callable[[str, bool, list[str]], object] | None = None
        self._timer = None  # the pending tick (an asyncio handle), None while asleep
        self._loop = None
        self._planned = TICK
        self._gc = None
        self._last_wall = time.monotonic()
        self._owners = {nic_mac: label for label, nic_mac in self._nics()}
        self._unsubscribe = self.trace.subscribe(self._on_event)
        self._workshop = None
        self.history = History(self)  # inputs, for snapshots (S) and stepping back (N)

    @classmethod
    def open(cls, spec: LabSpec) -> Session:
        """Build the lab. A lab with TAP segments goes live on the running loop (raises TapError)."""
        if is_live(spec):
            from workbench.live import open_live

            net, taps = open_live(spec)
            return cls(spec, net, taps)
        clock = VirtualClock()
        return cls(spec, build_network(spec, clock, Trace(clock, keep_events=False)))

    # --- wiring to the app -------------------------------------------------------------------

    def attach(self, pump, target=None) -> None:
        """Tick on `pump`'s timers (the app: it runs whichever screen is on top) and post
        `SessionChanged` and `CommandFinished` to `target` (the screen showing the session)."""
        from workbench.messages import CommandFinished, SessionChanged

        target = target or pump
        self._post = lambda: target.post_message(SessionChanged())
        self._finished = lambda text, ok, lines: target.post_message(
            CommandFinished(text, ok, lines)
        )
        import asyncio

        self._loop = asyncio.get_running_loop()
        self._posted = False
        self._notify()
        # The log keeps every event: hundreds of thousands of objects, whose full garbage
        # collections stalled the screen for 140 ms under a flood. Freeze survivors each second.
        from workbench.live import SteadyGC

        self._gc = SteadyGC(asyncio.get_running_loop())

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._loop = None
        self._post = self._finished = None
        if self._gc is not None:
            self._gc.stop()
            self._gc = None
        self._unsubscribe()
        self.history.close()
        if self.taps is not None:
            self.taps.close()
            self.taps = None
        self.trace.close()

    def take(self) -> list[Entry]:
        """What was logged since the last take; lets the session post again."""
        self._posted = False
        self._dirty = False
        new = self.log[self._taken :]
        self._taken = len(self.log)
        return new

    def _wake(self, delay: float = TICK) -> None:
        """Make sure a tick is coming within `delay` (the session sleeps when idle)."""
        if self._loop is None:
            return
        if self._timer is not None:
            if self._timer.when() <= self._loop.time() + delay:
                return
            self._timer.cancel()  # an idle wait, cut short: something happened
            delay_since = self._planned  # the lab time owed covers the wait so far too
            self._planned = max(delay, delay_since)
            self._timer = self._loop.call_later(delay, self._on_timer)
            return
        self._planned = delay
        self._timer = self._loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.tick()
        if self._timer is not None:  # tick's own notify asked for the default; we know better
            self._timer.cancel()
            self._timer = None
        delay = self._next_tick()
        if delay is not None:
            self._wake(delay)

    def _next_tick(self) -> float | None:
        """Seconds until the next tick is worth having; None sleeps until something wakes us."""
        if self.behind:
            return TICK
        if not self.virtual or not self.playing:
            return None  # live: events wake it; paused: keys do
        nxt = self.clock.next_time()
        if nxt is None:
            return IDLE_TICK
        return min(max((nxt - self.clock.now()) / self.speed, TICK), IDLE_TICK)

    def _notify(self) -> None:
        self._dirty = True
        self._wake()
        if self._post is not None and not self._posted:
            self._posted = True
            self._post()

    def _on_event(self, event: Event) -> None:
        log = self.log
        index = len(log)  # a row number: a FramesFiltered record spans several
        log.append(event)
        self.emitted += event.rows if type(event) is FramesFiltered else 1
        first = self.first_entry
        for frame_id in event.frames:
            if frame_id not in first:
                first[frame_id] = index
                if len(first) > 4 * (self.trace.window or 1 << 62):
                    self._forget_frames()
        if type(event) is RouteDecision:
            decisions = self.decisions[event.host]
            decisions.append(event)
            if len(decisions) > 2 * DECISIONS_KEPT:
                del decisions[:-DECISIONS_KEPT]
        self._dirty = True
        if self._timer is None:
            self._wake()

    def _forget_frames(self) -> None:
        """Frame → log row for the frames still in the trace's window (the rest are on disk)."""
        oldest = self.trace.count - (self.trace.window or 0)
        self.first_entry = {f: row for f, row in self.first_entry.items() if f > oldest}

    def _forgotten(self, row: int) -> OutputLine:
        where = self.trace.spill_path or "the spill file"
        return OutputLine(
            0.0,
            "",
            f"(an older event, no longer in memory: each frame's events are the packet comments of the spill file {where})",
        )

    def _log_output(self, host: str, text: str) -> None:
        self.log.append(OutputLine(self.clock.now(), host, text))
        self._dirty = True

    # --- time ------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return not self.virtual

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def tick(self) -> None:
        if self.playing and self.virtual:
            wall = time.monotonic()
            elapsed = min(wall - self._last_wall, self._planned + MAX_GAP)
            self._last_wall = wall
            self.held = 0
            if self.clock.next_time() is not None or self.programs or self.history.redo:
                self._run_to(self.clock.now() + elapsed * self.speed, wall + TICK_BUDGET)
            else:
                self.clock.run_until(self.clock.now() + elapsed * self.speed)
            self._dirty = True
        self._collect_output()
        if self._dirty:
            self._notify()

    def _run_to(self, target: float, deadline: float) -> None:
        clock = self.clock
        history = self.history
        fired = 0
        while True:
            if history.redo and history.redo_due(target):  # after a rewind: the same history again
                history.apply_redo()
                continue
            nxt = clock.next_time()
            if nxt is None or nxt > target:
                clock.run_until(target)
                self.behind = False
                return
            clock.step()
            fired += 1
            if not fired & 63 and time.monotonic() > deadline:
                self.behind = True
                return

    def toggle_play(self) -> bool:
        if self.virtual:
            self.held = 0
            self.playing = not self.playing
            self._last_wall = time.monotonic()
            self.behind = False
            self._notify()
        return self.playing

    def step(self) -> bool:
        """`n`: pause and show the next event — the next one held back from the last instant,
        else the first of what the network says next. False if nothing is left to happen."""
        if not self.virtual:
            return False
        paused, self.playing = self.playing, False
        self.behind = False
        if not self.held and not self._fire():
            if paused:  # nothing left to show, but the lab stopped playing: the screen says so
                self._notify()
            return False
        self.held -= 1
        self._limit_frames()
        self.steps += 1
        self._notify()
        return True

    def step_moment(self) -> bool:
        """`N`: pause and show the rest of this instant, or the whole of the next one (every
        event one timer of the network caused). False if nothing is left to happen."""
        if not self.virtual:
            return False
        paused, self.playing = self.playing, False
        self.behind = False
        if not self.held and not self._fire():
            if paused:  # nothing left to show, but the lab stopped playing: the screen says so
                self._notify()
            return False
        self.held = 0
        self.steps += 1
        self._notify()
        return True

    def _fire(self) -> bool:
        """Fire timers until the network says something; hold all it said. False if it said nothing."""
        before, logged = self.emitted, len(self.log)
        clock = self.clock
        history = self.history
        for _ in range(STEP_LIMIT):
            if history.redo_due():
                history.apply_redo()
            elif not clock.step():
                break
            if self.emitted > before:
                break
        self._collect_output()
        self.held = len(self.log) - logged
        return self.held > 0

    def _limit_frames(self) -> None:
        """Frames first named by a held entry are not shown yet (the packet list waits for the
        event that sends them)."""
        shown = len(self.log) - self.held
        first = self.first_entry
        hidden = [f for e in self.log[shown:] for f in e.frames if first.get(f, -1) >= shown]
        self._frames_shown = min(hidden) - 1 if hidden else len(self.trace.frames)

    def _frame_count_shown(self) -> int:
        return (
            min(self._frames_shown, len(self.trace.frames)) if self.held else len(self.trace.frames)
        )

    def _release(self) -> None:
        """Something the person did (a command, a crafted frame) shows everything held back."""
        self.held = 0

    def step_back(self) -> tuple[Session, int]:
        """The lab one event earlier, as a new paused session (replayed from the start), and how
        many events that took back. SnapshotError says why not (live labs, time zero)."""
        return self.history.rewound()

    def shown_events(self) -> int:
        """The lab's events on screen: those emitted, less those held back by stepping."""
        held = (
            sum(1 for e in self.log[len(self.log) - self.held :] if type(e) is not OutputLine)
            if self.held
            else 0
        )
        return self.emitted - held

    def snapshot(self):
        """This moment of a simulated lab (workbench.snapshot.Snapshot); SnapshotError when live."""
        return self.history.snapshot()

    def faster(self) -> float:
        self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)
        self._notify()
        return self.speed

    def slower(self) -> float:
        self.speed_index = max(self.speed_index - 1, 0)
        self._notify()
        return self.speed

    def status(self) -> Status:
        held = (
            sum(1 for e in self.log[len(self.log) - self.held :] if type(e) is not OutputLine)
            if self.held
            else 0
        )
        return Status(
            self.spec.name,
            self.clock.now(),
            self.playing,
            self.speed,
            not self.virtual,
            self.behind,
            len(self._frames),
            self.emitted - held,
            len(self.programs),
            self.trace.spill_path if self.trace.spilled else "",
        )

    # --- commands ----------------------------------------------------------------------------

    def check(self, text: str) -> Invocation:
        """The command as it would run, or CommandError with the sentence to show."""
        return prepare(self.net, text)

    def workshop(self):
        """The craft screen's view of this lab (senders, templates, previews): workbench.craft."""
        if self._workshop is None:
            from workbench.craft.workshop import Workshop

            self._workshop = Workshop(self.net)
        return self._workshop

    def dhcp_refusal(self, host: str) -> str | None:
        """Why `host` may not run dhcp (the shell's policy), so a key can refuse before a prompt."""
        return dhcp_refusal(self.net, host)

    def run(self, text: str) -> Invocation:
        """Start a command ("pc: ping 192.168.1.1"). It runs as the clock runs: paused is paused."""
        invocation = prepare(self.net, text)
        self.history.record("command", text)
        self._release()
        self._log_output(invocation.host, f"$ {invocation.text}")
        running = _Running(None, len(self.log))
        running.job = job = Job(invocation, lambda line: self._printed(running, line))
        try:
            job.start()
        except (CommandError, ValueError) as err:
            self._log_output(invocation.host, f"{invocation.text}: {err}")
            self._notify()
            raise CommandError(str(err)) from None
        self.programs.append(running)
        self._collect_output()
        self._notify()
        return invocation

    def _printed(self, running: _Running, line: str) -> None:
        """A line a program printed, logged at once: at the lab time it was printed, among the
        events around it (the app looks at programs only between its clock's ticks)."""
        host = running.job.invocation.host
        # A line that repeats one of its host's events (ping's replies) is not logged twice.
        for entry in self.log[max(running.scanned, running.started_at) :]:
            if entry.host == host and type(entry) not in (FrameSent, FrameReceived, OutputLine):
                running.echoed.add(entry.describe())
        running.scanned = len(self.log)
        if line not in running.echoed:
            self._log_output(host, line)

    def _collect_output(self) -> None:
        if not self.programs:
            return
        for running in list(self.programs):
            job = running.job
            if job.done:
                self.programs.remove(running)
                if self._finished is not None:
                    self._finished(job.invocation.text, job.ok, list(job.lines))

    # --- the log and its frames ----------------------------------------------------------

    @property
    def frames(self) -> Shown:
        """The frames shown so far, in order (a sequence that grows as the lab runs; read in place)."""
        return self._frames

    def frame_count(self) -> int:
        return len(self._frames)

    def pending(self) -> bool:
        """Something is due to happen (a timer is set): space or n has something to run."""
        return self.clock.next_time() is not None

    def entry(self, index: int) -> Entry:
        return self.log[index]

    def frame(self, frame_id: int) -> FrameRecord | None:
        frames = self.trace.frames
        return frames[frame_id - 1] if 0 < frame_id <= len(frames) else None

    def first_entry_for(self, frame_id: int) -> int | None:
        return self.first_entry.get(frame_id)

    # --- what the panes show -----------------------------------------------------------------

    def host_names(self) -> list[str]:
        return list(self.net.hosts)

    def has_host(self, name: str) -> bool:
        return name in self.net.hosts

    def default_host(self) -> str:
        """The first host that is not a router (the seed's pc), else the first of all."""
        for name, host in self.net.hosts.items():
            if not host.is_router:
                return name
        return next(iter(self.net.hosts))

    def topology(self):
        """The lab as buses and the nodes on them (workbench.topology), as it is now."""
        from workbench import topology

        leased = {}
        if self.taps is not None or self.spec.vms:  # a VM's address is its lease, if it has one
            for row in self.vm_rows():
                subnet = (
                    self.spec.segments[row.segment].subnet
                    if row.segment in self.spec.segments
                    else None
                )
                if row.address and subnet is not None:
                    leased[row.name] = IPv4Interface(f"{row.address}/{subnet.prefixlen}")
        return topology.build(self.net, self.spec, leased)

    def frame_path(self, frame_id: int, scan: int = 5_000):
        """Where frame `frame_id` went, as far as the events shown so far tell (None: not shown)."""
        from stack.proto.frame import dissect_frame
        from workbench.topology import FramePath

        record = self.frame(frame_id)
        first = self.first_entry.get(frame_id)
        if record is None or first is None or frame_id > len(self._frames):
            return None
        accepted, dropped = [], []
        for entry in self.log[first : min(len(self.entries), first + scan)]:
            if type(entry) is FrameReceived and frame_id in entry.frames:
                (accepted if entry.accepted else dropped).append(f"{entry.host} {entry.nic}")
        try:
            s = dissect_frame(record.data).row(check=False)
            summary = f"{s.protocol} {s.info}"
        except Exception:  # noqa: BLE001 — a malformed frame still has a place on the map
            summary = f"{len(record.data)} bytes"
        return FramePath(
            frame_id, record.segment, record.origin, tuple(accepted), tuple(dropped), summary
        )

    def host_rows(self) -> list[HostRow]:
        rows = views.host_rows(self.net, self.spec)
        return (
            rows + vm_view.host_rows(self.vm_rows())
            if self.taps is not None or self.spec.vms
            else rows
        )

    def vm_rows(self) -> list[vm_view.VmRow]:
        """The lab's QEMU virtual machines (name, segment, MAC, NIC model, leased address, state)."""
        return vm_view.vm_rows(self.net, self.taps)

    def arp_rows(self, host_name: str) -> list[ArpRow]:
        host = self.net.hosts.get(host_name)  # a VM's own tables are inside the VM
        return views.arp_rows(host) if host is not None else []

    def route_rows(self, host_name: str) -> list[RouteRow]:
        host = self.net.hosts.get(host_name)
        return views.route_rows(host) if host is not None else []

    def interface_count(self, host_name: str) -> int:
        host = self.net.hosts.get(host_name)
        return len(host.interfaces) if host is not None else 1

    def decisions_of(self, host_name: str) -> list[RouteDecision]:
        return self.decisions.get(host_name, [])

    def owner_of(self, mac: str) -> str | None:
        """Which lab NIC has this MAC ("gw-a eth0"), to name the parties of an ARP change."""
        try:
            return self._owners.get(MAC(mac))
        except ValueError:
            return None

    def _nics(self):
        for host in self.net.hosts.values():
            for iface in host.interfaces.values():
                yield f"{host.name} {iface.name}", iface.nic.mac

    def vendor(self, mac: str) -> str:
        """Who made the NIC, by its OUI ("" if no one registered it). QEMU's own block 52:54:00 is
        locally administered, so no vendor owns it: a VM's NIC says QEMU and the model it emulates."""
        found = MAC(mac).vendor
        if found:
            return found
        if mac.lower().startswith("52:54:00"):
            model = next((row.model for row in self.vm_rows() if row.mac == mac and row.model), "")
            return f"QEMU virtual NIC{f' ({model})' if model else ''}"
        return ""

    def macs(self) -> list[str]:
        return [str(mac) for _label, mac in self._nics()] + [row.mac for row in self.vm_rows()]

    def reattach_taps(self) -> list[str]:
        """Reattach every lost TAP device now, creating it when it is missing (a person asked:
        the port also looks for it by itself every second). The names it tries; the outcome
        comes as a `tap_attached` event, or stays a `tap_problem` one."""
        if self.taps is None or self._loop is None:
            return []
        lost = [port for port in self.taps if port.lost]
        for port in lost:
            self._loop.create_task(port.reattach())
        return [port.device.name for port in lost]

    # --- actions on hosts ------------------------------------------------------------------

    def clear_arp(self, host_name: str) -> int:
        host = self.net.hosts.get(host_name)
        if host is None:  # a VM: its ARP cache is inside the guest
            self._log_output(
                host_name,
                f"{host_name} is a virtual machine: its ARP cache is inside it, out of the workbench's reach",
            )
            self._notify()
            return 0
        self.history.record("clear_arp", host_name)
        count = len(host.arp.entries())
        self._release()
        host.arp.clear()
        self._log_output(
            host_name, f"ARP cache cleared ({count} entr{'y' if count == 1 else 'ies'} forgotten)"
        )
        self._notify()
        return count

    def inject(self, segment: str, frame: bytes, origin: str = "crafted") -> int:
        """Put a frame from outside the lab (a crafted one, a replayed one) on `segment`, as a
        TAP device would; every NIC there hears it. Returns its frame id."""
        if segment not in self.net.segments:
            raise CommandError(
                f"no segment named {segment!r} (segments: {', '.join(self.net.segments)})"
            )
        self.history.record("inject", segment, bytes(frame).hex(), origin)
        self._release()
        frame_id = self.net.segments[segment].inject(origin, frame)
        self._dirty = True
        return frame_id

    def save_capture(self, path: str, indices=None) -> int:
        """Write every frame so far, or those at `indices` (the packet list's shown rows), to
        `path` (.pcapng keeps segments apart; else classic pcap)."""
        from stack.writers.pcap import capture_writer

        frames = list(self.trace.frames) if indices is None else [self._frames[i] for i in indices]
        with open(path, "wb") as out:
            writer = capture_writer(path, out, self.trace)
            for rec in frames:
                if path.endswith(".pcapng"):
                    writer.write(rec.time, rec.segment, rec.data)
                else:
                    writer.write(rec.time, rec.data)
        return len(frames)
