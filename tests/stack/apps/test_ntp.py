"""NTP in the lab: the codec against scapy's, the server a lab declares, and `ntp SERVER` as
ntpdate -q reports it (offset and delay from the four timestamps of RFC 5905 §8)."""

from __future__ import annotations

import pytest
from scapy.layers.ntp import NTPHeader

from stack.apps.events import NtpServerAnswered
from stack.labs import LabError, build_network, load_lab
from stack.labs.load import parse_lab
from stack.proto.frame import dissect_frame
from stack.proto.ntp import NTP, from_ntp, to_ntp
from stack.wire.errors import WireError
from workbench.shell import prepare, run_virtual

LAB = """
name = "time"

[segments.lan]
subnet = "10.0.0.0/24"

[hosts.client]
segment = "lan"
address = "10.0.0.10/24"

[hosts.clock]
segment = "lan"
address = "10.0.0.1/24"

[hosts.clock.services.ntp]
stratum = 1
refid = "GPS"
skew = 0.25
"""


def run(spec, *commands):
    net = build_network(spec)
    outcomes = run_virtual(net, [prepare(net, c) for c in commands])
    return net, outcomes


def test_codec_round_trips_and_scapy_reads_it():
    message = NTP(
        3,
        4,
        0,
        2,
        6,
        -20,
        0x10,
        0x20,
        b"GPS\0",
        to_ntp(1.5),
        to_ntp(2.25),
        to_ntp(3.0),
        to_ntp(4.75),
    )
    data = message.build()
    assert len(data) == 48 and NTP.parse(data) == message
    theirs = NTPHeader(data)
    assert (theirs.mode, theirs.version, theirs.stratum, theirs.poll) == (3, 4, 2, 6)
    assert abs(from_ntp(message.xmit_time) - 4.75) < 1e-6
    with pytest.raises(WireError, match="48-byte header"):
        NTP.parse(data[:47])


def test_ntp_reports_the_servers_skew_as_the_offset():
    net, (outcome,) = run(parse_lab(LAB, "time.toml"), "client: ntp 10.0.0.1")
    assert outcome.ok
    first = outcome.lines[0]
    assert first.startswith("server 10.0.0.1, stratum 1, offset +0.25")
    offset = float(first.split("offset ")[1].split(",")[0])
    assert abs(offset - 0.25) < 0.001
    assert any(isinstance(e, NtpServerAnswered) for e in net.trace.events)
    # the frames say the same in the model: a client request, a stratum-1 answer from GPS
    frames = [dissect_frame(r.data) for r in net.trace.frames]
    ntp = [f for f in frames if f.has("ntp")]
    assert [f.values("ntp.flags.mode") for f in ntp] == [(3,), (4,)]
    assert ntp[1].values("ntp.stratum") == (1,) and ntp[1].values("ntp.refid") == (b"GPS\0",)
    assert ntp[1].row().info == "NTP Version 4, server"


def test_ntp_to_a_host_without_a_server_says_so():
    _net, (outcome,) = run(parse_lab(LAB, "time.toml"), "clock: ntp 10.0.0.10")
    assert not outcome.ok
    assert outcome.lines[-1] == "ntp: 10.0.0.10: no NTP server there"


def test_default_lab_gateway_serves_time():
    _net, (outcome,) = run(load_lab("default"), "pc: ntp 192.168.1.1")
    assert outcome.ok and outcome.lines[0].startswith(
        "server 192.168.1.1, stratum 2, offset +0.0000"
    )


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("stratum = 0", "hosts.clock.services.ntp.stratum: 0 is outside 1–15"),
        (
            'stratum = 1\nrefid = "TOOLONG"',
            "a stratum-1 server names its source in up to 4 ASCII letters",
        ),
        ('stratum = 2\nrefid = "x"', "hosts.clock.services.ntp.refid"),
        ("jitter = 1", "hosts.clock.services.ntp"),
    ],
)
def test_mistakes_in_the_ntp_table_are_one_sentence(table, problem):
    text = (
        LAB.split("[hosts.clock.services.ntp]")[0] + "[hosts.clock.services.ntp]\n" + table + "\n"
    )
    with pytest.raises(LabError) as info:
        parse_lab(text, "time.toml")
    assert problem in str(info.value) and "\n" not in str(info.value)
