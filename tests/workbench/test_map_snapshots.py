"""Snapshot tests of the map: the lab drawn as buses with hosts, routers and addresses, and a
frame lit on its wire while stepping. LOOK at each as a picture when it changes."""

from __future__ import annotations

import pytest
from snapshot_app import NARROW, WIDE, make_app, run_command, settle

PING_WEB = "pc: ping 172.194.72.105 -c 1"


@pytest.mark.parametrize("lab", ["default", "dhcp", "loop"])
def test_map_narrow(snap_compare, lab):
    """80×24, the first screen: the Map tab with every segment, host, router and address."""
    assert snap_compare(make_app(lab=lab), terminal_size=NARROW, run_before=settle)


@pytest.mark.parametrize("lab", ["default", "dhcp", "loop"])
def test_map_wide(snap_compare, lab):
    """160×48: the map beside the hosts, every pane on screen."""
    assert snap_compare(make_app(lab=lab), terminal_size=WIDE, run_before=settle)


async def _to_transit(pilot):
    """Ping www and step (n) until the echo request crosses transit: gw-a sends it, gw-b keeps it."""
    await settle(pilot)
    await run_command(pilot, PING_WEB)
    for _ in range(200):
        await pilot.press("n")
        await pilot.pause()
        newest = pilot.app.session.entries[-1]
        if (
            newest.kind == "frame_received"
            and newest.host == "gw-b"
            and "ICMP" in pilot.app.session.frame_path(newest.frames[0]).summary
        ):
            break
    await settle(pilot)


def test_frame_lit_narrow(snap_compare):
    """80×24 after stepping: the echo request on transit — the bus lit, gw-a sending (▲), gw-b
    having kept it (▼), the caption saying so."""
    assert snap_compare(make_app(), terminal_size=NARROW, run_before=_to_transit)


def test_frame_lit_wide(snap_compare):
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=_to_transit)
