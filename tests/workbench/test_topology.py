"""The map's drawing (workbench.topology): buses, nodes with addresses, ports of any kind, and
a frame's path as far as the shown events tell."""

from __future__ import annotations

from ipaddress import IPv4Interface

from stack.labs import load_lab
from workbench.session import Session
from workbench.topology import Bus, Node, draw


def lines(text) -> list[str]:
    return [line.rstrip() for line in text.plain.split("\n")]


def test_default_lab_at_80_columns():
    session = Session.open(load_lab("default"))
    drawn = lines(draw(session.topology(), 78))
    assert all(len(line) <= 78 for line in drawn)
    lan = next(i for i, line in enumerate(drawn) if line.startswith("lan "))
    assert drawn[lan + 1].split() == ["192.168.1.0/24", "pc", "pc2", "pc3", "pc4", "pc5", "gw-a"]
    assert drawn[lan + 2].split() == [".100", ".101", ".102", ".103", ".104", ".1"]
    webnet = next(i for i, line in enumerate(drawn) if line.startswith("webnet "))
    assert drawn[webnet + 1].split() == ["172.194.72.0/24", "www", "gw-b"]
    assert drawn[webnet + 2].split() == ["172.194.72.105", "172.194.72.1"], "room: whole addresses"
    # a router sits on each of its segments
    assert sum("gw-b" in line for line in drawn) == 3


def test_a_narrow_map_wraps_a_long_bus():
    session = Session.open(load_lab("default"))
    drawn = lines(draw(session.topology(), 40))
    assert all(len(line) <= 40 for line in drawn)
    names = " ".join(drawn)
    for host in ("pc", "pc2", "pc5", "gw-a", "www", "dns"):
        assert f" {host} " in f" {names} "
    # the lan bus goes on below: its row ends with an arrow, and the next row is lan's again
    lan = [i for i, line in enumerate(drawn) if line.startswith("lan ")]
    assert len(lan) >= 2
    assert drawn[lan[0]].endswith("→") and drawn[lan[1]].split()[1].startswith("→")
    assert not drawn[lan[-1]].endswith("→")


def test_outside_ports_are_drawn_with_their_kind():
    """A TAP device or a VM's socket on a segment is a node like a host, marked by its kind."""
    bus = Bus(
        "lan",
        "192.168.1.0/24",
        (
            Node("pc eth0", "pc", IPv4Interface("192.168.1.100/24"), "host"),
            Node("wbtap0 tap", "wbtap0", None, "tap"),
            Node("vm1 qemu", "vm1", None, "qemu"),
        ),
    )
    drawn = lines(draw((bus,), 78))
    assert drawn[1].split()[1:] == ["pc", "wbtap0", "vm1"]
    assert "⇄tap" in drawn[2] and "⇄qemu" in drawn[2]


def test_a_frame_path_follows_the_shown_events():
    """Stepping one event at a time: frame 1 (pc's ARP request) first has no hearers, then
    one more with each n; the map marks pc ▲ and the hearers ▼ on lan only."""
    session = Session.open(load_lab("default"))
    session.run("pc: ping 192.168.1.1 -c 1")
    path = session.frame_path(1)
    assert (path.segment, path.sender, path.accepted) == ("lan", "pc eth0", ())
    session.step()
    assert len(session.frame_path(1).accepted) == 1
    while session.entries[-1].host != "gw-a":
        session.step()
    path = session.frame_path(1)
    assert "gw-a eth0" in path.accepted
    drawn = lines(draw(session.topology(), 78, path))
    assert drawn[0].startswith("#1 on lan from pc:")
    lan = next(i for i, line in enumerate(drawn) if line.startswith("lan "))
    assert drawn[lan].count("▲") == 1 and drawn[lan].count("▼") == 5
    transit = next(i for i, line in enumerate(drawn) if line.startswith("transit "))
    assert "▲" not in drawn[transit] and "▼" not in drawn[transit]


def test_a_frame_not_yet_shown_has_no_path():
    session = Session.open(load_lab("default"))
    session.run("pc: ping 192.168.1.1 -c 1")
    session.step()  # pc2 hears #1; gw-a's reply #2 is sent later in this instant
    assert session.frame_path(2) is None
