"""The text writer formats a frame's sent, kept and forwarded events from the values the trace
keeps them as (no event object made for it); its lines must be the very lines the events'
own sentences give, hops, drops on a bus and hidden kinds included."""

import io
from ipaddress import IPv4Address

from stack.apps.ping import Ping
from stack.labs import build_network, load_lab
from stack.writers.text import TextWriter
from tests.conftest import run

WWW = IPv4Address("172.194.72.105")


def _lines(describe, hide=frozenset()) -> tuple[str, list]:
    net = build_network(load_lab("default"))
    out = io.StringIO()
    net.trace.subscribe(TextWriter(out, describe=describe, hide=hide))
    run(net, Ping(net.host("pc"), IPv4Address("8.8.8.8"), count=2))
    pc, www = net.host("pc"), net.host("www")
    www.tcp.listen(5001, lambda conn: None)
    conn = pc.tcp.connect((WWW, 5001))
    conn.on_connected = lambda: (conn.send(b"x" * 5000), conn.close())
    net.clock.run_until(net.clock.now() + 2)
    return out.getvalue(), net.trace.events


def test_lines_from_values_are_the_events_own_sentences():
    from_values, _ = _lines(None)
    from_objects, _ = _lines(lambda event: event.describe())
    assert "forwards 192.168.1.100 → 172.194.72.105" in from_values
    assert "Len=1460" in from_values and "drops #" in from_values
    assert from_values == from_objects


def test_hidden_kinds_stay_hidden():
    hide = frozenset({"frame_sent", "forwarded"})
    text, _ = _lines(None, hide)
    assert " sends #" not in text and " forwards " not in text
    assert text == _lines(lambda event: event.describe(), hide)[0]
