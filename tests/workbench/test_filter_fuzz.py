"""Whatever a person types at `/`: a filter or one sentence why not, never an exception; and a
filter that parses runs on any frame without raising."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from stack.proto.frame import dissect_frame
from stack.trace import FrameRecord
from workbench.dissect.filter import FIELDS, PROTOCOLS, FilterError, compile_filter, filter_error

A, B = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
FRAME_SEEDS = [
    bytes(Ether(src=A, dst=B) / ARP(hwsrc=A, psrc="10.0.0.1", pdst="10.0.0.2")),
    bytes(Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP() / b"ping"),
    bytes(
        Ether(src=A, dst=B)
        / IP(src="10.0.0.1", dst="8.8.8.8")
        / UDP(sport=4000, dport=53)
        / DNS(qd=DNSQR(qname="a.example"))
    ),
    bytes(
        Ether(src=A, dst=B)
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP()
        / DHCP(options=[("message-type", 1), "end"])
    ),
    bytes(
        Ether(src=A, dst=B)
        / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF")
        / UDP(sport=1, dport=53, len=3000)
        / bytes(40)
    ),
    bytes(Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.2", frag=100) / bytes(40)),
    bytes(
        Ether(src=A, dst=B)
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / TCP(sport=4000, dport=80, flags="PA")
        / b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
]

WORDS = [
    *PROTOCOLS,
    *FIELDS,
    "and",
    "or",
    "not",
    "in",
    "host",
    "port",
    "net",
    "src",
    "dst",
    "ether",
    "eq",
    "ne",
    "contains",
    "matches",
]
PIECES = WORDS + [
    "==",
    "!=",
    "<",
    ">=",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "{",
    "}",
    ",",
    "..",
    "=",
    '"',
    "~",
    "192.168.1.1",
    "10.0.0.0/8",
    "00:1b:21:3a:4f:64",
    "80",
    "0x1f",
    "-1",
    "99999999999",
    '"www"',
    "true",
    "1..5",
    "é",
    "\\",
]


def parses_or_says_why(text: str) -> None:
    error = filter_error(text)
    if error is None:
        if text.strip():
            compile_filter(text)
        return
    assert isinstance(error, str) and error
    assert "\n" not in error
    assert error.count(". ") == 0, f"more than one sentence: {error!r}"


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=60))
def test_any_text(text):
    parses_or_says_why(text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_filter_shaped_text(pieces):
    parses_or_says_why(" ".join(pieces))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=10), st.binary(max_size=80))
def test_filters_that_parse_run_on_any_bytes(pieces, data):
    try:
        display_filter = compile_filter(" ".join(pieces))
    except FilterError:
        return
    assert display_filter.matches(FrameRecord(1, 0.0, "lan", "pc", data)) in (True, False)


# The protocol model answers the filter, the packet list and -T fields: on any bytes, damaged
# frames and cut frames, under each link type (Ethernet, SLL, SLL2), it gives a row and
# fields, never an exception, and every field it places lies inside the frame.
def holds_up(data: bytes, link_type: int = 1) -> None:
    frame = dissect_frame(data, link_type)
    row = frame.row()
    assert isinstance(row.info, str) and row.protocol
    for name, values in frame.fields().items():
        assert values, name
    for layer in frame.all_layers():
        for item in layer.items():
            stack = [item]
            while stack:
                node = stack.pop()
                assert 0 <= node.start and node.start + node.size <= len(data), node.field.name
                node.label()
                stack.extend(node.children or ())


@settings(max_examples=800, deadline=None)
@given(st.binary(max_size=120), st.sampled_from([1, 113, 276]))
def test_the_model_holds_up_on_any_bytes(data, link_type):
    holds_up(data, link_type)


@settings(max_examples=800, deadline=None)
@given(st.sampled_from(FRAME_SEEDS), st.data())
def test_the_model_holds_up_on_damaged_frames(seed, draw):
    frame = bytearray(seed)
    for _ in range(draw.draw(st.integers(0, 4))):
        frame[draw.draw(st.integers(0, len(frame) - 1))] = draw.draw(st.integers(0, 255))
    holds_up(bytes(frame[: draw.draw(st.integers(0, len(frame)))]))
