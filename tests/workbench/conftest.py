"""Captures the capture-screen tests open, made once per test run (struct, not scapy)."""

from __future__ import annotations

import pytest

from benchmarks.synthetic_capture import write_capture


@pytest.fixture(scope="session")
def small_capture(tmp_path_factory):
    """1,500 frames of DNS, HTTP over TCP, ping and ARP (classic pcap)."""
    path = tmp_path_factory.mktemp("capture") / "small.pcap"
    write_capture(str(path), 1_500)
    return path


@pytest.fixture(scope="session")
def big_capture(tmp_path_factory):
    """A million frames of the same (184 MB), for the first screen and background work."""
    path = tmp_path_factory.mktemp("capture") / "million.pcap"
    write_capture(str(path), 1_000_000)
    return path
