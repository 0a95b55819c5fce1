"""The command palette's workbench commands (ctrl+p): every described key binding of the screen
it was opened on — ping, traceroute, dhcp, resolve, browse, clear ARP, save, open lab, play,
step, filter, help — and one entry per theme. Read from the bindings, so keys and palette say
the same thing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.screens.help import key_rows


class WorkbenchCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable]]:
        screen = self.screen
        app = self.app
        # The screen's own bindings (not the focus and copy keys every screen inherits).
        actions: dict[str, str] = {}
        for b in type(screen).BINDINGS:
            if isinstance(b, Binding) and b.description and b.action not in actions:
                actions[b.action] = b.description
        keys = {description: keys for keys, description in key_rows(app, screen)}
        for action, description in actions.items():
            yield (
                description,
                f"key {keys.get(description, '')}".strip(),
                partial(screen.run_action, action),
            )
        for name in getattr(app, "workbench_themes", {}):
            yield (
                f"Theme: {name}",
                f"switch to the {name} colours",
                partial(setattr, app, "theme", name),
            )

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
