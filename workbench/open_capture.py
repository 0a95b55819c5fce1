"""`workbench open FILE`: the app on a capture file instead of a lab.

A file that is not a capture (empty, cut short before its first frame, another format, a
link layer we do not decode) is one sentence on stderr and exit status 2, before the screen is
taken. A file cut short after some whole frames opens with those frames, as Wireshark does,
says so on screen, and the exit status is then 2 with the sentence on stderr, as tshark's.
"""

from __future__ import annotations

import gc
import sys


def main(path: str, theme: str | None = None, lang: str = "en") -> int:
    # The start-up makes some 60,000 objects that live as long as the app; collecting them
    # as they come costs the first screen about a tenth of its time. The app lets the
    # collector run again once that screen is painted (`WorkbenchApp.first_screen_painted`).
    gc.disable()
    try:
        return _open(path, theme, lang)
    finally:
        gc.enable()


def _open(path: str, theme: str | None, lang: str) -> int:
    from workbench.capture_session import CaptureRefused, CaptureSession

    try:
        capture = CaptureSession.open(path)
    except CaptureRefused as err:
        print(f"workbench: {err}", file=sys.stderr)
        return 2
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        capture.close()
        print(
            f"workbench: the app needs a terminal (run it in one, or over ssh -t); without one, workbench dissect {path} prints the frames",
            file=sys.stderr,
        )
        return 2
    from workbench.app import UnknownTheme, WorkbenchApp

    try:
        app = WorkbenchApp(None, theme=theme, capture=capture, lang=lang)
    except UnknownTheme as err:
        capture.close()
        print(f"workbench: {err}", file=sys.stderr)
        return 2
    app.gc_held = True
    app.run()
    if app.return_code:
        return app.return_code
    if capture.index.problem:
        print(f"workbench: {capture.index.problem}", file=sys.stderr)
        return 2
    return 0
