"""Whatever a person types at `/`: a filter or one sentence why not, never an exception; and a
filter that parses runs on any frame without raising."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stack.trace import FrameRecord
from workbench.dissect.filter import FIELDS, PROTOCOLS, FilterError, compile_filter, filter_error

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
