"""TAP devices' lives: created ones vanish when we are done, existing ones are left exactly as
they were found, and every refusal is one sentence (a TapError)."""

from __future__ import annotations

import asyncio

import pytest

from stack.labs import build_network, load_lab
from stack.labs.build import attach_taps, with_taps
from stack.link import tap_device
from stack.link.tap import TapDevice, TapError
from tests.live.conftest import unique

pytestmark = pytest.mark.live


def test_created_device_lives_in_the_namespace_and_is_removed_on_close(netns):
    name = unique("wbc")
    device = TapDevice.open(name, netns=netns.name, mtu=1500)
    try:
        assert device.created
        link = netns.link(name)
        assert link is not None and "UP" in link["flags"] and link["mtu"] == 1500
        assert link["linkinfo"]["info_kind"] == "tun"
        assert device.mac == link["address"]
    finally:
        assert device.close() is True
    assert netns.link(name) is None


def test_existing_tap_is_attached_and_left_as_it_was(netns):
    name = unique("wbp")
    netns.ip("tuntap", "add", "dev", name, "mode", "tap")
    netns.ip("addr", "add", "192.168.1.60/24", "dev", name)
    before = netns.link(name)
    assert "UP" not in before["flags"]
    device = TapDevice.open(name, netns=netns.name)
    try:
        assert not device.created
        assert "UP" in netns.link(name)["flags"]  # brought up to carry traffic…
    finally:
        assert device.close() is False
    after = netns.link(name)
    assert after is not None and "UP" not in after["flags"]  # …and put back down
    assert after["address"] == before["address"] and after["mtu"] == before["mtu"]
    assert "192.168.1.60" in netns.ip("-br", "addr", "show", "dev", name).stdout


def test_a_device_that_took_the_name_meanwhile_is_left_alone(netns):
    """We attached to a down TAP device (so we would put it back down on exit); it was deleted
    from outside and another device took its name: that one is not ours to set down."""
    name = unique("wbp")
    netns.ip("tuntap", "add", "dev", name, "mode", "tap")
    device = TapDevice.open(name, netns=netns.name)
    try:
        ours = netns.link(name)["ifindex"]
        netns.ip("link", "del", name)
        netns.ip("tuntap", "add", "dev", name, "mode", "tap")  # someone else's, same name
        netns.ip("link", "set", name, "up")
    finally:
        device.close()
    after = netns.link(name)
    assert after is not None and after["ifindex"] != ours
    assert "UP" in after["flags"]


def test_a_device_deleted_while_it_is_being_brought_up_is_one_sentence(netns, monkeypatch):
    """The device exists from TUNSETIFF on, and someone can delete it before we bring it up (a
    test's cleanup, a script racing us): the open fails with one sentence, not an IndexError."""
    name = unique("wbv")
    real = tap_device._tunsetiff

    def deleted_right_after(*args, **kwargs):
        fd = real(*args, **kwargs)
        netns.ip("link", "del", name)
        return fd

    monkeypatch.setattr(tap_device, "_tunsetiff", deleted_right_after)
    with pytest.raises(TapError) as caught:
        TapDevice.open(name, netns=netns.name, mtu=1500)
    assert str(caught.value) == f"TAP device {name} was deleted while it was being brought up"
    assert netns.link(name) is None


def test_existing_up_tap_stays_up(netns):
    name = unique("wbp")
    netns.ip("tuntap", "add", "dev", name, "mode", "tap")
    netns.ip("link", "set", name, "up")
    TapDevice.open(name, netns=netns.name).close()
    assert "UP" in netns.link(name)["flags"]


@pytest.mark.parametrize(
    "make, words",
    [
        (None, "lo already exists and is a network device, not a TAP device"),
        (
            ("link", "add", "NAME", "type", "veth", "peer", "name", "NAMEp"),
            "already exists and is a veth device, not a TAP device",
        ),
        (("tuntap", "add", "dev", "NAME", "mode", "tun"), "is a TUN device"),
    ],
    ids=["loopback", "veth", "tun"],
)
def test_a_name_that_is_not_a_tap_device_is_refused_in_one_sentence(netns, make, words):
    name = "lo"
    if make is not None:
        name = unique("wbn")
        netns.ip(*[a.replace("NAME", name) for a in make])
    with pytest.raises(TapError) as caught:
        TapDevice.open(name, netns=netns.name)
    message = str(caught.value)
    assert words in message
    assert message.count(". ") == 0 and "\n" not in message
    if make is not None:
        assert netns.link(name) is not None  # untouched


def test_a_tap_in_use_is_refused(tap):
    with pytest.raises(TapError, match="already in use by another program"):
        TapDevice.open(tap.name, netns=tap.ns.name)


def test_bad_names_are_refused_before_anything_happens():
    for bad in ("", "x" * 16, "a/b", "two words"):
        with pytest.raises(TapError, match="not a usable interface name"):
            TapDevice.open(bad)


async def test_attach_taps_opens_every_tap_segment_and_closes_them_all(netns):
    from stack.clock import RealtimeClock
    from stack.trace import Trace

    lan, web = unique("wbl"), unique("wbw")
    spec = with_taps(load_lab("default"), {"lan": lan, "webnet": web})
    clock = RealtimeClock(asyncio.get_running_loop())
    net = build_network(spec, clock, Trace(clock), live=True)
    taps = attach_taps(net, netns=netns.name)
    try:
        assert {p.device.name for p in taps} == {lan, web}
        assert netns.link(lan) and netns.link(web)
        kinds = [e.kind for e in net.trace.events]
        assert kinds.count("tap_attached") == 2
    finally:
        taps.close()
    assert netns.link(lan) is None and netns.link(web) is None
    assert [e.kind for e in net.trace.events].count("tap_detached") == 2
    assert len(net.segments["lan"].ports) == 6  # pc…pc5 and gw-a; the TAP port is unplugged


async def test_attach_taps_cleans_up_what_it_opened_when_a_later_one_fails(netns):
    from stack.clock import RealtimeClock
    from stack.trace import Trace

    first = unique("wbf")
    spec = with_taps(load_lab("default"), {"lan": first, "webnet": "lo"})
    clock = RealtimeClock(asyncio.get_running_loop())
    net = build_network(spec, clock, Trace(clock), live=True)
    with pytest.raises(TapError, match="lo already exists"):
        attach_taps(net, netns=netns.name)
    assert netns.link(first) is None


def test_attach_taps_wants_the_real_time_clock():
    net = build_network(with_taps(load_lab("default"), {"lan": "wbnever0"}))
    with pytest.raises(TapError, match="RealtimeClock"):
        attach_taps(net)
