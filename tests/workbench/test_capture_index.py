"""Random access to captures (`CaptureIndex`): every frame where tshark sees it — pcap, nanosecond
pcap and pcapng written by editcap — indexed a chunk at a time; files cut short keep their
whole frames and say where they were cut; subsets written back read in tshark as exactly
the frames chosen."""

from __future__ import annotations

import subprocess

import pytest

from benchmarks.synthetic_capture import write_capture
from tests.conftest import needs_tool
from workbench.capture_session import CaptureRefused, CaptureSession
from workbench.dissect.capture import read_capture
from workbench.dissect.capture_index import CaptureIndex

FRAMES = 1_500


def tshark_fields(path, *fields, display_filter=None) -> list[str]:
    command = ["tshark", "-r", str(path), "-T", "fields"]
    for name in fields:
        command += ["-e", name]
    if display_filter:
        command += ["-Y", display_filter]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.stdout.splitlines()


def indexed(path, chunk=97) -> CaptureIndex:
    index = CaptureIndex(str(path))
    while index.index(chunk):
        pass
    return index


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    """The same frames as pcap (ours), and as editcap writes pcapng and nanosecond pcap."""
    folder = tmp_path_factory.mktemp("captures")
    pcap = folder / "mix.pcap"
    write_capture(str(pcap), FRAMES)
    out = {"pcap": pcap}
    for kind, name in (("pcapng", "mix.pcapng"), ("nsecpcap", "mix-ns.pcap")):
        target = folder / name
        subprocess.run(
            ["editcap", "-F", kind, str(pcap), str(target)], check=True, capture_output=True
        )
        out[kind] = target
    return out


@needs_tool("editcap")
@pytest.mark.parametrize("kind", ["pcap", "pcapng", "nsecpcap"])
def test_every_frame_where_tshark_sees_it(captures, kind):
    path = captures[kind]
    index = indexed(path)
    assert index.done and index.problem is None
    expected = tshark_fields(path, "frame.number", "frame.cap_len", "frame.time_epoch")
    assert len(index) == len(expected) == FRAMES
    for i in (0, 1, 2, 17, 700, FRAMES - 1):
        number, caplen, epoch = expected[i].split("\t")
        record = index[i]
        assert (record.id, len(record.data)) == (int(number), int(caplen))
        assert record.time == pytest.approx(float(epoch), abs=1e-6)
    # Frame by frame the same bytes as the sequential reader's.
    assert [index[i] for i in range(len(index))] == list(read_capture(str(path)))


@needs_tool("tshark")
def test_cut_short_keeps_whole_frames(captures, tmp_path):
    data = captures["pcap"].read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2])
    index = indexed(cut)
    whole = len(tshark_fields(cut, "frame.number"))
    assert len(index) == whole and 0 < whole < FRAMES
    assert (
        index.problem
        == f"{cut} was cut short in the middle of frame {whole + 1:,}; the {whole:,} whole frames before it are shown"
    )


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"", "is empty, not a capture"),
        (b"GET / HTTP/1.1\r\n\r\n", "is not a pcap or pcapng capture (it starts with 0x47455420)"),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "ends inside its pcap file header"),
    ],
)
def test_bad_files_are_one_sentence(tmp_path, content, sentence):
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureRefused) as caught:
        CaptureSession.open(str(path))
    assert str(caught.value) == f"{path} {sentence}"


def test_cut_inside_the_first_frame_is_refused(captures, tmp_path):
    cut = tmp_path / "first.pcap"
    cut.write_bytes(captures["pcap"].read_bytes()[:50])
    with pytest.raises(CaptureRefused, match=r"cut short in the middle of frame 1$"):
        CaptureSession.open(str(cut))


@needs_tool("tshark")
@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_subset_reads_back_in_tshark_as_the_frames_chosen(captures, tmp_path, kind):
    source = captures[kind]
    session = CaptureSession.open(str(source))
    while session.index_more():
        pass
    chosen = [i for i in range(len(session.frames)) if i % 7 == 3]
    out = tmp_path / f"subset.{kind}"
    assert session.save(str(out), chosen) == len(chosen)
    fields = ("frame.time_epoch", "frame.len", "frame.interface_name", "ip.id", "tcp.srcport")
    want = tshark_fields(source, *fields, display_filter="frame.number % 7 == 4")
    assert tshark_fields(out, *fields) == want
    assert len(want) == len(chosen)
