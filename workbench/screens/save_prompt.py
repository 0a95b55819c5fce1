"""`s`: ask where to save frames, and ask again before replacing a file that is already there.

Shared by the lab's screen and the capture's: `ask_where_to_save` checks the name (suffix,
folder) in the prompt, in one sentence; an existing file gets a yes/no question (y replaces it,
n or Esc goes back to the name), and only then is `save(path)` called.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from textual.screen import Screen

from workbench.screens.confirm import ConfirmScreen
from workbench.screens.prompt import PromptScreen


def check_capture_name(
    path: str,
    suffixes: tuple[str, ...] = (".pcap", ".pcapng"),
    why: str = "pcapng keeps the segments apart",
) -> str | None:
    """One sentence if `path` cannot take a capture, else None."""
    if not path.endswith(suffixes):
        wanted = " or ".join(suffixes)
        return f"{path!r} should end in {wanted} ({why})"
    if os.path.isdir(path):
        return f"{path} is a folder"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"there is no folder {folder}"
    return None


def ask_where_to_save(
    screen: Screen,
    title: str,
    value: str,
    check: Callable[[str], str | None],
    save: Callable[[str], None],
) -> None:
    """Prompt for a file name (pre-filled with `value`), confirm before overwriting, then `save`."""

    def named(path: str | None) -> None:
        if not path:
            return
        if not os.path.exists(path):
            save(path)
            return
        size = os.path.getsize(path)
        question = f"{path} already exists ({size:,} bytes). Replace it?"

        def answered(yes: bool | None) -> None:
            if yes:
                save(path)
            else:  # back to the name, to pick another
                screen.app.push_screen(PromptScreen(title, path, check, id="save-prompt"), named)

        screen.app.push_screen(
            ConfirmScreen(question, "replaces it", "picks another name", id="confirm-overwrite"),
            answered,
        )

    screen.app.push_screen(PromptScreen(title, value, check, id="save-prompt"), named)
