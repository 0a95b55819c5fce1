"""The workbench screen: hosts, ARP, packets, routing, dissector and events over one session.

On a large terminal (≥ 150×40) every pane is on screen at once; below that the same panes are
grouped under tabs (Packets, Hosts · ARP, Routing, Events) and only one group shows. The panes
are the same widget instances in both layouts — a resize never loses a selection.

Data flows one way: the session posts `SessionChanged`, the screen pulls and hands each pane
what it shows. Selections flow between panes through the screen: a host picked in the hosts
pane focuses ARP and routing on it; an event picked in the log selects its first frame in the
packet list, and a frame picked there selects the first event that names it.

The panes come from one list, `workbench.panes.PANES` (with the tabs in `TABS`): composing,
border titles, the tab each pane shows under, the keys 1–5, focus and refresh are all read from
it. A new pane is one module and one `register(PaneSpec(...))` line in workbench/panes.py; see
that module for what a pane may define (`refresh_rows`, `show_host`, `show_frame`). Panes read
the lab only through the session's methods, never its network, clock or trace.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from stack.labs.spec import LabSpec
from workbench import i18n
from workbench.capture_session import CaptureSession
from workbench.i18n import say
from workbench.messages import (
    CommandFinished,
    EntryActivated,
    EntrySelected,
    HostSelected,
    SessionChanged,
)
from workbench.panes import PANES, TABS
from workbench.screens.confirm import ConfirmScreen
from workbench.screens.help import HelpScreen
from workbench.screens.open_lab import OpenLabScreen
from workbench.screens.prompt import PromptScreen
from workbench.screens.save_prompt import ask_where_to_save, check_capture_name
from workbench.session import Session
from workbench.shell import CommandError
from workbench.shell import hint as command_hint
from workbench.widgets.dissector import APPLY_TIP, PREPARE_TIP, Dissector
from workbench.widgets.events_pane import EventsPane
from workbench.widgets.filter_bar import FilterBar
from workbench.widgets.packet_list import PacketList
from workbench.widgets.status_bar import StatusBar

SLOW_PANES = 0.25  # seconds between refreshes of the hosts, ARP and routing tables while playing
WIDE = (150, 40)  # columns, rows from which every pane is on screen at once
# The seed's story: browsing from pc to www.google.com.
STORY_HOST = "pc"
STORY_TARGET = "www.google.com"
STORY_OPTIONS = (
    "--seed --one-segment"  # the seed's 4,960-byte request in one segment: IP fragments it
)


class MainScreen(Screen):
    # Footer descriptions are one short word and only the essentials are shown, so that `?` and
    # `/` are never cut at 80 columns; the help screen (`?`) shows each key's tooltip in full.
    BINDINGS = [
        # one key, two words: the footer says what space does now (check_action shows one)
        Binding("space", "play", "Play", tooltip="Play/pause"),
        Binding("space", "pause", "Pause", tooltip="Play/pause"),
        Binding("n", "step", "Step", tooltip="Step: the next event"),
        Binding(
            "N",
            "step_moment",
            "Step an instant",
            key_display="N",
            show=False,
            tooltip="Step an instant: all the events of the next moment",
        ),
        Binding(
            "backspace",
            "step_back",
            "Step back",
            key_display="⌫",
            show=False,
            tooltip="Step back: one event earlier (the lab replayed from its start)",
        ),
        Binding("S", "snapshot", "Save a snapshot…", key_display="S", show=False),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+", show=False),
        Binding("minus", "slower", "Slower", key_display="-", show=False),
        Binding("p", "ping", "Ping", tooltip="Ping…"),
        Binding("t", "traceroute", "Traceroute…", show=False),
        Binding("d", "dhcp", "DHCP…", show=False),
        Binding("r", "resolve", "Resolve a name…", show=False),
        Binding("b", "browse", "Browse", tooltip="Browse (the seed's story)…"),
        Binding("c", "clear_arp", "Clear the host's ARP cache", show=False),
        Binding("R", "reattach", "Reattach lost TAP devices now", key_display="R", show=False),
        Binding(
            "x",
            "craft",
            "Craft",
            tooltip="Craft and send a frame (templates, or edit the selected one)…",
        ),
        Binding("s", "save", "Save capture (the frames shown)…", show=False),
        Binding("o", "open_lab", "Open lab or capture…", show=False),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter packets"),
        Binding("a", "apply_as_filter(True)", "Apply as filter", show=False, tooltip=APPLY_TIP),
        Binding("A", "apply_as_filter(False)", "Prepare a filter", show=False, tooltip=PREPARE_TIP),
        Binding("question_mark", "help", "Keys", key_display="?", tooltip="All keys"),
        Binding(
            "L",
            "language",
            "Language",
            key_display="L",
            show=False,
            tooltip="Language: English / 中文",
        ),
        # The keys that bring a tab forward, then those that go straight to one pane.
        *(Binding(t.key, f"tab('{t.name}')", t.description, show=False) for t in TABS),
        *(
            Binding(p.key, f"tab('{p.tab}', '{p.focus}')", p.description, show=False)
            for p in PANES
            if p.key
        ),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.layout_class = "-narrow"
        self.host = session.default_host()
        self.filter_text = ""
        self.tab = TABS[0].name
        self._from_log: int | None = None  # the frame an event-log selection just asked for
        self._slow_at = 0.0
        self._slow_timer = None
        self._paused_notice = False  # a toast waiting for time to pass (space or n) is up
        self._steps = session.steps
        self._footer_playing = False  # what the footer last said space does
        self._lost_devices: set[str] = set()  # TAP devices said to be gone, until they return

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        s = self.session
        yield Tabs(*[Tab(t.label, id=t.name) for t in TABS], active=self.tab, id="narrow-tabs")
        # Classes are all given here, before mounting: each class changed later restyles the tree.
        width, height = self.app.size
        self.layout_class = "-wide" if width >= WIDE[0] and height >= WIDE[1] else "-narrow"
        self._apply_classes()

        with Container(id="panes"):
            for spec in PANES:
                yield spec.make(s, id=spec.id, classes=f"pane tab-{spec.tab}")
        yield FilterBar(id="filter-bar")
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        for spec in PANES:
            if spec.title:
                self.query_one(f"#{spec.id}").border_title = spec.title
        self.query_one(FilterBar).display = False
        self._focus_host(self.host)
        self.session.attach(self.app, self)
        start = TABS[0] if not self.wide else next((t for t in TABS if t.wide_start), TABS[0])
        self.query_one(start.focus).focus()

    def panes(self, method: str, refresh: str | None = None):
        """The panes that define `method` (and refresh at `refresh` speed, when given), in order."""
        for spec in PANES:
            if refresh is not None and spec.refresh != refresh:
                continue
            pane = self.query_one(f"#{spec.id}")
            if hasattr(pane, method):
                yield pane

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width, event.size.height)

    def _layout(self, width: int, height: int) -> None:
        self.layout_class = "-wide" if width >= WIDE[0] and height >= WIDE[1] else "-narrow"
        self._apply_classes()

    def _apply_classes(self) -> None:
        """The screen's classes in one change: the layout and the tab shown under tabs."""
        wanted = {self.layout_class, f"-tab-{self.tab}"}
        if set(self.classes) != wanted:
            self.set_classes(wanted)

    @property
    def wide(self) -> bool:
        return self.layout_class == "-wide"

    def _show_tab(self, tab: str) -> None:
        self.tab = tab
        self._apply_classes()
        tabs = self.query_one(Tabs)
        if tabs.active != tab:
            tabs.active = tab

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id and event.tab.id != self.tab:
            self._show_tab(event.tab.id)

    def action_tab(self, tab: str, focus: str | None = None) -> None:
        self._show_tab(tab)
        self.query_one(focus or next(t.focus for t in TABS if t.name == tab)).focus()

    def on_descendant_focus(self, event) -> None:
        # Under tabs, focusing a pane (Tab key, a selection link) brings its tab forward.
        if self.wide:
            return
        for spec in PANES:
            pane = self.query_one(f"#{spec.id}")
            if event.widget is pane or pane in event.widget.ancestors:
                if spec.tab != self.tab:
                    self._show_tab(spec.tab)
                return

    # --- the session's news ------------------------------------------------------------------

    def on_session_changed(self, message: SessionChanged) -> None:
        message.stop()
        self._tell_faults(self.session.take())
        for pane in self.panes("refresh_rows", "fast"):
            pane.refresh_rows()
        if self.session.steps != self._steps:
            self._steps = self.session.steps
            self._follow_step()
        self._show_status()
        # Tables of state (counters, ages) need not follow a flood 30 times a second: while
        # playing they catch up at most every SLOW_PANES seconds; stepping shows every change.
        wait = self._slow_at + SLOW_PANES - time.monotonic()
        if not self.session.playing or wait <= 0:
            self._refresh_slow_panes()
        elif self._slow_timer is None:
            self._slow_timer = self.set_timer(wait, self._refresh_slow_panes)

    def _tell_faults(self, new) -> None:
        """A live device lost, or back: said once as a notice too, not only as a log row a
        person may have scrolled away from (the capture keeps every frame meanwhile)."""
        for event in new:
            kind = event.kind
            if kind == "tap_problem" and event.device not in self._lost_devices:
                self._lost_devices.add(event.device)
                self.notify(
                    i18n.say(event.describe()), title=event.device, severity="warning", timeout=10
                )
            elif kind == "tap_attached" and event.device in self._lost_devices:
                self._lost_devices.discard(event.device)
                self.notify(i18n.say(event.describe()), title=event.device, timeout=6)

    def _refresh_slow_panes(self) -> None:
        if self._slow_timer is not None:
            self._slow_timer.stop()
            self._slow_timer = None
        self._slow_at = time.monotonic()
        for pane in self.panes("refresh_rows", "slow"):
            pane.refresh_rows()

    def _show_status(self) -> None:
        status = self.session.status()
        if status.playing != self._footer_playing:  # the footer's space: Play or Pause
            self._footer_playing = status.playing
            self.refresh_bindings()
        hint = ""
        if not status.playing and not status.live and (status.running or self.session.pending()):
            hint = "space runs · n steps"
        self.query_one(StatusBar).show(status, self.host, hint)

    def on_command_finished(self, message: CommandFinished) -> None:
        message.stop()
        if not message.ok:
            last = message.lines[-1] if message.lines else "no answer"
            self.notify(f"{message.text}: {last}", severity="warning", timeout=6)

    # --- selection links ---------------------------------------------------------------------

    def on_host_selected(self, message: HostSelected) -> None:
        message.stop()
        self._focus_host(message.host)

    def _focus_host(self, host: str) -> None:
        self.host = host
        for pane in self.panes("show_host"):
            pane.show_host(host)
        self._show_status()

    def _follow_step(self) -> None:
        """The person stepped: unless they moved the event log away from its end, it goes to
        the newest event, and that event's frame is selected in the packet list, the dissector
        and the map — as Packet Tracer's simulation mode follows the packet."""
        index = self.query_one(EventsPane).log.follow_newest()
        if index is not None:
            self._select_entry(index)

    def on_entry_selected(self, message: EntrySelected) -> None:
        message.stop()
        self._select_entry(message.index)

    def _select_entry(self, index: int) -> None:
        events = self.query_one(EventsPane)
        events.show_detail(index)
        entry = self.session.entry(index)
        if entry.frames:
            self._show_frame(entry.frames[0])
            self._from_log = entry.frames[0]
            if not self.query_one(PacketList).select_frame(entry.frames[0]):
                self._from_log = None  # filtered out of the list: the dissector still shows it

    def on_entry_activated(self, message: EntryActivated) -> None:
        """Enter on an event: go to its first frame — the packet list (its tab under tabs) with the
        frame selected, or the dissector when the filter hides it from the list."""
        message.stop()
        entry = self.session.entry(message.index)
        if not entry.frames:
            self.notify("This event names no frame.", timeout=3)
            return
        frame_id = entry.frames[0]
        self._show_frame(frame_id)
        packets = self.query_one(PacketList)
        if packets.selected_frame_id != frame_id:
            self._from_log = frame_id
            if not packets.select_frame(frame_id):
                self._from_log = None
                self.action_tab("packets", "#dissector")  # filtered out: its fields still show
                return
        self.action_tab("packets")

    def on_packet_list_frame_selected(self, message: PacketList.FrameSelected) -> None:
        message.stop()
        frame_id = message.frame_id
        if frame_id != self.query_one(PacketList).selected_frame_id:
            return  # overtaken: the cursor has moved on since this was posted
        self._show_frame(frame_id)
        from_log, self._from_log = self._from_log, None
        events = self.query_one(EventsPane)
        cursor = events.log.cursor
        if from_log == frame_id or (
            cursor is not None and frame_id in self.session.entry(cursor).frames
        ):
            return  # the log already rests on an event about this frame
        index = self.session.first_entry_for(frame_id)
        if index is not None:
            events.log.select(index)
            events.show_detail(index)

    def on_packet_list_frame_activated(self, message: PacketList.FrameActivated) -> None:
        """Enter on a frame: look into it, as Wireshark opens the details."""
        message.stop()
        self._show_frame(message.frame_id)
        self.query_one(Dissector).field_tree.focus()

    def _show_frame(self, frame_id: int) -> None:
        for pane in self.panes("show_frame"):
            pane.show_frame(frame_id)

    # --- time --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "play":  # a live lab always runs: space says so (action_toggle_play)
            return self.session.live or not self.session.playing
        if action == "pause":
            return not self.session.live and self.session.playing
        return True

    def action_play(self) -> None:
        self.action_toggle_play()

    def action_pause(self) -> None:
        self.action_toggle_play()

    def action_toggle_play(self) -> None:
        if self.session.live:
            self.notify("A live lab runs in real time; it cannot be paused.", timeout=4)
            return
        self._drop_paused_notice()
        self.session.toggle_play()

    def action_step(self) -> None:
        if self.session.live:
            self.notify("A live lab runs in real time; there is no next step to take.", timeout=4)
            return
        self._drop_paused_notice()
        if not self.session.step():
            self.notify("Nothing left to happen: start a command (p, t, b …) first.", timeout=4)

    def action_step_moment(self) -> None:
        if self.session.live:
            self.notify("A live lab runs in real time; there is no next step to take.", timeout=4)
            return
        self._drop_paused_notice()
        if not self.session.step_moment():
            self.notify("Nothing left to happen: start a command (p, t, b …) first.", timeout=4)

    def action_faster(self) -> None:
        self.session.faster()

    def action_slower(self) -> None:
        self.session.slower()

    # --- commands ----------------------------------------------------------------------------

    def _check(self, text: str) -> str | None:
        try:
            self.session.check(text)
        except CommandError as err:
            return str(err)
        except Exception as err:  # a command being written elsewhere must not take the app down
            return f"{text!r} cannot run: {err}"
        return None

    def _prompt(self, title: str, value: str, suggestion: str = "") -> None:
        def run(text: str | None) -> None:
            if text:
                try:
                    self.session.run(text)
                except CommandError as err:
                    self.notify(str(err), severity="error", timeout=6)
                    return
                self._started(text)

        self.app.push_screen(
            PromptScreen(
                title, value, self._check, command_hint, suggestion=suggestion, id="command-prompt"
            ),
            run,
        )

    def _started(self, text: str) -> None:
        """A command started while paused waits for time to pass: say so, where it is seen.

        The lab stays paused (every step can be looked at, and the pictures are the same each
        run); the notice goes as soon as space or n is pressed."""
        if self.session.live or self.session.playing:
            return
        words = text.partition(":")[2].split()
        name = words[0] if words else "the command"
        self.notify(
            f"{name} started — the lab is paused: space runs it, n steps.",
            title="Paused",
            timeout=10,
        )
        self._paused_notice = True

    def _drop_paused_notice(self) -> None:
        if self._paused_notice:
            self._paused_notice = False
            self.app.clear_notifications()

    def action_ping(self) -> None:
        self._prompt(f"Ping from {self.host}", f"{self.host}: ping ")

    def action_traceroute(self) -> None:
        self._prompt(f"Traceroute from {self.host}", f"{self.host}: traceroute ")

    def action_dhcp(self) -> None:
        refused = self.session.dhcp_refusal(self.host)
        if refused:
            self.notify(refused, severity="warning", timeout=6)
            return
        self._prompt(f"DHCP on {self.host}", f"{self.host}: dhcp ")

    # Every prompt is "HOST: COMMAND " with the cursor after it; a suggested argument is selected,
    # so typing replaces it and Enter takes it as it is.
    def action_resolve(self) -> None:
        self._prompt(f"Resolve a name from {self.host}", f"{self.host}: resolve ", STORY_TARGET)

    def action_browse(self) -> None:
        host = STORY_HOST if self.session.has_host(STORY_HOST) else self.host
        self._prompt(
            f"Browse from {host} (the seed's story)",
            f"{host}: browse ",
            f"{STORY_TARGET} {STORY_OPTIONS}",
        )

    def action_reattach(self) -> None:
        names = self.session.reattach_taps()
        if not names:
            self.notify(i18n.say("No TAP device is lost: there is nothing to reattach."), timeout=4)
            return
        for name in names:
            self.notify(
                i18n.say(f"Reattaching {name} (creating it if it is missing)…"),
                title=name,
                timeout=4,
            )

    def action_clear_arp(self) -> None:
        count = self.session.clear_arp(self.host)
        self.notify(f"{self.host}: ARP cache cleared ({count} forgotten).", timeout=4)

    def action_craft(self) -> None:
        """The craft screen, the ARP reply template ready: a neighbour telling the selected host
        that its gateway is at the neighbour's MAC; the selected frame is offered to edit."""
        from workbench.screens.craft import CraftScreen

        frame_id = self.query_one(PacketList).selected_frame_id
        sender = self.session.workshop().neighbour_of(self.host)

        def sent(command: str | None) -> None:
            if command:
                self._started(command)

        self.app.push_screen(
            CraftScreen(self.session, sender, victim=self.host, frame_id=frame_id), sent
        )

    def action_save(self) -> None:
        packets = self.query_one(PacketList)
        if packets.filtering:
            self.notify(
                "The filter is still running; save when it is done.", severity="warning", timeout=5
            )
            return
        shown = packets.filter_text != ""

        def save(path: str) -> None:
            try:
                count = self.session.save_capture(path, packets.shown_indices() if shown else None)
            except OSError as err:
                self.notify(f"cannot write {path}: {err.strerror}", severity="error", timeout=6)
                return
            self.notify(f"Saved {count:,} frames to {path}.", timeout=4)

        title = f"Save the {packets.row_count:,} frames shown" if shown else "Save the capture"
        ask_where_to_save(self, title, f"{self.session.spec.name}.pcap", check_capture_name, save)

    def action_step_back(self) -> None:
        from workbench.snapshot_keys import step_back

        step_back(self)

    def action_snapshot(self) -> None:
        from workbench.snapshot_keys import save_snapshot

        save_snapshot(self)

    def action_open_lab(self) -> None:
        def open_it(
            spec: LabSpec | CaptureSession,
        ) -> None:  # after the modal has gone: switch_screen replaces the top screen
            self.app.call_later(self.app.open_lab, spec)

        def opened(spec: LabSpec | CaptureSession | None) -> None:
            if spec is None:
                return
            frames = self.session.frame_count()
            if not frames:
                open_it(spec)
                return
            what = "capture" if isinstance(spec, CaptureSession) else "lab"
            question = (
                f"Open {what} {spec.name}? This lab's capture ({frames:,} frame{'s' if frames != 1 else ''}) "
                "will be discarded; s saves it first."
            )
            self.app.push_screen(
                ConfirmScreen(question, "opens it", "keeps this lab", id="confirm-open"),
                lambda yes: (
                    open_it(spec)
                    if yes
                    else (spec.close() if isinstance(spec, CaptureSession) else None)
                ),
            )

        self.app.push_screen(OpenLabScreen(), opened)

    # --- filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBar).open(self.filter_text)

    def action_apply_as_filter(self, apply: bool) -> None:
        """Wireshark's Apply (a) or Prepare (A) as Filter: the tree's field becomes the filter."""
        text, why = self.query_one(Dissector).selected_filter()
        if text is None:
            self.notify(say(why), severity="warning", timeout=5)
            return
        bar = self.query_one(FilterBar)
        bar.apply(text) if apply else bar.open(text, to_edit=True)

    def on_filter_bar_submitted(self, message: FilterBar.Submitted) -> None:
        message.stop()
        problem = self.query_one(PacketList).set_filter(message.text)
        if problem:
            message.bar.show_error(problem)
            return
        self.filter_text = message.text
        pane = self.query_one("#packets-pane")
        pane.border_title = f"Packets · {message.text}" if message.text else "Packets"
        message.bar.display = False
        self.query_one("#packet-list").focus()

    def on_filter_bar_closed(self, message: FilterBar.Closed) -> None:
        message.stop()
        self.query_one("#packet-list").focus()

    def action_language(self) -> None:
        """English ⇄ Chinese: explanations, help and the map's words (workbench.i18n)."""
        i18n.set_language("zh" if i18n.language() == "en" else "en")
        for pane in self.panes("relabel"):
            pane.relabel()
        self.notify(i18n.LANGUAGES[i18n.language()], timeout=2)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def on_unmount(self) -> None:
        self.session.close()
