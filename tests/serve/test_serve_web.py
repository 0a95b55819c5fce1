"""`workbench serve --web`: Debian's headless Chromium loads the page, the app appears, a key
reaches it, and nothing the page asks for leaves loopback (every request is recorded over the
DevTools protocol, and any other host fails to resolve anyway)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from urllib.parse import urlparse

import aiohttp
import pytest
from cdp import CHROMIUM, Browser
from serve_helpers import ROOT, free_port, serving

from tests.conftest import REQUIRE_TOOLS

pytestmark = pytest.mark.skipif(
    not REQUIRE_TOOLS and CHROMIUM is None,
    reason="chromium is needed (scripts/test.sh installs it)",
)


async def until(check, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


def test_the_app_in_a_browser_offline():
    port = free_port()
    with serving("--web", f"127.0.0.1:{port}") as server:
        browser = Browser()
        try:
            asyncio.run(_visit(browser, port))
        finally:
            browser.close()
        assert "Traceback" not in server.log.read_text()


async def _visit(browser: Browser, port: int) -> None:
    async with aiohttp.ClientSession() as session:
        await browser.open(session)
        await browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
        # the app appears: its first screen (the map of the default lab) reaches the page
        await until(lambda: "192.168.1.0/24" in browser.screen_text(), what="the map")
        screen = browser.screen_text()
        assert "paused" in screen and "gw-a" in screen
        # a key reaches it: 2 brings the Hosts tab forward, with pc's whole address
        before = len(browser.received)
        await browser.press("2")
        await until(
            lambda: "192.168.1.100/24" in browser.received[before:].decode("utf-8", "replace"),
            what="the Hosts tab",
        )
    requests = browser.requests
    assert any(u.startswith("ws://127.0.0.1") for u in requests), "the app's websocket"
    assert any("RobotoMono" in u for u in requests), "the font comes from the server itself"
    beyond = [
        u
        for u in requests
        if urlparse(u).hostname not in ("127.0.0.1",)
        and not u.startswith(("data:", "about:", "blob:"))
    ]
    assert beyond == [], f"requests that would leave loopback: {beyond}"
    assert not [e for e in browser.failed if "NAME_NOT_RESOLVED" in e], (
        "something asked for another host"
    )


def test_the_page_links_nothing_beyond_the_server(tmp_path):
    """The served page is textual-serve's with its web-font link replaced by the packaged font."""
    from workbench.serve.web import REMOTE, offline_templates

    page = (offline_templates(tmp_path) / "app_index.html").read_text()
    assert "googleapis" not in page and not REMOTE.search(page)
    assert "fonts/RobotoMono-VariableFont_wght.ttf" in page


def test_web_beyond_loopback_is_refused():
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "serve", "--web", "0.0.0.0:8099"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("typed", ["80²", "127.0.0.1:0", "127.0.0.1:65536", ":x"])
def test_a_bad_port_to_listen_on_is_one_sentence(typed):
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "serve", "--web", typed],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"workbench: {typed!r} is not [ADDRESS:]PORT with a port from 1 to 65535"
    ]
