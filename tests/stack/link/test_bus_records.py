"""One record per frame on a bus: the NICs a unicast frame is not for are one `FramesFiltered`
record, and reading it gives back exactly what each NIC used to say for itself."""

import io
import json

import pytest

from stack.events import FrameReceived, FramesFiltered
from stack.labs import build_network, load_lab
from stack.link.segment import Segment
from stack.writers.jsonl import JsonlWriter
from stack.writers.text import TextWriter
from tests.conftest import lab_from_text
from workbench.shell import prepare, run_virtual

STORY = [
    "pc: ping 192.168.1.101 -c 2",
    "pc: browse http://www.google.com/",
    "pc: ping 172.194.72.105 -s 4972 -c 1",
]


def _story(coalesce: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(Segment, "coalesce", coalesce)
    net = build_network(load_lab("default"))
    text, jsonl = io.StringIO(), io.StringIO()
    net.trace.subscribe(TextWriter(text))
    net.trace.subscribe(JsonlWriter(jsonl, net.trace))
    outcomes = run_virtual(net, [prepare(net, t) for t in STORY])
    assert all(o.ok for o in outcomes)
    counters = {
        (h.name, i.name): i.nic.counters for h in net.hosts.values() for i in h.interfaces.values()
    }
    return net, text.getvalue(), jsonl.getvalue(), counters


def test_expanded_bus_records_read_exactly_as_every_nic_speaking_for_itself(monkeypatch):
    old_net, old_text, old_jsonl, old_counters = _story(False, monkeypatch)
    new_net, new_text, new_jsonl, new_counters = _story(True, monkeypatch)
    # The text trace, the JSON Lines and the event list are the same, line for line ...
    assert new_text == old_text
    assert new_jsonl == old_jsonl
    assert [e.describe() for e in new_net.trace.events] == [
        e.describe() for e in old_net.trace.events
    ]
    assert "pc3      eth0 drops" in new_text and "not for me (destination" in new_text
    # ... and so are the counters a person reads in the hosts pane and ifconfig.
    assert new_counters == old_counters
    assert new_counters[("pc3", "eth0")].rx_filtered > 0
    # But the new run made far fewer objects: the drops are a handful of records.
    records = new_net.trace.events.records()
    old_drops = sum(
        1 for e in old_net.trace.events.records() if isinstance(e, FrameReceived) and not e.accepted
    )
    new_drops = sum(1 for e in records if isinstance(e, FramesFiltered))
    assert old_drops > 2 * new_drops


def _bus_lab(hosts: int) -> str:
    text = '[segments.lan]\nsubnet = "10.0.0.0/16"\n'
    for i in range(hosts):
        text += f'[hosts.h{i}]\nsegment = "lan"\naddress = "10.0.{i // 250}.{i % 250 + 1}/16"\n'
    return text


@pytest.mark.parametrize("hosts", [5, 50])
def test_a_unicast_frame_on_a_bus_costs_the_same_records_with_5_or_50_nics(hosts):
    net = lab_from_text(_bus_lab(hosts))
    run_virtual(net, [prepare(net, "h0: ping 10.0.0.2 -c 3")])
    records = net.trace.events.records()
    unicast = [e for e in records if e.kind == "frame_sent"][
        2:
    ]  # after the ARP broadcast and its reply
    filtered = [
        e for e in records if isinstance(e, FramesFiltered) and e.frames[0] >= unicast[0].frames[0]
    ]
    # At most two runs of silent NICs per frame (before and after the addressee) ...
    assert len(filtered) <= 2 * len(unicast)
    # ... and each still says, when read, that every other NIC read the header and dropped it.
    frame = unicast[0].frames[0]
    rows = [e for e in net.trace.events if isinstance(e, FrameReceived) and e.frames == (frame,)]
    assert len(rows) == hosts - 1
    assert sum(not r.accepted for r in rows) == hosts - 2
    assert json.loads(json.dumps(rows[-1].as_dict()))["reason"] in ("not for me", "addressed to me")


def test_a_promiscuous_nic_reads_every_frame_itself():
    net = lab_from_text(_bus_lab(4))
    net.host("h3").primary.nic.promiscuous = True
    run_virtual(net, [prepare(net, "h0: ping 10.0.0.2 -c 1")])
    verdicts = [
        e.reason for e in net.trace.events if isinstance(e, FrameReceived) and e.host == "h3"
    ]
    assert "promiscuous" in verdicts and "not for me" not in verdicts
