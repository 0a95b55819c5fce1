"""HTTP messages over several TCP segments, labelled as tshark labels them.

Wireshark's HTTP dissector asks TCP for more bytes until a whole message is there (the head,
then Content-Length bytes of body, or chunks up to the last one); the segment that completes
it is "HTTP" with the message's first line in Info (and the body's media type: `HTTP/1.0 200
OK  (text/html)`), and the segments before it are "TCP" with "[TCP segment of a reassembled
PDU]" (those up to the end of the head still show the message's first line, then two
spaces: HTTP read each of them and set Info before asking for more). `HttpMessages.add(facts, note)` follows each direction of each conversation in order;
a retransmitted segment adds nothing.

A segment on the port that starts no message (its head was lost, or it follows one) is read
as `stack.proto.http_continuation` lays it out: held until a line ends in it, then — once a
request was read on the connection — "HTTP" "Continuation" with its header-like lines and its
body as Data; before any request, TCP's row, with HTTP's layer when a line looked like a header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stack.proto import http_continuation as continuation
from stack.proto.http import TCP_PORTS, claims, media_dissector, media_info
from workbench.dissect.facts import Facts
from workbench.dissect.tcp_analysis import TcpNote

HTTP_PORTS = frozenset(
    TCP_PORTS
)  # the protocol model's: where it dissects HTTP, messages are followed
_STARTS = (
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    b"HTTP/1.",
)
# tshark gives a plain or spurious retransmission to no one above TCP; a fast retransmission
# or an out-of-order segment brings bytes not seen yet and counts as a segment of the message
_NOT_PASSED_UP = "retransmission"
_SEEN_BEFORE = "spurious_retransmission"
SEGMENT_OF_PDU = " [TCP segment of a reassembled PDU]"
MAX_HEAD = 64 * 1024  # a "head" longer than this is not HTTP: stop waiting for its end
MAX_KEPT = 4 * 1024 * 1024  # a longer message is dissected from its head alone


@dataclass
class _Message:
    buffer: bytearray
    first_line: str = ""
    media: str | None = None
    body_left: int | None = None  # bytes of body still to come (Content-Length)
    chunked: bool = False
    until_close: bool = False
    has_body: bool = False
    head: bytes = b""  # the head as it came (first line, headers, blank line)
    # (relative seq, frame, bytes) of every segment so far, or None once more than MAX_KEPT
    # came (the head alone is shown then)
    parts: list[tuple[int, int, bytes]] | None = field(default_factory=list)
    kept: int = 0  # bytes in `parts`
    asked: str = ""  # the method of the request before a response (HEAD's answer has no body)


@dataclass(frozen=True)
class MessageNote:
    """How one segment's row changes: ("HTTP", info) when it completes a message, or
    ("TCP", None, suffix) for a segment of a longer one (`first_line` while the head lasts)."""

    protocol: str
    info: str | None  # the whole Info (the first line), or None: keep TCP's own Info
    chain: tuple[str, ...] = ()  # the protocols above TCP, as frame.protocols names them
    head: bytes = b""  # a completed message's head, for the fields tshark shows on this frame
    column: str = "HTTP"  # a completed message's Protocol column (`HTTP/JSON`)
    pdu: bytes = b""  # a message reassembled from several segments, dissected in their place
    segments: tuple[tuple[int, int], ...] = ()  # (frame, bytes) of each, for `pdu`
    suffix: str = SEGMENT_OF_PDU  # after TCP's Info, when the row stays TCP's
    # bytes that start no message: "http" (HTTP's continuation layer above TCP) or "plain"
    # (bytes held for a line end that HTTP then shows nothing of); "" for a message
    continuation: str = ""


@dataclass
class _Held:
    """A segment's bytes with no line end yet: HTTP asked TCP for the next segment's too (as
    tshark, until one comes — up to MAX_KEPT here, then they are read as they are)."""

    data: bytearray
    parts: list[tuple[int, int, bytes]]

    def waits(self, added: bytes) -> bool:
        """Still no line end with `added` (a CR last may be half a CRLF)? Looked for in the
        bytes added alone, so that a long wait costs no more than its bytes."""
        if len(self.data) > MAX_KEPT:
            return False
        if b"\n" in added or b"\r" in added[:-1]:
            return False
        return self.data[-len(added) - 1 : -len(added)] != b"\r"  # else that CR ended a line


class HttpMessages:
    def __init__(self) -> None:
        self._open: dict[tuple, _Message] = {}
        # conversations on other ports that Wireshark's HTTP heuristic took (`claims`): from
        # the segment it took on, every segment of theirs is HTTP's, as on port 80
        self._taken: set[int] = set()
        # connections on which a request was read: tshark's HTTP then calls any segment that
        # starts no message "Continuation"
        self._requested: set[int] = set()
        self._method: dict[int, str] = {}  # each connection's last request's method
        self._held: dict[tuple, _Held] = {}

    def add(self, f: Facts, note: TcpNote) -> MessageNote | None:
        payload = f.payload
        if not payload or _NOT_PASSED_UP in note.flags or _SEEN_BEFORE in note.flags:
            return None
        if not (f.sport in HTTP_PORTS or f.dport in HTTP_PORTS or note.stream in self._taken):
            if not claims(payload, 0, note.length):
                return None
            self._taken.add(note.stream)
        key = (note.stream, f.src, f.sport)
        message = self._open.get(key)
        data = f.payload[: note.length]
        part = (note.seq, f.number, data)
        if message is None:
            held = self._held.get(key)
            if held is not None:
                held.parts.append(part)
                held.data += data
                if held.waits(data):
                    return MessageNote("TCP", None)
                del self._held[key]
            parts = held.parts if held is not None else [part]
            whole = bytes(held.data) if held is not None else data
            if not whole.startswith(_STARTS):
                return self._continuation(key, note.stream, whole, parts)
            message = _Message(bytearray(), asked=self._method.get(note.stream, ""))
            self._open[key] = message
            if held is not None:  # the bytes held are this message's start
                message.parts, message.kept = held.parts, len(held.data)
                data = whole
        reads_head = not message.head  # tshark's HTTP reads every segment until the head ends
        if message.parts is not None:
            if message.kept + len(part[2]) <= MAX_KEPT:
                message.kept += len(part[2])
                message.parts.append(part)
            else:  # too long to show whole: its head alone, and no list of its segments
                message.parts = None
        done = _feed(message, data)
        if done is None:  # waiting for more of this message
            # a chunked body's end is asked for one segment at a time, HTTP reading the
            # message again from its first line each time
            if (reads_head or message.chunked) and message.first_line:
                return MessageNote("TCP", message.first_line + " " + SEGMENT_OF_PDU)
            return MessageNote("TCP", None)
        del self._open[key]
        if not message.first_line.startswith("HTTP/"):
            self._requested.add(note.stream)
            self._method[note.stream] = message.first_line.split(" ", 1)[0]
        return _completed(message)

    def _continuation(
        self, key: tuple, stream: int, whole: bytes, parts: list
    ) -> MessageNote | None:
        """A segment (with any held before it) that starts no message, as tshark's HTTP reads it."""
        lay = continuation.layout(whole)
        if lay.kind == continuation.HOLD:
            self._held[key] = _Held(bytearray(whole), parts)
            return MessageNote("TCP", None)
        requested = stream in self._requested
        several = len(parts) > 1
        pdu = whole if several else b""
        segments = tuple((number, len(data)) for _seq, number, data in parts) if several else ()
        shown = (
            lay.kind == continuation.BINARY
            and requested
            or lay.kind == continuation.LINES
            and (requested or lay.has_lines)
        )
        if not shown:
            return (
                MessageNote(
                    "TCP", None, pdu=pdu, segments=segments, suffix="", continuation="plain"
                )
                if several
                else None
            )
        malformed = "[Malformed Packet]" if lay.malformed_at is not None else ""
        if requested:
            return MessageNote(
                "HTTP", "Continuation" + malformed, pdu=pdu, segments=segments, continuation="http"
            )
        return MessageNote("TCP", None, pdu=pdu, segments=segments, suffix="", continuation="http")

    def closing(self, f: Facts, note: TcpNote) -> MessageNote | None:
        """A FIN ends a message that runs until the connection closes (HTTP/1.0, no length)."""
        message = self._open.get((note.stream, f.src, f.sport))
        if message is not None and message.until_close:
            del self._open[(note.stream, f.src, f.sport)]
            if message.parts is not None:  # the FIN is one of its segments, as tshark lists them
                message.parts.append((note.seq, f.number, b""))
            return _completed(message)
        return None


def _feed(m: _Message, data: bytes) -> bool | None:
    """Add a segment's bytes; True when the message is complete, None while it is not."""
    if not m.first_line or m.body_left is None and not m.chunked and not m.until_close:
        m.buffer += data
        head_end = m.buffer.find(b"\r\n\r\n")
        if not m.first_line:
            line_end = m.buffer.find(b"\r\n")
            if line_end >= 0:
                m.first_line = m.buffer[:line_end].decode("utf-8", "replace")
        if head_end < 0:
            if len(m.buffer) > MAX_HEAD:
                return True
            return None
        m.head = bytes(m.buffer[: head_end + 4])
        _read_head(m, m.head[:head_end])
        body = bytes(m.buffer[head_end + 4 :])
        m.buffer = bytearray()
        return _body(m, body)
    return _body(m, data)


def _read_head(m: _Message, head: bytes) -> None:
    lines = head.split(b"\r\n")
    response = lines[0].startswith(b"HTTP/")
    if response and _bodiless(lines[0], m.asked):
        m.body_left = 0  # whatever its Content-Length says (RFC 9110 6.4.1), as tshark
        return
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            m.chunked = True
        elif name == b"content-type":
            m.media = value.split(b";")[0].strip().decode("latin-1") or None
    if m.chunked:
        return
    if length is not None:
        m.body_left = length
        m.has_body = length > 0
    elif response:
        m.until_close = True
        m.has_body = True
    else:
        m.body_left = 0


def _bodiless(status_line: bytes, asked: str) -> bool:
    """A response that has no body: to HEAD, a 2xx to CONNECT, a 1xx, 204 or 304."""
    code = status_line.split(b" ")[1:2]
    status = int(code[0]) if code and code[0].isdigit() else 0
    return (
        asked == "HEAD"
        or (asked == "CONNECT" and status // 100 == 2)
        or status // 100 == 1
        or status in (204, 304)
    )


def _body(m: _Message, data: bytes) -> bool | None:
    if m.chunked:
        m.buffer += data
        m.has_body = True
        return True if m.buffer.endswith(b"0\r\n\r\n") else None
    if m.until_close:
        return None
    m.body_left -= len(data)
    return True if m.body_left <= 0 else None


def _info(m: _Message) -> str:
    return media_info(m.first_line, m.media if m.has_body else None)


def _completed(m: _Message) -> MessageNote:
    media = media_dissector(m.media) if m.has_body else None
    if not m.has_body:
        chain = ("http",)
    else:  # tshark 4.0 hands a body of other types, or of none named, to its data dissector
        chain = ("http", media[0] if media else "data")
    whole = m.parts is not None and len(m.parts) > 1
    if whole:  # in sequence order, as tshark lists and joins them: one that came out of
        # order takes its place (relative seq wraps after 4 GB, counted from the first)
        first = m.parts[0][0]
        parts = sorted(m.parts, key=lambda part: (part[0] - first) & 0xFFFFFFFF)
    return MessageNote(
        "HTTP",
        _info(m),
        chain,
        m.head,
        media[1] if media else "HTTP",
        b"".join(data for _seq, _number, data in parts) if whole else b"",
        tuple((number, len(data)) for _seq, number, data in parts) if whole else (),
    )
