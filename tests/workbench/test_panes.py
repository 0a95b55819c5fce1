"""The pane registry and the session façade: the screen is built from `workbench.panes`, and the
widgets read the lab only through the session's methods."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from snapshot_app import NARROW, WIDE, make_app, settle
from textual.widgets import Static

import workbench
from workbench import panes
from workbench.panes import PANES, TABS, PaneSpec, register

REACHED_INTO = {"net", "clock", "trace", "taps"}
UI = Path(workbench.__file__).parent


def _reaches(path: Path) -> list[str]:
    """`session.net`, `self.session.clock`, `s.trace` …: the session's insides, by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in REACHED_INTO:
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in ("session", "s"):
                found.append(f"{path.relative_to(UI.parent)}:{node.lineno}: .{node.attr}")
    return found


def test_widgets_and_screens_do_not_reach_into_the_session():
    files = (
        sorted((UI / "widgets").glob("*.py"))
        + sorted((UI / "screens").glob("*.py"))
        + [UI / "panes.py"]
    )
    assert files
    found = [hit for f in files for hit in _reaches(f)]
    assert not found, "read the lab through Session methods instead:\n" + "\n".join(found)


def test_the_checker_sees_a_reach(tmp_path):
    bad = UI / "widgets" / "_probe_reach.py"
    try:
        bad.write_text("def f(self):\n    return self.session.net.hosts\n")
        assert _reaches(bad) == ["workbench/widgets/_probe_reach.py:2: .net"]
    finally:
        bad.unlink()


async def test_every_registered_pane_is_composed_under_its_tab():
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        for spec in PANES:
            pane = app.screen.query_one(f"#{spec.id}")
            assert pane.has_class("pane") and pane.has_class(f"tab-{spec.tab}")
        for tab in TABS:
            await pilot.press(tab.key)
            await settle(pilot)
            assert app.screen.tab == tab.name
            assert app.focused is app.screen.query_one(tab.focus)
            shown = {p.id for p in PANES if app.screen.query_one(f"#{p.id}").display}
            assert shown == {p.id for p in PANES if p.tab == tab.name}


class _Probe(Static):
    """A pane written as a new pane would be: its widget, told of hosts and refreshes."""

    def __init__(self, session, **kw) -> None:
        super().__init__("", **kw)
        self.session = session
        self.hosts: list[str] = []
        self.refreshed = 0

    def show_host(self, host: str) -> None:
        self.hosts.append(host)
        self.update(f"{len(self.session.host_names())} hosts; looking at {host}")

    def refresh_rows(self) -> None:
        self.refreshed += 1


@pytest.fixture
def probe_pane():
    before = list(PANES)
    spec = register(
        PaneSpec(
            "probe-pane",
            "events",
            _Probe,
            title="Probe",
            refresh="fast",
            key="9",
            description="Probe",
            focus="#probe-pane",
        )
    )
    yield spec
    PANES[:] = before


async def test_a_new_pane_is_one_registration(probe_pane):
    """A registered pane is composed, titled, refreshed, told the host, and reachable by its key
    (the key binding is made when the screen class is; here it is checked through the action)."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        probe = app.screen.query_one("#probe-pane", _Probe)
        assert probe.border_title == "Probe"
        assert set(probe.hosts) == {"pc"}
        assert probe.refreshed >= 1
        app.screen.action_tab("events", "#probe-pane")
        assert app.screen.tab == "events"


def test_registering_twice_or_under_no_tab_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register(PaneSpec("hosts-pane", "hosts", panes._hosts))
    with pytest.raises(ValueError, match="not registered"):
        register(PaneSpec("x-pane", "nowhere", panes._hosts))
