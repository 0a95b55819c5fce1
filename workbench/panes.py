"""The panes of the workbench screen, registered once: the screen composes, titles, groups under
tabs, focuses and refreshes whatever is in `PANES`, in order.

A new pane is one module (its widget, taking the session) and one `register(...)` line below.
A pane widget may define any of these, and the screen calls them when they apply:

- `refresh_rows()` — the lab changed; `refresh="fast"` calls it on every batch of news,
  `"slow"` at most every `SLOW_PANES` seconds while playing (tables of state), None never;
- `show_host(host)` — the person picked `host` (the hosts pane, or the first host at start);
- `show_frame(frame_id)` — the selected frame changed (the packet list or the event log);
- `relabel()` — the language changed (`L`, workbench.i18n): draw the words again.

Widgets get what they show from the session's methods (`workbench.session.Session`), never
from its network, clock or trace: tests/workbench/test_panes.py checks that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget


@dataclass(frozen=True)
class TabSpec:
    """A group of panes shown together below 150×40 (the wide layout shows every pane)."""

    name: str
    label: str  # on the tab
    key: str  # brings it forward
    description: str  # the key's line in help
    focus: str  # selector of the widget that takes the focus when the key opens the tab
    wide_start: bool = False  # its focus is where the wide layout starts (narrow: the first tab's)


@dataclass(frozen=True)
class PaneSpec:
    id: str
    tab: str
    make: Callable[..., Widget]  # make(session, id=..., classes=...) -> the pane's widget
    title: str = ""  # border title ("" when the pane titles itself, e.g. "ARP · pc")
    refresh: str | None = None  # "fast", "slow" or None: see the module's docstring
    key: str = ""  # a key that goes straight to this pane (its tab forward, `focus` focused)
    description: str = ""
    focus: str = ""


TABS: list[TabSpec] = []
PANES: list[PaneSpec] = []


def add_tab(tab: TabSpec) -> TabSpec:
    TABS.append(tab)
    return tab


def register(pane: PaneSpec) -> PaneSpec:
    """Add a pane; it is composed after those registered before it."""
    if any(p.id == pane.id for p in PANES):
        raise ValueError(f"a pane {pane.id!r} is already registered")
    if not any(t.name == pane.tab for t in TABS):
        raise ValueError(f"pane {pane.id!r} names tab {pane.tab!r}, which is not registered")
    PANES.append(pane)
    return pane


# --- the built-in panes -------------------------------------------------------------------
# Factories import their widget when called, so importing the registry stays cheap.


def _hosts(session, **kw) -> Widget:
    from workbench.widgets.hosts import HostsPane

    return HostsPane(session, **kw)


def _arp(session, **kw) -> Widget:
    from workbench.widgets.arp_table import ArpPane

    return ArpPane(session, **kw)


def _packets(session, **kw) -> Widget:
    from workbench.widgets.packet_list import PacketsPane

    return PacketsPane(session, **kw)


def _routing(session, **kw) -> Widget:
    from workbench.widgets.routing import RoutingPane

    return RoutingPane(session, **kw)


def _dissector(session, **kw) -> Widget:
    from workbench.widgets.dissector import DissectorPane

    return DissectorPane(session, **kw)


def _map(session, **kw) -> Widget:
    from workbench.widgets.topology import TopologyPane

    return TopologyPane(session, **kw)


def _events(session, **kw) -> Widget:
    from workbench.widgets.events_pane import EventsPane

    return EventsPane(session, **kw)


# The map comes first: on a small terminal (an SSH session's 80×24) the first screen shows the network.
add_tab(TabSpec("map", "Map", "m", "Map of the network", "#map-pane"))
add_tab(TabSpec("packets", "Packets", "1", "Packets", "#packet-list", wide_start=True))
add_tab(TabSpec("hosts", "Hosts · ARP", "2", "Hosts and ARP", "#hosts-table"))
add_tab(TabSpec("routing", "Routing", "3", "Routing", "#decision-log"))
add_tab(TabSpec("events", "Events", "4", "Events", "#event-log"))

# Compose order fills the wide grid (app.tcss) row by row: Hosts | Map, Packets (two rows) | ARP,
# Routing, Dissector | Events.
register(PaneSpec("hosts-pane", "hosts", _hosts, title="Hosts", refresh="slow"))
register(PaneSpec("map-pane", "map", _map, title="Map", refresh="slow"))
register(PaneSpec("packets-pane", "packets", _packets, title="Packets", refresh="fast"))
register(PaneSpec("arp-pane", "hosts", _arp, refresh="slow"))
register(PaneSpec("routing-pane", "routing", _routing, refresh="slow"))
register(
    PaneSpec(
        "dissector-pane",
        "packets",
        _dissector,
        title="Dissector",
        key="5",
        description="Dissector",
        focus="#field-tree",
    )
)
register(PaneSpec("events-pane", "events", _events, title="Events", refresh="fast"))
