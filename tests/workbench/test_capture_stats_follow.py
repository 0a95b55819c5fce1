"""The statistics screen and Follow TCP stream on a capture in the app, against tshark: the
conversations, endpoints and protocol hierarchy it counts (all frames, or the filter's), the
bytes each side of a stream sent, in order; reached by keys and by the command palette."""

from __future__ import annotations

import subprocess

import pytest
from capture_app import SMALL, filtered, make_capture_app, read_whole_file
from snapshot_app import WIDE

from tests.conftest import needs_tool
from workbench import capture_stats
from workbench.capture_follow import NotTcp, follow_frame
from workbench.capture_session import CaptureSession
from workbench.capture_stats import StatisticsPass
from workbench.dissect.capture import read_capture
from workbench.dissect.facts import facts_of
from workbench.dissect.stats import conversations, endpoints
from workbench.screens.follow import FollowScreen, StreamView
from workbench.screens.statistics import StatisticsScreen
from workbench.widgets.packet_list import PacketList


def tshark(*args: str) -> str:
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=True).stdout


def tshark_conversations(path, kind: str, display_filter: str = "") -> dict[tuple[str, str], int]:
    """{(A, B): frames} from `tshark -z conv,KIND[,FILTER]`."""
    spec = f"conv,{kind}" + (f",{display_filter}" if display_filter else "")
    out = {}
    for line in tshark("-r", str(path), "-q", "-z", spec).splitlines():
        if "<->" in line:
            a, rest = line.split("<->")
            b, *numbers = rest.split()
            out[(a.strip(), b)] = int(numbers[6])
    return out


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one("#stats-table")
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def statistics(pilot) -> StatisticsScreen:
    await pilot.press("z")
    await read_whole_file(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StatisticsScreen)
    return screen


class TestStatistics:
    @needs_tool("tshark")
    async def test_conversations_as_tshark_counts_them(self, small_capture):
        """z: IPv4 conversations first, each pair's packets as `tshark -z conv,ip`; the TCP tab's
        pairs with ports as `-z conv,tcp`."""
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            screen = await statistics(pilot)
            ip = {(row[0], row[1]): int(row[2].replace(",", "")) for row in table_rows(screen)}
            assert ip == tshark_conversations(small_capture, "ip")
            for _ in range(2):
                await pilot.press("right")  # IPv4 → IPv6 → TCP
            await pilot.pause()
            tcp = {
                (f"{r[0]}:{r[1]}", f"{r[2]}:{r[3]}"): int(r[4].replace(",", ""))
                for r in table_rows(screen)
            }
            assert tcp == tshark_conversations(small_capture, "tcp") and len(tcp) > 100
            assert "all frames: 1,500 frames" in str(screen.query_one("#stats-title").render())

    @needs_tool("tshark")
    async def test_counts_only_the_frames_the_filter_shows(self, small_capture):
        """With `dns` applied, the statistics are those of the DNS frames: one UDP conversation per
        query, as tshark's `-z conv,udp,dns`; the hierarchy holds eth, ip, udp, dns only."""
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            await filtered(pilot, "dns")
            await read_whole_file(pilot)
            screen = await statistics(pilot)
            screen.query_one("#stats-kinds").active = "kind-udp"
            await pilot.pause()
            udp = {
                (f"{r[0]}:{r[1]}", f"{r[2]}:{r[3]}"): int(r[4].replace(",", ""))
                for r in table_rows(screen)
            }
            assert udp == tshark_conversations(small_capture, "udp", "dns")
            await pilot.press("h")
            await pilot.pause()
            names = [row[0] for row in table_rows(screen)]
            assert names == ["eth", "· ip", "· · udp", "· · · dns"]
            assert "frames matching dns" in str(screen.query_one("#stats-title").render())

    async def test_reached_from_the_palette_and_back(self, small_capture):
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Stats")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await read_whole_file(pilot)
            assert isinstance(app.screen, StatisticsScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.query_one(PacketList).row_count == SMALL

    def test_chunks_add_up_to_one_pass(self, small_capture, monkeypatch):
        """Counted 100 frames at a time (as a million are, so memory stays small), the totals are
        those of the whole list counted at once."""
        records = list(read_capture(str(small_capture)))
        facts = [facts_of(r) for r in records]
        monkeypatch.setattr(capture_stats, "CHUNK", 100)
        stats = StatisticsPass(records, range(len(records)))
        assert stats.run(lambda: False, lambda: None)
        for kind in ("eth", "ip", "tcp", "udp"):

            def key(c):
                return (
                    c.a,
                    c.b,
                    c.frames_ab,
                    c.bytes_ab,
                    c.frames_ba,
                    c.bytes_ba,
                    c.first_ns,
                    c.last_ns,
                )

            assert sorted(map(key, stats.conversations(kind))) == sorted(
                map(key, conversations(facts, kind))
            )
            assert sorted(
                (p.address, p.tx_frames, p.rx_bytes) for p in stats.endpoints(kind)
            ) == sorted((p.address, p.tx_frames, p.rx_bytes) for p in endpoints(facts, kind))


class TestFollow:
    @needs_tool("tshark")
    async def test_follow_shows_both_sides_as_tshark_reassembles_them(self, small_capture):
        """f on a segment of the fourth connection: the request and the response, each side's bytes
        as `tshark -z follow,tcp,raw,3` gives them, coloured by side; h shows a hex dump, d the
        client's side only."""
        app = make_capture_app(small_capture)
        frame = int(
            tshark(
                "-r",
                str(small_capture),
                "-Y",
                "tcp.stream == 3 and http.request",
                "-T",
                "fields",
                "-e",
                "frame.number",
            ).split()[0]
        )
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            app.screen.query_one(PacketList).select_frame(frame)
            await pilot.press("f")
            await read_whole_file(pilot)
            screen = app.screen
            assert isinstance(screen, FollowScreen)
            followed = screen.followed
            raw = (
                tshark("-r", str(small_capture), "-q", "-z", "follow,tcp,raw,3")
                .split("Node 1: ")[1]
                .splitlines()[1:-1]
            )
            client = bytes.fromhex("".join(line for line in raw if not line.startswith("\t")))
            server = bytes.fromhex("".join(line.strip() for line in raw if line.startswith("\t")))
            assert followed.stream.data(0) == client and followed.stream.data(1) == server
            view = screen.query_one(StreamView)
            assert view.lines[0] == (0, "GET / HTTP/1.1") and (1, "HTTP/1.1 200 OK") in view.lines
            client_style = view.get_component_rich_style("stream-view--client")
            assert (
                view.render_line(0).text.startswith("GET /")
                and list(view.render_line(0))[0].style == client_style
            )
            summary = str(screen.query_one("#follow-summary").render())
            assert f"Entire conversation ({len(client) + len(server):,} bytes)" in summary
            await pilot.press("h")
            await pilot.pause()
            assert view.lines[0] == (
                0,
                "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1..",
            )
            await pilot.press("d")
            await pilot.pause()
            assert {side for side, _line in view.lines} == {0}
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.query_one(PacketList).selected_frame_id == frame

    async def test_follow_on_a_frame_that_is_not_tcp_says_so(self, small_capture):
        app = make_capture_app(small_capture)
        async with app.run_test(size=WIDE, notifications=True) as pilot:
            await read_whole_file(pilot)
            await pilot.press("f")
            await pilot.pause()
            assert [n.message for n in app._notifications] == [
                "Select a TCP segment first: Follow TCP stream follows the selected frame's connection."
            ]
            app.screen.query_one(PacketList).select_frame(3)  # a DNS query
            await pilot.press("f")
            await read_whole_file(pilot)
            assert (
                str(app.screen.query_one("#follow-summary").render())
                == "Frame 3 is not a TCP segment: select one to follow its stream."
            )

    def test_not_tcp_is_one_sentence(self, small_capture):
        session = CaptureSession.open(str(small_capture))
        with pytest.raises(
            NotTcp, match="^frame 1 is not a TCP segment: select one to follow its stream$"
        ):
            follow_frame(session.frames, 0)
