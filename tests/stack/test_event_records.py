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
