"""`workbench run`: a lab headless — the trace as readable lines, then each command's result.

Commands run one after the other, each until it is done; in virtual time that takes no wall
time at all, and the same command line always prints the same trace and writes the same pcap.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import TextIO

from stack.labs import build_network, load_lab
from stack.trace import Trace
from stack.writers.files import NamedFile
from stack.writers.jsonl import JsonlWriter
from stack.writers.pcap import capture_writer
from stack.writers.text import TextWriter
from stack.writers.whole_records import LiveSync, WholeRecords
from workbench.shell import CommandError, Outcome, prepare, run_virtual


def main(
    lab: str,
    dos: list[str],
    pcap: str | None,
    events: str | None,
    quiet: bool,
    out: TextIO = sys.stdout,
    settle: float = 0.0,
    capture_on: list[str] | None = None,
    snapshot_to: str | None = None,
    at: float | None = None,
    origin=None,
) -> int:
    """`origin` (a workbench.snapshot.Snapshot): continue from it, printing only what follows;
    `snapshot_to`/`at`: save a snapshot when lab time reaches `at`."""
    if origin is not None:
        from workbench.run_snapshot import continue_from

        spec = origin.spec()
        net = build_network(spec)
        started = continue_from(origin, net)
        dos = [*origin.pending, *dos]
    else:
        spec = load_lab(lab)
        net = build_network(spec)
        started = []
    invocations = [prepare(net, text) for text in dos]
    segments = capture_segments(spec, capture_on)
    recorder = None
    if snapshot_to is not None:
        from workbench.run_snapshot import RunRecorder

        recorder = RunRecorder(net, snapshot_to, at, origin, [i.text for i in invocations])
    with ExitStack() as stack:
        stack.callback(net.trace.close)
        attach_writers(stack, net.trace, out, quiet, pcap, events, segments=segments)
        outcomes = run_virtual(net, invocations, settle, recorder=recorder, started=started)
        if net.trace.spilled:
            sys.stderr.write(f"workbench: {net.trace.where()}\n")
    return report(outcomes, out, quiet)


def capture_segments(spec, names: list[str] | None) -> frozenset[str] | None:
    """The segments `--capture-on` names (checked against the lab), or None for all of them."""
    if not names:
        return None
    for name in names:
        if name not in spec.segments:
            raise CommandError(
                f"--capture-on {name}: lab {spec.name} has no segment named {name!r} (segments: {', '.join(spec.segments)})"
            )
    return frozenset(names)


def attach_writers(
    stack: ExitStack,
    trace: Trace,
    out: TextIO,
    quiet: bool,
    pcap: str | None,
    events: str | None,
    epoch: float = 0.0,
    segments: frozenset[str] | None = None,
    loop=None,
) -> None:
    """Subscribe the text, pcap and JSON Lines writers; `stack` unsubscribes them and closes
    their files (a live lab's loop may still deliver a frame or two after the run). With a
    `loop` (live), the text and JSON Lines are written just after the frames, off their path,
    the text by a child process when `out` is a file."""

    def later(writer):
        if loop is None:
            return writer
        from stack.writers.deferred import Deferred

        deferred = Deferred(writer, loop)
        stack.callback(deferred.flush)
        return deferred

    if not quiet:
        from workbench import i18n

        describe = None if i18n.language() == "en" else i18n.explain
        text = TextWriter(out, describe=describe)
        if loop is not None:
            # Live, the lines are formatted by a child process, on another CPU (stack.writers.forked).
            from stack.writers.forked import Forked

            forked = Forked.start(text, loop)
            if forked is not None:
                stack.callback(forked.close)  # after the unsubscribe below: every line written
                stack.callback(trace.subscribe(forked))
                text = None
        else:
            # Simulated, a long run's lines are formatted by a child process too, once it has
            # made enough of them (stack.writers.fork_when_long).
            from stack.writers.fork_when_long import ForkWhenLong

            text = ForkWhenLong(text)
            stack.callback(text.close)  # after the unsubscribe below: every line written
        if text is not None:
            stack.callback(trace.subscribe(later(text)))
    if pcap:
        # Whole records only reach the file, so a run killed mid-way leaves a capture tshark reads.
        handle = stack.enter_context(WholeRecords(NamedFile(open(pcap, "wb", buffering=0), pcap)))
        writer = capture_writer(pcap, handle, trace, epoch, segments)
        if hasattr(writer, "close"):
            stack.callback(writer.close)  # a pcapng holds its newest frames back for their comments
        if loop is not None:
            synced = LiveSync(writer, handle, loop, trace.clock)
            stack.callback(synced.stop)
            writer = synced
        stack.callback(trace.subscribe(writer))  # unsubscribed first: nothing arrives after close
    if events:
        handle = stack.enter_context(NamedFile(open(events, "w", encoding="utf-8"), events))
        stack.callback(trace.subscribe(later(JsonlWriter(handle, trace))))


def report(outcomes: list[Outcome], out: TextIO, quiet: bool = False) -> int:
    """Each command's result under a rule with its text; 1 when any of them failed."""
    for i, outcome in enumerate(outcomes):
        # A blank line parts the results from the trace above them and from each other.
        gap = "\n" if i or not quiet else ""
        out.write(
            f"{gap}── {outcome.invocation.text} {'─' * max(3, 60 - len(outcome.invocation.text))}\n"
        )
        for line in outcome.lines:
            out.write(line + "\n")
    failed = [o for o in outcomes if not o.ok]
    return 1 if failed else 0


__all__ = ["main", "report", "CommandError", "Outcome"]
