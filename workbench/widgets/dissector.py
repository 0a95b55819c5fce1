"""The dissector: a frame's field tree beside its bytes, each field lit in the bytes it came from.

`show_frame(record)` dissects with scapy (`workbench.dissect.tree`, loaded on first use and
warmed in a thread a moment after mounting, never at start-up) plus our own decoder's
verdict (checksums, where decoding stopped). Moving through the tree lights the field's
bytes in the hex view; moving the byte cursor (or clicking a byte) selects the smallest field
that holds it. Side by side when there is room, stacked when the pane is narrow; side by side,
the hex view takes its natural width (16 bytes a line if the tree keeps room, else 8) and the
tree the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Tree

from workbench.dissect.nodes import Dissection, FieldNode
from workbench.i18n import say
from workbench.widgets.field_tree import FieldTree
from workbench.widgets.hex_view import HexView, line_width

if TYPE_CHECKING:  # stack.trace brings the lab's events: a capture's screen never needs them
    from stack.trace import FrameRecord

NARROW = 110  # below this many columns the hex view goes under the tree
TREE_ROOM = 64  # side by side, the tree keeps at least this many columns; the hex view shows
# 16 bytes a line when that leaves the tree enough, else 8 (Wireshark's lines are long)
PRELOAD_AFTER = 1.5  # seconds after mounting to import scapy in a thread
# "Apply as Filter" in the help, and why it may have nothing to apply (Chinese: workbench.i18n).
APPLY_TIP = "Apply as filter: the tree's selected field (field == value)"
PREPARE_TIP = "Prepare a filter: the tree's selected field, to edit first"
NO_FIELD = "Select a frame and a field of its tree first: Apply as Filter takes the field under the tree's cursor."
SCAPY_LINE = "This line is scapy's dissection, outside the protocol model: it has no filter name."
GROUPING_LINE = (
    "This line groups the fields under it and has no filter name of its own: choose one of them."
)


class Dissector(Widget):
    DEFAULT_CSS = """
    Dissector {
        layout: horizontal;
        height: 1fr;
        & > FieldTree { width: 1fr; height: 1fr; }
        & > HexView {
            width: 75; height: 1fr; border-left: vkey $foreground 20%; scrollbar-size-vertical: 1;
        }
        &.-narrow { layout: vertical; }
        &.-narrow > FieldTree { width: 1fr; height: 3fr; }
        &.-narrow > HexView { width: 1fr; height: 2fr; min-height: 3; border-left: none; border-top: hkey $foreground 20%; }
    }
    """

    class FieldSelected(Message):
        """The cursor rests on a field (None: no frame); its bytes are lit in the hex view."""

        def __init__(self, dissector: Dissector, field: FieldNode | None) -> None:
            super().__init__()
            self.dissector = dissector
            self.field = field

        @property
        def control(self) -> Dissector:
            return self.dissector

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        preload: bool = True,
    ) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self.record: FrameRecord | None = None
        self.dissection: Dissection | None = None
        self._source: str | None = None  # the bytes the hex view shows (None: the frame's)
        self._preload = preload

    def compose(self) -> ComposeResult:
        yield FieldTree(id="field-tree")
        yield HexView(id="hex-view")

    @property
    def field_tree(self) -> FieldTree:
        return self.query_one(FieldTree)

    @property
    def hex_view(self) -> HexView:
        return self.query_one(HexView)

    def on_mount(self) -> None:
        if self._preload:
            self.set_timer(PRELOAD_AFTER, self._warm_up)

    def _warm_up(self) -> None:
        from workbench.dissect import tree

        if not tree.is_loaded():
            self.run_worker(tree.load, thread=True, group="dissector-preload", exit_on_error=False)

    def on_resize(self) -> None:
        width = self.size.width
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        self.hex_view.styles.width = "1fr" if narrow else hex_width(width)

    # --- public API -----------------------------------------------------------------------

    def show_frame(self, record: FrameRecord | None, notes=None) -> None:
        """Dissect and show `record` (None: show nothing). `notes`: what a capture's frames
        before it add (`FrameNotes`), shown as `tshark -V` shows them."""
        from workbench.dissect.tree import dissect_record

        self.record = record
        if record is None:
            self.dissection = None
        elif notes is not None:
            from workbench.dissect.noted_tree import noted_dissection

            self.dissection = noted_dissection(record, notes)
        else:
            self.dissection = dissect_record(record)
        tree = self.field_tree
        self._show_bytes(None)
        tree.show(self.dissection)
        field = tree.cursor_node.data if tree.cursor_node is not None else None
        if field is not None:
            self._light(field)

    def _show_bytes(self, source: str | None) -> None:
        """The frame's bytes (a reassembled datagram's frame: the bytes its tree's fields point
        into), or a reassembled message's, as Wireshark's byte tabs; the pane says which."""
        dissection = self.dissection
        self._source = source
        if dissection is None:
            self.hex_view.show(b"")
        elif source is None:
            self.hex_view.show(dissection.data, dissection.undecoded)
        else:
            self.hex_view.show(dissection.sources[source])
        pane = self.parent
        if pane is not None and dissection is not None and dissection.sources:
            size = len(dissection.sources[source]) if source else len(dissection.data)
            pane.border_subtitle = f"{say('Bytes')}: {say(source or 'Frame')} ({size} bytes)"
        elif pane is not None:
            pane.border_subtitle = ""

    def _light(self, field: FieldNode) -> None:
        """Light `field`'s bytes, in the bytes its positions are in."""
        source, _data = self.dissection.bytes_of(field) if self.dissection else (None, b"")
        if source != self._source:
            self._show_bytes(source)
        self.hex_view.highlight(*field.byte_range)

    def select_field(self, field: FieldNode) -> None:
        """Put the tree's cursor on `field` (its bytes light up)."""
        self.field_tree.select_field(field)

    def select_byte(self, offset: int) -> FieldNode | None:
        """Select the smallest field holding byte `offset`; returns it (None if no field does)."""
        if self.dissection is None:
            return None
        field = self.dissection.field_at(offset, self._source)
        if field is not None:
            self.field_tree.select_field(field)
        return field

    def selected_filter(self) -> tuple[str | None, str | None]:
        """(filter, None): what Wireshark's "Apply as Filter" writes for the field under the
        tree's cursor (`ip.ttl == 64`, `dns.qry.name == "example.com"`, `arp`); or (None,
        the sentence that says why there is none)."""
        node = self.field_tree.cursor_node
        field = node.data if node is not None and self.dissection is not None else None
        if field is None:
            return None, NO_FIELD
        if field.filter is None:
            return None, SCAPY_LINE if not field.name else GROUPING_LINE
        return field.filter, None

    # --- the two halves talking -----------------------------------------------------------

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[FieldNode]) -> None:
        event.stop()
        field = event.node.data
        if field is None:
            return
        self._light(field)
        self.post_message(self.FieldSelected(self, field))

    def on_hex_view_byte_selected(self, event: HexView.ByteSelected) -> None:
        event.stop()
        self.select_byte(event.offset)


def hex_width(width: int) -> int:
    """The hex view's width beside the tree in a dissector `width` columns wide: its natural
    width (border, offset, hex, ASCII, a one-cell scrollbar) for 16 bytes a line when the tree
    keeps `TREE_ROOM` columns, else for 8; the tree gets the rest."""
    for per_line in (16, 8):
        natural = line_width(per_line) + 2
        if width - natural >= TREE_ROOM:
            return natural
    return line_width(8) + 2


class DissectorPane(Container):
    """The dissector as a pane of the workbench screen: it shows the frame the screen selects."""

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session

    def compose(self) -> ComposeResult:
        yield Dissector(id="dissector")

    def show_frame(self, frame_id: int | None) -> None:
        self.query_one(Dissector).show_frame(
            None if frame_id is None else self.session.frame(frame_id)
        )
