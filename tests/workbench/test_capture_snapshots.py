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

        assert snap_compare(make_capture_app(big_capture), terminal_size=WIDE, run_before=run_before)

    def test_hosts_tab_narrow(self, snap_compare, small_capture):
        """80×24, tab 2: the hosts and ARP pane says plainly that a capture has no lab."""

        async def run_before(pilot):
            await read_whole_file(pilot)
            await pilot.press("2")
            await pilot.pause()

        assert snap_compare(make_capture_app(small_capture), terminal_size=NARROW, run_before=run_before)
