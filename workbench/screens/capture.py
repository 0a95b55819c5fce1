"""The capture screen: a pcap or pcapng file in the app, as Wireshark opens one — the packet
list over the dissector, a display filter, statistics, Follow TCP stream and saving the frames
shown — with no lab behind it.

The first screen is drawn from the first frames alone; a worker thread indexes the rest of
the file and posts its progress (the status bar says how far it has got), and the list grows
under the person's cursor without moving it. A filter over a million frames runs in the
packet list's own worker, with its progress in the list's header, while the list scrolls.

The tabs are the lab's (Packets, Hosts · ARP, Routing, Events) so the keys are the same; the
ones that need a lab say so plainly, and every command that needs a lab (play, step, ping …)
refuses in one sentence.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Static, Tab, Tabs
from textual.worker import get_current_worker

from workbench.capture_session import CaptureSession
from workbench.dissect.capture_notes import NotedRows, NotedScan
from workbench.i18n import say
from workbench.screens.help import HelpScreen
from workbench.screens.save_prompt import ask_where_to_save, check_capture_name
from workbench.widgets.dissector import APPLY_TIP, PREPARE_TIP, Dissector
from workbench.widgets.filter_bar import FilterBar
from workbench.widgets.packet_list import PacketList

TABS = {"packets": "Packets", "hosts": "Hosts · ARP", "routing": "Routing", "events": "Events"}
NO_LAB = {
    "hosts": "Hosts and ARP tables belong to a running lab; {name} is a capture file, which records frames but not the hosts that sent them. o opens a lab.",
    "routing": "Routing tables and decisions belong to a running lab; {name} is a capture file, which holds no routing decisions. o opens a lab.",
    "events": "The event log is a running lab's explanations; {name} is a capture file, which holds only frames. o opens a lab.",
}
# What each command that needs a lab is called in its refusal.
LAB_ONLY = {
    "toggle_play": "Play and pause",
    "step": "Stepping",
    "faster": "Speed",
    "slower": "Speed",
    "ping": "Ping",
    "traceroute": "Traceroute",
    "dhcp": "DHCP",
    "resolve": "Resolve",
    "browse": "Browse",
    "clear_arp": "Clearing the ARP cache",
    "poison": "Crafting and sending frames",
    "map": "The map of the network",
}


def lab_refusal(what: str, name: str) -> str:
    return f"{what} needs a lab, and {name} is a capture file: o opens a lab."


class CaptureScreen(Screen):
    DEFAULT_CSS = """
    CaptureScreen { layout: vertical; }
    CaptureScreen #capture-panes { height: 1fr; }
    CaptureScreen #packets-pane { height: 3fr; }
    CaptureScreen #dissector-pane { height: 2fr; }
    CaptureScreen .no-lab { height: 1fr; padding: 1 2; color: $text-muted; }
    CaptureScreen .pane { display: none; }
    CaptureScreen.-tab-packets #packets-pane, CaptureScreen.-tab-packets #dissector-pane,
    CaptureScreen.-tab-hosts #hosts-pane, CaptureScreen.-tab-routing #routing-pane,
    CaptureScreen.-tab-events #events-pane { display: block; }
    CaptureScreen #capture-status { height: 1; background: $panel; color: $foreground; }
    """

    BINDINGS = [
        Binding("o", "open", "Open", tooltip="Open a lab or capture…"),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter packets"),
        Binding("s", "save", "Save", tooltip="Save the frames shown…"),
        Binding(
            "z",
            "statistics",
            "Stats",
            tooltip="Statistics: conversations, endpoints, protocol hierarchy",
        ),
        Binding("f", "follow", "Follow", tooltip="Follow the selected frame's TCP stream"),
        Binding("a", "apply_as_filter(True)", "Apply as filter", show=False, tooltip=APPLY_TIP),
        Binding("A", "apply_as_filter(False)", "Prepare a filter", show=False, tooltip=PREPARE_TIP),
        Binding("question_mark", "help", "Keys", key_display="?", tooltip="All keys"),
        Binding("1", "tab('packets')", "Packets", show=False),
        Binding("2", "tab('hosts')", "Hosts and ARP", show=False),
        Binding("3", "tab('routing')", "Routing", show=False),
        Binding("4", "tab('events')", "Events", show=False),
        Binding("5", "tab('packets', '#dissector')", "Dissector", show=False),
        # The lab's keys, so that they answer rather than do nothing.
        Binding("space", "lab_only('toggle_play')", "Play/pause (needs a lab)", show=False),
        Binding("n,N", "lab_only('step')", "Step (needs a lab)", show=False),
        Binding("m", "lab_only('map')", "Map (needs a lab)", show=False),
        Binding("plus,equals_sign,minus", "lab_only('faster')", "Speed (needs a lab)", show=False),
        Binding("p", "lab_only('ping')", "Ping (needs a lab)", show=False),
        Binding("t", "lab_only('traceroute')", "Traceroute (needs a lab)", show=False),
        Binding("d", "lab_only('dhcp')", "DHCP (needs a lab)", show=False),
        Binding("r", "lab_only('resolve')", "Resolve (needs a lab)", show=False),
        Binding("b", "lab_only('browse')", "Browse (needs a lab)", show=False),
        Binding("c", "lab_only('clear_arp')", "Clear ARP (needs a lab)", show=False),
        Binding("x", "lab_only('poison')", "Craft (needs a lab)", show=False),
    ]

    def __init__(self, capture: CaptureSession) -> None:
        super().__init__()
        self.capture = capture
        self.tab = "packets"
        self.filter_text = ""
        self._analysing_to: int | None = None  # a worker runs the pass up to this frame
        self._tree_alone: int | None = None  # the frame whose tree is shown without the pass

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.set_class(True, f"-tab-{self.tab}")
        yield Tabs(
            *[Tab(say(label), id=name) for name, label in TABS.items()],
            active=self.tab,
            id="capture-tabs",
        )
        with Container(id="capture-panes"):
            with Container(id="packets-pane", classes="pane"):
                yield PacketList(
                    self.capture.frames,
                    id="packet-list",
                    follow_tail=False,
                    time_origin=self.capture.time_origin,
                    segments=self.capture.index.format == "pcapng",
                    rows=NotedRows(
                        self.capture.frames, self.capture.notes, unreached=self._row_unreached
                    ),
                    scan=lambda display_filter: NotedScan(
                        self.capture.frames, display_filter, self.capture.notes
                    ),
                )
            with Container(id="dissector-pane", classes="pane"):
                yield Dissector(id="dissector")
            for tab, sentence in NO_LAB.items():
                yield Static(
                    say(sentence).format(name=self.capture.name),
                    id=f"{tab}-pane",
                    classes="pane no-lab",
                )
        yield FilterBar(id="filter-bar")
        yield Static("", id="capture-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#packets-pane").border_title = f"{say('Packets')} · {self.capture.name}"
        self.query_one("#dissector-pane").border_title = say("Dissector")
        for tab in NO_LAB:
            self.query_one(f"#{tab}-pane").border_title = say(TABS[tab])
        self.query_one(FilterBar).display = False
        self.query_one(PacketList).focus()
        self._show_status()
        # After the first paint: the worker would otherwise share the GIL with drawing it.
        self.call_after_refresh(self._start_indexing)

    def _start_indexing(self) -> None:
        self.app.first_screen_painted()
        if self.capture.indexing:
            self.run_worker(
                self._index_worker, thread=True, group="capture-index", exit_on_error=False
            )
        elif self.capture.index.problem:
            self.notify(self.capture.index.problem, severity="warning", timeout=10)

    def _show_tab(self, tab: str) -> None:
        self.set_class(False, f"-tab-{self.tab}")
        self.tab = tab
        self.set_class(True, f"-tab-{tab}")
        tabs = self.query_one(Tabs)
        if tabs.active != tab:
            tabs.active = tab

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id and event.tab.id != self.tab:
            self._show_tab(event.tab.id)

    def action_tab(self, tab: str, focus: str | None = None) -> None:
        self._show_tab(tab)
        if tab == "packets":
            target = self.query_one(focus or "#packet-list")
            (target.field_tree if isinstance(target, Dissector) else target).focus()

    # --- indexing the file in the background ---------------------------------------------------

    def _index_worker(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            found = self.capture.index_more()
            if worker.is_cancelled:
                return
            try:
                self.app.call_from_thread(self._indexed, found == 0)
            except Exception:  # noqa: BLE001 — the app is closing
                return
            if not found:
                return

    def _indexed(self, done: bool) -> None:
        self.query_one(PacketList).refresh_rows()
        self._show_status()
        if done and self.capture.index.problem:
            self.notify(self.capture.index.problem, severity="warning", timeout=10)

    def _show_status(self) -> None:
        status = self.capture.status()
        parts = [
            f" {status.name}",
            status.format,
            say(f"{status.frames:,} frame{'s' if status.frames != 1 else ''}"),
            say(_size(status.size)),
        ]
        text = Text(" · ".join(parts))
        if status.indexing:
            text.append(
                "  " + say(f"reading the file {100 * status.fraction:.0f}%"), style="bold italic"
            )
        elif status.problem:
            text.append("  " + say("cut short: the frames before the cut are shown"), style="bold")
        if self._analysing_to is not None:
            text.append(
                "  " + say(f"following the conversations up to frame {self._analysing_to:,}…"),
                style="italic",
            )
        packets = self.query_one(PacketList)
        if packets.filter_text:
            text.append(f"  │ {packets.filter_text}: " + say(f"{packets.row_count:,} shown"))
        text.append("  │ " + say("no lab (o opens one)"), style="dim")
        self.query_one("#capture-status", Static).update(text)

    # --- frames --------------------------------------------------------------------------------

    def on_packet_list_frame_selected(self, message: PacketList.FrameSelected) -> None:
        message.stop()
        if message.frame_id == self.query_one(PacketList).selected_frame_id:
            self._show_frame(message.frame_id)

    def on_packet_list_frame_activated(self, message: PacketList.FrameActivated) -> None:
        message.stop()
        self._show_frame(message.frame_id)
        self.query_one(Dissector).field_tree.focus()

    def _show_frame(self, frame_id: int) -> None:
        """The tree as `tshark -V` shows the frame: with what the frames before it add. A frame
        far past where the pass has got is shown alone until a worker has run the pass there."""
        index = frame_id - 1
        notes = self.capture.notes.near(index)
        self.query_one(Dissector).show_frame(self.capture.frames[index], notes)
        self._tree_alone = frame_id if notes is None else None
        if notes is None:
            self._analyse_to(index)

    def _row_unreached(self, index: int) -> None:
        """A row drawn from its frame alone (the list scrolled far past the pass, by the
        scrollbar or the wheel): run the pass there, and the row is drawn again with what the
        frames before it say. Called while the list draws, so the worker starts after."""
        if self._analysing_to is None or self._analysing_to < index + 1:
            self._analysing_to = index + 1
            self.call_later(self._analyse_to, index)

    def _analyse_to(self, index: int) -> None:
        # Exclusive: a worker heading further replaces one heading less far (the pass is
        # incremental, so nothing done is lost); one heading further is never replaced.
        if self._analysing_to is not None and self._analysing_to > index + 1:
            return
        self._analysing_to = index + 1
        self.run_worker(
            lambda: self._analyse_worker(index),
            thread=True,
            group="capture-notes",
            exclusive=True,
            exit_on_error=False,
        )
        self._show_status()

    def _analyse_worker(self, index: int) -> None:
        worker = get_current_worker()
        self.capture.notes.advance(index + 1, lambda: worker.is_cancelled)
        if worker.is_cancelled:
            return
        try:
            self.app.call_from_thread(self._analysed, index)
        except Exception:  # noqa: BLE001 — the app is closing
            return

    def _analysed(self, index: int) -> None:
        self._analysing_to = None
        packets = self.query_one(PacketList)
        packets.refresh()  # rows drawn from their frame alone are drawn again
        alone = self._tree_alone
        if alone is not None and alone <= index + 1 and packets.selected_frame_id == alone:
            self._tree_alone = None
            self.query_one(Dissector).show_frame(
                self.capture.frames[alone - 1], self.capture.notes.get(alone - 1)
            )
        self._show_status()

    def on_packet_list_filter_progress(self, message: PacketList.FilterProgress) -> None:
        message.stop()
        self._show_status()

    # --- filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self._show_tab("packets")
        self.query_one(FilterBar).open(self.filter_text)

    def action_apply_as_filter(self, apply: bool) -> None:
        """Wireshark's Apply (a) or Prepare (A) as Filter: the tree's field becomes the filter."""
        text, why = self.query_one(Dissector).selected_filter()
        if text is None:
            self.notify(say(why), severity="warning", timeout=5)
            return
        self._show_tab("packets")
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
        pane.border_title = (
            f"{say('Packets')} · {self.capture.name} · {message.text}"
            if message.text
            else f"{say('Packets')} · {self.capture.name}"
        )
        message.bar.display = False
        self.query_one("#packet-list").focus()
        self._show_status()

    def on_filter_bar_closed(self, message: FilterBar.Closed) -> None:
        message.stop()
        self.query_one("#packet-list").focus()

    # --- save, open, help ----------------------------------------------------------------------

    def action_save(self) -> None:
        packets = self.query_one(PacketList)
        if self.capture.indexing:
            self.notify(
                f"{self.capture.name} is still being read ({100 * self.capture.index.fraction:.0f}%); save when it is done.",
                severity="warning",
                timeout=5,
            )
            return
        if packets.filtering:
            self.notify(
                f"The filter is still running over {self.capture.name}; save when it is done.",
                severity="warning",
                timeout=5,
            )
            return
        suffix = "." + self.capture.index.format
        stem = self.capture.name.rsplit(".", 1)[0]
        default = f"{stem}-filtered{suffix}" if packets.filter_text else f"{stem}-copy{suffix}"

        def check(path: str) -> str | None:
            return check_capture_name(
                path,
                (suffix,),
                f"frames are copied as they are, and this capture is {self.capture.index.format}",
            )

        def save(path: str) -> None:
            indices = packets.shown_indices()
            self.run_worker(
                lambda: self._save_worker(path, indices),
                thread=True,
                group="capture-save",
                exit_on_error=False,
            )

        ask_where_to_save(
            self, f"Save the {packets.row_count:,} frames shown", default, check, save
        )

    def _save_worker(self, path: str, indices) -> None:
        try:
            count = self.capture.save(path, indices)
        except OSError as err:
            self.app.call_from_thread(
                self.notify,
                f"cannot write {path}: {err.strerror or err}",
                severity="error",
                timeout=6,
            )
            return
        self.app.call_from_thread(
            self.notify, f"Saved {count:,} frame{'s' if count != 1 else ''} to {path}.", timeout=4
        )

    def action_open(self) -> None:
        from workbench.screens.open_lab import OpenLabScreen  # the labs' modules: only when asked

        def opened(choice) -> None:
            if (
                choice is not None
            ):  # after the modal has gone: switch_screen replaces the top screen
                self.app.call_later(self.app.open_lab, choice)

        self.app.push_screen(OpenLabScreen(), opened)

    def action_statistics(self) -> None:
        from workbench.screens.statistics import StatisticsScreen

        packets = self.query_one(PacketList)
        if self.capture.indexing or packets.filtering:
            what = "read" if self.capture.indexing else "filtered"
            self.notify(
                f"{self.capture.name} is still being {what}; statistics when it is done.",
                severity="warning",
                timeout=5,
            )
            return
        self.app.push_screen(
            StatisticsScreen(
                self.capture.frames, packets.shown_indices(), self.capture.name, packets.filter_text
            )
        )

    def action_follow(self) -> None:
        from workbench.screens.follow import FollowScreen

        packets = self.query_one(PacketList)
        frame_id = packets.selected_frame_id
        if frame_id is None:
            self.notify(
                "Select a TCP segment first: Follow TCP stream follows the selected frame's connection.",
                severity="warning",
                timeout=5,
            )
            return
        if self.capture.indexing:
            self.notify(
                f"{self.capture.name} is still being read; follow its streams when it is done.",
                severity="warning",
                timeout=5,
            )
            return
        self.app.push_screen(FollowScreen(self.capture.frames, frame_id - 1, self.capture.name))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_lab_only(self, action: str) -> None:
        self.notify(lab_refusal(LAB_ONLY[action], self.capture.name), severity="warning", timeout=5)

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "capture-index")
        self.capture.close()


def _size(size: int) -> str:
    if size >= 1 << 30:
        return f"{size / (1 << 30):.1f} GiB"
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KiB"
    return f"{size} bytes"
