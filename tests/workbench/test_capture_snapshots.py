"""Snapshots of the capture screen: a million-frame capture's first screen, once the worker has
read the whole file (the status bar's count and size; the list still at its top).

Review a changed SVG as a picture (rsvg-convert) before accepting it with --snapshot-update.
"""

from __future__ import annotations

from capture_app import make_capture_app, read_whole_file
from snapshot_app import NARROW, WIDE


class TestBigCapture:
    def test_first_screen_wide(self, snap_compare, big_capture):
        """1,000,000 frames at 160×48: rows from frame 1, time from the first frame, no Seg column
        (a pcap names no interfaces), the dissector waiting for a frame, the status bar with the
        file's name, format, count and size and "no lab"."""

        async def run_before(pilot):
            await read_whole_file(pilot)

        assert snap_compare(
            make_capture_app(big_capture), terminal_size=WIDE, run_before=run_before
        )

    def test_hosts_tab_narrow(self, snap_compare, small_capture):
        """80×24, tab 2: the hosts and ARP pane says plainly that a capture has no lab."""

        async def run_before(pilot):
            await read_whole_file(pilot)
            await pilot.press("2")
            await pilot.pause()

        assert snap_compare(
            make_capture_app(small_capture), terminal_size=NARROW, run_before=run_before
        )


class TestStatistics:
    def test_ipv4_conversations(self, snap_compare, small_capture):
        """z on 1,500 frames: the title with the count and bytes, the views and kinds as tabs (each
        kind with its count), IPv4 conversations busiest first."""

        async def run_before(pilot):
            await read_whole_file(pilot)
            await pilot.press("z")
            await read_whole_file(pilot)

        assert snap_compare(
            make_capture_app(small_capture), terminal_size=WIDE, run_before=run_before
        )

    def test_protocol_hierarchy_narrow(self, snap_compare, small_capture):
        """h at 80×24: the protocol tree indented, percentages of packets and bytes."""

        async def run_before(pilot):
            await read_whole_file(pilot)
            await pilot.press("z")
            await read_whole_file(pilot)
            await pilot.press("h")
            await pilot.pause()

        assert snap_compare(
            make_capture_app(small_capture), terminal_size=NARROW, run_before=run_before
        )


class TestFollow:
    def test_http_stream_as_text(self, snap_compare, small_capture):
        """f on frame 8 (a GET): the request in the client's red, the response in the server's blue,
        the body wrapped to the width, the byte counts of each side below."""

        async def run_before(pilot):
            await read_whole_file(pilot)
            pilot.app.screen.query_one("#packet-list").select_frame(8)
            await pilot.press("f")
            await read_whole_file(pilot)

        assert snap_compare(
            make_capture_app(small_capture), terminal_size=WIDE, run_before=run_before
        )

    def test_hex_dump_narrow(self, snap_compare, small_capture):
        """h at 80×24: the hex dump, the server's lines indented."""

        async def run_before(pilot):
            await read_whole_file(pilot)
            pilot.app.screen.query_one("#packet-list").select_frame(8)
            await pilot.press("f")
            await read_whole_file(pilot)
            await pilot.press("h")
            await pilot.pause()

        assert snap_compare(
            make_capture_app(small_capture), terminal_size=NARROW, run_before=run_before
        )
