"""`workbench run` live: the lab on the real-time clock, its segments bridged to TAP devices.

The same commands as the simulated run, one after the other, each awaited until its program
says it is done; the same writers (text trace, pcap with wall-clock timestamps, JSON Lines).
Then the lab keeps serving its peers for `--for` seconds (none given and no commands: until
Ctrl-C). TAP devices the workbench created are removed however the run ends — normally, on
Ctrl-C or SIGTERM, or on an error — and devices it attached to are left as they were.

Segments may also listen for QEMU virtual machines (`--qemu`, `qemu =`), and a lab's
`[vms.NAME]` are started here (workbench.vms) and stopped with the rest.

For the app: `open_live` builds a network on the running loop and plugs in its TAP devices,
QEMU sockets and VMs; close the returned `LivePorts` when the session ends.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import time
from contextlib import ExitStack
from typing import TextIO

from stack.clock import RealtimeClock
from stack.labs import build_network, load_lab
from stack.labs.build import is_live, with_taps
from stack.labs.ports import LivePorts, attach_ports, with_qemu
from stack.labs.spec import LabSpec
from stack.link.tap import TapError
from stack.network import Network
from stack.trace import Trace
from workbench.run import attach_writers, capture_segments, report
from workbench.shell import Outcome, prepare, run_live
from workbench.vms import wait_for_vms

GC_INTERVAL = 1.0


class SteadyGC:
    """Keep the garbage collector's pauses short while a lab runs in real time.

    A live run keeps a window of frames and events in memory (and the app, every event):
    hundreds of thousands of objects. CPython's full collections walk them all — measured here
    at 0.2–0.8 s, longer than TCP's 200 ms minimum RTO, so a pause made the workbench resend a
    whole window that had not been lost. Every `interval` seconds this collects the young
    generations (cheap) and freezes what survived (`gc.freeze`): full collections then walk
    only what is new since. `stop()` unfreezes everything again.

    Frozen objects are never collected, so garbage in reference cycles (a closed connection and
    its callbacks) would pile up: now and then everything is unfrozen and collected once — when
    the lab is quiet (the young generation hardly collected in the last interval) and at least
    `FULL_EVERY` ticks after the last time, so the pause falls where no traffic waits on it; a
    lab never quiet still gets one every `FULL_AT_MOST` ticks.
    """

    FULL_EVERY = 30
    FULL_AT_MOST = 600
    QUIET = 3  # young collections in one interval below which the lab counts as quiet

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = GC_INTERVAL) -> None:
        self._loop = loop
        self._interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self.freezes = 0
        self.full = 0  # full collections made
        self._last_full = 0
        self._young = gc.get_stats()[0]["collections"]
        self._tick()

    def _tick(self) -> None:
        young = gc.get_stats()[0]["collections"]
        quiet = young - self._young < self.QUIET
        since = self.freezes - self._last_full
        if self.freezes and (since >= self.FULL_AT_MOST or (since >= self.FULL_EVERY and quiet)):
            gc.unfreeze()
            gc.collect()
            self._last_full = self.freezes
            self.full += 1
        else:
            gc.collect(1)
        gc.freeze()
        self.freezes += 1
        self._young = gc.get_stats()[0]["collections"]
        self._handle = self._loop.call_later(self._interval, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            gc.unfreeze()


class _DeviceTrouble:
    """Says a device's trouble on stderr. Content with events as their values (a frame's
    commonest events, never trouble), so it does not make them objects as they happen."""

    takes_values = True

    def __init__(self, err: TextIO) -> None:
        self.err = err

    def __call__(self, event) -> None:
        if type(event) is not tuple and event.kind in ("tap_problem", "qemu_problem"):
            self.err.write(f"workbench: {event.describe()}\n")


def parse_taps(items: list[str]) -> dict[str, str]:
    """`SEGMENT=IFNAME` pairs from the command line, checked for shape."""
    taps: dict[str, str] = {}
    for item in items:
        segment, sep, device = item.partition("=")
        if not sep or not segment.strip() or not device.strip():
            raise TapError(
                f"--tap {item!r} should look like SEGMENT=IFNAME, for example --tap lan=tap0"
            )
        segment = segment.strip()
        if segment in taps:
            raise TapError(
                f"--tap names segment {segment} twice ({taps[segment]} and {device.strip()})"
            )
        taps[segment] = device.strip()
    return taps


def open_ports(net: Network, *, netns: str | None = None) -> LivePorts:
    """TAP devices, QEMU sockets and the lab's VMs, opened (and on trouble closed) together."""
    ports = attach_ports(net, netns=netns)
    if net.spec.vms:
        from workbench.vms import VmSet

        try:
            VmSet.start(net, ports)
        except BaseException:
            ports.close()
            raise
    return ports


def open_live(
    spec: LabSpec, trace: Trace | None = None, *, netns: str | None = None
) -> tuple[Network, LivePorts]:
    """Build `spec` on a RealtimeClock of the running loop and plug in its TAP devices.

    Call from a coroutine (the app's loop). Raises TapError (one sentence) when a device
    cannot be used; nothing is left open then. An app that keeps the whole trace should also
    run a `SteadyGC(loop)` while live (and `stop()` it at the end): see its note on RTOs.
    """
    clock = RealtimeClock(asyncio.get_running_loop())
    trace = (
        trace
        if trace is not None
        else Trace(clock, keep_events=False, epoch=time.time() - clock.now())
    )
    net = build_network(spec, clock, trace, live=True)
    return net, open_ports(net, netns=netns)


async def serve(
    spec: LabSpec,
    dos: list[str],
    out: TextIO,
    *,
    quiet: bool,
    pcap: str | None,
    events: str | None,
    serve_for: float | None,
    netns: str | None = None,
    err: TextIO = sys.stderr,
    capture_on: list[str] | None = None,
) -> int:
    loop = asyncio.get_running_loop()
    clock = RealtimeClock(loop)
    # The writers are the record; the trace keeps a window in memory and spills the rest.
    trace = Trace(clock, keep_events=False, epoch=time.time() - clock.now())
    net = build_network(spec, clock, trace, live=True)
    invocations = [prepare(net, text) for text in dos]  # bad commands fail before any device opens
    segments = capture_segments(spec, capture_on)
    outcomes: list[Outcome] = []
    interrupted = False
    booted = False
    boot_lines: list[str] = []
    with ExitStack() as stack:
        stack.callback(trace.close)
        attach_writers(
            stack,
            trace,
            out,
            quiet,
            pcap,
            events,
            epoch=time.time() - clock.now(),
            segments=segments,
            loop=loop,
        )
        # Trouble with a device is said on stderr even when the trace is not printed (-q).
        trace.subscribe(_DeviceTrouble(err))
        taps = open_ports(net, netns=netns)
        stack.callback(taps.close)
        err.write(f"workbench: {trace.where()}\n")
        stack.callback(SteadyGC(loop).stop)
        task = asyncio.current_task()
        assert task is not None
        try:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            stack.callback(loop.remove_signal_handler, signal.SIGTERM)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
        try:
            booted, boot_lines = await wait_for_vms(taps)
            if booted:
                await run_live(invocations, outcomes)
            if serve_for is None and not invocations and not spec.vms:
                names = ", ".join(taps.describe())
                err.write(f"workbench: serving {names}; Ctrl-C stops\n")
                await asyncio.Event().wait()
            elif serve_for:
                await asyncio.sleep(serve_for)
        except asyncio.CancelledError:
            interrupted = True
            if hasattr(task, "uncancel"):
                task.uncancel()
    if boot_lines:
        out.write(("\n" if not quiet else "") + "\n".join(boot_lines) + "\n")
    status = report(outcomes, out, quiet)
    out.flush()
    if interrupted:
        return 130
    return status if booted else 1


def main(
    lab: str,
    dos: list[str],
    pcap: str | None,
    events: str | None,
    quiet: bool,
    taps: dict[str, str],
    serve_for: float | None,
    out: TextIO = sys.stdout,
    netns: str | None = None,
    capture_on: list[str] | None = None,
    qemu: dict[str, str] | None = None,
) -> int:
    """`workbench run` with TAP devices, QEMU sockets or VMs: exit 0, 1 when a command failed
    (or a VM did not boot), 130 on Ctrl-C.

    Raises LabError, CommandError, TapError or VmError (one sentence each) before any traffic flows.
    """
    spec = with_qemu(with_taps(load_lab(lab), taps), qemu or {})
    if not is_live(spec):
        raise TapError(
            "live mode needs a segment bridged to a TAP device (--tap SEGMENT=IFNAME) or open to QEMU (--qemu SEGMENT=PATH)"
        )
    if spec.vms:
        from workbench.vms import preflight

        preflight(spec)
    if out is sys.stdout and hasattr(out, "reconfigure") and not out.isatty():
        out.reconfigure(line_buffering=True)  # a live trace piped to grep or tee should flow
    return asyncio.run(
        serve(
            spec,
            dos,
            out,
            quiet=quiet,
            pcap=pcap,
            events=events,
            serve_for=serve_for,
            netns=netns,
            capture_on=capture_on,
        )
    )


__all__ = ["SteadyGC", "main", "open_live", "parse_taps", "serve"]
