"""HTTP/1.1 messages (RFC 9112): request and response heads, bodies, and framing a stream.

`HTTPRequest` and `HTTPResponse` hold the start line, the header fields in order as
(name, value) pairs (names keep their case, values lose the optional whitespace around them,
RFC 9112 §5.1), and `body`: the bytes after the head exactly as sent, so a chunked body stays
chunked (`content` gives the data without the chunk framing). Text is Latin-1, which maps
every byte to one character and back.

The exact-inverse rule. Equality is about meaning: "Host:x" and "Host: x" are the same
header. `parse` remembers the head's bytes and `build()` of a parsed value returns them
unchanged, so `parse(data).build() == data` for any bytes that parse, bare-LF line ends and
odd spacing included. A value made any other way (the constructor, `make`,
`dataclasses.replace`) builds its head canonically — "Name: value" and CRLF — and
`parse(x.build()) == x`.

Framing a stream (RFC 9112 §6.3): `message_length(buffer)` says how many bytes the first
message in a buffer takes — head, then a body delimited by Content-Length, by chunked
transfer coding, or (responses only) by the connection closing — or None while more bytes are
needed. `parse` takes exactly one complete message.
"""

from __future__ import annotations

import re

from stack.record import field, record
from stack.wire.errors import WireError

MAX_HEAD = 65536  # a head without its blank line after this many bytes is refused
MAX_CHUNK_LINE = 4096
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
REASONS = {
    100: "Continue",
    101: "Switching Protocols",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    414: "URI Too Long",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}

_new = object.__new__
# The end of the head. Searched as LF, optional CR, LF: the first such match ends where the
# first `\r?\n\r?\n` does (a CR in front changes where a match starts, not where it ends),
# and a pattern that starts with a fixed byte is scanned for in C, not tried at every byte.
_HEAD_END = re.compile(rb"\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(r"[!-~]+")
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_STATUS = re.compile(r"[1-9][0-9]{2}")
_LOOKS_LIKE = re.compile(
    rb"(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH) [!-~]|HTTP/[0-9]\.[0-9] "
)
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]+")
# A head whose lines all end in CRLF, whose start line is well formed and whose fields are all
# well formed (nearly every head): the start line's parts, then each field's name and value
# (without the spaces and tabs around it, as `strip(" \t")` leaves it) found by one scan in C
# instead of a Python step and a check a line. A field is matched from the LF in front of it
# to the CR of its own CRLF, so it is a whole line; with no LF but in a CRLF, one match for
# each line between the start line and the blank one means every field is well formed. Any
# other head takes the line-by-line path, which says what is wrong.
_NAME = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]++"
_CRLF_START = re.compile(
    # method, target, version | version, status, reason (after a space, if any)
    f"(?:({_NAME}) ([!-~]++) (HTTP/[0-9]\\.[0-9])"
    "|(HTTP/[0-9]\\.[0-9]) ([1-9][0-9][0-9])(?: ([\\t\\x20-\\x7e\\x80-\\xff]*+))?+)\\r(?=\\n)"
)
_CRLF_FIELD = re.compile(
    f"\\n({_NAME}):[ \\t]*+"
    "((?:[\\x21-\\x7e\\x80-\\xff]++(?:[ \\t]++[\\x21-\\x7e\\x80-\\xff]++)*+)?+)[ \\t]*+\\r(?=\\n)"
)

# A whole message whose head is such a CRLF head with no space or tab before a field line's CR,
# and whose body is framed by one plain Content-Length or, for a response, by the close: read
# by `_parse_crlf` in one pass, the head's end found as the first CRLF CRLF, the fields by one
# scan (each value's checked bytes up to its CR, none of them a space or tab at the end), the
# framing from the head's text in lower case.
_CRLF_PAIR = re.compile(
    f"\\n({_NAME}):[ \\t]*+([\\t\\x20-\\x7e\\x80-\\xff]*+)(?<![ \\t])\\r(?=\\n)"
)
_FRAMING_FIELD = re.compile(r"\n(content-length|transfer-encoding):[ \t]*+([^\r]*+)")

Headers = tuple[tuple[str, str], ...]


class _Message:
    """What requests and responses share: header lookup, content, and building."""

    headers: Headers
    body: bytes
    version: str
    _head: bytes | None

    def header(self, name: str) -> str | None:
        """The value of the first field with this name (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_values(self, name: str) -> tuple[str, ...]:
        name = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == name)

    @property
    def chunked(self) -> bool:
        codings = _codings(self.headers)
        return bool(codings) and codings[-1] == "chunked"

    @property
    def content(self) -> bytes:
        """The body without chunked framing (as much chunk data as is here, for a partial body)."""
        return _dechunk(self.body, 0, strict=False)[0] if self.chunked else self.body

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays open after this message (RFC 9112 §9.3)."""
        tokens = {t.strip().lower() for v in self.header_values("connection") for t in v.split(",")}
        if "close" in tokens:
            return False
        return self.version != "HTTP/1.0" or "keep-alive" in tokens

    def build(self) -> bytes:
        return self.head() + self.body

    def head(self) -> bytes:
        if self._head is not None:
            return self._head
        lines = [self._start_line()]
        known = _known_line
        for pair in self.headers:
            lines.append(known(pair) or _header_line(pair))
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def _start_line(self) -> str:
        raise NotImplementedError


@record
class HTTPRequest(_Message):
    method: str
    target: str
    version: str = "HTTP/1.1"
    headers: Headers = ()
    body: bytes = b""
    _head: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _normalise_headers(self)

    @classmethod
    def parse(cls, data: bytes) -> HTTPRequest:
        message = parse(data)
        if not isinstance(message, HTTPRequest):
            raise WireError("http", "request_line", 0, "this is a response, not a request")
        return message

    @classmethod
    def make(
        cls,
        method: str,
        target: str,
        *,
        host: str | None = None,
        headers: Headers | list = (),
        content: bytes = b"",
        chunked: bool = False,
        version: str = "HTTP/1.1",
    ) -> HTTPRequest:
        """A request with Host first and the body framed: chunked, or a Content-Length when
        there is content or the method expects some (RFC 9110 §8.6)."""
        fields = [("Host", host)] if host is not None else []
        fields += [tuple(h) for h in headers]
        if chunked:
            fields.append(("Transfer-Encoding", "chunked"))
            body = chunk_encode(content)
        else:
            if content or method in ("POST", "PUT", "PATCH"):
                fields.append(("Content-Length", str(len(content))))
            body = bytes(content)
        return cls(method, target, version, tuple(fields), body)

    def _start_line(self) -> str:
        if not _TOKEN.fullmatch(self.method):
            raise WireError("http", "method", 0, f"method {self.method!r} is not a token")
        if not _TARGET.fullmatch(self.target):
            raise WireError(
                "http",
                "target",
                len(self.method) + 1,
                f"target {self.target!r} is empty or has spaces or non-ASCII",
            )
        if not _VERSION.fullmatch(self.version):
            raise WireError("http", "version", 0, f"{self.version!r} is not HTTP/x.y")
        return f"{self.method} {self.target} {self.version}"


@record
class HTTPResponse(_Message):
    version: str
    status: int
    reason: str = ""
    headers: Headers = ()
    body: bytes = b""
    _head: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _normalise_headers(self)

    @classmethod
    def parse(cls, data: bytes, *, request_method: str | None = None) -> HTTPResponse:
        message = parse(data, request_method=request_method)
        if not isinstance(message, HTTPResponse):
            raise WireError("http", "status_line", 0, "this is a request, not a response")
        return message

    @classmethod
    def make(
        cls,
        status: int,
        content: bytes = b"",
        *,
        headers: Headers | list = (),
        reason: str | None = None,
        chunked: bool = False,
        version: str = "HTTP/1.1",
    ) -> HTTPResponse:
        """A response with the standard reason phrase and its body framed; no Date header (no clock)."""
        fields = [tuple(h) for h in headers]
        if status < 200 or status in (204, 304):
            body = b""
        elif chunked:
            fields.append(("Transfer-Encoding", "chunked"))
            body = chunk_encode(content)
        else:
            fields.append(("Content-Length", str(len(content))))
            body = bytes(content)
        return cls(
            version,
            status,
            REASONS.get(status, "") if reason is None else reason,
            tuple(fields),
            body,
        )

    def _start_line(self) -> str:
        if not _VERSION.fullmatch(self.version):
            raise WireError("http", "version", 0, f"{self.version!r} is not HTTP/x.y")
        if not 100 <= self.status <= 999:
            raise WireError("http", "status", 9, f"status {self.status} is not three digits")
        if not _VALUE.fullmatch(self.reason):
            raise WireError(
                "http", "reason", 13, "reason phrase has a control character or is not Latin-1"
            )
        return f"{self.version} {self.status} {self.reason}"


Message = HTTPRequest | HTTPResponse

# A client sends the same fields on every request (User-Agent, Accept, Host, …) and a server
# on every response (Server, Content-Type, …): a bounded memo of each checked field's line, by
# its (name, value) pair, emptied when full. Only a field that passed its checks is here, so a
# head's first bad field still raises, as the check of every field in turn found it.
_LINES: dict[tuple[str, str], str] = {}
_known_line = _LINES.get


def _header_line(pair: tuple[str, str]) -> str:
    name, value = pair
    if not _TOKEN.fullmatch(name):
        raise WireError("http", "header", 0, f"header name {name!r} is not a token")
    if not _VALUE.fullmatch(value):
        raise WireError(
            "http",
            "header",
            0,
            f"value of {name} has a control character or is not Latin-1",
        )
    if len(_LINES) >= 1024:
        _LINES.clear()
    line = _LINES[pair] = f"{name}: {value}"
    return line


def _normalise_headers(message: Message) -> None:
    """As parsing would see them: a tuple of pairs, values without surrounding whitespace."""
    object.__setattr__(
        message, "headers", tuple([(name, value.strip(" \t")) for name, value in message.headers])
    )


# --- parsing --------------------------------------------------------------------------------


def looks_like_http(data: bytes) -> bool:
    """Whether `data` starts like a request line of a known method or a status line."""
    return _LOOKS_LIKE.match(data) is not None


def head_length(data: bytes) -> int | None:
    """Bytes up to and including the blank line that ends the head, or None if not there yet."""
    match = _HEAD_END.search(data)
    return match.end() if match else None


def head_complete(data: bytes) -> bool:
    return _HEAD_END.search(data) is not None


def _parse_head(raw: bytes) -> Message:
    """A message with an empty body from the head bytes (blank line included)."""
    text = raw.decode("latin-1")
    start = _CRLF_START.match(text)
    if start is not None and text.endswith("\r\n\r\n"):
        lines = text.count("\r\n")
        fields = _CRLF_FIELD.findall(text, start.end())
        if len(fields) == lines - 2 and text.count("\n") == lines:
            method, target, version, response_version, status, reason = start.groups()
            if method is None:
                return _response(response_version, int(status), reason, fields, b"", bytes(raw))
            return _request(method, target, version, fields, b"", bytes(raw))
    lines: list[tuple[int, str]] = []  # (offset, text) of each line before the blank one
    pos = 0
    for match in _LINE_END.finditer(raw):
        if match.start() == pos and lines:
            break
        lines.append((pos, raw[pos : match.start()].decode("latin-1")))
        pos = match.end()
    first = lines[0][1]
    if first.startswith("HTTP/"):
        version, _, rest = first.partition(" ")
        status, _, reason = rest.partition(" ")
        if not _VERSION.fullmatch(version):
            raise WireError("http", "version", 0, f"{version!r} is not HTTP/x.y")
        if not _STATUS.fullmatch(status):
            raise WireError(
                "http",
                "status",
                len(version) + 1,
                f"status {status!r} is not three digits from 100",
            )
        if not _VALUE.fullmatch(reason):
            raise WireError(
                "http", "reason", len(version) + 5, "reason phrase has a control character"
            )
        message = _new(HTTPResponse)
        message.__dict__.update(version=version, status=int(status), reason=reason)
    else:
        parts = first.split(" ")
        if len(parts) != 3:
            raise WireError(
                "http", "request_line", 0, f"{first[:80]!r} is not 'METHOD target HTTP/x.y'"
            )
        method, target, version = parts
        if not _TOKEN.fullmatch(method):
            raise WireError("http", "method", 0, f"method {method[:40]!r} is not a token")
        if not _TARGET.fullmatch(target):
            raise WireError(
                "http",
                "target",
                len(method) + 1,
                "target is empty or has control or non-ASCII characters",
            )
        if not _VERSION.fullmatch(version):
            raise WireError(
                "http",
                "version",
                len(method) + len(target) + 2,
                f"{version[:40]!r} is not HTTP/x.y",
            )
        message = _new(HTTPRequest)
        message.__dict__.update(method=method, target=target, version=version)
    headers = []
    for offset, line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            if line[:1] in (" ", "\t"):
                raise WireError(
                    "http",
                    "header",
                    offset,
                    "obsolete line folding is not accepted (RFC 9112 §5.2)",
                )
            raise WireError("http", "header", offset, f"{line[:80]!r} is not 'Name: value'")
        value = value.strip(" \t")
        if not _VALUE.fullmatch(value):
            raise WireError("http", "header", offset, f"value of {name} has a control character")
        headers.append((name, value))
    message.__dict__.update(headers=tuple(headers), body=b"", _head=bytes(raw))
    return message


def _codings(headers: Headers) -> list[str]:
    return [
        c.strip().lower()
        for k, v in headers
        if k.lower() == "transfer-encoding"
        for c in v.split(",")
        if c.strip()
    ]


def _framing(message: Message, request_method: str | None) -> tuple[str, int]:
    """("length", n), ("chunked", 0) or ("close", 0) for the body after this head (RFC 9112 §6.3)."""
    if isinstance(message, HTTPResponse):
        status = message.status
        if status < 200 or status in (204, 304) or request_method == "HEAD":
            return "length", 0
        if request_method == "CONNECT" and status < 300:
            return "length", 0
    # The Transfer-Encoding codings and the Content-Length values in one pass over the fields
    # (as `_codings` and the set below read them).
    codings: list[str] = []
    values: set[str] = set()
    for name, value in message.headers:
        name = name.lower()
        if name == "content-length":
            if "," in value:
                values.update([v.strip() for v in value.split(",")])
            else:
                values.add(value.strip())
        elif name == "transfer-encoding":
            codings += [c.strip().lower() for c in value.split(",") if c.strip()]
    if codings:
        if codings[-1] == "chunked":
            return "chunked", 0
        if isinstance(message, HTTPRequest):
            raise WireError(
                "http",
                "transfer-encoding",
                0,
                f"request body coded {codings[-1]!r} without chunked has no length",
            )
        return "close", 0
    if values:
        if len(values) != 1 or not next(iter(values)).isdigit() or not next(iter(values)).isascii():
            raise WireError(
                "http", "content-length", 0, f"Content-Length {sorted(values)!r} is not one number"
            )
        return "length", int(next(iter(values)))
    return ("length", 0) if isinstance(message, HTTPRequest) else ("close", 0)


def message_length(
    data: bytes,
    *,
    request_method: str | None = None,
    at_eof: bool = False,
    progress: list[int] | None = None,
) -> int | None:
    """Bytes the first message in `data` takes, or None until they are all there.

    A response delimited by the connection closing is complete only `at_eof`. For a response,
    `request_method` says what it answers (a reply to HEAD has no body). A malformed head or
    chunk framing raises WireError: the stream cannot be framed past it.

    `progress`, a one-item list kept by a caller that asks again as more of the same message
    arrives (and resets it to [0] for the next one), remembers where the chunks already found
    whole end, so that a long chunked body is not walked from its start each time: the walk
    is the same from any chunk's start, so the answer and the errors are too.
    """
    end = head_length(data)
    if end is None:
        if len(data) > MAX_HEAD:
            raise WireError(
                "http", "head", 0, f"no blank line ends the head within {MAX_HEAD} bytes"
            )
        return None
    head = _parse_head(data[:end])
    kind, size = _framing(head, request_method)
    if kind == "length":
        return end + size if len(data) >= end + size else None
    if kind == "chunked":
        start = progress[0] if progress is not None and progress[0] > end else end
        return _dechunk(data, start, strict=True, progress=progress)[1]
    return len(data) if at_eof else None


def expected_length(data: bytes, *, request_method: str | None = None) -> int | None:
    """Head plus Content-Length when the head is here and declares it; otherwise None."""
    end = head_length(data)
    if end is None:
        return None
    kind, size = _framing(_parse_head(data[:end]), request_method)
    return end + size if kind == "length" else None


def parse(data: bytes, *, request_method: str | None = None) -> Message:
    """Exactly one complete message (a response without length runs to the end of `data`)."""
    if type(data) is not bytes:
        data = bytes(data)
    message = _parse_crlf(data, request_method)
    if message is not None:
        return message
    end = head_length(data)
    if end is None:
        raise WireError("http", "head", len(data), "no blank line ends the head")
    message = _parse_head(data[:end])
    kind, size = _framing(message, request_method)
    if kind == "length" and len(data) - end != size:
        raise WireError(
            "http", "body", end, f"the head says {size} bytes of body, {len(data) - end} are here"
        )
    if kind == "chunked":
        stop = _dechunk(data, end, strict=True)[1]
        if stop is None:
            raise WireError("http", "body", len(data), "chunked body stops before its last chunk")
        if stop != len(data):
            raise WireError(
                "http", "body", stop, f"{len(data) - stop} bytes follow the end of the chunked body"
            )
    message.__dict__["body"] = data[end:]
    return message


def _parse_crlf(data: bytes, request_method: str | None) -> Message | None:
    """The message `parse` reads from `data`, if its head is an ordinary CRLF one (above) and
    its body is exactly as long as the head says; None for anything else, which `parse` then
    reads the general way (and says what is wrong)."""
    end = data.find(b"\r\n\r\n") + 4
    if end < 4:
        return None
    raw = data[:end]
    known = _known_head(raw)
    if known is None:
        known = _read_crlf_head(raw)
        if known is None:
            return None
        if len(raw) <= 1024:
            # Remembered the second time it is read: a head read once keeps only its bytes
            # here, so a stream of heads each new (a new target, a new Date) adds no objects
            # for the collector to walk.
            if raw in _SEEN:
                if len(_HEADS) >= 1024:
                    _HEADS.clear()
                _HEADS[raw] = known
            else:
                if len(_SEEN) >= 1024:
                    _SEEN.clear()
                _SEEN.add(raw)
    cls, first, second, third, headers, length = known
    if length < 0:  # no framing field: a request has no body, a response runs to the close
        if cls is HTTPRequest and len(data) != end:
            return None
    elif len(data) - end != length:
        return None
    if cls is HTTPResponse and request_method in ("HEAD", "CONNECT"):
        return None
    message = _new(cls)
    filled = message.__dict__  # one store a field, in the order the line-by-line path fills them
    if cls is HTTPRequest:
        filled["method"] = first
        filled["target"] = second
        filled["version"] = third
    else:
        filled["version"] = first
        filled["status"] = second
        filled["reason"] = third
    filled["headers"] = headers
    filled["body"] = data[end:]
    filled["_head"] = raw
    return message


# A client sends the same head each time it asks for the same resource, and a server the same
# head each time it answers it within the same second (its Date): a bounded memo of what
# `_read_crlf_head` read from each head of up to 1,024 bytes read twice, by its bytes, emptied
# when full (`_SEEN`, the heads read once, the same). Only a head the shortcut took is here; any
# other (an error, a chunked body, a second Content-Length, a status without a body) is read
# again each time and says what it says.
_HEADS: dict[bytes, tuple] = {}
_known_head = _HEADS.get
_SEEN: set[bytes] = set()


def _read_crlf_head(raw: bytes) -> tuple | None:
    """(class, its start line's three values, its fields, the Content-Length or -1 if none) of a
    CRLF head (`raw`, blank line included) with no space or tab before a field line's CR, at
    most one framing field and that a plain Content-Length, and not the status of a response
    without a body; None for any other."""
    text = raw.decode("latin-1")
    start = _CRLF_START.match(text)
    if start is None:
        return None
    # A field is matched from an LF to the CR in front of the next LF, with neither in it: a
    # match at every LF but the blank line's two means every line is a field and none ends in
    # a bare LF (so no LF, optional CR, LF ends the head before this CRLF CRLF).
    fields = _CRLF_PAIR.findall(text, start.end())
    if len(fields) != text.count("\n") - 2:
        return None
    method, target, version, response_version, status, reason = start.groups()
    if method is None:
        status = int(status)
        if status < 200 or status == 204 or status == 304:
            return None
    length = -1
    framing = _FRAMING_FIELD.findall(text.lower())  # (name, value) of each, in lower case
    if framing:
        if len(framing) > 1:
            return None
        name, value = framing[0]
        if name[0] == "t" or not (value.isdigit() and value.isascii()):
            return None
        length = int(value)
    if method is None:
        return HTTPResponse, response_version, status, reason or "", tuple(fields), length
    return HTTPRequest, method, target, version, tuple(fields), length


def _response(version, status, reason, fields, body, head) -> HTTPResponse:
    """A response read by a shortcut: its fields as the regex found them (a reason not there
    is None), filled in as the line-by-line path fills it."""
    message = _new(HTTPResponse)
    filled = message.__dict__  # one store a field: cheaper than a dict of keywords made first
    filled["version"] = version
    filled["status"] = status
    filled["reason"] = reason or ""
    filled["headers"] = tuple(fields)
    filled["body"] = body
    filled["_head"] = head
    return message


def _request(method, target, version, fields, body, head) -> HTTPRequest:
    """A request read by a shortcut, filled in as the line-by-line path fills it."""
    message = _new(HTTPRequest)
    filled = message.__dict__
    filled["method"] = method
    filled["target"] = target
    filled["version"] = version
    filled["headers"] = tuple(fields)
    filled["body"] = body
    filled["_head"] = head
    return message


def parse_partial(data: bytes, *, request_method: str | None = None) -> Message:
    """A complete head and as much of the body as `data` holds (for showing one TCP segment)."""
    data = bytes(data)
    end = head_length(data)
    if end is None:
        raise WireError("http", "head", len(data), "no blank line ends the head")
    message = _parse_head(data[:end])
    kind, size = _framing(message, request_method)
    message.__dict__["body"] = data[end : end + size] if kind == "length" else data[end:]
    return message


# --- chunked transfer coding (RFC 9112 §7.1) -----------------------------------------------------


def chunk_encode(content: bytes, chunk_size: int | None = None) -> bytes:
    """`content` as chunks of `chunk_size` bytes (one chunk if None), then the last chunk."""
    content = bytes(content)
    size = chunk_size or len(content) or 1
    parts = [
        b"%x\r\n%s\r\n" % (len(content[i : i + size]), content[i : i + size])
        for i in range(0, len(content), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def chunk_decode(body: bytes) -> bytes:
    """The data of a complete chunked body; WireError if it is malformed or incomplete."""
    content, stop = _dechunk(bytes(body), 0, strict=True)
    if stop is None:
        raise WireError("http", "body", len(body), "chunked body stops before its last chunk")
    return content


def _line(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """The line at `pos` without its end, and where the next line starts; None if not ended yet."""
    stop = data.find(b"\n", pos)
    if stop < 0:
        if len(data) - pos > MAX_CHUNK_LINE:
            raise WireError("http", "body", pos, f"chunk line longer than {MAX_CHUNK_LINE} bytes")
        return None
    line = data[pos:stop]
    return (line[:-1] if line.endswith(b"\r") else line), stop + 1


def _dechunk(
    data: bytes, pos: int, *, strict: bool, progress: list[int] | None = None
) -> tuple[bytes, int | None]:
    """The chunk data from `pos` and the offset after the body (None if incomplete).

    Not strict: stop quietly at the first incomplete or malformed piece. `progress[0]` is set
    to the start of each chunk-size line reached after a whole chunk (see message_length)."""
    out = []
    n = len(data)
    try:
        while True:
            got = _line(data, pos)
            if got is None:
                return b"".join(out), None
            line, after = got
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not _CHUNK_SIZE.fullmatch(size_text) or len(size_text) > 16:
                raise WireError(
                    "http", "body", pos, f"chunk size {size_text[:20]!r} is not hexadecimal"
                )
            size = int(size_text, 16)
            if size == 0:
                pos = after
                while True:  # trailer fields, then the blank line
                    got = _line(data, pos)
                    if got is None:
                        return b"".join(out), None
                    line, pos = got
                    if not line:
                        return b"".join(out), pos
            if after + size > n:
                if not strict:
                    out.append(data[after:])
                return b"".join(out), None
            out.append(data[after : after + size])
            pos = after + size
            if n < pos + 1 or (data[pos] == 0x0D and n < pos + 2):
                return b"".join(out), None
            if data[pos : pos + 2] == b"\r\n":
                pos += 2
            elif data[pos] == 0x0A:
                pos += 1
            else:
                raise WireError("http", "body", pos, "chunk data is not followed by a line end")
            if progress is not None:
                progress[0] = pos
    except WireError:
        if strict:
            raise
        return b"".join(out), None
