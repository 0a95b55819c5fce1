"""The capture screen shows what `workbench dissect` and tshark show, on captures real tools made
in this run (tests/live/oracle_captures.py: curl over TSO, dig against dnsmasq, udhcpc,
`ping -s 4000`, a transfer under loss and reordering, IPv6, `tcpdump -i any`, editcap's
pcapng and nanosecond rewrites):

- the packet list's rows (Protocol, Source, Destination, Length, Info) equal `workbench dissect`'s
  for every frame: relative Seq/Ack, scaled windows, `[TCP Window Full]`, "[TCP segment of a
  reassembled PDU]", the reassembled datagram on its last fragment;
- every line of the field tree that the frames before it give (relative `tcp.seq` beside
  `tcp.seq_raw`, `tcp.window_size`, `tcp.stream`, the analysis flags, the times, `[Request In]`,
  the fragments) holds in tshark on that very frame, as its line's filter;
- every field name the tree shows, filtered in the app as `name == value`, picks the frames
  `workbench dissect -Y` picks — on frames over 1,514 bytes too;
- `a` on a TSO frame's raw sequence number and calculated window narrows the list to tshark's frames.
"""

from __future__ import annotations

import io
import subprocess

import pytest

from tests.live.conftest import make_corpus_in_namespaces
from tests.live.test_capture_app_live import TOOLS
from workbench import dissect_cli
from workbench.capture_session import CaptureSession
from workbench.dissect.capture_notes import NotedRows, NotedScan
from workbench.dissect.capture_state import FIELD_TYPES as STATE_FIELDS
from workbench.dissect.filter import compile_filter
from workbench.dissect.noted_tree import noted_dissection

pytestmark = pytest.mark.live

STATE = set(STATE_FIELDS) | {"frame.protocols", "frame.len", "frame.cap_len"}
LOSSY = "tcp_loss"  # made anew each run: its loss and reordering are random
COLUMNS = ("_ws.col.Protocol", "_ws.col.Source", "_ws.col.Destination", "_ws.col.Length")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus_in_namespaces("wbst", tmp_path_factory.mktemp("corpus"), TOOLS)


def opened(path) -> CaptureSession:
    session = CaptureSession.open(str(path))
    while session.index_more(997):
        pass
    return session


def dissect(path, **options) -> str:
    out, err = io.StringIO(), io.StringIO()
    status = dissect_cli.main(str(path), out=out, err=err, **options)
    assert status == 0, err.getvalue()
    return out.getvalue()


def tshark_frames(path, display_filter: str) -> list[int]:
    done = subprocess.run(
        ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]
    return [int(n) for n in done.stdout.split()]


def frames_holding(path, per_frame: dict[int, list[str]]) -> list[int]:
    """The frames N for which tshark finds `frame.number == N && every filter of N` true, asked
    in as few tshark runs as an argument's length allows."""
    parts = [
        f"(frame.number == {n} && {' && '.join(f'({f})' for f in filters)})"
        for n, filters in per_frame.items()
        if filters
    ]
    found, batch = [], []
    for part in [*parts, None]:
        if batch and (part is None or sum(map(len, batch)) + len(part) > 100_000):
            found += tshark_frames(path, " || ".join(batch))
            batch = []
        if part is not None:
            batch.append(part)
    return found


# The transfer under loss has 2,000-odd frames: its first 700 and every one with an analysis flag.
def chosen(session: CaptureSession, name: str) -> list[int]:
    count = len(session.frames)
    if name != LOSSY:
        return list(range(count))
    notes = session.notes
    notes.advance(count)
    return [i for i in range(count) if i < 700 or "tcp.analysis.flags" in notes.get(i).fields]


def test_rows_equal_workbench_dissects(corpus):
    """Every frame's Protocol, Source, Destination, Length and Info in the app's list are what
    `workbench dissect -T fields -e _ws.col.…` prints for it (dissect is held to tshark's by
    tests/live/test_tshark_oracle.py)."""
    compared = set()
    for name, path in corpus.items():
        session = opened(path)
        rows = NotedRows(session.frames, session.notes)
        printed = dissect(
            path, output="fields", fields=[*COLUMNS, "_ws.col.Info"], field_options=["separator=|"]
        ).splitlines()
        assert len(printed) == len(session.frames), name
        for index, line in enumerate(printed):
            protocol, source, destination, length, info = line.split("|", 4)
            row = rows.row(index)
            record = session.frames[index]
            ours = (row.protocol, row.source, row.destination, str(record.wire_length), row.info)
            assert ours == (protocol, source, destination, length, info), (name, index + 1)
            compared.add(row.protocol)
    # (ARP only when the kernel had no neighbour entry yet: not in every run)
    assert {"TCP", "HTTP", "DNS", "DHCP", "ICMP", "IPv4", "ICMPv6"} <= compared


def test_the_lines_the_frames_before_give_hold_in_tshark(corpus):
    """Each tree line the capture's pass gives — relative and raw Seq/Ack, next sequence number,
    segment length, stream index, calculated window and its scaling factor, analysis flags,
    duplicate-ACK numbers, times since the first and the previous frame, epoch, Request In,
    DNS response time, a reassembled datagram's fragments, frame.protocols — is a filter that
    tshark (default preferences: relative numbers) finds true of the frame it is on."""
    # Which analysis kinds a lossy transfer shows is random (window full is not in every run);
    # the set asked for below is what every run's captures hold.
    names, analysis = set(), []
    for name, path in corpus.items():
        session = opened(path)
        per_frame = {}
        for index in chosen(session, name):
            tree = noted_dissection(session.frames[index], session.notes.reach(index))
            lines = [node for node, _path in tree.walk() if node.filter and node.name in STATE]
            per_frame[index + 1] = list(dict.fromkeys(node.filter for node in lines))
            names.update(node.name for node in lines)
        holding = frames_holding(path, per_frame)
        missing = sorted(set(per_frame) - set(holding))
        for frame in missing[:20]:
            # As tests/live/test_tshark_oracle.py: the lossy transfer's loss is random each run,
            # and a few TCP-analysis corner cases differ from tshark's; nothing else may.
            rest = [text for text in per_frame[frame] if not text.startswith("tcp.analysis.")]
            if name == LOSSY and frames_holding(path, {frame: rest}) == [frame]:
                analysis.append(frame)
                continue
            wrong = [
                text
                for text in per_frame[frame]
                if tshark_frames(path, f"frame.number == {frame} && ({text})") != [frame]
            ]
            pytest.fail(f"{name}: {len(missing)} frames, e.g. {frame}: tshark disagrees on {wrong}")
        assert len(missing) <= 20 or name == LOSSY, (name, len(missing))
    assert {
        "tcp.seq",
        "tcp.seq_raw",
        "tcp.ack",
        "tcp.ack_raw",
        "tcp.window_size",
        "tcp.window_size_scalefactor",
        "tcp.stream",
        "tcp.analysis.flags",
        "frame.time_delta",
        "frame.time_relative",
        "dns.response_to",
        "icmp.resp_to",
        "ip.fragment",
    } <= names, names
    if analysis:
        pytest.xfail(
            f"every line holds in tshark but TCP analysis on frames {analysis} of the lossy transfer"
        )


def test_every_field_of_the_tree_filters_as_dissect_does(corpus):
    """For every field name the app's tree shows on these captures, `name == value` (the value
    from a frame that has it, as Apply as Filter writes it) picks in the app — its filter over
    the capture's pass — exactly the frames `workbench dissect -Y` prints; and the frame the
    value came from is among them."""
    checked = 0
    for name, path in corpus.items():
        session = opened(path)
        example: dict[str, tuple[str, int]] = {}
        for index in chosen(session, name):
            tree = noted_dissection(session.frames[index], session.notes.reach(index))
            for node, _path in tree.walk():
                if node.filter and node.name and len(node.filter) < 300:
                    example.setdefault(node.name, (node.filter, index))
        for _name, (text, index) in sorted(example.items()):
            scan = NotedScan(session.frames, compile_filter(text), session.notes)
            scan.catch_up()
            ours = [session.frames[i].id for i in scan.matches]
            theirs = [
                int(n)
                for n in dissect(
                    path, display_filter=text, output="fields", fields=["frame.number"]
                ).split()
            ]
            assert ours == theirs, (name, text)
            assert index + 1 in ours, (name, text)
            checked += 1
    assert checked > 300, checked


async def test_a_on_a_tso_frame_narrows_the_list_as_tshark(corpus):
    """In the app on curl's download over TSO: a frame over 1,514 bytes, its tree's raw sequence
    number, relative sequence number, calculated window and stream index each applied with `a`:
    the list shows exactly tshark's frames, and the row's Info says Seq and Win as tshark does."""
    from workbench.app import WorkbenchApp
    from workbench.widgets.dissector import Dissector
    from workbench.widgets.packet_list import PacketList

    async def settled(pilot) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    def shown_frames(app) -> list[int]:
        packets = app.screen.query_one(PacketList)
        return [packets.frames[i].id for i in packets.shown_indices()]

    async def on_field(pilot, frame: int, name: str) -> None:
        assert pilot.app.screen.query_one(PacketList).select_frame(frame)
        await pilot.pause()
        dissector = pilot.app.screen.query_one(Dissector)
        field = dissector.dissection.find(name)
        assert field is not None, name
        dissector.select_field(field)
        await pilot.pause()

    path = corpus["http_tso"]
    big = tshark_frames(path, "frame.len > 1514 && tcp.len > 0")
    assert big, "curl's download had no frame over 1,514 bytes"
    frame = big[len(big) // 2]
    app = WorkbenchApp(None, cursor_blink=False, capture=CaptureSession.open(str(path)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        for name in ("tcp.seq_raw", "tcp.seq", "tcp.window_size", "tcp.stream"):
            await on_field(pilot, frame, name)
            await pilot.press("a")
            await settled(pilot)
            applied = app.screen.query_one("#filter-input").value
            assert applied.startswith(f"{name} == "), applied
            shown = shown_frames(app)
            assert frame in shown and shown == tshark_frames(path, applied), applied
            await pilot.press("slash")
            app.screen.query_one("#filter-input").value = ""
            await pilot.press("enter")
            await settled(pilot)
        packets = app.screen.query_one("#packet-list")
        index = frame - 1
        row = packets.rows.row(index)
        theirs = subprocess.run(
            [
                "tshark",
                "-r",
                str(path),
                "-Y",
                f"frame.number == {frame}",
                "-T",
                "fields",
                "-e",
                "_ws.col.Info",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert row.info.split() == theirs.split()
