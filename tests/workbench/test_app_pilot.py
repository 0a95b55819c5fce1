"""Pilot tests: the interactions a person relies on — selections linked between panes, the
filter, the command palette, prompts that refuse bad input with one sentence, time control."""

from __future__ import annotations

import pytest
from snapshot_app import NARROW, WIDE, make_app, run_command, settle, steps

from stack.events import FrameSent
from workbench.app import UnknownTheme, WorkbenchApp
from workbench.session import SPEEDS
from workbench.widgets.event_log import EventLog
from workbench.widgets.packet_list import PacketList

PING_GATEWAY = "pc: ping 192.168.1.1 -c 1"


async def pinged(pilot) -> None:
    await settle(pilot)
    await run_command(pilot, PING_GATEWAY)
    await steps(pilot, 4)
    await settle(pilot)


class TestSelectionLinks:
    async def test_event_selects_its_first_frame(self):
        """Putting the event-log cursor on "pc eth0 sends #3" selects frame 3 in the packet list
        and the dissector shows it."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            index = next(
                i
                for i, e in enumerate(app.session.log)
                if isinstance(e, FrameSent) and e.frames == (3,)
            )
            app.screen.query_one(EventLog).cursor = index
            await settle(pilot)
            assert app.screen.query_one(PacketList).selected_frame_id == 3
            assert app.screen.query_one("#dissector").field_tree.root.children, (
                "the dissector shows frame 3"
            )

    async def test_frame_selects_its_first_event(self):
        """Moving the packet-list cursor to frame 2 moves the event log to the first event that
        names frame 2 (gw-a sending it), and the line below the log shows it in full."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            packets = app.screen.query_one(PacketList)
            packets.focus()
            await pilot.press("home", "down")
            await settle(pilot)
            assert packets.selected_frame_id == 2
            log = app.screen.query_one(EventLog)
            assert log.cursor == app.session.first_entry_for(2)
            assert "sends #2" in app.session.entry(log.cursor).describe()

    async def test_enter_on_a_frame_opens_the_dissector(self):
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await pinged(pilot)
            packets = app.screen.query_one(PacketList)
            packets.focus()
            await pilot.press("home", "enter")
            await settle(pilot)
            assert app.focused is app.screen.query_one("#dissector").field_tree
            assert app.screen.has_class("-tab-packets")

    async def test_enter_on_an_event_goes_to_its_frame_under_tabs(self):
        """80×24: Enter on "pc eth0 sends #3" in the Events tab brings the Packets tab forward
        with frame 3 selected and the focus in the packet list."""
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await pinged(pilot)
            await pilot.press("4")
            index = next(
                i
                for i, e in enumerate(app.session.log)
                if isinstance(e, FrameSent) and e.frames == (3,)
            )
            log = app.screen.query_one(EventLog)
            log.cursor = index
            await settle(pilot)
            assert app.screen.has_class("-tab-events")
            await pilot.press("enter")
            await settle(pilot)
            packets = app.screen.query_one(PacketList)
            assert app.screen.has_class("-tab-packets")
            assert app.focused is packets
            assert packets.selected_frame_id == 3
            assert packets.region.height > 0

    async def test_stepping_through_the_log_does_not_jump_back(self):
        """Walking up the event log one row at a time keeps the cursor where the person put it,
        even though each row re-selects a frame in the packet list."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            log = app.screen.query_one(EventLog)
            log.focus()
            await pilot.press("end")
            last = len(app.session.log) - 1
            await pilot.press("up", "up", "up")
            await settle(pilot)
            assert log.cursor == last - 3

    async def test_host_selection_focuses_arp_and_routing(self):
        """Highlighting gw-a in the hosts pane retitles the ARP and routing panes and shows
        gw-a's cache (it learned pc) and its routes."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            app.screen.query_one("#hosts-table").focus()
            await pilot.press(*["down"] * 7)
            await settle(pilot)
            assert app.screen.host == "gw-a"
            assert app.screen.query_one("#arp-pane").border_title == "ARP · gw-a"
            assert app.screen.query_one("#routing-pane").border_title == "Routing · gw-a"
            arp = app.screen.query_one("#arp-table")
            assert arp.get_row_at(0)[0] == "192.168.1.100"


class TestFilter:
    async def test_filter_narrows_the_packet_list(self):
        """`/`, "icmp", Enter: only the echo request and reply remain; the pane title says so."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            await pilot.press("slash", *"icmp", "enter")
            await settle(pilot)
            packets = app.screen.query_one(PacketList)
            assert packets.row_count == 2
            assert app.screen.query_one("#packets-pane").border_title == "Packets · icmp"
            assert not app.screen.query_one("#filter-bar").display

    async def test_bad_filter_says_why_and_stays_open(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            await pilot.press("slash", *"port banana", "enter")
            await settle(pilot)
            bar = app.screen.query_one("#filter-bar")
            assert bar.display
            error = str(bar.query_one("#filter-error").render())
            assert error and "banana" in error
            assert app.screen.query_one(PacketList).row_count == 4

    async def test_empty_filter_clears(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            await pilot.press("slash", *"arp", "enter")
            await settle(pilot)
            await pilot.press("slash", *["backspace"] * 3, "enter")
            await settle(pilot)
            assert app.screen.query_one(PacketList).row_count == 4
            assert app.screen.query_one("#packets-pane").border_title == "Packets"


class TestPalette:
    async def _palette(self, pilot, text: str) -> None:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*text)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)

    async def test_ping_from_the_palette_opens_the_prompt(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await self._palette(pilot, "ping")
            assert app.screen.id == "command-prompt"
            assert app.screen.query_one("#prompt-input").value == "pc: ping "

    async def test_theme_from_the_palette(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await self._palette(pilot, "Theme: light")
            assert app.theme == "light"

    async def test_step_from_the_palette(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            before = app.session.emitted
            await self._palette(pilot, "Step")
            assert app.session.emitted > before


class TestPrompts:
    async def test_bad_option_is_one_sentence_and_the_prompt_stays(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: ping 192.168.1.1 -c many")
            assert app.screen.id == "command-prompt"
            error = app.screen.query_one("#prompt-error")
            assert error.display
            assert str(error.render()) == "ping: -c takes a number, not 'many'"
            assert app.session.emitted == 0, "nothing ran"

    async def test_unknown_command_shows_the_registry_sentence(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: frobnicate 1.2.3.4")
            text = str(app.screen.query_one("#prompt-error").render())
            assert text.startswith("unknown command 'frobnicate' (commands: ")

    async def test_unknown_host(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "laptop: ping 192.168.1.1")
            assert "no host named 'laptop'" in str(app.screen.query_one("#prompt-error").render())

    async def test_escape_cancels(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("t", "escape")
            await settle(pilot)
            assert app.screen.id != "command-prompt"
            assert app.session.emitted == 0

    @pytest.mark.parametrize(
        "key, command",
        [("p", "ping"), ("t", "traceroute"), ("d", "dhcp"), ("r", "resolve"), ("b", "browse")],
    )
    async def test_each_command_key_prefills_host_and_command(self, key, command):
        """Every prompt reads "HOST: COMMAND " up to the cursor; anything after it is a selected
        suggestion (the first key typed replaces it). The dhcp lab: pc asks for its address."""
        app = make_app(lab="dhcp")
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press(key)
            await pilot.pause()
            field = app.screen.query_one("#prompt-input")
            start = min(field.selection)
            assert field.value[:start] == f"pc: {command} "
            assert max(field.selection) == len(field.value)

    async def test_typing_replaces_the_suggested_name(self):
        """`r` suggests www.google.com; typing another name replaces it instead of appending."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("r")
            await pilot.pause()
            field = app.screen.query_one("#prompt-input")
            assert field.value == "pc: resolve www.google.com"
            await pilot.press(*"dns.google")
            assert field.value == "pc: resolve dns.google"

    async def test_enter_takes_the_suggestion(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("r", "enter")
            await settle(pilot)
            assert app.screen.id != "command-prompt"
            assert app.session.status().running == 1


class TestDhcpRefused:
    async def test_d_on_the_router_serving_dhcp_is_refused(self):
        """Moving the Hosts cursor to gw-a makes it the current host; `d` then says in one sentence
        why gw-a does not run the client, opens no prompt and starts nothing."""
        app = make_app(lab="dhcp")
        async with app.run_test(size=WIDE, notifications=True) as pilot:
            await settle(pilot)
            app.screen.query_one("#hosts-pane").select_host("gw-a")
            await settle(pilot)
            assert app.screen.host == "gw-a"
            await pilot.press("d")
            await settle(pilot)
            assert app.screen.id != "command-prompt"
            assert app.session.status().running == 0
            assert any("gw-a runs the lab's DHCP server" in n.message for n in app._notifications)

    async def test_d_on_a_static_host_is_refused(self):
        app = make_app()
        async with app.run_test(size=WIDE, notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            assert app.screen.id != "command-prompt"
            assert any("pc has a static address" in n.message for n in app._notifications)

    async def test_typed_dhcp_on_the_server_is_refused_in_the_prompt(self):
        app = make_app(lab="dhcp")
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "gw-a: dhcp")
            assert app.screen.id == "command-prompt"
            assert "runs the lab's DHCP server" in str(
                app.screen.query_one("#prompt-error").render()
            )
            assert app.session.status().running == 0


class TestTime:
    async def test_space_plays_and_pauses(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("space")
            assert app.session.playing
            await pilot.press("space")
            assert not app.session.playing

    async def test_step_pauses_and_moves_to_the_next_event(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await pilot.press("space")
            await pilot.press("n")
            assert not app.session.playing

    async def test_speed_keys(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            assert app.session.speed == 1.0
            await pilot.press("plus")
            assert app.session.speed == SPEEDS[SPEEDS.index(1.0) + 1]
            await pilot.press("minus", "minus")
            assert app.session.speed == SPEEDS[SPEEDS.index(1.0) - 1]

    async def test_playing_runs_a_ping_to_the_end(self):
        """At 1× the whole ping (a fraction of a millisecond of virtual time) is over at once."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await pilot.press("space")
            await pilot.pause(0.3)
            await settle(pilot)
            assert len(app.session.trace.frames) == 4
            assert not app.session.programs


class TestHostActions:
    async def test_clear_arp(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            assert app.session.arp_rows("pc")
            await pilot.press("c")
            await settle(pilot)
            assert not app.session.arp_rows("pc")
            assert app.screen.query_one("#arp-table").row_count == 0

    async def test_poison_marks_the_entry_changed(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            await pilot.press("x")  # the craft screen, its ARP reply template (pc5 → pc) chosen
            await settle(pilot)
            await pilot.press("enter", "ctrl+s")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            (row,) = app.session.arp_rows("pc")
            assert row.previous == "50:c7:bf:a1:00:01" and row.mac == "00:21:cc:61:40:68"
            assert str(app.screen.query_one("#arp-table").get_row_at(0)[2]) == "CHANGED"

    async def test_save_capture(self, tmp_path):
        app = make_app()
        path = tmp_path / "ping.pcap"
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            await pilot.press("s")
            await pilot.pause()
            app.screen.query_one("#prompt-input").value = str(path)
            await pilot.press("enter")
            await settle(pilot)
        data = path.read_bytes()
        assert data[:4] == bytes.fromhex("d4c3b2a1")  # classic pcap, little-endian
        assert len(data) == 24 + 4 * 16 + 60 + 60 + 98 + 98

    async def test_save_refuses_a_bad_name(self, tmp_path):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await pilot.pause()
            app.screen.query_one("#prompt-input").value = str(tmp_path / "capture.txt")
            await pilot.press("enter")
            await pilot.pause()
            assert "should end in .pcap or .pcapng" in str(
                app.screen.query_one("#prompt-error").render()
            )

    async def _choose_lab(self, pilot, name: str) -> None:
        await pilot.press("o")
        await pilot.pause()
        options = pilot.app.screen.query_one("#open-builtin")
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == name
        )
        await pilot.press("enter")
        await settle(pilot)

    async def test_open_lab_asks_before_discarding_frames(self):
        """With frames captured, `o` asks first: n keeps the lab and its capture, y opens the
        other lab paused at time zero."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await pinged(pilot)
            await self._choose_lab(pilot, "loop")
            assert app.screen.id == "confirm-open"
            assert "4 frames" in str(app.screen.query_one("#confirm-question").render())
            await pilot.press("n")
            await settle(pilot)
            assert app.session.spec.name == "default" and len(app.session.trace.frames) == 4
            await self._choose_lab(pilot, "loop")
            await pilot.press("y")
            await settle(pilot)
            assert app.session.spec.name == "loop"
            assert app.session.clock.now() == 0.0 and not app.session.trace.frames

    async def test_open_lab_without_frames_does_not_ask(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await self._choose_lab(pilot, "loop")
            assert app.session.spec.name == "loop"

    async def test_open_missing_lab_file(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("o")
            await pilot.pause()
            app.screen.query_one("#open-path").focus()
            app.screen.query_one("#open-path").value = "/nonexistent/lab.toml"
            await pilot.press("enter")
            await pilot.pause()
            assert "no such file" in str(app.screen.query_one("#open-error").render())


class TestLayout:
    async def test_narrow_has_tabs_and_number_keys_switch(self):
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await settle(pilot)
            assert app.screen.has_class("-narrow")
            await pilot.press("3")
            assert app.screen.has_class("-tab-routing")
            assert app.screen.query_one("#routing-pane").display

    async def test_narrow_status_bar_counts_in_words(self):
        """80×24: after the first instant of a ping, "1 frame", never "1 frames"."""
        from workbench.widgets.status_bar import StatusBar

        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: ping 192.168.1.1 -c 1")
            await settle(pilot)
            text = str(app.screen.query_one(StatusBar).render())
            assert app.session.frame_count() == 1 and " · 1 frame · " in text, text
            await steps(pilot, 1)
            await settle(pilot)
            text = str(app.screen.query_one(StatusBar).render())
            assert " · 2 frames · " in text, text

    async def test_wide_shows_every_pane(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            assert app.screen.has_class("-wide")
            for pane in ("hosts", "arp", "packets", "routing", "dissector", "events"):
                assert app.screen.query_one(f"#{pane}-pane").region.area > 0

    async def test_help_lists_every_key(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            text = "\n".join(f"{keys} {what}" for keys, what in app.screen.rows)
            for words in (
                "Play/pause",
                "Step",
                "Ping",
                "Traceroute",
                "DHCP",
                "Resolve",
                "Browse",
                "Clear",
                "Save",
                "Open lab",
                "Filter",
            ):
                assert words in text


def test_unknown_theme_is_one_sentence():
    from stack.labs import load_lab

    with pytest.raises(UnknownTheme, match="no theme named 'neon'"):
        WorkbenchApp(load_lab("default"), theme="neon")


def test_cli_refuses_an_unknown_theme(capsys):
    from workbench.cli import main

    assert main(["--theme", "neon"]) == 2
    assert capsys.readouterr().err.startswith(
        "workbench: no theme named 'neon' (themes: dark, light, high-contrast"
    )


class TestFooter:
    @pytest.mark.parametrize("size", [NARROW, (120, 40)])
    async def test_essential_keys_are_never_cut(self, size):
        """At 80×24 and 120×40, whichever pane has the focus, the footer shows space (or n), p,
        b, x (craft), / and ? whole, left of the palette key — nothing essential is clipped."""
        from textual.widgets._footer import FooterKey

        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for tab in "12345":
                await pilot.press(tab)
                await settle(pilot)
                keys = {k.key_display: k for k in app.screen.query(FooterKey)}
                for key in ("n", "p", "b", "x", "/", "?"):
                    assert key in keys, f"{key} missing from the footer on tab {tab}"
                    assert keys[key].region.right <= keys["^p"].region.x, f"{key} cut on tab {tab}"
                    assert keys[key].region.width >= len(keys[key].description) + 2

    async def test_space_says_pause_while_playing(self):
        """The footer says what space does now: Play while paused, Pause while playing, Play
        again after `n` pauses the lab; the help lists space once."""
        from textual.widgets._footer import FooterKey

        def space() -> list[str]:
            return [k.description for k in app.screen.query(FooterKey) if k.key == "space"]

        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await settle(pilot)
            assert space() == ["Play"]
            await pilot.press("space")
            await settle(pilot)
            assert app.session.playing and space() == ["Pause"]
            await pilot.press("n")  # a step pauses
            await settle(pilot)
            assert not app.session.playing and space() == ["Play"]
            await pilot.press("space", "space")
            await settle(pilot)
            assert not app.session.playing and space() == ["Play"]
            from workbench.screens.help import key_rows

            rows = key_rows(app, app.screen, app, full=True)
            assert [keys for keys, _what in rows].count("space") == 1


class TestStartedWhilePaused:
    async def test_a_command_started_paused_says_how_to_run_it(self):
        """Starting a ping while paused (the lab's start) says so in a toast at the top right —
        not over the status bar or footer — and in the status bar right after "paused"; the
        toast goes at the first step, and the lab stays paused (deterministic)."""
        from textual.widgets._toast import Toast

        app = make_app()
        async with app.run_test(size=NARROW, notifications=True) as pilot:
            await settle(pilot)
            await run_command(pilot, PING_GATEWAY)
            await settle(pilot)
            assert not app.session.playing
            messages = [n.message for n in app._notifications]
            assert any(
                "ping started" in m and "paused" in m and "space" in m and "n steps" in m
                for m in messages
            ), messages
            toast = app.screen.query_one(Toast)
            assert toast.region.y < 3 and toast.region.right >= NARROW[0] - 2, (
                toast.region
            )  # top right, not over the status bar
            status = str(app.screen.query_one("#status-bar").render())
            assert status.index("space runs") < status.index("frame"), status
            await steps(pilot, 1)
            await settle(pilot)
            assert not list(app._notifications)

    async def test_no_notice_when_playing(self):
        app = make_app()
        async with app.run_test(size=NARROW) as pilot:
            await settle(pilot)
            app.session.toggle_play()
            await run_command(pilot, PING_GATEWAY)
            await pilot.pause()
            assert not any("paused" in n.message for n in app._notifications)


class TestHostsKeys:
    @pytest.mark.parametrize("size", [NARROW, WIDE])
    async def test_home_and_end_move_to_the_first_and_last_host(self, size):
        """In the Hosts table End goes to the last host (gw-b's own row) and Home back to the
        first (pc); the current host follows."""
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("2")
            table = app.screen.query_one("#hosts-table")
            assert app.focused is table
            await pilot.press("end")
            await settle(pilot)
            last = [r.host for r in table.rows_shown if r.first][-1]
            assert (
                table.host_at(table.cursor_row) == last and table.rows_shown[table.cursor_row].first
            )
            assert app.screen.host == last
            await pilot.press("home")
            await settle(pilot)
            assert table.cursor_row == 0 and app.screen.host == table.rows_shown[0].host
