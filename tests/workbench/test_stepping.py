"""Stepping as the help says: `n` shows exactly the next event, `N` a whole instant, space plays
from whichever pane has the focus, and the event log follows the newest event while stepping
unless the person moved it."""

from __future__ import annotations

from rich.text import Text
from snapshot_app import NARROW, WIDE, make_app, run_command, settle
from textual.events import MouseScrollUp

from stack.events import FrameSent, RouteDecision
from workbench.widgets.event_log import EventLog
from workbench.widgets.packet_list import PacketList

PING_GATEWAY = "pc: ping 192.168.1.1 -c 1"
PING_WEB = "pc: ping 172.194.72.105 -c 1"


async def started(pilot, command: str = PING_GATEWAY) -> None:
    await settle(pilot)
    await run_command(pilot, command)
    await settle(pilot)


class TestNextEvent:
    async def test_n_shows_one_event_at_a_time(self):
        """Each n adds exactly one line to the event log, through the whole ping; a frame shows
        in the packet list with the event that sends it, not before."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await started(pilot)
            log = app.screen.query_one(EventLog)
            packets = app.screen.query_one(PacketList)
            shown = len(log.entries)
            seen_sends = 0
            for _ in range(60):
                await pilot.press("n")
                await settle(pilot)
                if len(log.entries) == shown:
                    break  # nothing left: the ping is over
                assert len(log.entries) == shown + 1
                shown += 1
                newest = log.entries[-1]
                if isinstance(newest, FrameSent):
                    seen_sends += 1
                    assert packets.row_count == newest.frames[0], (
                        "the frame appears with its sending"
                    )
                sends_shown = sum(isinstance(e, FrameSent) for e in log.entries)
                assert packets.row_count == sends_shown
            assert seen_sends == 3, (
                "the reply, echo request and echo reply (the ARP request went out with the command)"
            )
            assert sum(isinstance(e, FrameSent) for e in log.entries) == 4
            assert not app.session.programs
            assert len(app.session.entries) == len(app.session.log)

    async def test_capital_n_shows_a_whole_instant(self):
        """N shows every event of the next moment: the ARP request heard by all five of lan's
        other NICs, and gw-a's reply, at once."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await started(pilot)
            before = len(app.session.entries)
            await pilot.press("N")
            await settle(pilot)
            instant = app.session.entries[before:]
            assert len({e.time for e in instant}) == 1
            assert sum(e.kind == "frame_received" for e in instant) == 5
            # n within an instant, then N shows the rest of it
            await pilot.press("n")
            await settle(pilot)
            assert len(app.session.entries) < len(app.session.log)
            await pilot.press("N")
            await settle(pilot)
            assert len(app.session.entries) == len(app.session.log)

    async def test_status_counts_what_is_shown(self):
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await started(pilot)
            await pilot.press("n", "n")
            await settle(pilot)
            status = app.session.status()
            assert status.frames == 1
            assert status.events == sum(1 for e in app.session.entries if e.kind != "output")


class TestSpaceEverywhere:
    async def test_space_plays_from_every_pane(self):
        """Whichever widget has the focus (the dissector's field tree and hex view too), space
        toggles play and pause."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await started(pilot, PING_WEB)
            await pilot.press("N", "N", "N")  # frames to dissect
            app.screen.query_one(PacketList).select_frame(1)
            await settle(pilot)
            focusable = [
                w
                for w in app.screen.query("*")
                if w.focusable and all(n.display for n in (w, *w.ancestors_with_self))
            ]
            names = {w.id for w in focusable}
            assert {
                "packet-list",
                "field-tree",
                "hex-view",
                "event-log",
                "hosts-table",
                "decision-log",
            } <= names
            for widget in focusable:
                widget.focus()
                await pilot.pause()
                playing = app.session.playing
                await pilot.press("space")
                await pilot.pause()
                assert app.session.playing != playing, f"space did nothing in #{widget.id}"
                if app.session.playing:
                    await pilot.press("space")
                    await pilot.pause()

    async def test_enter_still_opens_a_layer(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await started(pilot)
            await pilot.press("N")
            app.screen.query_one(PacketList).select_frame(1)
            await settle(pilot)
            tree = app.screen.query_one("#field-tree")
            tree.focus()
            tree.move_cursor(tree.root.children[0])
            was = tree.root.children[0].is_expanded
            await pilot.press("enter")
            await pilot.pause()
            assert tree.root.children[0].is_expanded != was


class TestFollowingLog:
    async def test_the_log_follows_the_newest_event_while_stepping(self):
        """With the cursor on an older event (picked from the packet list), n still moves the
        log to the newest event, tells it in full below, and selects its frame."""
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await started(pilot)
            await pilot.press("N", "N", "N")
            await settle(pilot)
            packets = app.screen.query_one(PacketList)
            packets.focus()
            await pilot.press("home")
            await settle(pilot)
            log = app.screen.query_one(EventLog)
            assert log.cursor == app.session.first_entry_for(1)
            for _ in range(5):
                await pilot.press("n")
                await settle(pilot)
                assert log.cursor == len(log.entries) - 1
                newest = log.entries[-1]
                assert newest.describe() in str(app.screen.query_one("#event-detail").render())
                if newest.frames:
                    assert packets.selected_frame_id == newest.frames[0]

    async def test_scrolled_up_stays_put(self):
        """The person moved the log's cursor up: stepping leaves it there; End follows again."""
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await started(pilot)
            await pilot.press("N", "N")
            await pilot.press("4")  # the Events tab, the log focused
            await settle(pilot)
            log = app.screen.query_one(EventLog)
            await pilot.press("end", "up", "up")
            await settle(pilot)
            resting = log.cursor
            await pilot.press("n", "n")
            await settle(pilot)
            assert log.cursor == resting
            assert not log.follow
            await pilot.press("end")
            await pilot.press("n")
            await settle(pilot)
            assert log.cursor == len(log.entries) - 1

    async def test_mouse_scroll_up_stops_following(self):
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await started(pilot, PING_WEB)
            for _ in range(6):
                await pilot.press("N")
            await pilot.press("4")
            await settle(pilot)
            log = app.screen.query_one(EventLog)
            assert len(log.entries) > log.size.height
            await pilot._post_mouse_events([MouseScrollUp], log, offset=(2, 2))  # the wheel, up
            await pilot._post_mouse_events([MouseScrollUp], log, offset=(2, 2))
            await pilot.press("n")
            await settle(pilot)
            assert log.cursor != len(log.entries) - 1
            assert log.scroll_offset.y + log.size.height < len(log.entries)


class TestReadableAt80:
    async def test_a_routing_decision_is_told_in_full(self):
        """gw-a's decision on the ping to the web server, with every AND, at 80 columns: the
        line below the log holds all of it, wrapped, its conclusion included."""
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await started(pilot, PING_WEB)
            await pilot.press("4")
            for _ in range(80):
                await pilot.press("n")
                await pilot.pause()
                newest = app.session.entries[-1]
                if isinstance(newest, RouteDecision) and newest.host == "gw-a":
                    break
            else:
                raise AssertionError("gw-a never routed the ping")
            await settle(pilot)
            detail = app.screen.query_one("#event-detail")
            sentence = newest.describe()
            assert len(sentence) > 80
            rendered = detail.render()
            assert sentence in str(rendered)
            needed = len(Text(str(rendered)).wrap(app.console, detail.content_region.width))
            assert detail.content_region.height >= needed, "the detail line is cut"
