"""Pilot tests: a capture file in the app — `workbench open`, `o` taking captures as well as labs,
the file read in the background with its progress, a filter over a million frames that leaves
the list usable, saving only the frames shown (and asking before replacing a file), panes and
commands that need a lab saying so, and bad files refused in one sentence."""

from __future__ import annotations

import gc
import subprocess
import sys

from capture_app import BIG, SMALL, filtered, make_capture_app, read_whole_file
from snapshot_app import WIDE, make_app, run_command, settle, steps

from tests.conftest import needs_tool
from workbench.dissect import capture_notes
from workbench.dissect.capture import read_capture
from workbench.screens.capture import CaptureScreen
from workbench.widgets.packet_list import PacketList


def status_text(app) -> str:
    return str(app.screen.query_one("#capture-status").render())


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


class TestOpen:
    async def test_open_shows_the_capture(self, small_capture):
        """The app opens on the file: its frames in the list (time from the first frame), the
        dissector on the frame the cursor picks, the file's name and size in the status bar."""
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            assert isinstance(app.screen, CaptureScreen)
            packets = app.screen.query_one(PacketList)
            assert packets.row_count == SMALL
            assert packets.render_line(1).text.split()[:2] == ["1", "0.000000"]
            assert "small.pcap · pcap · 1,500 frames" in status_text(app)
            await pilot.press("down", "down", "down")
            await pilot.pause()
            dissector = app.screen.query_one("#dissector")
            assert dissector.record.id == 3
            assert any(
                "Domain Name System" in node.label for node, _path in dissector.dissection.walk()
            )

    async def test_the_collector_held_for_the_start_runs_again_once_the_screen_is_up(
        self, small_capture
    ):
        """`workbench open` holds the garbage collector off while it starts; once the first
        screen is painted it runs again (left off, a long session would never free a cycle)."""
        app = make_capture_app(small_capture)
        app.gc_held = True
        gc.disable()
        try:
            async with app.run_test(size=WIDE) as pilot:
                await read_whole_file(pilot)
                assert gc.isenabled()
                assert app.screen.query_one(PacketList).row_count == SMALL
        finally:
            gc.enable()

    async def test_o_opens_a_capture_from_a_lab_and_asks_before_discarding(self, small_capture):
        """In a lab with frames, `o` and a capture's path asks first (the lab's frames would be
        lost); n keeps the lab, y opens the capture."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: ping 192.168.1.1 -c 1")
            await steps(pilot, 4)
            await settle(pilot)
            for answer in ("n", "y"):
                await pilot.press("o")
                await pilot.pause()
                field = app.screen.query_one("#open-path")
                field.focus()
                field.value = str(small_capture)
                await pilot.press("enter")
                await pilot.pause()
                assert app.screen.id == "confirm-open"
                question = str(app.screen.query_one("#confirm-question").render())
                assert question.startswith("Open capture small.pcap? This lab's capture (4 frames)")
                await pilot.press(answer)
                await read_whole_file(pilot)
                if answer == "n":
                    assert app.session is not None and len(app.session.trace.frames) == 4
            assert isinstance(app.screen, CaptureScreen)
            assert app.screen.query_one(PacketList).row_count == SMALL

    async def test_o_in_a_capture_opens_a_lab(self, small_capture):
        """From a capture, `o` opens a built-in lab (nothing is lost: the file stays on disk)."""
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            await pilot.press("o")
            await pilot.pause()
            options = app.screen.query_one("#open-builtin")
            options.highlighted = next(
                i
                for i in range(options.option_count)
                if options.get_option_at_index(i).id == "loop"
            )
            await pilot.press("enter")
            await settle(pilot)
            assert app.session.spec.name == "loop"
            assert not isinstance(app.screen, CaptureScreen)

    async def test_o_refuses_bad_files_in_one_sentence(self, small_capture, tmp_path):
        """Not a capture, cut short before its first frame, empty: the open box says why in one
        sentence and stays open; the capture already open stays."""
        bad = {
            "notes.pcap": (
                b"these are notes, not packets\n",
                "is not a pcap or pcapng capture (it starts with 0x74686573)",
            ),
            "cut.pcap": (small_capture.read_bytes()[:40], "was cut short in the middle of frame 1"),
            "empty.pcapng": (b"", "is empty, not a capture"),
        }
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            await pilot.press("o")
            await pilot.pause()
            for name, (content, sentence) in bad.items():
                path = tmp_path / name
                path.write_bytes(content)
                field = app.screen.query_one("#open-path")
                field.focus()
                field.value = str(path)
                await pilot.press("enter")
                await pilot.pause()
                assert str(app.screen.query_one("#open-error").render()) == f"{path} {sentence}"
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CaptureScreen) and app.screen.capture.name == "small.pcap"


class TestNoLab:
    async def test_lab_panes_say_so(self, small_capture):
        """Tabs 2, 3 and 4 (hosts and ARP, routing, events) say plainly that a capture has no lab."""
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            for key, pane in (("2", "#hosts-pane"), ("3", "#routing-pane"), ("4", "#events-pane")):
                await pilot.press(key)
                await pilot.pause()
                shown = app.screen.query_one(pane)
                assert shown.display and shown.region.height > 0
                assert "belong" in str(shown.render()) or "explanations" in str(shown.render())
                assert "small.pcap is a capture file" in str(shown.render())
                assert not app.screen.query_one("#packets-pane").region.height

    async def test_lab_commands_refuse_in_one_sentence(self, small_capture):
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE, notifications=True) as pilot:
            await read_whole_file(pilot)
            for key in ("p", "space", "n", "b"):
                await pilot.press(key)
                await pilot.pause()
            assert messages(app) == [
                "Ping needs a lab, and small.pcap is a capture file: o opens a lab.",
                "Play and pause needs a lab, and small.pcap is a capture file: o opens a lab.",
                "Stepping needs a lab, and small.pcap is a capture file: o opens a lab.",
                "Browse needs a lab, and small.pcap is a capture file: o opens a lab.",
            ]
            assert isinstance(app.screen, CaptureScreen), "no prompt opened"


class TestBigCapture:
    async def test_first_screen_then_progress_while_the_file_is_read(self, big_capture):
        """A million frames: the first rows are on screen before the file has been read; the
        status bar counts up as a worker reads it, and ends at 1,000,000."""
        app = make_capture_app(big_capture)
        seen: list[str] = []
        async with app.run_test(size=WIDE) as pilot:
            # Asked at once: the worker reading the file starts after the first paint, and on
            # a quiet machine it reads the million before a pause is over.
            packets = app.screen.query_one(PacketList)
            assert packets.row_count < BIG
            assert packets.render_line(1).text.split()[0] == "1"
            while app.screen.capture.indexing:
                seen.append(status_text(app))
                await pilot.pause(0.05)
            await read_whole_file(pilot)
            assert packets.row_count == BIG
            assert "1,000,000 frames" in status_text(app)
            assert "reading the file" not in status_text(app)
            assert packets.render_line(1).text.split()[0] == "1", "the view stayed at the top"
        progress = [line for line in seen if "reading the file" in line]
        percents = [int(line.split("reading the file ")[1].split("%")[0]) for line in progress]
        assert len(set(percents)) >= 3 and percents == sorted(percents), percents

    async def test_filter_runs_in_the_background_while_the_list_scrolls(self, big_capture):
        """`icmp` over a million frames: rows fill in as the worker goes, its progress in the
        list's header, and meanwhile the cursor keys move through what has been found."""
        app = make_capture_app(big_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            packets = await filtered(pilot, "icmp")
            assert packets.filtering
            header = packets.render_line(0).text
            assert "filtering" in header and "%" in header
            while packets.filtering and packets.row_count < 100:  # the first chunk's matches
                await pilot.pause(0.05)
            moved = []
            while packets.filtering and len(moved) < 6:
                await pilot.press("pagedown")
                await pilot.pause(0.05)
                moved.append(packets.cursor_row)
            assert moved[-1] > moved[0] > 0, moved
            assert packets.filtering, "the filter was still running while the cursor moved"
            frame = app.screen.capture.frames[packets.selected_frame_id - 1]
            assert frame.data[23] == 1, "the selected row is an ICMP frame"


class TestScrolledFar:
    async def test_rows_scrolled_far_past_the_pass_are_drawn_again_as_dissect_prints_them(
        self, small_capture, monkeypatch
    ):
        """A list dragged by its scrollbar far past where the pass across frames has got shows
        those rows at once, each frame alone (absolute Seq, no "request in"); a worker runs the
        pass there and the rows are drawn again exactly as `workbench dissect` prints them. The
        small capture stands in for a big one: "far" is made 100 frames here (3,000 in use)."""
        monkeypatch.setattr(capture_notes, "NEAR", 100)
        printed = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "dissect", str(small_capture)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            packets = app.screen.query_one(PacketList)
            assert app.screen.capture.notes.analysed < 1_000
            packets.scroll_to(y=1_000, animate=False, immediate=True)  # as a scrollbar drag
            alone = [packets.render_line(y).text.split() for y in range(1, 31)]
            for _ in range(3):
                await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            drawn = [packets.render_line(y).text.split() for y in range(1, 31)]
        assert [row[0] for row in drawn] == [str(n) for n in range(1_001, 1_031)]
        expected = []
        for line in printed[1_000:1_030]:
            words = line.split()
            expected.append(words[:3] + words[4:])  # the list has columns, not "src → dst"
        assert drawn == expected
        assert drawn != alone, "the rows were drawn from their frames alone, then again"


class TestSave:
    @needs_tool("tshark")
    async def test_saves_only_the_frames_shown_as_tshark_filters_them(
        self, small_capture, tmp_path
    ):
        """With `dns` applied, s writes the frames shown — and tshark reads back exactly the frames
        its own `dns` filter picks from the original, byte for byte."""
        app = make_capture_app(small_capture)
        out = tmp_path / "dns.pcap"
        async with app.run_test(size=WIDE, notifications=True) as pilot:
            await read_whole_file(pilot)
            packets = await filtered(pilot, "dns")
            await read_whole_file(pilot)
            shown = packets.row_count
            await pilot.press("s")
            await pilot.pause()
            field = app.screen.query_one("#prompt-input")
            assert field.value == "small-filtered.pcap"
            field.value = str(out)
            await pilot.press("enter")
            await read_whole_file(pilot)
            assert f"Saved {shown:,} frames to {out}." in messages(app)
        fields = [
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "dns.id",
            "-e",
            "udp.srcport",
            "-e",
            "frame.md5_hash",
        ]
        want = subprocess.run(
            ["tshark", "-r", str(small_capture), "-Y", "dns", *fields],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        got = subprocess.run(
            ["tshark", "-r", str(out), *fields], capture_output=True, text=True, check=True
        ).stdout
        assert got == want and len(got.splitlines()) == shown > 0

    async def test_asks_before_replacing_a_file(self, small_capture, tmp_path):
        """An existing name gets a question: n goes back to the name (the file untouched), y
        replaces it."""
        out = tmp_path / "taken.pcap"
        out.write_bytes(b"keep me")
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE, notifications=True) as pilot:
            await read_whole_file(pilot)
            await filtered(pilot, "arp")
            await read_whole_file(pilot)
            await pilot.press("s")
            await pilot.pause()
            app.screen.query_one("#prompt-input").value = str(out)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen.id == "confirm-overwrite"
            assert (
                str(app.screen.query_one("#confirm-question").render())
                == f"{out} already exists (7 bytes). Replace it?"
            )
            await pilot.press("n")
            await pilot.pause()
            assert app.screen.id == "save-prompt" and out.read_bytes() == b"keep me"
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("y")
            await read_whole_file(pilot)
        arp = [r.data for r in read_capture(str(small_capture)) if r.data[12:14] == b"\x08\x06"]
        assert [r.data for r in read_capture(str(out))] == arp and arp


class TestSaveInALab:
    @needs_tool("tshark")
    async def test_lab_saves_the_frames_shown_and_asks_before_replacing(self, tmp_path):
        """In a lab too: with `icmp` applied after a ping, s writes the echo and its reply only
        (tshark reads two ICMP frames), and a second save to the same name asks first."""
        out = tmp_path / "icmp.pcap"
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: ping 192.168.1.1 -c 1")
            await steps(pilot, 4)
            await settle(pilot)
            await filtered(pilot, "icmp")
            for _ in range(2):
                await pilot.press("s")
                await pilot.pause()
                app.screen.query_one("#prompt-input").value = str(out)
                await pilot.press("enter")
                await settle(pilot)
            assert app.screen.id == "confirm-overwrite"
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.id == "save-prompt"
        listing = subprocess.run(
            ["tshark", "-r", str(out), "-T", "fields", "-e", "icmp.type"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert listing.split() == ["8", "0"]


class TestCommandLine:
    def test_bad_files_one_sentence_and_exit_2(self, small_capture, tmp_path):
        cases = {
            "empty.pcap": (b"", "is empty, not a capture"),
            "text.pcap": (
                b"hello\n",
                "is not a pcap or pcapng capture (it starts with 0x68656c6c)",
            ),
            "cut.pcap": (small_capture.read_bytes()[:60], "was cut short in the middle of frame 1"),
        }
        for name, (content, sentence) in cases.items():
            path = tmp_path / name
            path.write_bytes(content)
            done = subprocess.run(
                [sys.executable, "-m", "workbench.cli", "open", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 2
            assert done.stderr == f"workbench: {path} {sentence}\n"
            assert not done.stdout

    def test_cut_short_opens_its_whole_frames_then_exits_2(self, small_capture, tmp_path):
        """A file cut in the middle of a frame opens on a terminal with the frames before the cut;
        after q, the sentence is on stderr and the exit status is 2, as tshark's."""
        import os
        import pty
        import select
        import time

        cut = tmp_path / "cut.pcap"
        cut.write_bytes(small_capture.read_bytes()[:100_000])
        master, slave = pty.openpty()
        child = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", "open", str(cut)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(os.environ, TERM="xterm-256color"),
            close_fds=True,
        )
        os.close(slave)
        seen = b""
        deadline = time.monotonic() + 60
        try:
            while (
                b"541" not in seen and time.monotonic() < deadline
            ):  # frame 541, the last whole one
                if select.select([master], [], [], 0.2)[0]:
                    seen += os.read(master, 65536)
            os.write(master, b"q")
            while child.poll() is None and time.monotonic() < deadline:
                if select.select([master], [], [], 0.2)[0]:
                    try:
                        seen += os.read(master, 65536)
                    except OSError:
                        break
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
            os.close(master)
        assert child.returncode == 2
        assert (
            f"workbench: {cut} was cut short in the middle of frame 542; the 541 whole frames before it are shown".encode()
            in seen.replace(b"\r\n", b"\n")
        )

    def test_refused_without_a_terminal(self, small_capture):
        done = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "open", str(small_capture)],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert (
            done.returncode == 2
            and done.stderr.count("\n") == 1
            and "needs a terminal" in done.stderr
        )
