"""Shared helpers for transport tests: the default lab on a virtual clock, and small labs."""

from __future__ import annotations

import pytest

from stack.labs import build_network, load_lab
from stack.labs.load import parse_lab


@pytest.fixture
def net():
    return build_network(load_lab("default"))


def small_lab(faults: str = "", extra: str = "", seed: int = 7) -> str:
    """Two hosts, `a` on segment `left` and `b` on `right`, with router `r` between them."""
    return f"""
name = "pair"
seed = {seed}

[segments.left]
subnet = "10.1.0.0/24"
{faults}

[segments.right]
subnet = "10.2.0.0/24"

[hosts.a]
segment = "left"
address = "10.1.0.10/24"
gateway = "10.1.0.1"

[hosts.b]
segment = "right"
address = "10.2.0.20/24"
gateway = "10.2.0.1"

[routers.r]
interfaces = [
  {{ name = "eth0", segment = "left", address = "10.1.0.1/24" }},
  {{ name = "eth1", segment = "right", address = "10.2.0.1/24" }},
]
{extra}
"""


@pytest.fixture
def pair():
    """A factory: `pair(faults=..., extra=...)` builds the two-host lab across router `r`."""

    def build(faults: str = "", extra: str = "", **kw):
        return build_network(parse_lab(small_lab(faults, extra), "pair.toml"), **kw)

    return build
