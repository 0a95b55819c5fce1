"""Captures real tools made in this run (tests/live/oracle_captures.py: curl against
`python3 -m http.server` with TSO, dig against dnsmasq, udhcpc, `ping -s 4000`, a lossy
transfer, IPv6, `tcpdump -i any` as SLL and SLL2, editcap's pcapng and nanosecond rewrites),
opened as the app opens them: every frame where the sequential reader (and tshark's count) has
it; Follow TCP stream equal to tshark's on the TSO and the lossy transfers; the statistics
screen's TCP conversations equal to `tshark -z conv,tcp`."""

from __future__ import annotations

import subprocess

import pytest

from tests.live.conftest import make_corpus_in_namespaces
from workbench.capture_follow import follow_frame
from workbench.capture_session import CaptureSession
from workbench.capture_stats import StatisticsPass
from workbench.dissect.capture import read_capture

pytestmark = pytest.mark.live

TOOLS = (
    "tshark",
    "editcap",
    "tcpdump",
    "dnsmasq",
    "busybox",
    "curl",
    "dig",
    "ethtool",
    "tc",
    "ping",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    made = make_corpus_in_namespaces("wbca", tmp_path_factory.mktemp("corpus"), TOOLS)
    return made


def opened(path) -> CaptureSession:
    session = CaptureSession.open(str(path))
    while session.index_more(97):
        pass
    return session


def tshark(*args: str) -> str:
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=True).stdout


def test_every_frame_as_the_reader_and_tshark_see_it(corpus):
    for name, path in corpus.items():
        session = opened(path)
        frames = [session.frames[i] for i in range(len(session.frames))]
        assert frames == list(read_capture(str(path))), name
        assert len(frames) == len(
            tshark("-r", str(path), "-T", "fields", "-e", "frame.number").split()
        ), name
        assert session.index.problem is None, name


@pytest.mark.parametrize(
    ("capture", "stream"),
    [("http_tso", 2), ("tcp_loss", 0), ("any_sll2", 0)],
)
def test_follow_equals_tsharks(corpus, capture, stream):
    path = str(corpus[capture])
    numbers = tshark(
        "-r", path, "-Y", f"tcp.stream == {stream}", "-T", "fields", "-e", "frame.number"
    ).split()
    if not numbers:
        pytest.fail(f"{capture} has no TCP stream {stream}")
    session = opened(path)
    followed = follow_frame(session.frames, int(numbers[len(numbers) // 2]) - 1)
    raw = (
        tshark("-r", path, "-q", "-z", f"follow,tcp,raw,{stream}")
        .split("Node 1: ")[1]
        .splitlines()[1:-1]
    )
    client = bytes.fromhex("".join(line for line in raw if not line.startswith("\t")))
    server = bytes.fromhex("".join(line.strip() for line in raw if line.startswith("\t")))
    for side, ours, theirs in (
        (0, followed.stream.data(0), client),
        (1, followed.stream.data(1), server),
    ):
        # Compared by hand: pytest's diff of two 2 MB byte strings (the lossy transfer's server
        # side, when it differs) runs for many minutes and looks like a hang.
        if ours != theirs:
            at = next(
                (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), None
            )
            at = min(len(ours), len(theirs)) if at is None else at
            pytest.fail(
                f"side {side}: {len(ours):,} bytes, tshark {len(theirs):,}; first difference at byte {at:,}: "
                f"ours {ours[at : at + 16]!r}, tshark {theirs[at : at + 16]!r}"
            )
    assert followed.frames == len(numbers)


def test_statistics_tcp_conversations_equal_tsharks(corpus):
    path = str(corpus["tcp_loss"])
    session = opened(path)
    stats = StatisticsPass(session.frames, range(len(session.frames)))
    stats.run(lambda: False, lambda: None)
    ours = {
        (f"{c.a[0]}:{c.a[1]}", f"{c.b[0]}:{c.b[1]}"): (c.frames, c.bytes)
        for c in stats.conversations("tcp")
    }
    theirs = {}
    for line in tshark("-r", path, "-q", "-z", "conv,tcp").splitlines():
        if "<->" in line:
            a, rest = line.split("<->")
            b, *numbers = rest.split()
            theirs[(a.strip(), b)] = int(numbers[6])
    assert {pair: frames for pair, (frames, _size) in ours.items()} == theirs
