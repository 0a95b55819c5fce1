"""Snapshot tests of the workbench: each screen and state a person meets on the default lab.

Every test starts paused at virtual time zero and drives the app only with keys, so the
pictures are the same on every run. A snapshot is only a test because someone looked at it:
when one changes, render it (`rsvg-convert x.svg -o x.png`) and look before updating.
"""

from __future__ import annotations

import pytest
from snapshot_app import NARROW, WIDE, make_app, run_command, settle, steps

PING_GATEWAY = "pc: ping 192.168.1.1 -c 1"
PING_WEB = "pc: ping 172.194.72.105 -c 1"


class TestStartup:
    def test_wide(self, snap_compare):
        """160×48: all six panes at once, the lab paused at t = 0, pc selected, vendors filled in."""
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=settle)

    def test_narrow(self, snap_compare):
        """80×24: tabs, the Packets tab first; the status bar fits without losing the time."""
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=settle)

    def test_narrow_hosts_tab(self, snap_compare):
        """80×24, Hosts · ARP tab: name, address, MAC, gateway, DNS and DHCP are not clipped;
        vendor and counters of the highlighted host are in the line below the table."""
        assert snap_compare(make_app(), terminal_size=NARROW, press=["2"], run_before=settle)


class TestPingSteps:
    """`pc: ping 192.168.1.1 -c 1`, paused, then one `n` at a time: the ARP question, the answer,
    the echo request, the echo reply."""

    @pytest.mark.parametrize("count", [0, 1, 2, 3, 4])
    def test_after_step(self, snap_compare, count):
        """After starting the ping and `count` steps: packet list, event log, ARP, routing."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await steps(pilot, count)
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


class TestArp:
    def test_after_resolution_narrow(self, snap_compare):
        """After a ping to the gateway, pc's ARP pane (80×24, Hosts · ARP tab) has 192.168.1.1
        at gw-a's MAC, reachable."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await steps(pilot, 4)
            await pilot.press("2")
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)

    def test_crafted_poison(self, snap_compare):
        """pc knows the gateway; `x` opens the craft screen on its ARP reply template (pc5 tells
        pc that 192.168.1.1 is at pc5's MAC), Enter takes it and ctrl+s sends it; after one step
        pc's entry shows CHANGED in the warning colour, with was/now and the owners of both MACs,
        and the event log marks the change."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await steps(pilot, 4)
            await pilot.press("x")
            await settle(pilot)
            await pilot.press("enter", "ctrl+s")
            await settle(pilot)
            await steps(pilot, 1)
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


class TestRouting:
    def test_host_decision(self, snap_compare):
        """pc pings www (another subnet): the routing pane shows both ANDs with the mask, the
        different subnets, and the verdict via the default gateway on eth0."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_WEB)
            await steps(pilot, 2)
            await pilot.press("3")
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)

    def test_router_decision(self, snap_compare):
        """gw-a selected (Hosts tab, cursor down to it): its routing pane lists the longest
        prefix match tried route by route, ending at the default route towards gw-b."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_WEB)
            await steps(pilot, 3)
            await pilot.press("2")
            await pilot.press(*["down"] * 7)
            await pilot.press("3")
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)


class TestDissector:
    def test_field_selected(self, snap_compare):
        """The echo request (#3) picked from the event log; in the dissector the cursor is on a
        field of the ICMP layer and its bytes are lit in the hex view."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await steps(pilot, 4)
            app = pilot.app
            log = app.screen.query_one("#event-log")
            index = app.session.first_entry_for(3)
            await pilot.press("4")
            log.cursor = index
            await pilot.pause()
            await pilot.press("5")
            await pilot.press(*["down"] * 5)
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


class TestThemes:
    @pytest.mark.parametrize("theme", ["dark", "light", "high-contrast"])
    def test_theme_after_ping(self, snap_compare, theme):
        """Each theme after a ping across the routers: protocol colours in the packet list,
        router names, the decision's verdict, the status bar — all readable."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, PING_WEB)
            await steps(pilot, 12)
            await settle(pilot)

        assert snap_compare(make_app(theme), terminal_size=WIDE, run_before=run_before)

    def test_high_contrast_narrow(self, snap_compare):
        """High contrast at 80×24 (the SSH case): tabs, status and footer stay legible."""
        assert snap_compare(make_app("high-contrast"), terminal_size=NARROW, run_before=settle)


class TestPrompts:
    def test_rejected_input(self, snap_compare):
        """A ping with a bad count: the prompt stays open, shows the usage, and says what is wrong."""

        async def run_before(pilot):
            await settle(pilot)
            await run_command(pilot, "pc: ping 192.168.1.1 -c many")
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)

    def test_help(self, snap_compare):
        """`?` lists every key with what it does, read from the bindings."""
        assert snap_compare(
            make_app(), terminal_size=WIDE, press=["question_mark"], run_before=settle
        )
