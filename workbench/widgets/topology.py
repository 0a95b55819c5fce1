"""The map pane: the lab drawn as buses with their hosts, routers and outside ports
(workbench.topology), the selected frame lit on its wire — its sender, and who kept or dropped
it so far. While the person steps, the screen selects each new event's frame, so the frame
moves across the map hop by hop, as in Packet Tracer's simulation mode."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from workbench import topology
from workbench.i18n import language


class TopologyPane(VerticalScroll, can_focus=True):
    COMPONENT_CLASSES = {f"topology--{name}" for name in topology.STYLE_NAMES}

    DEFAULT_CSS = """
    TopologyPane {
        padding: 0 0 0 1;
        color: $foreground;
        scrollbar-size-vertical: 1;
        & > .topology--title { text-style: bold; color: $foreground; }
        & > .topology--subnet { color: $foreground 70%; }
        & > .topology--bus { color: $foreground 50%; }
        & > .topology--lit { color: $warning; text-style: bold; }
        & > .topology--router { color: $accent; text-style: bold; }
        & > .topology--port { color: $secondary; text-style: bold; }
        & > .topology--address { color: $foreground 70%; }
        & > .topology--sender { color: $background; background: $warning; text-style: bold; }
        & > .topology--heard { color: $success; text-style: bold underline; }
        & > .topology--dropped { color: $foreground 45%; text-style: strike; }
        & > .topology--caption { color: $warning; text-style: bold; }
        #topology-map { width: auto; color: $foreground; }
    }
    """

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.buses = session.topology()
        self.frame_id: int | None = None
        self.path: topology.FramePath | None = None
        self._drawn: tuple = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="topology-map")

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._restyle, init=False)

    def on_resize(self) -> None:
        self._draw()

    def _restyle(self) -> None:
        self._drawn = ()
        self._draw()

    def refresh_rows(self) -> None:
        """Addresses change (a DHCP lease), and more of the lit frame's hearers are shown."""
        self.buses = self.session.topology()
        if self.frame_id is not None:
            self.path = self.session.frame_path(self.frame_id)
        self._draw()

    def show_frame(self, frame_id: int | None) -> None:
        self.frame_id = frame_id
        self.path = None if frame_id is None else self.session.frame_path(frame_id)
        self._draw()

    def _draw(self) -> None:
        width = self.scrollable_content_region.width or 78
        key = (self.buses, self.path, width, language())
        if key == self._drawn:
            return
        self._drawn = key
        text = topology.draw(self.buses, width, self.path, self._style)
        self.query_one("#topology-map", Static).update(text)

    def relabel(self) -> None:
        self._restyle()

    def _style(self, name: str):
        return self.get_component_rich_style(f"topology--{name}", partial=True)
