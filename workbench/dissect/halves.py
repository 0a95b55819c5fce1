"""A `-Y` pass over a large classic pcap in two processes at once, printing what one pass prints.

The parent reads the file's first half as one pass would; a forked child reads the second
half from a fresh state at the same time, its lines into a temporary file, which the parent
copies out after its own. The boundary is a record both find alike (`skim.is_boundary`: the
first from the middle on that neither is nor follows an IPv4 fragment).

What the first half leaves in the state can change the second half's lines only through a
key the child met fresh: a TCP conversation (relative numbers, analysis, HTTP messages), a
datagram's fragments, an echo request a reply names. The child reports every such key; if
the parent's state holds any of them (or the two halves' waiting datagrams, or DNS messages
over TCP under way, would together overflow the bound the state keeps them in), the child's lines are thrown away and the parent reads the
second half itself, with its state — so the output is always the single pass's. State that
spans every frame — `tcp.stream`'s numbering, the DNS query a response answers — keeps a
filter naming it on one process (`can_halve`), as do `-c`, `-T fields` and `-z`.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import tempfile

from workbench.dissect.capture import CaptureError
from workbench.dissect.capture_state import DNS_LINK_WORDS, UDP_STREAM_WORDS, CaptureState
from workbench.dissect.dns_tcp import MAX_OPEN as DNS_TCP_MAX_OPEN
from workbench.dissect.prefilter import needed_ports
from workbench.dissect.reassembly import MAX_PENDING
from workbench.dissect.skim import Part, can_skim, find_boundary

# Smaller files are read in one process: a fork and a second pass's start cost more than
# half of a short file. `WORKBENCH_DISSECT_PROCESSES=1` keeps every file on one.
SPLIT_BYTES = 32 << 20
# Filter words that ask for state spanning the whole capture (see the module's doc).
_WHOLE_CAPTURE = ("tcp.stream", *DNS_LINK_WORDS, *UDP_STREAM_WORDS)


def can_halve(path: str, keep, layout, stats, count) -> bool:
    """True if a `-Y` pass over `path` may be read in two halves at once."""
    if keep is None or keep.requires is None or layout is not None or stats is not None:
        return False
    if count is not None or os.environ.get("WORKBENCH_DISSECT_PROCESSES") == "1":
        return False
    cpus = getattr(os, "sched_getaffinity", None)
    if not hasattr(os, "fork") or (len(cpus(0)) if cpus else os.cpu_count() or 1) < 2:
        return False
    text = keep.text.lower()
    if any(word in text for word in _WHOLE_CAPTURE):
        return False
    try:
        if os.path.getsize(path) < SPLIT_BYTES:
            return False
    except OSError:
        return False
    return can_skim(path) and any(p is not None for p in needed_ports(keep.requires))


def middle_of(path: str) -> int:
    """The offset from which the second half's first record is looked for."""
    return 24 + (os.path.getsize(path) - 24) // 2


def run(path: str, state: CaptureState, records, show, out) -> None:
    """Read `path` in two halves: `records(part, state)` the frames of one part (a skim),
    `show(records, state, out)` one pass over them."""
    middle = middle_of(path)
    sink = tempfile.TemporaryFile()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the second half, then its keys through the pipe
        os.close(read_end)
        status = 0
        try:
            result = _second_half(path, middle, state, records, show, sink)
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(result, pipe)
        except BaseException:  # noqa: BLE001 — the parent reads the half itself then
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    reaped = False
    try:
        part = Part(stop=middle)
        show(records(part, state), state, out)
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
            read_end = -1
        os.waitpid(pid, 0)
        reaped = True
        if part.reached is None:
            return  # the file ended before the middle's boundary: it was all one half
        result = pickle.loads(data) if data else None
        if result is not None and result["start"] == part.reached[0] and _agree(state, result):
            out.flush()
            sink.seek(0)
            text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
            while piece := text.read(1 << 20):
                out.write(piece)
            if result["error"] is not None:
                raise CaptureError(result["error"])
            return
        show(records(Part(start=part.reached), state), state, out)
    finally:
        if read_end >= 0:
            os.close(read_end)
        if not reaped:  # the parent stopped early (a closed pipe, damage): end the child
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        sink.close()


def _second_half(path, middle, first, records, show, sink) -> dict | None:
    boundary = find_boundary(path, middle)
    if boundary is None:
        return None
    offset, before, previous_ns, _first_ns = boundary
    # as the first half's: what its filter needs (a TCP analysis value is the conversation's,
    # which the child reports like the rest of TCP's state)
    state = CaptureState(dns_links=first.dns_links, udp_streams=False, tcp_values=first.tcp.values)
    state.ip.opened = set()
    state.echo_misses = set()
    error = None
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    try:
        show(records(Part(start=(offset, before, previous_ns)), state), state, text)
    except CaptureError as problem:
        error = str(problem)
    text.flush()
    text.detach()
    return {
        "start": offset,
        "tcp": state.tcp.keys(),
        "ip": state.ip.opened,
        "peak": state.ip.peak,
        "dns_tcp_peak": state.dns_tcp.peak,
        "echo": state.echo_misses,
        "error": error,
    }


def _agree(state: CaptureState, second: dict) -> bool:
    """True if the first half's state changes nothing the second half showed."""
    if not second["tcp"].isdisjoint(state.tcp.keys()):
        return False
    pending = state.ip.pending_keys()
    if not second["ip"].isdisjoint(pending) or len(pending) + second["peak"] > MAX_PENDING:
        return False
    if state.dns_tcp.open_count() + second["dns_tcp_peak"] > DNS_TCP_MAX_OPEN:
        return False
    return not any(state.knows_echo(key) for key in second["echo"])
