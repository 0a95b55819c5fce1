"""HTTP codec: exact bytes, round trips, stream framing, chunked coding, oracles, malformed input.

Oracles: Python's own `http.client` reads our responses (Content-Length, chunked, close), and
scapy's HTTP layer reads our start lines and well-known headers.
"""

from __future__ import annotations

import dataclasses
import http.client
import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.http import HTTP
from scapy.layers.http import HTTPRequest as ScapyRequest
from scapy.layers.http import HTTPResponse as ScapyResponse

from stack.wire import http as wire_http
from stack.wire.errors import WireError
from stack.wire.http import (
    HTTPRequest,
    HTTPResponse,
    chunk_decode,
    chunk_encode,
    message_length,
    parse,
)

FAST = settings(max_examples=200, deadline=None)


def stdlib_read(raw: bytes, method: str = "GET") -> tuple[int, str, list[tuple[str, str]], bytes]:
    """Python's http.client reading a response from a socket that holds `raw`, then closes."""

    class Sock:
        def makefile(self, mode):
            return io.BytesIO(raw)

    response = http.client.HTTPResponse(Sock(), method=method)  # type: ignore[arg-type]
    response.begin()
    return response.status, response.reason, response.getheaders(), response.read()


# --- exact bytes ----------------------------------------------------------------------------


def test_request_make_builds_the_expected_bytes():
    request = HTTPRequest.make("GET", "/", host="www.google.com", headers=[("Accept", "*/*")])
    assert request.build() == b"GET / HTTP/1.1\r\nHost: www.google.com\r\nAccept: */*\r\n\r\n"
    post = HTTPRequest.make("POST", "/form", host="h", content=b"a=1")
    assert post.build() == b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na=1"
    empty_post = HTTPRequest.make("POST", "/", host="h")
    assert empty_post.header("content-length") == "0"


def test_response_make_builds_the_expected_bytes():
    response = HTTPResponse.make(200, b"hello", headers=[("Content-Type", "text/plain")])
    assert (
        response.build()
        == b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    )
    assert HTTPResponse.make(204).build() == b"HTTP/1.1 204 No Content\r\n\r\n"
    assert (
        HTTPResponse.make(404, b"", reason="Nope").build()
        == b"HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n"
    )
    chunked = HTTPResponse.make(200, b"hello world", chunked=True)
    assert (
        chunked.build()
        == b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n"
    )
    assert chunked.content == b"hello world" and chunked.chunked


def test_the_seed_request_is_4960_bytes():
    """The seed's HTTP message: one request of 4,960 bytes (a 5,000-byte IP packet with TCP and IP headers)."""
    head = HTTPRequest.make("POST", "/", host="www.google.com", content=b"").head()
    body = b"x" * (4960 - len(head) - len(str(4960 - len(head))) + 1)
    request = HTTPRequest.make("POST", "/", host="www.google.com", content=body)
    assert len(request.build()) == 4960 and parse(request.build()) == request


# --- parsing ----------------------------------------------------------------------------------


def test_parse_request_fields_and_lookup():
    raw = b"GET /search?q=dns HTTP/1.1\r\nHost: www.google.com\r\nX-Twice: a\r\nx-twice: b\r\n\r\n"
    m = parse(raw)
    assert isinstance(m, HTTPRequest)
    assert (m.method, m.target, m.version, m.body) == ("GET", "/search?q=dns", "HTTP/1.1", b"")
    assert m.headers == (("Host", "www.google.com"), ("X-Twice", "a"), ("x-twice", "b"))
    assert m.header("HOST") == "www.google.com" and m.header_values("X-TWICE") == ("a", "b")
    assert m.header("missing") is None and m.keep_alive
    assert HTTPRequest.parse(raw) == m
    with pytest.raises(WireError, match="request, not a response"):
        HTTPResponse.parse(raw)


def test_parsed_values_keep_their_bytes_and_equal_canonical_ones():
    raw = b"HTTP/1.0 200 OK\nServer:odd  \nContent-Length:  2\n\nhi"
    m = HTTPResponse.parse(raw)
    assert m.headers == (("Server", "odd"), ("Content-Length", "2")) and m.body == b"hi"
    assert m.build() == raw
    canonical = dataclasses.replace(m)
    assert (
        canonical == m
        and canonical.build() == b"HTTP/1.0 200 OK\r\nServer: odd\r\nContent-Length: 2\r\n\r\nhi"
    )
    assert not m.keep_alive


def test_scapy_reads_our_start_lines_and_headers():
    request = HTTPRequest.make(
        "GET", "/index.html", host="www.google.com", headers=[("User-Agent", "workbench/0.1")]
    )
    theirs = HTTP(request.build())[ScapyRequest]
    assert (theirs.Method, theirs.Path, theirs.Http_Version) == (
        b"GET",
        b"/index.html",
        b"HTTP/1.1",
    )
    assert (theirs.Host, theirs.User_Agent) == (b"www.google.com", b"workbench/0.1")
    response = HTTPResponse.make(404, b"not here", headers=[("Content-Type", "text/plain")])
    theirs = HTTP(response.build())[ScapyResponse]
    assert (theirs.Http_Version, theirs.Status_Code, theirs.Reason_Phrase) == (
        b"HTTP/1.1",
        b"404",
        b"Not Found",
    )
    assert (theirs.Content_Type, theirs.Content_Length) == (b"text/plain", b"8")


@pytest.mark.parametrize("chunked", [False, True])
def test_python_http_client_reads_our_responses(chunked):
    content = bytes(range(256)) * 20
    response = HTTPResponse.make(
        200, content, headers=[("Content-Type", "application/octet-stream")], chunked=chunked
    )
    status, reason, headers, body = stdlib_read(response.build())
    assert (status, reason, body) == (200, "OK", content)
    assert headers == list(response.headers)


def test_python_http_client_reads_many_small_chunks():
    content = b"abcdefghij" * 100
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk_encode(content, 7)
    assert stdlib_read(raw)[3] == content == parse(raw).content


# --- round trips ------------------------------------------------------------------------------

tokens = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    min_size=1,
    max_size=12,
)
targets = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30
)
values = st.text(
    alphabet=st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=30
).map(lambda v: v.strip(" \t"))
headers = st.lists(
    st.tuples(
        tokens.filter(lambda t: t.lower() not in ("content-length", "transfer-encoding")), values
    ),
    max_size=5,
)


@st.composite
def requests(draw) -> HTTPRequest:
    return HTTPRequest.make(
        draw(tokens),
        draw(targets),
        headers=draw(headers),
        content=draw(st.binary(max_size=200)),
        chunked=draw(st.booleans()),
        version=draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0"])),
    )


@st.composite
def responses(draw) -> HTTPResponse:
    return HTTPResponse.make(
        draw(st.integers(200, 599).filter(lambda s: s not in (204, 304))),
        draw(st.binary(max_size=200)),
        headers=draw(headers),
        reason=draw(st.none() | values),
        chunked=draw(st.booleans()),
    )


@FAST
@given(st.one_of(requests(), responses()))
def test_round_trip(m):
    raw = m.build()
    again = parse(raw)
    assert again == m and again.build() == raw
    assert message_length(raw) == len(raw)
    assert again.content == (chunk_decode(m.body) if m.chunked else m.body)


@FAST
@given(st.lists(st.one_of(requests(), responses()), min_size=1, max_size=3), st.data())
def test_framing_a_stream_byte_by_byte(messages, data):
    """Split a stream of messages anywhere: message_length is None until the first is all there."""
    stream = b"".join(m.build() for m in messages)
    first = len(messages[0].build())
    cut = data.draw(st.integers(0, len(stream)))
    got = message_length(stream[:cut])
    assert got == (first if cut >= first else None)
    # Framing message after message gets them all back.
    rest, out = stream, []
    while rest:
        size = message_length(rest)
        out.append(parse(rest[:size]))
        rest = rest[size:]
    assert out == messages


@FAST
@given(st.binary(max_size=300), st.integers(1, 40))
def test_chunk_coding_round_trip(content, size):
    assert chunk_decode(chunk_encode(content, size)) == content
    assert chunk_decode(chunk_encode(content)) == content


# --- framing rules (RFC 9112 §6.3) -----------------------------------------------------------


def test_bodyless_responses():
    head_reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
    assert message_length(head_reply, request_method="HEAD") == len(head_reply)
    assert message_length(head_reply) is None
    for status in (b"100 Continue", b"204 No Content", b"304 Not Modified"):
        raw = b"HTTP/1.1 " + status + b"\r\nContent-Length: 5\r\n\r\n"
        assert message_length(raw + b"HTTP/1.1 200 OK\r\n") == len(raw)


def test_response_until_close():
    raw = b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of this is body"
    assert message_length(raw) is None and message_length(raw, at_eof=True) == len(raw)
    assert parse(raw).body == b"all of this is body"
    assert stdlib_read(raw)[3] == b"all of this is body"
    gz = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz"
    assert message_length(gz) is None and message_length(gz, at_eof=True) == len(gz)


def test_chunked_with_extensions_and_trailers():
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4;name=v\r\nwiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n"
    m = parse(raw)
    assert m.content == b"wikipedia" and message_length(raw + b"GET") == len(raw)
    assert m.build() == raw


def test_content_length_rules():
    same = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc"
    assert parse(same).body == b"abc"
    for bad in (b"3, 4", b"-1", b"0x10", b"", b"\xb3"):
        raw = b"POST / HTTP/1.1\r\nContent-Length: " + bad + b"\r\n\r\n"
        with pytest.raises(WireError) as info:
            message_length(raw)
        assert info.value.field in ("content-length", "header")
    with pytest.raises(WireError, match="without chunked"):
        message_length(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")
    request_no_length = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    assert message_length(request_no_length + b"extra") == len(request_no_length)


def test_parse_wants_exactly_one_message():
    one = HTTPRequest.make("GET", "/", host="h").build()
    with pytest.raises(WireError, match="says 0 bytes of body, 3 are here"):
        parse(one + b"GET")
    with pytest.raises(WireError, match="no blank line"):
        parse(one[:-2])
    chunked = HTTPResponse.make(200, b"abc", chunked=True).build()
    with pytest.raises(WireError, match="before its last chunk"):
        parse(chunked[:-3])
    with pytest.raises(WireError, match="follow the end"):
        parse(chunked + b"x")


def test_parse_partial_and_helpers_for_one_segment():
    response = HTTPResponse.make(200, b"z" * 3000)
    segment = response.build()[:1460]
    assert message_length(segment) is None and wire_http.head_complete(segment)
    partial = wire_http.parse_partial(segment)
    assert partial.status == 200 and response.body.startswith(partial.body)
    assert wire_http.expected_length(segment) == len(response.build())
    assert wire_http.looks_like_http(segment) and wire_http.looks_like_http(b"GET / HTTP/1.1")
    assert not wire_http.looks_like_http(b"\x16\x03\x01") and not wire_http.looks_like_http(b"zzz")
    assert wire_http.head_length(b"GET / HTTP/1.1\r\n") is None


def test_content_of_a_partial_chunked_body_is_the_data_that_is_here():
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nwor"
    partial = wire_http.parse_partial(raw)
    assert partial.content == b"hellowor"


def test_connection_header():
    assert not parse(b"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n").keep_alive
    assert parse(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive


# --- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"GET /\r\n\r\n", "request_line"),
        (b"GET  / HTTP/1.1\r\n\r\n", "request_line"),
        (b"G(T / HTTP/1.1\r\n\r\n", "method"),
        (b"GET /\xff HTTP/1.1\r\n\r\n", "target"),
        (b"GET / HTTP/1\r\n\r\n", "version"),
        (b"HTTP/1.1 20 OK\r\n\r\n", "status"),
        (b"HTTP/1.1 099 Low\r\n\r\n", "status"),
        (b"HTTP/1.1 200 O\x01K\r\n\r\n", "reason"),
        (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "header"),
        (b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", "header"),
        (b"GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n", "header"),
        (b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n", "header"),
        (b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "header"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "body"),
    ],
)
def test_malformed(raw, field):
    with pytest.raises(WireError) as info:
        parse(raw)
    assert (info.value.layer, info.value.field) == ("http", field)


def test_header_error_offset_points_at_the_line():
    with pytest.raises(WireError) as info:
        parse(b"GET / HTTP/1.1\r\nHost: h\r\nBad\r\n\r\n")
    assert info.value.offset == 25


def test_obs_fold_is_named():
    with pytest.raises(WireError, match="folding"):
        parse(b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n")


def test_head_without_end_is_bounded():
    with pytest.raises(WireError, match="no blank line"):
        message_length(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 20000)


def test_building_refuses_header_injection():
    with pytest.raises(WireError):
        HTTPRequest("GET", "/", headers=(("X", "a\r\nEvil: 1"),)).build()
    with pytest.raises(WireError):
        HTTPRequest("GET", "/a b").build()
    with pytest.raises(WireError):
        HTTPResponse("HTTP/1.1", 42, "x").build()


def test_constructor_strips_value_whitespace():
    assert HTTPRequest("GET", "/", headers=[("A", "  b ")]) == HTTPRequest(
        "GET", "/", headers=(("A", "b"),)
    )


SAMPLES = [
    HTTPRequest.make("POST", "/submit", host="www.google.com", content=b"k=v&x=y").build(),
    HTTPResponse.make(
        200, b"<html>" * 10, headers=[("Content-Type", "text/html")], chunked=True
    ).build(),
]


@pytest.mark.parametrize("raw", SAMPLES)
def test_every_truncation_only_raises_wire_error(raw):
    for size in range(len(raw)):
        _everything(raw[:size])


@FAST
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=5),
)
def test_corrupted_messages_only_raise_wire_error(raw, flips):
    buf = bytearray(raw)
    for where, value in flips:
        buf[where % len(buf)] = value
    _everything(bytes(buf))


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_wire_error(data):
    _everything(data)
    _everything(b"GET / HTTP/1.1\r\n" + data)
    _everything(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + data)


def _everything(data: bytes) -> None:
    for call in (
        parse,
        message_length,
        wire_http.parse_partial,
        wire_http.expected_length,
        chunk_decode,
    ):
        try:
            result = call(data)
        except WireError:
            continue
        if isinstance(result, (HTTPRequest, HTTPResponse)):
            result.content  # noqa: B018
            result.keep_alive  # noqa: B018
            assert result.build() == data or call is not parse


def test_message_length_resumed_over_a_growing_chunked_body_answers_as_from_the_start():
    """With `progress`, each call walks only the chunks that arrived since the last one; at
    every prefix of the stream the answer (or the error) is the one a walk from the start gives."""
    from stack.wire.errors import WireError
    from stack.wire.http import chunk_encode, message_length

    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = [chunk_encode(bytes([65 + i % 26]) * (i % 300))[:-5] for i in range(1, 60)]
    good = head + b"".join(chunks) + b"0\r\n\r\n"
    # The 21st chunk-size line is not hexadecimal.
    bad = head + b"".join(chunks[:20]) + b"zz\r\n" + b"".join(chunks[20:]) + b"0\r\n\r\n"

    def outcome(data, progress=None):
        try:
            return message_length(data, request_method="GET", progress=progress)
        except WireError as err:
            return f"error: {err}"

    for stream in (good + b"HTTP/1.1 204", bad):
        progress = [0]
        outcomes = []
        for cut in range(0, len(stream) + 1, 7):
            outcomes.append((outcome(stream[:cut], progress), outcome(stream[:cut])))
        assert all(resumed == whole for resumed, whole in outcomes)
        assert progress[0] > len(head)  # it did resume
    assert "chunk size b'zz' is not hexadecimal" in outcome(bad)
    assert outcome(good + b"HTTP/1.1 204") == len(good)


# --- the CRLF head's shortcut reads as the line-by-line path does ------------------------------

_START_LINES = [
    "GET / HTTP/1.1",
    "GET  / HTTP/1.1",
    "GET / HTTP/1.1 ",
    "G@T / HTTP/1.1",
    "GET /\x7f HTTP/1.1",
    "GET / HTTP/11",
    "HTTP/1.1 200 OK",
    "HTTP/1.1 200",
    "HTTP/1.1 200 ",
    "HTTP/1.1 200 Not\tFound \xe9",
    "HTTP/1.1 200\tOK",
    "HTTP/1.1 099 Low",
    "HTTP/1.1 2000 OK",
    "HTTP/1.1 200 O\x01K",
    "HTTP/x.1 200 OK",
    "",
]
_FIELD_LINES = [
    "Host: www.google.com",
    "Host:www.google.com",
    "Content-Length: 0",
    "Content-Length:  0 \t ",
    "X-Empty:",
    "X-Empty: \t ",
    "X-Inner:  a  \t b ",
    "X-Latin: caf\xe9",
    "Host : x",
    " Host: folded",
    "\tfolded",
    "NoColon",
    ":novalue",
    "X-Ctl: a\x01b",
    "X-Del: a\x7fb",
    "X-Cr: a\rb",
    "",
]


def _no_shortcut(patched) -> None:
    """No head read by the CRLF shortcut, nor found among the heads it remembers."""
    patched.setattr(wire_http, "_CRLF_START", __import__("re").compile("(?!)"))
    patched.setattr(wire_http, "_known_head", lambda raw: None)


def _general_parse(monkeypatch, raw: bytes):
    """`parse` with the CRLF shortcut never taken: the line-by-line path alone."""
    with monkeypatch.context() as patched:
        _no_shortcut(patched)
        return _outcome(raw)


def _outcome(raw: bytes):
    try:
        message = parse(raw)
    except WireError as err:
        return ("error", str(err))
    return (type(message), message, message.headers, message.build(), message.__dict__)


@FAST
@given(
    st.sampled_from(_START_LINES),
    st.lists(
        st.tuples(st.sampled_from(["\r\n", "\r\n", "\r\n", "\n"]), st.sampled_from(_FIELD_LINES)),
        max_size=6,
    ),
    st.sampled_from(["\r\n\r\n", "\n\r\n", "\r\n\n", "\n\n"]),
)
def test_crlf_head_shortcut_reads_as_the_line_by_line_path(start, fields, end):
    """Any head, CRLF or not, well formed or not: the same message (fields, values stripped,
    bytes kept) or the same error as the general path. Fails if the shortcut takes a head the
    general path reads otherwise."""
    text = start + "".join(sep + line for sep, line in fields) + end
    raw = text.encode("latin-1")
    monkeypatch = pytest.MonkeyPatch()
    try:
        assert _outcome(raw) == _general_parse(monkeypatch, raw)
    finally:
        monkeypatch.undo()


def test_crlf_head_shortcut_is_taken_for_an_ordinary_head(monkeypatch):
    monkeypatch.setattr(wire_http, "_known_head", lambda raw: None)
    raw = b"HTTP/1.1 200 OK\r\nContent-Type:  text/html \t\r\nContent-Length: 2\r\n\r\nhi"
    calls = []
    real = wire_http._CRLF_FIELD
    monkeypatch.setattr(
        wire_http,
        "_CRLF_FIELD",
        type("Spy", (), {"findall": lambda self, *a: calls.append(a) or real.findall(*a)})(),
    )
    message = parse(raw)
    assert calls and message.headers == (("Content-Type", "text/html"), ("Content-Length", "2"))


_FRAMING_LINES = [
    "Content-Length: 2",
    "content-length:2",
    "Content-Length: 3",
    "Content-Length: 02",
    "Content-Length: 2, 2",
    "Content-Length: \xb2",
    "Content-Length: 2 ",
    "Content-Length: x",
    "Transfer-Encoding: chunked",
    "Transfer-Encoding: 2",
    "X-Length: 2",
]


def _whole_outcome(raw: bytes, request_method):
    try:
        message = parse(raw, request_method=request_method)
    except WireError as err:
        return ("error", str(err))
    return (type(message), message, message.body, message.build(), message.__dict__)


@FAST
@given(
    st.sampled_from(_START_LINES[:3] + _START_LINES[6:10] + ["HTTP/1.1 204 No Content"]),
    st.lists(
        st.tuples(
            st.sampled_from(["\r\n", "\r\n", "\r\n", "\n"]),
            st.sampled_from(_FIELD_LINES + _FRAMING_LINES * 2),
        ),
        max_size=5,
    ),
    st.sampled_from(["\r\n\r\n", "\r\n\r\n", "\n\r\n", "\r\n\n"]),
    st.sampled_from([b"", b"hi", b"hi!", b"2\r\nhi\r\n0\r\n\r\n", b"\r\n\r\nhi"]),
    st.sampled_from([None, None, "GET", "HEAD", "CONNECT"]),
)
def test_whole_message_shortcut_reads_as_the_general_path(start, fields, end, body, method):
    """Whole messages, heads and bodies of every framing, read by `parse` as with no shortcut
    at all: the same message, body and bytes, or the same error. Fails if the shortcut takes a
    trailing space, a bare LF, a second or odd Content-Length, a chunked body or a body of
    the wrong length otherwise than the general path."""
    text = start + "".join(sep + line for sep, line in fields) + end
    raw = text.encode("latin-1") + body
    with pytest.MonkeyPatch().context() as patched:
        _no_shortcut(patched)
        general = _whole_outcome(raw, method)
    assert _whole_outcome(raw, method) == general
    assert _whole_outcome(raw, method) == general  # the head remembered, if the shortcut took it


def test_whole_message_shortcut_reads_as_the_general_path_for_each_line_and_pair():
    """Every start line with each field line, or each pair of them (the second after a CRLF or
    a bare LF), and every body: as above, exhaustively (a random draw rarely meets one odd line
    among so many)."""
    starts = _START_LINES[:3] + _START_LINES[6:10] + ["HTTP/1.1 204 No Content"]
    lines = _FIELD_LINES + _FRAMING_LINES
    bodies = [b"", b"hi", b"hi!", b"2\r\nhi\r\n0\r\n\r\n"]
    cases = [
        (start, (line,), end, body, method)
        for start in starts
        for line in lines
        for end in ("\r\n\r\n", "\n\r\n", "\r\n\n")
        for body in bodies
        for method in (None, "HEAD", "CONNECT")
    ] + [
        (start, (first, sep + second), "\r\n\r\n", body, None)
        for start in starts[::3]
        for first, second in itertools.product(lines, repeat=2)
        for sep in ("", "\n")
        for body in bodies[1:3]
    ]
    wrong = []
    for start, fields, end, body, method in cases:
        raw = ("\r\n".join((start, *fields)) + end).encode("latin-1") + body
        shortcut = _whole_outcome(raw, method)
        with pytest.MonkeyPatch().context() as patched:
            _no_shortcut(patched)
            if _whole_outcome(raw, method) != shortcut:
                wrong.append(raw)
    assert not wrong, wrong[:5]


def test_whole_message_shortcut_is_taken_for_an_ordinary_message(monkeypatch):
    monkeypatch.setattr(wire_http, "_known_head", lambda raw: None)
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\ncontent-length: 2\r\n\r\nhi"
    calls = []
    real = wire_http._CRLF_PAIR
    monkeypatch.setattr(
        wire_http,
        "_CRLF_PAIR",
        type("Spy", (), {"findall": lambda self, *a: calls.append(a) or real.findall(*a)})(),
    )
    message = parse(raw)
    assert calls and message.body == b"hi" and message.build() == raw
    assert message.headers == (("Content-Type", "text/html"), ("content-length", "2"))


def test_remembered_heads_read_as_heads_read_afresh(monkeypatch):
    """A head the shortcut read twice is remembered by its bytes: the same head again, with
    another body, another length of body or in answer to HEAD, reads as with nothing
    remembered (fails if the memo keeps a body, skips the length check or the request's
    method); a head read once is not remembered; the memos stay bounded and keep no long head."""
    monkeypatch.setattr(wire_http, "_HEADS", {})
    monkeypatch.setattr(wire_http, "_known_head", wire_http._HEADS.get)
    monkeypatch.setattr(wire_http, "_SEEN", set())
    once = b"GET /once HTTP/1.1\r\nHost: x\r\n\r\n"
    parse(once)
    assert once in wire_http._SEEN and once not in wire_http._HEADS
    parse(once)
    assert once in wire_http._HEADS
    wire_http._HEADS.clear()
    heads = [
        b"HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /form HTTP/1.1\r\nHost: x\r\ncontent-length: 3\r\n\r\n",
    ]
    cases = [
        (head, body, method)
        for head in heads
        for body in (b"", b"hi", b"abc", b"hi!!")
        for method in (None, "GET", "HEAD", "CONNECT")
    ]
    remembered = [_whole_outcome(head + body, method) for head, body, method in cases]
    assert len(wire_http._HEADS) == len(heads)
    with pytest.MonkeyPatch().context() as patched:
        _no_shortcut(patched)
        assert remembered == [_whole_outcome(head + body, method) for head, body, method in cases]
    for n in range(1100):
        parse(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
        parse(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
    assert 0 < len(wire_http._HEADS) <= 1024 and 0 < len(wire_http._SEEN) <= 1024
    long_head = b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 1024 + b"\r\n\r\n"
    assert parse(long_head).header("X-Long") == "a" * 1024
    assert parse(long_head).header("X-Long") == "a" * 1024
    assert long_head not in wire_http._HEADS and long_head not in wire_http._SEEN


_PAIRS = [
    ("Host", "www.google.com"),
    ("Accept", "*/*"),
    ("X-Empty", ""),
    ("X-Latin", "caf\xe9"),
    ("Bad Name", "x"),
    ("X-Ctl", "a\x01b"),
    ("X-Nl", "a\r\nInjected: yes"),
    ("", "empty name"),
]


def _head_outcome(message):
    try:
        return message.head()
    except WireError as err:
        return str(err)


@FAST
@given(st.lists(st.lists(st.sampled_from(_PAIRS), max_size=4), min_size=1, max_size=4))
def test_remembered_header_lines_build_as_lines_checked_afresh(heads):
    """Each checked field's line is remembered: heads built after others, good and bad fields
    mixed, give the same bytes or the same error (the first bad field's) as with nothing
    remembered. Fails if a field that fails its checks is ever remembered."""
    messages = [HTTPRequest("GET", "/", "HTTP/1.1", tuple(pairs)) for pairs in heads]
    remembered = [_head_outcome(m) for m in messages]
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(wire_http, "_known_line", lambda pair: None)
        assert remembered == [_head_outcome(m) for m in messages]
