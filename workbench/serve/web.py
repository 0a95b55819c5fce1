"""`workbench serve --web`: the app in a browser through textual-serve (each page load runs its
own workbench over pipes, with Textual's web driver), on loopback unless told otherwise.

textual-serve's page links a web font from the internet; the page served here is that page with
the link replaced by the same font from textual-serve's own static files, so that it loads
offline and nothing is fetched from beyond the server.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path

FONT_LINK = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>", re.S)
LOCAL_FONT = """<style>
      @font-face { font-family: "Roboto Mono"; font-style: normal;
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }
      @font-face { font-family: "Roboto Mono"; font-style: italic;
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype"); }
    </style>"""
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.I)


class OfflinePageError(Exception):
    pass


def offline_templates(folder: Path) -> Path:
    """A templates folder whose app_index.html fetches nothing from another host."""
    import textual_serve

    page = (Path(textual_serve.__file__).parent / "templates" / "app_index.html").read_text()
    page = FONT_LINK.sub(LOCAL_FONT, page)
    if REMOTE.search(page):  # a newer textual-serve links something else: refuse, do not leak
        raise OfflinePageError(
            "textual-serve's page links a resource on another host; cannot serve it offline"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app_index.html").write_text(page)
    return folder


def serve(host: str, port: int, lab: str, theme: str | None, lang: str = "en") -> None:
    import sys

    import textual_serve
    from textual_serve.server import Server

    argv = [sys.executable, "-m", "workbench.cli", "--lab", lab, "--lang", lang] + (
        ["--theme", theme] if theme else []
    )
    with tempfile.TemporaryDirectory(prefix="workbench-web-") as tmp:
        templates = offline_templates(Path(tmp) / "templates")
        server = Server(
            shlex.join(argv),
            host=host,
            port=port,
            title=f"Packet Workbench · {lab}",
            statics_path=Path(textual_serve.__file__).parent / "static",
            templates_path=templates,
        )
        print(
            f"workbench: serving lab {lab} in the browser on http://{host}:{port}/ — Ctrl-C stops",
            flush=True,
        )
        server.serve()
