"""The field tree: one line per layer and per field of a dissected frame, as in Wireshark.

Each tree node's data is the `FieldNode` it shows, so the dissector can light its bytes when
the cursor rests on it (Textual's `Tree.NodeHighlighted`). Layers stay expanded or collapsed
from frame to frame by name, as in Wireshark, and the field under the cursor is kept when
the next frame has the same one. Malformed lines and notes have their own component classes.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from workbench.dissect.nodes import LAYER, MALFORMED, NOTE, Dissection, FieldNode


class FieldTree(Tree[FieldNode]):
    COMPONENT_CLASSES = Tree.COMPONENT_CLASSES | {
        "field-tree--malformed",
        "field-tree--note",
        "field-tree--layer",
    }

    DEFAULT_CSS = """
    FieldTree {
        background: $surface;
        & > .field-tree--malformed { color: $text-error; text-style: bold; }
        & > .field-tree--note { color: $text-muted; }
        & > .field-tree--layer { text-style: bold; }
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:  # noqa: A002
        super().__init__("frame", name=name, id=id, classes=classes)
        self.show_root = False
        self.auto_expand = True
        self.dissection: Dissection | None = None
        self._tree_nodes: dict[int, TreeNode[FieldNode]] = {}
        self._expanded: set[str] | None = None  # None: nobody chose yet; open the innermost layer

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # Space is the workbench's play/pause in every pane; Enter still opens and closes layers.
        if action == "toggle_node":
            return False
        return True

    def show(self, dissection: Dissection | None) -> None:
        """Replace the tree with `dissection`'s nodes (or nothing), keeping the field under the cursor."""
        keep = self._name_path(self.cursor_node)
        self.clear()
        self._tree_nodes = {}
        self.dissection = dissection
        if dissection is None:
            return
        expanded = self._expanded if self._expanded is not None else self._innermost(dissection)
        for node in dissection.nodes:
            self._add(self.root, node, expanded)
        if keep:
            target = self._find_path(dissection, keep)
            if target is not None:
                self.select_field(target)

    def select_field(self, field: FieldNode) -> None:
        """Open the field's layer (and any parent fields) and put the cursor on it."""
        if self.dissection is None:
            return
        tree_node = self._tree_nodes.get(id(field))
        if tree_node is None:
            return
        parent = tree_node.parent
        while parent is not None and parent is not self.root:
            if not parent.is_expanded:
                parent.expand()
            parent = parent.parent
        _ = self.last_line  # rebuilds the line index now, so the node's line is current
        self.move_cursor(tree_node)
        # Before the first layout the tree has no height to scroll in: scroll again after it.
        self.call_after_refresh(self.scroll_to_node, tree_node, animate=False)

    def tree_node_of(self, field: FieldNode) -> TreeNode[FieldNode] | None:
        return self._tree_nodes.get(id(field))

    # --- building -------------------------------------------------------------------------

    def _add(self, parent: TreeNode[FieldNode], node: FieldNode, expanded: set[str]) -> None:
        label = self._label(node)
        if node.children:
            child = parent.add(
                label, data=node, expand=node.kind == LAYER and node.name in expanded
            )
            for grandchild in node.children:
                self._add(child, grandchild, expanded)
        else:
            child = parent.add_leaf(label, data=node)
        self._tree_nodes[id(node)] = child

    def _label(self, node: FieldNode) -> Text:
        if node.kind == MALFORMED:
            return Text(
                node.label,
                style=self.get_component_rich_style("field-tree--malformed", partial=True),
            )
        if node.kind == NOTE:
            return Text(
                node.label, style=self.get_component_rich_style("field-tree--note", partial=True)
            )
        if node.kind == LAYER:
            return Text(
                node.label, style=self.get_component_rich_style("field-tree--layer", partial=True)
            )
        return Text(node.label)

    @staticmethod
    def _innermost(dissection: Dissection) -> set[str]:
        names = [
            n.name
            for n in dissection.nodes
            if n.kind == LAYER and n.name not in ("frame", "data", "")
        ]
        return {names[-1]} if names else set()

    # --- remembering what the person opened and chose -------------------------------------

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[FieldNode]) -> None:
        self._remember(event.node, True)

    def _on_tree_node_collapsed(self, event: Tree.NodeCollapsed[FieldNode]) -> None:
        self._remember(event.node, False)

    def _remember(self, tree_node: TreeNode[FieldNode], is_open: bool) -> None:
        field = tree_node.data
        if field is None or field.kind != LAYER or tree_node.parent is not self.root:
            return
        if self._expanded is None and self.dissection is not None:
            self._expanded = self._innermost(self.dissection)
        if self._expanded is None:
            self._expanded = set()
        if is_open:
            self._expanded.add(field.name)
        else:
            self._expanded.discard(field.name)

    def _name_path(self, tree_node: TreeNode[FieldNode] | None) -> tuple[tuple[str, int], ...]:
        """The cursor's place as (name, index among same-named siblings) from the top."""
        path = []
        while tree_node is not None and tree_node is not self.root and tree_node.data is not None:
            parent = tree_node.parent
            siblings = parent.children if parent is not None else []
            same = [
                s for s in siblings if s.data is not None and s.data.name == tree_node.data.name
            ]
            path.append((tree_node.data.name, same.index(tree_node) if tree_node in same else 0))
            tree_node = parent
        return tuple(reversed(path))

    @staticmethod
    def _find_path(dissection: Dissection, path: tuple[tuple[str, int], ...]) -> FieldNode | None:
        nodes = dissection.nodes
        found = None
        for name, index in path:
            same = [n for n in nodes if n.name == name]
            if index >= len(same):
                return None
            found = same[index]
            nodes = found.children
        return found
