"""Snapshot tests of stepping back (⌫ (backspace)) in the app: a ping to the gateway, stepped forward to
its end, then back one step at a time to watch the ARP resolution again — and forward again.

Each picture was looked at (rsvg-convert x.svg -o x.png) before it was accepted.
"""

from __future__ import annotations

import pytest
from snapshot_app import NARROW, WIDE, make_app, run_command, settle, steps

PING_GATEWAY = "pc: ping 192.168.1.1 -c 1"


async def _back(pilot, count: int) -> None:
    for _ in range(count):
        await pilot.press("backspace")
        await pilot.pause()
    await settle(pilot)


async def _forward(pilot, count: int) -> None:
    for _ in range(count):
        await pilot.press("n")
        await pilot.pause()
    await settle(pilot)


class TestStepBack:
    @pytest.mark.parametrize("back", [1, 20])
    def test_after_the_ping_then_back(self, snap_compare, back):
        """The whole ping (4 instants, 34 events), then `back` events back. 1: the last event
        (pc2 dropping the reply #4) is gone from the log, 33 shown. 20: 14 shown, t = 0.000055 s —
        only the ARP question and gw-a's answer (#2) sent, pc's entry for 192.168.1.1
        incomplete again, so the resolution can be watched again with n. The toast says so."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await steps(pilot, 4)
            await _back(pilot, back)

        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)

    def test_back_then_forward_again_is_the_same_picture_as_never_going_back(self, snap_compare):
        """Back 20 events, forward 20 with n: the same lists, cache and counters as after the 4
        instants (the redo replays the same history): 4 frames, 34 events, the ping's statistics
        at the bottom of the log."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await steps(pilot, 4)
            await _back(pilot, 20)
            await _forward(pilot, 20)
            # The last step back's toast lasts its seconds of wall clock: still up on a quiet
            # machine, gone on a busy one. The picture compared is the lab's, not the toast's.
            pilot.app.clear_notifications()
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)

    def test_at_time_zero_there_is_nothing_to_step_back_over(self, snap_compare):
        """⌫ (backspace) on a fresh lab: a warning toast says so, the lab is unchanged (80×24)."""

        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("backspace")
            await pilot.pause()
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)
