"""What `N` (step back) and `S` (save a snapshot) do on the workbench screen: kept out of the
screen module, which only binds the keys."""

from __future__ import annotations

import os

from workbench.screens.prompt import PromptScreen
from workbench.snapshot import SnapshotError


def step_back(screen) -> None:
    """Replace the lab by itself one step earlier (replayed from its start), paused."""
    try:
        session, count = screen.session.step_back()
    except SnapshotError as err:
        screen.notify(str(err), severity="warning", timeout=6)
        return
    redo = len(session.history.redo)
    ahead = f" ({redo} input{'s' if redo != 1 else ''} of yours ahead)" if redo else ""
    what = "one event" if count == 1 else f"{count} events" if count else "the command you gave"
    screen.app.replace_session(
        session,
        f"Stepped back over {what}: {session.shown_events()} shown; n goes forward again through the same history{ahead}.",
    )


def save_snapshot(screen) -> None:
    session = screen.session
    try:
        snapshot = session.snapshot()
    except SnapshotError as err:
        screen.notify(str(err), severity="warning", timeout=6)
        return
    app = screen.app
    if app.scratch:
        screen.notify(
            "--scratch: nothing is written back, so no snapshot file is saved.",
            severity="warning",
            timeout=5,
        )
        return
    origin = session.history.origin
    backing = origin.path if origin is not None else None

    def check(path: str) -> str | None:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            return f"there is no folder {folder}"
        try:
            snapshot.check_target(path, backing)
        except SnapshotError as err:
            return str(err)
        return None

    def save(path: str | None) -> None:
        if not path:
            return
        try:
            snapshot.save(path, backing=backing)
        except SnapshotError as err:
            screen.notify(str(err), severity="error", timeout=6)
            return
        screen.notify(
            f"Saved lab {snapshot.lab_name} at {snapshot.at_time:.6f} s to {path} (workbench --from {path} continues from it).",
            timeout=6,
        )

    default = f"{session.spec.name}-{snapshot.at_time:.6f}s.snapshot.json"
    app.push_screen(PromptScreen("Save a snapshot", default, check, id="snapshot-prompt"), save)
