"""The events made once per frame (sent, received, forwarded) are filled in one step for speed;
they must still be the frozen dataclasses every reader of the trace knows: the same fields in
the same order, equal and hashed by value, immutable, copied and pickled like the others."""

import dataclasses
import inspect
import pickle
from ipaddress import IPv4Address

import pytest

from stack.events import Forwarded, FrameReceived, FrameSent

MADE = [
    (FrameSent, (0.5, "pc", (7,), "eth0", "lan", 64, b"\x00" * 60)),
    (FrameReceived, (0.5, "pc2", (7,), "eth0", False, "not for me", b"\x02" * 6, b"\x04" * 6)),
    (
        Forwarded,
        (
            0.5,
            "gw-a",
            (7,),
            IPv4Address("192.168.1.100"),
            IPv4Address("8.8.8.8"),
            64,
            "eth0",
            "eth1",
            "10.0.0.2",
        ),
    ),
]


@pytest.mark.parametrize("cls,args", MADE, ids=lambda v: getattr(v, "__name__", ""))
def test_a_per_frame_event_is_the_dataclass_it_declares(cls, args):
    names = [f.name for f in dataclasses.fields(cls)]
    assert list(inspect.signature(cls.__init__).parameters)[1:] == names
    event = cls(*args)
    by_keyword = cls(**dict(zip(names, args, strict=True)))
    assert [getattr(event, n) for n in names] == list(args)
    assert event == by_keyword and hash(event) == hash(by_keyword)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.host = "someone else"
    assert dataclasses.replace(event, host="x").host == "x"
    assert pickle.loads(pickle.dumps(event)) == event
    assert event.as_dict()["text"] == event.describe()


def test_defaults_still_apply():
    sent = FrameSent(0.0, "pc", (1,), "eth0", "lan", 64)
    assert sent.data == b""
    kept = FrameReceived(0.0, "pc", (1,), "eth0", True, "broadcast")
    assert (kept.dst, kept.mine) == (b"", b"")
    assert kept.describe() == "eth0 accepts #1: broadcast"


def test_events_kept_as_values_read_back_as_the_events_a_subscriber_gets():
    """With no subscriber the trace keeps a frame's sent, kept and forwarded events as tuples
    of their values; whoever reads `trace.events`, a frame's notes or the JSON must find the
    very events a subscriber was handed in a run with one."""
    from stack.labs import build_network, load_lab
    from workbench.shell import prepare, run_virtual

    story = ["pc: ping 8.8.8.8 -c 2", "pc: browse www.google.com", "pc: traceroute 8.8.8.8"]

    def run(subscribed: bool):
        net = build_network(load_lab("default"))
        heard = []
        if subscribed:
            net.trace.subscribe(heard.append)
        assert all(o.ok for o in run_virtual(net, [prepare(net, t) for t in story]))
        return net.trace, heard

    kept, _ = run(False)
    told, heard = run(True)
    compact = [e for e in kept.events._entries if type(e) is tuple]
    assert {e[0] for e in compact} == {"frame_sent", "frame_received", "forwarded"}
    assert not [e for e in told.events._entries if type(e) is tuple]
    events = list(kept.events)
    assert events == list(told.events)
    assert [type(e) for e in events] == [type(e) for e in told.events]
    assert [e.describe() for e in events] == [e.describe() for e in told.events]
    assert [e.as_dict() for e in events] == [e.as_dict() for e in told.events]
    assert events[5:40] == kept.events[5:40] == told.events[5:40]
    assert [kept.notes(f) for f in range(1, kept.count + 1)] == [
        told.notes(f) for f in range(1, told.count + 1)
    ]
