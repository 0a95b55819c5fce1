"""Snapshots of the packet list: the colours of each protocol, the cursor, a filter's count.

Review a changed SVG as a picture (rsvg-convert) before accepting it with --snapshot-update.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from stack.trace import FrameRecord
from tests.workbench.story_frames import STORY
from workbench.widgets.packet_list import PacketList

FRAMES = [FrameRecord(i + 1, i * 0.000055, "lan", "pc", bytes(f)) for i, f in enumerate(STORY)]
FRAMES.append(FrameRecord(11, 0.00066, "lan", "pc", bytes(STORY[7])[:30]))


class ListApp(App):
    def compose(self) -> ComposeResult:
        yield PacketList(FRAMES, id="packets")


class TestPacketList:
    def test_protocol_colours_and_cursor(self, snap_compare):
        """Every protocol's row colour, a malformed row, and the cursor on the HTTP request."""

        async def run_before(pilot):
            pilot.app.query_one(PacketList).select_frame(7)

        assert snap_compare(ListApp(), terminal_size=(110, 14), run_before=run_before)

    def test_filter_at_80_columns(self, snap_compare):
        """`icmp or arp` at 80×24: the narrow headers, the count in the header, nothing clipped."""

        async def run_before(pilot):
            pilot.app.query_one(PacketList).set_filter("icmp or arp")
            pilot.app.query_one(PacketList).focus()
            await pilot.press("end")

        assert snap_compare(ListApp(), terminal_size=(80, 24), run_before=run_before)
