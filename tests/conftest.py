"""Shared fixtures: labs built on a virtual clock, and a way to run a program to its end."""

from __future__ import annotations

import os
import shutil

import pytest

from stack.labs import build_network, load_lab
from stack.labs.load import parse_lab
from stack.network import Network

# CI (.ci/run) sets this: there every real peer and oracle must be present, so a test that
# would skip for want of one fails instead.
REQUIRE_TOOLS = os.environ.get("WORKBENCH_REQUIRE_LIVE") == "1"


def needs_tool(name: str) -> pytest.MarkDecorator:
    """Skip when the tool is missing locally; in CI, run anyway and fail loudly."""
    return pytest.mark.skipif(
        shutil.which(name) is None and not REQUIRE_TOOLS,
        reason=f"{name} is not installed (scripts/test.sh installs it)",
    )


def lab_from_text(text: str, name: str = "test.toml") -> Network:
    return build_network(parse_lab(text, name))


def run(net: Network, program, limit: float = 600.0):
    """Start a Program and step the virtual clock until it is done (or nothing is left)."""
    program.start()
    deadline = net.clock.now() + limit
    while not program.done:
        nxt = net.clock.next_time()
        if nxt is None or nxt > deadline:
            break
        net.clock.step()
    return program


def kinds(net: Network, kind: str, host: str | None = None) -> list:
    return [e for e in net.trace.events if e.kind == kind and (host is None or e.host == host)]


@pytest.fixture
def default_net() -> Network:
    return build_network(load_lab("default"))
